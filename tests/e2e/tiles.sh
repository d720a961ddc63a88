# The registry's log as C2SP tlog-tiles over HTTPS (`serve --tiles`): a
# client with only the federation CA fetches the checkpoint and the tiles,
# recomputes the root the checkpoint signs and the consistency proof that
# `schakel-registry proof` gives, and checks the entry bundle's member
# events against the level-0 tile; the tiles server keeps serving the same
# bytes after a restart, and refuses what the tree does not hold.
source "$(dirname "$0")/lib.sh"
cd "$T"

reg ca-init --ca ca --name "Regio Test" >/dev/null
openssl x509 -inform der -in ca/ca.crt -out ca.pem
reg init --dir r --name test.example/registry --ca ca >/dev/null
start_registry r 127.0.0.1:0 --tiles 127.0.0.1:0
[ -n "$TILES" ] || fail "no tiles address printed"
for org in wijkteam ggz; do
	cat=$([ $org = ggz ] && echo ggz || echo sociaal-team)
	"$SK_TESTNODE" init --dir $org --org-id $org --name "Org $org" --category $cat >/dev/null
	reg enrol --dir r --ca ca --request $org/enrol-request --out $org/bundle >/dev/null
done
# past one full level-0 tile, so level 1 has a hash too
"$SK_TESTNODE" burst --dir wijkteam --bundle wijkteam/bundle --from 1 --count 300 --threads 2 \
	>burst.out 2>/dev/null || fail "burst"
reg checkpoint --dir r >cp
N=$(sed -n 2p cp)
[ "$N" -gt 256 ] || fail "only $N leaves"
reg proof --dir r --from 7 --to "$N" >proof.7
reg proof --dir r --from 256 --to "$N" >proof.256

# verify.py ADDR: fetch over HTTPS (CA-checked, CN "registry") and check
cat >verify.py <<'PY'
import base64, hashlib, http.client, socket, ssl, sys, time
addr, n_cli = sys.argv[1], int(sys.argv[2])
host, port = addr.rsplit(":", 1)
ctx = ssl.create_default_context(cafile="ca.pem")

class Conn(http.client.HTTPSConnection):
    # the certificate names the registry's org id, not the address
    def connect(self):
        s = socket.create_connection((self.host, self.port))
        self.sock = ctx.wrap_socket(s, server_hostname="registry")

conn = Conn(host, int(port), context=ctx)

def get(path, want=200):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    assert r.status == want, (path, r.status, body[:100])
    return r, body

def enc(n):
    s = "%03d" % (n % 1000)
    n //= 1000
    while n > 0:
        s = "x%03d/" % (n % 1000) + s
        n //= 1000
    return s

def tile(level, n, width):
    path = "/tile/%d/%s" % (level, enc(n)) + ("" if width == 256 else ".p/%d" % width)
    r, b = get(path)
    assert r.getheader("Content-Type") == "application/octet-stream", path
    assert len(b) == 32 * width
    return [b[i:i + 32] for i in range(0, len(b), 32)]

node = lambda l, r: hashlib.sha256(b"\x01" + l + r).digest()
def mth(h):
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return node(mth(h[:k]), mth(h[k:]))
def subproof(m, h, b):
    n = len(h)
    if m == n:
        return [] if b else [mth(h)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, h[:k], b) + [mth(h[k:])]
    return subproof(m - k, h[k:], False) + [mth(h[:k])]

r, cp = get("/checkpoint")
assert r.getheader("Content-Type").startswith("text/plain"), r.getheader("Content-Type")
lines = cp.decode().split("\n")
assert lines[0] == "test.example/registry"
size, root = int(lines[1]), base64.b64decode(lines[2])
assert size == n_cli, (size, n_cli)
leaves = []
for i in range(size // 256):
    leaves += tile(0, i, 256)
if size % 256:
    leaves += tile(0, size // 256, size % 256)
assert len(leaves) == size
assert mth(leaves) == root, "the tiles do not lead to the checkpoint's root"
# level 1: the roots of the full level-0 tiles
lvl1 = tile(1, 0, size // 256)
for i, h in enumerate(lvl1):
    assert h == mth(leaves[256 * i:256 * (i + 1)])
for m in (7, 256):
    want = [base64.b64decode(l) for l in open("proof.%d" % m).read().split()]
    assert subproof(m, leaves, True) == want, "consistency proof from %d differs" % m
# entry bundle 0: member events hash to their leaves, the rest are empty
r, b = get("/tile/entries/000")
pos, i, members = 0, 0, 0
while pos < len(b):
    l = int.from_bytes(b[pos:pos + 2], "big"); pos += 2
    if l:
        assert hashlib.sha256(b"\x00" + b[pos:pos + l]).digest() == leaves[i], i
        assert b[pos] == 2  # a member event
        members += 1
    pos += l; i += 1
assert i == 256 and members >= 2, (i, members)
# what the tree does not hold
get("/tile/0/%s" % enc(size // 256 + 1), 404)
get("/tile/0/%s.p/%d" % (enc(size // 256), size % 256 + 1), 404)
get("/tile/1/000", 404)
get("/tile/0/0001", 404)
# tiles a second on one keep-alive connection
t0, k = time.time(), 0
while time.time() - t0 < 1.0:
    tile(0, 0, 256); k += 1
print("tiles a second (8 KiB, one connection): %d" % k)
open("tile0.bin", "wb").write(b"".join(tile(0, 0, 256)))
PY
python3 verify.py "$TILES" "$N" || fail "tiles do not verify"
ok "tiles over HTTPS recompute the checkpoint's root and the registry's consistency proofs"

# a restart serves the same immutable tile; POST is refused
cp tile0.bin tile0.before
kill -TERM "$REG_PID"; wait "$REG_PID" || fail "registry SIGTERM"
start_registry r "$REG_ADDR" --tiles "$TILES"
python3 verify.py "$TILES" "$N" | grep -v "^tiles a second" || true
cmp -s tile0.bin tile0.before || fail "a full tile changed across a restart"
port=${TILES##*:}
code=$(curl -sS --cacert ca.pem --resolve "registry:$port:127.0.0.1" -o /dev/null -w '%{http_code}' \
	--data x "https://registry:$port/checkpoint")
[ "$code" = 405 ] || fail "POST to the read-only log: $code"
ok "the same tiles after a restart; the log is read-only"
