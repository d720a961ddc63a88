# Witnessed checkpoints end to end: the tlog-witness protocol of a
# pseudonymiser's witness over HTTPS (cosign, 400/403/404/409/422, its state
# across kill -9), then a federation whose bundles require one cosignature:
# nodes sync with a cosigned checkpoint, refuse a stale one (simulated
# clock), and a registry that forks its log (one history for node A,
# another for node B) gets no cosignature for the fork and node B refuses it.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

# post ORG ADDR BODYFILE: POST add-checkpoint over HTTPS, the server's
# certificate checked against the federation CA and its org id; prints the
# body, then the status code on its own line.
post() {
	local port=${2##*:}
	curl -sS --cacert ca.pem --resolve "$1:$port:127.0.0.1" -w '\n%{http_code}\n' \
		-H 'Content-Type: text/plain' --data-binary @"$3" "https://$1:$port/add-checkpoint"
}
status() { tail -1; }

# body FILE OLD CHECKPOINT [PROOF]: an add-checkpoint request body
body() {
	{ echo "old $2"; [ -n "${4:-}" ] && cat "$4"; echo; cat "$3"; } >"$1"
}

size_of() { sed -n 2p "$1"; }

# ---- 1. the protocol, against a witness no registry talks to -------------
reg ca-init --ca ca --name "Regio Test" >/dev/null
openssl x509 -inform der -in ca/ca.crt -out ca.pem
reg init --dir ra --name test.example/registry --ca ca >/dev/null
psd init --dir pw --org-id pw --name "Witness PS" >/dev/null
reg enrol --dir ra --ca ca --request pw/enrol-request --out pw.bundle --registry 127.0.0.1:9 >/dev/null
psd join --dir pw --bundle pw.bundle >/dev/null
start_pseudonymiser pw --witness-listen 127.0.0.1:0
[ -n "$WIT_ADDR" ] || fail "no witness address printed"
PW_PID=$PS_PID PW_ADDR=$WIT_ADDR

reg checkpoint --dir ra >cp0
N0=$(size_of cp0)
body b0 0 cp0
out=$(post pw "$PW_ADDR" b0)
[ "$(echo "$out" | status)" = 200 ] || fail "cosign of the first checkpoint: $out"
echo "$out" | head -1 | grep -c >/dev/null "^— pw " || fail "not a cosignature line: $out"
# the line verifies: the registry's own note verifier accepts it on the note
ok "the witness cosigns a first checkpoint over HTTPS (cosignature/v1 line)"

# the log forks: ra and a copy of it each admit a different member
cp -a ra rb
for r in ra rb; do
	psd init --dir m-$r --org-id m-$r --name "Member $r" >/dev/null
	reg enrol --dir $r --ca ca --request m-$r/enrol-request --out m-$r.bundle --registry 127.0.0.1:9 >/dev/null
	reg checkpoint --dir $r >cp-$r
done
N1=$(size_of cp-ra)
[ "$N1" = "$(size_of cp-rb)" ] || fail "the two histories differ in size"
cmp -s cp-ra cp-rb && fail "the two histories are the same"
reg proof --dir ra --from "$N0" --to "$N1" >proof-ra
reg proof --dir rb --from "$N0" --to "$N1" >proof-rb
body b1 "$N0" cp-ra proof-ra
out=$(post pw "$PW_ADDR" b1)
[ "$(echo "$out" | status)" = 200 ] || fail "cosign of a consistent checkpoint: $out"
# the other history: 409 with the witness's size, then 422 with that size
body b2 "$N0" cp-rb proof-rb
out=$(post pw "$PW_ADDR" b2)
[ "$(echo "$out" | status)" = 409 ] || fail "the fork's stale old size: $out"
[ "$(echo "$out" | head -1)" = "$N1" ] || fail "409 body is not the witness's size: $out"
port=${PW_ADDR##*:}
ct=$(curl -sS --cacert ca.pem --resolve "pw:$port:127.0.0.1" -o /dev/null -w '%{content_type}' \
	--data-binary @b2 "https://pw:$port/add-checkpoint")
[ "$ct" = "text/x.tlog.size" ] || fail "409 content type: $ct"
body b3 "$N1" cp-rb
out=$(post pw "$PW_ADDR" b3)
[ "$(echo "$out" | status)" = 422 ] || fail "a second tree of the same size was cosigned: $out"
ok "a forked history: 409 (text/x.tlog.size, the witness's size) and 422, never a cosignature"

# 403 a forged log signature, 404 another log, 400 malformed, 422 bad proof
python3 - cp-ra >cp-forged <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("\u2014 "):
        name, sig = l[2:].rsplit(" ", 1)
        raw = bytearray(base64.b64decode(sig))
        raw[10] ^= 1
        lines[i] = "\u2014 " + name + " " + base64.b64encode(bytes(raw)).decode()
        break
print("\n".join(lines), end="")
PY
body b4 "$N1" cp-forged
[ "$(post pw "$PW_ADDR" b4 | status)" = 403 ] || fail "forged signature not 403"
reg init --dir rother --name other.example/log --ca ca >/dev/null
reg checkpoint --dir rother >cp-other
body b5 0 cp-other
[ "$(post pw "$PW_ADDR" b5 | status)" = 404 ] || fail "unknown log not 404"
printf 'old x\n\nnonsense\n' >b6
[ "$(post pw "$PW_ADDR" b6 | status)" = 400 ] || fail "malformed not 400"
body b7 "$N1" cp-ra
[ "$(post pw "$PW_ADDR" b7 | status)" = 200 ] || fail "the same checkpoint again"
psd init --dir m2 --org-id m2 --name "Member 2" >/dev/null
reg enrol --dir ra --ca ca --request m2/enrol-request --out m2.bundle --registry 127.0.0.1:9 >/dev/null
reg checkpoint --dir ra >cp-ra2
reg proof --dir ra --from "$N1" --to "$(size_of cp-ra2)" | python3 -c '
import base64, sys
lines = sys.stdin.read().split()
raw = bytearray(base64.b64decode(lines[0])); raw[0] ^= 1
lines[0] = base64.b64encode(bytes(raw)).decode()
print("\n".join(lines))' >proof-bad
body b8 "$N1" cp-ra2 proof-bad
[ "$(post pw "$PW_ADDR" b8 | status)" = 422 ] || fail "a bad consistency proof not 422"
ok "403 for a forged log signature, 404 for an unknown log, 400 malformed, 422 a bad proof"

# kill -9 and restart: the witness still holds size N1 and that root
kill -9 "$PW_PID"; wait "$PW_PID" 2>/dev/null || true
start_pseudonymiser pw --witness-listen "$PW_ADDR"
out=$(post pw "$PW_ADDR" b2)
[ "$(echo "$out" | status)" = 409 ] && [ "$(echo "$out" | head -1)" = "$N1" ] ||
	fail "state lost across kill -9: $out"
[ "$(post pw "$PW_ADDR" b3 | status)" = 422 ] || fail "the fork cosigned after a restart"
[ "$(post pw "$PW_ADDR" b7 | status)" = 200 ] || fail "the witness stopped cosigning after a restart"
hash=$(printf 'test.example/registry' | sha256sum | cut -d' ' -f1)
curl -sS --cacert ca.pem --resolve "pw:$port:127.0.0.1" "https://pw:$port/$hash/checkpoint" >latest
grep -q "^— pw " latest && [ "$(size_of latest)" = "$N1" ] || fail "monitor checkpoint: $(cat latest)"
ok "the witness keeps its latest checkpoint across kill -9 and serves it to monitors"

# ---- 2. a federation whose bundles require one cosignature ---------------
reg init --dir r --name fed.example/registry --ca ca >/dev/null
start_registry r
PS1_OPTS="--witness-listen 127.0.0.1:0" chain_up
[ -n "$WIT1" ] || fail "ps1 printed no witness address"
WITS="--witness ps1@https://$WIT1 --quorum 1"

node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; }
for spec in wijkteam:sociaal-team altrecht:ggz; do
	org=${spec%%:*} cat=${spec#*:}
	node init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org.bundle $CHAIN $WITS >/dev/null
	node join --dir $org --bundle $org.bundle | grep -c >/dev/null "1 witness(es), quorum 1" ||
		fail "join $org: the bundle does not name the witness"
done
start=$(date +%s%N)
node sync --dir wijkteam >/dev/null || fail "sync with a witnessed checkpoint: $(tail -3 node.log)"
echo "sync with one witness cosigning: $((($(date +%s%N) - start) / 1000000)) ms"
node sync --dir altrecht >/dev/null || fail "sync altrecht: $(tail -3 node.log)"
grep -q "witness ps1 cosigns" serve.log || fail "the registry did not log the cosignature"
reg witnesses --dir r --json | python3 -c '
import json, sys; w = json.load(sys.stdin)
assert [x["id"] for x in w] == ["ps1"] and w[0]["vkey"].startswith("ps1+"), w'
reg checkpoint --dir r --cosigned | grep -c >/dev/null "^— ps1 " || fail "checkpoint --cosigned"
ok "enrol --witness/--quorum: the registry collects cosignatures, nodes sync with the quorum"

# a frozen view: an hour later the same cosignatures are stale
set +e
out=$(SCHAKEL_DEV_CLOCK_OFFSET_MS=3660000 nodex sync --dir wijkteam); rc=$?
set -e
[ "$rc" = 3 ] || fail "a stale checkpoint was accepted (rc $rc): $out"
echo "$out" | grep -c >/dev/null "0 of the 1 witness cosignatures under an hour old" || fail "stale: $out"
ok "a checkpoint whose cosignatures are over an hour old is refused (exit 3)"

# the witness restarts (kill -9) and keeps cosigning the growing log
kill -9 "$PS1_PID"; wait "$PS1_PID" 2>/dev/null || true
start_pseudonymiser ps1 --sync-seconds 1 --witness-listen "$WIT1"; PS1_PID=$PS_PID
psd init --dir ps3 --org-id ps3 --name "Pseudonymiser 3" >/dev/null
reg enrol --dir r --ca ca --request ps3/enrol-request --out ps3.bundle >/dev/null
node sync --dir wijkteam >/dev/null || fail "sync after the witness restarted: $(tail -3 node.log)"
ok "after kill -9 the witness cosigns the grown log again"

# a split view: the registry's operator forks the log; node A keeps the
# original, node B is sent to the copy, which grows its own way
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
cp -a r r2
start_registry r "$REG_ADDR"
start_registry r2; R2=$REG_ADDR R2_PID=$REG_PID
sleep 1
psd init --dir xa --org-id xa --name "X at A" >/dev/null
reg enrol --dir r --ca ca --request xa/enrol-request --out xa.bundle >/dev/null
# wait until the witness holds the original log's new size
want=$(reg checkpoint --dir r | sed -n 2p)
fhash=$(printf 'fed.example/registry' | sha256sum | cut -d' ' -f1)
port1=${WIT1##*:}
for _ in $(seq 50); do
	curl -sS --cacert ca.pem --resolve "ps1:$port1:127.0.0.1" \
		"https://ps1:$port1/$fhash/checkpoint" >w.latest || true
	[ "$(size_of w.latest)" = "$want" ] && break
	sleep 0.2
done
[ "$(size_of w.latest)" = "$want" ] || fail "the witness did not cosign the original log's growth"
node sync --dir wijkteam >/dev/null || fail "node A on the original log: $(tail -3 node.log)"
psd init --dir xb --org-id xb --name "X at B" >/dev/null
reg enrol --dir r2 --ca ca --request xb/enrol-request --out xb.bundle >/dev/null
for _ in $(seq 50); do
	grep -q "witness ps1 did not cosign tree size .*HTTP 422" serve.log && break
	sleep 0.2
done
grep -q "witness ps1 did not cosign tree size .*HTTP 422" serve.log ||
	fail "the witness cosigned the fork: $(tail -5 serve.log)"
# node B gets a refreshed bundle pointing at the copy; a registry that hides
# the witnesses serves its own latest checkpoint
reg enrol --dir r2 --refresh altrecht --out altrecht.b2 --registry "$R2" $CHAIN $WITS >/dev/null
node join --dir altrecht --bundle altrecht.b2 >/dev/null || fail "refreshed bundle not installed"
kill -TERM "$R2_PID"; wait "$R2_PID" || fail "r2 SIGTERM"
mdb_dump -a r2 >r2.dump
python3 - r2.dump >r2.edited <<'PY'
import sys
drop = {" " + k.encode().hex() for k in ("log.cosigned", "log.cosigned.size", "witness/ps1")}
lines, out, i, section = open(sys.argv[1]).read().split("\n"), [], 0, None
while i < len(lines):
    if lines[i].startswith("database="):
        section = lines[i].split("=", 1)[1]
    if section == "meta" and lines[i] in drop:
        i += 2
        continue
    out.append(lines[i])
    i += 1
print("\n".join(out), end="")
PY
rm -rf r2.new && mkdir -m 700 r2.new && mdb_load r2.new <r2.edited 2>/dev/null
mv r2.new/data.mdb r2/data.mdb && rm -f r2/lock.mdb && chmod 600 r2/data.mdb
start_registry r2 "$R2"
set +e
out=$(nodex sync --dir altrecht); rc=$?
set -e
[ "$rc" = 3 ] || fail "node B accepted the forked log (rc $rc): $out"
echo "$out" | grep -c >/dev/null "0 of the 1 witness cosignatures" || fail "split view: $out"
ls altrecht/evidence/*unwitnessed-checkpoint >/dev/null 2>&1 || fail "no evidence kept"
node sync --dir wijkteam >/dev/null || fail "node A after the fork: $(tail -3 node.log)"
ok "a forked log: the witness refuses it (422) and node B refuses it (exit 3); node A is unaffected"

# quorum 0 keeps today's behaviour: no witnesses, no cosignatures needed
node init --dir plain --org-id plain --name "Plain" --category sociaal-team >/dev/null
reg enrol --dir r --ca ca --request plain/enrol-request --out plain.bundle $CHAIN >/dev/null
node join --dir plain --bundle plain.bundle | grep -c >/dev/null "0 witness(es), quorum 0" || fail "plain join"
node sync --dir plain >/dev/null || fail "quorum 0 sync: $(tail -3 node.log)"
ok "a bundle without witnesses (quorum 0) syncs as before"

# a member's node as a second witness (serve --witness), a quorum of two
out="$T/node-serve.out"
"$SK_NODE" serve --dir wijkteam --dev --web 127.0.0.1:0 --witness --witness-listen 127.0.0.1:0 \
	>"$out" 2>>"$T/node-serve.log" &
NW_PID=$!
PIDS+=("$NW_PID")
for _ in $(seq 100); do
	grep -q '^listening on ' "$out" && break
	kill -0 "$NW_PID" 2>/dev/null || fail "node serve exited: $(cat "$T/node-serve.log")"
	sleep 0.1
done
WITN=$(sed -n 's/^witness listening on //p' "$out")
[ -n "$WITN" ] || fail "the node printed no witness address"
reg enrol --dir r --refresh plain --out plain.b2 $CHAIN --witness "ps1@https://$WIT1" \
	--witness "wijkteam@https://$WITN" --quorum 2 >/dev/null
node join --dir plain --bundle plain.b2 | grep -c >/dev/null "2 witness(es), quorum 2" || fail "quorum 2 join"
node sync --dir plain >/dev/null || fail "sync with two witnesses: $(tail -3 node.log)"
portn=${WITN##*:}
curl -sS --cacert ca.pem --resolve "wijkteam:$portn:127.0.0.1" \
	"https://wijkteam:$portn/$fhash/checkpoint" >n.latest
grep -q "^— wijkteam " n.latest || fail "the node's witness holds no cosigned checkpoint: $(cat n.latest)"
kill -TERM "$NW_PID"; wait "$NW_PID" || fail "node serve SIGTERM"
ok "a node's witness (serve --witness) and a pseudonymiser's reach a quorum of two"
