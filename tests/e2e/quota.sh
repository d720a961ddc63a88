# One member must not hurt the others (issue 18): with one member's keys
# (wijkteam) an attacker sends entries over the size cap, bodies with
# fields the registry does not know, more live entries and more publishes
# a minute than its quota, and more discussion messages than a discussion
# and a day allow. Each is refused with one sentence, audited, and stores
# nothing; the operator changes the quotas with `schakel-registry quota`
# while serve runs. During a flood of all of it a second member's (ggz)
# publishes and lookups keep their latency (both figures printed).
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"
BOUND_MS=${BOUND_MS:-3000} # one request of the other member, at most (ASan, 2 cores)

registry_up
testnodes_up wijkteam:sociaal-team ggz:ggz
TOKEN=$(printf '%064d' 18)
tn() { "$SK_TESTNODE" "$1" --dir "$2" --bundle "$2/bundle" "${@:3}"; }
tn publish wijkteam --seq 1 --token "$TOKEN" >/dev/null || fail "publish wijkteam"
tn publish ggz --seq 1 --token "$TOKEN" >/dev/null || fail "publish ggz"
size() { reg checkpoint --dir r | sed -n 2p; }
# refused OUT CODE TEXT: one request refused with CODE and TEXT in its sentence
refused() {
	[ "$(echo "$1" | json refused)" = 1 ] && [ "$(echo "$1" | json accepted)" = 0 ] ||
		fail "not refused: $1"
	[ "$(echo "$1" | json code)" = "$2" ] || fail "wrong code (want $2): $1"
	echo "$1" | json message | grep -c >/dev/null "$3" || fail "wrong sentence (want '$3'): $1"
}
denied() { # denied EVENT TEXT [ORG]: the registry audited ORG's (wijkteam's) refusal
	reg audit query --dir r --event "$1" --outcome denied | grep "user=${3:-wijkteam}" | grep "$2" >/dev/null ||
		fail "no audited refusal '$2' under $1"
}

# victim_round SEQ: one publish and one lookup by ggz; prints both in ms
victim_round() {
	local t0 t1 t2
	t0=$(date +%s%3N)
	tn publish ggz --seq "$1" --token "$TOKEN" >/dev/null || { echo "publish $1 refused"; return 1; }
	t1=$(date +%s%3N)
	tn lookup ggz --token "$TOKEN" | grep -c >/dev/null '"org":"wijkteam"' || { echo "lookup failed"; return 1; }
	t2=$(date +%s%3N)
	echo "$((t1 - t0)) $((t2 - t1))"
}
# rounds FROM N: the slowest publish and the slowest lookup of N rounds
rounds() {
	local pub=0 look=0 p l out
	for SEQ in $(seq "$1" $(($1 + $2 - 1))); do
		out=$(victim_round "$SEQ") || fail "the other member: $out"
		read -r p l <<<"$out"
		((p > pub)) && pub=$p
		((l > look)) && look=$l
	done
	echo "$pub $look"
}
read -r base_pub base_look <<<"$(rounds 2 5)"
ok "idle: the other member's slowest publish $base_pub ms, slowest lookup $base_look ms (5 rounds)"

# --- size caps and unknown fields: refused, audited, nothing stored
before=$(size)
out=$(tn flood wijkteam --mode big-entry --seq 2)
refused "$out" 8 "bytes where at most 4096 are allowed"
ok "an entry of 900 KB (a field the registry does not know) is refused: $(echo "$out" | json message)"
out=$(tn flood wijkteam --mode unknown-entry --seq 2)
refused "$out" 2 "the entry has fields this registry does not know"
ok "a signed entry of normal size with an unknown field is refused: $(echo "$out" | json message)"
out=$(tn flood wijkteam --mode unknown-request --seq 2)
refused "$out" 2 "the request has fields this registry does not know"
ok "a valid entry in a publish request with an unknown field is refused: $(echo "$out" | json message)"
out=$(tn flood wijkteam --mode unknown-anchor --seq 1)
refused "$out" 2 "the anchor has fields this registry does not know"
ok "an audit anchor with an unknown field is refused: $(echo "$out" | json message)"
"$SK_TESTNODE" init --dir ps9 --org-id ps9 --name "PS 9" --category pseudonymiser --role pseudonymiser >/dev/null
reg enrol --dir r --ca ca --request ps9/enrol-request --out ps9/bundle >/dev/null || fail "enrol ps9"
before=$(size) # the enrolment is a leaf
out=$(tn flood ps9 --mode unknown-epoch-key)
refused "$out" 2 "the epoch key has fields this registry does not know"
ok "a pseudonymiser's epoch key with an unknown field is refused: $(echo "$out" | json message)"
[ "$(size)" = "$before" ] || fail "a refused request grew the log ($before -> $(size))"
tn publish wijkteam --seq 2 --token-seed 2 >/dev/null || fail "seq 2 was used up by a refusal"
denied entry.publish "bytes where at most 4096"
denied entry.publish "the entry has fields"
denied entry.publish "the request has fields"
denied audit.anchor "the anchor has fields"
denied epoch.key "the epoch key has fields" ps9
ok "the refusals are audited at the registry, the log did not grow and sequence number 2 was still free"

# --- live entries: lowered by the operator while serve runs, then raised
reg quota --dir r --org wijkteam --entries 10 >/dev/null || fail "quota --entries"
reg quota --dir r --org wijkteam --json | grep -c >/dev/null '"live_entries": *2' || fail "live count: $(reg quota --dir r --org wijkteam --json)"
out=$(tn flood wijkteam --mode entries --seq 100 --count 12)
[ "$(echo "$out" | json accepted)" = 8 ] && [ "$(echo "$out" | json refused)" = 4 ] ||
	fail "live-entry quota of 10 (2 live): $out"
echo "$out" | json message | grep -c >/dev/null "reached its quota of 10 live entries" || fail "sentence: $out"
denied entry.publish "quota of 10 live entries"
ok "live entries over a quota of 10: 8 accepted, 4 refused: $(echo "$out" | json message)"
tn publish wijkteam --seq 200 --token-seed 100 --withdraw >/dev/null || fail "a withdrawal at the quota was refused"
tn publish wijkteam --seq 201 --token-seed 201 >/dev/null || fail "the withdrawal did not free a place"
ok "at the quota a withdrawal is accepted and frees a place for a new entry"
reg members --dir r | grep wijkteam | grep -c >/dev/null "10/10" || fail "members does not show the quota: $(reg members --dir r)"
reg quota --dir r --org wijkteam --entries default >/dev/null || fail "quota --entries default"
reg audit query --dir r --event quota.set | grep -c >/dev/null wijkteam || fail "quota.set not audited"
ok "members shows live entries and limit (10/10); quota changes are audited (quota.set)"

# --- publishes a minute
reg quota --dir r --org wijkteam --publishes-per-minute 30 >/dev/null || fail "quota --publishes-per-minute"
out=$(tn flood wijkteam --mode entries --seq 300 --count 90)
acc=$(echo "$out" | json accepted)
((acc <= 60 && $(echo "$out" | json refused) >= 30)) || fail "publishes a minute (30): $out"
echo "$out" | json message | grep -c >/dev/null "quota of 30 publishes a minute" || fail "sentence: $out"
ok "90 publishes against a quota of 30 a minute: $acc accepted, the rest refused: $(echo "$out" | json message)"
# anchors (and keys) are leaves too: with one publish a minute, an anchor
# right after a publish is refused (three tries, in case a minute turns)
reg quota --dir r --org wijkteam --publishes-per-minute 1 >/dev/null || fail "quota --publishes-per-minute 1"
for try in 1 2 3; do
	tn publish wijkteam --seq $((400 + try)) --token-seed 401 >/dev/null 2>&1 || true
	out=$(tn flood wijkteam --mode anchors --seq $((10 + try)))
	key=$(tn flood wijkteam --mode enc-keys)
	[ "$(echo "$out" | json refused)" = 1 ] && [ "$(echo "$key" | json refused)" = 1 ] && break
done
echo "$out" | json message | grep -c >/dev/null "quota of 1 publishes a minute (entries, anchors and keys)" ||
	fail "an anchor past the publishes a minute: $out"
echo "$key" | json message | grep -c >/dev/null "quota of 1 publishes a minute (entries, anchors and keys)" ||
	fail "an encryption key past the publishes a minute: $key"
denied audit.anchor "quota of 1 publishes a minute"
denied encryption.key "quota of 1 publishes a minute"
reg quota --dir r --org wijkteam --publishes-per-minute default >/dev/null
reg quota --dir r --org ps9 --publishes-per-minute 1 >/dev/null || fail "quota ps9"
out=$(tn flood ps9 --mode epoch-keys --count 2)
[ "$(echo "$out" | json refused)" = 1 ] || out=$(tn flood ps9 --mode epoch-keys --seq 10 --count 2) # a minute turned
echo "$out" | json message | grep -c >/dev/null "quota of 1 publishes a minute" || fail "a second epoch key in a minute: $out"
denied epoch.key "quota of 1 publishes a minute" ps9
ok "an audit anchor, an encryption key and a pseudonymiser's epoch key count as publishes: refused past the quota: $(echo "$out" | json message)"

# --- discussion messages: per discussion, then per day
D=$(tn discuss-open wijkteam --token "$TOKEN" | json id) || fail "discuss-open"
tn discuss-accept ggz --discussion "$D" >/dev/null || fail "discuss-accept"
reg quota --dir r --org wijkteam --messages-per-discussion 25 >/dev/null || fail "quota --messages-per-discussion"
out=$(tn discuss-flood wijkteam --discussion "$D" --to ggz --count 40)
[ "$(echo "$out" | json accepted)" = 25 ] && [ "$(echo "$out" | json refused)" = 15 ] ||
	fail "messages a discussion (25): $out"
echo "$out" | json message | grep -c >/dev/null "limit of 25 messages" || fail "sentence: $out"
denied discuss.message "limit of 25 messages"
ok "40 messages into a discussion capped at 25: 25 routed, 15 refused: $(echo "$out" | json message)"
D2=$(tn discuss-open wijkteam --token "$TOKEN" | json id) || fail "discuss-open 2"
tn discuss-accept ggz --discussion "$D2" >/dev/null || fail "discuss-accept 2"
reg quota --dir r --org wijkteam --messages-per-discussion default --messages-per-day 37 >/dev/null ||
	fail "quota --messages-per-day"
out=$(tn discuss-flood wijkteam --discussion "$D2" --to ggz --count 20)
[ "$(echo "$out" | json accepted)" = 10 ] && [ "$(echo "$out" | json refused)" = 10 ] ||
	fail "messages a day (37; 2 invitations and 25 messages sent): $out"
echo "$out" | json message | grep -c >/dev/null "quota of 37 discussion messages a day" || fail "sentence: $out"
out=$(tn discuss-open wijkteam --token "$TOKEN" 2>&1) && fail "a discussion request past the day's quota: $out"
echo "$out" | grep -c >/dev/null "quota of 37 discussion messages a day" || fail "discussion request sentence: $out"
ok "messages a day (37; 2 invitations and 25 messages already): 10 routed, 10 refused, and a new discussion request refused: $(echo "$out" | grep -o 'your organisation[^;]*')"
n=$(mdb_dump -s discuss_items r | grep -c '^ [0-9a-f]\{40\}$' || true)
[ "$n" = 35 ] || fail "discuss_items holds $n message keys, not 35"
# the two discussions' records (25 and 10 messages) are the same size, give or take a varint
read -r small big <<<"$(mdb_dump -s discussions r | python3 -c "
import sys
l = [x.strip() for x in sys.stdin if x.startswith(' ')]
print(*sorted(len(l[i + 1]) // 2 for i in range(0, len(l), 2)))")"
((big - small <= 4)) || fail "the discussion records grow with their messages: $small and $big bytes"
ok "each routed message is one key of its own under its discussion (35); the records of a discussion of 25 and one of 10 messages are $big and $small bytes"

# --- the flood, all at once, while the other member works
reg quota --dir r --org wijkteam --entries 50 --publishes-per-minute 100000 --messages-per-discussion 25 \
	--messages-per-day 100000 >/dev/null || fail "quota for the flood"
FLOOD=()
# the oversized entries keep coming (at least 30 from each of two clients)
# until the other member's rounds are done, however fast this build is
rm -f flood.stop
for i in 1 2; do
	(n=0
	while ((n < 30)) || [ ! -e flood.stop ]; do
		tn flood wijkteam --mode big-entry --seq 2
		n=$((n + 1))
	done) >big.$i &
	FLOOD+=($!)
done
tn flood wijkteam --mode entries --seq 10000 --count 3000 >many & FLOOD+=($!)
tn discuss-flood wijkteam --discussion "$D" --to ggz --count 1500 --bytes 60000 >msgs & FLOOD+=($!)
sleep 1
read -r flood_pub flood_look <<<"$(rounds 10 10)"
touch flood.stop
wait "${FLOOD[@]}"
big=$(cat big.1 big.2 | grep -c '"refused":1' || true)
((flood_pub <= BOUND_MS && flood_look <= BOUND_MS)) ||
	fail "the other member's requests took $flood_pub / $flood_look ms under the flood (bound $BOUND_MS)"
grep -q '"accepted":1' big.1 big.2 && fail "an oversized entry was accepted during the flood"
[ "$(json accepted <many)" -le 50 ] || fail "over the live-entry quota during the flood: $(cat many)"
[ "$(json accepted <msgs)" = 0 ] || fail "messages past the discussion cap during the flood: $(cat msgs)"
ok "during the flood ($big entries of 900 KB, 3000 entries over a quota of 50, 1500 messages of 60 KB into a full discussion): $(json refused <many) entries and $(json refused <msgs) messages refused"
ok "the other member, idle: publish $base_pub ms, lookup $base_look ms; during the flood: publish $flood_pub ms, lookup $flood_look ms (bound $BOUND_MS ms)"

# --- expiry: the sweeper's purge takes entries out of the live count
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry did not drain cleanly"
start_registry r "$REG_ADDR" --sweep-seconds 1
testnodes_up jeugd:jeugd
reg quota --dir r --org jeugd --entries 3 >/dev/null || fail "quota jeugd"
for s in 1 2 3; do
	tn publish jeugd --seq $s --token-seed $s --flags discuss --expires-ms 2500 >/dev/null || fail "publish jeugd $s"
done
out=$(tn flood jeugd --mode entries --seq 4 --count 1 --flags discuss)
[ "$(echo "$out" | json refused)" = 1 ] || fail "a fourth live entry over a quota of 3: $out"
sleep 5
reg quota --dir r --org jeugd --json | grep -c >/dev/null '"live_entries":0' || fail "expired entries still counted: $(reg quota --dir r --org jeugd --json)"
tn publish jeugd --seq 5 --token-seed 5 --flags discuss >/dev/null || fail "no room after the expiry"
ok "three entries at a quota of 3 expire, the sweeper purges them, the count drops to 0 and the next publish is accepted"

# --- the node shows the registry's sentence to the professional
chain_up
nodes_up altrecht:ggz
"$SK_NODE" professional add --dir altrecht --id bram --name "Bram Jansen" --role spv --dev >/dev/null 2>&1
for b in 111222333 123456782; do
	"$SK_NODE" client add --dir altrecht --bsn $b --dev >/dev/null 2>&1 || fail "client add $b"
done
reg quota --dir r --org altrecht --entries 1 >/dev/null || fail "quota altrecht"
"$SK_NODE" case open --dir altrecht --client 111222333 --as bram --consent discover,discuss \
	--categories all --dev >/dev/null 2>&1 || fail "the first case of altrecht"
set +e
msg=$("$SK_NODE" case open --dir altrecht --client 123456782 --as bram --consent discover,discuss \
	--categories all --dev 2>&1)
set -e
echo "$msg" | grep -c >/dev/null "your organisation has reached its quota of 1 live entries" ||
	fail "schakel-node does not show the refusal: $msg"
ok "schakel-node shows the professional the registry's sentence: $(echo "$msg" | grep -o 'your organisation has reached[^;]*')"

kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry did not drain cleanly"
reg audit verify --dir r >/dev/null || fail "audit verify"
ok "afterwards the registry drains cleanly and its audit log verifies"
