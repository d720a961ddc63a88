#!/bin/sh
# docs/protocol.md against protos/schakel.proto: every message and enum of
# the schema has a '### Name' section, every section names something the
# schema has, and every domain string the page names is in the code.
#   tests/docs/protocol_doc.sh SOURCE_DIR
set -eu
SRC=${1:-.}
PROTO=$SRC/protos/schakel.proto DOC=$SRC/docs/protocol.md
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# top-level messages and enums, and nested ones (indented)
sed -n 's/^\(message\|enum\) \([A-Za-z0-9_]*\).*/\2/p' "$PROTO" | sort -u >"$tmp/top"
sed -n 's/^ \{1,\}\(message\|enum\) \([A-Za-z0-9_]*\).*/\2/p' "$PROTO" | sort -u >"$tmp/nested"
sed -n 's/^### \([A-Za-z0-9_]*\)[[:space:]]*$/\1/p' "$DOC" | sort >"$tmp/sections"
[ -s "$tmp/top" ] || { echo "no messages found in $PROTO" >&2; exit 1; }

for m in $(comm -23 "$tmp/top" "$tmp/sections"); do
	echo "docs/protocol.md: no '### $m' section for $PROTO's $m" >&2
	fail=1
done
for m in $(comm -13 "$tmp/top" "$tmp/sections"); do
	echo "docs/protocol.md: section '### $m' names nothing in $PROTO" >&2
	fail=1
done
for m in $(sort "$tmp/sections" | uniq -d); do
	echo "docs/protocol.md: '### $m' appears twice" >&2
	fail=1
done
for m in $(cat "$tmp/nested"); do
	grep -q "\`$m\`" "$DOC" || { echo "docs/protocol.md: the nested $m is not named" >&2; fail=1; }
done
# every Envelope body has its section (a body added without docs fails here)
sed -n '/^message Envelope/,/^}/s/^ *\([A-Z][A-Za-z0-9]*\) [a-z_]* = [0-9]*;.*/\1/p' "$PROTO" |
	sort -u >"$tmp/bodies"
for m in $(comm -23 "$tmp/bodies" "$tmp/sections"); do
	echo "docs/protocol.md: the Envelope body $m has no section" >&2
	fail=1
done
# domain strings named in the page exist in the code
for d in $(grep -o '`schakel/v1/[a-z0-9-]*`' "$DOC" | tr -d '`' | sort -u); do
	grep -rqF "\"$d\"" "$SRC"/common "$SRC"/crypto "$SRC"/protos "$SRC"/audit "$SRC"/node \
		"$SRC"/registry "$SRC"/witness "$SRC"/net ||
		{ echo "docs/protocol.md: domain $d is not in the code" >&2; fail=1; }
done
[ "$fail" = 0 ] && echo "ok - docs/protocol.md describes all $(wc -l <"$tmp/top") messages and enums of schakel.proto"
exit "$fail"
