#!/usr/bin/env bash
# bench/run.sh's webstall figures (BENCH_ONLY=webstall): a real node
# (tests/web/node_up.sh's federation) serving its pages to 200 signed-in
# sessions of 20 professionals, each with a case, while one lookup hangs on
# the stopped registry (bench/webstall.py). Prints the load client's JSON.
#   SK_REGISTRY=... SK_NODE=... SK_PSEUDONYMISER=... SK_TESTNODE=... \
#     bench/webstall.sh [SESSIONS [SECONDS]]
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../tests/e2e/lib.sh"
source "$HERE/../tests/web/node_up.sh"
SESSIONS=${1:-200} SECONDS_=${2:-20}

cd "$T"
web_federation >&2
serve_a >&2
people=$T/people
: >"$people"
for i in $(seq 1 20); do
	id=prof$i pw="bench-wachtwoord-$i-xQ!"
	node professional add --dir $ORG_A --id $id --name "Professional $i" --role wijkcoach \
		>/dev/null || fail "professional add $id"
	passwd $ORG_A $id "$pw"
	# a case of the client for each, opened by the CLI
	case=$(node case open --dir $ORG_A --client $BSN --as $id --consent discover,contact,discuss \
		--categories all --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
		fail "case open for $id: $(tail -3 "$T/node.log")"
	echo "$id $pw $case" >>"$people"
done
WEB_BASE=$BASE WEB_REG_PID=$REG_PID WEB_SERVE_PID=$SERVE_PID python3 "$HERE/webstall.py" "$people" "$SESSIONS" "$SECONDS_"
stop_serve
