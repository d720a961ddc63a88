# Crash consistency: CYCLES (default 50) kill -9 cycles, each at a random
# point of a burst of publishes (sk-testnode burst), node writes (client
# add, case open through the chain), lookups, discussion requests and
# audited reads. Each cycle kills one of: the registry, a pseudonymiser,
# the node (its running CLI command and another node's serve). After each
# restart every acknowledged write is there (publishes resubmitted byte for
# byte get their original leaf; acknowledged cases and discussions exist),
# both audit chains verify, the node's sync (log and checkpoint
# consistency, pending publishes) exits 0 and the clients go on.
# SEED=N repeats a run; CYCLES=1000 is the long run (docs/threat-model.md).
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

SEED=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
CYCLES=${CYCLES:-50}
echo "crash: seed $SEED, $CYCLES cycles (repeat with SEED=$SEED)"
RANDOM=$SEED

node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
federation_up wijkteam:sociaal-team altrecht:ggz
REG_AT=$REG_ADDR
"$SK_TESTNODE" init --dir b --org-id burst --name Burst --category ggz >/dev/null
reg enrol --dir r --ca ca --request b/enrol-request --out b/bundle $CHAIN >/dev/null
# the burst member publishes faster than a node ever does (~200/s): the
# operator's grant over the default quota of publishes a minute
reg quota --dir r --org burst --publishes-per-minute 100000000 >/dev/null || fail "quota burst"
for org in wijkteam altrecht; do
	node professional add --dir $org --id p-$org --name "Prof $org" --role spv >/dev/null
	node client add --dir $org --bsn 111222333 >/dev/null
	node case open --dir $org --client 111222333 --as p-$org --consent discover,discuss \
		--categories all >/dev/null || fail "case at $org"
	node sync --dir $org >/dev/null || fail "first sync $org: $(tail -3 node.log)"
done
psd grant --dir ps1 --org wijkteam --extra 100000 >/dev/null
psd grant --dir ps2 --org wijkteam --extra 100000 >/dev/null

start_node_serve() {
	"$SK_NODE" serve --dir altrecht --dev --web 127.0.0.1:0 --sync-seconds 1 >>serve-node.out \
		2>>node.log &
	NODE_PID=$!
	PIDS+=("$NODE_PID")
}
start_node_serve
mapfile -t POOL < <(bsns $(((CYCLES + 1) * 6)) "$SEED")
ok "federation up: registry, two pseudonymisers, two nodes (one serving), a burst member"

# node_load CYCLE OPS: node writes and reads, one process at a time, its
# pid in node.cur; acknowledged writes are appended to acks.node as
# "case ID" or "discussion ID". Exit 3 (an integrity failure) is fatal.
node_load() {
	local c=$1 ops=$2 i op out rc bsn
	RANDOM=$((SEED + c)) # a subshell: its own seeded sequence
	for ((i = 0; i < ops; i++)); do
		op=$((RANDOM % 4))
		bsn=${POOL[$((c * ops + i))]}
		case $op in
		0) "$SK_NODE" client add --dir wijkteam --bsn "$bsn" --dev >op.out 2>>node.log &
		   ;;
		1) "$SK_NODE" case open --dir wijkteam --client 111222333 --as p-wijkteam \
			--consent discover,discuss --categories all --dev >op.out 2>>node.log &
		   ;;
		2) "$SK_NODE" lookup --dir wijkteam --client 111222333 --as p-wijkteam \
			--purpose afstemming --dev >op.out 2>>node.log &
		   ;;
		3) "$SK_NODE" discuss request --dir wijkteam --client 111222333 --as p-wijkteam \
			--topic afstemming --dev >op.out 2>>node.log &
		   ;;
		esac
		echo $! >node.cur
		set +e; wait $! 2>/dev/null; rc=$?; set -e
		out=$(head -1 op.out)
		[ "$rc" = 3 ] && { echo "cycle $c op $op: integrity failure" >>load.err; return 1; }
		if [ "$rc" = 0 ]; then
			case $op in
			1) echo "case $out" >>acks.node ;;
			3) echo "discussion $out" >>acks.node ;;
			esac
		fi
		# an audited read now and then: the node's audit log is written too
		if ((RANDOM % 3 == 0)); then
			"$SK_NODE" audit query --dir wijkteam --client c-1 --dev >/dev/null 2>>node.log &
			echo $! >node.cur
			wait $! 2>/dev/null || true
		fi
	done
	return 0
}

start_t=$(date +%s)
kills=(0 0 0)
for ((c = 1; c <= CYCLES; c++)); do
	target=$((RANDOM % 3))
	: >node.cur
	"$SK_TESTNODE" burst --dir b --bundle b/bundle --from $((c * 100000)) --count 300 \
		--threads 2 >burst.$c 2>/dev/null &
	BURST=$!
	node_load $c 6 &
	LOAD=$!
	sleep "0.$((RANDOM % 9 + 1))"
	case $target in
	0) kill -9 "$REG_PID"; wait "$REG_PID" 2>/dev/null || true ;;
	1) if ((RANDOM % 2)); then PS_KILLED=1; else PS_KILLED=2; fi
	   eval "p=\$PS${PS_KILLED}_PID"; kill -9 "$p"; wait "$p" 2>/dev/null || true ;;
	2) p=$(cat node.cur); [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	   kill -9 "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true ;;
	esac
	kills[target]=$((kills[target] + 1))
	wait "$BURST" || true
	wait "$LOAD" || fail "cycle $c (seed $SEED): $(cat load.err)"
	# restart whatever was killed, on the same address
	case $target in
	0) start_registry r "$REG_AT" ;;
	1) if [ "$PS_KILLED" = 1 ]; then
		start_pseudonymiser ps1 --sync-seconds 1 --listen "$A1"; PS1_PID=$PS_PID
	   else
		start_pseudonymiser ps2 --sync-seconds 1 --listen "$A2"; PS2_PID=$PS_PID
	   fi ;;
	2) start_node_serve ;;
	esac

	# every acknowledged publish is there: resubmitted byte for byte, each
	# gets its original leaf (and the registry answers again)
	n=$(wc -l <burst.$c)
	if [ "$n" -gt 0 ]; then
		res=$("$SK_TESTNODE" resubmit --dir b --bundle b/bundle --old burst.$c) ||
			fail "cycle $c (seed $SEED): acknowledged publishes lost: $res"
		[ "$(echo "$res" | json checked)" = "$n" ] || fail "cycle $c: not every ack checked: $res"
	fi
	cat burst.$c >>acks.burst
	# the node's sync: consistency with the last verified checkpoint, pending
	# publishes; both nodes' and the registry's audit chains verify
	node sync --dir wijkteam >/dev/null || fail "cycle $c (seed $SEED): node sync: $(tail -3 node.log)"
	node audit verify --dir wijkteam >/dev/null || fail "cycle $c: node audit verify"
	node audit verify --dir altrecht >/dev/null || fail "cycle $c: altrecht audit verify"
	reg audit verify --dir r >/dev/null || fail "cycle $c: registry audit verify: $(tail -2 stderr.log)"
done
ok "$CYCLES kill -9 cycles (registry ${kills[0]}, pseudonymiser ${kills[1]}, node ${kills[2]}), each followed by resubmission of that cycle's acks, node sync and three audit verifies, in $(($(date +%s) - start_t)) s"

# after all cycles: every acknowledged write of the whole run
acks=$(wc -l <acks.burst)
res=$("$SK_TESTNODE" resubmit --dir b --bundle b/bundle --old acks.burst) ||
	fail "acknowledged publishes lost: $res"
node case list --dir wijkteam --json >cases.json
node discuss list --dir wijkteam --json >disc.json
touch acks.node
python3 - acks.node cases.json disc.json <<'PY' || fail "acknowledged node writes lost"
import json, sys
acks = [l.split() for l in open(sys.argv[1]) if l.strip()]
cases = {str(c["id"]) for c in json.load(open(sys.argv[2]))}
disc = {d["id"] for d in json.load(open(sys.argv[3])) if d["role"] == "requester"}
lost = [a for a in acks if (a[1] not in cases if a[0] == "case" else a[1] not in disc)]
assert not lost, lost
PY
nn=$(grep -c . acks.node || true)
ok "all $acks acknowledged publishes and $nn acknowledged cases and discussions are there"

# clients resume: a publish, a node sync and a lookup after the last cycle
"$SK_TESTNODE" publish --dir b --bundle b/bundle --seq 99999999 >/dev/null || fail "publish after the run"
node lookup --dir wijkteam --client 111222333 --as p-wijkteam --purpose afstemming |
	grep -q altrecht || fail "lookup after the run"
ok "clients resume: publish and lookup after the last restart"
