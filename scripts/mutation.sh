#!/usr/bin/env bash
# Removal check of the defences in docs/threat-model.md: does the test the
# threat model names for a defence fail when the defence is taken out?
#
# Usage: scripts/mutation.sh [BUILD_DIR] [NAME...]
#   BUILD_DIR  a configured sanitizer build of this tree (default build-asan);
#              only its CMake cache (compiler, build type, sanitizer and fuzz
#              options) is read. The caller's tree and build are never
#              written: the sources (tracked and untracked, uncommitted edits
#              included) are copied to a scratch dir, configured like
#              BUILD_DIR and built there, target by target.
#   NAME       tests/mutation/NAME.patch (".patch" may be given); default all.
#
# Each tests/mutation/*.patch removes ONE defence. Its header, before the
# diff (patch(1) skips it), says:
#   # test: TEST[,TEST...]   ctest names; TEST:FUNCTION (test_conn:test_foreign_ca)
#                            counts TEST's failure only if cmocka reports
#                            FUNCTION failed or never reached it (then says so)
#   # row: <the row or claim of docs/threat-model.md>
#   # removes: <one sentence>
#   # build: TARGET...       optional; default: the binaries the e2e tests run
#                            (for e2e_*) and the cmocka binary (for unit tests)
# For each patch, in turn: apply it (patch -p1, no fuzz), rebuild only the
# needed targets (-j2), run the named tests with ctest, take the patch out
# again. One line per patch:
#   CAUGHT  a named test failed (with the first FAIL line or cmocka failure)
#   MISSED  every named test passed with the defence removed
#   BROKEN  the patch does not apply, or the tree does not build with it
# then a summary. Exit 1 if any MISSED, else 2 if any BROKEN, else 0.
#
# A manual tool, not part of `make test`: every patch rebuilds and runs whole
# e2e scripts under ASan; all 92 take about 27 minutes on 2 cores, half of
# it seven mutants that hang a test until its timeout (120 s) or MUT_TIMEOUT.
# Run the named tests on the unpatched tree first: a test that fails anyway
# makes every patch look
# CAUGHT (MUT_BASELINE=1 does that here, once per test, before the patches).
#
# Environment: MUT_JOBS (build jobs, 2); MUT_TIMEOUT (seconds a test may run
# before it counts as failed, hung; default the test's own TIMEOUT, 600 s for
# e2e); MUT_LOGS (where each patch's build and test output go; default
# /tmp/schakel-mutation.<time>, kept); MUT_KEEP=1 (keep the scratch tree and
# build); MUT_BASELINE=1.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build-asan
# the first argument is the build dir unless it names a patch
if [ $# -gt 0 ] && [ ! -f "$ROOT/tests/mutation/${1%.patch}.patch" ]; then
	BUILD=$1
	shift
fi
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
[ -f "$BUILD/CMakeCache.txt" ] || {
	echo "mutation.sh: $BUILD is not a configured build (make asan first)" >&2
	exit 2
}
JOBS=${MUT_JOBS:-2}
MUTDIR=$ROOT/tests/mutation
LOGS=${MUT_LOGS:-/tmp/schakel-mutation.$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$LOGS"

# The patches to run.
PATCHES=()
if [ $# -eq 0 ]; then
	for p in "$MUTDIR"/*.patch; do [ -f "$p" ] && PATCHES+=("$p"); done
else
	for n in "$@"; do
		n=${n%.patch}
		[ -f "$MUTDIR/$n.patch" ] || { echo "mutation.sh: no $MUTDIR/$n.patch" >&2; exit 2; }
		PATCHES+=("$MUTDIR/$n.patch")
	done
fi
[ ${#PATCHES[@]} -gt 0 ] || { echo "mutation.sh: no patches in $MUTDIR" >&2; exit 2; }

header() { sed -n "s/^# $1: *//p" "$2" | head -1; }
E2E_TARGETS="schakel-registry schakel-node schakel-pseudonymiser sk-testnode sk-testtoken sk-testdiscuss"
# targets_of PATCH: the build targets its tests need
targets_of() {
	local b t out=""
	b=$(header build "$1")
	if [ -n "$b" ]; then echo "$b"; return; fi
	for t in $(header test "$1" | tr ',' ' '); do
		t=${t%%:*}
		case "$t" in
		e2e_*) out="$out $E2E_TARGETS" ;;
		*) out="$out $t" ;;
		esac
	done
	echo "$out" | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' '
}

# A scratch copy of the tree and a build configured like BUILD.
SCRATCH=$(mktemp -d /tmp/schakel-mut.XXXXXX)
cleanup() {
	if [ "${MUT_KEEP:-0}" = 1 ]; then echo "scratch kept: $SCRATCH" >&2; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
SRC=$SCRATCH/src
OUT=$SCRATCH/build
mkdir -p "$SRC" "$OUT"
(cd "$ROOT" && git ls-files -z -co --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$SRC" || {
	echo "mutation.sh: could not copy the tree" >&2
	exit 2
}
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt" | head -1; }
CFG=(-DCMAKE_BUILD_TYPE="$(cache CMAKE_BUILD_TYPE)")
for v in SK_SANITIZE SK_FUZZ SK_FUZZ_SECONDS; do
	val=$(cache $v)
	[ -n "$val" ] && CFG+=(-D"$v=$val")
done
echo "mutation: ${#PATCHES[@]} patches; scratch $SCRATCH; logs $LOGS"
if ! CC=$(cache CMAKE_C_COMPILER) cmake -S "$SRC" -B "$OUT" "${CFG[@]}" >"$LOGS/configure.log" 2>&1; then
	echo "mutation.sh: configure failed ($LOGS/configure.log)" >&2
	exit 2
fi
ALL_TARGETS=$(for p in "${PATCHES[@]}"; do targets_of "$p"; done | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
build() { # build TARGET...: each target, -j JOBS
	local t
	for t in "$@"; do
		cmake --build "$OUT" --target "$t" -j "$JOBS" || return 1
	done
}
start=$(date +%s)
if ! build $ALL_TARGETS >"$LOGS/build-unpatched.log" 2>&1; then
	echo "mutation.sh: the unpatched tree does not build ($LOGS/build-unpatched.log)" >&2
	exit 2
fi
echo "mutation: unpatched build of $ALL_TARGETS in $(($(date +%s) - start)) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# ctest's --timeout does not override a test's TIMEOUT property (600 s for
# the e2e scripts): timeout(1) ends ctest and its process group instead
WRAP=()
[ -n "${MUT_TIMEOUT:-}" ] && WRAP=(timeout -k 10 "$MUT_TIMEOUT")

# run_test NAME LOG: ctest one test of the scratch build; its exit status.
# The e2e scripts keep their temp dir when they fail; we remove the ones
# this run left (named in the output), never anyone else's.
run_test() {
	local rc
	"${WRAP[@]}" ctest --test-dir "$OUT" -R "^$1\$" -V >"$2" 2>&1
	rc=$?
	[ $rc = 124 ] && echo "***Timeout: ended by MUT_TIMEOUT=$MUT_TIMEOUT" >>"$2"
	sed -En 's/^([0-9]+: )?e2e: left (\/tmp\/schakel-e2e\.[A-Za-z0-9]*) for inspection$/\2/p' "$2" |
		while read -r d; do rm -rf "$d"; done
	return $rc
}

# The named tests must exist.
for p in "${PATCHES[@]}"; do
	for t in $(header test "$p" | tr ',' ' '); do
		ctest --test-dir "$OUT" -N -R "^${t%%:*}\$" 2>/dev/null | grep -q "Total Tests: 1" || {
			echo "mutation.sh: $(basename "$p"): no ctest named ${t%%:*}" >&2
			exit 2
		}
	done
done

if [ "${MUT_BASELINE:-0}" = 1 ]; then
	for t in $(for p in "${PATCHES[@]}"; do header test "$p" | tr ',' '\n'; done | sed 's/:.*//' | sort -u); do
		if run_test "$t" "$LOGS/baseline.$t.log"; then
			echo "baseline: $t passes unpatched"
		else
			echo "baseline: $t FAILS unpatched ($LOGS/baseline.$t.log): its CAUGHT results mean nothing" >&2
		fi
	done
fi

declare -A COUNT=([CAUGHT]=0 [MISSED]=0 [BROKEN]=0)
SUMMARY=()
for p in "${PATCHES[@]}"; do
	name=$(basename "$p" .patch)
	# the copy taken at the start: editing tests/mutation/ meanwhile is safe
	[ -f "$SRC/tests/mutation/$name.patch" ] && p=$SRC/tests/mutation/$name.patch
	t0=$(date +%s)
	result="" detail=""
	if ! (cd "$SRC" && patch -p1 --dry-run --batch --forward --fuzz=0 <"$p") >"$LOGS/$name.patch.log" 2>&1; then
		result=BROKEN detail="patch does not apply ($LOGS/$name.patch.log)"
	else
		(cd "$SRC" && patch -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch <"$p") >>"$LOGS/$name.patch.log" 2>&1
		# shellcheck disable=SC2046
		if ! build $(targets_of "$p") >"$LOGS/$name.build.log" 2>&1; then
			result=BROKEN detail="does not build ($LOGS/$name.build.log)"
		else
			caught="" passed=""
			for t in $(header test "$p" | tr ',' ' '); do
				test=${t%%:*} fn=""
				[ "$t" != "$test" ] && fn=${t#*:}
				log=$LOGS/$name.$test.log
				if run_test "$test" "$log"; then
					passed="$passed $t"
				elif [ -n "$fn" ] && grep -Eq "^([0-9]+: )?\[ *OK *\] $fn\$" "$log"; then
					# the named function passed; another one failed
					passed="$passed $t(passed; $(grep -m1 -E '^([0-9]+: )?\[ *FAILED *\] |\*\*\*Timeout' "$log" | cut -c1-60))"
				else
					if [ -n "$fn" ] && grep -Eq "^([0-9]+: )?\[ *(FAILED|ERROR) *\] $fn\$" "$log"; then
						why="$fn failed"
					elif [ -n "$fn" ]; then
						# the binary failed or hung before it reached fn
						why="$fn not reached: $(grep -m1 -E '^([0-9]+: )?\[ *FAILED *\] |\*\*\*Timeout' "$log" | sed 's/  */ /g' | cut -c1-70)"
					else
						why=$(grep -m1 -E '^([0-9]+: )?FAIL: |^([0-9]+: )?\[ *FAILED *\] |\*\*\*Timeout|ERROR: AddressSanitizer|runtime error' "$log" | sed -E 's/^[0-9]+: //' | cut -c1-150)
					fi
					caught="$caught $t${why:+ [$why]}"
				fi
			done
			if [ -n "$caught" ]; then
				result=CAUGHT detail="by$caught${passed:+; passed:$passed}"
			else
				result=MISSED detail="passed:$passed"
			fi
		fi
		(cd "$SRC" && patch -R -p1 --batch --fuzz=0 --no-backup-if-mismatch <"$p") >>"$LOGS/$name.patch.log" 2>&1 || {
			echo "mutation.sh: could not take $name out of the scratch tree; stopping" >&2
			exit 2
		}
	fi
	COUNT[$result]=$((COUNT[$result] + 1))
	line=$(printf '%-6s %-34s %4ss  %s' "$result" "$name" "$(($(date +%s) - t0))" "$detail")
	echo "$line"
	SUMMARY+=("$line")
done
printf '%s\n' "${SUMMARY[@]}" >"$LOGS/summary.txt"
echo "mutation: ${#PATCHES[@]} patches: ${COUNT[CAUGHT]} CAUGHT, ${COUNT[MISSED]} MISSED, ${COUNT[BROKEN]} BROKEN in $(($(date +%s) - start)) s (logs $LOGS)"
[ "${COUNT[MISSED]}" -eq 0 ] || exit 1
[ "${COUNT[BROKEN]}" -eq 0 ] || exit 2
exit 0
