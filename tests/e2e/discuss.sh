# Anonymous case discussions, phase one: who is invited (and who is not),
# the requester learning nothing before an acceptance, accept and decline.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r
chain_up
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
for spec in wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg gemeente:gemeente parnassia:ggz; do
	org=${spec%%:*} cat=${spec#*:}
	node init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org.bundle $CHAIN >/dev/null
	psd allow --dir ps1 --org $org >/dev/null
	psd allow --dir ps2 --org $org >/dev/null
	node join --dir $org --bundle $org.bundle >/dev/null || fail "join $org"
	node professional add --dir $org --id p-$org --name "Prof $org" --role spv --phone 030-1 >/dev/null
	node client add --dir $org --bsn 111222333 >/dev/null
done
open_case() { node case open --dir "$1" --client 111222333 --as "p-$1" "${@:2}" >/dev/null || fail "case at $1"; }
open_case wijkteam --consent discover,contact,discuss --categories all
open_case altrecht --consent discuss --categories sociaal-team          # undisclosed, takes discussions
open_case tactus --consent discover --categories sociaal-team           # no DISCUSS
open_case gemeente --consent discuss --categories sociaal-team          # closed category
open_case parnassia --consent discuss --categories ggz                  # does not allow the asker
ok "five organisations with entries for one client"

id=$(node discuss request --dir wijkteam --client 111222333 --as p-wijkteam --topic afstemming) ||
	fail "request: $(tail -2 node.log)"
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "the request printed more than an id: $id"
for org in altrecht tactus gemeente parnassia; do node sync --dir $org >/dev/null || fail "sync $org"; done
invited() { node discuss list --dir "$1" --json | python3 -c "
import json,sys; print(sum(1 for d in json.load(sys.stdin) if d['role']=='invited' and d['id']=='$id'))"; }
[ "$(invited altrecht)" = 1 ] || fail "altrecht (undisclosed, DISCUSS) not invited"
[ "$(invited gemeente)" = 1 ] || fail "gemeente not invited by the social domain"
[ "$(invited tactus)" = 0 ] || fail "tactus invited without DISCUSS"
[ "$(invited parnassia)" = 0 ] || fail "parnassia invited though it does not allow the asker"
ok "invited: an undisclosed DISCUSS org and gemeente; not: an org without DISCUSS or outside the categories"

node sync --dir wijkteam >/dev/null
out=$(node discuss list --dir wijkteam --json)
echo "$out" | python3 -c "
import json,sys; d=[x for x in json.load(sys.stdin) if x['id']=='$id']
assert len(d)==1 and d[0]['role']=='requester' and d[0]['accepted']==[], d" ||
	fail "the requester learned something before an acceptance: $out"
ok "before an acceptance the requester cannot tell whether anyone was invited"

out=$(nodex discuss accept "$id" --dir tactus --as p-tactus) && fail "uninvited accept"
node discuss decline "$id" --dir gemeente --as p-gemeente >/dev/null || fail "decline"
node discuss accept "$id" --dir altrecht --as p-altrecht >/dev/null || fail "accept: $(tail -2 node.log)"
out=$(nodex discuss accept "$id" --dir altrecht --as p-altrecht) && fail "second answer accepted"
node sync --dir wijkteam >/dev/null
out=$(node discuss list --dir wijkteam)
echo "$out" | grep -q "1 accepted" || fail "acceptance not seen: $out"
echo "$out" | grep -q "Org altrecht (ggz): Prof altrecht, spv 030-1" || fail "acceptor details: $out"
echo "$out" | grep -q gemeente && fail "the decline was shown to the requester"
ok "accept reaches the requester sealed to the discussion key; a decline is never shown"

kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
reg audit verify --dir r >/dev/null || fail "registry audit"
grep -qa "Prof altrecht" r/data.mdb && fail "the registry holds the acceptor's details in clear"
ok "the registry audited every step and never saw the acceptor's details in clear"
