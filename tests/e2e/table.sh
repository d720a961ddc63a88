# Case tables (casustafel) end to end with real processes: a host creates a
# table and invites three organisations; invitees see it, others do not; an
# invited organisation joins, one that was not invited cannot; a
# procesregisseur is added only by one; a member leaves; each change is a
# signed leaf of the registry's log that every node verifies; every action
# audited at node and registry.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}" "${SK_TESTDISCUSS:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg schuldhulp:schuldhulp lentis:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
# has PATTERN: grep reading its whole input (grep -q would close the pipe
# early, and the writer's SIGPIPE fail the pipeline under pipefail)
has() { grep "$@" >/dev/null; }
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
echo "$out" | has "no professional nobody" || fail "no clear message: $out"
ok "the host creates a table, its procesregisseur one of its own professionals"

for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
state() { node table list --dir "$1" --json | python3 -c "
import json,sys; t=[x for x in json.load(sys.stdin) if x['id']=='$id']; print(t[0]['our_state'] if t else 'unseen')"; }
[ "$(state altrecht)" = invited ] || fail "altrecht does not see its invitation"
[ "$(state wijkteam)" = member ] || fail "the host is not a member"
[ "$(state lentis)" = unseen ] || fail "lentis sees a closed table it is not named in"
node table list --dir altrecht | has "Transfertafel Zeist (host: Org wijkteam; elke tweede dinsdag)" ||
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
echo "$out" | has "not a procesregisseur" || fail "no clear message: $out"
node table regisseur "$id" --dir wijkteam --as p-wijkteam --add altrecht:p-altrecht >/dev/null ||
	fail "regisseur: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null
node table list --dir altrecht | has "procesregisseur: altrecht:p-altrecht" || fail "regisseur not seen"
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
node audit query --dir wijkteam --json | has '"table.create"' || fail "create not audited at the node"
node audit query --dir lentis --json | has '"table.join"' || fail "lentis's refused join not audited"
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

# ---- intake: a case brought anonymously ---------------------------------------
# members now: wijkteam (host), altrecht, tactus; schuldhulp left; lentis never invited
cat >intake.txt <<'TXT'
Vraag: Wie neemt de regie? Vier partijen zijn betrokken en niemand coördineert.
  Huurachterstand loopt op, ontruiming dreigt.
Leefgebieden: wonen, financien, psychische-gezondheid
Urgentie: hoog
Geprobeerd: Schuldhulp aangeboden; afgehouden.
Betrokken: ggz, schuldhulp, woningcorporatie
TXT
printf 'Vraag: cliënt met BSN 111222333\nUrgentie: hoog\n' >bsn.txt
out=$(nodex table submit "$id" --dir altrecht --as p-altrecht --text-file bsn.txt) && fail "an intake with a BSN was sent"
echo "$out" | has BSN || fail "no clear message about the BSN: $out"
printf 'Vraag: gesprek gepland op 12-03-2027\nUrgentie: laag\n' >date.txt
out=$(nodex table submit "$id" --dir altrecht --as p-altrecht --text-file date.txt </dev/null) &&
	fail "an intake with a date was sent without --yes"
echo "$out" | has -- --yes || fail "no hint at --yes: $out"
printf 'Vraag: x\nUrgentie: spoed\n' >bad.txt
out=$(nodex table submit "$id" --dir altrecht --as p-altrecht --text-file bad.txt) && fail "a bad urgency was sent"
echo "$out" | has "hoog, gemiddeld or laag" || fail "no clear message about the urgency: $out"
ok "an intake with a BSN is refused, one with a date needs --yes, a bad urgency is named"

case1=$(node table submit "$id" --dir altrecht --as p-altrecht --text-file intake.txt) ||
	fail "submit: $(tail -2 node.log)"
[[ "$case1" =~ ^[0-9a-f]{32}$ ]] || fail "submit printed more than an id: $case1"
out=$(nodex table submit "$id" --dir lentis --as p-lentis --text-file intake.txt) && fail "lentis brought a case to a closed table"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
for org in wijkteam tactus altrecht; do
	node table agenda "$id" --dir $org --json | has "$case1" || fail "$org has no case on its agenda"
done
for org in schuldhulp lentis; do
	[ "$(node table agenda "$id" --dir $org --json)" = "[]" ] || fail "$org (not a member) received the case"
done
out=$(node table show "$case1" --dir tactus --as p-tactus) || fail "show at tactus"
echo "$out" | has "Huurachterstand loopt op" || fail "the question did not reach tactus: $out"
echo "$out" | has "brought .* by Prof altrecht (spv, Org altrecht)" || fail "the submitter: $out"
ok "a member brings a case: every current member (and only they) can read it; a non-member of a closed table cannot bring one"

# the registry routed ciphertext only, and knows the table, the org and the time
grep -rqa "Huurachterstand" r && fail "the registry holds the case in clear"
python3 -c "
import json
r=json.load(open('/dev/stdin'))
s=[x for x in r if x['event']=='table.submit']
assert any(x['outcome']=='ok' and x['user']=='altrecht' for x in s), s" < <(reg audit query --dir r --json) ||
	fail "the registry's audit of table.submit"
node audit query --dir lentis --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x['event']=='table.submit']
assert r and all(x['outcome']=='denied' for x in r), r" || fail "lentis's refused submit not audited as denied"
node audit query --dir tactus --json | has '"table.receive"' || fail "the receipt not audited at tactus"
node audit query --dir tactus --json | has '"table.show"' || fail "reading not audited at tactus"
ok "the registry saw only ciphertext; submit, receipt and reading audited"

# an open table: a non-member brings a case
open_id=$(node table create --dir altrecht --as p-altrecht --name "Open GGZ-tafel" --member tactus --open) ||
	fail "open table: $(tail -2 node.log)"
node table join "$open_id" --dir tactus --as p-tactus >/dev/null || fail "join the open table"
node sync --dir lentis >/dev/null
case2=$(node table submit "$open_id" --dir lentis --as p-lentis --text-file intake.txt) ||
	fail "a non-member's case to an open table: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null; node sync --dir tactus >/dev/null
node table agenda "$open_id" --dir tactus --json | has "$case2" || fail "the open table's case did not reach tactus"
ok "an open table takes a case from a non-member"

# ---- already involved: the private signal -------------------------------------
BSN=111222333 OTHER=$(bsns 1 7)
node client add --dir altrecht --bsn $BSN >/dev/null
node client add --dir tactus --bsn $BSN >/dev/null
node client add --dir wijkteam --bsn $OTHER >/dev/null
node professional add --dir tactus --id p-tactus2 --name "Collega tactus" --role spv >/dev/null
node case open --dir altrecht --client $BSN --as p-altrecht --consent discuss --categories all >/dev/null ||
	fail "case at altrecht: $(tail -2 node.log)"
node case open --dir tactus --client $BSN --as p-tactus --consent discover --categories all >/dev/null ||
	fail "case at tactus: $(tail -2 node.log)"
node case open --dir wijkteam --client $OTHER --as p-wijkteam --consent discover --categories all >/dev/null ||
	fail "case at wijkteam: $(tail -2 node.log)"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done

# without consent to case discussion nothing of the client leaves the node
out=$(nodex table submit "$id" --dir wijkteam --as p-wijkteam --client $OTHER --text-file intake.txt) &&
	fail "a case with a client without DISCUSS consent was sent"
echo "$out" | has "zonder toestemming van de cliënt voor casusoverleg" || fail "no clear Dutch message: $out"
echo "$out" | has "without the client's consent to case discussion" || fail "no clear English message: $out"
node sync --dir tactus >/dev/null
[ "$(node table agenda "$id" --dir tactus --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	fail "the refused case reached a member"
ok "without the client's consent to case discussion the case is refused and nothing is sent"

case3=$(node table submit "$id" --dir altrecht --as p-altrecht --client $BSN --text-file intake.txt) ||
	fail "submit with a client: $(tail -2 node.log)"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
out=$(node table show "$case3" --dir tactus --as p-tactus) || fail "show at tactus"
echo "$out" | has "U bent al betrokken bij deze bewoner" || fail "tactus's assigned professional not told: $out"
out=$(node table show "$case3" --dir tactus --as p-tactus2)
echo "$out" | has "U bent al betrokken\|client c-" && fail "a tactus professional not assigned to the client was told: $out"
node table show "$case3" --dir tactus --as p-tactus2 --json | has '"client"' && fail "the client in the JSON of an unassigned professional"
out=$(node table show "$case3" --dir wijkteam --as p-wijkteam)
echo "$out" | has "U bent al betrokken" && fail "wijkteam (without the client) was told something: $out"
ok "the member holding the client tells only its assigned professional; its colleague and other members see nothing"

# nothing of it at the submitter, the registry or a member without the client
node table show "$case3" --dir altrecht --as p-altrecht --json | has '"involved"' && fail "the submitter learned of the match"
node audit query --dir altrecht --json | has '"table.involved"' && fail "the submitter's log holds the match"
node audit query --dir wijkteam --json | has '"table.involved"' && fail "wijkteam's log holds a match"
node audit query --dir tactus --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x['event']=='table.involved']
assert len(r)==1 and r[0]['client'], r" || fail "the match not audited at tactus with its client"
reg audit query --dir r --json | has 'involved' && fail "the registry's log holds the match"
node audit query --dir altrecht --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x['event']=='table.submit' and x['outcome']=='ok' and x.get('client')]
assert len(r)==1, r" || fail "the submit with a client not audited with the client at altrecht"
ok "the submitter, the registry and members without the client hold nothing of the match"

# the art. 15 report says it in plain Dutch where it concerned the client
out=$(node audit report --dir altrecht --client $BSN) || fail "report at altrecht"
echo "$out" | has "casus anoniem ingebracht bij een casustafel" || fail "the report at the submitter: $out"
out=$(node audit report --dir tactus --client $BSN) || fail "report at tactus"
echo "$out" | has "casus aan een casustafel over u ging" || fail "the report at the member: $out"
ok "the art. 15 report names a case brought to a table, in plain Dutch, at the submitter and the member holding the client"

# ---- regie: schedule, an extra org, messages, the outcome -------------------------
node client add --dir lentis --bsn $BSN >/dev/null
node case open --dir lentis --client $BSN --as p-lentis --consent discover --categories all >/dev/null ||
	fail "case at lentis: $(tail -2 node.log)"
out=$(nodex table schedule "$case3" --dir tactus --as p-tactus --date 2026-12-15) && fail "a member without a procesregisseur scheduled"
echo "$out" | has "procesregisseur" || fail "no clear message: $out"
node table schedule "$case3" --dir wijkteam --as p-wijkteam --date 2026-12-15 >/dev/null || fail "schedule: $(tail -2 node.log)"
node table invite "$case3" --dir wijkteam --as p-wijkteam --org lentis >/dev/null || fail "invite: $(tail -2 node.log)"
out=$(nodex table invite "$case3" --dir wijkteam --as p-wijkteam --org lentis) && fail "invited twice"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
out=$(node table show "$case3" --dir lentis --as p-lentis) || fail "the invited org cannot read the case"
echo "$out" | has "Huurachterstand loopt op" || fail "the case did not reach the invited org: $out"
echo "$out" | has "U bent al betrokken" && fail "the invited org got the tag"
node table show "$case3" --dir altrecht --as p-altrecht | has "on the agenda of: 2026-12-15" || fail "the submitter does not see the meeting"
node table agenda "$id" --dir schuldhulp --json | has "$case3" && fail "a former member received the case"
ok "a procesregisseur schedules and invites an extra org, which reads the case (without the tag); others cannot schedule"

printf 'BERICHT-1 Wij kennen de bewoner; schuldhulp loopt via ons.\n' >msg1.txt
printf 'BERICHT-2 Lentis kan binnen twee weken een intake doen.\n' >msg2.txt
node table send "$case3" --dir tactus --as p-tactus --text-file msg1.txt >/dev/null || fail "send tactus: $(tail -2 node.log)"
node table send "$case3" --dir lentis --as p-lentis --text-file msg2.txt >/dev/null || fail "send lentis: $(tail -2 node.log)"
printf 'BSN 111222333\n' >msgbsn.txt
out=$(nodex table send "$case3" --dir lentis --as p-lentis --text-file msgbsn.txt) && fail "a message with a BSN was sent"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
for org in wijkteam altrecht tactus lentis; do
	out=$(node table show "$case3" --dir $org --as p-$org)
	echo "$out" | has BERICHT-1 || fail "message 1 not at $org: $out"
	echo "$out" | has BERICHT-2 || fail "message 2 not at $org: $out"
done
grep -rqa "BERICHT-" r && fail "the registry holds a message in clear"
ok "messages reach every participant, the invited org among them, sealed; the registry sees ciphertext only"

# ---- a subgroup with mandate: wijkteam and tactus, not altrecht nor lentis --------
printf 'MANDAAT-1 Mag zonder wachtlijst een plek regelen bij de Koppeling.\n' >mandate.txt
out=$(nodex table subgroup "$case3" --dir tactus --as p-tactus --org wijkteam --org tactus --mandate-file mandate.txt) &&
	fail "a member without a procesregisseur formed a subgroup"
echo "$out" | has "procesregisseur" || fail "no clear message: $out"
out=$(nodex table subgroup "$case3" --dir wijkteam --as p-wijkteam --org wijkteam --org schuldhulp --mandate-file mandate.txt) &&
	fail "a subgroup with an org that takes no part"
echo "$out" | has "takes no part in this case" || fail "no clear message: $out"
out=$(nodex table subgroup "$case3" --dir wijkteam --as p-wijkteam --org tactus --mandate-file mandate.txt) &&
	fail "a subgroup of one org"
out=$(nodex table subgroup "$case3" --dir wijkteam --as p-wijkteam --org wijkteam --org tactus --mandate-file msgbsn.txt) &&
	fail "a mandate with a BSN was sent"
echo "$out" | has BSN || fail "no clear message about the BSN: $out"
sg=$(node table subgroup "$case3" --dir wijkteam --as p-wijkteam --org wijkteam --org tactus \
	--mandate-file mandate.txt --until 2027-03-01 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
	fail "subgroup: $(tail -2 node.log)"
[[ "$sg" =~ ^[0-9a-f]{16}$ ]] || fail "subgroup id: $sg"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
printf 'DEELGROEP-1 Plek geregeld, intake volgende week.\n' >sgmsg.txt
out=$(nodex table send "$case3" --dir lentis --as p-lentis --subgroup "$sg" --text-file sgmsg.txt) &&
	fail "an org outside the subgroup sent to it"
node table send "$case3" --dir tactus --as p-tactus --subgroup "$sg" --text-file sgmsg.txt >/dev/null ||
	fail "send to the subgroup: $(tail -2 node.log)"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
for org in wijkteam tactus; do
	out=$(node table show "$case3" --dir $org --as p-$org)
	echo "$out" | has "subgroup $sg: Org wijkteam, Org tactus; mandate until 2027-03-01 (we are in it)" ||
		fail "the subgroup not at $org: $out"
	echo "$out" | has "mandate: MANDAAT-1" || fail "the mandate not at $org: $out"
	echo "$out" | has "to subgroup $sg:" || fail "the subgroup message not marked at $org: $out"
	echo "$out" | has "DEELGROEP-1" || fail "the subgroup message not at $org: $out"
done
for org in altrecht lentis; do
	out=$(node table show "$case3" --dir $org --as p-$org --json)
	echo "$out" | python3 -c "
import json,sys; c=json.load(sys.stdin); g=c['subgroups']
assert len(g)==1 and g[0]['orgs']==['wijkteam','tactus'] and 'mandate' not in g[0] and not g[0].get('member'), g" ||
		fail "$org does not see the subgroup's composition, or sees more: $out"
	echo "$out" | has "MANDAAT-1\|DEELGROEP-1" && fail "$org (outside the subgroup) holds the mandate or its message"
	grep -rqa "MANDAAT-1\|DEELGROEP-1" $org && fail "$org's store holds the mandate or the message"
	node table show "$case3" --dir $org --as p-$org | has "subgroup $sg: Org wijkteam, Org tactus.*(we are not in it)" ||
		fail "the subgroup not shown at $org"
done
grep -rqa "MANDAAT-1\|DEELGROEP-1" r && fail "the registry holds the mandate or the message in clear"
reg audit query --dir r --json | python3 -c "
import json,sys; r=json.load(sys.stdin)
ok=[x['event'] for x in r if x['event'].startswith('table.subgroup') and x['outcome']=='ok']
assert sorted(ok)==['table.subgroup','table.subgroup.send'], ok" ||
	fail "the registry's audit of the subgroup"
node audit query --dir wijkteam --json | has '"table.subgroup"' || fail "the subgroup not audited at wijkteam"
node audit query --dir tactus --json | has '"table.subgroup.send"' || fail "the subgroup message not audited at tactus"
ok "a procesregisseur forms a subgroup of two participants with a mandate: it and its messages reach those two only; the others see who is in it; the registry sees ciphertext"

# ---- a subgroup's rules at the node, when the registry is bypassed -----------------
# case2 at the open table (host altrecht, its procesregisseur p-altrecht):
# lentis brought it, altrecht and tactus take part; altrecht forms a
# subgroup of itself and tactus. Then, written straight into the registry's
# mailboxes: altrecht's notice to lentis that carries the mandate after all,
# and a text from lentis (outside the subgroup) to tactus as if to it.
sg2=$(node table subgroup "$case2" --dir altrecht --as p-altrecht --org altrecht --org tactus --mandate-file mandate.txt) ||
	fail "subgroup in case2: $(tail -2 node.log)"
"$SK_TESTDISCUSS" table-forge r altrecht lentis "$open_id" "$case2" 50 p-altrecht subgroup aaaaaaaaaaaaaaaa \
	altrecht,tactus "MANDAAT-LEK mag alles" >/dev/null || fail "table-forge subgroup"
"$SK_TESTDISCUSS" table-forge r lentis tactus "$open_id" "$case2" 50 p-lentis text "$sg2" "DEELGROEP-LEK" >/dev/null ||
	fail "table-forge text"
for org in altrecht tactus lentis; do node sync --dir $org >/dev/null || fail "sync $org"; done
node table show "$case2" --dir lentis --as p-lentis --json | python3 -c "
import json,sys; c=json.load(sys.stdin); g={x['id']:x for x in c.get('subgroups',[])}
assert set(g)=={'$sg2','aaaaaaaaaaaaaaaa'}, g
assert all('mandate' not in x for x in g.values()), g" || fail "lentis kept a mandate a notice carried"
grep -rqa "MANDAAT-LEK" lentis && fail "lentis's store holds the mandate a notice carried"
node table show "$case2" --dir tactus --as p-tactus | has "DEELGROEP-LEK" && fail "tactus took a subgroup text from an org outside it"
node audit query --dir tactus --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x['event']=='table.receive' and x['outcome']=='denied']
assert any('subgroup' in (x.get('reason') or '') for x in r), r" || fail "the refused subgroup text not audited at tactus"
ok "past the registry: a node outside a subgroup drops a mandate a notice carries, and refuses a subgroup text from an org outside it (audited)"

out=$(nodex table outcome "$case3" --dir tactus --as p-tactus --regie tactus:p-tactus --routed-to ggz --outcome x) &&
	fail "a member without a procesregisseur recorded the outcome"
node table outcome "$case3" --dir wijkteam --as p-wijkteam --regie tactus:p-tactus --routed-to schuldhulp \
	--outcome "UITKOMST tactus neemt regie; schuldhulp via het wijkteam" --breakthrough yes --evaluate 2027-02-01 >/dev/null ||
	fail "outcome: $(tail -2 node.log)"
out=$(nodex table send "$case3" --dir tactus --as p-tactus --text-file msg1.txt) && fail "a message after the outcome"
for org in $ORGS; do node sync --dir $org >/dev/null || fail "sync $org"; done
for org in wijkteam altrecht tactus lentis; do
	out=$(node table show "$case3" --dir $org --as p-$org)
	echo "$out" | has "OUTCOME: regievoerder tactus:p-tactus, routed to schuldhulp, breakthrough, evaluate on 2027-02-01" ||
		fail "the outcome not at $org: $out"
	echo "$out" | has "UITKOMST tactus neemt regie" || fail "the outcome text not at $org"
done
out=$(node lookup --dir lentis --client $BSN --as p-lentis --purpose afstemming)
echo "$out" | grep tactus | has regievoerder || fail "the regievoerder's entry has no regie flag: $out"
ok "the outcome reaches every participant, the submitter among them; the regievoerder's entry carries the regie flag"

# ---- figures -------------------------------------------------------------------
out=$(node table stats "$id" --dir wijkteam --json) || fail "stats: $(tail -2 node.log)"
echo "$out" | python3 -c "
import json,sys; d=json.load(sys.stdin)
assert (d['brought'],d['discussed'],d['outcomes'],d['routed_elsewhere'],d['routed_social_domain'],d['breakthroughs'])==(2,1,1,1,1,1), d
assert d['median_days_to_outcome'] is not None and 0 <= d['median_days_to_outcome'] < 1, d" || fail "the figures: $out"
for word in altrecht tactus lentis wijkteam "$case1" "$case3" p-; do
	echo "$out" | has -- "$word" && fail "the figures name $word: $out"
done
out=$(node table stats "$id" --dir wijkteam --csv)
[ "$(echo "$out" | head -1)" = "table,since,until,brought,discussed,outcomes,routed_elsewhere,routed_social_domain,breakthroughs,median_days_to_outcome" ] ||
	fail "csv header: $out"
[ "$(echo "$out" | tail -1 | cut -d, -f4-9)" = "2,1,1,1,1,1" ] || fail "csv figures: $out"
out=$(node table stats "$id" --dir wijkteam --since 2099-01-01 --json)
echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['brought']==0 and d['median_days_to_outcome'] is None, d" ||
	fail "a period without cases: $out"
node audit query --dir wijkteam --json | has '"table.stats"' || fail "the figures' viewing not audited"
ok "figures per table and period: brought, discussed, routed elsewhere and to the social domain, median days; no identities; json and csv"

# ---- purge: the registry empties a case's ciphertext after the outcome ---------------
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
start_registry r "$REG_ADDR" --table-retain 2s --sweep-seconds 1
# a case brought and closed before tactus reads it
case4=$(node table submit "$id" --dir altrecht --as p-altrecht --text-file intake.txt) || fail "submit 4"
node sync --dir wijkteam >/dev/null
node table outcome "$case4" --dir wijkteam --as p-wijkteam --regie altrecht:p-altrecht --routed-to ggz \
	--outcome "UITKOMST-4 altrecht houdt de regie" >/dev/null || fail "outcome 4: $(tail -2 node.log)"
# two closed cases: case3 (long since) and case4 (2 s after its outcome)
purges() { reg audit query --dir r --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x['event']=='table.purge']
assert all(x['outcome']=='ok' for x in r), r; print(len(r))"; }
for _ in $(seq 50); do
	[ "$(purges)" = 2 ] && break
	sleep 0.2
done
[ "$(purges)" = 2 ] || fail "the two closed cases were not purged (audited): $(purges)"
node sync --dir tactus >/dev/null || fail "sync tactus after the purge"
node table agenda "$id" --dir tactus --json | has "$case4" && fail "tactus read a case whose ciphertext was purged"
node table show "$case4" --dir wijkteam --as p-wijkteam | has "UITKOMST-4" || fail "wijkteam lost its own copy"
ok "the registry purges a case's ciphertext after the outcome plus the retention (audited); a member that had not read it gets nothing"
