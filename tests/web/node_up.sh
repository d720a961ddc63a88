# Shared by tests/e2e/web.sh, web_security.sh and web_tls.sh (after
# tests/e2e/lib.sh): a federation of two organisations, wijkteam (A) and
# altrecht (B), on 127.0.0.1, A's node serving its web pages, and the
# browser.
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}"

node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
nodex() { "$SK_NODE" "$@" --dev 2>&1; } # with the diagnostics

# Professionals and their passwords. PO is A's privacy officer; PROF2 a
# second professional at A; PROFB altrecht's professional (CLI only).
ORG_A=wijkteam ORG_B=altrecht
PROF=anna PROF_NAME="Anna de Vries" PROF_PW='anna-wachtwoord-7Qx!'
PROF2=bea PROF2_NAME="Bea Bakker" PROF2_PW='bea-wachtwoord-3Kz#'
PO=piet PO_NAME="Piet Privacy" PO_PW='piet-wachtwoord-9Lm%'
PROFB=bram
BSN=111222333

# passwd DIR ID PASSWORD: sets a password as docs/web.md says, one line on
# standard input.
passwd() {
	printf '%s\n' "$3" | "$SK_NODE" professional passwd --dir "$1" --id "$2" --dev \
		>/dev/null 2>>"$T/passwd.log" || fail "professional passwd $2: $(tail -3 "$T/passwd.log")"
}

# web_federation: registry, chain, the two nodes, professionals with
# passwords at A (one a privacy officer) and client BSN registered at both.
web_federation() {
	federation_up $ORG_A:sociaal-team $ORG_B:ggz
	node professional add --dir $ORG_A --id $PROF --name "$PROF_NAME" --role wijkcoach \
		--phone 030-1234567 >/dev/null || fail "professional add $PROF"
	node professional add --dir $ORG_A --id $PROF2 --name "$PROF2_NAME" --role wijkcoach \
		>/dev/null || fail "professional add $PROF2"
	node professional add --dir $ORG_A --id $PO --name "$PO_NAME" --role privacy-officer \
		>/dev/null || fail "professional add --role privacy-officer: $(tail -3 "$T/node.log")"
	node professional add --dir $ORG_B --id $PROFB --name "Bram Jansen" --role spv \
		--phone 030-7654321 >/dev/null || fail "professional add $PROFB"
	local kind
	kind=$(node professional list --dir $ORG_A --json | python3 -c "
import json,sys; print([p['kind'] for p in json.load(sys.stdin) if p['id']=='$PO'][0])")
	[ "$kind" = privacy-officer ] ||
		fail "'professional add --role privacy-officer' (docs/web.md) made $PO a '$kind', not a privacy officer"
	passwd $ORG_A $PROF "$PROF_PW"
	passwd $ORG_A $PROF2 "$PROF2_PW"
	passwd $ORG_A $PO "$PO_PW"
	node client add --dir $ORG_A --bsn $BSN --name "Jan Modaal" >/dev/null || fail "client at A"
	node client add --dir $ORG_B --bsn $BSN --name "Jan Modaal" >/dev/null || fail "client at B"
}

# serve_a [serve options...]: A's node serving its pages with a sync every
# second; sets SERVE_PID, SERVE_OUT (its stdout) and BASE (http://HOST:PORT,
# https:// when it printed a TLS certificate's fingerprint). Its diagnostics
# go to $T/serve.log.
serve_a() {
	local out="$T/serve.$RANDOM.out" scheme=http
	"$SK_NODE" serve --dir $ORG_A --web 127.0.0.1:0 --sync-seconds 1 --dev "$@" >"$out" \
		2>>"$T/serve.log" &
	SERVE_PID=$!
	SERVE_OUT=$out
	PIDS+=("$SERVE_PID")
	for _ in $(seq 200); do
		if grep -q '^listening on ' "$out"; then
			grep -q '^TLS certificate SHA-256 fingerprint ' "$out" && scheme=https
			BASE="$scheme://$(sed -n 's/^listening on //p' "$out")"
			return 0
		fi
		kill -0 "$SERVE_PID" 2>/dev/null || fail "node serve exited: $(tail -5 "$T/serve.log")"
		sleep 0.1
	done
	fail "node serve did not print 'listening on HOST:PORT'"
}

# browser_up: Debian's chromium and playwright-core with axe-core from
# tests/web/package-lock.json, npm ci'd into the build dir once (tests/web
# there: web/ is the library's) and again only when the lock changed; sets
# CHROMIUM and MODULES. Missing tools fail, never skip.
browser_up() {
	: "${SK_BUILD_DIR:?the build dir (tests/CMakeLists.txt sets it)}"
	CHROMIUM=/usr/bin/chromium
	type -P node >/dev/null || fail "node is missing (scripts/deps.sh installs nodejs)"
	type -P npm >/dev/null || fail "npm is missing (scripts/deps.sh installs npm)"
	[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (scripts/deps.sh installs chromium; make deps as root)"
	"$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1 || fail "$CHROMIUM does not run"
	MODULES=$SK_BUILD_DIR/tests/web
	mkdir -p "$MODULES"
	if ! cmp -s "$WEB_SRC/package-lock.json" "$MODULES/installed.lock" ||
		[ ! -d "$MODULES/node_modules/playwright-core" ] || [ ! -d "$MODULES/node_modules/axe-core" ] ||
		[ ! -d "$MODULES/node_modules/oidc-provider" ]; then
		rm -f "$MODULES/installed.lock"
		cp "$WEB_SRC/package.json" "$WEB_SRC/package-lock.json" "$MODULES/"
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$MODULES" --no-audit --no-fund \
			>"$T/npm.log" 2>&1 || fail "npm ci in $MODULES: $(tail -5 "$T/npm.log")"
		cp "$WEB_SRC/package-lock.json" "$MODULES/installed.lock"
	fi
	ok "chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}'), playwright-core, axe-core and oidc-provider in $MODULES"
}

# stop_serve: SIGTERM, and serve must exit 0.
stop_serve() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || fail "node serve did not exit 0 on SIGTERM: $(tail -5 "$T/serve.log")"
}

# no_secrets_in_logs: no password and no BSN in what the node wrote to
# stderr while serving or setting passwords.
no_secrets_in_logs() {
	local s f
	for f in "$T/serve.log" "$T/passwd.log"; do
		[ -f "$f" ] || continue
		for s in "$PROF_PW" "$PROF2_PW" "$PO_PW" "${EXTRA_SECRETS[@]}" "$BSN"; do
			grep -qF -- "$s" "$f" && fail "a password or BSN in $(basename "$f"): $(grep -nF -- "$s" "$f" | head -3)"
		done
	done
	return 0
}
EXTRA_SECRETS=()
