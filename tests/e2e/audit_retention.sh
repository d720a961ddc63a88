# The privacy officer's retention and reconciliation tools, against a real
# registry and chain: audit verify --reconcile (clean, then a registry
# action made with the node's key that its log lacks: exit 3), retention
# settings, a legal hold blocking the purge, the purge with its signed
# marker and verify (chain and registry anchors) after it, a forged marker
# caught; at the registry: query, signed export, review, purge into daily
# aggregates, hold.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
regx() { "$SK_REGISTRY" "$@" --dev 2>&1; }
node professional add --dir wijkteam --id anna --name "Anna" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram" --role spv >/dev/null
BSN=111222333
node client add --dir wijkteam --bsn $BSN >/dev/null
node client add --dir altrecht --bsn $BSN >/dev/null
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case at wijkteam"
node case open --dir altrecht --client $BSN --as bram --consent discover,discuss \
	--categories sociaal-team >/dev/null || fail "case at altrecht"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null || fail "sync"
node lookup --dir altrecht --client $BSN --as bram --purpose afstemming | grep -c >/dev/null wijkteam ||
	fail "lookup"
ok "two nodes: cases published, a lookup"

# ---- reconcile -------------------------------------------------------------
out=$(node audit verify --dir altrecht --reconcile) || fail "reconcile: $out $(tail -2 node.log)"
echo "$out" | grep -Eq '^reconciled with the registry: [0-9]+ of its records about us, [1-9][0-9]* with a correlation id, [1-9][0-9]* matched, 0 without a local record$' ||
	fail "reconcile clean: $out"
# a copy of the node's data dir (a restored backup, a stolen key) makes a
# lookup the node's own log never sees
cp -a altrecht altrecht.copy
node lookup --dir altrecht.copy --client $BSN --as bram --purpose signaal >/dev/null ||
	fail "lookup from the copy"
corr=$(node audit query --dir altrecht.copy --event lookup --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["correlation_id"])')
set +e; out=$(nodex audit verify --dir altrecht --reconcile); rc=$?; set -e
[ "$rc" = 3 ] || fail "an unmatched registry action (rc $rc): $out"
echo "$out" | grep -c >/dev/null "1 without a local record:" &&
	echo "$out" | grep -Eq "^  registry record [0-9]+ [0-9T:.Z-]+ lookup ok correlation=$corr$" ||
	fail "the unmatched lookup listed: $out"
echo "$out" | grep -c >/dev/null "1 registry actions of this organisation have no record in our audit log" ||
	fail "the exit message: $out"
set +e; js=$(node audit verify --dir altrecht --reconcile --json); set -e
echo "$js" | python3 -c "
import json, sys
d = json.load(sys.stdin)
r = d['reconcile']
assert d['ok'] is False and r['unmatched_count'] == 1, d
u = r['unmatched'][0]
assert u['event'] == 'lookup' and u['correlation_id'] == '$corr' and u['outcome'] == 'ok', u
# only what matching needs: no client, counterpart, reason, ... of the registry's record
assert sorted(u) == ['correlation_id', 'event', 'outcome', 'seq', 'time'], u" ||
	fail "reconcile json: $js"
node audit verify --dir wijkteam --reconcile >/dev/null || fail "wijkteam reconciles"
node audit query --dir altrecht --event audit.reconcile | grep -c >/dev/null '1 unmatched' ||
	fail "the reconciliation is not recorded"
reg audit query --dir r --org altrecht --event audit.records | grep -c >/dev/null 'audit.records R ok' ||
	fail "the registry does not record the read"
ok "verify --reconcile: clean, then a registry lookup with no local record (exit 3)"

# ---- retention at the node ---------------------------------------------------
out=$(node audit retention --dir altrecht) || fail "retention"
echo "$out" | grep -c >/dev/null '^retention: 1826 days$' || fail "default retention: $out"
out=$(node audit purge --dir altrecht --dry-run)
[ "$out" = "nothing to purge: no audit record is past its retention" ] || fail "dry run: $out"
future=$(date -u -d "+6 years" +%F)
node audit purge --dir altrecht --dry-run --as-of "$future" | grep -Eq '^would purge [0-9]+ audit records \(1-[0-9]+\)' ||
	fail "dry run as of $future"
node audit hold --dir altrecht --until "$(date -u -d '+30 days' +%F)" --reason "klacht 2026-17" \
	>/dev/null || fail "hold"
node audit hold --dir altrecht | grep -c >/dev/null "^legal hold until .*: klacht 2026-17$" || fail "show hold"
set +e; out=$(nodex audit purge --dir altrecht --as-of "$future"); rc=$?; set -e
[ "$rc" = 1 ] && echo "$out" | grep -c >/dev/null "a legal hold until .* blocks the purge (klacht 2026-17)" ||
	fail "purge under a hold (rc $rc): $out"
node audit query --dir altrecht --event audit.purge --outcome denied | grep -c >/dev/null 'klacht 2026-17' ||
	fail "the refused purge is not recorded"
node audit hold --dir altrecht --release | grep -c >/dev/null released || fail "release"
before=$(node audit verify --dir altrecht --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])')
out=$(node audit purge --dir altrecht --as-of "$future") || fail "purge: $(tail -2 node.log)"
echo "$out" | grep -Eq "^purged [0-9]+ audit records \(1-$((before - 1))\) past their retention; the signed purge marker is recorded" ||
	fail "purge: $out (before: $before)"
out=$(node audit verify --dir altrecht) || fail "verify after the purge: $out $(tail -2 node.log)"
echo "$out" | grep -c >/dev/null "^records 1-$((before - 1)) were purged under retention" ||
	fail "verify after purge: $out"
node audit verify --dir altrecht --registry >/dev/null || fail "registry anchors after the purge"
out=$(node audit query --dir altrecht --client $BSN)
echo "$out" | grep -c >/dev/null ' lookup R ' && fail "a purged record still queried: $out"
node audit query --dir altrecht --event audit.purge --outcome ok |
	grep -q "chain hash at $((before - 1)): [0-9a-f]\{64\}; marker signature (schakel/v1/audit-purge): [0-9a-f]\{128\}" ||
	fail "the purge marker record"
node audit retention --dir altrecht --set-years 7 | grep -c >/dev/null '^retention: 2556 days (set now, recorded)$' ||
	fail "set retention"
node audit retention --dir altrecht | grep -c >/dev/null "^purged: records 1-$((before - 1)), last purge $future" ||
	fail "retention shows the purge"
node sync --dir altrecht >/dev/null || fail "sync after the purge"
node audit verify --dir altrecht --registry --reconcile >/dev/null ||
	fail "anchors and reconcile after the purge: $(tail -2 node.log)"
ok "node retention: settings, hold refused and recorded, purge, verify and anchors after it"

# a forged purge marker: one bit of its signature in the LMDB file
sig=$(node audit query --dir altrecht --event audit.purge --outcome ok --json |
	python3 -c 'import json,re,sys; print(re.search(r"signature \(schakel/v1/audit-purge\): ([0-9a-f]{128})", json.load(sys.stdin)[-1]["reason"]).group(1))')
python3 - altrecht/data.mdb "$sig" <<'PY'
import sys
path, sig = sys.argv[1], bytes.fromhex(sys.argv[2])
data = bytearray(open(path, "rb").read())
i, hits = data.find(sig), 0
while i >= 0:
    data[i + 10] ^= 0x01
    hits += 1
    i = data.find(sig, i + 1)
assert hits, "the base is not in data.mdb"
open(path, "wb").write(data)
PY
set +e; msg=$(nodex audit verify --dir altrecht); rc=$?; set -e
[ "$rc" = 3 ] && echo "$msg" | grep -c >/dev/null "signed purge marker .* does not verify" ||
	fail "a forged purge marker (rc $rc): $msg"
ok "a forged purge marker: audit verify exits 3"

# ---- the registry's own access log -------------------------------------------
reg audit verify --dir r | grep -c >/dev/null '^audit log verified: [0-9]* records$' || fail "registry verify"
n=$(reg audit query --dir r --org altrecht --event lookup --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(r["user"]=="altrecht" for r in d); print(len(d))')
[ "$n" = 2 ] || fail "registry lookups of altrecht: $n"
reg audit query --dir r --org wijkteam --event lookup | grep -c >/dev/null . && fail "wijkteam made no lookup"
reg audit export --dir r --format csv --org altrecht --out reg.csv >/dev/null || fail "registry export"
reg audit verify-export --dir r --file reg.csv | grep -c >/dev/null "signed by this registry (registry), unchanged" ||
	fail "registry verify-export"
reg audit export --dir r --format fhir >/dev/null || fail "registry fhir export"
out=$(reg audit review --dir r --max-lookups 1 --office-hours 00:00-24:00 --office-days sun-sat) ||
	fail "registry review"
echo "$out" | grep -c >/dev/null "^member orgs with more lookups in a day than the limit: 1$" &&
	echo "$out" | grep -c >/dev/null "  altrecht: 2 lookups on" || fail "registry review volume: $out"
reg audit query --dir r --event audit.review | grep -c >/dev/null . || fail "the registry review is not recorded"
ok "registry: query by org, signed export, review with volume per org"

reg audit retention --dir r | grep -c >/dev/null '^retention: 365 days$' || fail "registry retention"
reg audit hold --dir r --until "$(date -u -d '+1 day' +%F)" --reason "audit AP" >/dev/null
set +e; out=$(regx audit purge --dir r --as-of "$(date -u -d '+2 years' +%F)"); rc=$?; set -e
[ "$rc" = 1 ] && echo "$out" | grep -c >/dev/null "blocks the purge (audit AP)" || fail "registry hold (rc $rc): $out"
reg audit hold --dir r --release >/dev/null
out=$(reg audit purge --dir r --as-of "$(date -u -d '+2 years' +%F)") || fail "registry purge: $out"
echo "$out" | grep -Eq '^purged [0-9]+ audit records' || fail "registry purge: $out"
reg audit verify --dir r | grep -c >/dev/null "were purged under retention" || fail "registry verify after purge"
reg audit query --dir r --org altrecht --event lookup | grep -c >/dev/null . && fail "token-level records kept"
reg audit daily --dir r --org altrecht --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
lk = [x for x in d if x["event"] == "lookup" and x["outcome"] == "ok"]
assert lk and sum(x["count"] for x in lk) == 2, d
assert all(x["org"] == "altrecht" for x in d)
assert not any(len(v) == 64 for x in d for v in map(str, x.values())), "a token"' ||
	fail "daily aggregates"
ok "registry: hold, purge into daily aggregates per org, verify after it"
