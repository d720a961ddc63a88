#!/usr/bin/env bash
# A demo federation on 127.0.0.1: a registry, two pseudonymisers run by
# different parties, and three organisations' nodes. Shows two
# professionals finding out they share a client. Keys are unwrapped (--dev):
# a demo, never real data. Ctrl-C stops it; without a terminal it stops by
# itself after the story.
set -euo pipefail
BIN=${1:-build}
REG=$BIN/registry/schakel-registry PS=$BIN/registry/schakel-pseudonymiser NODE=$BIN/node/schakel-node
for b in "$REG" "$PS" "$NODE"; do [ -x "$b" ] || { echo "demo: $b is missing; run make" >&2; exit 1; }; done
REG=$(realpath "$REG") PS=$(realpath "$PS") NODE=$(realpath "$NODE")
D=$(mktemp -d /tmp/schakel-demo.XXXXXX)
chmod 700 "$D"
PIDS=()
stop() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap stop EXIT
trap 'echo; echo "stopping the federation"; exit 0' INT TERM
cd "$D"
q() { "$@" --dev >/dev/null 2>>"$D/demo.log"; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
serve() { # NAME CMD...: starts a server, prints nothing, sets ADDR
	local out="$D/$1.out"
	shift
	"$@" --dev --listen 127.0.0.1:0 >"$out" 2>>"$D/demo.log" &
	PIDS+=($!)
	for _ in $(seq 100); do
		ADDR=$(sed -n 's/^listening on //p' "$out")
		[ -n "$ADDR" ] && return 0
		sleep 0.1
	done
	echo "demo: a server did not start; see $D/demo.log" >&2
	exit 1
}

say "The federation operator sets up the authority and the registry."
q "$REG" ca-init --ca ca --name "Regio Utrecht (demo)"
q "$REG" init --dir registry --name demo.schakel/registry --ca ca
serve registry "$REG" serve --dir registry
echo "  registry listening on $ADDR"

say "Two pseudonymisers, run by different parties, join the chain."
CHAIN=()
for p in ps-ggd ps-gemeente; do
	q "$PS" init --dir $p --org-id $p --name "Pseudonymiser $p"
	q "$REG" enrol --dir registry --ca ca --request $p/enrol-request --out $p.bundle
	q "$PS" join --dir $p --bundle $p.bundle
	serve $p "$PS" serve --dir $p
	CHAIN+=(--pseudonymiser "$p@$ADDR")
	echo "  $p listening on $ADDR"
done

say "Three organisations enrol: a sociaal wijkteam, a ggz provider, a verslavingszorg provider."
for spec in wijkteam-zuid:sociaal-team:"Sociaal wijkteam Zuid" altrecht:ggz:"Altrecht" tactus:verslavingszorg:"Tactus"; do
	IFS=: read -r org cat name <<<"$spec"
	q "$NODE" init --dir $org --org-id $org --name "$name" --category $cat
	q "$REG" enrol --dir registry --ca ca --request $org/enrol-request --out $org.bundle "${CHAIN[@]}"
	for p in ps-ggd ps-gemeente; do q "$PS" allow --dir $p --org $org; done
	q "$NODE" join --dir $org --bundle $org.bundle
	echo "  $name ($cat) joined"
done
q "$NODE" professional add --dir wijkteam-zuid --id anna --name "Anna de Vries" --role wijkcoach --phone 030-1234567 --email anna@wijkteam.example
q "$NODE" professional add --dir altrecht --id bram --name "Bram Jansen" --role spv --phone 030-7654321
q "$NODE" professional add --dir tactus --id cees --name "Cees Bakker" --role verslavingsarts

say "Anna (wijkteam) registers her client, with consent to be found and contacted."
q "$NODE" client add --dir wijkteam-zuid --bsn 111222333 --name "J. Modaal (synthetic)"
q "$NODE" case open --dir wijkteam-zuid --client 111222333 --as anna --consent discover,contact,discuss --categories all
echo "  only a pseudonymised token with consent flags leaves the wijkteam's node"

say "Bram (Altrecht, ggz) registers the same resident, who consents to being found."
q "$NODE" client add --dir altrecht --bsn 111222333 --name "J. Modaal (synthetic)"
q "$NODE" case open --dir altrecht --client 111222333 --as bram --consent discover,contact --categories sociaal-team

say "Both nodes sync with the registry; each verifies the signed log."
q "$NODE" sync --dir wijkteam-zuid
q "$NODE" sync --dir altrecht
echo "  wijkteam-zuid:"; "$NODE" matches --dir wijkteam-zuid --dev 2>/dev/null | sed 's/^/    /'
echo "  altrecht:"; "$NODE" matches --dir altrecht --dev 2>/dev/null | sed 's/^/    /'

say "Bram looks up the client to align care; he sees Anna's work contact."
"$NODE" lookup --dir altrecht --client 111222333 --as bram --purpose afstemming --dev 2>/dev/null | sed 's/^/    /'
q "$NODE" sync --dir wijkteam-zuid
echo "  and the wijkteam's node records who looked:"
"$NODE" notices --dir wijkteam-zuid --dev 2>/dev/null | sed 's/^/    /'

say "Tactus has the client under a statutory basis (meldcode): it can be invited to a discussion, never discovered."
q "$NODE" client add --dir tactus --bsn 111222333
q "$NODE" case open --dir tactus --client 111222333 --as cees --basis statutory:meldcode --categories sociaal-team,ggz
"$NODE" lookup --dir tactus --client 111222333 --as cees --purpose signaal --dev 2>/dev/null | sed 's/^/    /'

if [ -t 0 ]; then
	say "The federation keeps running. Try it by hand in another terminal, e.g.:"
	echo "    $NODE lookup --dir $D/altrecht --client 111222333 --as bram --purpose afstemming --dev"
	echo "    $REG members --dir $D/registry --dev"
	echo "Press Ctrl-C to stop."
	while true; do sleep 3600; done
fi
say "Done (no terminal: the federation is stopped)."
