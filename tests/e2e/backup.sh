# Backups while serving and restores, for the registry, a pseudonymiser and
# a node: an offline key pair, files 0600 and nothing in clear, refusals
# (wrong key, changed or cut-short file, another binary's backup, a
# non-empty target), the restored dirs open and verify, and a node restored
# from an older backup resumes its sequence numbers from the registry.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

federation_up
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodes_up wijkteam:sociaal-team altrecht:ggz
node professional add --dir wijkteam --id anna --name "Anna de Vries" --role wijkcoach >/dev/null
node professional add --dir altrecht --id bram --name "Bram Jansen" --role spv >/dev/null
BSN=111222333 BSN2=123456782
for org in wijkteam altrecht; do node client add --dir $org --bsn $BSN --name "Jan Modaal" >/dev/null; done
node client add --dir wijkteam --bsn $BSN2 >/dev/null
node case open --dir wijkteam --client $BSN --as anna --consent discover,contact,discuss \
	--categories all >/dev/null || fail "case open: $(tail -3 node.log)"
node case open --dir altrecht --client $BSN --as bram --consent discover,discuss \
	--categories all >/dev/null || fail "case open altrecht"
# altrecht is backed up before its first sync anchors its audit head
PK0=$("$SK_NODE" backup-key --out early.key --dev 2>/dev/null) || fail "backup-key early"
node backup --dir altrecht --to a0.bk --recipient "$PK0" >/dev/null || fail "altrecht early backup"

# a discussion between the two, with wijkteam's summary (message 1 to altrecht)
node sync --dir wijkteam >/dev/null && node sync --dir altrecht >/dev/null || fail "first syncs"
DID=$(node discuss request --dir wijkteam --client $BSN --as anna --topic afstemming) ||
	fail "discuss request: $(tail -2 node.log)"
node sync --dir altrecht >/dev/null
node discuss accept "$DID" --dir altrecht --as bram >/dev/null || fail "accept: $(tail -2 node.log)"
node sync --dir wijkteam >/dev/null
echo "Samenvatting een" >m1.txt
node discuss send "$DID" --dir wijkteam --as anna --text-file m1.txt --yes >/dev/null || fail "summary"
node sync --dir altrecht >/dev/null

# the offline key pair: secret 0600 (wrapped unless --dev), public key printed and in F.pub
PK=$(reg backup-key --out offline.key) || fail "backup-key"
[[ "$PK" =~ ^[0-9a-f]{64}$ ]] || fail "backup-key printed '$PK'"
[ "$(stat -c %a offline.key)" = 600 ] || fail "offline.key mode"
[ "$(cat offline.key.pub)" = "$PK" ] || fail "offline.key.pub"
"$SK_REGISTRY" backup-key --out offline.key --dev 2>/dev/null && fail "backup-key overwrote a key"
ok "backup-key: secret 0600, public key printed and in offline.key.pub, never overwritten"

# backups while everything serves (the node's serve too)
"$SK_NODE" serve --dir wijkteam --dev --web 127.0.0.1:0 --sync-seconds 1 >api.out 2>>node.log &
NODE_PID=$!; PIDS+=("$NODE_PID")
for _ in $(seq 100); do grep -q '^listening' api.out && break; sleep 0.1; done
reg backup --dir r --to r.bk --recipient offline.key.pub >/dev/null || fail "registry backup: $(tail -2 stderr.log)"
psd backup --dir ps1 --to ps1.bk --recipient "$PK" >/dev/null || fail "pseudonymiser backup"
out=$(node backup --dir wijkteam --to w1.bk --recipient "$PK" --json) || fail "node backup: $(tail -2 node.log)"
echo "$out" | grep -c >/dev/null '"kind":"node"' || fail "backup --json: $out"
for f in r.bk ps1.bk w1.bk; do [ "$(stat -c %a $f)" = 600 ] || fail "$f mode"; done
grep -qa "Org wijkteam" wijkteam/data.mdb || fail "marker not in the node's database"
for f in r.bk ps1.bk w1.bk; do
	grep -qa -e "Org wijkteam" -e "test.example/registry" -e "Pseudonymiser ps1" $f && fail "clear text in $f"
done
node backup --dir wijkteam --to w1.bk --recipient "$PK" && fail "a backup overwrote a file"
ok "backups of registry, pseudonymiser and node while serving: 0600, nothing in clear, never overwritten"

# the node goes on after its backup: a second case publishes entry seq 2,
# and message 2 reaches altrecht
node case open --dir wijkteam --client $BSN2 --as anna --consent discover --categories all \
	>/dev/null || fail "case open 2"
echo "Bericht twee" >m2.txt
node discuss send "$DID" --dir wijkteam --as anna --text-file m2.txt --yes >/dev/null || fail "message 2"
node sync --dir altrecht >/dev/null
kill -TERM "$NODE_PID"; wait "$NODE_PID" || fail "node serve exit"

# refusals: nothing is left in the target
"$SK_NODE" backup-key --out other.key --dev >/dev/null 2>&1
try "$SK_NODE" restore --dir w-bad --from w1.bk --identity other.key --dev
[ "$rc" = 3 ] || fail "restore with another key: rc $rc: $msg"
[ -e w-bad ] && fail "a refused restore left w-bad"
python3 - <<'PY'
d = bytearray(open("w1.bk", "rb").read())
open("w-cut.bk", "wb").write(d[:-40])
d[len(d) // 2] ^= 1
open("w-flip.bk", "wb").write(d)
PY
for f in w-cut.bk w-flip.bk; do
	chmod 600 $f
	try "$SK_NODE" restore --dir w-bad --from $f --identity offline.key --dev
	[ "$rc" = 3 ] || fail "restore of $f: rc $rc: $msg"
	[ -e w-bad ] && fail "a refused restore of $f left files"
done
try "$SK_NODE" restore --dir w-bad --from r.bk --identity offline.key --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "backup of a registry, not of a node" || fail "kind: rc $rc: $msg"
mkdir -m 700 w-full && touch w-full/x
try "$SK_NODE" restore --dir w-full --from w1.bk --identity offline.key --dev
[ "$rc" = 1 ] && echo "$msg" | grep -c >/dev/null "not empty" || fail "non-empty target: rc $rc: $msg"
ok "restore refuses another key, a cut or changed file (exit 3), another binary's backup and a non-empty dir"

# the node's disk is lost: restore the older backup into a new dir
mv wijkteam wijkteam.lost
out=$(node restore --dir wijkteam --from w1.bk --identity offline.key) || fail "restore: $(tail -2 node.log)"
echo "$out" | grep -c >/dev/null "restored the node backup" || fail "restore said: $out"
[ "$(stat -c %a wijkteam)" = 700 ] || fail "restored dir mode"
node audit verify --dir wijkteam >/dev/null || fail "restored node audit verify: $(tail -2 node.log)"
[ "$(node case list --dir wijkteam --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	fail "restored node should hold the one case of the backup"
ok "node restored: opens, audit verify passes, holds the state of the backup"

# The restored node's first act is a discussion message: altrecht has seen
# number 2 from it, the backup knows only 1. It resumes first (asks the
# registry, moves its numbers on), so the message is taken.
echo "Bericht drie na herstel" >m3.txt
node discuss send "$DID" --dir wijkteam --as anna --text-file m3.txt --yes >/dev/null ||
	fail "message after restore: $(tail -2 node.log)"
out=$(node sync --dir altrecht --json) || fail "altrecht sync"
node discuss show "$DID" --dir altrecht --as bram >thread.txt || fail "show"
grep -q "Bericht drie na herstel" thread.txt || fail "a message sent after the restore was refused: $out"
# the registry already holds entry seq 2 of wijkteam; the restored counter is at 1
node case open --dir wijkteam --client $BSN2 --as anna --consent discover,discuss \
	--categories all >/dev/null || fail "publish after restore: $(tail -3 node.log)"
out=$(node sync --dir wijkteam --json) || fail "sync after restore: $(tail -3 node.log)"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["rotated"] == 1, d' ||
	fail "no new encryption key after the restore: $out"
node audit query --dir wijkteam --json >q.json || fail "audit query"
grep -q '"node.resume"' q.json || fail "no node.resume record"
grep -q 'registry holds entry seq 2' q.json || fail "resume record: $(grep resume q.json)"
grep -q "already used" stderr.log node.log && fail "a sequence number was reused"
node sync --dir altrecht >/dev/null
node lookup --dir altrecht --client $BSN --as bram --purpose afstemming | grep -c >/dev/null wijkteam ||
	fail "partner does not see the restored node"
node audit verify --dir wijkteam >/dev/null || fail "audit verify after resume"
ok "restored node resumes after the registry's last entry seq and its message numbers (audit node.resume), publishes, is found"

# the audit records lost with an older backup do not go unnoticed: altrecht's
# head was anchored after a0.bk; the restored log verifies by itself, but the
# registry's anchor no longer matches it
node restore --dir a-old --from a0.bk --identity early.key >/dev/null || fail "altrecht restore"
node sync --dir a-old >/dev/null || fail "sync of the restored altrecht: $(tail -3 node.log)"
node audit verify --dir a-old >/dev/null || fail "restored altrecht audit verify"
try "$SK_NODE" audit verify --dir a-old --registry --dev
[ "$rc" = 3 ] && echo "$msg" | grep -ci >/dev/null "anchor" || fail "lost audit tail not reported by audit verify --registry: rc $rc: $msg"
ok "a node restored from a backup older than its last anchor: audit verify passes, --registry reports the lost tail (exit 3)"

# the registry and the pseudonymiser: restored dirs open and verify
out=$(reg restore --dir r2 --from r.bk --identity offline.key) || fail "registry restore: $(tail -2 stderr.log)"
reg audit verify --dir r2 >/dev/null || fail "restored registry audit verify"
reg members --dir r2 | grep -c >/dev/null altrecht || fail "restored registry members"
reg checkpoint --dir r2 >/dev/null || fail "restored registry checkpoint"
psd restore --dir ps1b --from ps1.bk --identity offline.key >/dev/null || fail "ps restore"
psd audit verify --dir ps1b >/dev/null || fail "restored pseudonymiser audit verify"
psd list --dir ps1b | grep -c >/dev/null wijkteam || fail "restored pseudonymiser allow-list"
# (the registry has no audit query yet: its records are protobuf in the LMDB file)
grep -qa "registry.restore" r2/data.mdb || fail "registry restore not audited"
psd audit query --dir ps1b --json >ps1b.json && grep -q '"pseudonymiser.restore"' ps1b.json ||
	fail "pseudonymiser restore not audited"
ok "registry and pseudonymiser restored (audited): audit verify passes, members and allow-list there"

# a larger node database: throughput of backup and restore (reported, not asserted)
bsns 2000 5 | sed 's/$/,Synthetic Resident,1990-01-01/' >many.csv
psd grant --dir ps1 --org altrecht --extra 5000 >/dev/null
psd grant --dir ps2 --org altrecht --extra 5000 >/dev/null
node client import --dir altrecht --file many.csv >/dev/null || fail "import"
b=$(node backup --dir altrecht --to a.bk --recipient "$PK" --json) || fail "altrecht backup"
r=$(node restore --dir a2 --from a.bk --identity offline.key --json) || fail "altrecht restore"
python3 - "$b" "$r" <<'PY'
import json, sys
b, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
mb = b["bytes"] / 1e6
print(f"ok - measured: node backup {mb:.1f} MB in {b['seconds']:.3f} s "
      f"({mb / max(b['seconds'], 1e-3):.0f} MB/s, sanitizer build), restore {r['seconds']:.3f} s")
PY
node audit verify --dir a2 >/dev/null || fail "a2 audit verify"
