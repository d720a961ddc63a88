# The sociale kaart end to end: three orgs publish their directory records
# from the CLI (each a signed leaf of the registry's log, its receipt and
# inclusion checked), a fourth member's record altered after signing is
# refused, every node's sync fetches and verifies the records, and one
# searches by service, municipality, target group and text; a waiting time
# given more than 30 days ago shows as stale; display names stand in for
# org ids; the log verifies; publishing and searching are audited.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}" "${SK_TESTNODE:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz kredietbank:schuldhulp
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; } # with the diagnostics

# --help lists the vocabulary
node directory publish --help | grep -c >/dev/null "schuldhulp" || fail "publish --help lacks the services"
node directory publish --help | grep -c >/dev/null "volwassenen" || fail "publish --help lacks the target groups"

old=$(date -u -d '-40 days' +%F)
cat >wijkteam.json <<JSON
{"display_name": "Wijkteam Zeist-Noord", "municipalities": ["Zeist"],
 "services": ["maatschappelijk-werk", "schuldhulp"], "target_groups": ["volwassenen", "gezinnen"],
 "how_to_refer": "Bel de wegwijzer of mail het wijkteam", "waiting_weeks": 1,
 "wegwijzers": [{"name": "Anna de Vries", "role": "wegwijzer", "phone": "030 123 45 67",
                 "email": "anna@wijkteam.example"}]}
JSON
cat >altrecht.json <<JSON
{"display_name": "Altrecht Zeist", "municipalities": ["Zeist", "De Bilt"],
 "services": ["ggz", "crisis"], "target_groups": ["volwassenen"],
 "services_text": "Specialistische behandeling bij angst en depressie",
 "how_to_refer": "Verwijzing via de huisarts", "waiting_weeks": 8, "waiting_date": "$old",
 "wegwijzers": [{"name": "Bram Jansen", "role": "SPV", "phone": "030 765 43 21", "email": "bram@altrecht.example"}]}
JSON
cat >kredietbank.json <<JSON
{"display_name": "Kredietbank Utrecht", "municipalities": ["Utrecht"],
 "services": ["schuldhulp"], "target_groups": ["volwassenen", "jongvolwassenen"],
 "how_to_refer": "Aanmelden via het wijkteam", "waiting_weeks": 4,
 "wegwijzers": [{"name": "Cees Bakker", "role": "schuldhulpverlener"}]}
JSON

# validation in plain words, nothing published
echo '{"services": ["astrologie"]}' >bad.json
try "$SK_NODE" directory publish --dir wijkteam --file bad.json --dev
[ "$rc" = 1 ] && grep -q "'astrologie' is not one of the services" <<<"$msg" ||
	fail "an unknown service: rc $rc: $msg"
echo '{"waiting_weeks": 300}' >bad.json
try "$SK_NODE" directory publish --dir wijkteam --file bad.json --dev
[ "$rc" = 1 ] && grep -q "0 to 104" <<<"$msg" || fail "a waiting time of 300 weeks: rc $rc: $msg"
echo '{"phone": "030"}' >bad.json
try "$SK_NODE" directory publish --dir wijkteam --file bad.json --dev
[ "$rc" = 1 ] && grep -q "'phone' is not a field" <<<"$msg" || fail "an unknown field: rc $rc: $msg"
ok "directory publish: an unknown service, a waiting time out of range and an unknown field are refused in plain words"

for org in wijkteam altrecht kredietbank; do
	node directory publish --dir $org --file $org.json --as admin >pub.$org ||
		fail "publish $org: $(tail -3 node.log)"
	grep -q "directory record published" pub.$org || fail "publish $org: $(cat pub.$org)"
done
# a second version moves on; the registry's log holds each version
node directory publish --dir wijkteam --file wijkteam.json --json >pub.json ||
	fail "second publish: $(tail -3 node.log)"
ok "three orgs publish their records; each receipt and inclusion proof checked by the node"

# a member's record altered after it was signed is refused by the registry
"$SK_TESTNODE" init --dir forger --org-id forger --name "Org forger" --category ggz >/dev/null
reg enrol --dir r --ca ca --request forger/enrol-request --out forger/bundle >/dev/null
set +e
"$SK_TESTNODE" directory --dir forger --bundle forger/bundle --org-id forger --tamper >tamper.json
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "signature does not verify" tamper.json || fail "tampered record: $(cat tamper.json)"
"$SK_TESTNODE" directory --dir forger --bundle forger/bundle --org-id forger >forged.json ||
	fail "the same record untampered: $(cat forged.json)"
ok "a record altered after signing is refused (the same record unaltered is taken)"

for org in wijkteam altrecht kredietbank; do
	node sync --dir $org --json >sync.$org || fail "sync $org: $(tail -3 node.log)"
done
python3 - sync.wijkteam <<'PY' || fail "sync: $(cat sync.wijkteam)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["directory"] >= 3, s  # the other two, forger's, and our own newest
PY
ok "sync fetches every member's record, each signature and inclusion proof verified"

# searches
search() { node directory search --dir kredietbank --json --as cees "$@"; }
names() { python3 -c 'import json,sys; print(",".join(sorted(r["name"] for r in json.load(sys.stdin))))'; }
[ "$(search --service schuldhulp | names)" = "Kredietbank Utrecht,Wijkteam Zeist-Noord" ] ||
	fail "by service: $(search --service schuldhulp)"
[ "$(search --municipality zeist | names)" = "Altrecht Zeist,Wijkteam Zeist-Noord" ] ||
	fail "by municipality: $(search --municipality zeist)"
[ "$(search --service schuldhulp --municipality Zeist | names)" = "Wijkteam Zeist-Noord" ] ||
	fail "by service and municipality"
[ "$(search --text depressie | names)" = "Altrecht Zeist" ] || fail "by text: $(search --text depressie)"
[ "$(search --target-group jongvolwassenen | names)" = "Kredietbank Utrecht" ] || fail "by target group"
[ "$(search --category ggz | names)" = "Altrecht Zeist,Org forger" ] || fail "by category: $(search --category ggz)"
try "$SK_NODE" directory search --dir kredietbank --service astrologie --dev
[ "$rc" = 2 ] || fail "an unknown service is a usage error: rc $rc: $msg"
ok "search by service, municipality, both, text, target group and category"

# the stale waiting time, and the fresh one
search --municipality "De Bilt" | python3 -c '
import json, sys
[r] = json.load(sys.stdin)
assert r["waiting_weeks"] == 8 and r["stale"] is True, r
' || fail "stale as JSON"
search --service schuldhulp --municipality Utrecht | python3 -c '
import json, sys
[r] = json.load(sys.stdin)
assert r["waiting_weeks"] == 4 and r["stale"] is False, r
assert r["wegwijzers"][0]["name"] == "Cees Bakker", r
' || fail "fresh as JSON"
node directory show altrecht --dir wijkteam >show.txt || fail "show altrecht"
grep -q "Altrecht Zeist (altrecht, ggz)" show.txt || fail "show: $(cat show.txt)"
grep -q "8 weeks as of $old (stale" show.txt || fail "show stale: $(cat show.txt)"
grep -q "Bram Jansen, SPV, 030 765 43 21, bram@altrecht.example" show.txt || fail "show contacts"
try "$SK_NODE" directory show nobody --dir wijkteam --dev
[ "$rc" = 1 ] && grep -q "no record on the sociale kaart" <<<"$msg" || fail "show unknown: $msg"
ok "a waiting time older than 30 days is stale; show gives one org with its wegwijzers"

# the registry's log verifies: checkpoints consistent from every node's view,
# a second sync moves on from the first
for org in wijkteam altrecht kredietbank; do
	node sync --dir $org >/dev/null || fail "second sync $org: $(tail -3 node.log)"
done
node audit verify --dir wijkteam >/dev/null || fail "audit verify wijkteam"
reg audit query --dir r --event directory.publish --json | python3 -c '
import json, sys
rs = json.load(sys.stdin)
ok = [r for r in rs if r["outcome"] == "ok"]
denied = [r for r in rs if r["outcome"] != "ok"]
assert len(ok) == 5 and len(denied) == 1, rs  # 3 orgs, a second version, forger; the tampered one
' || fail "registry audit of directory.publish"
node audit query --dir kredietbank --event directory.search --json | python3 -c '
import json, sys
ev = [r["event"] for r in json.load(sys.stdin)]
assert len(ev) >= 8 and set(ev) == {"directory.search"}, ev
' || fail "node audit of searches"
node audit query --dir wijkteam --event directory.publish --json | python3 -c '
import json, sys
ev = [r for r in json.load(sys.stdin) if r["event"] == "directory.publish" and r["outcome"] == "ok"]
assert len(ev) == 2, ev  # the first version and the second
' || fail "node audit of publish"
ok "the log verifies on every node; publishes are in the registry's audit log, publishes and searches in the nodes'"

# partners are shown by their display name: a match and a lookup
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv \
	--phone 030-7654321 >/dev/null
BSN=111222333
node client add --dir wijkteam --bsn $BSN --name "Jan Modaal" >/dev/null
node client add --dir altrecht --bsn $BSN --name "Jan Modaal" >/dev/null
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case open wijkteam: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN --as bram --consent discover,contact,discuss \
	--categories sociaal-team >/dev/null || fail "case open altrecht"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null || fail "sync after cases"
node matches --dir wijkteam | grep -c >/dev/null "^Altrecht Zeist — altrecht (ggz) is also involved" ||
	fail "match by display name: $(node matches --dir wijkteam)"
node matches --dir wijkteam --json | grep -c >/dev/null '"org_name": "Altrecht Zeist"' || fail "match JSON name"
node lookup --dir wijkteam --client $BSN --as anna --purpose afstemming |
	grep -q "^Altrecht Zeist — altrecht (ggz): Bram Jansen" ||
	fail "lookup by display name: $(node lookup --dir wijkteam --client $BSN --as anna --purpose afstemming)"
ok "partners are shown by their display name on the sociale kaart (matches, lookup)"

# and in a case discussion: the acceptor by its display name
id=$(node discuss request --dir wijkteam --client $BSN --as anna --topic afstemming) ||
	fail "discuss request: $(tail -3 node.log)"
node sync --dir altrecht >/dev/null || fail "sync altrecht for the invitation"
node discuss accept "$id" --dir altrecht --as bram >/dev/null || fail "accept: $(tail -2 node.log)"
node sync --dir wijkteam >/dev/null || fail "sync wijkteam for the acceptance"
out=$(node discuss show "$id" --dir wijkteam --as anna)
grep -q "^  Altrecht Zeist (ggz): Bram Jansen" <<<"$out" || fail "discussion participants by display name: $out"
ok "a case discussion shows the acceptor by its display name on the sociale kaart"
