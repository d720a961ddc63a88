# A registry's disk lost, restored from a backup and rolled over to a new
# log (docs/protocol.md "Rollover"), as far as it is built: the witness
# (a pseudonymiser's, over HTTPS) cosigns the new log only with a
# statement that links to what it cosigned, and then refuses the old log;
# the registry's own cosigning round brings a witness it asks over to the
# new log (add-rollover after its 404).
# Not yet here (not built): nodes following the new log and republishing.
source "$(dirname "$0")/lib.sh"
: "${SK_PSEUDONYMISER:?}"
cd "$T"

# post ORG ADDR PATH BODYFILE TYPE: POST over HTTPS, the server's certificate
# checked against the federation CA and its org id; prints the body, then
# the status code on its own line.
post() {
	local port=${2##*:}
	curl -sS --cacert ca.pem --resolve "$1:$port:127.0.0.1" -w '\n%{http_code}\n' \
		-H "Content-Type: $5" --data-binary @"$4" "https://$1:$port$3"
}
status() { tail -1; }
size_of() { sed -n 2p "$1"; }
# cosign DIR: the witness cosigns DIR's latest checkpoint (from its last size)
WSIZE=0
cosign() {
	reg checkpoint --dir "$1" >cp
	local n
	n=$(size_of cp)
	{ echo "old $WSIZE"; [ "$WSIZE" -gt 0 ] && reg proof --dir "$1" --from "$WSIZE" --to "$n"; echo; cat cp; } >b
	out=$(post pw "$PW_ADDR" /add-checkpoint b text/plain)
	[ "$(echo "$out" | status)" = 200 ] || fail "cosign of tree size $n: $out"
	WSIZE=$n
}
OLD=test.example/registry NEW=test.example/registry/2
monitor_path() { printf '/%s/checkpoint' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }
get2() {
	local port=${PW2_ADDR##*:}
	curl -sS --cacert ca.pem --resolve "pw2:$port:127.0.0.1" -o "$2" -w '%{http_code}' \
		"https://pw2:$port$(monitor_path "$1")"
}
get() {
	local port=${PW_ADDR##*:}
	curl -sS --cacert ca.pem --resolve "pw:$port:127.0.0.1" -o "$2" -w '%{http_code}' \
		"https://pw:$port$(monitor_path "$1")"
}

reg ca-init --ca ca --name "Regio Test" >/dev/null
openssl x509 -inform der -in ca/ca.crt -out ca.pem
reg init --dir ra --name "$OLD" --ca ca >/dev/null
psd init --dir pw --org-id pw --name "Witness PS" >/dev/null
reg enrol --dir ra --ca ca --request pw/enrol-request --out pw.bundle --registry 127.0.0.1:9 >/dev/null
psd join --dir pw --bundle pw.bundle >/dev/null
start_pseudonymiser pw --witness-listen 127.0.0.1:0
[ -n "$WIT_ADDR" ] || fail "no witness address printed"
PW_ADDR=$WIT_ADDR
member() {
	psd init --dir "$2" --org-id "$2" --name "Member $2" >/dev/null
	reg enrol --dir "$1" --ca ca --request "$2/enrol-request" --out "$2.bundle" --registry 127.0.0.1:9 >/dev/null
}
# a second witness the registry itself asks (enrol --witness): it has
# cosigned nothing of the old log when the disk is lost
psd init --dir pw2 --org-id pw2 --name "Witness PS 2" >/dev/null
reg enrol --dir ra --ca ca --request pw2/enrol-request --out pw2.bundle --registry 127.0.0.1:9 >/dev/null
psd join --dir pw2 --bundle pw2.bundle >/dev/null
start_pseudonymiser pw2 --witness-listen 127.0.0.1:0
PW2_ADDR=$WIT_ADDR
psd init --dir m1 --org-id m1 --name "Member m1" >/dev/null
reg enrol --dir ra --ca ca --request m1/enrol-request --out m1.bundle --registry 127.0.0.1:9 \
	--witness "pw2@https://$PW2_ADDR" --quorum 1 >/dev/null
cosign ra
reg backup-key --out offline.key >/dev/null || fail "backup-key"
reg backup --dir ra --to ra.bk --recipient offline.key.pub >/dev/null || fail "backup: $(tail -2 stderr.log)"
N1=$WSIZE
# after the backup the log grows and the witness cosigns it
member ra m2
member ra m3
cosign ra
N2=$WSIZE
[ "$N2" -gt "$N1" ] || fail "the log did not grow after the backup ($N1, $N2)"
[ "$(get "$OLD" witnessed)" = 200 ] || fail "the witness serves no checkpoint of $OLD"
[ "$(size_of witnessed)" = "$N2" ] || fail "the witness's latest is not tree size $N2"
ok "a backup at tree size $N1; the witness cosigned up to $N2 after it"

# the disk is lost; the backup is restored
rm -rf ra
reg restore --dir rb --from ra.bk --identity offline.key >/dev/null || fail "restore: $(tail -2 stderr.log)"
reg checkpoint --dir rb >restored
[ "$(size_of restored)" = "$N1" ] || fail "the restored log is not at tree size $N1"

# a statement that hides what the witness cosigned: the registry signs it
# (it cannot know), the witness refuses it and keeps following the old log
cp -a rb rh
reg rollover --dir rh --origin "$NEW" --witnessed restored --request hide.req >/dev/null ||
	fail "rollover naming the restored checkpoint: $(tail -2 stderr.log)"
out=$(post pw "$PW_ADDR" /add-rollover hide.req application/x-protobuf)
[ "$(echo "$out" | status)" = 422 ] || fail "a statement that hides tree size $N2 was not refused with 422: $out"
echo "$out" | head -1 | grep -c >/dev/null "does not link" || fail "422 without its reason: $out"
[ "$(get "$NEW" none)" = 404 ] || fail "the witness follows $NEW after a refused rollover"
ok "a rollover statement that does not link to what the witness cosigned (tree size $N2) is refused (422)"

# the registry refuses a witnessed checkpoint of another log, and one
# smaller than the backup
reg init --dir other --name "$OLD" --ca ca >/dev/null
reg checkpoint --dir other >foreign
code=0; reg rollover --dir rb --origin "$NEW" --witnessed foreign >/dev/null || code=$?
[ "$code" = 3 ] || fail "another registry's checkpoint: exit $code, not 3"
code=0; reg rollover --dir rb --origin "$OLD" --witnessed witnessed >/dev/null || code=$?
[ "$code" = 3 ] || fail "a rollover to the same log name: exit $code, not 3"
[ "$(size_of <(reg checkpoint --dir rb))" = "$N1" ] || fail "a refused rollover changed the log"
code=0; reg rollover --dir rb --report >/dev/null || code=$?
[ "$code" = 1 ] || fail "a report of a log that never rolled over: exit $code, not 1"
ok "the registry refuses a witnessed checkpoint it did not sign, and the old name (exit 3, log unchanged)"

# the rollover: the witnessed checkpoint is the witness's latest
out=$(reg rollover --dir rb --origin "$NEW" --witnessed witnessed --request ok.req) ||
	fail "rollover: $(tail -2 stderr.log)"
[ "$out" = "log $OLD goes on as $NEW" ] || fail "rollover printed: $out"
reg checkpoint --dir rb >new
[ "$(head -1 new)" = "$NEW" ] || fail "the new checkpoint's origin is $(head -1 new)"
[ "$(size_of new)" = "$((N1 + 1))" ] || fail "the new log is not the restored tree and the statement"
reg proof --dir rb --from "$N1" --to "$((N1 + 1))" >/dev/null || fail "no proof from the restored tree"
out=$(post pw "$PW_ADDR" /add-rollover ok.req application/x-protobuf)
[ "$(echo "$out" | status)" = 200 ] || fail "the witness refused a linked rollover: $out"
echo "$out" | head -1 | grep -c >/dev/null "^— pw " || fail "not a cosignature line: $out"
[ "$(get "$NEW" newcp)" = 200 ] || fail "the witness serves no checkpoint of $NEW"
[ "$(size_of newcp)" = "$((N1 + 1))" ] || fail "the witness's checkpoint of $NEW is not tree size $((N1 + 1))"
ok "rollover to $NEW: the restored tree ($N1 leaves) and the statement; the witness cosigns it and serves it"

# the old log is closed at the witness; the new one grows with add-checkpoint
{ echo "old $N2"; echo; cat witnessed; } >b
out=$(post pw "$PW_ADDR" /add-checkpoint b text/plain)
[ "$(echo "$out" | status)" = 410 ] || fail "the witness still takes $OLD: $out"
WSIZE=$((N1 + 1))
member rb m4
cosign rb
ok "after it the witness refuses $OLD (410) and cosigns $NEW as it grows (tree size $WSIZE)"

# the registry serves the new log; its cosigning round finds that pw2 does
# not know the new origin (404), sends it the rollover and gets its
# cosignature
start_registry rb
for _ in $(seq 100); do
	reg checkpoint --dir rb --cosigned >cosigned 2>/dev/null || true
	grep -q "^— pw2 " cosigned && break
	sleep 0.1
done
grep -q "^— pw2 " cosigned || fail "the registry's cosigning round got no cosignature of $NEW from pw2: $(tail -3 serve.log)"
[ "$(head -1 cosigned)" = "$NEW" ] || fail "the cosigned checkpoint is of $(head -1 cosigned)"
grep -q "follows this log after the rollover" serve.log || fail "serve did not say pw2 follows after the rollover"
[ "$(get2 "$NEW" pw2cp)" = 200 ] || fail "pw2 serves no checkpoint of $NEW"
ok "serve's cosigning round brings a witness over to $NEW (add-rollover after its 404) and it cosigns"
