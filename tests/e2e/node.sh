# Three organisations' nodes against a registry and two pseudonymisers:
# records, tokens through the chain, publish with every receipt checked,
# matches and notices on both sides, lookups with the opened contact,
# consent rules, withdrawal, a tampered checkpoint, restart, and no BSN or
# client name ever outside the nodes.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r
chain_up

node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; } # with the diagnostics
for spec in wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg; do
	org=${spec%%:*} cat=${spec#*:}
	node init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org.bundle $CHAIN >/dev/null
	psd allow --dir ps1 --org $org >/dev/null
	psd allow --dir ps2 --org $org >/dev/null
	node join --dir $org --bundle $org.bundle >/dev/null || fail "join $org"
done
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach \
	--phone 030-1234567 --email anna@wijkteam.example >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
node professional add --dir tactus --id cees --name "Cees Bakker" --role verslavingsarts >/dev/null
ok "three nodes initialised, enrolled and joined; professionals added"

BSN=111222333
NAME="Jan Modaal"
node client add --dir wijkteam --bsn $BSN --name "$NAME" --birthdate 1980-05-01 >/dev/null
node client add --dir altrecht --bsn $BSN --name "$NAME" >/dev/null
node client add --dir tactus --bsn $BSN >/dev/null
out=$(nodex client add --dir wijkteam --bsn 123456789) && fail "invalid BSN accepted"
echo "$out" | grep -qi "bsn" || fail "invalid BSN message: $out"
ok "clients registered; an invalid BSN is refused"

# both sides consent to discovery and contact: a match on both sides
c1=$(node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all) || fail "case open wijkteam: $(tail -3 node.log)"
c2=$(node case open --dir altrecht --client $BSN --as bram --consent discover,discuss \
	--categories sociaal-team) || fail "case open altrecht"
node sync --dir wijkteam >/dev/null || fail "sync wijkteam: $(tail -3 node.log)"
node sync --dir altrecht >/dev/null || fail "sync altrecht"
node matches --dir wijkteam | grep -q "altrecht (ggz) is also involved with your client c-1, case $c1" ||
	fail "match at wijkteam: $(node matches --dir wijkteam)"
node matches --dir altrecht | grep -q "wijkteam (sociaal-team) is also involved" || fail "match at altrecht"
ok "entries published through the chain; matches on both sides"

# lookup: the partner, its category and the opened contact (only under CONTACT)
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming) || fail "lookup: $out"
echo "$out" | grep -q "wijkteam (sociaal-team): Anna de Vries, wijkcoach, 030-1234567" ||
	fail "lookup at altrecht: $out"
out=$(node lookup --dir wijkteam --client c-1 --as anna --purpose afstemming)
[ "$out" = "altrecht (ggz)" ] || fail "lookup at wijkteam (no contact allowed): $out"
node sync --dir wijkteam >/dev/null
node notices --dir wijkteam | grep -q "altrecht (ggz, spv) looked up your client c-1 for afstemming" ||
	fail "notice at wijkteam: $(node notices --dir wijkteam)"
ok "lookups show partner, category and the contact under CONTACT; disclosure notices kept"

# a professional who is not assigned gets nothing, and is told why
node professional add --dir altrecht --id dora --name "Dora" --role spv >/dev/null
out=$(nodex lookup --dir altrecht --client $BSN --as dora --purpose afstemming) && fail "unassigned lookup"
echo "$out" | grep -q "not assigned" || fail "unassigned: $out"
ok "a lookup by a professional not assigned to the client is refused"

# tactus under a statutory basis: discuss only, never discovered
node case open --dir tactus --client $BSN --as cees --basis statutory:meldcode \
	--categories sociaal-team,ggz >/dev/null ||
	fail "statutory case"
out=$(node lookup --dir tactus --client $BSN --as cees --purpose signaal)
[ "$out" = "no partner organisation can be shown for this client" ] || fail "statutory lookup: $out"
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming)
echo "$out" | grep -q tactus && fail "statutory entry discovered"
ok "a statutory-basis entry is never discovered"

# consent withdrawn: visibility gone at once
node case consent --dir wijkteam --case "$c1" --as anna --consent none >/dev/null || fail "withdraw"
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming)
[ "$out" = "no partner organisation can be shown for this client" ] || fail "after withdrawal: $out"
ok "consent none removes visibility at once"

# age rules at the node
node client add --dir wijkteam --bsn 123456782 --birthdate "$(date -d '-14 years' +%F)" >/dev/null
out=$(nodex case open --dir wijkteam --client 123456782 --as anna --consent discover --categories ggz) &&
	fail "14-year-old without a parent"
echo "$out" | grep -q "client+parent" || fail "age rule message: $out"
node case open --dir wijkteam --client 123456782 --as anna --consent discover --categories ggz \
	--consent-by client+parent >/dev/null || fail "client+parent"
ok "Dutch age rules for consent"

# restart keeps everything
[ "$(node case list --dir wijkteam --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "cases after restart"
node matches --dir wijkteam | grep -q altrecht || fail "matches after restart"
ok "a node restart keeps records, matches and notices"

# a world-readable data dir is refused
chmod 755 tactus
out=$(nodex case list --dir tactus) && fail "loose data dir accepted"
echo "$out" | grep -q "chmod 700" || fail "loose dir message: $out"
chmod 700 tactus
ok "a node on a world-readable data dir is refused"

# a tampered checkpoint: sync exits 3 and keeps the evidence
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
python3 - r/data.mdb <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
i = data.find(b"test.example/registry\n")
assert i >= 0
# the root hash line follows origin and size: flip one base64 character of it
j = data.index(b"\n", i + len(b"test.example/registry\n")) + 1
data[j + 5] = ord("A") if data[j + 5] != ord("A") else ord("B")
open(path, "wb").write(data)
PY
start_registry r "$REG_ADDR" # where the bundles say it is
set +e; out=$(nodex sync --dir altrecht); rc=$?; set -e
[ "$rc" = 3 ] || fail "tampered checkpoint: rc $rc: $out"
ls altrecht/evidence/* >/dev/null 2>&1 || fail "no evidence kept"
ok "a tampered checkpoint is detected by sync (exit 3, evidence kept)"

# no BSN or client name outside the nodes
for d in r ps1 ps2; do
	if grep -rqa -e "$BSN" -e "$NAME" -e 123456782 "$d"; then fail "$d holds a BSN or a client name"; fi
done
if grep -qa -e "$BSN" -e "$NAME" wijkteam/data.mdb; then fail "the node stores a BSN in clear"; fi
ok "registry and pseudonymiser data dirs hold no BSN or client name; nodes hold them sealed"
