#!/bin/sh
# Install the Debian packages schakel builds and tests with, only those missing.
# Runs as root (CI, a fresh machine); as another user it only reports.
# With --browser also what only the sanitizer build's e2e tests need:
# Debian's chromium, and node with npm (the browser tests), Go with
# golang.org/x/mod (the tlog monitor in tests/monitor, built offline),
# gdb (stops a node at an exact point in tests/e2e/rollover_nodes.sh);
# `make demo` goes without.
# With --deb what `make deb` and tests/e2e/deb.sh need to build, check and
# install the Debian packages (dpkg-buildpackage, debhelper, lintian, man;
# systemd, whose systemd-sysusers the packages need for the user schakel;
# sudo, which tests/e2e/recovery.sh runs as the operator's guide writes it).
set -eu

PKGS="cmake make gcc clang libclang-rt-14-dev pkg-config
libsodium-dev libssl-dev liblmdb-dev lmdb-utils
libprotobuf-c-dev protobuf-c-compiler libevent-dev
libjansson-dev libcmocka-dev libcjose-dev libcurl4-openssl-dev
curl openssl python3 python3-yaml"

if [ "${1:-}" = --deb ]; then
	PKGS="$PKGS dpkg-dev debhelper fakeroot lintian man-db systemd sudo"
fi
# The browser tests (tests/web) run chromium, node and npm; Debian's node
# packages only where these commands are missing (a nodejs from elsewhere
# brings its npm).
if [ "${1:-}" = --browser ]; then
	PKGS="$PKGS chromium chromium-driver golang-go golang-golang-x-mod-dev gdb"
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "schakel: missing Debian packages:$missing; run 'make deps' as root or install them with apt-get." >&2
	exit 1
fi
echo "schakel: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update
	apt-get install -y --no-install-recommends $missing
fi
