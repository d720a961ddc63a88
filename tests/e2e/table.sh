# Case tables (casustafel) end to end with real processes: a host creates a
# table and invites three organisations; invitees see it, others do not; an
# invited organisation joins, one that was not invited cannot; a
# procesregisseur is added only by one; a member leaves; each change is a
# signed leaf of the registry's log that every node verifies; every action
# audited at node and registry.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg schuldhulp:schuldhulp lentis:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
ORGS="wijkteam altrecht tactus schuldhulp lentis"
for org in $ORGS; do
	node professional add --dir $org --id p-$org --name "Prof $org" --role spv >/dev/null
	node sync --dir $org >/dev/null || fail "first sync $org: $(tail -2 node.log)"
done

# ---- a table with three invited members ------------------------------------
id=$(node table create --dir wijkteam --as p-wijkteam --name "Transfertafel Zeist" \
	--rhythm "elke tweede dinsdag" --member altrecht --member tactus --member schuldhulp) ||
	fail "create: $(tail -2 node.log)"
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "create printed more than an id: $id"
out=$(nodex table create --dir wijkteam --as nobody --name "X") && fail "create by an unknown professional"
echo "$out" | grep -q "no professional nobody" || fail "no clear message: $out"
ok "the host creates a table, its procesregisseur one of its own professionals"

for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
state() { node table list --dir "$1" --json | python3 -c "
import json,sys; t=[x for x in json.load(sys.stdin) if x['id']=='$id']; print(t[0]['our_state'] if t else 'unseen')"; }
[ "$(state altrecht)" = invited ] || fail "altrecht does not see its invitation"
[ "$(state wijkteam)" = member ] || fail "the host is not a member"
[ "$(state lentis)" = unseen ] || fail "lentis sees a closed table it is not named in"
node table list --dir altrecht | grep -q "Transfertafel Zeist (host: Org wijkteam; elke tweede dinsdag)" ||
	fail "list: $(node table list --dir altrecht)"
ok "invited organisations see the table by its host's display name; others do not"

for org in altrecht tactus schuldhulp; do
	node table join "$id" --dir $org --as p-$org >/dev/null || fail "join $org: $(tail -2 node.log)"
done
out=$(nodex table join "$id" --dir lentis --as p-lentis) && fail "lentis joined uninvited"
out=$(nodex table join "$id" --dir altrecht --as p-altrecht) && fail "altrecht joined twice"
for org in $ORGS; do node sync --dir $org >/dev/null; done
[ "$(state tactus)" = member ] || fail "tactus not a member after join"
node table list --dir wijkteam --json | python3 -c "
import json,sys; t=[x for x in json.load(sys.stdin) if x['id']=='$id'][0]
s={o['org']:o['state'] for o in t['orgs']}
assert s=={'wijkteam':'member','altrecht':'member','tactus':'member','schuldhulp':'member'}, s" ||
	fail "the host's view of the members"
ok "three invited organisations join; an uninvited one and a second join are refused"

out=$(nodex table regisseur "$id" --dir altrecht --as p-altrecht --add altrecht:p-altrecht) &&
	fail "a member without a procesregisseur added one"
echo "$out" | grep -q "not a procesregisseur" || fail "no clear message: $out"
node table regisseur "$id" --dir wijkteam --as p-wijkteam --add altrecht:p-altrecht >/dev/null ||
	fail "regisseur: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null
node table list --dir altrecht | grep -q "procesregisseur: altrecht:p-altrecht" || fail "regisseur not seen"
ok "only a procesregisseur adds one, at a member organisation"

node table leave "$id" --dir schuldhulp --as p-schuldhulp >/dev/null || fail "leave: $(tail -2 node.log)"
out=$(nodex table leave "$id" --dir wijkteam --as p-wijkteam) && fail "the host left"
node sync --dir tactus >/dev/null
[ "$(node table list --dir tactus --json | python3 -c "
import json,sys; t=[x for x in json.load(sys.stdin) if x['id']=='$id'][0]
print({o['org']:o['state'] for o in t['orgs']}['schuldhulp'])")" = left ] || fail "leave not seen"
ok "a member leaves; the host cannot"

# ---- the log and the audit trail ----------------------------------------------
# create, 3 joins, regisseur, leave: six table leaves, each verified by every node
node audit query --dir wijkteam --json | grep -q '"table.create"' || fail "create not audited at the node"
node audit query --dir lentis --json | grep -q '"table.join"' || fail "lentis's refused join not audited"
node audit query --dir lentis --json | python3 -c "
import json,sys
r=[x for x in json.load(sys.stdin) if x['event']=='table.join']
assert r and all(x['outcome']=='denied' for x in r), r" || fail "lentis's join not audited as denied"
reg audit query --dir r --json >reg-audit.json
python3 -c "
import json
r=json.load(open('reg-audit.json'))
ev=[x['event'] for x in r if x['event'].startswith('table.') and x['outcome']=='ok']
assert sorted(ev)==sorted(['table.create','table.join','table.join','table.join','table.regisseur','table.leave']), ev" ||
	fail "the registry's audit of table records"
ok "every change audited at node and registry; refusals audited as denied"
