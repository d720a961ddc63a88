# A federation with a policy matrix of its own (schakel-registry init
# --policy FILE): the registry hands it to members in their bundles and
# enforces it at publish and on every lookup, in both directions. The
# matrix differs from the default both ways (it lets the municipality and
# the social team see each other, and keeps ggz and jeugd apart), so a
# registry that fell back to the default would fail here.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

cat >policy <<'EOF'
# category: the categories it may see
sociaal-team: sociaal-team ggz gemeente
ggz: ggz sociaal-team
gemeente: sociaal-team
# jeugd may see the social team, but the social team does not see jeugd
jeugd: jeugd sociaal-team
EOF
reg ca-init --ca ca --name "Regio Test" >/dev/null
printf 'ggz: ggz fact\n' >bad.policy
try "$SK_REGISTRY" init --dir rbad --name test.example/registry --ca ca --policy bad.policy --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "policy line 1: a category seen needs a line of its own" ||
	fail "a matrix naming an unknown category ($rc): $msg"
[ ! -e rbad/data.mdb ] || fail "a refused matrix left a registry behind"
reg init --dir r --name test.example/registry --ca ca --policy policy >/dev/null || fail "init --policy"
start_registry r
testnodes_up wijkteam:sociaal-team ggz:ggz gemeente:gemeente jeugd:jeugd
[ "$("$SK_TESTNODE" show-bundle --bundle jeugd/bundle | json policy)" = 4 ] || fail "the bundle's matrix"
"$SK_TESTNODE" init --dir fact --org-id fact --name "Org fact" --category fact >/dev/null
try "$SK_REGISTRY" enrol --dir r --ca ca --request fact/enrol-request --out fact/bundle --dev
[ "$rc" != 0 ] && echo "$msg" | grep -c >/dev/null "category must be one of the federation policy" ||
	fail "an org of a category outside the matrix was enrolled ($rc): $msg"
ok "init --policy: a bad matrix refused; bundles carry the matrix; a category outside it is not enrolled"

# tk NAME: a token of its own for each case
tk() { printf '%s' "$1" | sha256sum | cut -c1-64; }
SEQ=0
pub() { # ORG CASE [options]
	SEQ=$((SEQ + 1))
	"$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" --seq $SEQ --token "$(tk "$2")" "${@:3}" \
		>out.json || fail "publish by $1: $(cat out.json)"
}
look() { "$SK_TESTNODE" lookup --dir "$1" --bundle "$1/bundle" --token "$(tk "$2")"; }
orgs() { python3 -c 'import json,sys; print(",".join(r["org"] for r in json.loads(sys.stdin.readline())["results"]))'; }

# pairs the matrix allows: visible both ways, each asker sees the other
pub wijkteam A --flags discover --categories ggz
pub ggz A --flags discover --categories sociaal-team
pub wijkteam B --flags discover --categories gemeente
pub gemeente B --flags discover --categories sociaal-team
[ "$(look wijkteam A | orgs)" = ggz ] || fail "sociaal-team does not see ggz"
[ "$(look ggz A | orgs)" = wijkteam ] || fail "ggz does not see sociaal-team"
[ "$(look wijkteam B | orgs)" = gemeente ] || fail "sociaal-team does not see gemeente (the matrix allows it)"
[ "$(look gemeente B | orgs)" = wijkteam ] || fail "gemeente does not see sociaal-team (the matrix allows it)"
ok "custom matrix: allowed pairs are visible both ways (sociaal-team and ggz; sociaal-team and gemeente)"

# pairs it forbids, in one direction or both: invisible from either side,
# though both entries discover and allow each other's category (each also
# names an allowed category, so the registry takes them)
pub wijkteam C --flags discover --categories ggz,jeugd
pub jeugd C --flags discover --categories jeugd,sociaal-team
pub ggz D --flags discover --categories sociaal-team,jeugd
pub jeugd D --flags discover --categories jeugd,sociaal-team,ggz
pub wijkteam D --flags discover --categories ggz,jeugd
[ -z "$(look wijkteam C | orgs)" ] || fail "sociaal-team sees jeugd, which the matrix forbids"
[ -z "$(look jeugd C | orgs)" ] || fail "jeugd sees sociaal-team, which sees it not"
[ "$(look ggz D | orgs)" = wijkteam ] || fail "ggz: $(look ggz D)"
[ -z "$(look jeugd D | orgs)" ] || fail "jeugd sees ggz or sociaal-team, which the matrix forbids"
[ "$(look wijkteam D | orgs)" = ggz ] || fail "sociaal-team: $(look wijkteam D)"
ok "custom matrix: forbidden pairs are invisible both ways (one-way sociaal-team/jeugd; ggz/jeugd)"

# an entry whose DISCOVER names only categories the matrix forbids it is
# refused at publish; without DISCOVER it may name them (discussion only)
for spec in "jeugd ggz" "ggz jeugd" "wijkteam jeugd" "gemeente ggz"; do
	set -- $spec
	SEQ=$((SEQ + 1))
	"$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" --seq $SEQ --token "$(tk E)" \
		--flags discover --categories "$2" >out.json && fail "$1 may discover $2"
	grep -q "discover names no category that the federation policy lets this org see" out.json ||
		fail "$1 discovering $2: $(cat out.json)"
done
pub jeugd E --flags discuss --categories ggz
ok "custom matrix: DISCOVER towards forbidden categories only is refused at publish"

# real nodes get the matrix in their bundles and hold to it themselves
chain_up
nodes_up buurt:sociaal-team zorg:ggz jgd:jeugd
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
BSN=111222333
for spec in buurt:anna zorg:bram jgd:cees; do
	node professional add --dir "${spec%%:*}" --id "${spec#*:}" --name "${spec#*:}" --role spv >/dev/null
	node client add --dir "${spec%%:*}" --bsn $BSN >/dev/null
done
try "$SK_NODE" case open --dir jgd --client $BSN --as cees --consent discover --categories ggz --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "the federation policy lets none of these categories" ||
	fail "jeugd may discover ggz at the node ($rc): $msg"
try "$SK_NODE" case open --dir jgd --client $BSN --as cees --consent discover --categories fact --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "unknown category 'fact'; the federation knows: sociaal-team, ggz, gemeente, jeugd" ||
	fail "a category outside the matrix at the node ($rc): $msg"
node case open --dir buurt --client $BSN --as anna --consent discover --categories ggz,jeugd >/dev/null ||
	fail "case at buurt: $(tail -3 node.log)"
node case open --dir zorg --client $BSN --as bram --consent discover --categories sociaal-team >/dev/null ||
	fail "case at zorg: $(tail -3 node.log)"
node case open --dir jgd --client $BSN --as cees --consent discover --categories jeugd,sociaal-team >/dev/null ||
	fail "case at jgd: $(tail -3 node.log)"
[ "$(node lookup --dir buurt --client $BSN --as anna --purpose afstemming)" = "zorg (ggz)" ] ||
	fail "buurt: $(node lookup --dir buurt --client $BSN --as anna --purpose afstemming)"
[ "$(node lookup --dir zorg --client $BSN --as bram --purpose afstemming)" = "buurt (sociaal-team)" ] ||
	fail "zorg: $(node lookup --dir zorg --client $BSN --as bram --purpose afstemming)"
[ "$(node lookup --dir jgd --client $BSN --as cees --purpose afstemming)" = \
	"no partner organisation can be shown for this client" ] || fail "jgd sees a partner the matrix forbids"
node sync --dir jgd >/dev/null || fail "sync jgd: $(tail -3 node.log)"
if node matches --dir jgd | grep -c >/dev/null buurt; then fail "jgd got a match the matrix forbids"; fi
ok "nodes hold to the matrix of their bundle: forbidden categories refused at case open; lookups and matches as the matrix says"

kill -TERM "$REG_PID"; wait "$REG_PID" || fail "SIGTERM did not exit 0"
start_registry r "$REG_ADDR" # where the bundles say it is
[ "$(look wijkteam B | orgs)" = gemeente ] && [ -z "$(look jeugd D | orgs)" ] ||
	fail "after a restart the registry does not enforce its matrix"
reg audit query --dir r --json >audit.json
grep -q '"event":"registry.policy"' audit.json || fail "setting the matrix was not audited"
ok "the matrix survives a restart; setting it was audited"
