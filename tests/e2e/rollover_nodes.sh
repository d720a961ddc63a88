# A registry's disk lost in a federation with a witness quorum: nodes
# published and synced after the last backup; the registry is restored and
# rolled over (docs/protocol.md "Rollover"). A plain restore still stops
# the nodes (exit 3); after the rollover, every node's sync checks the
# statement, follows the new log, publishes its open cases again, and a
# partner's lookup finds the entry acknowledged after the backup. A node
# whose first contact after the rollover is a publish (buurtteam) follows
# the log there and publishes; a publish to a plain restore still fails.
# The audit anchors wijkteam made between the backup and the rollover are
# explained by reconcile, each covered by its anchor after the rollover.
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
nodes_up wijkteam:sociaal-team altrecht:ggz buurtteam:sociaal-team
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
node professional add --dir buurtteam --id cor --name "Cor Smit" --role wijkcoach >/dev/null
BSN=111222333 BSN2=123456782 BSN3=100000009
for org in wijkteam altrecht buurtteam; do
	node client add --dir $org --bsn $BSN --name "Jan Modaal" >/dev/null
	node client add --dir $org --bsn $BSN2 --name "Piet Modaal" >/dev/null
done
node client add --dir buurtteam --bsn $BSN3 --name "Kees Modaal" >/dev/null
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact \
	--categories all >/dev/null || fail "case open: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN --as bram --consent discover --categories all \
	>/dev/null || fail "case open altrecht: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN2 --as bram --consent discover --categories all \
	>/dev/null || fail "case open altrecht 2: $(tail -3 node.log)"
node case open --dir buurtteam --client $BSN --as cor --consent discover --categories all \
	>/dev/null || fail "case open buurtteam: $(tail -3 node.log)"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null &&
	node sync --dir buurtteam >/dev/null || fail "first syncs: $(tail -3 node.log)"

# the nightly backup of the registry, while it serves
reg backup-key --out offline.key >/dev/null || fail "backup-key"
reg backup --dir r --to r.bk --recipient offline.key.pub >/dev/null || fail "registry backup: $(tail -2 stderr.log)"

# after the backup: wijkteam opens a case for the second client; both sync
node case open --dir wijkteam --client $BSN2 --as anna --consent discover,contact \
	--categories all >/dev/null || fail "case open after the backup: $(tail -3 node.log)"
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null &&
	node sync --dir buurtteam >/dev/null || fail "syncs after the backup: $(tail -3 node.log)"
out=$(node lookup --dir altrecht --client $BSN2 --as bram --purpose afstemming) ||
	fail "lookup after the backup: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "the entry acknowledged after the backup is not found: $out"
# more lookups, whose disclosure notices wijkteam takes in: its mailbox
# cursor runs ahead of what the backup holds
for _ in 1 2 3; do
	node lookup --dir altrecht --client $BSN --as bram --purpose afstemming >/dev/null || fail "lookup"
done
node sync --dir wijkteam >/dev/null || fail "sync after the lookups: $(tail -3 node.log)"
# wijkteam anchors its audit head twice after the backup, buurtteam once
# (their clocks 6 and 12 minutes on: a node anchors at most every 5); the
# restored registry will not hold these anchors
for step in wijkteam:anna:6 wijkteam:anna:12 buurtteam:cor:6; do
	IFS=: read -r org who m <<<"$step"
	SCHAKEL_DEV_CLOCK_OFFSET_MS=$((m * 60000)) node lookup --dir $org --client $BSN \
		--as $who --purpose afstemming >/dev/null || fail "lookup by $org"
	out=$(SCHAKEL_DEV_CLOCK_OFFSET_MS=$((m * 60000)) node sync --dir $org --json) ||
		fail "$org's sync at +$m minutes: $(tail -3 node.log)"
	echo "$out" | python3 -c "import json, sys; assert json.load(sys.stdin)['anchored']" ||
		fail "$org did not anchor at +$m minutes: $out"
done
# wijkteam's disclosure notices as its professionals see them (org, client, time)
notices_of() {
	node notices --dir wijkteam --json | python3 -c "
import json, sys
for x in json.load(sys.stdin):
    if x['kind'] == 'disclosure':
        print(x['org'], x['client'], x['time'])" | sort
}
notices_of >notices.before
[ "$(wc -l <notices.before)" -ge 4 ] || fail "wijkteam took in no notices after the backup: $(cat notices.before)"
witnessed_fetch "$OLD"
ok "an entry acknowledged after the backup is found by the partner (log at $(sed -n 2p witnessed) leaves, cosigned)"

# the registry's disk is lost; the backup is restored
disk_lost
# without a rollover the restored registry is a rollback: the node stops
start_registry r "$REG_ADDR"
set +e; node sync --dir wijkteam >/dev/null; rc=$?; set -e
[ "$rc" = 3 ] || fail "a plain restore: sync exit $rc, not 3"
# a publish to it too: the change is kept, the professional sees exit 3
set +e; node case open --dir buurtteam --client $BSN2 --as cor --consent discover \
	--categories all >/dev/null; rc=$?; set -e
[ "$rc" = 3 ] || fail "a publish to a plain restore: exit $rc, not 3"
ok "a plain restore is still a rollback to the nodes (sync and publish exit 3)"
kill -TERM "$REG_PID"; wait "$REG_PID" 2>/dev/null || true

# the rollover, with the witness's latest checkpoint; the registry's
# cosigning round brings ps1 over to the new log
out=$(reg rollover --dir r --origin "$NEW" --witnessed witnessed) || fail "rollover: $(tail -2 stderr.log)"
[ "$out" = "log $OLD goes on as $NEW" ] || fail "rollover printed: $out"
start_registry r "$REG_ADDR"
for _ in $(seq 100); do
	reg checkpoint --dir r --cosigned 2>/dev/null | grep -c >/dev/null "^— ps1 " && break
	sleep 0.1
done
reg checkpoint --dir r --cosigned | grep -c >/dev/null "^— ps1 " || fail "ps1 did not cosign $NEW: $(tail -3 serve.log)"

# the operator's report: no node back yet
out=$(reg rollover --dir r --report) || fail "rollover --report: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "^wijkteam  *not yet back" || fail "report before the syncs: $out"
echo "$out" | grep -c >/dev/null "^ps1  *nothing to replay" || fail "report of a pseudonymiser: $out"
echo "$out" | tail -1 | grep -c >/dev/null "^0 of 3 nodes back on log $NEW$" || fail "report summary: $out"

# buurtteam's first contact with the new log is a publish: it follows the
# rollover (statement checked) and publishes, exit 0
node case open --dir buurtteam --client $BSN3 --as cor --consent discover --categories all \
	>/dev/null || fail "a publish before the first sync after the rollover: $(tail -3 node.log)"
tail -2 node.log | grep -c >/dev/null "rolled over to $NEW" && tail -1 node.log | grep -c >/dev/null "published$" ||
	fail "the publish after the rollover: $(tail -3 node.log)"
# buurtteam follows the log but has not anchored again: its anchor lost in
# the recovery is covered by none the registry holds, a finding (exit 3)
set +e; out=$(node audit verify --dir buurtteam --reconcile 2>&1); rc=$?; set -e
[ "$rc" = 3 ] || fail "a lost anchor not covered yet: reconcile exit $rc, not 3: $out"
echo "$out" | grep -c >/dev/null "^  our anchor of record [0-9]* .*: NOT covered" ||
	fail "the uncovered anchor is not listed: $out"
out=$(node sync --dir buurtteam --json) || fail "sync of buurtteam after its publish: $(tail -3 node.log)"
echo "$out" | python3 -c "
import json, sys
s = json.load(sys.stdin)
assert s['rolled_over_to'] is None and s['published'] == 2 and s['rotated'] and s['anchored'], s" ||
	fail "buurtteam's sync after the publish that followed the rollover: $(echo $out)"
out=$(node lookup --dir altrecht --client $BSN2 --as bram --purpose afstemming) ||
	fail "lookup of buurtteam's entry kept from the refused publish: $out"
echo "$out" | grep -c >/dev/null buurtteam || fail "the change refused by the plain restore is not published: $out"
ok "a publish before the first sync after the rollover follows the log and publishes (exit 0); the sync after it publishes the rest"

# every node follows: the statement checked, its open cases published again.
# wijkteam's first sync is killed (gdb: SIGKILL) right after it followed
# the new log and before its mailbox cursor moved back; the rewind is
# pending in its store and its next sync does it
command -v gdb >/dev/null || fail "gdb is missing (scripts/deps.sh --browser installs it)"
gdb -q -batch -ex 'break node_remote_mailbox_rewind' -ex run -ex kill \
	--args "$SK_NODE" sync --dir wijkteam --dev >gdb.out 2>&1 </dev/null || true
grep -c >/dev/null "^Breakpoint 1, node_remote_mailbox_rewind" gdb.out ||
	fail "wijkteam's sync did not reach the mailbox rewind under gdb: $(tail -5 gdb.out)"
grep -c >/dev/null "rolled over to $NEW" gdb.out || fail "the killed sync did not follow the rollover: $(tail -5 gdb.out)"
out=$(node sync --dir wijkteam) || fail "sync of wijkteam after the rollover: $(tail -3 node.log)"
echo "$out"
ok "a node killed between following the new log and moving its mailbox cursor back syncs on"
out=$(node sync --dir altrecht --json) || fail "sync of altrecht after the rollover: $(tail -3 node.log)"
echo "$out" | python3 -c "
import json, sys
s = json.load(sys.stdin)
assert s['rolled_over_to'] == '$NEW' and s['published'] == 2 and s['rotated'] and s['anchored'], s" ||
	fail "altrecht's sync --json after the rollover: $(echo $out)"
out=$(node lookup --dir altrecht --client $BSN2 --as bram --purpose afstemming) ||
	fail "lookup after the rollover: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "the entry acknowledged after the backup is not live again: $out"
out=$(node lookup --dir altrecht --client $BSN --as bram --purpose afstemming) ||
	fail "lookup of the first client after the rollover: $out"
echo "$out" | grep -c >/dev/null wijkteam || fail "the entry from before the backup is not found: $out"
out=$(reg rollover --dir r --report) || fail "rollover --report: $(tail -2 stderr.log)"
echo "$out" | grep -c >/dev/null "^wijkteam  *back" && echo "$out" | grep -c >/dev/null "^altrecht  *back" ||
	fail "report after the syncs: $out"
echo "$out" | grep -c >/dev/null "^buurtteam  *back" || fail "report after buurtteam's publish and sync: $out"
echo "$out" | tail -1 | grep -c >/dev/null "^3 of 3 nodes back" || fail "report summary after the syncs: $out"
ok "after the rollover every node syncs, reports what it published again (entries, encryption key, audit anchor), the entries are live again, and the operator's report shows every node back"

# the lookups just made reach wijkteam's mailbox (numbered anew by the
# restored registry: the node's cursor moved back at the rollover)
out=$(node sync --dir wijkteam --json) || fail "sync of wijkteam after the lookups: $(tail -3 node.log)"
echo "$out" | python3 -c "import json, sys; s = json.load(sys.stdin); assert s['items'] >= 1, s" ||
	fail "the disclosure notices of lookups after the rollover did not arrive: $(echo $out)"
ok "mailbox items made after the rollover reach the node"

# the restored registry numbered wijkteam's new items from the backup's
# last one on, the numbers the notices taken in after the backup had: the
# node keeps both (local keys), so the old notices are all still listed
notices_of >notices.after
[ -z "$(comm -23 notices.before notices.after)" ] ||
	fail "notices taken in between the backup and the rollover are gone: $(comm -23 notices.before notices.after)"
[ "$(comm -13 notices.before notices.after | wc -l)" -ge 2 ] ||
	fail "the notices of the lookups after the rollover are not listed: $(cat notices.after)"
ok "the notices taken in between the backup and the rollover are still listed, beside the new ones the restored registry gave the same numbers"

# the nodes keep following the new log; their audit chains verify
for org in wijkteam altrecht buurtteam; do
	out=$(node sync --dir $org) || fail "second sync of $org: $(tail -3 node.log)"
	echo "$out" | grep -c >/dev/null "rolled over" && fail "$org reported the rollover twice: $out"
	node audit verify --dir $org >/dev/null || fail "audit verify $org"
	node audit verify --dir $org --registry >/dev/null || fail "audit verify --registry $org"
done
reg audit verify --dir r >/dev/null || fail "registry audit verify"
ok "the nodes go on with the new log (the old log's checkpoint kept as evidence); audits verify"

# the republish makes the registry send matches again: a node shows each
# partner once per client, and no disclosure notice twice
for org in wijkteam altrecht buurtteam; do
	m=$(node matches --dir $org --json) && n=$(node notices --dir $org --json) ||
		fail "matches and notices of $org"
	printf '%s\n%s\n' "$m" "$n" | python3 -c "
import json, sys
docs = json.JSONDecoder()
text = sys.stdin.read()
m, i = docs.raw_decode(text)
n, _ = docs.raw_decode(text[i:].lstrip())
pairs = [(x['org'], x['client']) for x in m if x['kind'] == 'match']
assert pairs and len(pairs) == len(set(pairs)), ('$org', 'matches', pairs)
seen = [(x['org'], x['client'], x['time']) for x in n if x['kind'] == 'disclosure']
assert len(seen) == len(set(seen)), ('$org', 'notices', seen)" ||
		fail "$org shows a match or a notice twice after the rollover: $m $n"
done
ok "after the republish each node shows a partner once per client and no disclosure notice twice"

# the privacy officer's reconciliation: our records the registry lost in
# its recovery (altrecht's lookups after the backup) are explained, exit 0
out=$(node audit verify --dir altrecht --reconcile) || fail "reconcile after the rollover: $out"
echo "$out" | grep -c >/dev/null "lost in the registry's recovery on .* (rollover to $NEW)" ||
	fail "reconcile does not explain the gap: $out"
echo "$out" | grep -c >/dev/null "^  our record [0-9]* .* lookup correlation=" ||
	fail "reconcile does not list the lookups lost in the recovery: $out"
out=$(node audit verify --dir altrecht --reconcile --json) || fail "reconcile --json: $out"
echo "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin)
r = d['reconcile']
assert d['ok'] and r['unmatched_count'] == 0, d
ro = r['rollover']
assert ro['rolled_over_to'] == '$NEW' and ro['lost_in_recovery_count'] >= 4, ro
assert len(ro['lost_in_recovery']) == ro['lost_in_recovery_count'], ro
assert {x['event'] for x in ro['lost_in_recovery']} >= {'lookup'}, ro" ||
	fail "reconcile --json after the rollover: $(echo $out)"
# a registry action our log lacks still fails, rollover or not: a copy of
# altrecht's dir from before a lookup does not have that lookup's record
cp -a altrecht altrecht.before
node lookup --dir altrecht --client $BSN --as bram --purpose afstemming >/dev/null || fail "lookup"
set +e; out=$(node audit verify --dir altrecht.before --reconcile); rc=$?; set -e
[ "$rc" = 3 ] || fail "an unexplained difference after the rollover: exit $rc, not 3: $out"
echo "$out" | grep -c >/dev/null "^  registry record .* lookup " || fail "the unexplained record is not listed: $out"
ok "reconcile after the rollover explains our records lost in the registry's recovery (exit 0); a registry action our log lacks still fails (exit 3)"

# wijkteam's anchors made between the backup and the rollover are gone
# from the registry; reconcile lists each with the anchor made after
# following the rollover that covers its records, exit 0
out=$(node audit verify --dir wijkteam --reconcile) || fail "wijkteam's reconcile after the rollover: $out"
echo "$out"
echo "$out" | grep -c >/dev/null "^2 of our audit anchors are no longer at the registry" ||
	fail "reconcile does not list the lost anchors: $out"
[ "$(echo "$out" | grep -c "^  our anchor of record [0-9]* .* (leaf [0-9]* of $OLD): covered by our anchor of record")" = 2 ] ||
	fail "the lost anchors are not each covered: $out"
out=$(node audit verify --dir wijkteam --reconcile --json) || fail "wijkteam's reconcile --json: $out"
echo "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin)
ro = d['reconcile']['rollover']
assert d['ok'] and ro['anchors_not_covered'] == 0, d
lost = ro['anchors_lost']
assert len(lost) == 2 and all(a['log'] == '$OLD' and a['leaf'] > 0 for a in lost), lost
assert all(a['covered_by'] and a['covered_by']['seq'] >= a['seq'] for a in lost), lost" ||
	fail "wijkteam's reconcile --json anchors: $(echo $out)"
out=$(node audit verify --dir buurtteam --reconcile --json) || fail "buurtteam's reconcile after its anchor: $out"
echo "$out" | python3 -c "
import json, sys
ro = json.load(sys.stdin)['reconcile']['rollover']
assert len(ro['anchors_lost']) == 1 and ro['anchors_lost'][0]['covered_by'], ro" ||
	fail "buurtteam's lost anchor is not covered after its sync: $(echo $out)"
ok "reconcile lists the anchors the registry lost in its recovery, each covered by the anchor made after following the rollover (exit 0); one not covered yet is a finding (exit 3)"
