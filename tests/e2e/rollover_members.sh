# What the registry recorded after its last backup, re-recorded after a
# rollover from the members' and the operator's own copies
# (docs/protocol.md "Rollover"): a pseudonymiser's epoch key rotated after
# the backup is published again by the pseudonymiser itself, so a bundle
# refreshed after the rollover carries the new epoch and its tokens match;
# a revocation made after the backup is repeated by the operator and the
# node is refused again. The operator's journal (--journal, outside the
# data dir) holds an enrolment, a revocation and a quota change made after
# the backup; 'journal replay' records them again after the rollover (an
# edited journal is refused), once. The pseudonymiser follows the
# rollover: its member-event cursor goes back to the statement's leaf, so
# a revocation recorded after the rollover below its old cursor is
# applied (buurtzorg).
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

OLD=test.example/registry NEW=test.example/registry/2
registry_up
openssl x509 -inform der -in ca/ca.crt -out ca.pem
PS1_OPTS="--witness-listen 127.0.0.1:0" chain_up
[ -n "$WIT1" ] || fail "ps1 printed no witness address"
CHAIN="$CHAIN --witness ps1@https://$WIT1 --quorum 1"
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
nodes_up wijkteam:sociaal-team altrecht:ggz tactus:ggz buurtzorg:sociaal-team
# the operator's journal, outside the registry's data dir
install -d -m 0700 backups
J=$T/backups/registry.journal
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
BSN=123456782
for org in wijkteam altrecht; do
	node client add --dir $org --bsn $BSN --name "Piet Modaal" >/dev/null
done
node case open --dir altrecht --client $BSN --as bram --consent discover --categories all \
	>/dev/null || fail "case open altrecht: $(tail -3 node.log)"
for org in wijkteam altrecht tactus; do
	node sync --dir $org >/dev/null || fail "first sync of $org: $(tail -3 node.log)"
done
# buurtzorg's record on the sociale kaart, which wijkteam's professionals find
cat >buurtzorg.json <<JSON
{"display_name": "Buurtzorg Zeist", "municipalities": ["Zeist"],
 "services": ["maatschappelijk-werk"], "target_groups": ["volwassenen"],
 "how_to_refer": "Bel het team", "waiting_weeks": 2,
 "wegwijzers": [{"name": "Dirk de Wit", "role": "wijkverpleegkundige"}]}
JSON
node directory publish --dir buurtzorg --file buurtzorg.json >/dev/null ||
	fail "buurtzorg's directory record: $(tail -3 node.log)"
node sync --dir wijkteam >/dev/null || fail "wijkteam's sync of the directory: $(tail -3 node.log)"
node directory search --dir wijkteam --json --as anna | grep -c >/dev/null '"buurtzorg"' ||
	fail "wijkteam does not find buurtzorg on the sociale kaart"

reg backup-key --out offline.key >/dev/null || fail "backup-key"
reg backup --dir r --to r.bk --recipient offline.key.pub >/dev/null ||
	fail "registry backup: $(tail -2 stderr.log)"

# after the backup: ps1 rotates to epoch 2; both nodes take refreshed
# bundles and republish under it; wijkteam opens its case for the client
# only now (no entry of epoch 1 exists for it); tactus is revoked
psd rotate --dir ps1 --until "$(date -d '+1 year' +%F)" >/dev/null || fail "rotate"
for org in wijkteam altrecht; do
	reg enrol --dir r --refresh $org --out $org.bundle2 $CHAIN >/dev/null || fail "refresh $org"
	node join --dir $org --bundle $org.bundle2 >/dev/null || fail "rejoin $org"
done
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact \
	--categories all >/dev/null || fail "case open wijkteam: $(tail -3 node.log)"
for org in wijkteam altrecht; do
	node sync --dir $org >/dev/null || fail "sync $org after the rotation: $(tail -3 node.log)"
done
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming) || fail "lookup: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "no match under epoch 2 before the loss: $out"
reg revoke --dir r --org tactus --journal "$J" >/dev/null || fail "revoke tactus"
# also journalled after the backup: a new node enrolled, a quota changed
"$SK_NODE" init --dir lister --org-id lister --name "Org lister" --category ggz --dev \
	>/dev/null 2>>node.log
reg enrol --dir r --ca ca --request lister/enrol-request --out lister.bundle $CHAIN \
	--journal "$J" >/dev/null || fail "enrol lister: $(tail -2 stderr.log)"
psd allow --dir ps1 --org lister >/dev/null
psd allow --dir ps2 --org lister >/dev/null
node join --dir lister --bundle lister.bundle >/dev/null || fail "join lister"
node sync --dir lister >/dev/null || fail "first sync of lister: $(tail -3 node.log)"
reg quota --dir r --org altrecht --entries 4321 --journal "$J" >/dev/null || fail "quota"
[ "$(stat -c %a "$J")" = 600 ] || fail "the journal is not 0600: $(stat -c %a "$J")"
[ "$(reg journal verify --dir r --journal "$J")" = "journal $J: 3 records, verified" ] ||
	fail "journal verify: $(tail -2 stderr.log)"
try node sync --dir tactus
[ "$rc" != 0 ] || fail "a revoked node synced"
for _ in $(seq 100); do
	psd status --dir ps1 --json >st1
	[ "$(field "['epochs'][1]['in_log']" <st1)" = True ] && break
	sleep 0.1
done
[ "$(field "['epochs'][1]['in_log']" <st1)" = True ] || fail "ps1 did not see epoch 2 in the log"
leaf=$(field "['epochs'][1]['leaf_index']" <st1)
for _ in $(seq 100); do
	psd list --dir ps1 --json | grep -c >/dev/null '"revoked": true' && break
	sleep 0.1
done
cursor=$(psd status --dir ps1 --json | field "['events_from']")
# wijkteam reads the old log's member events to their end (lister's
# enrolment): its member-event cursor, as its store keeps it
node sync --dir wijkteam >/dev/null || fail "wijkteam's last sync before the loss: $(tail -3 node.log)"
wcursor=$(mdb_dump -s node_meta wijkteam | python3 -c "
import sys
l = sys.stdin.read().split('\n')
print(int(l[l.index(' ' + b'events.cursor'.hex()) + 1].strip(), 16))")
witnessed_fetch "$OLD"
ok "after the backup: epoch 2 of ps1 (leaf $leaf) matches across nodes; tactus is revoked"

# the disk is lost; the backup restored and rolled over
disk_lost
out=$(reg rollover --dir r --origin "$NEW" --witnessed witnessed) || fail "rollover: $(tail -2 stderr.log)"
[ "$out" = "log $OLD goes on as $NEW" ] || fail "rollover printed: $out"

# the journal replayed: a copy whose last record was edited is refused
# whole (its signature; the chain covers the records before), then the real one
# records lister, tactus's revocation and the quota again, once
sed 's/^\(sj1 3 [0-9]* [0-9a-f]* \)e/\1f/' "$J" >edited
cmp -s edited "$J" && fail "the test did not edit the journal"
try reg journal verify --dir r --journal edited
[ "$rc" = 3 ] || fail "journal verify of an edited journal: exit $rc"
try reg journal replay --dir r --journal edited
[ "$rc" = 3 ] || fail "journal replay of an edited journal: exit $rc $msg"
reg members --dir r --json | grep -c >/dev/null '"lister"' && fail "an edited journal was replayed"
out=$(reg journal replay --dir r --journal "$J") || fail "journal replay: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "^1 .*revoke.*tactus.*replayed" || fail "replay tactus: $out"
echo "$out" | grep -c >/dev/null "^2 .*enrol.*lister.*replayed" || fail "replay lister: $out"
echo "$out" | grep -c >/dev/null "^3 .*quota.*altrecht.*replayed" || fail "replay quota: $out"
echo "$out" | grep -c >/dev/null "^3 replayed, 0 already there" || fail "replay counts: $out"
out=$(reg journal replay --dir r --journal "$J") || fail "second journal replay: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "^0 replayed, 6 already there, 0 in the backup, 0 refused" ||
	fail "a second replay changed something: $out"
[ "$(reg quota --dir r --org altrecht --json | field "['entries']")" = 4321 ] || fail "quota not replayed"
reg audit query --dir r --event journal.replay | grep -c >/dev/null "lister" ||
	fail "the replay is not audited"

# buurtzorg is revoked now, before the registry starts: its leaf is below
# the cursor ps1 reached on the old log
reg revoke --dir r --org buurtzorg --journal "$J" >/dev/null || fail "revoke buurtzorg"
size=$(reg checkpoint --dir r | sed -n 2p)
[ $((size - 1)) -lt "$cursor" ] || fail "test setup: buurtzorg's leaf $((size - 1)) is not below ps1's old cursor $cursor"
[ $((size - 1)) -lt "$wcursor" ] ||
	fail "test setup: buurtzorg's leaf $((size - 1)) is not below wijkteam's old member-event cursor $wcursor"
start_registry r "$REG_ADDR"

# ps1's sync finds its epoch 2 missing from the new log and sends it again
for _ in $(seq 300); do
	psd status --dir ps1 --json >st1
	[ "$(field "['epochs'][1]['leaf_index']" <st1)" != "$leaf" ] && break
	sleep 0.1
done
[ "$(field "['epochs'][1]['leaf_index']" <st1)" != "$leaf" ] ||
	fail "ps1 did not publish epoch 2 again: $(grep ps1 serve.log | tail -3)"
psd audit query --dir ps1 --event epoch.republish | grep -c >/dev/null "epoch 2 published again" ||
	fail "ps1's audit does not record the republish"
psd audit verify --dir ps1 >/dev/null || fail "ps1's audit verify"
for org in wijkteam altrecht; do
	node sync --dir $org >/dev/null || fail "sync of $org after the rollover: $(tail -3 node.log)"
done
# the nodes follow the new log's member events from the rollover on, also
# below the leaf they had read of the old log: wijkteam sees buurtzorg's
# revocation and no longer lists it on the sociale kaart
node directory search --dir wijkteam --json --as anna | grep -c >/dev/null '"buurtzorg"' &&
	fail "wijkteam missed buurtzorg's revocation after the rollover (its member-event cursor stayed on the old log)"
ok "a node follows the member events of the new log from the rollover on (a revocation below its old cursor)"
# a bundle refreshed now names epoch 2: altrecht's tokens match wijkteam's
reg enrol --dir r --refresh altrecht --out altrecht.bundle3 $CHAIN >/dev/null || fail "refresh"
node join --dir altrecht --bundle altrecht.bundle3 >/dev/null || fail "rejoin altrecht"
node sync --dir altrecht >/dev/null || fail "sync altrecht after the rejoin: $(tail -3 node.log)"
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming) ||
	fail "lookup after the rollover: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "epoch 2 tokens do not match after the rollover: $out"
ok "after the rollover ps1 publishes epoch 2 again (leaf $(field "['epochs'][1]['leaf_index']" <st1)); a refreshed bundle names it and the partner is found"

# the restored registry forgot tactus's revocation; the journal replay
# recorded it again (a manual repeat finds it there)
out=$(reg rollover --dir r --report) || fail "rollover --report: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "^tactus " && fail "the report names tactus, revoked again: $out"
try reg revoke --dir r --org tactus
[ "$rc" = 1 ] && echo "$msg$(tail -1 stderr.log)" | grep -c >/dev/null "already revoked" ||
	fail "tactus's revocation is not back: $rc $msg"
try node sync --dir tactus
[ "$rc" != 0 ] || fail "tactus synced after its revocation was repeated"
echo "$msg$(tail -3 node.log)" | grep -ci >/dev/null "revoked\|refused" || fail "tactus's refusal: $msg"
ok "a revocation made after the backup, replayed from the journal, refuses the node again"

# the journal brought lister back: it syncs; tactus stays refused
node sync --dir lister >/dev/null || fail "lister after the replay: $(tail -3 node.log)"
ok "the journal replay recorded lister's enrolment, tactus's revocation and the quota again; lister syncs"

# ps1 followed the rollover and applied buurtzorg's revocation below its
# old cursor
for _ in $(seq 100); do
	psd list --dir ps1 --json >l1
	python3 -c "import json,sys; l={o['id']: o for o in json.load(open('l1'))}; sys.exit(0 if l['buurtzorg']['revoked'] else 1)" && break
	sleep 0.1
done
python3 -c "import json,sys; l={o['id']: o for o in json.load(open('l1'))}; sys.exit(0 if l['buurtzorg']['revoked'] else 1)" ||
	fail "ps1 did not apply buurtzorg's revocation after the rollover: $(grep ps1 ps-serve.log | tail -3)"
psd audit query --dir ps1 --event registry.rollover | grep -c >/dev/null "rolled over to $NEW" ||
	fail "ps1's audit has no registry.rollover"
[ "$(psd status --dir ps1 --json | field "['log']")" = "$NEW" ] || fail "ps1's status does not name $NEW"
try node sync --dir buurtzorg
[ "$rc" != 0 ] || fail "buurtzorg synced after its revocation"
ok "ps1 followed the rollover (cursor $cursor back to the statement) and refuses buurtzorg"
