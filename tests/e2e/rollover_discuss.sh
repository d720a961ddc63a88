# Case discussions across a registry's lost disk (docs/protocol.md
# "Rollover"): one discussion held before the backup goes on after the
# rollover; one requested and answered after the backup is gone at the
# restored registry, and one requested before it lost its acceptance, so
# each node's first sync on the new log stops both, with the same notice
# in both threads and an audit record each. In the one that goes on, the
# messages sent after the backup that the restored registry lost are sent
# again: the one the partner had not fetched arrives once, the one it had
# read is not shown twice. A second sync does nothing more; the audit
# chains verify, and --reconcile explains the gap.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

OLD=test.example/registry NEW=test.example/registry/2
NOTICE="Dit overleg is gestopt omdat de verwijsindex is hersteld na een storing; start zo nodig een nieuw overleg."
registry_up
openssl x509 -inform der -in ca/ca.crt -out ca.pem
PS1_OPTS="--witness-listen 127.0.0.1:0" chain_up
[ -n "$WIT1" ] || fail "ps1 printed no witness address"
CHAIN="$CHAIN --witness ps1@https://$WIT1 --quorum 1"
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
nodes_up wijkteam:sociaal-team altrecht:ggz
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
BSN=111222333
for org in wijkteam altrecht; do
	node client add --dir $org --bsn $BSN --name "Jan Modaal" >/dev/null
done
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case open: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN --as bram --consent discuss --categories all \
	>/dev/null || fail "case open altrecht: $(tail -3 node.log)"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null ||
	fail "first syncs: $(tail -3 node.log)"

# a discussion requested, answered and summarised: all of it runs to the
# other side and back ("$1" the requester's first text)
discussion() {
	local id
	id=$(node discuss request --dir wijkteam --client $BSN --as anna --topic afstemming) ||
		fail "request: $(tail -2 node.log)"
	node sync --dir altrecht >/dev/null || fail "sync altrecht: $(tail -2 node.log)"
	node discuss accept "$id" --dir altrecht --as bram >/dev/null || fail "accept: $(tail -2 node.log)"
	node sync --dir wijkteam >/dev/null || fail "sync wijkteam: $(tail -2 node.log)"
	printf '%s\n' "$1" | node discuss send "$id" --dir wijkteam --as anna --text-file - >/dev/null ||
		fail "summary: $(tail -2 node.log)"
	node sync --dir altrecht >/dev/null || fail "sync altrecht: $(tail -2 node.log)"
	printf 'ANTWOORD %s\n' "$1" | node discuss send "$id" --dir altrecht --as bram --text-file - \
		>/dev/null || fail "reply: $(tail -2 node.log)"
	node sync --dir wijkteam >/dev/null || fail "sync wijkteam: $(tail -2 node.log)"
	node discuss show "$id" --dir wijkteam --as anna | grep -c >/dev/null "ANTWOORD $1" ||
		fail "the reply did not reach the requester"
	echo "$id"
}
before=$(discussion "VOOR-DE-BACKUP samenvatting")
closing=$(discussion "WORDT-AFGEROND samenvatting")
# one requested before the backup and accepted after it
late=$(node discuss request --dir wijkteam --client $BSN --as anna --topic afstemming) ||
	fail "request: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null || fail "sync altrecht: $(tail -2 node.log)"

# the nightly backup of the registry, while it serves
reg backup-key --out offline.key >/dev/null || fail "backup-key"
reg backup --dir r --to r.bk --recipient offline.key.pub >/dev/null || fail "registry backup: $(tail -2 stderr.log)"

# in the discussion from before the backup, after it: a message altrecht
# reads before the loss
printf 'NA-BACKUP-GELEZEN bericht\n' | node discuss send "$before" --dir wijkteam --as anna \
	--text-file - >/dev/null || fail "send after the backup: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null || fail "sync altrecht: $(tail -2 node.log)"
node discuss show "$before" --dir altrecht --as bram | grep -c >/dev/null NA-BACKUP-GELEZEN ||
	fail "the message after the backup did not reach altrecht"

# and one altrecht writes in a discussion that wijkteam closes after the
# rollover, before altrecht could send it again
printf 'NA-BACKUP-VAN-ALTRECHT bericht\n' | node discuss send "$closing" --dir altrecht --as bram \
	--text-file - >/dev/null || fail "send after the backup: $(tail -2 node.log)"

after=$(discussion "NA-DE-BACKUP samenvatting")
node discuss accept "$late" --dir altrecht --as bram >/dev/null || fail "accept: $(tail -2 node.log)"
node sync --dir wijkteam >/dev/null || fail "sync wijkteam: $(tail -2 node.log)"
node discuss list --dir wijkteam | grep "^$late" | grep -c >/dev/null "1 accepted" ||
	fail "the acceptance after the backup did not reach the requester"
# and one altrecht has not fetched when the disk is lost
printf 'NA-BACKUP-ONGELEZEN bericht\n' | node discuss send "$before" --dir wijkteam --as anna \
	--text-file - >/dev/null || fail "send after the backup: $(tail -2 node.log)"
witnessed_fetch "$OLD"
ok "discussions held before the backup, after it, and one requested before and accepted after it"

# the registry's disk is lost; the backup is restored and rolled over
disk_lost
reg rollover --dir r --origin "$NEW" --witnessed witnessed >/dev/null || fail "rollover: $(tail -2 stderr.log)"
start_registry r "$REG_ADDR"
for _ in $(seq 100); do
	reg checkpoint --dir r --cosigned 2>/dev/null | grep -c >/dev/null "^— ps1 " && break
	sleep 0.1
done
reg checkpoint --dir r --cosigned | grep -c >/dev/null "^— ps1 " || fail "ps1 did not cosign $NEW: $(tail -3 serve.log)"

stopped() { python3 -c "import json, sys; s = json.load(sys.stdin); print(s['rolled_over_to'], s['discussions_stopped'], s['messages_resent'], s['discussions_undelivered'])"; }
# wijkteam sends its two messages after the backup in the discussion that
# goes on again (the restored registry holds its summary only); altrecht
# takes the one it had not fetched, and keeps the one it read once. In
# between wijkteam closes the other discussion: altrecht's message in it
# cannot be sent again, and altrecht's thread says so
out=$(node sync --dir wijkteam --json) || fail "sync of wijkteam after the rollover: $(tail -3 node.log)"
[ "$(echo "$out" | stopped)" = "$NEW 2 2 0" ] || fail "wijkteam's sync after the rollover: $out"
node discuss close "$closing" --dir wijkteam --as anna --regie wijkteam:anna \
	--outcome "AFGEROND uitkomst" >/dev/null || fail "close: $(tail -2 node.log)"
out=$(node sync --dir altrecht --json) || fail "sync of altrecht after the rollover: $(tail -3 node.log)"
[ "$(echo "$out" | stopped)" = "$NEW 2 0 1" ] || fail "altrecht's sync after the rollover: $out"
echo "$out" | python3 -c "import json, sys; s = json.load(sys.stdin); assert s['messages'] == 2 and s['rejected'] == 0, s" ||
	fail "altrecht took the messages sent again as: $out"
show() { node discuss show "$1" --dir "$2" --as "$3" --json; }
for who in wijkteam:anna altrecht:bram; do
	for id in "$after" "$late"; do
		out=$(show "$id" ${who%%:*} ${who#*:}) || fail "show at ${who%%:*}: $(tail -2 node.log)"
		echo "$out" | NOTICE="$NOTICE" python3 -c "
import json, os, sys
d = json.load(sys.stdin)
assert d['state'] == 'closed', d['state']
last = d['messages'][-1]
assert last['kind'] == 'stopped' and last['text'] == os.environ['NOTICE'], last" ||
			fail "discussion $id at ${who%%:*}: $out"
	done
	show "$after" ${who%%:*} ${who#*:} | grep -c >/dev/null NA-DE-BACKUP ||
		fail "the thread before the notice is gone at ${who%%:*}"
	node audit query --dir ${who%%:*} --event discuss.stop --json 2>/dev/null |
		python3 -c "import json, sys; r = json.load(sys.stdin); assert len(r) == 2, r" ||
		fail "no audit record of the stop at ${who%%:*}"
	out=$(show "$before" ${who%%:*} ${who#*:}) || fail "show at ${who%%:*}: $(tail -2 node.log)"
	echo "$out" | python3 -c "import json, sys; assert json.load(sys.stdin)['state'] == 'open'" ||
		fail "the discussion from before the backup was stopped at ${who%%:*}: $out"
done
out=$(printf 'NOG-IETS\n' | nodex discuss send "$after" --dir altrecht --as bram --text-file -) &&
	fail "a message was sent in a stopped discussion: $out"
echo "$out" | grep -c >/dev/null "is closed" || fail "sending in a stopped discussion: $out"
node discuss show "$after" --dir wijkteam --as anna | grep -cF >/dev/null "$NOTICE" ||
	fail "the notice is not in the thread as shown"
ok "the discussions requested or accepted after the backup are stopped at both nodes: the notice in both threads, audited; no more messages"

out=$(show "$before" altrecht bram) || fail "show at altrecht: $(tail -2 node.log)"
echo "$out" | python3 -c "
import json, sys
texts = [m['text'] for m in json.load(sys.stdin)['messages']]
for t in ('NA-BACKUP-GELEZEN bericht', 'NA-BACKUP-ONGELEZEN bericht'):
    assert texts.count(t) == 1, (t, texts)
assert texts.index('NA-BACKUP-GELEZEN bericht') < texts.index('NA-BACKUP-ONGELEZEN bericht'), texts" ||
	fail "the messages after the backup at altrecht: $out"
node audit query --dir wijkteam --event discuss.resend --json 2>/dev/null |
	python3 -c "import json, sys; r = json.load(sys.stdin); assert len(r) == 2 and all(x['outcome'] == 'ok' for x in r), r" ||
	fail "the messages sent again are not audited at wijkteam"
node audit query --dir altrecht --event discuss.receive --json 2>/dev/null |
	python3 -c "import json, sys; r = json.load(sys.stdin); assert all(x['outcome'] == 'ok' for x in r), r" ||
	fail "altrecht refused a message sent again"
ok "a message sent after the backup and not yet fetched arrives after the rollover, once; one read before the loss is not shown twice; the re-send is audited"

UNDELIVERED="Een bericht dat u in dit overleg stuurde, is misschien niet aangekomen omdat de verwijsindex is hersteld na een storing. Kijk het overleg na en stuur het bericht zo nodig opnieuw."
out=$(show "$closing" altrecht bram) || fail "show at altrecht: $(tail -2 node.log)"
echo "$out" | UNDELIVERED="$UNDELIVERED" python3 -c "
import json, os, sys
d = json.load(sys.stdin)
last = d['messages'][-1]
assert last['kind'] == 'undelivered' and last['text'] == os.environ['UNDELIVERED'], last
assert d['state'] == 'closed', d['state']" || fail "no notice of the message that could not be sent again: $out"
node audit query --dir altrecht --event discuss.resend --json 2>/dev/null |
	python3 -c "import json, sys; r = json.load(sys.stdin); assert len(r) == 1 and r[0]['outcome'] != 'ok', r" ||
	fail "the message that could not be sent again is not audited at altrecht"
ok "a message sent after the backup in a discussion closed before it could be sent again: the sender's thread says it may not have arrived, audited"

printf 'NA-DE-OVERGANG bericht\n' | node discuss send "$before" --dir wijkteam --as anna --text-file - \
	>/dev/null || fail "send in the discussion from before the backup: $(tail -2 node.log)"
out=$(node sync --dir altrecht --json) || fail "sync of altrecht: $(tail -3 node.log)"
echo "$out" | python3 -c "import json, sys; s = json.load(sys.stdin); assert s['messages'] == 1 and s['discussions_stopped'] == 0, s" ||
	fail "altrecht's sync after the new message: $out"
node discuss show "$before" --dir altrecht --as bram | grep -c >/dev/null NA-DE-OVERGANG ||
	fail "the new message did not reach altrecht"
ok "the discussion from before the backup goes on: a new message arrives"

for org in wijkteam altrecht; do
	out=$(node sync --dir $org --json) || fail "another sync of $org: $(tail -3 node.log)"
	echo "$out" | python3 -c "
import json, sys
s = json.load(sys.stdin)
assert s['discussions_stopped'] == 0 and s['rolled_over_to'] is None and s['messages'] == 0, s" ||
		fail "another sync of $org did more: $out"
	node audit verify --dir $org >/dev/null || fail "audit verify $org"
	node audit verify --dir $org --registry >/dev/null || fail "audit verify --registry $org"
	out=$(node audit verify --dir $org --reconcile 2>&1) || fail "audit verify --reconcile $org: $out"
	node audit query --dir $org --event discuss.stop --json 2>/dev/null |
		python3 -c "import json, sys; assert len(json.load(sys.stdin)) == 2" ||
		fail "the stop was audited again at $org"
done
reg audit verify --dir r >/dev/null || fail "registry audit verify"
ok "a second sync stops nothing more; the audit chains verify"
