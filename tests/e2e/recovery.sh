# The registry's disk lost, on a package install, recovered by following
# docs/operator.md's "De registry herstellen na verlies van de schijf"
# literally (issue 23's test, in its order):
#  1. the Debian packages built and installed (tests/e2e/deb_lib.sh, as
#     tests/e2e/deb.sh), a federation set up under /var/lib/schakel as the
#     user schakel as the guide's sections 1-6 tell an operator: a registry,
#     two pseudonymisers that are the witnesses (quorum 2), two nodes; each
#     server started with its installed unit's ExecStart as systemd would
#     (as schakel, the passphrase file of section 2 as the credential
#     schakel-kek), on 127.0.0.1 with free ports. The package layout has one
#     /var/lib/schakel/NAME a machine: the second pseudonymiser and the
#     second node run on this machine too, from copies of the units
#     (/etc/systemd/system/schakel-{pseudonymiser2,node2}.service) with
#     their own configuration and data dir (/var/lib/schakel/*2);
#  2. cases published at both nodes, lookups that match, a discussion
#     (request, acceptance, messages), audit anchors (each sync anchors);
#  3. the registry's backup as section 7 writes it;
#  4. more cases, lookups, discussion steps and anchors after it, and a
#     quota change in the operator's journal (section 3: every member
#     command writes /var/backups/schakel/registry.journal);
#  5. the registry crashes and its data dir is gone (a lost disk);
#  6. the guide's ```sh blocks of that section, taken from docs/operator.md
#     now, run in order in one bash (set -e: a failing command fails the
#     test), with the example values replaced by this federation's through
#     the table printed below (an example value not in the table fails the
#     test), `systemctl start|stop` a function that runs the unit's
#     ExecStart as schakel, and Debian's sudo (scripts/deps.sh --deb). A
#     block with schakel-node commands (step 5: one per node) runs once for
#     each node; a block after `<!-- not run by tests/e2e/recovery.sh: WHY -->`
#     is skipped. Before the registry starts again (step 4) a witness is
#     sent a rollover statement that hides what it cosigned: 422;
#  7. every node's sync says it followed the new log and published again;
#     every case published before the loss, before and after the backup,
#     is found again from the other node; the discussion from before the
#     backup goes on; audit verify (--registry, --reconcile) exits 0 at
#     every node, the registry's audit verify too; the guide's
#     `rollover --report` says every node is back; its `journal replay`
#     brought the quota change back.
# At the end, also on failure, the packages are purged and everything the
# test made is removed (deb_lib.sh). Root only, as tests/e2e/deb.sh.
DEB_CLEANUP="/var/backups/schakel /run/schakel-recovery /etc/systemd/system/schakel-pseudonymiser2.service
/etc/systemd/system/schakel-node2.service"
source "$(dirname "$0")/deb_lib.sh"
GUIDE=$SRC/docs/operator.md
SECTION="De registry herstellen na verlies van de schijf"
ORIGIN=regio.test/registry
NEW=$ORIGIN/2

deb_build
deb_install
T0=$(date +%s)
command -v sudo >/dev/null || fail "sudo is missing (scripts/deps.sh --deb installs it)"

# ---- the units as section 2's plain passphrase file sets them up ----
# (LoadCredential=schakel-kek:/etc/schakel/schakel-NAME.pass); the second
# pseudonymiser and node: copies of the units with their own configuration
chmod 711 "$T"
OFF=$T/offline # the offline media (/media/offline in the guide)
install -d -m 0700 -o schakel -g schakel "$OFF"
unit_copy() { # NAME COPY
	sed -e "s|/etc/schakel/$1.conf|/etc/schakel/$2.conf|" -e "s|StateDirectory=schakel/$1\$|StateDirectory=schakel/$2|" \
		-e "s|schakel-$1.kek.cred|schakel-$2.kek.cred|" /lib/systemd/system/schakel-$1.service \
		>/etc/systemd/system/schakel-$2.service
	grep -q "^ExecStart=.*/etc/schakel/$2.conf$" /etc/systemd/system/schakel-$2.service ||
		fail "the copy of schakel-$1.service runs $(exec_start schakel-$2)"
	install -m 0640 -o root -g schakel /etc/schakel/$1.conf /etc/schakel/$2.conf
	conf_set /etc/schakel/$2.conf dir $V/$2
}
unit_copy pseudonymiser pseudonymiser2
unit_copy node node2
(
	umask 077
	for n in registry pseudonymiser pseudonymiser2 node node2; do
		head -c 32 /dev/urandom | base64 >/etc/schakel/schakel-$n.pass
		chown schakel:schakel /etc/schakel/schakel-$n.pass && chmod 0400 /etc/schakel/schakel-$n.pass
		# what systemd's LoadCredential= gives the service
		install -d -m 0700 -o schakel -g schakel "$T/cred/schakel-$n"
		install -m 0400 -o schakel -g schakel /etc/schakel/schakel-$n.pass "$T/cred/schakel-$n/schakel-kek"
	done
)
pass() { printf '/etc/schakel/schakel-%s.pass' "$1"; }

# systemctl start|stop UNIT: the unit's ExecStart as schakel (no systemd
# here); its pid in $T/run/UNIT.pid, its output in $T/run/UNIT.N.out (not
# traced in the guide's log: only the guide's own commands are)
systemctl() {
	local xt=${-//[^x]/} rc=0
	{ set +x; } 2>/dev/null
	unit_ctl "$@" || rc=$?
	[ -z "$xt" ] || set -x
	return "$rc"
}
unit_ctl() {
	local unit=${2%.service} p n
	case $1 in
	start)
		[ -f "$T/run/$unit.pid" ] && return 0
		n=$(ls "$T/run" | grep -c "^$unit\.[0-9]*\.out$" || true)
		unit_serve "$unit" "$T/cred/$unit" "$T/run/$unit.$n.out"
		echo "$PID" >"$T/run/$unit.pid"
		;;
	stop)
		[ -f "$T/run/$unit.pid" ] || return 0
		p=$(cat "$T/run/$unit.pid")
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true # when the test's shell started it
		for _ in $(seq 300); do
			case $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null || echo gone) in gone | Z) break ;; esac
			sleep 0.1
		done
		case $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null || echo gone) in
		gone | Z) rm -f "$T/run/$unit.pid" ;;
		*) echo "systemctl: $unit did not stop within 30 s" >&2; return 1 ;;
		esac
		;;
	*) echo "systemctl $1: tests/e2e/recovery.sh runs only start and stop" >&2; return 1 ;;
	esac
}
# the address a unit printed ('listening on', 'witness listening on')
addr_of() { sed -n "s/^$2listening on //p" "$(ls -t "$T"/run/"$1".*.out | head -1)"; }
# S CMD...: an operator's command as schakel, as the guide writes it
S() { (cd / && sudo -u schakel "$@") 2>>"$T/commands.log" || fail "sudo -u schakel $*: $(tail -3 "$T/commands.log")"; }
free_ports() {
	python3 -c "
import socket
ss = [socket.socket() for _ in range($1)]
for s in ss: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in ss))"
}
read -r REGP TILEP P1 W1 P2 W2 <<<"$(free_ports 6)"

# ---- 1. the federation, as sections 3 to 6 tell it ----
S schakel-registry ca-init --ca "$OFF/schakel-ca" --name "Regio Test" --passphrase-file "$(pass registry)" >/dev/null
S schakel-registry init --dir $V/registry --name $ORIGIN --ca "$OFF/schakel-ca" --host 127.0.0.1 \
	--passphrase-file "$(pass registry)" >/dev/null
conf_set /etc/schakel/registry.conf listen 127.0.0.1:$REGP
conf_set /etc/schakel/registry.conf tiles 127.0.0.1:$TILEP
systemctl start schakel-registry
REG=$(addr_of schakel-registry "")
ok "schakel-registry.service's command line as schakel: listening on $REG"

ps_up() { # NAME ORG LISTEN WITNESS
	S schakel-pseudonymiser init --dir $V/$1 --org-id $2 --name "Pseudonymiser $2" --host 127.0.0.1 \
		--passphrase-file "$(pass $1)" >/dev/null
	S schakel-registry enrol --dir $V/registry --ca "$OFF/schakel-ca" --passphrase-file "$(pass registry)" \
		--request $V/$1/enrol-request --out $V/$2.bundle --journal /var/backups/schakel/registry.journal >/dev/null
	S schakel-pseudonymiser join --dir $V/$1 --bundle $V/$2.bundle --passphrase-file "$(pass $1)" >/dev/null
	conf_set /etc/schakel/$1.conf listen 127.0.0.1:$3
	conf_set /etc/schakel/$1.conf witness-listen 127.0.0.1:$4
	systemctl start schakel-$1
	[ -n "$(addr_of schakel-$1 "witness ")" ] || fail "schakel-$1.service runs no witness"
}
ps_up pseudonymiser ps-ggd $P1 $W1
ps_up pseudonymiser2 ps-gemeente $P2 $W2
ok "two pseudonymisers (and witnesses) from their units: ps-ggd on 127.0.0.1:$P1 and :$W1, ps-gemeente on :$P2 and :$W2"

CHAIN="--registry 127.0.0.1:$REGP --pseudonymiser ps-ggd@127.0.0.1:$P1 --pseudonymiser ps-gemeente@127.0.0.1:$P2
--witness ps-ggd@https://127.0.0.1:$W1 --witness ps-gemeente@https://127.0.0.1:$W2 --quorum 2"
NODES="node:wijkteam:anna node2:altrecht:bram"
node_up() { # NAME ORG PROF CATEGORY
	S schakel-node init --dir $V/$1 --org-id $2 --name "Org $2" --category $4 --passphrase-file "$(pass $1)" >/dev/null
	# shellcheck disable=SC2086
	S schakel-registry enrol --dir $V/registry --ca "$OFF/schakel-ca" --passphrase-file "$(pass registry)" \
		--request $V/$1/enrol-request --out $V/$2.bundle $CHAIN --journal /var/backups/schakel/registry.journal >/dev/null
	S schakel-pseudonymiser allow --dir $V/pseudonymiser --org $2 --passphrase-file "$(pass pseudonymiser)" >/dev/null
	S schakel-pseudonymiser allow --dir $V/pseudonymiser2 --org $2 --passphrase-file "$(pass pseudonymiser2)" >/dev/null
	S schakel-node join --dir $V/$1 --bundle $V/$2.bundle --passphrase-file "$(pass $1)" >/dev/null
	S schakel-node professional add --dir $V/$1 --id $3 --name "Prof $3" --role wijkcoach \
		--passphrase-file "$(pass $1)" >/dev/null
}
node_up node wijkteam anna sociaal-team
node_up node2 altrecht bram ggz
# the registry asks the witnesses the nodes' bundles name; a node with the
# quorum syncs once both cosigned
cosigned() { # SIZE: both witnesses cosigned a checkpoint of at least SIZE
	local cp
	cp=$(cd / && sudo -u schakel schakel-registry checkpoint --dir $V/registry --cosigned 2>/dev/null) || return 1
	[ "$(echo "$cp" | sed -n 2p)" -ge "$1" ] && echo "$cp" | grep -q "^— ps-ggd " && echo "$cp" | grep -q "^— ps-gemeente "
}
size() { (cd / && sudo -u schakel schakel-registry checkpoint --dir $V/registry) | sed -n 2p; }
wait_cosigned() {
	local n
	n=$(size)
	for _ in $(seq 300); do cosigned "$n" && return 0; sleep 0.1; done
	fail "the witnesses did not cosign tree size $n: $(tail -5 "$(ls -t "$T"/run/schakel-registry.*.out.err | head -1)")"
}
wait_cosigned
for spec in $NODES; do
	IFS=: read -r n org _ <<<"$spec"
	S schakel-node sync --dir $V/$n --passphrase-file "$(pass $n)" >/dev/null
	conf_set /etc/schakel/$n.conf web 127.0.0.1:0
	# this test's own syncs are the ones that meet the rollover
	conf_set /etc/schakel/$n.conf sync-seconds 3600
	systemctl start schakel-$n
done
ok "two nodes from their units (wijkteam: $(addr_of schakel-node ""), altrecht: $(addr_of schakel-node2 "")), joined with quorum 2"

# ---- 2. cases, lookups, a discussion, anchors ----
N() { # NAME CMD...: a schakel-node command at node NAME, as schakel
	local n=$1
	shift
	(cd / && sudo -u schakel schakel-node "$@" --dir $V/$n --passphrase-file "$(pass $n)") 2>>"$T/commands.log"
}
sync_all() {
	wait_cosigned
	for spec in $NODES; do
		N "${spec%%:*}" sync >/dev/null || fail "sync at ${spec%%:*}: $(tail -3 "$T/commands.log")"
	done
}
BSN1=111222333 BSN2=123456782
for spec in $NODES; do
	IFS=: read -r n org prof <<<"$spec"
	for b in $BSN1 $BSN2; do N $n client add --bsn $b --name "Client $b" >/dev/null || fail "client add at $org"; done
done
open_cases() { # BSN
	N node case open --client "$1" --as anna --consent discover,contact,discuss --categories all >/dev/null ||
		fail "case open at wijkteam: $(tail -3 "$T/commands.log")"
	N node2 case open --client "$1" --as bram --consent discover,discuss --categories all >/dev/null ||
		fail "case open at altrecht: $(tail -3 "$T/commands.log")"
}
# finds BSN WHEN: each node's lookup finds the other's case
finds() {
	local out
	out=$(N node2 lookup --client "$1" --as bram --purpose afstemming) || fail "lookup at altrecht $2: $out"
	echo "$out" | grep -c >/dev/null wijkteam || fail "altrecht's lookup $2 does not find wijkteam's case: $out"
	out=$(N node lookup --client "$1" --as anna --purpose afstemming) || fail "lookup at wijkteam $2: $out"
	echo "$out" | grep -c >/dev/null altrecht || fail "wijkteam's lookup $2 does not find altrecht's case: $out"
}
open_cases $BSN1
sync_all
finds $BSN1 "before the backup"
# a discussion: requested at wijkteam, accepted at altrecht, messages both ways
say() { # NODE PROF ID TEXT
	printf '%s\n' "$4" | N "$1" discuss send "$3" --as "$2" --text-file - >/dev/null ||
		fail "discuss send at $1: $(tail -2 "$T/commands.log")"
}
heard() { # NODE PROF ID TEXT
	N "$1" discuss show "$3" --as "$2" | grep -c >/dev/null "$4" || fail "'$4' did not reach $1"
}
D1=$(N node discuss request --client $BSN1 --as anna --topic afstemming) || fail "discuss request"
sync_all
N node2 discuss accept "$D1" --as bram >/dev/null || fail "discuss accept: $(tail -2 "$T/commands.log")"
sync_all
say node anna "$D1" "VOOR-DE-BACKUP samenvatting"
sync_all
say node2 bram "$D1" "VOOR-DE-BACKUP antwoord"
sync_all
heard node anna "$D1" "VOOR-DE-BACKUP antwoord"
for spec in $NODES; do
	a=$(N "${spec%%:*}" audit verify --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["anchored"])')
	[ "$a" -gt 0 ] || fail "${spec%%:*}'s audit log is not anchored in the registry's log"
done
ok "cases published at both nodes, found by each other's lookup; a discussion requested, accepted and answered; audit heads anchored"

# ---- 3. the registry's backup, as section 7 writes it ----
# once, on the offline machine (here: as root in the offline media's dir)
(umask 077 && head -c 32 /dev/urandom | base64 >"$OFF/offline.pass")
(cd "$OFF" && schakel-node backup-key --out backup.key --passphrase-file offline.pass) >/dev/null 2>>"$T/commands.log" ||
	fail "backup-key: $(tail -2 "$T/commands.log")"
install -m 0644 "$OFF/backup.key.pub" /etc/schakel/backup.key.pub
install -d -m 0700 -o schakel -g schakel /var/backups/schakel
S schakel-registry backup --dir $V/registry \
	--to /var/backups/schakel/registry-$(date +%F).skb --recipient /etc/schakel/backup.key.pub \
	--passphrase-file "$(pass registry)" >/dev/null
BACKUP=$(ls /var/backups/schakel/registry-*.skb) || fail "no backup in /var/backups/schakel"
DATE=${BACKUP#/var/backups/schakel/registry-} DATE=${DATE%.skb}
AT_BACKUP=$(size)
ok "the registry's backup at tree size $AT_BACKUP, encrypted to the offline key (section 7)"

# ---- 4. after the backup ----
open_cases $BSN2
sync_all
finds $BSN2 "after the backup"
say node2 bram "$D1" "NA-DE-BACKUP bericht"
sync_all
heard node anna "$D1" "NA-DE-BACKUP bericht"
D2=$(N node discuss request --client $BSN2 --as anna --topic afstemming) || fail "discuss request after the backup"
sync_all
N node2 discuss accept "$D2" --as bram >/dev/null || fail "discuss accept after the backup"
sync_all
# the operator raises altrecht's quota, in the journal (section 3)
S schakel-registry quota --dir $V/registry --org altrecht --entries 4321 --passphrase-file "$(pass registry)" \
	--journal /var/backups/schakel/registry.journal >/dev/null
wait_cosigned
AT_LOSS=$(size)
[ "$AT_LOSS" -gt "$AT_BACKUP" ] || fail "the log did not grow after the backup"
ok "after the backup: cases for a second client found both ways, a message in the discussion, a second discussion, anchors; the witnesses cosigned up to $AT_LOSS leaves"

# ---- 5. the disk is lost ----
p=$(cat "$T/run/schakel-registry.pid")
kill -9 "$p"
wait "$p" 2>/dev/null || true
rm -rf $V/registry
ok "the registry crashed (SIGKILL) and its data dir $V/registry is gone"

# ---- 6. the guide, literally ----
# The section's ```sh blocks, from docs/operator.md as it is now
python3 - "$GUIDE" "$SECTION" >"$T/blocks.json" <<'PY' || fail "no '### $SECTION' with sh blocks in docs/operator.md"
import json, re, sys
lines = open(sys.argv[1]).read().split("\n")
start = lines.index("### " + sys.argv[2])
blocks, i, skip = [], start + 1, False
while i < len(lines) and not re.match(r"#{1,3} ", lines[i]):
    line = lines[i]
    if "<!-- not run by tests/e2e/recovery.sh:" in line:
        skip = True
    m = re.match(r"( *)```sh\s*$", line)
    if m:
        ind, body, n = len(m.group(1)), [], i + 1
        i += 1
        while lines[i].strip() != "```":
            body.append(lines[i][ind:])
            i += 1
        if not skip:
            blocks.append({"line": n, "text": "\n".join(body)})
        skip = False
    i += 1
if not blocks:
    sys.exit(1)
json.dump(blocks, sys.stdout)
PY
# The example values and what they are here
declare -A SUBST=(
	["regio-utrecht.example/registry"]=$ORIGIN
	["ps1.example:7443"]=127.0.0.1:$W1
	["ps2.example:7443"]=127.0.0.1:$W2
	["/media/offline"]=$OFF
	["registry-2026-11-23.skb"]=registry-$DATE.skb
	["--passphrase-file P"]="--passphrase-file $(pass registry)"
)
# for a block run at a node ('one per node'): its data dir and passphrase
echo "# the guide's example values, and what this test runs instead:"
for k in "${!SUBST[@]}"; do printf '#   %-32s -> %s\n' "$k" "${SUBST[$k]}"; done
printf '#   %-32s -> %s\n' "(node blocks) /var/lib/schakel/node" "/var/lib/schakel/node, /var/lib/schakel/node2" \
	"(node blocks) --passphrase-file P" "--passphrase-file $(pass node), $(pass node2)"
# subst TEXT [NODE]: TEXT with the table's values (and NODE's)
subst() {
	local s=$1 k
	if [ -n "${2:-}" ]; then
		s=$(printf '%s' "$s" | sed -e "s|/var/lib/schakel/node\b|$V/$2|g" -e "s|--passphrase-file P\b|--passphrase-file $(pass $2)|g")
	fi
	for k in "${!SUBST[@]}"; do s=${s//"$k"/"${SUBST[$k]}"}; done
	printf '%s\n' "$s"
}

# Before the registry starts on the new log (step 4), a witness gets a
# statement that hides what it cosigned (from the backup alone): 422
witness_refuses() {
	local d=$T/hide out
	install -d -m 0700 "$d"
	schakel-registry restore --dir "$d/r" --from "$BACKUP" --identity "$OFF/backup.key" \
		--passphrase-file "$OFF/offline.pass" >/dev/null || fail "restore for the hiding statement"
	schakel-registry checkpoint --dir "$d/r" >"$d/restored"
	schakel-registry rollover --dir "$d/r" --origin "$NEW" --witnessed "$d/restored" --request "$d/hide.req" \
		--passphrase-file "$(pass registry)" >/dev/null || fail "a rollover naming the restored checkpoint"
	out=$(curl -sS --cacert "$OFF/schakel-ca/ca.pem" -w '\n%{http_code}\n' -H "Content-Type: application/x-protobuf" \
		--data-binary @"$d/hide.req" "https://127.0.0.1:$W1/add-rollover")
	[ "$(echo "$out" | tail -1)" = 422 ] || fail "a statement hiding the witness's tree size $AT_LOSS was not refused with 422: $out"
	echo "$out" | head -1 | grep -c >/dev/null "does not link" || fail "422 without its reason: $out"
	echo "ok - ps-ggd's witness refuses (422) a rollover statement that links only to the backup's tree size $AT_BACKUP, not to the $AT_LOSS leaves it cosigned"
}

SCRIPT=$T/operator.sh
printf '%s\n' "set -euo pipefail" "PS4='+ '" >"$SCRIPT"
nblocks=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$T/blocks.json")
for i in $(seq 0 $((nblocks - 1))); do
	line=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[$i]['line'])" "$T/blocks.json")
	text=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[$i]['text'])" "$T/blocks.json")
	if printf '%s' "$text" | grep -q "schakel-node "; then targets="node node2"; else targets="-"; fi
	for t in $targets; do
		[ "$t" = - ] && t=
		body=$(subst "$text" "$t")
		left=$(printf '%s\n' "$body" | grep -oE '[a-z0-9.-]*\.example[^ ]*|2026-11-23|/media/offline|--passphrase-file P( |$)' | head -1 || true)
		[ -z "$left" ] || fail "docs/operator.md:$line: '$left' is an example value the table in tests/e2e/recovery.sh does not replace"
		printf 'echo "## docs/operator.md:%s%s"\n' "$line" "${t:+ (at $t)}"
		case $body in *"systemctl start schakel-registry"*) echo "witness_refuses" ;; esac
		echo "set -x"
		printf '%s\n' "$body"
		echo "{ set +x; } 2>/dev/null"
	done
done >>"$SCRIPT"
echo "# the guide's commands, as run:"
grep -v '^echo "##\|^set\|^{ set\|^PS4\|^witness_refuses' "$SCRIPT" | sed 's/^/#   /'
mkdir -m 0700 "$T/op"
export T OFF BACKUP NEW AT_LOSS AT_BACKUP W1
export -f systemctl unit_ctl unit_serve exec_start unit_file fail pass witness_refuses
(cd "$T/op" && bash "$SCRIPT") >"$T/guide.log" 2>&1 || {
	cat "$T/guide.log" >&2
	fail "the guide's commands failed at $(grep '^## docs' "$T/guide.log" | tail -1 | cut -c4-) (the log above)"
}
echo "# what they printed:"
grep -v '^++* \|^ok - ' "$T/guide.log" | sed 's/^/#   /'
grep '^ok - ' "$T/guide.log" || fail "the witness check did not run (no 'systemctl start schakel-registry' in the guide?)"
ok "the guide's $nblocks sh blocks ran (log: $(grep -c '^+ ' "$T/guide.log") commands)"

# ---- 7. what the guide promises ----
for n in node node2; do
	out=$(sed -n "/^## docs\/operator.md:[0-9]* (at $n)\$/,/^## /p" "$T/guide.log")
	echo "$out" | grep -c >/dev/null "the registry's log rolled over to $NEW (its statement checked): [1-9][0-9]* entries of open cases published again" ||
		fail "$n's sync in the guide did not say it followed $NEW and published again: $out"
done
ok "every node's sync (step 5) followed $NEW and published its open cases again"
grep -c >/dev/null "2 of 2 nodes back" "$T/guide.log" || fail "the guide's rollover --report did not say 2 of 2 nodes back: $(grep "nodes back" "$T/guide.log" || echo "it printed no report")"
ok "the operator's rollover --report: 2 of 2 nodes back"
grep -c >/dev/null "^[0-9]* *quota *altrecht *replayed$" "$T/guide.log" ||
	fail "the guide's journal replay did not replay altrecht's quota: $(grep -A8 "journal replay" "$T/guide.log" | head -12)"
[ "$(cd / && sudo -u schakel schakel-registry quota --dir $V/registry --org altrecht --json \
	--passphrase-file "$(pass registry)" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"])')" = 4321 ] ||
	fail "altrecht's quota set after the backup is not back"
ok "the guide's journal replay (step 3) recorded the quota change made after the backup again"

sync_all
finds $BSN1 "after the recovery (published before the backup)"
finds $BSN2 "after the recovery (published after the backup)"
ok "every case published before the loss, before and after the backup, is found again from the other node"

say node anna "$D1" "NA-HET-HERSTEL bericht"
sync_all
heard node2 bram "$D1" "NA-HET-HERSTEL bericht"
for spec in $NODES; do
	IFS=: read -r n org prof <<<"$spec"
	N $n discuss show "$D2" --as $prof --json | python3 -c "import json, sys; assert json.load(sys.stdin)['state'] == 'closed'" ||
		fail "the discussion requested after the backup is not stopped at $org"
done
ok "the discussion from before the backup goes on; the one requested after it is stopped at both nodes"

for n in node node2; do
	N $n audit verify --registry >/dev/null || fail "audit verify --registry at $n: $(tail -3 "$T/commands.log")"
	N $n audit verify --reconcile >/dev/null || fail "audit verify --reconcile at $n: $(tail -3 "$T/commands.log")"
done
S schakel-registry audit verify --dir $V/registry --passphrase-file "$(pass registry)" >/dev/null
ok "audit verify --registry and --reconcile exit 0 at every node; the registry's audit verify too"

for u in schakel-node2 schakel-node schakel-pseudonymiser2 schakel-pseudonymiser schakel-registry; do
	systemctl stop $u
done
ok "the federation set up, its registry's disk lost and recovered by the guide in $(($(date +%s) - T0)) s (after the packages' build and install)"
