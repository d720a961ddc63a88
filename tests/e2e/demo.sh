# The demo (scripts/demo.sh, what `make demo` runs) against this build's
# binaries: without a terminal it tells the whole story and exits 0 with
# nothing left running; on a terminal it keeps the federation up for work
# by hand and stops cleanly on Ctrl-C.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"
DEMO=$(realpath "$(dirname "$0")/../../scripts/demo.sh")
BIN=$(dirname "$(dirname "$SK_NODE")")
[ "$BIN/registry/schakel-registry" -ef "$SK_REGISTRY" ] || fail "unexpected build layout: $SK_REGISTRY"
[ "$BIN/pseudonymiser/schakel-pseudonymiser" -ef "$SK_PSEUDONYMISER" ] ||
	fail "unexpected build layout: $SK_PSEUDONYMISER"
cd "$T"

# left_behind DIR: processes whose working directory is (or was) DIR
left_behind() {
	local p
	for p in /proc/[0-9]*; do
		case $(readlink "$p/cwd" 2>/dev/null) in "$1" | "$1 (deleted)" | "$1"/*) echo "${p#/proc/}" ;; esac
	done
}

# ---- 1. no terminal: the story, then exit 0 ------------------------------
start=$(date +%s)
set +e
bash "$DEMO" "$BIN" </dev/null >story.out 2>story.err
rc=$?
set -e
[ "$rc" = 0 ] || fail "the demo exited $rc: $(tail -5 story.err)"
echo "the demo's story took $(($(date +%s) - start)) s"
dir=$(grep -o '/tmp/schakel-demo\.[A-Za-z0-9]*' story.out | head -1)
[ -n "$dir" ] || fail "the demo did not say where it runs"
[ ! -e "$dir" ] || fail "the demo left $dir behind"
[ -z "$(left_behind "$dir")" ] || fail "processes left running: $(left_behind "$dir")"
grep -q '^demo:' story.err && fail "the demo complained: $(grep '^demo:' story.err)"
ok "without a terminal the demo tells the story, exits 0 and leaves nothing running"

has() { grep -qF -- "$1" story.out || fail "the story lacks '$1'"; }
has "tiles listening on 127.0.0.1:"
[ "$(grep -c 'witness listening on 127.0.0.1:' story.out)" = 2 ] || fail "not two witnesses"
[ "$(grep -c '2 pseudonymiser(s), 2 witness(es), quorum 2' story.out)" = 3 ] || fail "three joins with quorum 2"
has "$ schakel-pseudonymiser allow --dir ps-gemeente --org vz-regio --dev"
has "— ps-ggd "
has "— ps-gemeente "
has "ggz-stad (ggz) is also involved with your client"
[ "$(grep -c 'directory record published' story.out)" = 3 ] || fail "not three directory records published"
has "$ schakel-node directory search --dir wijkteam-zuid --service schuldhulp --municipality Zeist --as anna --dev"
has "Verslavingszorg Regio (vz-regio, verslavingszorg)"
has "wegwijzer: Cees Bakker, casemanager, 030-1112223"
grep -A14 'directory search --dir wijkteam-zuid' story.out | grep -c >/dev/null "GGZ Stad (ggz-stad" &&
	fail "the search for debt help shows GGZ Stad"
has "wijkteam-zuid (sociaal-team) is also involved with your client"
has "ggz-stad (ggz): Bram Jansen, spv, 030-7654321"
has "wijkteam-zuid (sociaal-team, wijkcoach) looked up your client"
[ "$(grep -c 'invitation about your client c-2, topic afstemming (open)' story.out)" = 2 ] ||
	fail "the invitation did not reach both ggz-stad and vz-regio"
has "1 accepted"
has "refused: schakel-node discuss send: the text holds a BSN"
has "Anna de Vries of Sociaal wijkteam Zuid, summary:"
has "Bram Jansen of GGZ Stad, message:"
has "ggz-stad (ggz), regievoerder: Bram Jansen"
[ "$(grep -c "0 without a local record" story.out)" = 3 ] || fail "not every node reconciled cleanly"
has "Casustafel Zuid (host: Sociaal wijkteam Zuid; elke tweede dinsdag)"
has "U bent al betrokken bij deze bewoner"
has "OUTCOME: regievoerder ggz-stad:bram, routed to ggz, breakthrough, evaluate on 2027-02-01"
has "cases brought: 1"
has "Overzicht van het gebruik van uw gegevens"
has "Sociaal wijkteam Zuid (een medewerker met de rol wijkcoach) heeft via de verwijsindex gezien"
has "Sociaal wijkteam Zuid weet door een casusoverleg dat wij bij u betrokken zijn."
has "Stopping the federation (no terminal)."
grep -A3 'lookup --dir wijkteam-zuid' story.out | grep -c >/dev/null vz-regio &&
	fail "a lookup showed the undisclosed verslavingszorg entry"
sed -n '/== 10/,/== 11/p' story.out | grep -c >/dev/null Verslavingszorg && fail "the decline was shown to the requester"
sed -n '/== 13/,/== 14/p' story.out | sed -n '/table show .* --dir vz-regio/,$p' | grep -c >/dev/null "U bent al betrokken" &&
	fail "the submitter was told who is already involved"
ok "the story: enrolment with dual control, witnesses, match, lookup, notice, discussion, regie, casustafel, audit and report"

# ---- 2. on a terminal: work by hand, then Ctrl-C ---------------------------
python3 - "$DEMO" "$BIN" "$SK_NODE" >tty.out <<'PY' || fail "the demo on a terminal: $(tail -3 tty.out)"
import os, pty, re, select, signal, subprocess, sys, time

demo, bindir, node = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execvp("bash", ["bash", demo, bindir])

buf = b""
def read_until(pat, secs):
    global buf
    end = time.time() + secs
    while pat not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return pat in buf

if not read_until(b"Press Ctrl-C", 400):
    open("tty.transcript", "wb").write(buf)   # kept with the test's temp dir
    sys.exit("no 'Press Ctrl-C' (transcript in tty.transcript): " + buf[-500:].decode(errors="replace"))
d = re.search(rb"cd (/tmp/schakel-demo\.\w+)", buf).group(1).decode()
# by hand, against the running federation
out = subprocess.run([node, "lookup", "--dir", "ggz-stad", "--client", "111222333", "--as", "bram",
                      "--purpose", "afstemming", "--dev"], cwd=d, capture_output=True, text=True)
if out.returncode != 0 or "wijkteam-zuid (sociaal-team): Anna de Vries" not in out.stdout:
    sys.exit("a lookup by hand failed: " + out.stdout + out.stderr)
print("ok - by hand: " + out.stdout.strip())
os.write(fd, b"\x03")          # Ctrl-C: SIGINT to the terminal's foreground group
read_until(b"\x00never", 20)   # read to the end
end = time.time() + 20
while time.time() < end:
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid:
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    sys.exit("the demo did not stop within 20 s of Ctrl-C")
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    sys.exit("the demo ended with status %d after Ctrl-C: %s" % (status, buf[-1500:].decode(errors="replace")))
if b"Stopping the federation." not in buf:
    sys.exit("no 'Stopping the federation.'")
if os.path.exists(d):
    sys.exit(d + " is still there after Ctrl-C")
print(d)
PY
cat tty.out
dir=$(tail -1 tty.out)
[ -z "$(left_behind "$dir")" ] || fail "processes left running after Ctrl-C: $(left_behind "$dir")"
ok "on a terminal the federation stays up for work by hand and Ctrl-C stops it (exit 0, dir removed)"
