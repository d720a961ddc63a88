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
