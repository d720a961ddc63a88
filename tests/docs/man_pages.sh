#!/usr/bin/env bash
# The man pages in man/ are what scripts/man.sh makes from this build's
# --help texts (regenerate them when a --help changes), and groff reads them
# without warnings.
#   tests/docs/man_pages.sh SOURCE_DIR BINARY...
set -euo pipefail
SRC=$1
shift
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	if ! diff -u "$SRC/man/$name.8" <(bash "$SRC/scripts/man.sh" "$bin") >&2; then
		echo "man/$name.8 differs from '$name --help'; run: scripts/man.sh $bin >man/$name.8" >&2
		fail=1
	fi
	if command -v groff >/dev/null; then
		w=$(groff -man -ww -z "$SRC/man/$name.8" 2>&1)
		[ -z "$w" ] || { echo "man/$name.8: $w" >&2; fail=1; }
	fi
done
[ "$fail" = 0 ] && echo "ok - man/*.8 match --help for $# binaries"
exit "$fail"
