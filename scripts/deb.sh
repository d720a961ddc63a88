#!/usr/bin/env bash
# Builds the Debian packages (debian/: schakel-common, schakel-registry,
# schakel-pseudonymiser, schakel-node) with dpkg-buildpackage from a copy of
# the tree (uncommitted edits included) in OUT/src, so that nothing is
# written outside OUT; leaves the .deb files in OUT, prints their paths and
# runs lintian on them, failing on any error (warnings are shown).
#   scripts/deb.sh [OUT]        (make deb: OUT=build/deb)
# JOBS sets the build's parallelism (default: all CPUs). The tools come
# from scripts/deps.sh --deb (make deb installs them).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build/deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null ||
		{ echo "schakel: $tool is missing: run scripts/deps.sh --deb as root (make deb does)" >&2; exit 1; }
done
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
# --version's commit (cmake/version.cmake), as the copy is no git checkout
SK_GIT_COMMIT=${SK_GIT_COMMIT:-$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null || true)}
export SK_GIT_COMMIT

# The copy: the files git knows and new ones it does not ignore (no build
# dirs); without git, everything but the build dirs.
COPY=$OUT/src/schakel-$VERSION
rm -rf "$OUT/src"
mkdir -p "$COPY"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done |
		tar --null -T - -cf -) | tar -xf - -C "$COPY"
else
	(cd "$SRC" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$COPY"
fi

rm -f "$OUT"/*.deb "$OUT"/*.buildinfo "$OUT"/*.changes
(cd "$COPY" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" \
	dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1) ||
	{ tail -40 "$OUT/build.log" >&2; echo "schakel: dpkg-buildpackage failed; all of it in $OUT/build.log" >&2; exit 1; }
mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/
rm -rf "$OUT/src"

# lintian: errors fail, warnings and the rest are shown
CHANGES=$(ls "$OUT"/schakel_"$VERSION"_*.changes)
if ! lintian --fail-on error --tag-display-limit 0 "$CHANGES" >"$OUT/lintian.log" 2>&1; then
	cat "$OUT/lintian.log" >&2
	echo "schakel: lintian reports errors (above; also in $OUT/lintian.log)" >&2
	exit 1
fi
grep -v '^running with root privileges is not recommended' "$OUT/lintian.log" || true
ls -1 "$OUT"/*.deb
