# The privacy officer's tools at the node, against a real registry and
# chain: verify, query filters, signed exports in csv, json and fhir (a
# changed export refused), the art. 15 report in Dutch and English, the
# review with its sign-off, and an edited record byte caught (exit 3).
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
node professional add --dir altrecht --id dora --name "Dora Smit" --role spv >/dev/null

BSN=111222333 BSN2=123456782
node client add --dir wijkteam --bsn $BSN >/dev/null
node client add --dir altrecht --bsn $BSN >/dev/null
node client add --dir altrecht --bsn $BSN2 >/dev/null
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case at wijkteam"
node case open --dir altrecht --client $BSN --as bram --consent discover,discuss \
	--categories sociaal-team >/dev/null || fail "case at altrecht"
node case open --dir altrecht --client $BSN2 --as bram --basis statutory:meldcode \
	--categories sociaal-team >/dev/null || fail "statutory case"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null || fail "sync"
node lookup --dir altrecht --client $BSN --as bram --purpose afstemming | grep -c >/dev/null wijkteam ||
	fail "lookup"
node lookup --dir altrecht --client $BSN --as bram --purpose signaal >/dev/null
nodex lookup --dir altrecht --client $BSN --as dora --purpose afstemming >/dev/null &&
	fail "unassigned lookup allowed"
node sync --dir wijkteam >/dev/null || fail "sync for the notices"
ok "two nodes: cases, a statutory case, lookups, a denied lookup, disclosure notices"

for org in wijkteam altrecht; do
	out=$(node audit verify --dir $org) || fail "verify $org: $(tail -2 node.log)"
	echo "$out" | grep -Eq '^audit log verified: [0-9]+ records(, anchored in the registry.s log up to record [0-9]+)?$' || fail "verify: $out"
done
ok "audit verify: both chains and their indexes check"

# query: by BSN (resolved to the local id, never shown), professional, outcome, action, time
out=$(node audit query --dir altrecht --client $BSN) || fail "query by BSN"
echo "$out" | grep -c >/dev/null "$BSN" && fail "a BSN in the query output"
[ "$(echo "$out" | grep -c ' lookup R ')" = 3 ] || fail "lookups of c-1: $out"
echo "$out" | grep -c >/dev/null "client=c-2" && fail "another client in the result"
out=$(node audit query --dir altrecht --professional dora --outcome denied)
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -c >/dev/null ' lookup R denied .*user=dora' ||
	fail "dora's denied lookup: $out"
out=$(node audit query --dir altrecht --client c-2 --action C)
echo "$out" | grep -c >/dev/null 'case.open C ok user=bram' && echo "$out" | grep -c >/dev/null 'statutory: meldcode' ||
	fail "the statutory case: $out"
today=$(date +%F) yesterday=$(date -d yesterday +%F)
n=$(node audit query --dir altrecht --event lookup --since "$today" --until "$today" --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(r["event"]=="lookup" and r["id"] for r in d); print(len(d))')
[ "$n" = 3 ] || fail "lookups today: $n"
out=$(node audit query --dir altrecht --until "$yesterday")
[ -z "$out" ] || fail "records before today: $out"
out=$(nodex audit query --dir altrecht --since yesterday) && fail "a bad time accepted"
echo "$out" | grep -c >/dev/null "YYYY-MM-DD" || fail "bad time message: $out"
out=$(nodex audit query --dir altrecht --client 123456789) && fail "an invalid BSN accepted"
node audit query --dir altrecht --event audit.query | grep -c >/dev/null 'audit.query R ok reason="client=c-1"' ||
	fail "the query is not audited"
ok "audit query: client by BSN, professional, outcome, action, event, time; itself audited"

# exports, signed by the node's identity key
for fmt in csv json fhir; do
	node audit export --dir altrecht --format $fmt --client $BSN --out x.$fmt >/dev/null ||
		fail "export $fmt: $(tail -2 node.log)"
	[ -f x.$fmt.sig ] && [ "$(stat -c %a x.$fmt)" = 600 ] || fail "export file $fmt"
	grep -q "$BSN" x.$fmt && fail "a BSN in the $fmt export"
	out=$(node audit verify-export --dir altrecht --file x.$fmt) || fail "verify-export $fmt"
	echo "$out" | grep -c >/dev/null "signed by this node (altrecht), unchanged" || fail "verify-export: $out"
done
python3 - <<'PY' || fail "export contents"
import csv, json
rows = list(csv.DictReader(open("x.csv", newline="")))
assert rows and all(r["client"] == "c-1" for r in rows), rows
assert sum(r["event"] == "lookup" for r in rows) == 3
assert {r["outcome"] for r in rows if r["event"] == "lookup"} == {"ok", "denied"}
js = json.load(open("x.json"))
assert [r["id"] for r in js][: len(rows)] == [r["id"] for r in rows]  # json came later
b = json.load(open("x.fhir"))
assert b["resourceType"] == "Bundle" and b["type"] == "collection"
evs = [e["resource"] for e in b["entry"]]
assert all(e["resourceType"] == "AuditEvent" for e in evs)
lk = [e for e in evs if e["subtype"][0]["code"] == "lookup"]
assert len(lk) == 3 and {e["outcome"] for e in lk} == {"0", "4"}
assert all(e["entity"][0]["what"]["identifier"]["value"] == "c-1" for e in lk)
assert any(a.get("who", {}).get("identifier", {}).get("value") == "wijkteam"
           for e in lk for a in e["agent"]), "the partner shown"
PY
cp x.csv y.csv; cp x.csv.sig y.csv.sig
python3 -c 'import sys; d=bytearray(open("y.csv","rb").read()); d[-5]^=1; open("y.csv","wb").write(d)'
set +e
out=$(nodex audit verify-export --dir altrecht --file y.csv); rc=$?
set -e
[ "$rc" = 3 ] && echo "$out" | grep -c >/dev/null "changed" || fail "a changed export (rc $rc): $out"
out=$(nodex audit verify-export --dir wijkteam --file x.csv) && fail "another node's key"
echo "$out" | grep -c >/dev/null "another key" || fail "other key: $out"
out=$(nodex audit export --dir altrecht --format csv --out x.csv) && fail "an export over a file"
echo "$out" | grep -c >/dev/null "exists" || fail "overwrite refusal: $out"
node audit export --dir altrecht --format csv >stdout.csv && head -1 stdout.csv |
	grep -q '^id,seq,time,org,' || fail "export to stdout"
node audit query --dir altrecht --event audit.export | grep -c >/dev/null 'format=csv to a signed file; client=c-1' ||
	fail "the export is not audited"
ok "exports in csv, json and fhir signed and verified; a changed export exits 3"

# the art. 15 report at wijkteam: its own actions and altrecht's lookups,
# in words a resident reads: names and roles, partners by display name,
# page views folded per day, the owed sections, no internal code
node professional add --dir wijkteam --id petra --name "Petra Smits" --role privacy-officer >/dev/null
node org set --dir wijkteam --privacy-contact "Petra Smits, fg@wijkteam.example" --as petra |
	grep -q "privacy contact set" || fail "org set --privacy-contact"
node org show --dir wijkteam | grep -c >/dev/null "^privacy contact: Petra Smits, fg@wijkteam.example$" ||
	fail "org show"
out=$(node audit report --dir wijkteam --client $BSN --as petra) || fail "report: $(tail -2 node.log)"
echo "$out" | grep -c >/dev/null "^Overzicht van het gebruik van uw gegevens$" || fail "report title: $out"
echo "$out" | grep -c >/dev/null "^Organisatie: Org wijkteam$" || fail "report org: $out"
echo "$out" | grep -c >/dev/null "^  - Anna de Vries (wijkcoach) heeft een dossier voor u geopend.$" ||
	fail "report local: $out"
echo "$out" | grep -c >/dev/null "^  - Org altrecht (een medewerker met de rol spv) heeft via de verwijsindex gezien dat wij bij u betrokken zijn, met als doel afstemming van de zorg.$" ||
	fail "report notice: $out"
echo "$out" | grep -c >/dev/null "met als doel een zorgsignaal" || fail "second notice: $out"
echo "$out" | grep -c >/dev/null "artikel 16 AVG" || fail "report: no rectification: $out"
echo "$out" | grep -c >/dev/null "autoriteitpersoonsgegevens.nl" || fail "report: no complaint: $out"
echo "$out" | grep -c >/dev/null "Wij bewaren dit logboek 5 jaar" || fail "report: no retention: $out"
echo "$out" | grep -c >/dev/null "functionaris gegevensbescherming: Petra Smits, fg@wijkteam.example$" ||
	fail "report: no privacy contact: $out"
echo "$out" | grep -Eq "$BSN|c-1|case\.|disclosure|lookup|audit\.|entry\.|after-hours" &&
	fail "an internal code or BSN in the report: $out"
out=$(node audit report --dir wijkteam --client c-1 --lang en --roles-only)
echo "$out" | grep -c >/dev/null "^  - A staff member (wijkcoach) opened a case for you.$" ||
	fail "report en, roles only: $out"
echo "$out" | grep -c >/dev/null "Org altrecht (a staff member with the role spv) learned through the federation" ||
	fail "report en notice: $out"
echo "$out" | grep -c >/dev/null "Anna" && fail "a name with --roles-only: $out"
node audit report --dir wijkteam --client c-1 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
ids = [s["id"] for s in d["sections"]]
assert ids == ["use", "partners", "retention", "rights", "contact"], ids
assert d["sections"][0]["days"][0]["lines"], d' || fail "report json"
node audit query --dir wijkteam --event audit.report | grep -c >/dev/null 'audit.report R ok .*user=petra role=privacy-officer .*client=c-1' ||
	fail "the report is not audited with the officer"
ok "audit report: names and roles, partners by name, owed sections, privacy contact (org set), English, no codes"

# --as: the officer's own actions carry her identity; only an officer
node audit query --dir wijkteam --professional anna --as petra >/dev/null || fail "query --as"
node audit query --dir wijkteam --event audit.query | grep -c >/dev/null 'reason="professional=anna" user=petra role=privacy-officer' ||
	fail "audit.query without the officer"
out=$(nodex audit query --dir wijkteam --as anna) && fail "--as a professional who is no officer"
echo "$out" | grep -c >/dev/null "not a privacy officer" || fail "--as anna: $out"
out=$(nodex audit review --dir wijkteam --as nobody) && fail "--as an unknown id"
ok "audit --as: records carry the officer; a professional or unknown id is refused"

# CSV for Dutch spreadsheets: ';' with a UTF-8 BOM
node audit export --dir wijkteam --format csv --separator ';' --as petra >semi.csv ||
	fail "export --separator"
head -c 14 semi.csv | od -An -c | tr -d ' \n' | grep -c >/dev/null '357273277id;seq;tim' ||
	fail "no BOM and ';' header: $(head -c 40 semi.csv | od -c | head -2)"
grep -q ";case.open;C;ok;" semi.csv || fail "a ';' row: $(sed -n 2p semi.csv)"
out=$(nodex audit export --dir wijkteam --format csv --separator '|') && fail "separator |"
ok "audit export --separator ';': BOM and semicolons"

# the review: a denied attempt, a statutory case, lookup volume; sign-off
section() { awk -v t="$1" 'index($0, t ": ") == 1 { on = 1; next } /^$/ { on = 0 } on'; }
out=$(node audit review --dir altrecht --office-hours 00:00-24:00 --office-days sun-sat \
	--max-lookups 1 --since "$today") || fail "review: $(tail -2 node.log)"
echo "$out" | grep -c >/dev/null '^actions under a statutory basis (no consent): 2$' || fail "statutory: $out"
echo "$out" | section "actions under a statutory basis (no consent)" |
	grep -q 'case.open C ok user=bram.*statutory: meldcode' || fail "review statutory: $out"
echo "$out" | section "denied attempts" | grep -c >/dev/null 'lookup R denied .*user=dora' ||
	fail "review denied: $out"
echo "$out" | section "professionals with more lookups in a day than the limit" |
	grep -q "bram: 2 lookups on $today" || fail "review volume: $out"
echo "$out" | grep -c >/dev/null '^actions by professionals outside office hours: 0$' || fail "hours: $out"
node audit review --dir altrecht --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(f["id"] and f["kinds"] for f in d), d
assert any("denied" in f["kinds"] for f in d) and any("statutory" in f["kinds"] for f in d)' ||
	fail "review json"
node audit query --dir altrecht --event audit.signoff | grep -c >/dev/null . && fail "a sign-off before one"
node professional add --dir altrecht --id olga --name "Olga de Wit" --role privacy-officer >/dev/null
node audit review --dir altrecht --since "$today" --until "$today" --sign-off \
	--note "alles gezien" --as olga | grep -c >/dev/null '^signed off' || fail "sign-off"
out=$(node audit query --dir altrecht --event audit.signoff)
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -c >/dev/null 'findings: statutory 2,' ||
	fail "sign-off record: $out"
echo "$out" | grep -c >/dev/null 'user=olga role=privacy-officer' && echo "$out" | grep -c >/dev/null 'note: alles gezien' &&
	echo "$out" | grep -c >/dev/null "correlation_id=period:" || fail "period sign-off: $out"
seq=$(node audit query --dir altrecht --professional dora --outcome denied --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["seq"])')
node audit review --dir altrecht --sign-off --finding "$seq" --note "verkeerde cliënt" --as olga |
	grep -q "^signed off: finding $seq" || fail "finding sign-off"
out=$(node audit query --dir altrecht --event audit.signoff | tail -1)
echo "$out" | grep -c >/dev/null 'verkeerde cliënt' && echo "$out" | grep -c >/dev/null 'user=olga' || fail "finding sign-off record: $out"
out=$(nodex audit review --dir altrecht --note x) && fail "--note without --sign-off"
ok "audit review: statutory, denied and volume listed; period and finding sign-off with --as and --note"

# an edited byte in a record of the node's LMDB file: verify exits 3 naming it
line=$(node audit query --dir altrecht --professional dora --outcome denied --json |
	python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["seq"], r["id"])')
seq=${line% *}
python3 - altrecht/data.mdb "not assigned" <<'PY'
import sys
path, needle = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
i, hits = data.find(needle), 0
while i >= 0:  # every copy: LMDB may keep stale ones in free pages
    data[i] ^= 0x01
    hits += 1
    i = data.find(needle, i + 1)
assert hits, "record not found in data.mdb"
open(path, "wb").write(data)
PY
set +e
msg=$(nodex audit verify --dir altrecht); rc=$?
set -e
[ "$rc" = 3 ] || fail "edited audit record not detected (rc $rc): $msg"
echo "$msg" | grep -c >/dev/null "broken at record $seq " || fail "verify names record $seq: $msg"
set +e
msg=$(nodex audit query --dir altrecht --professional dora); rc=$?
set -e
[ "$rc" = 3 ] || fail "a query over the edited record (rc $rc): $msg"
ok "an edited record byte: audit verify and query exit 3 naming record $seq"

# the audit head is anchored in the registry's log at sync; cutting the
# tail of the log afterwards (records, head and index entries, all
# consistent with each other) is caught by the anchor
node sync --dir wijkteam >/dev/null || fail "sync to anchor"
node audit verify --dir wijkteam --registry >/dev/null || fail "verify with the registry's anchors"
A=$(node audit verify --dir wijkteam --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchored"])')
[ "$A" -gt 0 ] || fail "nothing anchored"
mdb_dump -a wijkteam >env.dump
python3 - env.dump "$A" >env.cut <<'PY'
import sys
lines, first = open(sys.argv[1]).read().split("\n"), int(sys.argv[2])
# drop every record from the anchored one on: records, index entries, and
# the head moved back to the record before them, so the chain itself verifies
drop = {"%016x" % s for s in range(first, first + 100000)}
out, section, i, prev_hash = [], None, 0, None
records = {}
for j, l in enumerate(lines):
    if l.startswith("database="):
        sec = l.split("=", 1)[1]
    elif l.startswith(" ") and j + 1 < len(lines) and sec == "audit" and len(l.strip()) == 16:
        records[l.strip()] = lines[j + 1].strip()
keep_seq = "%016x" % (first - 1)
new_head = keep_seq + records[keep_seq][-64:]
while i < len(lines):
    l = lines[i]
    if l.startswith("database="):
        section = l.split("=", 1)[1]
    if l.startswith(" ") and section is not None and i + 1 < len(lines):
        key = l.strip()
        if section == "audit" and key in drop:
            i += 2; continue
        if section.startswith("audit_by_") and key[-16:] in drop:
            i += 2; continue
        if section == "audit_meta" and bytes.fromhex(key) == b"head":
            out += [l, " " + new_head]; i += 2; continue
    out.append(l); i += 1
print("\n".join(out), end="")
PY
rm -rf env.new && mkdir -m 700 env.new && mdb_load env.new <env.cut
cp env.new/data.mdb wijkteam/data.mdb && rm -f wijkteam/lock.mdb
set +e; msg=$(nodex audit verify --dir wijkteam); rc=$?; set -e
[ "$rc" = 3 ] && echo "$msg" | grep -c >/dev/null "tail was cut off" || fail "cut tail not caught (rc $rc): $msg"
ok "a tail cut off after the anchored head is caught (exit 3)"
