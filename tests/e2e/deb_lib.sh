# Shared by the tests that install the Debian packages on this machine
# (tests/e2e/deb.sh, tests/e2e/recovery.sh; ctest runs them one at a time:
# RESOURCE_LOCK dpkg): refuse a machine where schakel is installed or
# /etc/schakel or /var/lib/schakel exist, build the packages (make deb's
# scripts/deb.sh, or take them from SK_DEB_DIR), install them with dpkg -i,
# and at the end, also on failure, kill what the test started, purge the
# packages and remove everything the test made (DEB_CLEANUP: more paths).
# Root only (CI runs as root). Sets T (a temp dir), PKGS, FILES (the .deb
# files), DEBS, PIDS (pids the cleanup kills) and V=/var/lib/schakel.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SK_BUILD_DIR:?the build dir (tests/CMakeLists.txt sets it)}"
PKGS="schakel-node schakel-pseudonymiser schakel-registry schakel-common"
V=/var/lib/schakel
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

[ "$(id -u)" = 0 ] || fail "$(basename "$0") installs the packages system-wide and must run as root (CI does)"
for p in $PKGS; do
	! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -c >/dev/null installed ||
		fail "$p is installed on this machine already; the test installs and purges its own"
done
for d in /etc/schakel /var/lib/schakel ${DEB_CLEANUP:-}; do
	[ ! -e "$d" ] || fail "$d exists on this machine; the test makes and removes its own"
done
USER_BEFORE=$(getent passwd schakel || true)
GROUP_BEFORE=$(getent group schakel || true)

T=$(mktemp -d /tmp/schakel-deb.XXXXXX)
PIDS=()
INSTALLED=0
# pid files of servers started from a shell the test does not wait for
# (tests/e2e/recovery.sh's systemctl): killed too
mkdir -p "$T/run"
cleanup() {
	local rc=$? p f
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	for f in "$T"/run/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# shellcheck disable=SC2086
	[ -z "${DEB_CLEANUP:-}" ] || rm -rf ${DEB_CLEANUP}
	if [ "$INSTALLED" = 1 ]; then
		# the data the test made first, so that purge finds the dirs empty
		rm -rf /var/lib/schakel/*
		dpkg_retry --purge $PKGS >>"$T/dpkg.log" 2>&1 || { echo "dpkg --purge failed:" >&2; tail -20 "$T/dpkg.log" >&2; rc=1; }
		rm -rf /var/lib/schakel /etc/schakel
	fi
	[ -n "$USER_BEFORE" ] || ! getent passwd schakel >/dev/null || userdel schakel || true
	[ -n "$GROUP_BEFORE" ] || ! getent group schakel >/dev/null || groupdel schakel || true
	if [ "$rc" -eq 0 ]; then rm -rf "$T"; else echo "$(basename "$0"): left $T for inspection" >&2; fi
	exit "$rc"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP

# dpkg ARGS...: again while another dpkg or apt holds the lock (a minute)
dpkg_retry() {
	for _ in $(seq 30); do
		if dpkg "$@" 2>"$T/dpkg.err"; then cat "$T/dpkg.err" >&2; return 0; fi
		grep -q "lock" "$T/dpkg.err" || { cat "$T/dpkg.err" >&2; return 1; }
		sleep 2
	done
	cat "$T/dpkg.err" >&2
	return 1
}

# deb_build: the tools (scripts/deps.sh --deb), then the packages built as
# make deb builds them into $SK_BUILD_DIR/deb (or SK_DEB_DIR's); sets DEBS
# and FILES
deb_build() {
	local p f start
	"$SRC/scripts/deps.sh" --deb >"$T/deps.log" 2>&1 || fail "scripts/deps.sh --deb: $(tail -5 "$T/deps.log")"
	if [ -n "${SK_DEB_DIR:-}" ]; then
		DEBS=$SK_DEB_DIR
	else
		DEBS=$SK_BUILD_DIR/deb
		start=$(date +%s)
		JOBS=2 "$SRC/scripts/deb.sh" "$DEBS" >"$T/deb.out" 2>&1 || fail "scripts/deb.sh: $(tail -30 "$T/deb.out")"
		ok "dpkg-buildpackage built $(ls "$DEBS"/*.deb | wc -l) packages in $(($(date +%s) - start)) s; lintian: no error ($(grep -c '^W: ' "$DEBS/lintian.log" || true) warnings)"
	fi
	FILES=()
	for p in $PKGS; do
		f=$(ls "$DEBS"/${p}_*.deb 2>/dev/null | head -1)
		[ -n "$f" ] || fail "no ${p}_*.deb in $DEBS"
		FILES+=("$f")
	done
}

# deb_install: dpkg -i of FILES; each package installed
deb_install() {
	local p
	INSTALLED=1
	dpkg_retry -i "${FILES[@]}" >"$T/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -20 "$T/dpkg.log")"
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" | grep -c >/dev/null "install ok installed" || fail "$p is not installed: $(tail -20 "$T/dpkg.log")"
	done
	ok "dpkg -i $PKGS"
}

# conf_set FILE OPTION VALUE: an option the installed configuration has, changed
conf_set() {
	grep -q "^$2 = " "$1" || fail "$1 has no '$2 = ...'"
	sed -i "s|^$2 = .*|$2 = $3|" "$1"
}

# unit_file UNIT: the unit's file, as systemd finds it (/etc first)
unit_file() {
	local u
	for u in /etc/systemd/system/$1.service /lib/systemd/system/$1.service; do
		[ -f "$u" ] && { printf '%s\n' "$u"; return 0; }
	done
	fail "no unit $1"
}

# exec_start UNIT: the unit's ExecStart= (it has no specifiers or variables
# for systemd to expand: the options are in the configuration)
exec_start() {
	local u line
	u=$(unit_file "$1")
	line=$(sed -n 's/^ExecStart=//p' "$u")
	case $line in *%* | *'$'*) fail "$u: ExecStart=$line has specifiers or variables this test does not expand" ;; esac
	printf '%s\n' "$line"
}

# unit_serve UNIT CREDDIR OUT: runs the unit's command line as systemd
# would (as schakel, in /, the credential dir as $CREDENTIALS_DIRECTORY)
# in the background, stdout to OUT, stderr to OUT.err, until it prints
# 'listening on'; sets PID (setpriv execs: the pid is the server's)
unit_serve() {
	local cmd
	cmd=$(exec_start "$1")
	# shellcheck disable=SC2086
	(cd / && exec setpriv --reuid=schakel --regid=schakel --init-groups \
		env CREDENTIALS_DIRECTORY="$2" $cmd) >"$3" 2>"$3.err" &
	PID=$!
	for _ in $(seq 300); do
		grep -q '^listening on ' "$3" 2>/dev/null && return 0
		kill -0 "$PID" 2>/dev/null || fail "$cmd exited: $(tail -5 "$3.err")"
		sleep 0.1
	done
	fail "$cmd did not print 'listening on'"
}
