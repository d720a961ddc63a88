# Attacks not covered elsewhere (docs/threat-model.md lists where the others
# are): an entry re-signed by another member's key or changed after
# signing, and a stolen node data dir without its key-encryption key.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}"
cd "$T"

registry_up
testnodes_up wijkteam:sociaal-team ggz:ggz
p() { "$SK_TESTNODE" publish --dir "$1" --bundle "$1/bundle" "${@:2}"; }
p wijkteam --seq 1 >/dev/null || fail "a good entry"

# re-signed: wijkteam's entry over wijkteam's TLS identity, signed by
# ggz's identity key (a member forging another's entries)
out=$(p wijkteam --seq 2 --sign-key-dir ggz) && fail "an entry signed by another member's key accepted"
echo "$out" | grep -c >/dev/null "signature does not verify" || fail "re-signed: $out"
# changed after signing: a replay with one bit flipped
out=$(p wijkteam --seq 3 --tamper) && fail "an entry changed after signing accepted"
echo "$out" | grep -c >/dev/null "signature does not verify" || fail "tampered: $out"
p wijkteam --seq 2 >/dev/null || fail "the refusals used up the sequence number"
ok "an entry re-signed by another member's key or changed after signing is refused; its number stays free"

# a stolen node data dir: wrapped under a passphrase; the copy does not open
# without it, and data.mdb holds no BSN or client name in any form we can grep
printf 'correct horse battery staple\n' >pass; chmod 600 pass
printf 'wrong horse battery staple!\n' >wrong; chmod 600 wrong
BSN=111222333 NAME="Jantje Geheimnaam"
"$SK_NODE" init --dir n --org-id wijkteam2 --name "Org" --category sociaal-team --passphrase-file pass \
	>/dev/null 2>>node.log || fail "node init with a passphrase"
"$SK_NODE" client add --dir n --bsn $BSN --name "$NAME" --birthdate 1980-05-01 --passphrase-file pass \
	>/dev/null 2>>node.log || fail "client add"
"$SK_NODE" client list --dir n --passphrase-file pass 2>>node.log | grep -c >/dev/null "$NAME" || fail "the owner reads its client"
cp -a n stolen
try "$SK_NODE" client list --dir stolen
[ "$rc" != 0 ] || fail "a stolen dir opened without a passphrase: $msg"
try "$SK_NODE" client list --dir stolen --dev
[ "$rc" != 0 ] || fail "a stolen dir opened with --dev: $msg"
try "$SK_NODE" client list --dir stolen --passphrase-file wrong
[ "$rc" != 0 ] || fail "a stolen dir opened with a wrong passphrase: $msg"
echo "$msg" | grep -c >/dev/null "$NAME" && fail "a name came out with a wrong passphrase"
python3 - stolen "$BSN" "$NAME" <<'PY' || fail "a BSN or a name is readable in the stolen dir"
import os, sys
d, bsn, name = sys.argv[1], sys.argv[2], sys.argv[3]
needles = [bsn.encode(), name.encode(), name.split()[1].encode(), name.encode("utf-16-le")]
for f in os.listdir(d):
    data = open(os.path.join(d, f), "rb").read()
    for n in needles:
        assert n not in data, (f, n)
PY
ok "a stolen wrapped node dir: does not open without, with --dev or with a wrong passphrase; no BSN or name in any of its files"
