# Two rollovers of the registry's log (docs/protocol.md "A chain of
# rollovers"): the disk lost and restored (…/registry -> …/registry/2),
# later a planned move (…/2 -> …/3). wijkteam syncs across the first and
# then the second; altrecht is offline for both and follows the chain of
# two statements at once; the witness ps3, down during the first rollover,
# is brought through both statements by the registry's cosigning round.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

OLD=test.example/registry NEW=test.example/registry/2 NEW3=test.example/registry/3
registry_up
openssl x509 -inform der -in ca/ca.crt -out ca.pem
PS1_OPTS="--witness-listen 127.0.0.1:0" chain_up
[ -n "$WIT1" ] || fail "ps1 printed no witness address"
# ps3: a witness only (enrolled, not in the pseudonymisers' chain)
psd init --dir ps3 --org-id ps3 --name "Pseudonymiser ps3" >/dev/null
reg enrol --dir r --ca ca --request ps3/enrol-request --out ps3.bundle >/dev/null
psd join --dir ps3 --bundle ps3.bundle >/dev/null
start_pseudonymiser ps3 --sync-seconds 1 --witness-listen 127.0.0.1:0
PS3_PID=$PS_PID WIT3=$WIT_ADDR
[ -n "$WIT3" ] || fail "ps3 printed no witness address"
CHAIN="$CHAIN --witness ps1@https://$WIT1 --witness ps3@https://$WIT3 --quorum 1"
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
cosigned_by() { # cosigned_by WITNESS: wait until the registry's cosigned checkpoint carries it
	for _ in $(seq 150); do
		reg checkpoint --dir r --cosigned 2>/dev/null | grep -c >/dev/null "^— $1 " && return 0
		sleep 0.1
	done
	return 1
}
nodes_up wijkteam:sociaal-team altrecht:ggz
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
BSN=111222333 BSN2=123456782
for org in wijkteam altrecht; do
	node client add --dir $org --bsn $BSN --name "Jan Modaal" >/dev/null
	node client add --dir $org --bsn $BSN2 --name "Piet Modaal" >/dev/null
done
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact \
	--categories all >/dev/null || fail "case open: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN --as bram --consent discover --categories all \
	>/dev/null || fail "case open altrecht: $(tail -3 node.log)"
node case open --dir wijkteam --client $BSN2 --as anna --consent discover --categories all \
	>/dev/null || fail "case open wijkteam 2: $(tail -3 node.log)"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null ||
	fail "first syncs: $(tail -3 node.log)"
cosigned_by ps3 || fail "ps3 does not cosign $OLD: $(tail -3 serve.log)"

# the nightly backup; after it altrecht opens a case and syncs, then goes offline
reg backup-key --out offline.key >/dev/null || fail "backup-key"
reg backup --dir r --to r.bk --recipient offline.key.pub >/dev/null || fail "registry backup: $(tail -2 stderr.log)"
node case open --dir altrecht --client $BSN2 --as bram --consent discover --categories all \
	>/dev/null || fail "case open after the backup: $(tail -3 node.log)"
node sync --dir altrecht >/dev/null && node sync --dir wijkteam >/dev/null ||
	fail "syncs after the backup: $(tail -3 node.log)"
witnessed_fetch "$OLD"
ok "the federation runs on $OLD; altrecht synced after the backup (log at $(sed -n 2p witnessed) leaves)"

# the witness ps3 goes down; the registry's disk is lost; rollover 1
kill -TERM "$PS3_PID"; wait "$PS3_PID" 2>/dev/null || true
disk_lost
out=$(reg rollover --dir r --origin "$NEW" --witnessed witnessed) || fail "rollover 1: $(tail -2 stderr.log)"
start_registry r "$REG_ADDR"
cosigned_by ps1 || fail "ps1 did not cosign $NEW: $(tail -3 serve.log)"
out=$(node sync --dir wijkteam) || fail "wijkteam across the first rollover: $(tail -3 node.log)"
echo "$out" | grep -c >/dev/null "rolled over to $NEW" || fail "wijkteam did not report the first rollover: $out"
ok "wijkteam follows the first rollover ($OLD -> $NEW)"

# a planned move of the registry: rollover 2 with --reason move
node sync --dir wijkteam >/dev/null || fail "wijkteam's second sync on $NEW: $(tail -3 node.log)"
witnessed_fetch "$NEW"
kill -TERM "$REG_PID"; wait "$REG_PID" 2>/dev/null || true
out=$(reg rollover --dir r --origin "$NEW3" --witnessed witnessed --reason move) ||
	fail "rollover 2: $(tail -2 stderr.log)"
[ "$out" = "log $NEW goes on as $NEW3" ] || fail "rollover 2 printed: $out"
# a name the log had before is refused
set +e; reg rollover --dir r --origin "$OLD" --witnessed witnessed --reason move >/dev/null; rc=$?; set -e
[ "$rc" != 0 ] || fail "a rollover to a log name used before was taken"
start_registry r "$REG_ADDR"
cosigned_by ps1 || fail "ps1 did not cosign $NEW3: $(tail -3 serve.log)"

# ps3 comes back (the next cosigning round, when the log grows, takes it
# through both statements)
start_pseudonymiser ps3 --sync-seconds 1 --witness-listen "$WIT3"

# wijkteam follows the second rollover (one statement)
out=$(node sync --dir wijkteam) || fail "wijkteam across the second rollover: $(tail -3 node.log)"
echo "$out" | grep -c >/dev/null "rolled over to $NEW3" || fail "wijkteam did not report the second rollover: $out"
# altrecht, offline for both, follows the chain of two at once and publishes once
out=$(node sync --dir altrecht --json) || fail "altrecht across two rollovers: $(tail -3 node.log)"
echo "$out" | python3 -c "
import json, sys
s = json.load(sys.stdin)
assert s['rolled_over_to'] == '$NEW3' and s['published'] == 2 and s['rotated'] and s['anchored'], s" ||
	fail "altrecht's sync --json across two rollovers: $(echo $out)"
[ "$(grep -c "rolled over to" node.log)" -ge 1 ] || fail "no rollover logged"
out=$(node sync --dir altrecht) || fail "altrecht's next sync: $(tail -3 node.log)"
echo "$out" | grep -c >/dev/null "rolled over" && fail "altrecht reported the rollover twice: $out"
ok "wijkteam follows the second rollover; altrecht, offline for both, follows the chain of two and publishes its open cases once"

# the nodes' republish grew the log: the round took ps3 along
cosigned_by ps3 || fail "ps3 (down during the first rollover) did not follow to $NEW3: $(tail -5 serve.log)"
grep -c >/dev/null "witness ps3 follows this log after the rollover" serve.log ||
	fail "the registry did not report ps3 following: $(tail -5 serve.log)"
ok "the witness ps3, down during the first rollover, follows both statements to $NEW3"

# the entry altrecht acknowledged after the backup is live again
out=$(node lookup --dir wijkteam --client $BSN2 --as anna --purpose afstemming) ||
	fail "lookup after two rollovers: $out"
echo "$out" | grep -c >/dev/null altrecht || fail "altrecht's entry is not live again: $out"
for org in wijkteam altrecht; do
	node audit verify --dir $org >/dev/null || fail "audit verify $org"
	node audit verify --dir $org --registry >/dev/null || fail "audit verify --registry $org"
done
reg audit verify --dir r >/dev/null || fail "registry audit verify"
ok "the entries are live again on $NEW3; audits verify"
