# Monitors read the registry's log with standard clients and host name
# checks on: the registry's certificate names the hosts of `init --host`
# (and its org id) as subjectAltName, a member's those of its request or of
# `enrol --host`, and the CA is at hand as PEM. curl and Python's ssl fetch
# the checkpoint and tiles under the name and refuse another; a Go monitor
# (tests/monitor/tlogclient.go, golang.org/x/mod's sumdb/note and
# sumdb/tlog) verifies the signed checkpoint, authenticates every tile
# against its root and proves records included, and fails on one altered
# byte of a tile or the checkpoint. The registry refuses a request naming a
# host that is no DNS name or address.
source "$(dirname "$0")/lib.sh"
cd "$T"

command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb ] ||
	fail "Go and golang.org/x/mod are missing: run scripts/deps.sh --browser as root"

# sans FILE: the subjectAltName of every certificate in FILE (DER, or a
# bundle holding DER certificates), one line each, CA certificates left out
sans() {
	python3 - "$1" <<'PY'
import subprocess, sys
b, i = open(sys.argv[1], "rb").read(), 0
while True:
    i = b.find(b"\x30\x82", i)
    if i < 0:
        break
    der = b[i:i + 4 + int.from_bytes(b[i + 2:i + 4], "big")]
    r = subprocess.run(["openssl", "x509", "-inform", "der", "-noout", "-ext",
                        "subjectAltName"], input=der, capture_output=True)
    if r.returncode == 0 and der.find(b"\x30\x03\x01\x01\xff") < 0:  # not CA:TRUE
        print(" ".join(r.stdout.decode().split()[4:]))
        i += len(der)
    else:
        i += 1
PY
}

# the CA as PEM, beside the DER, in the CA dir and the registry's data dir
reg ca-init --ca ca --name "Regio Test" >/dev/null
reg init --dir r --name test.example/registry --ca ca --host localhost --host 127.0.0.1 >/dev/null
openssl x509 -inform der -in ca/ca.crt -out ca.want
cmp -s ca/ca.pem ca.want || fail "ca/ca.pem is not the CA certificate as PEM"
cmp -s r/ca.pem ca.want || fail "the registry's ca.pem is not the CA certificate"
s=$(sans r/tls.crt)
[ "$s" = "DNS:registry, DNS:localhost, IP Address:127.0.0.1" ] ||
	fail "the registry's certificate names: '$s'"
ok "ca.pem beside ca.crt; the registry's certificate names its org id and its --host names"

start_registry r 127.0.0.1:0 --tiles 127.0.0.1:0
[ -n "$TILES" ] || fail "no tiles address printed"
port=${TILES##*:}

# a member's hosts: those of its request, or the operator's (enrol --host);
# a request with a name that is no host name, or too many, is refused
"$SK_TESTNODE" init --dir wijkteam --org-id wijkteam --name "Org wijkteam" --category sociaal-team \
	--host wijkteam.example.nl --host 10.1.2.3 --host 2001:db8::1 >/dev/null
reg enrol --dir r --ca ca --request wijkteam/enrol-request --out wijkteam/bundle >/dev/null
s=$(sans wijkteam/bundle)
[ "$s" = "DNS:wijkteam, DNS:wijkteam.example.nl, IP Address:10.1.2.3, IP Address:2001:DB8:0:0:0:0:0:1" ] ||
	fail "the member's certificate names: '$s'"
"$SK_TESTNODE" init --dir ggz --org-id ggz --name "Org ggz" --category ggz --host wrong.example >/dev/null
reg enrol --dir r --ca ca --request ggz/enrol-request --out ggz/bundle --host ggz.example.nl >/dev/null
s=$(sans ggz/bundle)
[ "$s" = "DNS:ggz, DNS:ggz.example.nl" ] || fail "enrol --host did not decide: '$s'"
for bad in "bad_name.example" "-a.example" "a..example" "*.example" "1.2.3" \
	"$(printf 'a%.0s' $(seq 64)).example"; do
	"$SK_TESTNODE" init --dir bad --org-id bad --name Bad --category ggz --host "$bad" >/dev/null
	try "$SK_REGISTRY" enrol --dev --dir r --ca ca --request bad/enrol-request --out bad.bundle
	[ "$rc" = 1 ] || fail "a request naming '$bad' was not refused (rc $rc)"
	echo "$msg" | grep -c >/dev/null "is not a host name" || fail "refusal of '$bad': $msg"
	rm -rf bad
done
# shellcheck disable=SC2046
"$SK_TESTNODE" init --dir bad --org-id bad --name Bad --category ggz \
	$(for i in $(seq 17); do echo --host h$i.example; done) >/dev/null
try "$SK_REGISTRY" enrol --dev --dir r --ca ca --request bad/enrol-request --out bad.bundle
[ "$rc" = 1 ] || fail "a request naming 17 hosts was not refused (rc $rc)"
try "$SK_REGISTRY" init --dev --dir r2 --name x --host "bad_name"
[ "$rc" = 2 ] || fail "init --host bad_name: rc $rc"
[ ! -e r2 ] || fail "init with a bad --host made a data dir"
try "$SK_NODE" init --dev --dir n2 --org-id n2 --name N2 --category ggz --host "a..b"
[ "$rc" = 2 ] || fail "schakel-node init --host a..b: rc $rc"
ok "member certificates name the request's hosts or enrol --host's; bad names are refused"

# a member whose certificate names no host gets one for its key with
# enrol --refresh --ca --host; from then on the registry admits only that
"$SK_TESTNODE" init --dir oud --org-id oud --name "Org oud" --category ggz >/dev/null
reg enrol --dir r --ca ca --request oud/enrol-request --out oud/bundle >/dev/null
[ "$(sans oud/bundle)" = "DNS:oud" ] || fail "without hosts: '$(sans oud/bundle)'"
"$SK_TESTNODE" publish --dir oud --bundle oud/bundle --seq 1 >/dev/null || fail "publish before"
try "$SK_REGISTRY" enrol --dev --dir r --refresh oud --host oud.example.nl --out oud/bundle2
[ "$rc" = 2 ] || fail "enrol --refresh --host without --ca: rc $rc"
reg enrol --dir r --refresh oud --ca ca --host oud.example.nl --out oud/bundle2 >/dev/null ||
	fail "enrol --refresh --host"
[ "$(sans oud/bundle2)" = "DNS:oud, DNS:oud.example.nl" ] || fail "refreshed: '$(sans oud/bundle2)'"
try "$SK_TESTNODE" publish --dir oud --bundle oud/bundle --seq 2
[ "$rc" != 0 ] || fail "the registry still admits the certificate it replaced"
"$SK_TESTNODE" publish --dir oud --bundle oud/bundle2 --seq 2 >/dev/null ||
	fail "publish with the new certificate"
ok "enrol --refresh ORG --ca CA --host gives an old member a certificate naming its hosts"

# a pseudonymiser's witness, reached under the name its request gave
"$SK_PSEUDONYMISER" init --dev --dir ps1 --org-id ps1 --name "Pseudonymiser 1" --host localhost \
	>/dev/null 2>>"$T/stderr.log"
reg enrol --dir r --ca ca --request ps1/enrol-request --out ps1.bundle >/dev/null
psd join --dir ps1 --bundle ps1.bundle >/dev/null
start_pseudonymiser ps1 --witness-listen 127.0.0.1:0
wport=${WIT_ADDR##*:}
code=$(curl -sS --cacert ca/ca.pem -o /dev/null -w '%{http_code}' "https://localhost:$wport/x") ||
	fail "curl to the witness under its --host name"
[ "$code" = 404 ] || fail "the witness answered $code"
try curl -sS --cacert ca/ca.pem --resolve "elsewhere.example:$wport:127.0.0.1" \
	"https://elsewhere.example:$wport/x"
[ "$rc" = 60 ] || fail "curl accepted the witness under a name it lacks (rc $rc)"
kill -TERM "$PS_PID"; wait "$PS_PID" || true

# past one full level-0 tile, so the Go monitor reads level 1 too
"$SK_TESTNODE" burst --dir wijkteam --bundle wijkteam/bundle --from 1 --count 300 --threads 2 \
	>burst.out 2>/dev/null || fail "burst"
reg checkpoint --dir r >cp
N=$(sed -n 2p cp)
[ "$N" -gt 256 ] || fail "only $N leaves"
VKEY=$(reg checkpoint --dir r --vkey)

# curl, as docs/operator.md has it, under each name the certificate holds
for host in localhost 127.0.0.1 registry; do
	curl -sS --fail --cacert ca/ca.pem --resolve "registry:$port:127.0.0.1" \
		"https://$host:$port/checkpoint" >cp.curl || fail "curl https://$host/checkpoint"
	[ "$(sed -n 1p cp.curl)" = test.example/registry ] || fail "curl's checkpoint: $(cat cp.curl)"
done
curl -sS --fail --cacert ca/ca.pem "https://localhost:$port/tile/0/000" -o tile.curl ||
	fail "curl tile"
[ "$(stat -c %s tile.curl)" = 8192 ] || fail "tile 0/000 is $(stat -c %s tile.curl) bytes"
try curl -sS --cacert ca/ca.pem --resolve "elsewhere.example:$port:127.0.0.1" \
	"https://elsewhere.example:$port/checkpoint"
[ "$rc" = 60 ] || fail "curl accepted the registry under a name it lacks (rc $rc): $msg"
ok "curl --cacert ca.pem reads checkpoint and tiles under localhost, 127.0.0.1 and registry; refuses another name"

# Python's ssl with its defaults: CA file, check_hostname on
cat >py.py <<'PY'
import socket, ssl, sys, urllib.request
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca/ca.pem")
assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
cp = urllib.request.urlopen("https://localhost:%d/checkpoint" % port, context=ctx).read()
assert cp.split(b"\n")[0] == b"test.example/registry", cp
tile = urllib.request.urlopen("https://127.0.0.1:%d/tile/0/000" % port, context=ctx).read()
assert len(tile) == 8192
with socket.create_connection(("127.0.0.1", port)) as s:
    try:
        ctx.wrap_socket(s, server_hostname="elsewhere.example")
    except ssl.SSLCertVerificationError as e:
        assert "match" in str(e), e
    else:
        sys.exit("a name the certificate lacks was accepted")
PY
python3 py.py "$port" || fail "Python's ssl"
ok "Python's ssl (default context, check_hostname) reads checkpoint and tile; refuses another name"

# the Go monitor, built offline from Debian's x/mod (cached in the build dir)
gobin=${SK_BUILD_DIR:-$T}/monitor
mkdir -p "$gobin"
GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$gobin/cache" \
	go build -o "$gobin/tlogclient" "$(dirname "$0")/../monitor/tlogclient.go" 2>go.log ||
	fail "go build: $(cat go.log)"
"$gobin/tlogclient" -url "https://localhost:$port" -cacert ca/ca.pem -vkey "$VKEY" >go.out ||
	fail "the Go monitor"
grep -q "^ok test.example/registry size $N root $(sed -n 3p cp) records proven " go.out ||
	fail "Go monitor: $(cat go.out)"
try "$gobin/tlogclient" -url "https://localhost:$port" -cacert ca/ca.pem \
	-vkey "$(echo "$VKEY" | sed 's/+[0-9a-f]*+/+00000000+/')"
[ "$rc" = 1 ] || fail "the Go monitor accepted another key (rc $rc)"
ok "Go (sumdb/note, sumdb/tlog) verifies the checkpoint, authenticates all $N leaves and proves records"

# tamper.py MODE: a plain-HTTP proxy to the tiles that alters one byte:
# of tile 0/000 (tile), of the level-1 tile (tile1), of the checkpoint's
# root (checkpoint), or none (none); prints its port
cat >tamper.py <<'PY'
import http.server, ssl, sys, urllib.request
mode, upstream = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile="ca/ca.pem")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            body = urllib.request.urlopen(upstream + self.path, context=ctx).read()
        except urllib.error.HTTPError as e:
            self.send_response(e.code); self.end_headers(); return
        b = bytearray(body)
        if (mode == "tile" and self.path == "/tile/0/000") or \
           (mode == "tile1" and self.path.startswith("/tile/1/")):
            b[77] ^= 1
        if mode == "checkpoint" and self.path == "/checkpoint":
            lines = bytes(b).split(b"\n")
            lines[2] = lines[2][:5] + (b"A" if lines[2][5:6] != b"A" else b"B") + lines[2][6:]
            b = bytearray(b"\n".join(lines))
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(bytes(b))
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
for mode in none tile tile1 checkpoint; do
	python3 tamper.py $mode "https://localhost:$port" >proxy.$mode &
	PIDS+=("$!")
	for _ in $(seq 50); do [ -s proxy.$mode ] && break; sleep 0.1; done
	pport=$(cat proxy.$mode)
	try "$gobin/tlogclient" -url "http://127.0.0.1:$pport" -vkey "$VKEY"
	if [ $mode = none ]; then
		[ "$rc" = 0 ] || fail "the Go monitor through the proxy: $msg"
	else
		[ "$rc" = 1 ] || fail "the Go monitor accepted a $mode with one byte altered (rc $rc)"
		# a tile x/mod's TileHashReader checks, or the root from the leaves
		want="^tlogclient: \(tiles: \|the leaf hashes of the tiles do not lead\)"
		[ $mode = checkpoint ] && want="^tlogclient: checkpoint signature: "
		echo "$msg" | grep -c >/dev/null "$want" || fail "the Go monitor on an altered $mode: $msg"
	fi
done
ok "the Go monitor fails on one altered byte of a tile, a level-1 tile or the checkpoint"
