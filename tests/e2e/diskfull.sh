# A full database: a registry and a node whose LMDB map is capped small
# (SCHAKEL_MAP_SIZE) are filled until writes fail. The caller gets a clear
# error, reads are still served, nothing is corrupted (audit verify passes,
# every acknowledged entry is there) and after a restart with a larger map
# writes go on.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
"$SK_TESTNODE" init --dir wijkteam --org-id wijkteam --name "Org wijkteam" --category sociaal-team >/dev/null
"$SK_TESTNODE" init --dir ggz --org-id ggz --name "Org ggz" --category ggz >/dev/null
reg enrol --dir r --ca ca --request wijkteam/enrol-request --out wijkteam/bundle --registry 127.0.0.1:1 >/dev/null
reg enrol --dir r --ca ca --request ggz/enrol-request --out ggz/bundle --registry 127.0.0.1:1 >/dev/null

# a badly written size is refused, saying how to write it
SCHAKEL_MAP_SIZE=lots "$SK_REGISTRY" members --dir r --dev 2>err && fail "map size 'lots' accepted"
grep -q "SCHAKEL_MAP_SIZE='lots' is not a map size" err || fail "map size message: $(cat err)"

export SCHAKEL_MAP_SIZE=1M
start_registry r
unset SCHAKEL_MAP_SIZE
p() { "$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" --registry "$REG_ADDR" "${@:2}"; }
p ggz --seq 1 --token-seed 1 >/dev/null || fail "first publish"
# ggz's entry is there to be found; wijkteam fills the registry
"$SK_TESTNODE" burst --dir wijkteam --bundle wijkteam/bundle --registry "$REG_ADDR" --from 1 \
	--count 100000 --threads 1 >acks 2>/dev/null || true
n=$(wc -l <acks)
[ "$n" -gt 50 ] && [ "$n" -lt 100000 ] || fail "burst acknowledged $n entries"
kill -0 "$REG_PID" || fail "the registry died when its map filled"
out=$(p wijkteam --seq 200000 --token-seed 9) && fail "publish into a full map accepted: $out"
echo "$out" | grep -c >/dev/null '"error":12' && echo "$out" | grep -c >/dev/null "disk is full; nothing was stored" ||
	fail "full-map publish error: $out"
ok "registry with a 1M map: $n entries acknowledged, then publishes refused: $(echo "$out" | json message)"

# reads go on: checkpoint consistency and the mailbox over TLS, the CLI's reads
"$SK_TESTNODE" mailbox --dir ggz --bundle ggz/bundle --registry "$REG_ADDR" >/dev/null ||
	fail "mailbox while full"
reg checkpoint --dir r >cp || fail "checkpoint while full"
reg members --dir r | grep -c >/dev/null wijkteam || fail "members while full"
size=$(sed -n 2p cp)
reg proof --dir r --from 1 --to "$size" >/dev/null || fail "proof while full"
# audited reads use the map's reserve: a lookup (its audit record) and the
# byte-identical resubmission of the last 50 acknowledged entries (their
# original receipts); the reserve is an eighth of the map, not endless
tok=$(python3 -c 'import hashlib; print(hashlib.blake2b((1).to_bytes(8, "little"), digest_size=32, key=b"token").hexdigest())')
out=$("$SK_TESTNODE" lookup --dir ggz --bundle ggz/bundle --registry "$REG_ADDR" --token "$tok") ||
	fail "lookup while full: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "lookup while full: $out"
tail -50 acks >acks50
res=$("$SK_TESTNODE" resubmit --dir wijkteam --bundle wijkteam/bundle --old acks50 --registry "$REG_ADDR") ||
	fail "acknowledged entries not answered while full: $res"
ok "while full: mailbox over TLS, checkpoint (tree size $size), members, proofs, an audited lookup and 50 resubmissions are served"

# no corruption: the audit chain verifies on the full map
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "SIGTERM while full did not exit 0"
reg audit verify --dir r >/dev/null || fail "audit verify after the map filled"
ok "no corruption: audit verify passes on the full map; serve stopped cleanly"

# the refusals themselves are audited: their records go in the map's reserve
# (without one, the refused batch's commit fails and leaves no record)
reg audit query --dir r --outcome denied --json >denied.json || fail "audit query of the refusals"
grep -q "disk is full; nothing was stored" denied.json ||
	fail "no audit record of a full-map refusal: $(head -c 300 denied.json)"
ok "the full-map refusals are audited, in the map's reserve"

# recovery: a restart with a larger map takes writes again, every
# acknowledged entry is there (a byte-identical resubmission returns it)
export SCHAKEL_MAP_SIZE=16M
start_registry r
unset SCHAKEL_MAP_SIZE
res=$("$SK_TESTNODE" resubmit --dir wijkteam --bundle wijkteam/bundle --old acks --registry "$REG_ADDR") ||
	fail "acknowledged entries lost: $res"
[ "$(echo "$res" | json checked)" = "$n" ] || fail "not every ack was checked: $res"
out=$(p wijkteam --seq 200000 --token-seed 9) || fail "publish after growing the map: $out"
p ggz --seq 2 --token-seed 1 >/dev/null || fail "republish after growing the map"
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "SIGTERM"
reg audit verify --dir r >/dev/null || fail "audit verify after recovery"
ok "restart with SCHAKEL_MAP_SIZE=16M: all $n acknowledged entries there, publishes accepted, audit verify passes"

# the node: a capped map fills with clients; the error says what to do
"$SK_NODE" init --dir n --org-id n --name "Org n" --category ggz --dev >/dev/null 2>&1
export SCHAKEL_MAP_SIZE=512K
added=0
for b in $(bsns 3000 3); do
	try "$SK_NODE" client add --dir n --bsn "$b" --name "Synthetic Resident" --dev
	[ "$rc" = 0 ] || break
	added=$((added + 1))
done
[ "$rc" = 1 ] || fail "node: client add after $added clients: rc $rc: $msg"
echo "$msg" | grep -c >/dev/null "the database is full" && echo "$msg" | grep -c >/dev/null "raise the map size" ||
	fail "node full message: $msg"
ok "node with a 512K map: $added clients, then: $(echo "$msg" | tail -1)"
# audited reads still work on the full map
[ "$("$SK_NODE" client list --dir n --json --dev 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$added" ] ||
	fail "node client list while full"
"$SK_NODE" audit query --dir n --json --dev >q.json 2>/dev/null || fail "audit query while full"
grep -q '"client.add"' q.json || fail "audit query while full: no client.add"
ok "node while full: client list and audit query (both audited) are served"
unset SCHAKEL_MAP_SIZE
"$SK_NODE" audit verify --dir n --dev >/dev/null 2>&1 || fail "node audit verify after the map filled"
SCHAKEL_MAP_SIZE=8M "$SK_NODE" client add --dir n --bsn 111222333 --dev >/dev/null 2>&1 ||
	fail "node client add after growing the map"
[ "$("$SK_NODE" client list --dir n --json --dev 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = $((added + 1)) ] ||
	fail "node lost clients"
ok "node: audit verify passes after the map filled; with a larger map writes go on, no client lost"
