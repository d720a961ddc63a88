# Operating it: --version, status of each binary (human and --json), serve
# from a configuration file, the old flag names still working with a notice,
# and read-only commands on data dirs with wrapped keys without the key
# passphrase.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
cd "$T"

# ---- --version: no data dir, no options ----
for b in "$SK_REGISTRY" "$SK_PSEUDONYMISER" "$SK_NODE"; do
	v=$(env -u SCHAKEL_DIR "$b" --version) || fail "$b --version"
	[[ $v =~ ^schakel-(registry|pseudonymiser|node)\ [0-9]+\.[0-9]+\.[0-9]+( \(commit [0-9a-f]+\))?$ ]] ||
		fail "--version printed '$v'"
done
ok "--version of each binary"

# ---- status in a small federation ----
federation_up n1:ggz
"$SK_NODE" sync --dir n1 --dev >/dev/null 2>>"$T/node.log" || fail "sync"
"$SK_NODE" status --dir n1 >st.txt 2>st.err || fail "node status: $(cat st.err)"
for want in "node           n1" "registry       registry at $REG_ADDR" "ps1 at $A1" "ps2 at $A2" \
	"last sync      " "certificate    valid until" "encryption key made"; do
	grep -qF "$want" st.txt || fail "node status lacks '$want': $(cat st.txt)"
done
grep -q "never" st.txt && fail "node status: a sync but 'never': $(cat st.txt)"
"$SK_NODE" status --dir n1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["role"] == "node" and s["id"] == "n1" and s["category"] == "ggz" and s["joined"], s
assert [p["id"] for p in s["pseudonymisers"]] == ["ps1", "ps2"], s
assert s["registry"]["address"] and s["last_sync"] and s["last_sync_error"] is None, s
assert s["log_size"] >= 1 and s["certificate"]["days_left"] > 30 and not s["certificate"]["warning"], s
assert s["encryption_key"]["age_days"] == 0 and s["professionals"] == 0, s' || fail "node status --json"
ok "node status, human and --json"

reg status --dir r >st.txt || fail "registry status"
for want in "registry       registry (log test.example/registry)" "address        $REG_ADDR" \
	"members        3 live (1 node(s), 2 pseudonymiser(s), 0 witness(es)), 0 revoked" \
	"certificate    valid until" "CA certificate valid until"; do
	grep -qF "$want" st.txt || fail "registry status lacks '$want': $(cat st.txt)"
done
reg status --dir r --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["role"] == "registry" and s["name"] == "test.example/registry", s
assert s["members"]["live"] == 3 and s["members"]["nodes"] == 1 and s["log_size"] >= 3, s
assert s["certificate"]["days_left"] > 30 and s["vkey"].startswith("test.example/registry+"), s' ||
	fail "registry status --json"
ok "registry status, human and --json"

psd status --dir ps1 >st.txt || fail "pseudonymiser status"
for want in "pseudonymiser ps1" "registry      $REG_ADDR" "allowed orgs  1" "certificate   valid until"; do
	grep -qF "$want" st.txt || fail "pseudonymiser status lacks '$want': $(cat st.txt)"
done
psd status --dir ps1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["role"] == "pseudonymiser" and s["id"] == "ps1" and s["joined"], s
assert s["allowed_orgs"] == 1 and s["certificate"]["days_left"] > 30, s' ||
	fail "pseudonymiser status --json"
ok "pseudonymiser status, human and --json"

# ---- serve from a configuration file; the old flag names ----
# serve_until_ready NAME BIN ARGS...: runs 'BIN serve ARGS' until it prints
# 'listening on', stops it with SIGTERM (exit 0); its stdout in NAME.out,
# stderr in NAME.err.
serve_until_ready() {
	local name=$1 bin=$2 pid
	shift 2
	"$bin" serve "$@" >"$name.out" 2>"$name.err" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 150); do
		grep -q '^listening on ' "$name.out" && break
		kill -0 "$pid" 2>/dev/null || fail "$name: serve exited: $(cat "$name.err")"
		sleep 0.1
	done
	grep -q '^listening on ' "$name.out" || fail "$name: serve did not start"
	kill -TERM "$pid"
	wait "$pid" || fail "$name: serve exited $? after SIGTERM: $(cat "$name.err")"
}

reg init --dir r2 --name second.example/registry --ca ca >/dev/null
cat >r2.conf <<CONF
# the registry's serve and status
dir = $T/r2
dev = true
listen = 127.0.0.1:0
tiles = 127.0.0.1:0
workers = 2
CONF
chmod 600 r2.conf
serve_until_ready reg-conf "$SK_REGISTRY" --config r2.conf
grep -q '^tiles listening on ' reg-conf.out || fail "registry serve --config: no tiles"
"$SK_REGISTRY" status --config r2.conf >/dev/null 2>st.err || fail "registry status --config: $(cat st.err)"

"$SK_PSEUDONYMISER" init --dir ps3 --org-id ps3 --name "Pseudonymiser 3" --dev >/dev/null 2>&1
reg enrol --dir r --ca ca --request ps3/enrol-request --out ps3.bundle >/dev/null
psd join --dir ps3 --bundle ps3.bundle >/dev/null
printf 'dir = %s\ndev = true\nlisten = 127.0.0.1:0\nwitness-listen = 127.0.0.1:0\nsync-seconds = 1\n' \
	"$T/ps3" >ps3.conf
chmod 600 ps3.conf
serve_until_ready ps-conf "$SK_PSEUDONYMISER" --config ps3.conf
grep -q '^witness listening on ' ps-conf.out || fail "pseudonymiser serve --config: no witness"
"$SK_PSEUDONYMISER" status --config ps3.conf >/dev/null 2>st.err ||
	fail "pseudonymiser status --config: $(cat st.err)"

printf 'dir = %s\ndev = true\nweb = 127.0.0.1:0\nsync-seconds = 30\n' "$T/n1" >n1.conf
chmod 600 n1.conf
serve_until_ready node-conf "$SK_NODE" --config n1.conf
"$SK_NODE" status --config n1.conf >/dev/null 2>st.err || fail "node status --config: $(cat st.err)"
# the command line wins over the file
"$SK_NODE" status --config n1.conf --dir "$T/nowhere" >/dev/null 2>&1 && fail "--dir did not override the file"
# an unknown name, and a file others may change, are refused
echo "web-port = 8080" >>n1.conf
try "$SK_NODE" status --config n1.conf
[ "$rc" = 2 ] && [[ $msg == *"n1.conf line 5"*"--web-port"* ]] || fail "unknown name: rc $rc: $msg"
sed -i '$d' n1.conf
chmod 664 n1.conf
try "$SK_NODE" status --config n1.conf
[ "$rc" = 1 ] && [[ $msg == *"chmod go-w"* ]] || fail "group-writable config: rc $rc: $msg"
chmod 600 n1.conf
ok "serve --config for the registry, a pseudonymiser and a node; status reads the same file"

serve_until_ready reg-old "$SK_REGISTRY" --dir r2 --dev --listen 127.0.0.1:0 --http 127.0.0.1:0
grep -q '^tiles listening on ' reg-old.out || fail "registry serve --http: no tiles"
grep -q -- "--http is now called --tiles" reg-old.err || fail "no notice for --http: $(cat reg-old.err)"
serve_until_ready ps-old "$SK_PSEUDONYMISER" --dir ps3 --dev --listen 127.0.0.1:0 --http 127.0.0.1:0
grep -q '^witness listening on ' ps-old.out || fail "pseudonymiser serve --http: no witness"
grep -q -- "--http is now called --witness-listen" ps-old.err || fail "no notice: $(cat ps-old.err)"
serve_until_ready node-old "$SK_NODE" --dir n1 --dev --http 127.0.0.1:0
grep -q -- "--http is now called --web" node-old.err || fail "no notice: $(cat node-old.err)"
[ "$(grep -c 'is now called' node-old.err)" = 1 ] || fail "the notice is one line: $(cat node-old.err)"
ok "serve --http still works under each binary, with a one-line notice of its new name"

# ---- read-only commands need no key passphrase (keys wrapped) ----
printf 'correct horse battery staple\n' >pass
chmod 600 pass
R=$SK_REGISTRY
$R ca-init --ca caw --name "Regio Wrapped" --passphrase-file pass >/dev/null 2>&1 || fail "ca-init wrapped"
$R init --dir rw --name wrapped.example/registry --ca caw --passphrase-file pass >/dev/null 2>&1 ||
	fail "init wrapped"
"$SK_TESTNODE" init --dir tw --org-id tw --name "Org tw" --category ggz >/dev/null
$R enrol --dir rw --ca caw --request tw/enrol-request --out tw/bundle --registry 127.0.0.1:1 \
	--passphrase-file pass >/dev/null 2>&1 || fail "enrol wrapped"
for cmd in "members" "members --json" "flags" "witnesses" "checkpoint" "checkpoint --vkey" \
	"proof --from 1 --to 1" "status" "status --json"; do
	# shellcheck disable=SC2086
	$R $cmd --dir rw >ro.out 2>ro.err || fail "registry $cmd without a passphrase: $(cat ro.err)"
	[ -s ro.out ] || [[ $cmd == flags || $cmd == proof* ]] || fail "registry $cmd printed nothing"
done
grep -q '^wrapped.example/registry+' <($R checkpoint --dir rw --vkey) || fail "checkpoint --vkey"
# writing still needs the key
try $R revoke --dir rw --org tw
[ "$rc" != 0 ] || fail "revoke without the passphrase"

"$SK_NODE" init --dir nw --org-id nw --name "Org nw" --category ggz --passphrase-file pass \
	>/dev/null 2>&1 || fail "node init wrapped"
"$SK_NODE" professional add --dir nw --id anna --name "Anna" --role wijkcoach \
	--passphrase-file pass >/dev/null 2>&1 || fail "professional add"
for cmd in "status" "status --json" "professional list" "org show" "encryption list"; do
	# shellcheck disable=SC2086
	"$SK_NODE" $cmd --dir nw >ro.out 2>ro.err || fail "node $cmd without a passphrase: $(cat ro.err)"
done
"$SK_NODE" professional list --dir nw | grep -c >/dev/null anna || fail "professional list"
# client data stays behind the data key
try "$SK_NODE" client list --dir nw
[ "$rc" != 0 ] || fail "client list without the passphrase"

"$SK_PSEUDONYMISER" init --dir pw --org-id pw --name "Pseudonymiser w" --passphrase-file pass \
	>/dev/null 2>&1 || fail "pseudonymiser init wrapped"
for cmd in "status" "status --json" "list"; do
	# shellcheck disable=SC2086
	"$SK_PSEUDONYMISER" $cmd --dir pw >ro.out 2>ro.err ||
		fail "pseudonymiser $cmd without a passphrase: $(cat ro.err)"
done
ok "read-only commands of each binary run without the key passphrase on wrapped keys"

# ---- status after a failed sync: the last good one stays, the failure shows ----
kill -TERM "$REG_PID"
wait "$REG_PID" || true
"$SK_NODE" sync --dir n1 --dev >/dev/null 2>&1 && fail "sync with the registry stopped"
"$SK_NODE" status --dir n1 >st.txt 2>&1 || fail "node status after a failed sync"
grep -q "^               the last one, .*, failed: " st.txt || fail "no failure in status: $(cat st.txt)"
"$SK_NODE" status --dir n1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["last_sync"] and s["last_sync_error"] and s["last_sync_attempt"] >= s["last_sync"], s' ||
	fail "node status --json after a failed sync"
ok "status shows the last good sync and why the last attempt failed"
