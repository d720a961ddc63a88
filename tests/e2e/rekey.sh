# A node's new keys with the operator's countersignature: `rekey` makes new
# identity, TLS and encryption keys and a request signed by the old and the
# new identity; the operator's `enrol --refresh ORG --request F --ca CA`
# checks both, issues the certificate and a MEMBER_REFRESHED leaf; `join`
# installs it. Then the node publishes and looks up with the new keys, the
# old certificate is refused, and a partner checks a discussion message
# signed by the new identity key it learnt from the log.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

federation_up
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodes_up wijkteam:sociaal-team altrecht:ggz
for org in wijkteam altrecht; do node client add --dir $org --bsn 111222333 --name "Jan Modaal" >/dev/null; done
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
node case open --dir wijkteam --client 111222333 --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case open wijkteam: $(tail -2 node.log)"
node case open --dir altrecht --client 111222333 --as bram --consent discover,discuss \
	--categories all >/dev/null || fail "case open altrecht"
for org in wijkteam altrecht; do node sync --dir $org >/dev/null || fail "sync $org"; done
ok "two nodes joined, a shared client published"

# the node asks for new keys; nothing changes until the operator agrees
cp -a wijkteam wijkteam.old
out=$(node rekey --dir wijkteam) || fail "rekey: $(tail -2 node.log)"
[ -s wijkteam/rekey-request ] && [ -e wijkteam/identity.key.new ] && [ -e wijkteam/tls.key.new ] ||
	fail "rekey wrote no request or keys"
[ "$(stat -c %a wijkteam/rekey-request)" = 600 ] && [ "$(stat -c %a wijkteam/tls.key.new)" = 600 ] ||
	fail "rekey file modes"
try "$SK_NODE" rekey --dir wijkteam --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "pending already" || fail "second rekey: rc $rc: $msg"
node sync --dir wijkteam >/dev/null || fail "sync with the old keys before the operator's rekey"
ok "rekey: new keys set aside (0600) and a request; a second rekey refused; the old keys still work"

# the operator refuses a changed request, another org's, and one without the old key's signature
python3 - <<'PY'
d = bytearray(open("wijkteam/rekey-request", "rb").read())
d[60] ^= 1  # inside the new identity key
open("forged-request", "wb").write(d)
PY
try "$SK_REGISTRY" enrol --dir r --refresh wijkteam --request forged-request --ca ca --out x.bundle --dev
[ "$rc" = 3 ] && echo "$msg" | grep -c >/dev/null "do not verify" || fail "forged request: rc $rc: $msg"
[ -e x.bundle ] && fail "a forged request got a bundle"
try "$SK_REGISTRY" enrol --dir r --refresh altrecht --request wijkteam/rekey-request --ca ca --out x.bundle --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "not for 'altrecht'" || fail "another org's request: rc $rc: $msg"
"$SK_NODE" init --dir fresh --org-id fresh --name "Org fresh" --category ggz --dev >/dev/null 2>&1
try "$SK_NODE" rekey --dir fresh --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "not joined" || fail "rekey of an unjoined node: rc $rc: $msg"
ok "operator: a changed request and another org's request refused; an unjoined node cannot ask"

out=$(reg enrol --dir r --refresh wijkteam --request wijkteam/rekey-request --ca ca --out wijkteam.rekey $CHAIN) ||
	fail "operator rekey: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "wijkteam rekeyed" || fail "enrol --refresh --request said: $out"
try "$SK_REGISTRY" enrol --dir r --refresh wijkteam --request wijkteam/rekey-request --ca ca --out y.bundle --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "not signed by the identity key the registry holds" ||
	fail "a replayed rekey request: rc $rc: $msg"
try "$SK_NODE" sync --dir wijkteam --dev
[ "$rc" != 0 ] && echo "$msg" | grep -ci >/dev/null "certificate" || fail "old certificate accepted after the operator's rekey: rc $rc: $msg"
ok "operator rekey: bundle with the new certificate; a replayed request refused; the old certificate refused at once"

out=$(node join --dir wijkteam --bundle wijkteam.rekey) || fail "join of the rekey bundle: $(tail -2 node.log)"
[ -e wijkteam/identity.key.new ] && fail "the new keys were not moved into place"
out=$(node sync --dir wijkteam --json) || fail "sync with the new keys: $(tail -3 node.log)"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["rotated"] == 1, d' ||
	fail "no new encryption key after the rekey: $out"
node audit query --dir wijkteam --json >q.json
grep -q '"node.rekey"' q.json && grep -q '"node.rekey.request"' q.json || fail "rekey not audited"
node audit verify --dir wijkteam >/dev/null || fail "audit verify after rekey"
ok "join installs the new keys (audited node.rekey); sync with the new TLS key, a new encryption key certified by the new identity"

# the old keys are refused; the new ones publish and look up
try "$SK_NODE" sync --dir wijkteam.old --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "not the one the registry issued" || fail "old TLS key: rc $rc: $msg"
node client add --dir wijkteam --bsn 123456782 >/dev/null
node case open --dir wijkteam --client 123456782 --as anna --consent discover --categories all \
	>/dev/null || fail "publish with the new identity: $(tail -3 node.log)"
node case consent --dir wijkteam --case 1 --as anna --consent discover,contact,discuss \
	--categories ggz,sociaal-team >/dev/null || fail "republish with the new identity: $(tail -3 node.log)"
node lookup --dir wijkteam --client 111222333 --as anna --purpose afstemming | grep -c >/dev/null altrecht ||
	fail "lookup with the new keys"
node lookup --dir altrecht --client 111222333 --as bram --purpose afstemming | grep -c >/dev/null wijkteam ||
	fail "partner lookup after the rekey"
ok "the old certificate is refused; entries signed by the new identity publish; lookups both ways"

# the pseudonymisers follow the log too: the old certificate gets no token
sleep 2 # their sync interval is 1 s
echo 123456782 >one.csv
try "$SK_NODE" client import --dir wijkteam.old --file one.csv --dev
[ "$rc" != 0 ] && echo "$msg" | grep -c >/dev/null "was replaced in the registry's log" ||
	fail "old certificate at the pseudonymiser: rc $rc: $msg"
echo 100000009 >two.csv
node client import --dir wijkteam --file two.csv >/dev/null || fail "new certificate at the pseudonymisers: $(tail -2 node.log)"
psd audit query --dir ps1 --json >ps1.json || fail "ps1 audit query"
grep -q '"org.rekey"' ps1.json || fail "the pseudonymiser did not audit the rekey"
ok "the pseudonymisers pin the certificate from the log: the new one gets tokens, the old one none (audited org.rekey)"

# the partner learns the new identity from the MEMBER_REFRESHED leaf: a
# discussion message signed by it verifies there
node sync --dir altrecht >/dev/null || fail "altrecht sync"
id=$(node discuss request --dir wijkteam --client 111222333 --as anna --topic afstemming) ||
	fail "discuss request: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null
node discuss accept "$id" --dir altrecht --as bram >/dev/null || fail "accept: $(tail -2 node.log)"
node sync --dir wijkteam >/dev/null
echo "Samenvatting na nieuwe sleutels" >summary.txt
node discuss send "$id" --dir wijkteam --as anna --text-file summary.txt --yes >/dev/null ||
	fail "send with the new identity: $(tail -2 node.log)"
out=$(node sync --dir altrecht --json) || fail "altrecht sync: $(tail -3 node.log)"
node discuss show "$id" --dir altrecht --as bram | grep -c >/dev/null "Samenvatting na nieuwe sleutels" ||
	fail "the partner did not accept a message signed by the new identity: $out $(tail -3 node.log)"
ok "the partner's directory holds the new identity key: a message signed by it verifies and shows"
