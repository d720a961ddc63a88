# The node's web pages in headless Chromium (Debian's chromium, driven by
# playwright-core from tests/web/package-lock.json) against a real node,
# registry and pseudonymiser chain: the professional's whole day (register
# and find clients, open a case with the age rule, assign, close with
# confirmation, the match, lookups, discussions), keyboard-only and
# without JavaScript; the privacy officer's search, CSV export, report,
# review and verify; axe-core (WCAG 2.1 AA) and a Dutch-only check on
# every page (tests/web/pages.mjs). Full-page screenshots of every page go
# to $SK_BUILD_DIR/web-screenshots/.
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"

# The browser and playwright-core: missing tools fail, never skip.
browser_up

cd "$T"
web_federation
# two more of anna's clients, with cases that share nothing: /cases pages
# through three cases a page at a time (?limit=1) and finds these by name
for c in "123456782 Karin Pagina" "100000009 Lars Pagina"; do
	set -- $c
	node client add --dir $ORG_A --bsn "$1" --name "$2 $3" >/dev/null || fail "client $2 $3 at A"
	node case open --dir $ORG_A --client "$1" --as $PROF --consent none >/dev/null ||
		fail "case of $2 $3 at A: $(tail -3 "$T/node.log")"
done
# both on the sociale kaart (B's waiting time given 40 days ago: stale)
cat >dir-a.json <<JSON
{"municipalities": ["Zeist"], "services": ["maatschappelijk-werk", "schuldhulp"],
 "target_groups": ["volwassenen"], "services_text": "Budgetcoaching en formulierenhulp",
 "how_to_refer": "Bel de wegwijzer", "waiting_weeks": 2,
 "wegwijzers": [{"name": "Anna de Vries", "role": "wegwijzer", "phone": "030 123 45 67"}]}
JSON
cat >dir-b.json <<JSON
{"municipalities": ["Zeist", "De Bilt"], "services": ["ggz"], "target_groups": ["volwassenen"],
 "how_to_refer": "Verwijzing via de huisarts", "waiting_weeks": 8,
 "waiting_date": "$(date -u -d '-40 days' +%F)",
 "wegwijzers": [{"name": "Bram Jansen", "role": "SPV", "phone": "030 765 43 21"}]}
JSON
node directory publish --dir $ORG_A --file dir-a.json >/dev/null || fail "directory publish A: $(tail -3 "$T/node.log")"
node directory publish --dir $ORG_B --file dir-b.json >/dev/null || fail "directory publish B: $(tail -3 "$T/node.log")"
node sync --dir $ORG_A >/dev/null || fail "sync A: $(tail -3 "$T/node.log")"
# a case table: anna hosts it, altrecht joins and brings a case
for org in $ORG_A $ORG_B; do node sync --dir $org >/dev/null || fail "first sync $org"; done
TABLE=$(node table create --dir $ORG_A --as $PROF --name "Casustafel Wijk" --member $ORG_B \
	--rhythm "elke tweede dinsdag") || fail "table create: $(tail -3 "$T/node.log")"
node sync --dir $ORG_B >/dev/null
node table join "$TABLE" --dir $ORG_B --as $PROFB >/dev/null || fail "table join: $(tail -3 "$T/node.log")"
printf '%s\n' "Vraag: UNIEKE-TAFELVRAAG wie neemt de regie?" "Leefgebieden: wonen, financien" \
	"Urgentie: hoog" "Geprobeerd: schuldhulp aangeboden" "Betrokken: ggz, schuldhulp" >"$T/tafel.txt"
TABLE_CASE=$(node table submit "$TABLE" --dir $ORG_B --as $PROFB --text-file "$T/tafel.txt") ||
	fail "table submit: $(tail -3 "$T/node.log")"
node sync --dir $ORG_A >/dev/null
# anna schedules it, writes to the table and records the outcome in the
# browser (pages.mjs); the CLI's way is tests/e2e/table.sh's
serve_a
ok "two organisations on the sociale kaart and a case table; $ORG_A serving its pages on $BASE"

SHOTS=$SK_BUILD_DIR/web-screenshots
rm -rf "$SHOTS"
WEB_BASE=$BASE WEB_SHOTS=$SHOTS WEB_T=$T WEB_MODULES=$MODULES WEB_CHROMIUM=$CHROMIUM \
	WEB_ORG_A=$ORG_A WEB_ORG_B=$ORG_B WEB_BSN=$BSN \
	WEB_PROF=$PROF WEB_PROF_NAME="$PROF_NAME" WEB_PROF_PW="$PROF_PW" \
	WEB_PROF2=$PROF2 WEB_PROF2_NAME="$PROF2_NAME" WEB_PROF2_PW="$PROF2_PW" \
	WEB_PO=$PO WEB_PO_NAME="$PO_NAME" WEB_PO_PW="$PO_PW" WEB_PROFB=$PROFB \
	WEB_TABLE=$TABLE WEB_TABLE_CASE=$TABLE_CASE \
	timeout 240 "$(type -P node)" "$WEB_SRC/pages.mjs" || fail "the pages (screenshots in $SHOTS; serve log $T/serve.log)"

for name in signin signin-error cases clients client case case-lookup case-new-client consent-withdraw-confirm case-close-confirm case-closed \
	matches discussions discussion discussion-closed cases-en directory tables table table-case table-case-scheduled table-subgroup-confirm table-case-subgroup table-outcome-confirm table-case-outcome table-stats \
	audit audit-search audit-report audit-review audit-verify audit-en signin-en; do
	[ -s "$SHOTS/$name.png" ] || fail "no screenshot $SHOTS/$name.png"
done
ok "a full-page screenshot of every page in $SHOTS"

stop_serve
[ -s "$T/web-bsns.txt" ] || fail "pages.mjs wrote no $T/web-bsns.txt"
mapfile -t EXTRA_SECRETS <"$T/web-bsns.txt"
no_secrets_in_logs
ok "no password and no BSN in the node's stderr"
