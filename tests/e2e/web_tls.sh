# The node's own TLS for its pages (docs/operator.md, "De pagina's over
# TLS"): `serve --tls-self` and an organisation's certificate made by
# `openssl req` (an ECDSA chain, RSA, Ed25519), each checked by curl with
# host names; TLS 1.3 only (curl and openssl s_client with TLS 1.2 fail);
# HSTS; the session cookie __Host- and Secure; SIGHUP reloads a renewed
# certificate and keeps the old one when the new does not load; a key file
# readable by others, an encrypted key and another certificate's key
# refused; a non-loopback address without TLS refused before it listens;
# plain HTTP, garbage, a silent client and a slow handshake on the TLS port
# never hold up a good request, and a handshake is cut off after 10 s; one
# real Chromium session over TLS (tests/web/tls.mjs). Everything talks to
# 127.0.0.1 only.
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"
browser_up
cd "$T"

node init --dir $ORG_A --org-id $ORG_A --name "Wijkteam" --category sociaal-team >/dev/null ||
	fail "init: $(tail -3 "$T/node.log")"
node professional add --dir $ORG_A --id $PROF --name "$PROF_NAME" --role wijkcoach >/dev/null ||
	fail "professional add"
passwd $ORG_A $PROF "$PROF_PW"

# fingerprint FILE: the SHA-256 fingerprint of a PEM certificate's first
# certificate, as serve prints it.
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'; }
# port: the port of $BASE
port() { echo "${BASE##*:}"; }
# get CA PATH [curl options...]: curl over TLS to localhost (a host name
# check), trusting only CA; the headers on stdout, diagnostics in $T/curl.err.
get() {
	local ca=$1 p=$2
	shift 2
	curl -sS -v --cacert "$ca" -o /dev/null -D - "$@" "https://localhost:$(port)$p" 2>"$T/curl.err"
}

# ---- the self-made certificate ----
serve_a --tls-self
grep -q "^made a self-signed TLS certificate for the pages: .*web-tls.crt" "$SERVE_OUT" ||
	fail "--tls-self did not say it made a certificate: $(cat "$SERVE_OUT")"
FP=$(sed -n 's/^TLS certificate SHA-256 fingerprint //p' "$SERVE_OUT")
[ "$FP" = "$(fingerprint $ORG_A/web-tls.crt)" ] || fail "printed fingerprint $FP is not the certificate's"
for f in web-tls.crt web-tls.key; do
	[ "$(stat -c %a $ORG_A/$f)" = 600 ] || fail "$ORG_A/$f is $(stat -c %a $ORG_A/$f), not 0600"
done
[[ "$BASE" == https://127.0.0.1:* ]] || fail "BASE $BASE"
openssl x509 -in $ORG_A/web-tls.crt -noout -text >"$T/self.txt"
grep -q "id-ecPublicKey" "$T/self.txt" && grep -q "NIST CURVE: P-256" "$T/self.txt" ||
	fail "the self-made certificate is not ECDSA P-256: $(grep -A2 'Public Key Algorithm' "$T/self.txt")"
grep -q "DNS:localhost, IP Address:127.0.0.1" "$T/self.txt" || fail "subjectAltName: $(grep -A1 'Alternative' "$T/self.txt")"
ok "--tls-self made an ECDSA P-256 certificate for localhost and 127.0.0.1, 0600, fingerprint $FP"

hdr=$(get $ORG_A/web-tls.crt /signin) || fail "curl over TLS to localhost: $(tail -3 "$T/curl.err")"
echo "$hdr" | grep -c >/dev/null "^HTTP/1.1 200" || fail "/signin over TLS: $hdr"
grep -q "SSL connection using TLSv1.3" "$T/curl.err" || fail "not TLS 1.3: $(grep SSL "$T/curl.err")"
echo "$hdr" | grep -cx >/dev/null $'Strict-Transport-Security: max-age=31536000\r' || fail "no HSTS on /signin: $hdr"
curl -sS --cacert $ORG_A/web-tls.crt -o /dev/null "https://127.0.0.1:$(port)/signin" ||
	fail "curl to 127.0.0.1 (its IP subjectAltName)"
try curl -sS --cacert $ORG_A/web-tls.crt --resolve "elders.example:$(port):127.0.0.1" \
	-o /dev/null "https://elders.example:$(port)/signin"
[ "$rc" = 60 ] || fail "a host name the certificate does not name was accepted (curl exit $rc): $msg"
ok "curl checks the host name: localhost and 127.0.0.1 over TLS 1.3 with HSTS, elders.example refused"

try curl -sS --tls-max 1.2 --cacert $ORG_A/web-tls.crt -o /dev/null "https://localhost:$(port)/signin"
[ "$rc" != 0 ] || fail "curl --tls-max 1.2 got the page"
# (s_client's exit code also counts the server closing without close_notify)
echo | openssl s_client -connect "127.0.0.1:$(port)" -tls1_2 >"$T/s12.out" 2>&1 || true
grep -q "^New, (NONE), Cipher is (NONE)" "$T/s12.out" ||
	fail "openssl s_client -tls1_2 connected: $(grep -i "^New," "$T/s12.out")"
echo | openssl s_client -connect "127.0.0.1:$(port)" -tls1_3 >"$T/s13.out" 2>&1 || true
grep -q "^New, TLSv1.3, Cipher is" "$T/s13.out" ||
	fail "openssl s_client -tls1_3 failed: $(grep -i "^New,\|error" "$T/s13.out")"
ok "TLS 1.2 refused (curl exit $rc, openssl s_client -tls1_2 fails); openssl s_client -tls1_3 connects"

# sign in: the cookie __Host-, Secure; the page with it; HSTS on every kind of answer
hdr=$(get $ORG_A/web-tls.crt /api/session -H "Origin: https://localhost:$(port)" \
	--data-urlencode "professional=$PROF" --data-urlencode "password=$PROF_PW") ||
	fail "sign-in over TLS: $(tail -3 "$T/curl.err")"
cookie=$(echo "$hdr" | tr -d '\r' | sed -n 's/^Set-Cookie: //p' | grep schakel_session) ||
	fail "no session cookie: $hdr"
[[ "$cookie" == __Host-schakel_session=* ]] || fail "the session cookie is not __Host-: $cookie"
for a in "; Secure" "; HttpOnly" "; SameSite=Strict" "; Path=/"; do
	[[ "$cookie" == *"$a"* ]] || fail "the session cookie lacks '$a': $cookie"
done
SID=${cookie%%;*}
hdr=$(get $ORG_A/web-tls.crt /cases -H "Cookie: $SID") || fail "/cases: $(tail -3 "$T/curl.err")"
echo "$hdr" | grep -c >/dev/null "^HTTP/1.1 200" || fail "/cases with the session: $hdr"
for p in /cases /static/app.css /api/me /nergens; do
	hdr=$(get $ORG_A/web-tls.crt $p -H "Cookie: $SID")
	echo "$hdr" | grep -cx >/dev/null $'Strict-Transport-Security: max-age=31536000\r' ||
		fail "no HSTS on $p: $hdr"
done
hdr=$(get $ORG_A/web-tls.crt '/signin?lang=en')
echo "$hdr" | grep "^Set-Cookie: schakel_lang=" | grep -c >/dev/null "; Secure" || fail "the language cookie without Secure: $hdr"
ok "sign-in over TLS: ${cookie%%=*} with Secure, HttpOnly, SameSite=Strict, Path=/; HSTS on pages, static files, the API and a 404"

# ---- handshakes that never end hold nothing up ----
python3 - "$(port)" "$ORG_A/web-tls.crt" <<'PY' || fail "a bad client held up the node (above)"
import socket, ssl, sys, threading, time
port, ca = int(sys.argv[1]), sys.argv[2]

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s

def closed_within(s, secs):
    """Seconds until the server closed s (reading whatever it sends), or None."""
    start = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - start < secs:
        try:
            if s.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None

def good():
    ctx = ssl.create_default_context(cafile=ca)
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
         ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"GET /signin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    assert data.startswith(b"HTTP/1.1 200"), data[:80]
    return time.monotonic() - t

t0 = time.monotonic()
silent = conn()                      # connects and says nothing
slow = conn()                        # a ClientHello a byte a second
slow.sendall(b"\x16\x03\x01\x02\x00")
stop = threading.Event()
def drip():
    while not stop.is_set():
        try:
            slow.sendall(b"\x01")
        except OSError:
            return
        time.sleep(1)
threading.Thread(target=drip, daemon=True).start()
plain = conn()
plain.sendall(b"GET /signin HTTP/1.1\r\nHost: localhost\r\n\r\n")
junk = conn()
junk.sendall(b"\x16\x03\x01\x00\x05hello" + bytes(range(256)) * 4)
worst = max(good() for _ in range(5))
if worst > 2:
    sys.exit(f"FAIL: a good request took {worst:.2f} s next to a silent, a slow, a plain-HTTP and a garbage client")
for name, s in (("plain HTTP", plain), ("garbage", junk)):
    t = closed_within(s, 3)
    if t is None:
        sys.exit(f"FAIL: a {name} client on the TLS port was not closed within 3 s")
print(f"ok - plain HTTP and garbage on the TLS port closed at once; 5 good requests next to them and a silent and a slow handshake, the slowest {worst * 1000:.0f} ms")
for name, s in (("silent", silent), ("slow", slow)):
    left = 14 - (time.monotonic() - t0)
    t = closed_within(s, max(left, 0.1))
    if t is None:
        sys.exit(f"FAIL: a {name} handshake was still open after 14 s (the deadline is 10 s)")
    print(f"ok - a {name} handshake closed by the server {time.monotonic() - t0:.1f} s after it began")
stop.set()
PY
stop_serve

serve_a --tls-self
grep -q "^made a" "$SERVE_OUT" && fail "a second start made a new certificate"
[ "$(sed -n 's/^TLS certificate SHA-256 fingerprint //p' "$SERVE_OUT")" = "$FP" ] ||
	fail "a second start serves another certificate"
ok "a second start with --tls-self keeps the certificate ($FP)"

# ---- Chromium over TLS, trusting exactly this certificate's key ----
SPKI=$(openssl x509 -in $ORG_A/web-tls.crt -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
WEB_BASE="https://localhost:$(port)" WEB_MODULES=$MODULES WEB_CHROMIUM=$CHROMIUM WEB_SPKI=$SPKI \
	WEB_PROF=$PROF WEB_PROF_PW="$PROF_PW" \
	timeout 120 "$(type -P node)" "$WEB_SRC/tls.mjs" || fail "Chromium over TLS (serve log $T/serve.log)"
stop_serve

# ---- the organisation's own certificates (openssl req) ----
mkdir -m 700 pki
SAN="subjectAltName=DNS:localhost,IP:127.0.0.1"
# an ECDSA CA and a server certificate it issued: a chain
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/ca.key \
	-out pki/ca.crt -days 30 -subj "/O=Zorggroep PKI/CN=Zorggroep CA" >/dev/null 2>&1 || fail "CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/ec.key -out pki/ec.csr \
	-subj "/O=Wijkteam/CN=localhost" >/dev/null 2>&1 || fail "ECDSA request"
openssl x509 -req -in pki/ec.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 30 \
	-extfile <(echo "$SAN") -out pki/ec.crt >/dev/null 2>&1 || fail "ECDSA certificate"
cat pki/ec.crt pki/ca.crt >pki/ec-chain.crt
openssl req -x509 -newkey rsa:2048 -nodes -keyout pki/rsa.key -out pki/rsa.crt -days 30 \
	-subj "/O=Wijkteam/CN=localhost" -addext "$SAN" >/dev/null 2>&1 || fail "RSA certificate"
openssl req -x509 -newkey ed25519 -nodes -keyout pki/ed.key -out pki/ed.crt -days 30 \
	-subj "/O=Wijkteam/CN=localhost" -addext "$SAN" >/dev/null 2>&1 || fail "Ed25519 certificate"
chmod 600 pki/*.key

for kind in ec rsa ed; do
	chain=pki/$kind.crt ca=pki/$kind.crt
	[ $kind = ec ] && chain=pki/ec-chain.crt ca=pki/ca.crt
	serve_a --tls-cert $chain --tls-key pki/$kind.key
	[ "$(sed -n 's/^TLS certificate SHA-256 fingerprint //p' "$SERVE_OUT")" = "$(fingerprint pki/$kind.crt)" ] ||
		fail "$kind: the printed fingerprint is not the server certificate's"
	hdr=$(get $ca /signin) || fail "$kind: curl over TLS: $(tail -3 "$T/curl.err")"
	grep -q "SSL connection using TLSv1.3" "$T/curl.err" && echo "$hdr" | grep -c >/dev/null "^HTTP/1.1 200" ||
		fail "$kind: $hdr $(grep SSL "$T/curl.err")"
	[ $kind = rsa ] && break # serves on for the reload below
	stop_serve
done
ok "the organisation's certificates: an ECDSA chain (curl trusting only its CA), RSA and Ed25519, over TLS 1.3 to localhost"

# a renewed certificate: SIGHUP; a broken one: the old stays
served() { echo | openssl s_client -connect "127.0.0.1:$(port)" 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | sed 's/^.*=//'; }
cp pki/ec-chain.crt pki/rsa.crt
cp pki/ec.key pki/rsa.key
kill -HUP "$SERVE_PID"
for _ in $(seq 50); do [ "$(served)" = "$(fingerprint pki/ec.crt)" ] && break; sleep 0.1; done
[ "$(served)" = "$(fingerprint pki/ec.crt)" ] || fail "after SIGHUP the node still serves $(served)"
grep -q "TLS certificate reloaded" "$T/serve.log" || fail "the reload is not logged"
echo "not a certificate" >pki/rsa.crt
kill -HUP "$SERVE_PID"
for _ in $(seq 50); do grep -q "was not reloaded" "$T/serve.log" && break; sleep 0.1; done
grep -q "was not reloaded.*the old one stays" "$T/serve.log" || fail "a broken renewal is not logged: $(tail -3 "$T/serve.log")"
[ "$(served)" = "$(fingerprint pki/ec.crt)" ] || fail "after a broken renewal the node serves $(served)"
kill -0 "$SERVE_PID" || fail "a broken renewal stopped the node"
stop_serve
ok "SIGHUP: a renewed certificate served at once; a broken one logged and the old one kept"

# ---- refusals before anything listens ----
refused() { # refused EXIT WORDS serve-options...: serve exits EXIT, saying WORDS, never listening
	local want=$1 words=$2
	shift 2
	set +e
	msg=$(timeout 20 "$SK_NODE" serve --dir $ORG_A --dev "$@" 2>&1 </dev/null)
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "serve $* exited $rc, not $want: $msg"
	echo "$msg" | grep -c >/dev/null "listening on" && fail "serve $* listened: $msg"
	echo "$msg" | grep -c >/dev/null -- "$words" || fail "serve $* did not say '$words': $msg"
	return 0
}
chmod 644 pki/ec.key
refused 1 "chmod 600" --web 127.0.0.1:0 --tls-cert pki/ec.crt --tls-key pki/ec.key
chmod 600 pki/ec.key
ok "a key file of mode 0644 refused: $(echo "$msg" | tail -1)"
openssl pkey -in pki/ec.key -aes256 -passout pass:geheim-wachtwoord -out pki/enc.key 2>/dev/null
chmod 600 pki/enc.key
refused 1 "no unencrypted PEM private key" --web 127.0.0.1:0 --tls-cert pki/ec.crt --tls-key pki/enc.key
refused 1 "does not belong to the certificate" --web 127.0.0.1:0 --tls-cert pki/ed.crt --tls-key pki/ec.key
refused 2 "go together" --web 127.0.0.1:0 --tls-cert pki/ec.crt
ok "an encrypted key (no prompt), another certificate's key and a certificate without a key refused"
# 192.0.2.1 (TEST-NET-1) is no address of this machine: nothing could
# listen there, whatever the check says
refused 1 "not a loopback address" --web 192.0.2.1:8443
refused 1 "not a loopback address" --web 0.0.0.0:0
refused 1 "not a loopback address" --web ":0"
ok "no TLS on a non-loopback address refused: $(echo "$msg" | tail -1)"
