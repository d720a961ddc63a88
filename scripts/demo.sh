#!/usr/bin/env bash
# A whole schakel federation on 127.0.0.1, and the story from the field:
# a registry, two pseudonymisers (which are also the witnesses) and three
# organisations' nodes with synthetic residents. Two professionals find out
# they share a client, one invites partners to an anonymous case discussion,
# one accepts, they agree who takes regie; a stuck case goes anonymously to
# the casustafel, where the procesregisseur records the outcome; and the
# privacy officer checks the audit log and prints the client's access report.
#
# usage: scripts/demo.sh [BUILD_DIR]   (make demo passes build/)
# Keys are unwrapped (--dev): a demo, never real data. With a terminal the
# federation keeps running until Ctrl-C; without one the script stops it
# after the story and exits 0, leaving nothing running.
set -euo pipefail
BIN=$(realpath "${1:-build}")
for b in registry/schakel-registry pseudonymiser/schakel-pseudonymiser node/schakel-node; do
	[ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing; run make" >&2; exit 1; }
done
# the demo's binaries come first on PATH, so the commands read as typed
export PATH="$BIN/registry:$BIN/pseudonymiser:$BIN/node:$PATH"
unset SCHAKEL_DIR SCHAKEL_DEV_CLOCK_OFFSET_MS

D=$(mktemp -d /tmp/schakel-demo.XXXXXX)
chmod 700 "$D"
LOG=$D/demo.log
PIDS=()
STOPPED=0

# stop: SIGTERM to every server (each drains and exits 0), up to 15 s,
# then SIGKILL for any still there; the data dir goes with them. Returns 1
# when a server did not exit cleanly.
stop() {
	local p rc=0 i st
	[ "$STOPPED" = 1 ] && return 0
	STOPPED=1
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] || continue
		for i in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$p" 2>/dev/null; then
			echo "demo: process $p did not stop on SIGTERM; killed" >&2
			kill -KILL "$p" 2>/dev/null || true
			rc=1
		fi
		st=0
		wait "$p" 2>/dev/null || st=$?
		if [ "$st" != 0 ]; then echo "demo: process $p exited with status $st" >&2; rc=1; fi
	done
	if [ "$rc" != 0 ] && [ -s "$LOG" ]; then
		echo "demo: the servers' last words:" >&2
		tail -5 "$LOG" >&2
	fi
	rm -rf "$D"
	return "$rc"
}
on_exit() {
	local rc=$?
	stop || { [ "$rc" = 0 ] && rc=1; }
	exit "$rc"
}
trap on_exit EXIT
trap 'echo; echo "Stopping the federation."; exit 0' INT TERM
cd "$D"

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
# tell TEXT...: one paragraph, wrapped
tell() { local IFS=' '; printf '%s\n' "$*" | fold -s -w 78 | sed 's/ *$//'; }

# shown ARG...: the command line as one would type it
shown() {
	local a out=""
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./:,=@+-]* | "") out+=" '${a//\'/\'\\\'\'}'" ;;
		*) out+=" $a" ;;
		esac
	done
	printf '%s' "${out# }"
}

# run MAXLINES CMD...: shows the command and up to MAXLINES lines of its
# output (0: none); stops the demo when it fails. Sets OUT to the output.
run() {
	local max=$1 n rc=0
	shift
	printf '  $ %s\n' "$(shown "$@")"
	OUT=$("$@" 2>>"$LOG") || rc=$?
	if [ "$rc" != 0 ]; then
		echo "demo: this step failed (exit $rc):" >&2
		tail -3 "$LOG" >&2
		exit 1
	fi
	[ "$max" = 0 ] && return 0
	n=$(printf '%s\n' "$OUT" | grep -c . || true)
	printf '%s\n' "$OUT" | grep . | head -n "$max" | sed 's/^/      /' || true
	if [ "$n" -gt "$max" ]; then echo "      … ($((n - max)) more lines)"; fi
}
# refused CMD...: shows the command and the sentence it is refused with;
# stops the demo when it is not refused.
refused() {
	local msg
	printf '  $ %s\n' "$(shown "$@")"
	if msg=$("$@" 2>&1 >/dev/null); then
		echo "demo: this should have been refused" >&2
		exit 1
	fi
	printf '%s\n' "$msg" | grep -v -e '--dev' | head -n 2 | sed 's/^/      refused: /'
}
# quiet CMD...: the same, without showing anything
quiet() { "$@" >/dev/null 2>>"$LOG" || { echo "demo: failed: $(shown "$@")" >&2; tail -3 "$LOG" >&2; exit 1; }; }

# serve NAME CMD...: starts a server in the background, waits for its
# 'listening on' line; sets ADDR, and HTTP to the 'witness/tiles listening
# on' address when it printed one.
serve() {
	local name=$1 out="$D/$1.out"
	shift
	printf '  $ %s &\n' "$(shown "$@")"
	# a session of its own: Ctrl-C reaches only this script, whose cleanup
	# then sends each server exactly one SIGTERM (a second signal while it
	# drains would kill it)
	: >"$out" # exists before the first read below, however late the server starts
	setsid "$@" >"$out" 2>>"$LOG" &
	PIDS+=($!)
	for _ in $(seq 150); do
		ADDR=$(sed -n 's/^listening on //p' "$out")
		if [ -n "$ADDR" ]; then
			HTTP=$(sed -n 's/^[a-z]* listening on //p' "$out")
			sed 's/^/      /' "$out"
			return 0
		fi
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "demo: $name did not start:" >&2
	tail -3 "$LOG" >&2
	exit 1
}

BSN=111222333   # the shared client: a valid test BSN (elfproef), synthetic
say "schakel demo: a federation on 127.0.0.1"
tell "Everything runs in $D with unwrapped keys (--dev): a demo, never real data." \
	"Each step shows the real command and (part of) its real output."

# ---- the federation -----------------------------------------------------
say "1. The federation operator sets up the authority and the registry"
tell "The regional cooperation creates the federation authority (CA) in its own" \
	"directory, kept apart from the registry, and starts the registry."
run 1 schakel-registry ca-init --ca ca --name "Regio Midden (demo)" --dev
run 1 schakel-registry init --dir registry --name demo.schakel.example/registry --ca ca \
	--host 127.0.0.1 --host localhost --dev
serve registry schakel-registry serve --dir registry --listen 127.0.0.1:0 --tiles 127.0.0.1:0 --dev
REG_ADDR=$ADDR TILES=$HTTP

say "2. Two pseudonymisers, run by two other parties, join; they are also the witnesses"
tell "Tokens come from a chain of two pseudonymisers (the GGD and the gemeente's" \
	"ICT service in this story). Neither sees a BSN; each also cosigns the" \
	"registry's checkpoints as a witness, so the registry cannot show members" \
	"different histories."
CHAIN=() WITNESSES=()
for p in ps-ggd ps-gemeente; do
	run 0 schakel-pseudonymiser init --dir $p --org-id $p --name "Pseudonymiser $p" --dev
	run 1 schakel-registry enrol --dir registry --ca ca --request $p/enrol-request --out $p.bundle --dev
	run 1 schakel-pseudonymiser join --dir $p --bundle $p.bundle --dev
	serve $p schakel-pseudonymiser serve --dir $p --listen 127.0.0.1:0 --witness-listen 127.0.0.1:0 --sync-seconds 1 --dev
	CHAIN+=(--pseudonymiser "$p@$ADDR")
	WITNESSES+=(--witness "$p@https://$HTTP")
done

say "3. Three organisations enrol, with dual control"
tell "A sociaal wijkteam, a ggz provider and a verslavingszorg provider each run a" \
	"node. The federation operator admits each one (enrol, naming the chain and the" \
	"witnesses, quorum 2), and each pseudonymiser operator separately allows it:" \
	"without both, a node gets no tokens."
ORGS=(wijkteam-zuid ggz-stad vz-regio)
declare -A NAME=([wijkteam-zuid]="Sociaal wijkteam Zuid" [ggz-stad]="GGZ Stad"
	[vz-regio]="Verslavingszorg Regio")
declare -A CAT=([wijkteam-zuid]=sociaal-team [ggz-stad]=ggz [vz-regio]=verslavingszorg)
for org in "${ORGS[@]}"; do
	run 0 schakel-node init --dir $org --org-id $org --name "${NAME[$org]}" --category "${CAT[$org]}" --dev
	run 1 schakel-registry enrol --dir registry --ca ca --request $org/enrol-request --out $org.bundle \
		"${CHAIN[@]}" "${WITNESSES[@]}" --quorum 2 --dev
	for p in ps-ggd ps-gemeente; do run 1 schakel-pseudonymiser allow --dir $p --org $org --dev; done
	run 1 schakel-node join --dir $org --bundle $org.bundle --dev
done
run 6 schakel-registry members --dir registry --dev

say "4. Each organisation adds its professionals and its (synthetic) residents"
run 1 schakel-node professional add --dir wijkteam-zuid --id anna --name "Anna de Vries" --role wijkcoach \
	--phone 030-1234567 --email anna@wijkteam-zuid.example --dev
run 1 schakel-node professional add --dir ggz-stad --id bram --name "Bram Jansen" --role spv \
	--phone 030-7654321 --email b.jansen@ggz-stad.example --dev
run 1 schakel-node professional add --dir ggz-stad --id fenna --name "Fenna Visser" --role fg \
	--role-kind privacy-officer --dev
run 1 schakel-node professional add --dir vz-regio --id cees --name "Cees Bakker" --role casemanager \
	--phone 030-1112223 --dev
# a few other residents, so that no node holds just the one client
for spec in wijkteam-zuid:908301662 wijkteam-zuid:131860914 ggz-stad:390996038 vz-regio:948219932; do
	quiet schakel-node client add --dir "${spec%%:*}" --bsn "${spec#*:}" --dev
done
run 1 schakel-node client add --dir wijkteam-zuid --bsn $BSN --name "J. Modaal (synthetic)" --dev
run 1 schakel-node client add --dir ggz-stad --bsn $BSN --name "J. Modaal (synthetic)" --dev
run 1 schakel-node client add --dir vz-regio --bsn $BSN --dev
run 4 schakel-node client list --dir wijkteam-zuid --dev

echo; tell "Each organisation's administrator puts it on the sociale kaart (the regional" \
	"directory): what it offers, where, how to refer, the waiting time and its" \
	"wegwijzers. The record is signed by the organisation and kept in the registry's log."
cat >kaart-wijkteam-zuid.json <<'JSON'
{"municipalities": ["Zeist"], "services": ["maatschappelijk-werk", "schuldhulp", "opvoedondersteuning"],
 "target_groups": ["volwassenen", "gezinnen"], "how_to_refer": "Bel de wegwijzer",
 "waiting_weeks": 1, "wegwijzers": [{"name": "Anna de Vries", "role": "wegwijzer", "phone": "030-1234567"}]}
JSON
cat >kaart-ggz-stad.json <<'JSON'
{"municipalities": ["Zeist", "Utrecht"], "services": ["ggz", "crisis"], "target_groups": ["volwassenen"],
 "services_text": "Behandeling bij angst, depressie en psychose", "how_to_refer": "Via de huisarts",
 "waiting_weeks": 6, "wegwijzers": [{"name": "Bram Jansen", "role": "SPV", "phone": "030-7654321"}]}
JSON
cat >kaart-vz-regio.json <<'JSON'
{"municipalities": ["Zeist", "Utrecht", "De Bilt"], "services": ["verslavingszorg", "schuldhulp"],
 "target_groups": ["volwassenen", "jongvolwassenen"], "how_to_refer": "Aanmelden via het algemene nummer",
 "waiting_weeks": 3, "wegwijzers": [{"name": "Cees Bakker", "role": "casemanager", "phone": "030-1112223"}]}
JSON
for org in "${ORGS[@]}"; do
	run 1 schakel-node directory publish --dir $org --file kaart-$org.json --as admin --dev
done

# ---- the story ------------------------------------------------------------
say "5. Anna, wijkcoach at the sociaal wijkteam, registers her involvement"
tell "Her client agrees to be found by partners, to share Anna's work contact and to" \
	"take part in case discussions. Only a pseudonymised token with these flags" \
	"leaves the node: no BSN, no name."
run 1 schakel-node case open --dir wijkteam-zuid --client $BSN --as anna \
	--consent discover,contact,discuss --categories all --dev

say "6. Bram, SPV at GGZ Stad, has the same resident in treatment"
tell "The client agrees that the sociaal wijkteam and verslavingszorg may find GGZ Stad."
run 1 schakel-node case open --dir ggz-stad --client $BSN --as bram \
	--consent discover,contact,discuss --categories sociaal-team,verslavingszorg --dev
echo; tell "Cees at Verslavingszorg Regio is involved too, but his client only agrees to" \
	"case discussions: his organisation can be invited, never discovered."
run 1 schakel-node case open --dir vz-regio --client $BSN --as cees \
	--consent discuss --categories sociaal-team --dev

say "7. The nodes sync: they discover they share a client"
tell "Each node verifies the registry's signed log (checkpoints cosigned by both" \
	"witnesses) and fetches its mailbox: a match notification on both sides."
for org in "${ORGS[@]}"; do run 0 schakel-node sync --dir $org --dev; done
run 6 schakel-registry checkpoint --dir registry --cosigned --dev
run 3 schakel-node matches --dir wijkteam-zuid --dev
run 3 schakel-node matches --dir ggz-stad --dev
echo; tell "The same sync fetched the sociale kaart, every record's signature and place in" \
	"the log checked. Anna looks for debt help in Zeist:"
run 12 schakel-node directory search --dir wijkteam-zuid --service schuldhulp --municipality Zeist --as anna --dev

say "8. Anna looks up who else is involved, to align care (purpose: afstemming)"
tell "She sees GGZ Stad with Bram's work contact (opened with a key only the BSN" \
	"gives). Verslavingszorg Regio does not appear, and nothing says it exists."
run 4 schakel-node lookup --dir wijkteam-zuid --client $BSN --as anna --purpose afstemming --dev
run 0 schakel-node sync --dir ggz-stad --dev
tell "GGZ Stad's node is told who looked, and why:"
run 3 schakel-node notices --dir ggz-stad --dev

say "9. Anna invites partners to an anonymous case discussion (casusoverleg)"
tell "Only the topic and a time window go out, to every organisation whose entry" \
	"takes discussions; not who asks, not what about."
run 1 schakel-node discuss request --dir wijkteam-zuid --client $BSN --as anna --topic afstemming --dev
ID=$OUT
for org in ggz-stad vz-regio; do run 0 schakel-node sync --dir $org --dev; done
run 3 schakel-node discuss list --dir ggz-stad --dev
run 3 schakel-node discuss list --dir vz-regio --dev

say "10. Bram accepts; Cees declines (a decline is never shown)"
run 1 schakel-node discuss accept "$ID" --dir ggz-stad --as bram --dev
run 1 schakel-node discuss decline "$ID" --dir vz-regio --as cees --dev
run 0 schakel-node sync --dir wijkteam-zuid --dev
run 4 schakel-node discuss list --dir wijkteam-zuid --dev

say "11. Anna sends the summary; Bram replies"
tell "Messages are signed by the sending organisation and sealed to each participant;" \
	"the registry routes ciphertext only. A text with a BSN in it is refused."
printf '%s\n' "Alleenstaande man, oplopende schulden en een dreigende huisuitzetting." \
	"Hij is somber en drinkt meer. Wie neemt de regie?" >summary.txt
printf '%s\n' "Wij behandelen hem voor depressieve klachten en kennen het netwerk." \
	"GGZ Stad neemt de regie; wij plannen een gezamenlijk gesprek." >reply.txt
printf '%s\n' "Het gaat om de cliënt met BSN $BSN." >bsn.txt
refused schakel-node discuss send "$ID" --dir wijkteam-zuid --as anna --text-file bsn.txt --dev
run 0 schakel-node discuss send "$ID" --dir wijkteam-zuid --as anna --text-file summary.txt --dev
run 0 schakel-node sync --dir ggz-stad --dev
run 0 schakel-node discuss send "$ID" --dir ggz-stad --as bram --text-file reply.txt --dev
run 0 schakel-node sync --dir wijkteam-zuid --dev
run 14 schakel-node discuss show "$ID" --dir wijkteam-zuid --as anna --dev

say "12. They agree: GGZ Stad (Bram) takes regie"
tell "Anna closes the discussion naming the regievoerder and the next steps. Bram's" \
	"node republishes its entry with the regie flag at its next sync, and the" \
	"registry purges the discussion's ciphertext."
run 0 schakel-node discuss close "$ID" --dir wijkteam-zuid --as anna --regie ggz-stad:bram \
	--outcome "GGZ Stad (Bram) neemt regie; schuldhulp via het wijkteam; evaluatie over zes weken" --dev
run 0 schakel-node sync --dir ggz-stad --dev
run 4 schakel-node lookup --dir wijkteam-zuid --client $BSN --as anna --purpose regie --dev
grep -q regievoerder <<<"$OUT" || { echo "demo: the lookup does not show the regievoerder" >&2; exit 1; }
run 0 schakel-node sync --dir ggz-stad --dev

say "13. A stuck case at the casustafel"
tell "Anna's wijkteam hosts a standing case table ('Casustafel Zuid') with GGZ Stad" \
	"and Verslavingszorg Regio; Anna is its procesregisseur. The definition and each" \
	"membership are signed records in the registry's log; every node checks them."
run 1 schakel-node table create --dir wijkteam-zuid --as anna --name "Casustafel Zuid" \
	--member ggz-stad --member vz-regio --rhythm "elke tweede dinsdag" --dev
TABLE=$OUT
for org in ggz-stad vz-regio; do run 0 schakel-node sync --dir $org --dev; done
run 0 schakel-node table join "$TABLE" --dir ggz-stad --as bram --dev
run 0 schakel-node table join "$TABLE" --dir vz-regio --as cees --dev
run 0 schakel-node sync --dir wijkteam-zuid --dev
run 6 schakel-node table list --dir wijkteam-zuid --dev
echo; tell "Cees is stuck: nobody coordinates. He brings the case anonymously: a question," \
	"life domains, urgency, what was tried, which kinds of parties are involved." \
	"His client consented to case discussion, so he may attach a tag (a keyed hash" \
	"of the client's token for this one case, never the token) with --client."
printf '%s\n' "Vraag: Wie neemt de regie? Meerdere partijen, niemand coördineert." \
	"Leefgebieden: wonen, financien, verslaving, psychische-gezondheid" "Urgentie: hoog" \
	"Geprobeerd: Schuldhulp aangeboden; afgehouden. Huisbezoek lukte niet." \
	"Betrokken: ggz, sociaal-team, schuldhulp" >casus.txt
run 1 schakel-node table submit "$TABLE" --dir vz-regio --as cees --client $BSN --text-file casus.txt --dev
CASE=$OUT
for org in wijkteam-zuid ggz-stad; do run 0 schakel-node sync --dir $org --dev; done
run 3 schakel-node table agenda "$TABLE" --dir ggz-stad --dev
tell "Bram reads the case. His node recognised the tag among its own clients, so" \
	"only he (assigned to that client) sees that he is already involved; Cees, the" \
	"registry and the other members learn nothing of it."
run 14 schakel-node table show "$CASE" --dir ggz-stad --as bram --dev
echo; tell "Anna, the procesregisseur, puts it on the agenda; after the meeting she records" \
	"the outcome: GGZ Stad (Bram) takes regie, routed to ggz, a breakthrough."
run 1 schakel-node table schedule "$CASE" --dir wijkteam-zuid --as anna --date 2026-12-15 --dev
run 1 schakel-node table outcome "$CASE" --dir wijkteam-zuid --as anna --regie ggz-stad:bram \
	--routed-to ggz --outcome "GGZ Stad neemt regie; huisbezoek samen met het wijkteam" \
	--breakthrough yes --evaluate 2027-02-01 --dev
for org in vz-regio ggz-stad; do run 0 schakel-node sync --dir $org --dev; done
tell "Cees, who brought the case, receives the outcome:"
run 14 schakel-node table show "$CASE" --dir vz-regio --as cees --dev
tell "The table's figures, without identities:"
run 8 schakel-node table stats "$TABLE" --dir wijkteam-zuid --dev

say "14. The privacy officers (FG) verify the audit logs; Fenna at GGZ Stad answers the client"
tell "At each organisation the hash chain is recomputed, the last anchor in the" \
	"registry's log checked, and every action the registry recorded for that" \
	"organisation matched to a local record."
for org in "${ORGS[@]}"; do run 3 schakel-node audit verify --dir $org --reconcile --dev; done
echo; tell "The resident asks who used their data (AVG art. 15). The report, in Dutch by" \
	"default, lists GGZ Stad's own actions and the organisations that learned" \
	"through the federation that GGZ Stad is involved:"
run 30 schakel-node audit report --dir ggz-stad --client $BSN --dev
echo; tell "The federation operator checks the registry's own access log too:"
run 2 schakel-registry audit verify --dir registry --dev

# ---- the web pages ------------------------------------------------------------
say "The web pages: the same work in a browser"
tell "Professionals and privacy officers do not need a terminal. The admin sets" \
	"passwords; 'serve' then serves web pages and the JSON API they use, on the" \
	"organisation's own network (here 127.0.0.1)."
PW="demo-wachtwoord-2026"   # synthetic; never a real password
printf '  $ echo ... | %s\n' "$(shown schakel-node professional passwd --dir wijkteam-zuid --id anna --dev)"
printf '%s\n' "$PW" | schakel-node professional passwd --dir wijkteam-zuid --id anna --dev 2>>"$LOG" |
	sed 's/^/      /'
printf '  $ echo ... | %s\n' "$(shown schakel-node professional passwd --dir ggz-stad --id fenna --dev)"
printf '%s\n' "$PW" | schakel-node professional passwd --dir ggz-stad --id fenna --dev 2>>"$LOG" |
	sed 's/^/      /'
serve web-wijkteam schakel-node serve --dir wijkteam-zuid --web 127.0.0.1:0 --sync-seconds 10 --dev
WEB_WIJK=$ADDR
serve web-ggz schakel-node serve --dir ggz-stad --web 127.0.0.1:0 --sync-seconds 10 --dev
WEB_GGZ=$ADDR
tell "Anna signs in (here with curl's JSON; in a browser it is a form) and her" \
	"cases come back through the same API the pages use:"
JAR="$D/anna.cookies"
run 6 curl -s -c "$JAR" -H 'Content-Type: application/json' \
	-d "{\"professional\":\"anna\",\"password\":\"$PW\"}" "http://$WEB_WIJK/api/session"
run 3 curl -s -b "$JAR" -o /dev/null -w '%{http_code} %{content_type}\n' "http://$WEB_WIJK/cases"

# ---- the end -----------------------------------------------------------------
if [ -t 0 ]; then
	say "The federation keeps running. Try it by hand in another terminal:"
	cat <<EOF
  export PATH="$BIN/registry:$BIN/pseudonymiser:$BIN/node:\$PATH"
  cd $D
  schakel-node lookup --dir ggz-stad --client $BSN --as bram --purpose afstemming --dev
  schakel-node discuss request --dir ggz-stad --client $BSN --as bram --topic afstemming --dev
  schakel-node sync --dir wijkteam-zuid --dev && schakel-node discuss list --dir wijkteam-zuid --dev
  schakel-node audit query --dir wijkteam-zuid --client $BSN --dev
  schakel-node audit review --dir ggz-stad --dev
  schakel-registry members --dir registry --dev
  curl -s --cacert ca/ca.pem https://$TILES/checkpoint   # the log as C2SP tlog-tiles
  web pages: http://$WEB_WIJK/ (anna) and http://$WEB_GGZ/ (fenna, privacy officer),
             password $PW
  registry: $REG_ADDR   pseudonymisers: ${CHAIN[*]//--pseudonymiser /}
Press Ctrl-C to stop the federation (everything in $D is removed).
EOF
	while true; do sleep 1; done
fi
say "Done. Run 'make demo' in a terminal to keep the federation running and try it by hand."
tell "Stopping the federation (no terminal)."
