# The pseudonymiser chain end to end: two pseudonymisers run by different
# parties (separate processes and data dirs), a registry, three orgs, and a
# node's token computation (sk-testtoken) over real TLS: tokens, proofs,
# the allow-list, quotas and grants, revocation, rotation, the audit log.
source "$(dirname "$0")/lib.sh"
: "${SK_PSEUDONYMISER:?}" "${SK_TESTTOKEN:?}"
cd "$T"

# try CMD...: runs it, keeping its output (stdout and stderr) and exit code
try() { set +e; out=$("$@" 2>&1); rc=$?; set -e; }
P() { "$SK_PSEUDONYMISER" "$@" --dev; }
tok() { "$SK_TESTTOKEN" --dir "$1" --bundle "${BUNDLE:-$1/bundle}" "${@:2}"; }
# keeps every element sent or received, to look for them in the pseudonymisers' files
tokp() { tok "$@" --show-points | tee -a all.out | grep -v '"points"'; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r

# each party: init (its OPRF key goes into the request), enrolment, join
for p in ps1 ps2; do
	psd init --dir $p --org-id $p --name "Pseudonymiser $p" >/dev/null
	reg enrol --dir r --ca ca --request $p/enrol-request --out $p.bundle >/dev/null
	psd join --dir $p --bundle $p.bundle >/dev/null
done
[ "$(stat -c %a ps1)" = 700 ] && [ "$(stat -c %a ps1/oprf-1.key)" = 600 ] || fail "modes"
psd status --dir ps1 --json >st1
[ "$(field "['registry']" <st1)" = "$REG_ADDR" ] || fail "status: registry"
K1=$(field "['epochs'][0]['oprf_key']" <st1)
K2=$(psd status --dir ps2 --json | field "['epochs'][0]['oprf_key']")
# a bundle from another registry: the pinned key refuses it (exit 3)
reg init --dir rx --name other.example/registry --ca ca >/dev/null
reg enrol --dir rx --registry 127.0.0.1:1 --ca ca --request ps1/enrol-request --out ps1-other.bundle >/dev/null
try P join --dir ps1 --bundle ps1-other.bundle
[ $rc = 3 ] && echo "$out" | grep -c >/dev/null "another registry" || fail "other registry's bundle ($rc): $out"
try P join --dir ps1 --bundle ps2.bundle
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "not to this pseudonymiser" || fail "ps2's bundle at ps1 ($rc): $out"
psd join --dir ps1 --bundle ps1.bundle >/dev/null || fail "re-join with the same registry"
ok "init, enrol and join of two pseudonymisers; the registry key is pinned"

start_pseudonymiser ps1 --sync-seconds 1 --witness-listen 127.0.0.1:0; PS1_PID=$PS_PID; A1=$PS_ADDR
[ -n "$WIT_ADDR" ] || fail "serve --witness-listen started no witness (tests/e2e/witness.sh tests it)"
start_pseudonymiser ps2 --sync-seconds 1; PS2_PID=$PS_PID; A2=$PS_ADDR

# three orgs, their bundles listing the chain in order
for org in wijkteam ggz jeugd; do
	case $org in wijkteam) cat=sociaal-team ;; *) cat=$org ;; esac
	"$SK_TESTNODE" init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org/bundle \
		--pseudonymiser ps1@"$A1" --pseudonymiser ps2@"$A2" >/dev/null
done
for org in wijkteam ggz jeugd; do psd allow --dir ps1 --org $org >/dev/null; done
for org in wijkteam ggz; do psd allow --dir ps2 --org $org >/dev/null; done

# an org that one pseudonymiser has not allowed gets no token
try tok jeugd --bsn 111222333
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "ps2: org 'jeugd' is not allowed by this pseudonymiser" ||
	fail "not allowed ($rc): $out"
psd allow --dir ps2 --org jeugd >/dev/null
tokp jeugd --bsn 111222333 >jeugd1 || fail "allow while serving: $(cat jeugd1)"
ok "an org not allowed by one pseudonymiser gets no token; allow applies at once"

tokp wijkteam --bsn 111222333 >w1 || fail "token: $(cat w1)"
tokp ggz --bsn 111222333 >g1 || fail "token: $(cat g1)"
tokp ggz --bsn 123456782 >g2 || fail "token: $(cat g2)"
[ "$(json token <w1)" = "$(json token <g1)" ] && [ "$(json token <w1)" = "$(json token <jeugd1)" ] ||
	fail "the same BSN gave different tokens"
[ "$(json contact_key <w1)" = "$(json contact_key <g1)" ] || fail "contact keys differ"
[ "$(json token <w1)" != "$(json token <g2)" ] || fail "different BSNs gave the same token"
[ "$(json epoch <w1)" = 1 ] || fail "epoch"
ok "the same BSN gives the same token at three orgs; a different BSN does not"

# batch: one request per pseudonymiser, one line per BSN, same tokens
printf '111222333\n123456782\n' >two
tokp wijkteam --bsn-file two >wb || fail "batch: $(cat wb)"
[ "$(sed -n 1p wb | json token)" = "$(json token <w1)" ] &&
	[ "$(sed -n 2p wb | json token)" = "$(json token <g2)" ] || fail "batch tokens differ"
ok "a batch gives the same tokens as single requests"

# an invalid BSN is refused before any file is read or anything is sent
try "$SK_TESTTOKEN" --dir nowhere --bundle /nonexistent --bsn 123456789
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "not a valid BSN; nothing was sent" || fail "bad BSN: $out"
printf '111222333\n12345678\n' >bad
try "$SK_TESTTOKEN" --dir nowhere --bundle /nonexistent --bsn-file bad
echo "$out" | grep -c >/dev/null "line 2: not a valid BSN" || fail "bad BSN in a batch: $out"
ok "an invalid BSN is refused before any network traffic"

# a pseudonymiser answering with another key than the pinned one: the proof fails
for pin in "ps1=$K2" "ps2=$K1"; do
	try tok wijkteam --bsn 111222333 --pin-key "$pin"
	[ $rc = 3 ] && echo "$out" | grep -c >/dev/null "does not verify" || fail "wrong key $pin ($rc): $out"
done
# and a server that is not the pseudonymiser of that chain position
try tok wijkteam --bsn 111222333 --addr ps1="$A2"
[ $rc = 1 ] || fail "ps2 accepted as ps1: $out"
ok "an answer under another key is caught by the proof (exit 3)"

try tok wijkteam --bsn 111222333 --send-invalid
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "not a valid ristretto255 element" || fail "invalid element: $out"
try tok wijkteam --bsn 111222333 --epoch 9
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "epoch 9 is not served" || fail "unknown epoch: $out"
ok "invalid elements and unknown epochs are refused"

# deny takes effect at once, also on an org with a live allow entry at the other
psd deny --dir ps1 --org ggz >/dev/null
try tok ggz --bsn 111222333
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "ps1: org 'ggz' is not allowed" || fail "deny ($rc): $out"
try P deny --dir ps1 --org ggz
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "not on this pseudonymiser's allow-list" || fail "double deny: $out"
psd allow --dir ps1 --org ggz >/dev/null
tokp ggz --bsn 111222333 >/dev/null || fail "re-allowed"
ok "deny takes effect at once while serving"

# quota: jeugd has used 2 evaluations at ps1 today; 5 a day, then a batch of 6
psd allow --dir ps1 --org jeugd --quota 5/day >/dev/null
bsns 6 1 >six
try tok jeugd --bsn-file six
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "ps1: daily quota of 5 evaluations reached for org 'jeugd'" &&
	echo "$out" | grep -c >/dev/null "ask the pseudonymiser operator for a grant" || fail "quota ($rc): $out"
try P grant --dir ps1 --org nobody --extra 10
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "not allowed by this pseudonymiser; allow it first" || fail "grant: $out"
psd grant --dir ps1 --org jeugd --extra 10 --until 2099-12-31 >/dev/null
tokp jeugd --bsn-file six >/dev/null || fail "grant did not let the batch through"
sleep 2.5 # counters are saved every 2 s
psd list --dir ps1 --json >list
python3 - list <<'PY' || fail "list: $(cat list)"
import json, sys
l = {o["id"]: o for o in json.load(open(sys.argv[1]))}
j = l["jeugd"]
assert j["quota"] == 5 and j["used_today"] == 8, j
assert j["grant"] == {"extra": 10, "left": 7, "until": "2099-12-31"}, j
assert l["wijkteam"]["quota"] == 5000 and not l["wijkteam"]["revoked"], l
PY
ok "quota exceeded is refused with a clear error; a grant lets the batch through"

# SIGTERM: drain, save, daily totals in the audit log; a restart keeps the counts
kill -TERM "$PS1_PID"
wait "$PS1_PID" || fail "ps1: SIGTERM did not exit 0"
start_pseudonymiser ps1 --sync-seconds 1; PS1_PID=$PS_PID; A1=$PS_ADDR
tokp jeugd --bsn-file six --addr ps1="$A1" >/dev/null || fail "grant after restart"
try tok jeugd --bsn-file six --addr ps1="$A1"
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "daily quota of 5" || fail "counts reset by a restart: $out"
ok "SIGTERM exits 0; counters and grants survive a restart"

# revocation at the registry reaches the pseudonymisers within the sync interval
reg revoke --dir r --org ggz >/dev/null
for i in $(seq 50); do
	try tok ggz --bsn 111222333 --addr ps1="$A1"
	[ $rc = 1 ] && break
	sleep 0.2
done
[ $rc = 1 ] && echo "$out" | grep -c >/dev/null "org 'ggz' is revoked" || fail "revoked org served: $out"
tokp wijkteam --bsn 111222333 --addr ps1="$A1" >/dev/null || fail "others still served"
[ "$(psd status --dir ps2 --json | field "['revoked_orgs']")" = 1 ] || fail "ps2 did not record it"
ok "a revoked org is refused by the pseudonymisers within the sync interval"

# rotation: epoch 2 keys become member-event leaves; nodes get them in a refreshed bundle
psd rotate --dir ps1 --until 2030-12-31 --json >rot1 || fail "rotate ps1: $(tail -3 "$T/stderr.log")"
psd rotate --dir ps2 --until 2030-12-31 --json >rot2 || fail "rotate ps2: $(tail -3 "$T/stderr.log")"
[ "$(field "['epoch']" <rot1)" = 2 ] && [ "$(field "['epoch']" <rot2)" = 2 ] || fail "rotate: $(cat rot1 rot2)"
for p in ps1 ps2; do
	for i in $(seq 50); do
		psd status --dir $p --json >st
		[ "$(field "['epochs'][1]['in_log']" <st)" = True ] && break
		sleep 0.2
	done
	[ "$(field "['epochs'][1]['in_log']" <st)" = True ] || fail "$p: epoch 2 not seen in the log"
	[ "$(field "['current_epoch']" <st)" = 2 ] || fail "$p: current epoch"
done
for org in wijkteam jeugd; do
	reg enrol --dir r --refresh $org --out $org/bundle2 --pseudonymiser ps1@"$A1" \
		--pseudonymiser ps2@"$A2" >/dev/null
done
BUNDLE=wijkteam/bundle2 tokp wijkteam --bsn 111222333 >w2 || fail "epoch 2: $(cat w2)"
BUNDLE=jeugd/bundle2 tokp jeugd --bsn 111222333 --addr ps1="$A1" >j2 || fail "epoch 2: $(cat j2)"
[ "$(json epoch <w2)" = 2 ] || fail "not epoch 2: $(cat w2)"
[ "$(json token <w2)" = "$(json token <j2)" ] || fail "epoch 2 tokens differ between orgs"
[ "$(json token <w2)" != "$(json token <w1)" ] || fail "epoch 2 gave the epoch 1 token"
tokp wijkteam --bsn 111222333 --addr ps1="$A1" >w1b || fail "epoch 1 after rotation"
[ "$(json token <w1b)" = "$(json token <w1)" ] || fail "epoch 1 changed"
try env BUNDLE=wijkteam/bundle2 "$SK_TESTTOKEN" --dir wijkteam --bundle wijkteam/bundle2 \
	--bsn 111222333 --pin-key ps1="$K1"
[ $rc = 3 ] || fail "epoch 2 answer accepted under the epoch 1 key: $out"
ok "rotate: epoch 2 keys are log leaves, epoch 2 tokens differ, both chains verify"

# timing: one batch of 1024 through the chain (sanitizer build, two hops, TLS)
psd allow --dir ps1 --org wijkteam --quota 100000/day >/dev/null
psd allow --dir ps2 --org wijkteam --quota 100000/day >/dev/null
bsns 1024 7 >batch
t0=$(date +%s.%N)
tok wijkteam --bsn-file batch --addr ps1="$A1" >batch.out || fail "batch of 1024: $(tail -1 batch.out)"
t1=$(date +%s.%N)
[ "$(wc -l <batch.out)" = 1024 ] || fail "batch output"
ok "$(python3 -c "print('a batch of 1024 through two pseudonymisers: %.2f s, %.0f BSNs/s (sanitizer build)' % ($t1-$t0, 1024/($t1-$t0)))")"

# the audit logs: verified, operator actions and daily totals only
for pid in "$PS1_PID" "$PS2_PID"; do kill -TERM "$pid"; wait "$pid" || fail "SIGTERM did not exit 0"; done
for p in ps1 ps2; do
	psd audit verify --dir $p >/dev/null || fail "$p audit verify"
	psd audit query --dir $p --json >$p.audit
done
python3 - ps1.audit ps2.audit all.out ps1/data.mdb ps2/data.mdb <<'PY' || fail "audit contents"
import json, re, sys
a1, a2 = (json.load(open(f)) for f in sys.argv[1:3])
points = set()
for line in open(sys.argv[3]):
    o = json.loads(line)
    points.update(o.get("points", []))
assert len(points) > 20, len(points)
allowed = {"ps.init", "ps.join", "org.allow", "org.deny", "org.grant", "org.revoked",
           "epoch.rotate", "eval.daily", "audit.query"}
for log in (a1, a2):
    assert {r["event"] for r in log} <= allowed, {r["event"] for r in log}
    text = json.dumps(log)
    assert not any(p in text for p in points), "a point in the audit log"
    daily = [r for r in log if r["event"] == "eval.daily"]
    for r in daily:
        assert re.fullmatch(r"\d+ evaluations on \d{4}-\d\d-\d\d UTC", r["reason"]), r
# ps2 ran without a restart: one record per org (and day), the day's total
d2 = [r for r in a2 if r["event"] == "eval.daily"]
days = {(r["counterpart"], r["reason"].split(" on ")[1]) for r in d2}
assert len(d2) == len(days) and {r["counterpart"] for r in d2} == {"wijkteam", "ggz", "jeugd"}, d2
# ps1 restarted once: the last record of each (org, day) holds the total
d1 = [r for r in a1 if r["event"] == "eval.daily"]
last = {}
for r in d1:
    last[r["counterpart"]] = int(r["reason"].split()[0])
# jeugd at ps1: 2, a refused 6, 6 on the grant, 6 after the restart, a
# refused 6, 1 in epoch 2
assert last["jeugd"] == 15, last
# no point was ever stored by either pseudonymiser
for f in sys.argv[4:6]:
    data = open(f, "rb").read()
    assert not any(bytes.fromhex(p) in data for p in points), "a point in " + f
PY
ok "audit logs verify and hold daily totals only: no points, no per-request records"
