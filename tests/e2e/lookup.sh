# The registry's read path end to end: lookups under the consent matrix,
# disclosure notices and match notifications, padding, expiry, purge on
# departure and pattern flags. Each org computes its tokens from test BSNs
# through the chain of two pseudonymisers, as a node does.
source "$(dirname "$0")/lib.sh"
: "${SK_PSEUDONYMISER:?}" "${SK_TESTTOKEN:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
"$SK_REGISTRY" serve --dir r --dev --listen 127.0.0.1:0 --sweep-seconds 1 --lookup-limit 12 >serve.out 2>>serve.log &
REG_PID=$!; PIDS+=("$REG_PID")
for _ in $(seq 100); do grep -q '^listening' serve.out && break; sleep 0.1; done
chain_up

enrol() { # ORG CATEGORY
	"$SK_TESTNODE" init --dir "$1" --org-id "$1" --name "Org $1" --category "$2" >/dev/null
	reg enrol --dir r --ca ca --request "$1/enrol-request" --out "$1/bundle" $CHAIN >/dev/null
	psd allow --dir ps1 --org "$1" >/dev/null
	psd allow --dir ps2 --org "$1" >/dev/null
}
enrol wijkteam sociaal-team
enrol ggz ggz
enrol gemeente gemeente
enrol fact fact
enrol jeugd jeugd

# token ORG BSN: the org's own computation through the chain, every proof checked
token() {
	"$SK_TESTTOKEN" --dir "$1" --bundle "$1/bundle" --bsn "$2" | json token ||
		fail "token for $1"
}
SEQ=100
pub() { # ORG BSN [options]: publish with the next sequence number
	SEQ=$((SEQ + 1))
	"$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" --seq $SEQ --token "$(token "$1" "$2")" \
		"${@:3}" >out.json || fail "publish by $1: $(cat out.json)"
}
look() { "$SK_TESTNODE" lookup --dir "$1" --bundle "$1/bundle" --token "$(token "$1" "$2")" "${@:3}"; }
orgs() { python3 -c 'import json,sys; print(",".join(r["org"] for r in json.loads(sys.stdin.readline())["results"]))'; }
mail() { "$SK_TESTNODE" mailbox --dir "$1" --bundle "$1/bundle"; }
mapfile -t BSN < <(bsns 10 42)

# mutual visibility: both discover, each allows the other's category
T1=${BSN[1]}
pub wijkteam "$T1" --flags discover,contact,discuss --categories ggz,sociaal-team
pub ggz "$T1" --flags discover --categories sociaal-team
[ "$(look wijkteam "$T1" | orgs)" = ggz ] || fail "wijkteam should see ggz"
[ "$(look ggz "$T1" | orgs)" = wijkteam ] || fail "ggz should see wijkteam"
look ggz "$T1" | grep -c >/dev/null '"contact":true' || fail "wijkteam allowed contact"
look wijkteam "$T1" | grep -c >/dev/null '"contact":false' || fail "ggz did not allow contact"
ok "mutually visible entries are returned, the sealed contact only under CONTACT"

# both sides got a match notification; each lookup put a disclosure notice
# in the other's mailbox, with the asker's role and purpose
mail wijkteam | grep -c >/dev/null '"kind":"match","counterpart":"ggz"' || fail "no match at wijkteam"
mail ggz | grep -c >/dev/null '"kind":"match","counterpart":"wijkteam"' || fail "no match at ggz"
mail ggz | grep -c >/dev/null '"kind":"disclosure","counterpart":"wijkteam","purpose":"afstemming","role":"spv"' ||
	fail "no disclosure notice at ggz"
ok "match notifications on both sides; disclosure notices with role and purpose"

# a republish that changes nothing in visibility gives no new match
before=$(mail wijkteam | grep -c '"kind":"match"')
pub wijkteam "$T1" --flags discover,contact,discuss --categories ggz,sociaal-team,fact
after=$(mail wijkteam | grep -c '"kind":"match"')
[ "$before" = "$after" ] || fail "administrative republish notified a match"
ok "administrative republish: no new match notification"

# one-sided DISCOVER gives nothing to either side
T2=${BSN[2]}
pub wijkteam "$T2" --flags discover --categories ggz
pub ggz "$T2" --flags discuss --categories sociaal-team
[ -z "$(look wijkteam "$T2" | orgs)" ] || fail "one-sided discover disclosed ggz"
[ -z "$(look ggz "$T2" | orgs)" ] || fail "one-sided discover disclosed wijkteam"
ok "one-sided DISCOVER gives nothing to either side"

# categories: each must allow the other's
T3=${BSN[3]}
pub wijkteam "$T3" --flags discover --categories fact
pub ggz "$T3" --flags discover --categories sociaal-team
[ -z "$(look ggz "$T3" | orgs)" ] || fail "category not allowed, yet visible"
ok "an entry that does not allow the asker's category stays invisible"

# the policy matrix: gemeente may not discover at all, and discuss-only
# entries and statutory entries are never discovered
T4=${BSN[4]}
"$SK_TESTNODE" publish --dir gemeente --bundle gemeente/bundle --seq 1 --token "$(token gemeente "$T4")" \
	--flags discover --categories sociaal-team >out.json && fail "gemeente discover accepted"
grep -q "policy" out.json || fail "gemeente: $(cat out.json)"
pub gemeente "$T4" --flags discuss --categories sociaal-team
pub fact "$T4" --flags discuss --basis statutory --categories sociaal-team
pub wijkteam "$T4" --flags discover,discuss --categories ggz,fact,gemeente
[ -z "$(look wijkteam "$T4" | orgs)" ] || fail "statutory or policy-barred entry discovered"
ok "policy matrix and statutory basis: never discovered"

# a statutory basis allows DISCUSS only: an entry that carries DISCOVER on
# it is refused at publish, so a partner that allows it and discovers
# never sees it, and it sees no one
T9=${BSN[9]}
pub ggz "$T9" --flags discover,contact --categories fact,sociaal-team
for flags in discover discover,discuss discover,contact,discuss; do
	SEQ=$((SEQ + 1))
	"$SK_TESTNODE" publish --dir fact --bundle fact/bundle --seq $SEQ --token "$(token fact "$T9")" \
		--basis statutory --flags $flags --categories ggz,sociaal-team >out.json &&
		fail "statutory entry with $flags accepted"
	grep -q "a statutory basis allows discuss only" out.json || fail "statutory $flags: $(cat out.json)"
	[ -z "$(look ggz "$T9" | orgs)" ] || fail "a statutory entry with $flags was discovered"
done
pub fact "$T9" --basis statutory --flags discuss --categories ggz,sociaal-team
[ -z "$(look ggz "$T9" | orgs)" ] || fail "a statutory entry was discovered"
[ -z "$(look fact "$T9" | orgs)" ] || fail "a statutory entry discovered its partner"
ok "statutory basis: DISCOVER refused at publish; the statutory entry is never discovered, nor discovers"

# nothing tells "no other entries" from "undisclosed entries only"
T5=${BSN[5]}
pub wijkteam "$T5" --flags discover --categories ggz
a=$(look wijkteam "$T5")
b=$(look wijkteam "$T4")
[ "$(echo "$a" | json size)" = "$(echo "$b" | json size)" ] || fail "sizes differ: $a / $b"
[ "$(echo "$a" | json hash)" = "$(echo "$b" | json hash)" ] || fail "contents differ"
ok "same response size and bytes with no other entries and with undisclosed ones ($(echo "$a" | json size) bytes)"

# padding: the answer is the same size on the wire (TLS records), after
# TLS (the frame) and before unpadding (the LookupResponse with its
# padding), whether nothing, only undisclosed entries, one or three
# visible partners stand behind it
T8=${BSN[8]}
pub wijkteam "$T8" --flags discover --categories ggz,fact,jeugd
for org in ggz fact jeugd; do pub $org "$T8" --flags discover,contact --categories sociaal-team; done
c=$(look wijkteam "$T1")
d=$(look wijkteam "$T8")
[ "$(echo "$c" | orgs)" = ggz ] || fail "one visible: $c"
[ "$(echo "$d" | orgs | tr , '\n' | sort | paste -sd,)" = fact,ggz,jeugd ] || fail "three visible: $d"
for f in wire frame padded; do
	sizes=$(for x in "$a" "$b" "$c" "$d"; do echo "$x" | json $f; done | sort -u)
	[ "$(echo "$sizes" | wc -l)" = 1 ] || fail "$f sizes differ: $(echo "$sizes" | paste -sd' ')"
done
[ "$(echo "$a" | json padded)" = 4096 ] || fail "padded body is not 4096 bytes: $a"
[ "$(echo "$a" | json frame)" -gt 4096 ] && [ "$(echo "$a" | json wire)" -gt "$(echo "$a" | json frame)" ] ||
	fail "frame and wire sizes: $a"
ok "padded answers: none, only undisclosed, one and three visible give the same TLS records ($(echo "$a" | json wire) bytes), frame ($(echo "$a" | json frame)) and padded body (4096)"

# a lookup needs the asker's own live entry and a known purpose code
out=$(look fact "$T1") && fail "lookup without own entry answered"
echo "$out" | grep -c >/dev/null "no live entry" || fail "no-entry refusal: $out"
out=$(look wijkteam "$T1" --purpose nieuwsgierig) && fail "unknown purpose answered"
echo "$out" | grep -c >/dev/null "purpose" || fail "purpose refusal: $out"
ok "lookups without an own live entry or with an unknown purpose are refused"

# expiry: an expired entry stops matching at once
T6=${BSN[6]}
pub wijkteam "$T6" --flags discover --categories ggz --expires-ms 3000
pub ggz "$T6" --flags discover --categories sociaal-team
[ "$(look ggz "$T6" | orgs)" = wijkteam ] || fail "not visible before expiry"
sleep 3.5
[ -z "$(look ggz "$T6" | orgs)" ] || fail "expired entry still matched"
ok "an expired entry stops matching at once"

# publish -> lookup -> withdraw within 48 hours is flagged, for the
# operator and in the org's own mailbox
T7=${BSN[7]}
pub fact "$T7" --flags discover --categories sociaal-team
look fact "$T7" >/dev/null
pub fact "$T7" --withdraw
mail fact | grep -c >/dev/null '"kind":"pattern".*48 hours' || fail "no pattern item for fact"
reg flags --dir r | grep -c >/dev/null "fact.*48 hours" || fail "no operator flag"
ok "publish, lookup and withdrawal within 48 hours flagged"

# lookup volume above the daily limit (12 in this test) is flagged once
for _ in $(seq 14); do look wijkteam "$T1" >/dev/null; done
[ "$(mail wijkteam | grep -c '"kind":"pattern".*lookup volume')" = 1 ] || fail "volume flag"
reg flags --dir r | grep -c >/dev/null "wijkteam.*lookup volume" || fail "no operator volume flag"
ok "lookup volume per org flagged once, for the operator and the org"

# a departed org is purged: partners whose matches disappear are told
reg revoke --dir r --org ggz --purge >purge.out
grep -q "entries purged" purge.out || fail "purge: $(cat purge.out)"
mail wijkteam | grep -c >/dev/null '"kind":"match-gone","counterpart":"ggz"' || fail "no match-gone at wijkteam"
[ -z "$(look wijkteam "$T1" | orgs)" ] || fail "purged org still visible"
ok "revoke --purge: entries gone, partners notified"

kill -TERM "$REG_PID"; wait "$REG_PID" || fail "SIGTERM did not exit 0"
reg audit verify --dir r >/dev/null || fail "audit verify"
ok "registry drained; audit chain verifies"
