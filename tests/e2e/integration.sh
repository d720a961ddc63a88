# The client system's integration API (docs/operator.md, "De koppeling met
# het cliëntsysteem (ECD)") against a real federation: a service
# credential, 10,000 clients and 2,000 cases synced through
# examples/ecd_sync.py, then a day of changes (new clients and cases,
# consent changes, closes, a withdrawn consent); the same batches again
# change nothing; an invalid BSN refuses only its item; the cases' entries
# reach the registry (a partner's lookup finds us); a professional's
# session cookie, the API token, a service credential elsewhere and a
# revoked credential are refused; size caps; the art. 15 report names the
# client system; no BSN in the node's stderr or audit log.
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"
SYNC="$(cd "$(dirname "$0")/../../examples" && pwd)/ecd_sync.py"
N_CLIENTS=${SK_INTEGRATION_CLIENTS:-10000} N_CASES=${SK_INTEGRATION_CASES:-2000}
cd "$T"

web_federation
serve_a
node service add --dir $ORG_A --id ecd --name "ECD Wijkteam" >cred || fail "service add: $(tail -3 "$T/node.log")"
chmod 600 cred
CRED=$(cat cred)
[[ $CRED == svc.ecd.* ]] && [ ${#CRED} -eq 72 ] || fail "the credential is not svc.ecd. and 64 hex digits: ${#CRED} bytes"
node service list --dir $ORG_A --json | grep -c >/dev/null '"ecd"' || fail "service list does not show ecd"
node service list --dir $ORG_A --json | grep -c >/dev/null "${CRED#svc.ecd.}" && fail "service list shows the credential"
ok "service credential made (shown once, not listed)"

# ---- the export: N_CLIENTS clients (the first is Jan Modaal, whom a
# professional registered already), N_CASES of them with a case ----
bsns $((N_CLIENTS + 200)) 22 | grep -v "^$BSN\$" >bsns.txt
python3 - "$N_CLIENTS" "$N_CASES" "$BSN" "$PROF" "$PROF2" <<'PY'
import csv, sys
n, m, jan, p1, p2 = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
b = open("bsns.txt").read().split()
with open("clients.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "bsn", "name", "birthdate"])
    w.writerow(["E00001", jan, "Jan Modaal", ""])
    for i in range(2, n + 1):
        w.writerow([f"E{i:05d}", b[i], f"Cliënt {i}", f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"])
    w.writerow(["E-BAD", "123456789", "Foute Elfproef", ""])  # refused alone
with open("cases.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "client", "professional", "state", "consent", "categories", "consent_by",
                "basis", "reason", "expires"])
    for i in range(1, m + 1):
        w.writerow([f"K{i:05d}", f"E{i:05d}", p1 if i % 2 else p2, "open",
                    "discover;contact;discuss" if i % 3 else "discover", "all", "", "consent", "", ""])
    w.writerow(["K-NOCLIENT", "E-NONE", p1, "open", "discover", "all", "", "consent", "", ""])
PY
run_sync() { SCHAKEL_CREDENTIAL=$CRED timeout 600 python3 "$SYNC" --url "$BASE" --json "$@" 2>>"$T/ecd_sync.log"; }
count() { python3 -c "import json,sys; d=json.load(open('$1')); print(d['$2']['$3'])"; }
t0=$(date +%s.%N)
run_sync --clients clients.csv >first-clients.json || fail "ecd_sync clients: $(tail -3 "$T/ecd_sync.log")"
t1=$(date +%s.%N)
run_sync --cases cases.csv >first-cases.json || fail "ecd_sync cases: $(tail -3 "$T/ecd_sync.log")"
t2=$(date +%s.%N)
[ "$(count first-clients.json clients created)" -eq $((N_CLIENTS - 1)) ] &&
	[ "$(count first-clients.json clients updated)" -eq 1 ] &&
	[ "$(count first-clients.json clients refused)" -eq 1 ] ||
	fail "first sync of clients: $(cat first-clients.json)"
grep -q "E-BAD: refused (bsn_invalid)" "$T/ecd_sync.log" || fail "the invalid BSN's item was not refused as bsn_invalid"
[ "$(count first-cases.json cases created)" -eq "$N_CASES" ] &&
	[ "$(count first-cases.json cases refused)" -eq 1 ] || fail "first sync of cases: $(cat first-cases.json)"
grep -q "K-NOCLIENT: refused (client_unknown)" "$T/ecd_sync.log" || fail "a case of an unknown client was not refused"
python3 -c "
a, b, c = $t0, $t1, $t2
print(f'ok - synced $N_CLIENTS clients in {b - a:.1f} s ({$N_CLIENTS / (b - a):.0f} clients/s), '
      f'$N_CASES cases in {c - b:.1f} s ({$N_CASES / (c - b):.0f} cases/s)')"
# counted by the node itself
n=$(node client list --dir $ORG_A --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
[ "$n" -eq "$N_CLIENTS" ] || fail "client list has $n clients, not $N_CLIENTS (Jan linked, not doubled)"
n=$(node case list --dir $ORG_A --json | python3 -c "import json,sys; print(sum(c['state'] == 'open' for c in json.load(sys.stdin)))")
[ "$n" -eq "$N_CASES" ] || fail "case list has $n open cases, not $N_CASES"
ok "the node counts $N_CLIENTS clients and $N_CASES open cases; the invalid BSN refused alone"

# ---- the same export again: nothing changes ----
run_sync --clients clients.csv --cases cases.csv >again.json || fail "ecd_sync again"
[ "$(count again.json clients unchanged)" -eq "$N_CLIENTS" ] &&
	[ "$(count again.json cases unchanged)" -eq "$N_CASES" ] &&
	[ "$(count again.json clients created)" -eq 0 ] && [ "$(count again.json clients updated)" -eq 0 ] &&
	[ "$(count again.json cases created)" -eq 0 ] && [ "$(count again.json cases updated)" -eq 0 ] ||
	fail "the same batches again changed something: $(cat again.json)"
ok "the same batches again: all unchanged"

# ---- entries reach the registry: the sync thread publishes them ----
published=0 p0=$t2
for _ in $(seq 600); do
	published=$(sed -n 's/.*sync: \([0-9]*\) entries published.*/\1/p' "$T/serve.log" | awk '{s += $1} END {print s + 0}')
	[ "${published:-0}" -ge "$N_CASES" ] && break
	sleep 0.5
done
[ "${published:-0}" -ge "$N_CASES" ] || fail "only ${published:-0} entries published (serve log $T/serve.log)"
node case open --dir $ORG_B --client $BSN --as $PROFB --consent discover,contact --categories all \
	>/dev/null || fail "case at $ORG_B: $(tail -3 "$T/node.log")"
node lookup --dir $ORG_B --client $BSN --as $PROFB --purpose afstemming --json >lookup.json ||
	fail "lookup at $ORG_B: $(tail -3 "$T/node.log")"
grep -q "\"$ORG_A\"" lookup.json || fail "$ORG_B's lookup does not find $ORG_A's entry: $(cat lookup.json)"
p1=$(date +%s.%N)
python3 -c "print(f'ok - $published entries published by serve\'s sync thread within {$p1 - $p0:.1f} s of the cases\' batch')"
ok "$ORG_B's lookup finds $ORG_A's entry for a client the client system sent"

# ---- a day of changes ----
python3 - "$N_CLIENTS" "$N_CASES" "$PROF" <<'PY'
import csv, sys
n, m, p1 = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
b = open("bsns.txt").read().split()
with open("day-clients.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "bsn", "name", "birthdate"])
    for i in range(n + 1, n + 101):  # 100 new clients
        w.writerow([f"E{i:05d}", b[i], f"Nieuwe Cliënt {i}", ""])
    w.writerow(["E00002", b[2], "Cliënt 2 (nieuwe naam)", "1952-03-12"])  # an update
with open("day-cases.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "client", "professional", "state", "consent", "categories"])
    for i in range(n + 1, n + 101):  # 100 new cases
        w.writerow([f"K{i:05d}", f"E{i:05d}", p1, "open", "discover", "all"])
    for i in range(1, 101):  # 100 closed in the client system
        w.writerow([f"K{i:05d}", f"E{i:05d}", p1 if i % 2 else "", "closed",
                    "discover;contact;discuss" if i % 3 else "discover", "all"])
with open("day-consents.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case", "consent", "categories", "consent_by"])
    for i in range(101, 301):  # 200 consent changes
        w.writerow([f"K{i:05d}", "discover" if i % 3 else "discover;contact", "all", "client"])
    w.writerow(["K00301", "", "", ""])  # consent withdrawn
    w.writerow(["K00001", "discuss", "all", ""])  # a closed case is not reopened
PY
t0=$(date +%s.%N)
run_sync --clients day-clients.csv --cases day-cases.csv --consents day-consents.csv >day.json ||
	fail "ecd_sync of the day: $(tail -3 "$T/ecd_sync.log")"
t1=$(date +%s.%N)
[ "$(count day.json clients created)" -eq 100 ] && [ "$(count day.json clients updated)" -eq 1 ] &&
	[ "$(count day.json cases created)" -eq 100 ] && [ "$(count day.json cases updated)" -eq 100 ] &&
	[ "$(count day.json consents updated)" -eq 201 ] && [ "$(count day.json consents refused)" -eq 1 ] ||
	fail "the day of changes: $(cat day.json)"
grep -q "K00001: refused (case_closed)" "$T/ecd_sync.log" || fail "a closed case's consent was not refused as case_closed"
run_sync --clients day-clients.csv --cases day-cases.csv --consents day-consents.csv >day-again.json ||
	fail "ecd_sync of the day again"
python3 - <<'PY' || fail "the day's batches again changed something: $(cat day-again.json)"
import json, sys
d = json.load(open("day-again.json"))
bad = [(k, v) for k, v in d.items() if v["created"] or v["updated"]]
sys.exit(1 if bad or d["consents"]["refused"] != 1 else 0)
PY
n=$(node case list --dir $ORG_A --json | python3 -c "
import json,sys; cs=json.load(sys.stdin)
print(sum(c['state']=='open' for c in cs), sum(c['state']=='closed' for c in cs), sum(c['state']=='open' and c['flags']=='none' for c in cs))")
[ "$n" = "$((N_CASES + 100 - 100)) 100 1" ] || fail "after the day: open, closed, withdrawn = $n"
python3 -c "print(f'ok - a day of changes (502 items) in {$t1 - $t0:.1f} s; sent again: unchanged; case list agrees')"

# ---- reconciliation reads ----
code=$(curl -s -o get.json -w '%{http_code}' -H "Authorization: Bearer $CRED" "$BASE/api/integration/v1/clients/E00002")
[ "$code" = 200 ] && grep -q '"Cliënt 2 (nieuwe naam)"' get.json && grep -q '"K00002"' get.json ||
	fail "GET clients/E00002: $code $(cat get.json)"
grep -q "$(sed -n 3p bsns.txt)" get.json && fail "GET clients/E00002 shows the BSN"
code=$(curl -s -o get.json -w '%{http_code}' -H "Authorization: Bearer $CRED" "$BASE/api/integration/v1/cases/K00301")
[ "$code" = 200 ] && grep -q '"flags": "none"' get.json && grep -q '"client_external_id": "E00301"' get.json ||
	fail "GET cases/K00301: $code $(cat get.json)"
code=$(curl -s -o get.json -w '%{http_code}' -H "Authorization: Bearer $CRED" "$BASE/api/integration/v1/cases/K-NONE")
[ "$code" = 404 ] && grep -q '"not_found"' get.json || fail "GET an unknown case: $code"
ok "reconciliation reads by the system's ids"

# ---- a BSN change for a known id is refused ----
printf 'id,bsn,name,birthdate\nE00003,%s,Cliënt 3,\n' "$(sed -n 10p bsns.txt)" >bsn-change.csv
run_sync --clients bsn-change.csv >bsn-change.json || fail "ecd_sync bsn change"
[ "$(count bsn-change.json clients refused)" -eq 1 ] && grep -q "E00003: refused (bsn_changed)" "$T/ecd_sync.log" ||
	fail "a BSN change was not refused: $(cat bsn-change.json)"
ok "a BSN change for a known id: refused (bsn_changed)"

# ---- who may: a session cookie, the API token, the credential elsewhere ----
post() { curl -s -o resp.json -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
curl -s -c jar -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"professional\":\"$PROF\",\"password\":\"$PROF_PW\"}" "$BASE/api/session"
CSRF=$(curl -s -b jar "$BASE/api/me" | python3 -c "import json,sys; print(json.load(sys.stdin)['csrf'])") ||
	fail "no session for $PROF"
code=$(post -b jar -H "X-CSRF-Token: $CSRF" -d '{"items":[]}' "$BASE/api/integration/v1/clients")
[ "$code" = 401 ] && grep -q '"credential_missing"' resp.json && grep -q "inlogsessie" resp.json ||
	fail "a professional's session cookie on the integration API: $code $(cat resp.json)"
code=$(curl -s -o resp.json -w '%{http_code}' -b jar "$BASE/api/integration/v1/clients/E00002")
[ "$code" = 401 ] || fail "a session cookie read a client through the integration API: $code"
code=$(post -H "Authorization: Bearer $(cat $ORG_A/api-token)" -d '{"items":[]}' "$BASE/api/integration/v1/clients")
[ "$code" = 401 ] && grep -q '"credential_invalid"' resp.json || fail "the API token on the integration API: $code"
code=$(curl -s -o resp.json -w '%{http_code}' -H "Authorization: Bearer $CRED" "$BASE/api/cases")
[ "$code" = 401 ] || fail "the service credential was accepted on /api/cases: $code"
code=$(curl -s -o resp.json -w '%{http_code}' -H "Authorization: Bearer $CRED" "$BASE/cases")
[ "$code" = 401 ] || [ "$code" = 303 ] || fail "the service credential opened a page: $code"
WRONG=${CRED%?}0
[ "$WRONG" != "$CRED" ] || WRONG=${CRED%?}1
code=$(post -H "Authorization: Bearer $WRONG" -d '{"items":[]}' "$BASE/api/integration/v1/clients")
[ "$code" = 401 ] && grep -q '"credential_invalid"' resp.json || fail "a wrong credential: $code"
ok "a session cookie and the API token refused on the integration API; the credential refused elsewhere"

# ---- size caps ----
python3 -c "import json; print(json.dumps({'items': [{'id': 'X%d' % i} for i in range(1001)]}))" >big.json
code=$(post -H "Authorization: Bearer $CRED" --data-binary @big.json "$BASE/api/integration/v1/clients")
[ "$code" = 413 ] && grep -q '"batch_too_large"' resp.json || fail "1,001 items: $code $(cat resp.json)"
head -c $((2 * 1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >huge.json
code=$(post -H "Authorization: Bearer $CRED" --data-binary @huge.json "$BASE/api/integration/v1/clients")
[ "$code" = 413 ] && grep -q '"body_too_large"' resp.json || fail "a body over 2 MiB: $code $(head -c 300 resp.json)"
head -c $((100 * 1024)) /dev/zero | tr '\0' ' ' >large.json
code=$(post -b jar -H "X-CSRF-Token: $CSRF" --data-binary @large.json "$BASE/api/cases")
[ "$code" = 413 ] || fail "100 KiB to /api/cases (its cap is 64 KiB): $code"
ok "caps: 1,000 items, 2 MiB on the integration API, 64 KiB elsewhere"

# ---- revoked ----
node service revoke ecd --dir $ORG_A >/dev/null || fail "service revoke"
code=$(post -H "Authorization: Bearer $CRED" -d '{"items":[]}' "$BASE/api/integration/v1/clients")
[ "$code" = 401 ] && grep -q '"credential_invalid"' resp.json || fail "a revoked credential: $code"
ok "a revoked credential refused at once"

# ---- the reference client over the node's own TLS, with a new credential ----
stop_serve
serve_a --tls-self
[[ $BASE == https://* ]] || fail "serve --tls-self did not serve https: $BASE"
(umask 077; node service add --dir $ORG_A --id ecd-2 --name "ECD Wijkteam (nieuw)" >cred2) ||
	fail "service add ecd-2"
SCHAKEL_CREDENTIAL=$(cat cred2) timeout 300 python3 "$SYNC" --url "$BASE" --cafile $ORG_A/web-tls.crt \
	--json --clients day-clients.csv >tls.json 2>>"$T/ecd_sync.log" || fail "ecd_sync over TLS: $(tail -3 "$T/ecd_sync.log")"
[ "$(count tls.json clients unchanged)" -eq 101 ] || fail "over TLS: $(cat tls.json)"
ok "examples/ecd_sync.py over the node's TLS (--cafile) with a new credential: the day's clients unchanged"

# ---- the audit: as the service; the art. 15 report says so; no BSN ----
node audit report --dir $ORG_A --client "$(sed -n 3p bsns.txt)" >report.txt || fail "audit report"
grep -q "via het cliëntsysteem" report.txt || fail "the art. 15 report does not name the client system: $(cat report.txt)"
node audit export --dir $ORG_A --format csv --out audit.csv >/dev/null || fail "audit export"
python3 - "$N_CASES" <<'PY' || fail "the audit log of the integration"
import csv, sys
recs = list(csv.DictReader(open("audit.csv", encoding="utf-8-sig")))
ecd = [r for r in recs if r.get("user") == "ecd"]
opens = [r for r in ecd if r.get("event") == "case.open"]
assert len(opens) >= int(sys.argv[1]), len(opens)
assert all(r.get("role") == "service" and str(r.get("access_point", "")).startswith("integration:")
           and r.get("responsible") in ("anna", "bea") for r in opens), opens[0]
assert any(r.get("event") == "ecd.batch" for r in ecd)
assert any(r.get("event") == "ecd.refused" and r.get("outcome") == "denied" for r in ecd)
assert any(r.get("event") == "service.revoke" for r in recs)
assert any(r.get("user") == "ecd-2" and r.get("event") == "ecd.batch" for r in recs)
assert sum(r.get("event") == "service.refused" for r in recs) >= 3
PY
for f in audit.csv "$T/serve.log" "$T/ecd_sync.log" "$T/node.log"; do
	grep -q -w -F -f bsns.txt "$f" && fail "a BSN in clear in $f"
done
ok "audited as the service (role service, responsible the professional); the report names the client system; no BSN in logs or audit"
stop_serve
