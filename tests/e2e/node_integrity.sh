# The node's own checks against a misbehaving pseudonymiser or registry,
# with the real schakel-node: a pseudonymiser that answers under another
# key than the one the bundle pins (case open, client import and lookup
# each exit 3 and keep evidence), and a registry that serves a fork of its
# log after the node's last sync, with no witnesses (quorum 0): sync and
# publish exit 3 with evidence, and the node keeps its own verified
# checkpoint.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
federation_up wijkteam:sociaal-team altrecht:ggz
node professional add --dir wijkteam --id anna --name "Anna" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram" --role spv >/dev/null
mapfile -t BSN < <(bsns 12 18)
for b in "${BSN[0]}" "${BSN[1]}" "${BSN[2]}"; do node client add --dir wijkteam --bsn "$b" >/dev/null; done
node client add --dir altrecht --bsn "${BSN[0]}" >/dev/null
node case open --dir wijkteam --client "${BSN[0]}" --as anna --consent discover --categories ggz \
	>/dev/null || fail "case open before the switch: $(tail -3 node.log)"
node case open --dir altrecht --client "${BSN[0]}" --as bram --consent discover \
	--categories sociaal-team >/dev/null || fail "case open at altrecht"
[ "$(node lookup --dir altrecht --client "${BSN[0]}" --as bram --purpose afstemming)" = \
	"wijkteam (sociaal-team)" ] || fail "no match before the switch"
ok "two nodes through the chain: tokens verified, entries published, a match"

# ---- a pseudonymiser answering under a switched key ----------------------
# ps1's operator (or whoever holds its data dir) swaps its OPRF key for
# another one (ps2's, so it is a valid key of the chain), and makes ps1's
# own records agree, so ps1 serves without complaint; the bundles still pin
# ps1's real key. pkey DIR: a pseudonymiser's epoch 1 key (status --json).
pkey() { psd status --dir "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["epochs"][0]["oprf_key"])'; }
K1=$(pkey ps1) K2=$(pkey ps2)
[ -n "$K1" ] && [ -n "$K2" ] && [ "$K1" != "$K2" ] || fail "pseudonymiser keys: $K1 / $K2"
kill -TERM "$PS1_PID"; wait "$PS1_PID" || fail "ps1 SIGTERM"
cp -a ps1 ps1.real
cp ps2/oprf-1.key ps1/oprf-1.key
mdb_dump -a ps1 | sed "s/$K1/$K2/g" >ps1.dump
grep -q "$K2" ps1.dump || fail "ps1's epoch record not found"
rm -rf ps1.new && mkdir -m 700 ps1.new && mdb_load ps1.new <ps1.dump 2>/dev/null
mv ps1.new/data.mdb ps1/data.mdb && rm -f ps1/lock.mdb && chmod 600 ps1/data.mdb
start_pseudonymiser ps1 --sync-seconds 1 --listen "$A1"; PS1_PID=$PS_PID
[ "$(pkey ps1)" = "$K2" ] || fail "ps1 does not serve the switched key"

evidence() { ls "$1"/evidence/*-pseudonymiser-proof 2>/dev/null | wc -l; }
nodex() { set +e; out=$("$SK_NODE" "$@" --dev 2>&1); rc=$?; set -e; }
# a new case: the token through the chain fails its proof
nodex case open --dir wijkteam --client "${BSN[1]}" --as anna --consent discover --categories ggz
[ "$rc" = 3 ] || fail "case open under a switched key: rc $rc: $out"
echo "$out" | grep -c >/dev/null "pseudonymiser ps1 answered with a proof that does not verify" ||
	fail "case open: $out"
[ "$(evidence wijkteam)" = 1 ] || fail "case open kept no evidence: $(ls wijkteam/evidence 2>&1)"
grep -q "^pinned-key $K1\$" wijkteam/evidence/*-pseudonymiser-proof || fail "evidence names no pinned key"
grep -q "^proof [0-9a-f]\{128\}\$" wijkteam/evidence/*-pseudonymiser-proof || fail "evidence holds no proof"
if grep -q -e "${BSN[1]}" wijkteam/evidence/*; then fail "the evidence holds a BSN"; fi
# the case was recorded before the token was asked for: a lookup for it
# needs the token too
nodex lookup --dir wijkteam --client "${BSN[1]}" --as anna --purpose afstemming
[ "$rc" = 3 ] || fail "lookup under a switched key: rc $rc: $out"
echo "$out" | grep -c >/dev/null "pseudonymiser ps1 answered with a proof that does not verify" || fail "lookup: $out"
[ "$(evidence wijkteam)" = 2 ] || fail "lookup kept no evidence"
# bulk: a batch of tokens in one request per pseudonymiser
bsns 20 19 >import.csv
nodex client import --dir altrecht --file import.csv
[ "$rc" = 3 ] || fail "client import under a switched key: rc $rc: $out"
echo "$out" | grep -c >/dev/null "pseudonymiser ps1 answered with a proof that does not verify" || fail "import: $out"
[ "$(evidence altrecht)" = 1 ] || fail "client import kept no evidence"
[ "$(grep -c '^sent ' altrecht/evidence/*-pseudonymiser-proof)" = 1 ] &&
	[ "$(sed -n 's/^evaluated //p' altrecht/evidence/*-pseudonymiser-proof | wc -w)" = 20 ] ||
	fail "import evidence: $(head -c 400 altrecht/evidence/*-pseudonymiser-proof)"
ok "a pseudonymiser under a switched key: case open, lookup and client import exit 3 with evidence"

# ps1 back on its own key: the same commands go through (the failure above
# was the switched key's, nothing else)
kill -TERM "$PS1_PID"; wait "$PS1_PID" || fail "ps1 SIGTERM"
rm -rf ps1 && mv ps1.real ps1
start_pseudonymiser ps1 --sync-seconds 1 --listen "$A1"; PS1_PID=$PS_PID
node sync --dir wijkteam >/dev/null || fail "sync after ps1 is back: $(tail -3 node.log)"
out=$(node lookup --dir wijkteam --client "${BSN[1]}" --as anna --purpose afstemming) ||
	fail "lookup after ps1 is back: $(tail -3 node.log)"
out=$(node client import --dir altrecht --file import.csv) || fail "import after ps1 is back"
echo "$out" | grep -c >/dev/null "20 tokens computed" || fail "import after ps1 is back: $out"
ok "with the pinned key again the same case, lookup and import go through"

# ---- a registry that forks its log after the node's last sync ------------
# No witnesses (quorum 0): the node's own consistency check is all there is.
# The operator copies the registry's data dir; the original grows and the
# node syncs with it; then the copy is served instead, grown its own way
# past the size the node verified. size_of F: the tree size of a checkpoint.
size_of() { sed -n 2p "$1"; }
synced_size() { python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])' <sync.json; }
grow() { # DIR NAME...: the log of DIR grows by a member leaf per NAME
	local d=$1 m
	shift
	for m in "$@"; do
		psd init --dir "$m" --org-id "$m" --name "Member $m" >/dev/null
		reg enrol --dir "$d" --ca ca --request "$m/enrol-request" --out "$m.bundle" >/dev/null
	done
}
node sync --dir wijkteam >/dev/null || fail "sync before the fork: $(tail -3 node.log)"
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
cp -a r rfork
start_registry r "$REG_ADDR"
grow r a1 a2
reg checkpoint --dir r >cp.seen
for _ in $(seq 50); do
	node sync --dir wijkteam --json >sync.json || fail "sync on the original: $(tail -3 node.log)"
	[ "$(synced_size)" = "$(size_of cp.seen)" ] && break
	sleep 0.2
done
[ "$(synced_size)" = "$(size_of cp.seen)" ] || fail "the node did not see the original grow"
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
grow rfork b1 b2 b3 b4
reg checkpoint --dir rfork >cp.fork
[ "$(size_of cp.fork)" -gt "$(size_of cp.seen)" ] || fail "the fork did not grow past the node's view"
cmp -s <(sed -n 3p cp.seen) <(sed -n 3p cp.fork) && fail "the fork has the original's root"
start_registry rfork "$REG_ADDR"
nodex sync --dir wijkteam
[ "$rc" = 3 ] || fail "a forked log was accepted by sync (rc $rc): $out"
echo "$out" | grep -c >/dev/null "not consistent with the one this node verified before (a forked log)" ||
	fail "fork message: $out"
ls wijkteam/evidence/*-inconsistent-checkpoint >/dev/null 2>&1 || fail "sync kept no evidence of the fork"
# the node kept its own view: asked again, and on a publish, it refuses again
nodex sync --dir wijkteam
[ "$rc" = 3 ] || fail "a second sync accepted the fork (rc $rc): $out"
forks() { ls wijkteam/evidence/*-inconsistent-checkpoint | wc -l; }
before=$(forks)
nodex case open --dir wijkteam --client "${BSN[2]}" --as anna --consent discover --categories ggz
[ "$rc" = 3 ] || fail "a publish to the forked log was accepted (rc $rc): $out"
echo "$out" | grep -c >/dev/null "(a forked log)" || fail "publish on the fork: $out"
[ "$(forks)" -gt "$before" ] || fail "publish kept no evidence of the fork"
ok "a forked log served after the node's last sync (quorum 0): sync and publish exit 3 with evidence"
