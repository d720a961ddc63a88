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
echo "$out" | grep -ci >/dev/null "bsn" || fail "invalid BSN message: $out"
ok "clients registered; an invalid BSN is refused"

# bulk import: the whole file is checked first, tokens come in batches
{ echo "bsn,name,birthdate"; bsns 3 7 | sed 's/$/,Synthetic Resident,1990-01-01/'; echo 123456789; } >bad.csv
out=$(nodex client import --dir tactus --file bad.csv) && fail "import with an invalid BSN"
echo "$out" | grep -c >/dev/null "line 5: not a valid BSN" || fail "import refusal: $out"
[ "$(node client list --dir tactus --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	fail "a refused import stored clients"
bsns 300 11 >good.csv
psd grant --dir ps1 --org tactus --extra 1000 >/dev/null
psd grant --dir ps2 --org tactus --extra 1000 >/dev/null
out=$(node client import --dir tactus --file good.csv) || fail "import: $(tail -2 node.log)"
[ "$out" = "300 clients imported, 0 already registered, 300 tokens computed" ] || fail "import: $out"
ok "client import: all rows checked first; 300 clients and their tokens in one batch per pseudonymiser"

# both sides consent to discovery and contact: a match on both sides
c1=$(node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all) || fail "case open wijkteam: $(tail -3 node.log)"
c2=$(node case open --dir altrecht --client $BSN --as bram --consent discover,discuss \
	--categories sociaal-team) || fail "case open altrecht"
node sync --dir wijkteam >/dev/null || fail "sync wijkteam: $(tail -3 node.log)"
node sync --dir altrecht >/dev/null || fail "sync altrecht"
node matches --dir wijkteam | grep -c >/dev/null "altrecht (ggz) is also involved with your client c-1, case $c1" ||
	fail "match at wijkteam: $(node matches --dir wijkteam)"
node matches --dir altrecht | grep -c >/dev/null "wijkteam (sociaal-team) is also involved" || fail "match at altrecht"
ok "entries published through the chain; matches on both sides"

# lookup: the partner, its category and the opened contact (only under CONTACT)
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming) || fail "lookup: $out"
echo "$out" | grep -c >/dev/null "wijkteam (sociaal-team): Anna de Vries, wijkcoach, 030-1234567" ||
	fail "lookup at altrecht: $out"
out=$(node lookup --dir wijkteam --client c-1 --as anna --purpose afstemming)
[ "$out" = "Org altrecht — altrecht (ggz)" ] || fail "lookup at wijkteam (no contact allowed; partner by its name): $out"
node sync --dir wijkteam >/dev/null
node notices --dir wijkteam | grep -c >/dev/null "altrecht (ggz, spv) looked up your client c-1 for afstemming" ||
	fail "notice at wijkteam: $(node notices --dir wijkteam)"
ok "lookups show partner, category and the contact under CONTACT; disclosure notices kept"

# serve: background sync and the local JSON API, behind the token
"$SK_NODE" serve --dir wijkteam --dev --web 127.0.0.1:0 --sync-seconds 1 >api.out 2>>node.log &
API_PID=$!; PIDS+=("$API_PID")
for _ in $(seq 100); do grep -q '^listening' api.out && break; sleep 0.1; done
API=$(sed -n 's/^listening on //p' api.out)
[ -n "$API" ] || fail "node serve did not start"
python3 - "$API" "$(cat wijkteam/api-token)" <<'PY' || fail "local API"
import json, sys, urllib.request, urllib.error
base, token = "http://" + sys.argv[1], sys.argv[2]
def get(path, tok=token, method="GET"):
    req = urllib.request.Request(base + path, method=method,
                                 headers={"Authorization": "Bearer " + tok} if tok else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)
try:
    get("/api/status", tok=None)
    sys.exit("answered without the token")
except urllib.error.HTTPError as e:
    assert e.code == 401, e.code
st = get("/api/status")
assert st["id"] == "wijkteam" and st["joined"], st
m = get("/api/matches")["items"]
assert any(x["org"] == "altrecht" and x["kind"] == "match" for x in m), m
n = get("/api/notices")["items"]
assert any(x["kind"] == "disclosure" and x["org"] == "altrecht" for x in n), n
assert get("/api/sync", method="POST")["status"] == "sync started"
c = get("/api/cases")
assert c["items"] and all("id" in x for x in c["items"]) and c["next"] is None, c
# paging: a bad limit or cursor, both cursors, or a name search over the
# whole node (the token without 'as') are refused
for q in ("limit=0", "limit=201", "after=zz", "after=" + "0" * 48 + "&before=" + "0" * 48, "q=jan"):
    try:
        get("/api/cases?" + q)
        sys.exit(f"/api/cases?{q} answered")
    except urllib.error.HTTPError as e:
        assert e.code == 400, (q, e.code)
PY
kill -TERM "$API_PID"; wait "$API_PID" || fail "node serve did not exit 0 on SIGTERM"
ok "node serve: background sync and the local JSON API behind its token"

# a professional who is not assigned gets nothing, and is told why
node professional add --dir altrecht --id dora --name "Dora" --role spv >/dev/null
out=$(nodex lookup --dir altrecht --client $BSN --as dora --purpose afstemming) && fail "unassigned lookup"
echo "$out" | grep -c >/dev/null "not assigned" || fail "unassigned: $out"
ok "a lookup by a professional not assigned to the client is refused"

# a statutory basis allows discuss only: the node will not make an entry
# that discovers on it, whatever consent flags are asked for
for flags in discover discover,discuss discover,contact,discuss; do
	out=$(nodex case open --dir tactus --client $BSN --as cees --basis statutory:meldcode \
		--consent $flags --categories sociaal-team,ggz) && fail "statutory case with $flags opened"
	echo "$out" | grep -c >/dev/null "a statutory basis allows discuss only" || fail "statutory $flags: $out"
done
[ "$(node case list --dir tactus --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
	fail "a refused statutory case was recorded"
ok "the node refuses a statutory-basis case with DISCOVER or CONTACT"

# tactus under a statutory basis: discuss only, never discovered
node case open --dir tactus --client $BSN --as cees --basis statutory:meldcode \
	--categories sociaal-team,ggz >/dev/null ||
	fail "statutory case"
out=$(node lookup --dir tactus --client $BSN --as cees --purpose signaal)
[ "$out" = "no partner organisation can be shown for this client" ] || fail "statutory lookup: $out"
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming)
echo "$out" | grep -c >/dev/null tactus && fail "statutory entry discovered"
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
echo "$out" | grep -c >/dev/null "client+parent" || fail "age rule message: $out"
node case open --dir wijkteam --client 123456782 --as anna --consent discover --categories ggz \
	--consent-by client+parent >/dev/null || fail "client+parent"
ok "Dutch age rules for consent"

# a pseudonymiser rotates: with the refreshed bundle each node re-derives
# its tokens and republishes under the new epoch; matching goes on there
psd rotate --dir ps2 --until "$(date -d '+1 year' +%F)" >/dev/null || fail "rotate"
node case consent --dir wijkteam --case "$c1" --as anna --consent discover,contact --categories all >/dev/null
for org in wijkteam altrecht; do
	reg enrol --dir r --refresh $org --out $org.bundle2 $CHAIN >/dev/null
	node join --dir $org --bundle $org.bundle2 >/dev/null || fail "rejoin $org"
	node sync --dir $org >/dev/null || fail "sync $org after rotation"
done
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming)
echo "$out" | grep -c >/dev/null "^Org wijkteam — wijkteam (sociaal-team)" || fail "no match under the new epoch: $out"
node case list --dir wijkteam >/dev/null
ok "after a rotation, entries are re-derived and republished under the new epoch"

# closing the last case withdraws the entry
c3=$(node case open --dir altrecht --client $BSN --as bram --consent discover --categories sociaal-team)
node case close --dir altrecht --case "$c2" --as bram >/dev/null
node case close --dir altrecht --case "$c3" --as bram >/dev/null || fail "case close"
out=$(node lookup --dir wijkteam --client $BSN --as anna --purpose afstemming)
[ "$out" = "no partner organisation can be shown for this client" ] || fail "after the last close: $out"
ok "closing the last case withdraws the entry at once"

# restart keeps everything
[ "$(node case list --dir wijkteam --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "cases after restart"
node matches --dir wijkteam | grep -c >/dev/null altrecht || fail "matches after restart"
ok "a node restart keeps records, matches and notices"

# a world-readable data dir is refused
chmod 755 tactus
out=$(nodex case list --dir tactus) && fail "loose data dir accepted"
echo "$out" | grep -c >/dev/null "chmod 700" || fail "loose dir message: $out"
chmod 700 tactus
ok "a node on a world-readable data dir is refused"

# someone enrolled as us: a registry operator bypassing enrolment's checks
# (simulated by editing the members database) gets a certificate issued for
# altrecht's org id; altrecht's next sync raises the alert
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
cp r/data.mdb snapshot.mdb # the log as it is now, for the rollback test below
ALT=$(members_key altrecht)
members_value r altrecht >alt.value
members_edit r "$ALT"
start_registry r "$REG_ADDR"
node init --dir imposter --org-id altrecht --name "Altrecht" --category ggz >/dev/null
reg enrol --dir r --ca ca --request imposter/enrol-request --out imposter.bundle >/dev/null
kill -TERM "$REG_PID"; wait "$REG_PID"
members_edit r "$ALT" "$(cat alt.value)" # the real altrecht's record again
start_registry r "$REG_ADDR"
out=$(nodex sync --dir altrecht) || fail "sync after the imposter: $out"
echo "$out" | grep -c >/dev/null "ALERT: the registry's log holds a certificate for our org id" || fail "no alert: $out"
node notices --dir altrecht | grep -c >/dev/null "did not request" || fail "alert not in notices"
ok "a certificate for our org id that we did not request raises an alert"

# a registry rolled back to an older copy of its log: sync exits 3
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
cp r/data.mdb current.mdb
cp snapshot.mdb r/data.mdb && rm -f r/lock.mdb
start_registry r "$REG_ADDR"
set +e; out=$(nodex sync --dir altrecht); rc=$?; set -e
[ "$rc" = 3 ] && echo "$out" | grep -c >/dev/null "rolled-back" || fail "rollback not detected (rc $rc): $out"
kill -TERM "$REG_PID"; wait "$REG_PID"
cp current.mdb r/data.mdb && rm -f r/lock.mdb
ok "a registry rolled back to an older log is detected by sync (exit 3)"

# a tampered checkpoint: sync exits 3 and keeps the evidence
python3 - r/data.mdb <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
origin = b"test.example/registry\n"
i, n = data.find(origin), 0
# every copy LMDB keeps: flip one base64 character of the root hash line
while i >= 0:
    j = data.index(b"\n", i + len(origin)) + 1
    data[j + 5] = ord("A") if data[j + 5] != ord("A") else ord("B")
    n += 1
    i = data.find(origin, j)
assert n > 0
open(path, "wb").write(data)
PY
start_registry r "$REG_ADDR" # where the bundles say it is
set +e; out=$(nodex sync --dir altrecht); rc=$?; set -e
[ "$rc" = 3 ] || fail "tampered checkpoint: rc $rc: $out"
# by the log key's signature (the consistency proof from our stored
# checkpoint would fail too, later)
echo "$out" | grep -c >/dev/null "checkpoint does not verify" || fail "tampered checkpoint: not by its signature: $out"
ls altrecht/evidence/* >/dev/null 2>&1 || fail "no evidence kept"
ok "a tampered checkpoint is detected by sync (exit 3, evidence kept)"

# no BSN or client name outside the nodes
for d in r ps1 ps2; do
	if grep -rqa -e "$BSN" -e "$NAME" -e 123456782 "$d"; then fail "$d holds a BSN or a client name"; fi
	if grep -rqaF -f good.csv "$d"; then fail "$d holds an imported BSN"; fi
done
if grep -qa -e "$BSN" -e "$NAME" wijkteam/data.mdb; then fail "the node stores a BSN in clear"; fi
ok "registry and pseudonymiser data dirs hold no BSN or client name; nodes hold them sealed"
