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

# 3. enrolment refuses the registry's own id and reserved words, for every
#    role, and one id is one member whatever the role
for id in registry witness pseudonymiser schakel admin root ca operator localhost test.example; do
	"$SK_TESTNODE" init --dir "res-$id" --org-id "$id" --name "Res $id" --category ggz >/dev/null
	try "$SK_REGISTRY" enrol --dir r --ca ca --request "res-$id/enrol-request" --out "res-$id/bundle" --dev
	[ "$rc" -eq 1 ] && echo "$msg" | grep -c >/dev/null "reserved" || fail "org id $id accepted (rc $rc): $msg"
done
"$SK_TESTNODE" init --dir ps-other --org-id other --name "Pseudo other" --role pseudonymiser >/dev/null
try "$SK_REGISTRY" enrol --dir r --ca ca --request ps-other/enrol-request --out ps-other/bundle --dev
[ "$rc" -eq 1 ] && echo "$msg" | grep -c >/dev/null "already enrolled" || fail "a pseudonymiser took a node's id: $msg"
reg members --dir r --json | python3 -c '
import json, sys
ids = [m["org_id"] if "org_id" in m else m["id"] for m in json.load(sys.stdin)]
bad = [i for i in ids if i in ("registry", "witness", "pseudonymiser", "schakel", "admin", "root", "ca", "operator", "localhost", "test.example")]
assert not bad, bad' || fail "a reserved id was enrolled"
ok "enrol refuses the registry's id and name and reserved words (exit 1, nothing enrolled), and a pseudonymiser with a node's id"

# 4. a node talks only to the registry its bundle pins: not to another
#    registry of the same CA, nor to a member certificate named like the
#    registry, both served at the registry's address
"$SK_NODE" init --dir n1 --org-id n1 --name "Org n1" --category ggz --dev >/dev/null 2>>"$T/node.log"
reg enrol --dir r --ca ca --request n1/enrol-request --out n1.bundle >/dev/null
"$SK_NODE" join --dir n1 --bundle n1.bundle --dev >/dev/null 2>>"$T/node.log" || fail "join n1"
"$SK_NODE" sync --dir n1 --dev >/dev/null 2>>"$T/node.log" || fail "sync with the real registry"
reg init --dir fake --name fake.example/registry --ca ca >/dev/null
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry did not drain"
start_registry fake "$REG_ADDR"
try "$SK_NODE" sync --dir n1 --dev
[ "$rc" -ne 0 ] && echo "$msg" | grep -c >/dev/null "does not hold the registry TLS key our bundle pins" ||
	fail "a node synced with another registry of the same CA (rc $rc): $msg"
ok "a node refuses another registry of the same CA at the registry's address (pinned TLS key)"
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "fake registry did not drain"
"$SK_TESTNODE" issue-cert --dir fake --ca ca --org-id registry --category ggz >/dev/null
start_registry fake "$REG_ADDR"
try "$SK_NODE" sync --dir n1 --dev
[ "$rc" -ne 0 ] && echo "$msg" | grep -c >/dev/null "not this federation's registry" ||
	fail "a node synced with a member certificate named like the registry (rc $rc): $msg"
ok "a node refuses a member certificate from the same CA with CN equal to the registry's id (role and pinned key)"

# 5. an epoch rotation does not let the registry link entries by their
#    times or order: the expiry is the consent's rounded down to the day
#    less a jitter, drawn afresh per publish; issued-at is the time of
#    publishing; the republish comes in a random order
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "fake registry did not drain"
start_registry r "$REG_ADDR"
chain_up
nodes_up rot:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
node professional add --dir rot --id pia --name "Pia" --role spv >/dev/null || fail "professional add"
# eight clients, each labelled by the one category its case allows, opened
# (and so first published) one after the other
CATS="sociaal-team ggz fact verslavingszorg huisarts-poh maatschappelijke-opvang jeugd schuldhulp"
set -- $CATS
for b in $(bsns 8 18); do
	node client add --dir rot --bsn "$b" >/dev/null || fail "client add"
	node case open --dir rot --client "$b" --as pia --consent discover --categories "$1" \
		>/dev/null || fail "case open $1"
	shift
done
node sync --dir rot >/dev/null || fail "sync rot"
psd rotate --dir ps2 --until "$(date -d '+1 year' +%F)" >/dev/null || fail "rotate"
reg enrol --dir r --refresh rot --out rot.bundle2 $CHAIN >/dev/null
node join --dir rot --bundle rot.bundle2 >/dev/null || fail "rejoin rot"
node sync --dir rot >/dev/null || fail "sync rot after rotation"
node case list --dir rot --json >cases.rot || fail "case list"
"$SK_TESTDISCUSS" entries r rot >entries.rot 2>>"$T/stderr.log" || fail "entries"
python3 - entries.rot cases.rot "$(date +%s)" <<'PY' || fail "linkable: $(cat entries.rot)"
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
consent = {}
for c in json.load(open(sys.argv[2])):
    k = c.get("consent", c)
    consent[k["categories"][0]] = k["expires_at"]
now = int(sys.argv[3]) * 1000
day = 86400000
epochs = sorted({e["epoch"] for e in es})
assert len(epochs) == 2 and len(es) == 16, es
old = {e["categories"]: e for e in es if e["epoch"] == epochs[0]}
new = {e["categories"]: e for e in es if e["epoch"] == epochs[1]}
assert sorted(old) == sorted(new) == sorted(consent), (old, new, consent)
for cat, c in consent.items():
    a, b = old[cat], new[cat]
    for e in (a, b):
        x = e["expires_at"]
        assert x != c and x % 1000 == 0, e                        # not the recorded millisecond
        assert c - c % day - 3 * day < x <= c - c % day, (e, c)   # the day, less up to 3 days
        assert abs(e["issued_at"] - now) < 300000, e              # issued now, not copied
    assert a["expires_at"] != b["expires_at"], (a, b)             # drawn afresh per epoch
    assert a["issued_at"] != b["issued_at"], (a, b)
# the republish is not in the old order (1 in 8! by chance)
order = lambda d: [k for k, _ in sorted(d.items(), key=lambda kv: kv[1]["seq"])]
assert order(old) != order(new), (order(old), order(new))
PY
ok "after a rotation the two epochs' entries share neither expiry nor issued-at, nor their order; the expiry is the consent's day less a jitter, not its millisecond"

# 6. a pseudonymiser too follows only the registry its bundle pins
reg init --dir fake2 --name fake2.example/registry --ca ca >/dev/null
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry did not drain"
start_registry fake2 "$REG_ADDR"
try "$SK_PSEUDONYMISER" rotate --dir ps1 --until "$(date -d '+1 year' +%F)" --dev
[ "$rc" -ne 0 ] && echo "$msg" | grep -c >/dev/null "does not hold the registry TLS key our bundle pins" ||
	fail "a pseudonymiser followed another registry of the same CA (rc $rc): $msg"
ok "a pseudonymiser refuses another registry of the same CA at the registry's address (pinned TLS key)"

# 7. re-keying the registry's TLS key: refreshed bundles pin the new key;
#    a node follows once it joins its refreshed bundle, not before
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "fake registry did not drain"
mkdir -p old-tls && mv r/tls.key r/tls.crt old-tls/
reg enrol --dir r --refresh rot --ca ca --out rot.bundle3 $CHAIN >/dev/null || fail "refresh with a new TLS key"
[ -f r/tls.key ] && ! cmp -s r/tls.crt old-tls/tls.crt || fail "no new TLS certificate"
start_registry r "$REG_ADDR"
try "$SK_NODE" sync --dir rot --dev
[ "$rc" -ne 0 ] && echo "$msg" | grep -c >/dev/null "pins" || fail "a node followed a re-keyed registry unasked: $msg"
node join --dir rot --bundle rot.bundle3 >/dev/null || fail "join the refreshed bundle"
node sync --dir rot >/dev/null || fail "sync after the re-key: $(tail -2 "$T/node.log")"
ok "a registry re-keyed (TLS files moved away, enrol --refresh --ca): nodes follow after joining the refreshed bundle, not before"
