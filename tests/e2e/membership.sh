# Identity and membership against a member holding its own keys: a revoked
# org is refused for every request kind on new and on open connections, and
# its live sessions close within a second.
source "$(dirname "$0")/lib.sh"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca >/dev/null

# kinds_after_revoke ORG SEQ: runs `sk-testnode kinds` for ORG, revokes ORG
# while its connections are open, and leaves the report in $T/kinds.ORG
# (the idle session's close is timed from just before `revoke` starts).
kinds_after_revoke() {
	local org=$1 seq=$2 out="$T/kinds.$1"
	rm -f "$T/go.$org"
	"$SK_TESTNODE" kinds --dir "$org" --bundle "$org/bundle" --seq "$seq" \
		--wait-file "$T/go.$org" >"$out" 2>>"$T/stderr.log" &
	local pid=$!
	for _ in $(seq 300); do
		grep -q '"ready"' "$out" && break
		kill -0 $pid 2>/dev/null || fail "kinds $org exited: $(cat "$out")"
		sleep 0.1
	done
	grep -q '"ready"' "$out" || fail "kinds $org not ready"
	# the clock of the idle session starts before the revoke command runs
	touch "$T/go.$org"
	reg revoke --dir r --org "$org" >/dev/null
	wait $pid || fail "kinds $org failed: $(cat "$out")"
}

# check_kinds ORG PHASE WANT: every kind of PHASE answered as WANT (served,
# or refused: an Error push naming the revocation, or a connection that the
# registry closed after one).
check_kinds() {
	python3 - "$T/kinds.$1" "$2" "$3" <<'PY' || fail "$1 $2: $(cat "$T/kinds.$1")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"phase"')]
got = {l["kind"]: l for l in lines if l["phase"] == sys.argv[2]}
kinds = ["mailbox", "discuss-state", "consistency", "member-events", "audit-records",
         "anchors", "resume", "publish", "lookup"]
assert sorted(got) == sorted(kinds), got
for k in kinds:
    a = got[k]
    if sys.argv[3] == "served":
        assert a["answer"] == "served", a
    else:
        assert a["answer"] == "refused" and "revoked" in a["message"], a
PY
}

# 1. every request re-checks membership: with the timer that closes
#    revoked sessions slowed to an hour, the next request on an open
#    connection of a revoked org is refused, whatever its kind
start_registry r 127.0.0.1:0 --members-check-ms 3600000
testnodes_up slow:ggz
kinds_after_revoke slow 1
check_kinds slow before served
check_kinds slow open refused
check_kinds slow new refused
ok "a revoked org: every request kind on an open connection is refused at once (per request)"
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry did not drain"

# 2. the registry's timer closes the live sessions of a revoked org within
#    a second, with nothing sent on them; then every kind is refused on the
#    open connections and on new ones
start_registry r
testnodes_up fast:ggz other:sociaal-team
kinds_after_revoke fast 1
closed=$(grep '"watch"' "$T/kinds.fast" | json closed_ms)
[ "$closed" -ge 0 ] && [ "$closed" -le 1000 ] ||
	fail "an idle session of the revoked org was not closed within a second: $closed ms"
check_kinds fast before served
check_kinds fast new refused
python3 - "$T/kinds.fast" <<'PY' || fail "open after watch: $(cat "$T/kinds.fast")"
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a.get("phase") == "open":
        assert a["answer"] in ("refused", "closed"), a
PY
ok "a revoked org: its idle session is closed within a second of the revoke command ($closed ms); every kind refused on open and new connections"

# the refusals of live sessions are audited; another org is unaffected
n=$(reg audit query --dir r --event member.session --outcome denied --json |
	python3 -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if "revoked" in (r.get("reason") or "")]))')
[ "$n" -ge 2 ] || fail "refused sessions not audited: $n"
"$SK_TESTNODE" mailbox --dir other --bundle other/bundle >/dev/null || fail "other org refused"
ok "refused live sessions are audited (member.session, denied); another org is still served"
