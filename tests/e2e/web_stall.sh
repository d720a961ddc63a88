# No head-of-line blocking in `serve --web` (docs/web.md, "Threads"): a
# real node whose registry is stopped with SIGSTOP (it accepts connections
# and never answers) while lookups hang on it. Pages of two professionals
# answer within 1 s; with every remote slot taken one more lookup gets the
# registry's message at once; the hanging lookups end after the 15 s
# deadline with "De verwijsindex is nu niet bereikbaar; ..." (JSON 503/504,
# and on the case page after a form post); after SIGCONT pages and lookups
# answer again and no request was lost. Then exports: streamed whole, and
# two clients that read nothing hold the export workers only until they
# go away (tests/web/stall.py).
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"

cd "$T"
web_federation
serve_a
ok "two organisations; $ORG_A serving its pages on $BASE"

WEB_BASE=$BASE WEB_BSN=$BSN WEB_REG_PID=$REG_PID \
	WEB_PROF=$PROF WEB_PROF_PW="$PROF_PW" WEB_PROF2=$PROF2 WEB_PROF2_PW="$PROF2_PW" \
	WEB_PO=$PO WEB_PO_PW="$PO_PW" \
	timeout 200 python3 "$WEB_SRC/stall.py" || {
	kill -CONT "$REG_PID" 2>/dev/null
	fail "pages behind a stalled registry (serve log $T/serve.log)"
}

grep -q "an audit export stopped after" "$T/serve.log" ||
	fail "the exports whose clients went away did not stop (serve log $T/serve.log)"
ok "the exports whose clients went away stopped (serve log)"

stop_serve
no_secrets_in_logs
ok "no password and no BSN in the node's stderr"
