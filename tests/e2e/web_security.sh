# The access rules of the node's web pages and API (docs/web.md) over plain
# HTTP against a real node (tests/web/security.py): nothing without a
# session, another professional's case 404, audit only for the privacy
# officer and case pages only for professionals, a table case's outcome
# only for a procesregisseur, CSRF, session fixation,
# sign-out, lock-out after 5 wrong passwords (kept over a restart), the
# cookie's attributes, and no password or BSN in the node's stderr.
source "$(dirname "$0")/lib.sh"
WEB_SRC=$(cd "$(dirname "$0")/../web" && pwd)
source "$WEB_SRC/node_up.sh"
cd "$T"

web_federation
LOCK=carl LOCK_PW='carl-wachtwoord-5Rt&' NOPW=dirk
{ read -r BSN2; read -r BSN3; } < <(bsns 2 5)
EXTRA_SECRETS=("$LOCK_PW" "$BSN2" "$BSN3" fout-wachtwoord- nog-een-fout-wachtwoord)
node professional add --dir $ORG_A --id $LOCK --name "Carl Claes" --role wijkcoach >/dev/null
node professional add --dir $ORG_A --id $NOPW --name "Dirk Dekker" --role wijkcoach >/dev/null
passwd $ORG_A $LOCK "$LOCK_PW"
out=$(printf 'elf-tekens!\n' | nodex professional passwd --dir $ORG_A --id $NOPW) &&
	fail "a password of 11 characters was accepted"
echo "$out" | grep -c >/dev/null 12 || fail "the refusal of a short password does not say 12 characters: $out"
[ "$BSN2" != "$BSN3" ] && [ "$BSN2" != "$BSN" ] && [ "$BSN3" != "$BSN" ] || fail "the test's BSNs collide"
node client add --dir $ORG_A --bsn "$BSN2" >/dev/null || fail "client $BSN2"
node client add --dir $ORG_A --bsn $BSN3 >/dev/null || fail "client $BSN3"
CASE_A=$(node case open --dir $ORG_A --client $BSN --as $PROF --consent discover,contact \
	--categories all) || fail "case of $PROF: $(tail -3 "$T/node.log")"
CASE_B=$(node case open --dir $ORG_A --client "$BSN2" --as $PROF2 --consent discover \
	--categories all) || fail "case of $PROF2: $(tail -3 "$T/node.log")"
# a case table anna hosts (she is its procesregisseur, $PROF2 is not) with
# a case altrecht brought
for org in $ORG_A $ORG_B; do node sync --dir $org >/dev/null || fail "first sync $org"; done
TABLE=$(node table create --dir $ORG_A --as $PROF --name "Casustafel Wijk" --member $ORG_B) ||
	fail "table create: $(tail -3 "$T/node.log")"
node sync --dir $ORG_B >/dev/null
node table join "$TABLE" --dir $ORG_B --as $PROFB >/dev/null || fail "table join: $(tail -3 "$T/node.log")"
printf '%s\n' "Vraag: wie neemt de regie?" "Urgentie: hoog" >"$T/tafel.txt"
TABLE_CASE=$(node table submit "$TABLE" --dir $ORG_B --as $PROFB --text-file "$T/tafel.txt") ||
	fail "table submit: $(tail -3 "$T/node.log")"
node sync --dir $ORG_A >/dev/null
serve_a
ok "$ORG_A serving on $BASE: cases of $PROF ($CASE_A) and $PROF2 ($CASE_B); a short password refused"

export WEB_BASE=$BASE WEB_PROF=$PROF WEB_PROF_PW=$PROF_PW WEB_PROF2=$PROF2 WEB_PROF2_PW=$PROF2_PW \
	WEB_PO=$PO WEB_PO_PW=$PO_PW WEB_LOCK=$LOCK WEB_LOCK_PW=$LOCK_PW WEB_NOPW=$NOPW \
	WEB_CASE_A=$CASE_A WEB_CASE_B=$CASE_B WEB_BSN3=$BSN3 WEB_STATE=$T/web-state.json \
	WEB_TABLE=$TABLE WEB_TABLE_CASE=$TABLE_CASE WEB_ORG_A=$ORG_A WEB_ORG_B=$ORG_B WEB_PROFB=$PROFB
timeout 120 python3 "$WEB_SRC/security.py" main || fail "access rules (serve log $T/serve.log)"

stop_serve
serve_a
WEB_BASE=$BASE timeout 60 python3 "$WEB_SRC/security.py" restarted || fail "after a restart"
stop_serve

no_secrets_in_logs
ok "no password and no BSN in the node's stderr"
