# Shared helpers for the end-to-end scripts: a private temp dir, servers
# started on 127.0.0.1 port 0, and cleanup of every process on exit.
set -euo pipefail

: "${SK_REGISTRY:?}" "${SK_TESTNODE:?}"
T=$(mktemp -d /tmp/schakel-e2e.XXXXXX)
chmod 700 "$T"
PIDS=()

cleanup() {
	local rc=$?
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "$rc" -eq 0 ]; then rm -rf "$T"; else echo "e2e: left $T for inspection" >&2; fi
	exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
reg() { "$SK_REGISTRY" "$@" --dev 2>>"$T/stderr.log"; }

# start_registry DIR [HOST:PORT [serve options...]]: runs serve in the
# background (on a free port unless given), sets REG_PID and REG_ADDR, and
# TILES (HOST:PORT) when started with --tiles.
start_registry() {
	local dir=$1 addr=${2:-127.0.0.1:0} out="$T/serve.$RANDOM.out"
	shift $(($# < 2 ? $# : 2))
	"$SK_REGISTRY" serve --dir "$dir" --dev --listen "$addr" "$@" >"$out" 2>>"$T/serve.log" &
	REG_PID=$!
	PIDS+=("$REG_PID")
	for _ in $(seq 100); do
		if grep -q '^listening on ' "$out"; then
			REG_ADDR=$(sed -n 's/^listening on //p' "$out")
			TILES=$(sed -n 's/^tiles listening on //p' "$out")
			return 0
		fi
		kill -0 "$REG_PID" 2>/dev/null || fail "registry exited: $(cat "$T/serve.log")"
		sleep 0.1
	done
	fail "registry did not start"
}

# json FIELD: a numeric or string field of a one-line JSON object on stdin.
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }

# ---- pseudonymisers (tests/e2e/pseudonymiser.sh) ----
psd() { "${SK_PSEUDONYMISER:?}" "$@" --dev 2>>"$T/stderr.log"; }

# start_pseudonymiser DIR [serve options...]: runs serve in the background,
# sets PS_PID and PS_ADDR, and WIT_ADDR (HOST:PORT) when started with --witness-listen.
start_pseudonymiser() {
	local dir=$1 out="$T/ps-serve.$RANDOM.out"
	shift
	"${SK_PSEUDONYMISER:?}" serve --dir "$dir" --dev --listen 127.0.0.1:0 "$@" >"$out" \
		2>>"$T/ps-serve.log" &
	PS_PID=$!
	PIDS+=("$PS_PID")
	for _ in $(seq 100); do
		if grep -q '^listening on ' "$out"; then
			PS_ADDR=$(sed -n 's/^listening on //p' "$out")
			WIT_ADDR=$(sed -n 's/^witness listening on //p' "$out")
			return 0
		fi
		kill -0 "$PS_PID" 2>/dev/null || fail "pseudonymiser exited: $(cat "$T/ps-serve.log")"
		sleep 0.1
	done
	fail "pseudonymiser did not start"
}

# bsns N SEED: N valid BSNs (elfproef), one a line
bsns() {
	python3 - "$1" "$2" <<'PY'
import random, sys
n, r, out = int(sys.argv[1]), random.Random(int(sys.argv[2])), []
while len(out) < n:
    d = [r.randrange(10) for _ in range(8)]
    s = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
    if s < 10 and any(d + [s]):
        out.append("".join(map(str, d)) + str(s))
print("\n".join(out))
PY
}

# chain_up: two pseudonymisers, enrolled, joined and serving; sets A1, A2
# (their addresses), PS1_PID, PS2_PID, WIT1 (ps1's witness, with PS1_OPTS)
# and CHAIN (the enrol options listing them in order).
chain_up() {
	for p in ps1 ps2; do
		psd init --dir $p --org-id $p --name "Pseudonymiser $p" >/dev/null
		reg enrol --dir r --ca ca --request $p/enrol-request --out $p.bundle >/dev/null
		psd join --dir $p --bundle $p.bundle >/dev/null
	done
	# PS1_OPTS: more serve options for ps1 (e.g. --witness-listen 127.0.0.1:0: WIT1)
	# shellcheck disable=SC2086
	start_pseudonymiser ps1 --sync-seconds 1 ${PS1_OPTS:-}; A1=$PS_ADDR PS1_PID=$PS_PID WIT1=$WIT_ADDR
	start_pseudonymiser ps2 --sync-seconds 1; A2=$PS_ADDR PS2_PID=$PS_PID
	CHAIN="--pseudonymiser ps1@$A1 --pseudonymiser ps2@$A2"
}

# try CMD...: runs CMD with its diagnostics into $msg and its exit code
# into $rc (set -e stays on around it).
# witnessed_fetch ORIGIN: the latest checkpoint of ORIGIN that the witness
# ps1 (WIT1) cosigned, into ./witnessed: what the operator collects from the
# witnesses before a rollover (docs/operator.md)
witnessed_fetch() {
	local hash port=${WIT1##*:}
	hash=$(printf %s "$1" | sha256sum | cut -d' ' -f1)
	# the witness's latest, once it covers the registry's whole tree (a
	# cosigning round after the fetch would leave witnessed behind what
	# the witness cosigned, and the witness would refuse the rollover)
	for _ in $(seq 100); do
		curl -sS --cacert ca.pem --resolve "ps1:$port:127.0.0.1" \
			"https://ps1:$port/$hash/checkpoint" >witnessed
		[ "$(sed -n 2p witnessed)" = "$(reg checkpoint --dir r | sed -n 2p)" ] && break
		sleep 0.1
	done
	grep -q "^— ps1 " witnessed || fail "ps1 serves no cosigned checkpoint: $(cat witnessed)"
}

# disk_lost: the registry of REG_PID killed, its data dir ./r gone and
# restored from the backup ./r.bk (key ./offline.key)
disk_lost() {
	kill -9 "$REG_PID"
	wait "$REG_PID" 2>/dev/null || true
	rm -rf r
	reg restore --dir r --from r.bk --identity offline.key >/dev/null ||
		fail "restore: $(tail -2 "$T/stderr.log")"
}

# members_edit DIR KEYHEX [VALUEHEX]: rewrites the registry's members
# database offline (mdb_dump, edit, mdb_load into a fresh file): drops the
# key, or sets it to VALUEHEX
members_edit() {
	mdb_dump -a "$1" >"$T/env.dump"
	python3 - "$T/env.dump" "$2" "${3:-}" >"$T/env.edited" <<'PY'
import sys
text, key, value = open(sys.argv[1]).read(), " " + sys.argv[2], sys.argv[3]
out, section, lines, i = [], None, text.split("\n"), 0
while i < len(lines):
    line = lines[i]
    if line.startswith("database="):
        section = line.split("=", 1)[1]
    if section == "members" and line == key:
        if value:
            out += [line, " " + value]
        i += 2
        continue
    if section == "members" and line == "DATA=END" and value and (" " + value) not in out:
        out += [key, " " + value]
    out.append(line)
    i += 1
print("\n".join(out), end="")
PY
	rm -rf "$T/env.new" && mkdir -m 700 "$T/env.new"
	mdb_load "$T/env.new" <"$T/env.edited"
	mv "$T/env.new/data.mdb" "$1/data.mdb" && rm -f "$1/lock.mdb"
	chmod 600 "$1/data.mdb"
}

# members_key ORG: the members database's key of ORG, hex (for members_edit)
members_key() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
# members_value DIR ORG: ORG's member record in DIR's registry, hex
members_value() {
	mdb_dump -s members "$1" | python3 -c "
import sys; l = sys.stdin.read().split('\n'); print(l[l.index(' $(members_key "$2")') + 1].strip())"
}

try() { set +e; msg=$("$@" 2>&1); rc=$?; set -e; }

# federation_up [ORG:CATEGORY...]: a registry with its CA (dirs r, ca), the
# chain (chain_up), and a node per argument (nodes_up).
federation_up() {
	registry_up
	chain_up
	nodes_up "$@"
}

# registry_up: a CA (dir ca) and a registry (dir r), serving (start_registry).
registry_up() {
	reg ca-init --ca ca --name "Regio Test" >/dev/null
	reg init --dir r --name test.example/registry --ca ca >/dev/null
	start_registry r
}

# testnodes_up ORG:CATEGORY...: sk-testnode members (dir ORG, bundle
# ORG/bundle) enrolled with the registry in r, without a chain.
testnodes_up() {
	local spec org cat
	for spec in "$@"; do
		org=${spec%%:*} cat=${spec#*:}
		"$SK_TESTNODE" init --dir "$org" --org-id "$org" --name "Org $org" --category "$cat" >/dev/null
		reg enrol --dir r --ca ca --request "$org/enrol-request" --out "$org/bundle" >/dev/null
	done
}

# nodes_up ORG:CATEGORY...: nodes initialised, enrolled with $CHAIN, allowed
# by ps1 and ps2 and joined (dir ORG; diagnostics in $T/node.log).
nodes_up() {
	local spec org cat
	for spec in "$@"; do
		org=${spec%%:*} cat=${spec#*:}
		"${SK_NODE:?}" init --dir "$org" --org-id "$org" --name "Org $org" --category "$cat" \
			--dev >/dev/null 2>>"$T/node.log"
		reg enrol --dir r --ca ca --request "$org/enrol-request" --out "$org.bundle" $CHAIN >/dev/null
		psd allow --dir ps1 --org "$org" >/dev/null
		psd allow --dir ps2 --org "$org" >/dev/null
		"$SK_NODE" join --dir "$org" --bundle "$org.bundle" --dev >/dev/null 2>>"$T/node.log" ||
			fail "join $org"
	done
}
