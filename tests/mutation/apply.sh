#!/usr/bin/env bash
# Every tests/mutation/*.patch still applies, exactly, to the tree it
# mutates: a defence whose patch no longer applies would go unchecked by
# scripts/mutation.sh without anyone noticing. Dry run only; changes nothing.
#   tests/mutation/apply.sh SOURCE_DIR
set -u
cd "${1:?usage: apply.sh SOURCE_DIR}" || exit 2
bad=0 n=0
for p in tests/mutation/*.patch; do
	n=$((n + 1))
	if ! out=$(patch -p1 --dry-run --batch --forward --fuzz=0 <"$p" 2>&1); then
		echo "FAIL: $p no longer applies (regenerate it against the code as it is now):"
		echo "$out" | sed 's/^/    /'
		bad=1
	fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no patches in tests/mutation"; exit 1; }
[ $bad -eq 0 ] && echo "mutation patches: all $n apply"
exit $bad
