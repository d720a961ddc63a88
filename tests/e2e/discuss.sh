# Anonymous case discussions end to end: who is invited (and who is not),
# the requester learning nothing before an acceptance, accept and decline,
# the summary and messages across three nodes with the text checks, every
# kind of tampered message refused, close with regie, and the registry
# purging ciphertext on close and expiry without ever holding the text.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}" "${SK_TESTDISCUSS:?}"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r
chain_up
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
for spec in wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg gemeente:gemeente parnassia:ggz lentis:ggz; do
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
open_case lentis --consent discuss --categories sociaal-team            # accepts late
for org in wijkteam altrecht tactus gemeente parnassia lentis; do
	node sync --dir $org >/dev/null || fail "first sync $org"   # publishes its encryption key
done
ok "six organisations with entries for one client, each with an encryption key in the log"

id=$(node discuss request --dir wijkteam --client 111222333 --as p-wijkteam --topic afstemming) ||
	fail "request: $(tail -2 node.log)"
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "the request printed more than an id: $id"
for org in altrecht tactus gemeente parnassia lentis; do node sync --dir $org >/dev/null || fail "sync $org"; done
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
echo "$out" | grep -c >/dev/null "1 accepted" || fail "acceptance not seen: $out"
echo "$out" | grep -c >/dev/null "Org altrecht (ggz): Prof altrecht, spv 030-1" || fail "acceptor details: $out"
echo "$out" | grep -c >/dev/null gemeente && fail "the decline was shown to the requester"
ok "accept reaches the requester sealed to the discussion key; a decline is never shown"


# ---- phase two: the summary, messages, tampering, close ----------------------
synced() { node sync --dir "$1" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['messages'], d['rejected'], d['forwarded'])"; }
thread() { node discuss show "$id" --dir "$1" --as "p-$1"; }
printf 'Cliënt met BSN 111222333 heeft schulden\n' >bsn.txt
out=$(nodex discuss send "$id" --dir wijkteam --as p-wijkteam --text-file bsn.txt) && fail "a summary with a BSN was sent"
echo "$out" | grep -c >/dev/null BSN || fail "no clear message about the BSN: $out"
printf 'UNIEKE-SAMENVATTING schulden en dreigende huisuitzetting; gesprek op 12-03-2027\n' >summary.txt
out=$(nodex discuss send "$id" --dir wijkteam --as p-wijkteam --text-file summary.txt </dev/null) &&
	fail "a summary with a date was sent without --yes"
echo "$out" | grep -c >/dev/null -- --yes || fail "no hint at --yes: $out"
node discuss send "$id" --dir wijkteam --as p-tactus --text-file summary.txt --yes >/dev/null &&
	fail "a professional of another org sent"
node discuss send "$id" --dir wijkteam --as p-wijkteam --text-file summary.txt --yes >/dev/null ||
	fail "summary: $(tail -2 node.log)"
ok "a summary with a BSN is refused; one with a date needs --yes (no terminal to ask)"

[ "$(synced altrecht)" = "1 0 0" ] || fail "altrecht did not take the summary"
out=$(thread altrecht)
echo "$out" | grep -c >/dev/null UNIEKE-SAMENVATTING || fail "summary not in altrecht's thread: $out"
echo "$out" | grep -c >/dev/null "Org wijkteam (sociaal-team): Prof wijkteam" || fail "the requester's identity: $out"
node discuss show "$id" --dir altrecht --as nobody >/dev/null 2>&1 && fail "show for an unknown professional"
printf 'ANTWOORD-ALTRECHT wij kennen de cliënt sinds vorig jaar\n' | \
	node discuss send "$id" --dir altrecht --as p-altrecht --text-file - >/dev/null || fail "reply: $(tail -2 node.log)"
[ "$(synced wijkteam)" = "1 0 0" ] || fail "wijkteam did not take the reply"
thread wijkteam | grep -c >/dev/null ANTWOORD-ALTRECHT || fail "reply not in the requester's thread"
ok "the acceptor reads the summary and who asks; its reply reaches the requester"

node discuss accept "$id" --dir lentis --as p-lentis >/dev/null || fail "lentis accept: $(tail -2 node.log)"
printf 'BERICHT-LENTIS te vroeg\n' >early.txt
node discuss send "$id" --dir lentis --as p-lentis --text-file early.txt >/dev/null &&
	fail "an acceptor wrote before the summary reached it"
[ "$(synced wijkteam)" = "0 0 1" ] || fail "the summary was not forwarded to the late acceptor"
[ "$(synced lentis)" = "1 0 0" ] || fail "lentis did not take the forwarded summary"
printf 'BERICHT-LENTIS wij doen mee\n' >lentis.txt
node discuss send "$id" --dir lentis --as p-lentis --text-file lentis.txt >/dev/null || fail "lentis send: $(tail -2 node.log)"
[ "$(synced altrecht)" = "1 0 0" ] || fail "altrecht did not take lentis's message"
[ "$(synced wijkteam)" = "1 0 0" ] || fail "wijkteam did not take lentis's message"
thread altrecht | grep -c >/dev/null "BERICHT-LENTIS wij doen mee" || fail "lentis's message not at altrecht"
ok "a late acceptor gets the summary, then writes to every participant (three nodes)"

"$SK_TESTDISCUSS" replay r altrecht "$id" >/dev/null || fail "replay tool"
[ "$(synced altrecht)" = "0 1 0" ] || fail "a replayed message was not refused"
printf 'EERSTE bericht\n' >m1.txt; printf 'TWEEDE bericht\n' >m2.txt
node discuss send "$id" --dir wijkteam --as p-wijkteam --text-file m1.txt >/dev/null || fail "m1"
node discuss send "$id" --dir wijkteam --as p-wijkteam --text-file m2.txt >/dev/null || fail "m2"
"$SK_TESTDISCUSS" swap r altrecht "$id" >/dev/null || fail "swap tool"
[ "$(synced altrecht)" = "1 1 0" ] || fail "a reordered message was not refused"
thread altrecht | grep -c >/dev/null EERSTE && fail "the message delivered out of order was shown"
"$SK_TESTDISCUSS" reseal r altrecht lentis "$id" >/dev/null || fail "reseal tool"
"$SK_TESTDISCUSS" forge r lentis altrecht wijkteam "$id" >/dev/null || fail "forge tool"
[ "$(synced lentis)" = "0 1 0" ] || fail "a message re-sealed to another recipient was not refused"
grep -q "refused a discussion message from wijkteam: it does not open or its signature" node.log ||
	fail "the re-sealed message was refused for another reason: $(tail -3 node.log)"
[ "$(synced altrecht)" = "0 1 0" ] || fail "a message signed by the wrong org was not refused"
thread altrecht | grep -c >/dev/null FORGED && fail "the forged message was shown"
grep -q "refused a discussion message from wijkteam" node.log || fail "no warning on stderr"
node audit query --dir altrecht --event discuss.receive --outcome denied --json 2>/dev/null |
	python3 -c "import json,sys; assert len(json.load(sys.stdin))>=3" || fail "refusals not in altrecht's audit log"
ok "replayed, reordered, re-sealed and wrongly signed messages are refused and audited"

node encryption rotate --dir altrecht >/dev/null || fail "rotate: $(tail -2 node.log)"
[ "$(node encryption list --dir altrecht --json | python3 -c "
import json,sys; k=json.load(sys.stdin); print(len(k), all(x['published'] for x in k))")" = "2 True" ] ||
	fail "altrecht does not hold two published keys after a rotation"
node sync --dir wijkteam >/dev/null
printf 'DERDE bericht, na de sleutelwissel\n' >m3.txt
node discuss send "$id" --dir wijkteam --as p-wijkteam --text-file m3.txt >/dev/null || fail "m3"
[ "$(synced altrecht)" = "1 0 0" ] || fail "a message sealed to the new key did not open"
thread altrecht | grep -c >/dev/null "DERDE bericht" || fail "m3 not in altrecht's thread"
ok "a rotated encryption key is published in the log and used by partners from their next sync"

node discuss close "$id" --dir altrecht --as p-altrecht --regie altrecht:p-altrecht --outcome x >/dev/null &&
	fail "an acceptor closed the discussion"
node discuss close "$id" --dir wijkteam --as p-wijkteam --regie altrecht:p-altrecht \
	--outcome "UITKOMST altrecht neemt regie, evaluatie over zes weken" >/dev/null || fail "close: $(tail -2 node.log)"
node discuss send "$id" --dir wijkteam --as p-wijkteam --text-file m1.txt >/dev/null && fail "sent after close"
[ "$("$SK_TESTDISCUSS" count r wijkteam "$id")" = 0 ] || fail "ciphertext before the close not purged"
node sync --dir altrecht >/dev/null; node sync --dir lentis >/dev/null
for org in altrecht lentis; do
	out=$(thread $org)
	echo "$out" | grep -c >/dev/null "UITKOMST altrecht neemt regie" || fail "outcome not at $org: $out"
	echo "$out" | grep -c >/dev/null "regievoerder: altrecht, p-altrecht" || fail "regievoerder not at $org"
done
case_id=$(node case list --dir altrecht --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
node case consent --dir altrecht --case "$case_id" --as p-altrecht --consent discover,discuss --categories sociaal-team >/dev/null
node sync --dir altrecht >/dev/null
out=$(node lookup --dir wijkteam --client 111222333 --as p-wijkteam --purpose afstemming)
echo "$out" | grep altrecht | grep -c >/dev/null regievoerder || fail "the regie flag is not shown on lookup: $out"
ok "close by the requester: outcome and regievoerder at every participant, ciphertext purged, regie shown on lookup"

# a close right after the summary, before the acceptor fetched it: the
# summary stays with the close notice, so the acceptor can place the close
id3=$(node discuss request --dir wijkteam --client 111222333 --as p-wijkteam --topic signaal) || fail "request 3"
node sync --dir altrecht >/dev/null
node discuss accept "$id3" --dir altrecht --as p-altrecht >/dev/null || fail "accept 3"
node sync --dir wijkteam >/dev/null
printf 'SNELLE-SAMENVATTING huurachterstand\n' >m4.txt
node discuss send "$id3" --dir wijkteam --as p-wijkteam --text-file m4.txt >/dev/null || fail "summary 3"
node discuss send "$id3" --dir wijkteam --as p-wijkteam --text-file m2.txt >/dev/null || fail "message 3"
node discuss close "$id3" --dir wijkteam --as p-wijkteam --regie wijkteam:p-wijkteam \
	--outcome "SNELLE-UITKOMST wijkteam houdt de regie" >/dev/null || fail "close 3: $(tail -2 node.log)"
[ "$("$SK_TESTDISCUSS" count r altrecht "$id3")" = 2 ] ||
	fail "after a quick close altrecht's mailbox does not hold just the summary and the close"
node sync --dir altrecht >/dev/null
out=$(node discuss show "$id3" --dir altrecht --as p-altrecht)
echo "$out" | grep -c >/dev/null "SNELLE-SAMENVATTING" || fail "the summary of a quickly closed discussion is lost: $out"
echo "$out" | grep -c >/dev/null "SNELLE-UITKOMST" || fail "the outcome of a quickly closed discussion is lost: $out"
ok "closed before the acceptor synced: the summary is kept with the close notice, the message between purged"

# expiry: a registry that ends idle discussions after 3 s
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
start_registry r "$REG_ADDR" --discuss-idle 3s --sweep-seconds 1
id2=$(node discuss request --dir wijkteam --client 111222333 --as p-wijkteam --topic crisis) || fail "request 2"
node sync --dir altrecht >/dev/null
node discuss accept "$id2" --dir altrecht --as p-altrecht >/dev/null || fail "accept 2"
node sync --dir wijkteam >/dev/null
node discuss send "$id2" --dir wijkteam --as p-wijkteam --text-file m1.txt >/dev/null || fail "summary 2"
[ "$("$SK_TESTDISCUSS" count r altrecht "$id2")" = 1 ] || fail "the summary is not waiting at the registry"
sleep 5
[ "$("$SK_TESTDISCUSS" count r altrecht "$id2")" = 0 ] || fail "an idle discussion's ciphertext was not purged"
node discuss send "$id2" --dir wijkteam --as p-wijkteam --text-file m2.txt >/dev/null && fail "sent into an expired discussion"
node audit query --dir wijkteam --event discuss.request --json | python3 -c "
import json,sys; r=[x for x in json.load(sys.stdin) if x.get('purpose')=='crisis']
assert r and all(x.get('break_glass') for x in r), r" || fail "a crisis request is not marked break-glass"
ok "an idle discussion expires and its ciphertext is purged; crisis requests are marked break-glass"

for org in wijkteam altrecht lentis gemeente tactus; do
	out=$(nodex audit verify --reconcile --dir $org) || fail "$org: registry actions without a local record: $out"
done
ok "every registry-side discussion step of each node has its local record (audit verify --reconcile)"

kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
reg audit verify --dir r >/dev/null || fail "registry audit"
for secret in "Prof altrecht" UNIEKE-SAMENVATTING ANTWOORD-ALTRECHT BERICHT-LENTIS UITKOMST; do
	grep -qa "$secret" r/data.mdb && fail "the registry's files hold '$secret' in clear"
done
for secret in UNIEKE-SAMENVATTING ANTWOORD-ALTRECHT BERICHT-LENTIS UITKOMST; do
	grep -qa "$secret" altrecht/data.mdb wijkteam/data.mdb && fail "a node keeps '$secret' unsealed"
done
ok "the registry audited every step and never saw the acceptor's details, the summary or messages in clear"
