#!/usr/bin/env bash
# make install DESTDIR=... lays out the binaries, one man page each, the
# systemd units (ExecStart under the prefix), the sysusers file, the
# guides and each server's configuration file (PREFIX/etc/schakel, 0640,
# named by its unit, never overwritten); PREFIX moves all of it, and
# PREFIX=/usr puts the configuration in /etc/schakel (the packages' way).
#   tests/docs/install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$1 BUILD=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # PREFIX [ETC]: the files under $T/d$PREFIX, the configuration in ETC
	local p=$T/d$1 f etc=${2:-$1/etc/schakel}
	for f in bin/schakel-registry bin/schakel-pseudonymiser bin/schakel-node; do
		[ -x "$p/$f" ] || { echo "install: no executable $1/$f" >&2; fail=1; }
	done
	for f in schakel-registry schakel-pseudonymiser schakel-node; do
		[ -f "$p/share/man/man8/$f.8" ] || { echo "install: no $1/share/man/man8/$f.8" >&2; fail=1; }
		u=$p/lib/systemd/system/$f.service
		[ -f "$u" ] || { echo "install: no $u" >&2; fail=1; continue; }
		grep -q "^ExecStart=$1/bin/$f serve " "$u" || { echo "install: $u runs $(grep ^ExecStart "$u")" >&2; fail=1; }
		c=$T/d$etc/${f#schakel-}.conf
		[ "$(stat -c %a "$c" 2>/dev/null)" = 640 ] || { echo "install: no $etc/${f#schakel-}.conf of mode 0640" >&2; fail=1; }
		grep -q "$etc/" "$u" || { echo "install: $u names no $etc" >&2; fail=1; }
		! grep -Eq "(^|[=: ])/etc/schakel/" "$u" || [ "$etc" = /etc/schakel ] || { echo "install: $u names /etc/schakel, not $etc" >&2; fail=1; }
	done
	[ -f "$p/lib/sysusers.d/schakel.conf" ] || { echo "install: no sysusers file" >&2; fail=1; }
	for f in operator professional privacy-officer protocol; do
		[ -f "$p/share/doc/schakel/$f.md" ] || { echo "install: no $1/share/doc/schakel/$f.md" >&2; fail=1; }
	done
	# nothing outside the prefix
	[ -z "$(cd "$T/d" && find . -type f | grep -v "^\.$1/" | grep -v "^\.$etc/")" ] || { echo "install: files outside $1" >&2; fail=1; }
}
make -s -C "$SRC" install BUILD="$BUILD" JOBS=2 DESTDIR="$T/d" >"$T/log" 2>&1 ||
	{ cat "$T/log" >&2; exit 1; }
check /usr/local
rm -rf "$T/d"
make -s -C "$SRC" install BUILD="$BUILD" JOBS=2 DESTDIR="$T/d" PREFIX=/opt/schakel >"$T/log" 2>&1 ||
	{ cat "$T/log" >&2; exit 1; }
check /opt/schakel
# an operator's configuration stays as it is when installing again
echo "# mine" >>"$T/d/opt/schakel/etc/schakel/node.conf"
make -s -C "$SRC" install BUILD="$BUILD" JOBS=2 DESTDIR="$T/d" PREFIX=/opt/schakel >"$T/log" 2>&1 ||
	{ cat "$T/log" >&2; exit 1; }
grep -q "^# mine" "$T/d/opt/schakel/etc/schakel/node.conf" || { echo "install: node.conf overwritten" >&2; fail=1; }
rm -rf "$T/d"
make -s -C "$SRC" install BUILD="$BUILD" JOBS=2 DESTDIR="$T/d" PREFIX=/usr >"$T/log" 2>&1 ||
	{ cat "$T/log" >&2; exit 1; }
check /usr /etc/schakel
[ "$fail" = 0 ] && echo "ok - make install DESTDIR=... (PREFIX /usr/local, /opt/schakel and /usr)"
exit "$fail"
