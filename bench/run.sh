#!/usr/bin/env bash
# make bench: every figure of the bench issue in one run, each beside the
# limit it is bounded by, measured in the same run on this machine; writes
# BUILD/bench.json. Real processes over real TLS and LMDB on 127.0.0.1.
#   bench/run.sh BUILD          (BENCH_ONLY=limits,voprf,publish,lookup,onboard,caseopen,store,audit,webscale,webstall)
set -euo pipefail
B=$(cd "${1:?usage: bench/run.sh BUILD}" && pwd)
R=$B/registry/schakel-registry N=$B/node/schakel-node P=$B/pseudonymiser/schakel-pseudonymiser
TN=$B/tests/sk-testnode
T=$(mktemp -d /tmp/schakel-bench.XXXXXX)
export BENCH_OUT=$T/figures
PIDS=()
cleanup() {
	local rc=$?
	set +e # everything below runs, whatever fails
	[ $rc -eq 0 ] || { echo "bench: failed; the last diagnostics:" >&2; tail -n 5 "$T/cli.log" "$T/serve.log" 1>&2 || true; }
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
only() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
fig() { echo "$1 $2" >>"$BENCH_OUT"; printf '  %-44s %14.1f %-8s %s\n' "$1" "$2" "$3" "${4:-}"; }
reg() { "$R" "$@" --dev 2>>"$T/cli.log"; }
serve() { # serve BINARY DIR ARGS... -> sets ADDR, PID
	local out=$T/serve.$RANDOM
	: >"$out" # exists before the first read, however late the server starts
	"$1" serve --dir "$2" --dev --listen 127.0.0.1:0 "${@:3}" >"$out" 2>>"$T/serve.log" &
	PID=$!; PIDS+=("$PID")
	for _ in $(seq 300); do
		ADDR=$(sed -n 's/^listening on //p' "$out"); [ -n "$ADDR" ] && return 0; sleep 0.1
	done
	echo "bench: $1 did not start" >&2; exit 1
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
member() { # member ORG CATEGORY -> enrolled sk-testnode dir $T/ORG
	"$TN" init --dir "$T/$1" --org-id "$1" --name "Bench $1" --category "$2" >/dev/null
	reg enrol --dir "$T/r" --ca "$T/ca" --request "$T/$1/enrol-request" --out "$T/$1.bundle" >/dev/null
}
load() { "$TN" load --dir "$T/$1" --bundle "$T/$1.bundle" "${@:2}"; }

echo "schakel bench on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if only limits; then mkdir -p "$T/lim"; "$B/bench/bench_limits" "$T/lim"; rm -rf "$T/lim"; fi
only voprf && "$B/bench/bench_voprf"

if only publish || only lookup || only onboard || only caseopen; then
	reg ca-init --ca "$T/ca" --name "Bench" >/dev/null
	reg init --dir "$T/r" --name bench.example/registry --ca "$T/ca" >/dev/null
	serve "$R" "$T/r"
fi
if only publish; then
	echo "registry publish (signed, durable, acknowledged; clients on the same cores)"
	member pub ggz
	# 360,000 entries of one org: an operator's grant over the default quotas
	reg quota --dir "$T/r" --org pub --entries 10000000 --publishes-per-minute 100000000 >/dev/null
	seq=1
	for c in 1 8 64; do
		out=$(load pub --mode publish --conns $c --seconds 8 --from $seq --count 120000)
		seq=$((seq + 120000))
		fig "publish_per_s_${c}" "$(echo "$out" | json "['per_s']")" "/s" "$c TLS clients, p99 $(echo "$out" | json "['p99_ms']") ms"
	done
fi
if only lookup; then
	echo "lookups (audited, padded answers; clients on the same cores)"
	TOKEN=$(printf 'bench-token' | sha256sum | cut -c1-64)
	member look1 sociaal-team
	member partner ggz
	"$TN" publish --dir "$T/partner" --bundle "$T/partner.bundle" --seq 1 --token "$TOKEN" --categories sociaal-team >/dev/null
	"$TN" publish --dir "$T/look1" --bundle "$T/look1.bundle" --seq 1 --token "$TOKEN" --categories ggz >/dev/null
	for c in 1 64; do
		out=$(load look1 --mode lookup --conns $c --seconds 8 --token "$TOKEN")
		fig "lookup_per_s_${c}" "$(echo "$out" | json "['per_s']")" "/s" "$c connections"
		fig "lookup_p50_ms_${c}" "$(echo "$out" | json "['p50_ms']")" "ms" ""
		fig "lookup_p99_ms_${c}" "$(echo "$out" | json "['p99_ms']")" "ms" ""
	done
	# 1,000 connections: 16 organisations (at most 64 connections each)
	for i in $(seq 2 16); do
		member look$i sociaal-team
		"$TN" publish --dir "$T/look$i" --bundle "$T/look$i.bundle" --seq 1 --token "$TOKEN" --categories ggz >/dev/null
	done
	LPIDS=()
	for i in $(seq 1 16); do
		load look$i --mode lookup --conns 63 --seconds 8 --token "$TOKEN" >"$T/l1000.$i" &
		LPIDS+=($!)
	done
	for p in "${LPIDS[@]}"; do wait "$p" || true; done
	cat "$T"/l1000.* | python3 -c "
import json,sys
r=[json.loads(l) for l in sys.stdin if l.startswith('{')]
print(sum(x['per_s'] for x in r), sorted(x['p50_ms'] for x in r)[len(r)//2], max(x['p99_ms'] for x in r))" >"$T/l1000"
	read -r rate p50 p99 <"$T/l1000"
	fig lookup_per_s_1000 "$rate" "/s" "1,008 connections from 16 organisations"
	fig lookup_p50_ms_1000 "$p50" "ms" "median of the 16 clients' p50"
	fig lookup_p99_ms_1000 "$p99" "ms" "worst of the 16 clients' p99"
fi
psd() { "$P" "$@" --dev 2>>"$T/cli.log"; }
chain() { # chain ORG: ps1 and ps2 serving (started once), allowing ORG -> CHAIN
	if [ -z "${CHAIN_UP:-}" ]; then
		CHAIN=()
		for p in ps1 ps2; do
			psd init --dir "$T/$p" --org-id $p --name "Pseudonymiser $p" >/dev/null
			reg enrol --dir "$T/r" --ca "$T/ca" --request "$T/$p/enrol-request" --out "$T/$p.bundle" >/dev/null
			psd join --dir "$T/$p" --bundle "$T/$p.bundle" >/dev/null
			serve "$P" "$T/$p" --rate 1000000 --burst 1000000
			CHAIN+=(--pseudonymiser "$p@$ADDR")
		done
		CHAIN_UP=1
	fi
	psd allow --dir "$T/ps1" --org "$1" --quota 1000000/day >/dev/null
	psd allow --dir "$T/ps2" --org "$1" --quota 1000000/day >/dev/null
}
if only onboard; then
	echo "onboarding 100,000 clients through two pseudonymisers to published entries"
	chain onboard
	"$N" init --dir "$T/onboard" --org-id onboard --name "Wijkteam Bench" --category sociaal-team --dev >/dev/null 2>&1
	reg enrol --dir "$T/r" --ca "$T/ca" --request "$T/onboard/enrol-request" --out "$T/onboard.bundle" "${CHAIN[@]}" >/dev/null
	reg quota --dir "$T/r" --org onboard --entries 1000000 --publishes-per-minute 100000000 >/dev/null
	"$N" join --dir "$T/onboard" --bundle "$T/onboard.bundle" --dev >/dev/null 2>&1
	"$N" professional add --dir "$T/onboard" --id anna --name "Anna" --role wijkcoach --dev >/dev/null 2>&1
	python3 - "$T/clients.csv" <<'PY'
import random, sys
r, seen = random.Random(7), set()
with open(sys.argv[1], "w") as f:
    f.write("bsn\n")
    while len(seen) < 100000:
        d = [r.randrange(10) for _ in range(8)]
        c = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        b = "".join(map(str, d)) + str(c)
        if c < 10 and b not in seen and b != "000000000":
            seen.add(b)
            f.write(b + "\n")
PY
	t0=$(date +%s.%N)
	"$N" client import --dir "$T/onboard" --file "$T/clients.csv" --as anna --consent discover,contact,discuss \
		--categories all --dev 2>>"$T/cli.log" | sed 's/^/  /'
	t1=$(date +%s.%N)
	"$N" sync --dir "$T/onboard" --dev 2>>"$T/cli.log" | sed 's/^/  /'
	t2=$(date +%s.%N)
	fig onboarding_import_s "$(python3 -c "print($t1 - $t0)")" "s" "import, cases and tokens (2 x 100,000 evaluations)"
	fig onboarding_publish_s "$(python3 -c "print($t2 - $t1)")" "s" "sync: 100,000 entries published, receipts verified"
	fig onboarding_100k_s "$(python3 -c "print($t2 - $t0)")" "s" "from the CSV file to published entries"
fi
if only caseopen; then
	echo "one 'case open' at a node (the CLI, entry published at once; LMDB transactions and TLS connections counted by bench/callcount.c)"
	chain caseopen
	"$N" init --dir "$T/caseopen" --org-id caseopen --name "Wijkteam Bench" --category sociaal-team --dev >/dev/null 2>&1
	reg enrol --dir "$T/r" --ca "$T/ca" --request "$T/caseopen/enrol-request" --out "$T/caseopen.bundle" "${CHAIN[@]}" >/dev/null
	"$N" join --dir "$T/caseopen" --bundle "$T/caseopen.bundle" --dev >/dev/null 2>&1
	"$N" professional add --dir "$T/caseopen" --id anna --name "Anna" --role wijkcoach --dev >/dev/null 2>&1
	"$N" sync --dir "$T/caseopen" --dev >/dev/null 2>>"$T/cli.log"
	counted() { # counted LABEL WHAT BSN: one case open for BSN, counted
		local t0 t1
		t0=$(date +%s.%N)
		SK_CALLCOUNT_OUT=$T/count LD_PRELOAD=$B/bench/libsk_callcount.so "$N" case open --dir "$T/caseopen" \
			--client "$3" --as anna --consent discover,contact,discuss --categories all --dev >/dev/null 2>>"$T/cli.log"
		t1=$(date +%s.%N)
		fig "caseopen_${1}_txns" "$(awk '$1 == "txns" {print $2}' "$T/count")" "" "LMDB transactions, $2"
		fig "caseopen_${1}_txns_rw" "$(awk '$1 == "txns_rw" {print $2}' "$T/count")" "" "of them read-write"
		fig "caseopen_${1}_connections" "$(awk '$1 == "connections" {print $2}' "$T/count")" "" "TLS connections (handshakes)"
		fig "caseopen_${1}_ms" "$(python3 -c "print(1000 * ($t1 - $t0))")" "ms" "the whole command, start to exit"
	}
	"$N" client add --dir "$T/caseopen" --bsn 111222333 --name "Client Bench" --dev >/dev/null 2>>"$T/cli.log"
	counted new "a client registered, no case yet" 111222333
	counted known "a client with a case (token cached)" 111222333
fi
store_at() { # store_at N LABEL: a registry of N entries, its load, start-up, memory and size
	local d=$T/store$2
	reg init --dir "$d" --name bench.example/store --ca "$T/ca" >/dev/null
	"$TN" init --dir "$T/bulk$2" --org-id bulk --name "Bench bulk" --category ggz >/dev/null
	reg enrol --dir "$d" --ca "$T/ca" --request "$T/bulk$2/enrol-request" --out "$T/bulk$2.bundle" --registry 127.0.0.1:1 >/dev/null
	reg quota --dir "$d" --org bulk --entries 100000000 --publishes-per-minute 1000000000 >/dev/null
	"$B/bench/bench_store" "$d" "$T/bulk$2" bulk ggz "$1"
	local t0 t1
	t0=$(date +%s.%N)
	serve "$R" "$d"
	t1=$(date +%s.%N)
	fig "registry_startup_s_$2" "$(python3 -c "print($t1 - $t0)")" "s" "serve on $2 entries, to 'listening'"
	fig "registry_rss_mb_$2" "$(awk '/VmRSS/ {print $2 / 1024}' /proc/$PID/status)" "MiB" "resident memory after start-up"
	fig "registry_lmdb_mb_$2" "$(du -m "$d/data.mdb" | cut -f1)" "MiB" "data.mdb"
	kill -TERM "$PID"; wait "$PID" || true
	rm -rf "$d"
}
if only store; then
	echo "registry store (bulk loaded through the publish path)"
	[ -d "$T/ca" ] || reg ca-init --ca "$T/ca" --name "Bench" >/dev/null
	store_at 1000000 1m
	[ "${BENCH_10M:-0}" = 1 ] && store_at 10000000 10m
fi
if only audit; then mkdir -m 700 -p "$T/audit"; "$B/bench/bench_audit" "$T/audit"; rm -rf "$T/audit"; fi
if only webscale; then
	# a large provider's node: 100,000 clients and cases, 200 professionals,
	# a year of audit records (WEBSCALE_AUDIT, default 2,000,000); its pages
	# and API read by one professional (500 cases) and the privacy officer
	"$B/bench/bench_webscale" "$T/webscale" "${WEBSCALE_AUDIT:-2000000}" | tee "$T/webscale.out"
	CASE=$(sed -n 's/^newest case of prof-000: //p' "$T/webscale.out")
	fig webscale_lmdb_mb "$(du -m "$T/webscale/data.mdb" | cut -f1)" "MiB" "data.mdb"
	out=$T/serve.web
	: >"$out"
	"$N" serve --dir "$T/webscale" --web 127.0.0.1:0 --sync-seconds 86400 --dev >"$out" 2>>"$T/serve.log" &
	PID=$!; PIDS+=("$PID")
	for _ in $(seq 300); do
		ADDR=$(sed -n 's/^listening on //p' "$out"); [ -n "$ADDR" ] && break; sleep 0.1
	done
	[ -n "$ADDR" ] || { echo "bench: serve --web did not start" >&2; exit 1; }
	python3 "$(dirname "$0")/webscale.py" "$ADDR" "$CASE" "${WEBSCALE_N:-200}"
	kill -TERM "$PID"; wait "$PID" || true
	rm -rf "$T/webscale"
fi
if only webstall; then
	echo "web pages while a lookup hangs on a stopped registry (200 signed-in sessions for 20 s; load client on the same cores)"
	out=$(SK_REGISTRY=$R SK_NODE=$N SK_PSEUDONYMISER=$P SK_TESTNODE=$TN \
		bash "$(dirname "$0")/webstall.sh" 200 20 2>>"$T/cli.log" | tail -n 1)
	fig webstall_pages "$(echo "$out" | json "['count']")" "pages" "200 sessions, 20 s, $(echo "$out" | json "['not_200']") not 200, load average $(echo "$out" | json "['loadavg']")"
	fig webstall_p50_ms "$(echo "$out" | json "['p50_ms']")" "ms" ""
	fig webstall_p99_ms "$(echo "$out" | json "['p99_ms']")" "ms" "max $(echo "$out" | json "['max_ms']") ms"
	fig webstall_lookup_s "$(echo "$out" | json "['lookup']['seconds']")" "s" "the hanging lookup: $(echo "$out" | json "['lookup']['status']")"
fi

python3 - "$BENCH_OUT" "$B/bench.json" <<'PY'
import json, sys
fig = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    fig[k] = float(v)
alias = {"publish_per_s": "publish_per_s_64", "lookup_per_s": "lookup_per_s_64",
         "lookup_p99_ms": "lookup_p99_ms_64"}
for k, src in alias.items():
    if src in fig:
        fig[k] = fig[src]
out = {}
for k, v in fig.items():
    d = out
    parts = k.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = v
json.dump(out, open(sys.argv[2], "w"), indent=2, sort_keys=True)
lim = fig.get
print("\nagainst the targets (2 cores)")
def row(what, got, target, ok):
    print(f"  {what:<44} {got:>14} target {target:<22} {'met' if ok else 'NOT MET'}")
if "publish_per_s" in fig and "limits.ed25519_verify_per_s" in fig:
    row("publish, 64 clients", f"{fig['publish_per_s']:.0f}/s", f">= {0.5*fig['limits.ed25519_verify_per_s']:.0f}/s (50% verify)", fig['publish_per_s'] >= 0.5*fig['limits.ed25519_verify_per_s'])
if "lookup_per_s" in fig:
    row("lookups, 64 connections", f"{fig['lookup_per_s']:.0f}/s", ">= 20000/s", fig['lookup_per_s'] >= 20000)
    row("lookup p99, 64 connections", f"{fig['lookup_p99_ms']:.1f} ms", "< 10 ms", fig['lookup_p99_ms'] < 10)
if "voprf_per_s" in fig and "limits.scalarmult_per_s" in fig:
    row("VOPRF per core", f"{fig['voprf_per_s']:.0f}/s", f">= {0.4*fig['limits.scalarmult_per_s']:.0f}/s (40% scalarmult)", fig['voprf_per_s'] >= 0.4*fig['limits.scalarmult_per_s'])
if "onboarding_100k_s" in fig:
    row("onboarding 100,000 clients", f"{fig['onboarding_100k_s']:.0f} s", "< 120 s", fig['onboarding_100k_s'] < 120)
if "webstall_p99_ms" in fig:
    row("page p99, a lookup hanging, 200 sessions", f"{fig['webstall_p99_ms']:.1f} ms", "< 100 ms", fig['webstall_p99_ms'] < 100)
if "audit_verify_per_s" in fig:
    row("audit verify", f"{fig['audit_verify_per_s']:.0f}/s", ">= 1000000/s", fig['audit_verify_per_s'] >= 1e6)
print(f"\nwritten: {sys.argv[2]}")
PY
