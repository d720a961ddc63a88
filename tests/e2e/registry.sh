# The registry's write path end to end: enrolment, publish rules, revocation,
# TLS identity, checkpoints, the audit chain and crash consistency.
source "$(dirname "$0")/lib.sh"
: "${SK_PSEUDONYMISER:?}" "${SK_TESTTOKEN:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r
chain_up

# two orgs enrol while serve runs
for org in wijkteam ggz; do
	cat=$([ $org = ggz ] && echo ggz || echo sociaal-team)
	"$SK_TESTNODE" init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org/bundle $CHAIN >/dev/null
	psd allow --dir ps1 --org $org >/dev/null
	psd allow --dir ps2 --org $org >/dev/null
done
# pseudonymisers enrol with their OPRF key; a node's bundle lists them in
# chain order with the policy matrix
for ps in ps-a ps-b; do
	"$SK_TESTNODE" init --dir $ps --org-id $ps --name "Pseudo $ps" --role pseudonymiser >/dev/null
	reg enrol --dir r --ca ca --request $ps/enrol-request --out $ps/bundle >/dev/null
done
"$SK_TESTNODE" init --dir jeugd --org-id jeugd --name "Jeugd" --category jeugd >/dev/null
reg enrol --dir r --ca ca --request jeugd/enrol-request --out jeugd/bundle \
	--pseudonymiser ps-b@127.0.0.1:7402 --pseudonymiser ps-a@127.0.0.1:7401 >/dev/null
"$SK_TESTNODE" show-bundle --bundle jeugd/bundle | python3 -c '
import json,sys; b=json.load(sys.stdin)
assert b["pseudonymisers"]==["ps-b@127.0.0.1:7402","ps-a@127.0.0.1:7401"], b
assert b["policy"]==10 and b["origin"]=="test.example/registry", b'
reg enrol --dir r --ca ca --request jeugd/enrol-request --out jeugd/again 2>/dev/null && fail "double enrol accepted"
reg enrol --dir r --refresh jeugd --out jeugd/bundle2 --pseudonymiser ps-a@127.0.0.1:7401 >/dev/null
"$SK_TESTNODE" show-bundle --bundle jeugd/bundle2 | grep -c >/dev/null '"pseudonymisers":\["ps-a@' || fail "refresh"
reg enrol --dir r --ca ca --request wijkteam/enrol-request --out x --pseudonymiser wijkteam@h:1 2>/dev/null && fail "node as pseudonymiser"
ok "pseudonymisers in chain order and the policy in bundles; --refresh; double enrol refused"

reg members --dir r --json | python3 -c 'import json,sys; m=json.load(sys.stdin); assert sorted(x["id"] for x in m)==["ggz","jeugd","ps-a","ps-b","ps1","ps2","wijkteam"], m'
ok "two orgs enrolled while serving"

# publish, with receipt, checkpoint and inclusion proof checked by the client
p() { "$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" "${@:2}"; }
# the first entry's token comes from a BSN through the chain, as at a node
T1=$("$SK_TESTTOKEN" --dir wijkteam --bundle wijkteam/bundle --bsn 111222333 | json token)
out=$(p wijkteam --seq 1 --token "$T1") || fail "publish: $out"
leaf=$(echo "$out" | json leaf_index)
issued=$(echo "$out" | json issued_at)
p ggz --seq 1 >/dev/null || fail "second org publish"
ok "publish: receipt, signed checkpoint and inclusion proof verify"

# a byte-identical resubmission gets the original receipt
again=$(p wijkteam --seq 1 --token "$T1" --issued-at "$issued") || fail "resubmit: $again"
[ "$(echo "$again" | json leaf_index)" = "$leaf" ] || fail "resubmission got a new leaf"
ok "resubmission returns the original receipt"

# a used number with other content is refused
out=$(p wijkteam --seq 1 --token "$T1" --flags discover,discuss) && fail "reused seq accepted"
echo "$out" | grep -c >/dev/null "already used" || fail "reused seq: $out"
ok "used sequence number refused"

# the privacy officer's query by token finds every record about it: the
# publish and its update through the entry (out of the client index), the
# resubmission and the refusal through the index, oldest first
p wijkteam --seq 2 --token "$T1" >/dev/null || fail "republish"
out=$(reg audit query --dir r --client "$T1") || fail "query by token: $out"
got=$(echo "$out" | grep -o 'entry\.publish [CURD] [a-z]*' | tr '\n' ,)
[ "$got" = "entry.publish C ok,entry.publish R ok,entry.publish C denied,entry.publish U ok," ] ||
	fail "query by token: $got: $out"
reg audit verify --dir r >/dev/null || fail "audit verify after publishes"
ok "audit query --client TOKEN: publish, resubmission, refusal, update"

# a stale version (lower seq for the same token) is refused
p wijkteam --seq 10 --token-seed 77 >/dev/null || fail "seq 10"
out=$(p wijkteam --seq 9 --token-seed 77) && fail "stale accepted"
echo "$out" | grep -c >/dev/null "stale" || fail "stale: $out"
ok "stale version refused"

# an entry naming another org's id
out=$(p wijkteam --seq 20 --entry-org ggz) && fail "foreign org id accepted"
echo "$out" | grep -c >/dev/null "names org 'ggz'" || fail "foreign org: $out"
ok "entry for another org's id refused"

# issued-at off the registry clock
out=$(p wijkteam --seq 21 --skew-ms -400000) && fail "stale issued-at accepted"
echo "$out" | grep -c >/dev/null "5 minutes" || fail "skew: $out"
ok "issued-at more than 5 minutes off refused"

# consent update and withdrawal
p wijkteam --seq 30 --token-seed 5 >/dev/null || fail "publish seq 30"
p wijkteam --seq 31 --token-seed 5 --flags discuss >/dev/null || fail "consent update"
p wijkteam --seq 32 --token-seed 5 --withdraw >/dev/null || fail "withdraw"
ok "consent update and withdrawal"

# a certificate from the same CA for an org this registry never enrolled
reg init --dir r2 --name other.example/registry --ca ca >/dev/null
"$SK_TESTNODE" init --dir stranger --org-id stranger --name Stranger --category ggz >/dev/null
reg enrol --dir r2 --registry 127.0.0.1:1 --ca ca --request stranger/enrol-request --out stranger/bundle >/dev/null
out=$(p stranger --seq 1 --registry "$REG_ADDR") && fail "unenrolled org accepted"
# refused by admission, before any request is read (the publish path's own
# membership check says "the org is not enrolled")
echo "$out" | grep -c >/dev/null "org 'stranger' is not enrolled in this federation" || fail "unenrolled: $out"
ok "unenrolled certificate refused on first read"

# a certificate from another CA for an enrolled org id
reg ca-init --ca ca2 --name "Elders" >/dev/null
reg init --dir r3 --name third.example/registry --ca ca2 >/dev/null
reg enrol --dir r3 --registry 127.0.0.1:1 --ca ca2 --request wijkteam/enrol-request --out wijkteam/bundle-other-ca >/dev/null
out=$(p wijkteam --seq 40 --cert-bundle wijkteam/bundle-other-ca) && fail "foreign CA accepted"
# in the TLS handshake, against the federation CA (not only by admission's
# comparison with the certificate the registry issued)
echo "$out" | grep -c >/dev/null "unknown ca" || fail "foreign CA: $out"
ok "certificate from another CA refused"

# revocation takes effect at once, while serving
reg revoke --dir r --org ggz >/dev/null
out=$(p ggz --seq 2) && fail "revoked org accepted"
# refused by admission on the new connection ("the org is revoked" would be
# the writer's membership check)
echo "$out" | grep -c >/dev/null "org 'ggz' is revoked" || fail "revoked: $out"
ok "revoked org refused"

# checkpoints verify and consistency proofs link them
reg checkpoint --dir r >cp1
n1=$(sed -n 2p cp1)
p wijkteam --seq 50 >/dev/null
p wijkteam --seq 51 >/dev/null
reg checkpoint --dir r >cp2
n2=$(sed -n 2p cp2)
vkey=$(reg checkpoint --dir r --vkey)
reg proof --dir r --from "$n1" --to "$n2" >proof
"$SK_TESTNODE" consistent --vkey "$vkey" --old cp1 --new cp2 --proof proof >/dev/null || fail "consistency $n1 -> $n2"
# a wrong proof is caught
reg proof --dir r --from 1 --to "$n2" >proof-wrong
"$SK_TESTNODE" consistent --vkey "$vkey" --old cp1 --new cp2 --proof proof-wrong >/dev/null && fail "wrong proof accepted"
ok "checkpoints $n1 -> $n2 consistent; a wrong proof is refused"

# crash consistency: kill -9 during a burst from three clients; every
# acknowledged entry is there after the restart (resubmission returns it).
# The burst is an operator's grant over the default quotas (6,000 publishes a
# minute, 50,000 live entries), so the publishes after it are not refused by
# the minute the burst used up.
reg quota --dir r --org wijkteam --entries 1000000 --publishes-per-minute 1000000 >/dev/null
for i in 1 2 3; do
	"$SK_TESTNODE" burst --dir wijkteam --bundle wijkteam/bundle --from $((100000 * i)) --count 20000 --threads 1 >burst$i 2>/dev/null &
	BURSTS+=($!)
done
sleep 2
kill -9 "$REG_PID"
wait "$REG_PID" 2>/dev/null || true
wait "${BURSTS[@]}" || true
acks=$(cat burst1 burst2 burst3 | wc -l)
[ "$acks" -gt 0 ] || fail "no acknowledged publishes before the kill"
start_registry r
cat burst1 burst2 burst3 >acks
res=$("$SK_TESTNODE" resubmit --dir wijkteam --bundle wijkteam/bundle --old acks --registry "$REG_ADDR") ||
	fail "acknowledged entries lost after kill -9: $res"
[ "$(echo "$res" | json checked)" = "$acks" ] || fail "not every ack was checked: $res"
ok "kill -9 during a burst: all $acks acknowledged entries present after restart"

# the audit chain verifies, and one edited byte in the LMDB file is found
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "SIGTERM did not exit 0"
reg audit verify --dir r >/dev/null || fail "audit verify"
p_corr=deadbeefcafe0123
start_registry r
p wijkteam --seq 60000 --correlation "$p_corr" --registry "$REG_ADDR" >/dev/null || fail "publish after restart"
kill -TERM "$REG_PID"; wait "$REG_PID"
python3 - r/data.mdb "$p_corr" <<'PY'
import sys
path, needle = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
i = data.find(needle)
assert i >= 0, "correlation id not found in data.mdb"
data[i] ^= 0x01
open(path, "wb").write(data)
PY
set +e
msg=$(reg audit verify --dir r 2>&1); rc=$?
set -e
[ "$rc" = 3 ] || fail "edited audit record not detected (rc $rc): $msg"
ok "audit chain verifies; an edited byte exits 3: $(tail -1 "$T/stderr.log")"
