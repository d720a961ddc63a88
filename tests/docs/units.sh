#!/usr/bin/env bash
# The systemd units in units/: the settings operators rely on are there,
# each keeps its data in /var/lib/schakel/SHORT (SHORT: registry,
# pseudonymiser, node), the dir its configuration file units/SHORT.conf
# names, and systemd-analyze verify accepts each unit with ExecStart
# pointing at this build's binaries. Skipped (77) without systemd-analyze.
#   tests/docs/units.sh SOURCE_DIR BINARY...
set -euo pipefail
SRC=$1
shift
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
for bin in "$@"; do
	bin=$(realpath "$bin") name=$(basename "$bin") unit=$SRC/units/$(basename "$bin").service
	short=${name#schakel-} conf=$SRC/units/${name#schakel-}.conf
	[ -f "$unit" ] || { echo "no $unit" >&2; fail=1; continue; }
	grep -q "^dir = /var/lib/schakel/$short\$" "$conf" || { echo "$conf: no 'dir = /var/lib/schakel/$short'" >&2; fail=1; }
	for want in "StateDirectory=schakel/$short\$" StateDirectoryMode=0700 UMask=0077 \
		"LoadCredentialEncrypted=schakel-kek:" KillSignal=SIGTERM NoNewPrivileges=yes \
		ProtectSystem=strict ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= \
		"ExecStart=/usr/local/bin/$name serve --config /etc/schakel/$short.conf$" User=schakel; do
		grep -q "^$want" "$unit" || { echo "$unit: no '$want'" >&2; fail=1; }
	done
	sed "s#/usr/local/bin/$name#$bin#" "$unit" >"$T/$name.service"
done
if ! command -v systemd-analyze >/dev/null; then
	echo "skip - systemd-analyze is not installed"
	[ "$fail" = 0 ] && exit 77
	exit 1
fi
# verify only warns about a setting it ignores: any word from it fails
out=$(cd "$T" && systemd-analyze verify --man=no ./*.service 2>&1) || fail=1
[ -z "$out" ] || { echo "$out" >&2; fail=1; }
[ "$fail" = 0 ] && echo "ok - units/*.service verified by systemd-analyze"
exit "$fail"
