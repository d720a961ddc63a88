# What a discussion's requester can learn of its invitees before anyone
# accepts: nothing. A member asks for a discussion that reaches one
# disclosed, one undisclosed and one statutory-basis invitee, and a control
# discussion that reaches nobody; then, as that member over its own TLS
# session, collects every byte the registry will give it (its audit records
# for reconcile, its mailbox, the discussion's state, its anchors and
# resume point, and the refusals of writing to each org) and checks that
# no invitee's org id and no invitee count shows, until an acceptance.
source "$(dirname "$0")/lib.sh"
: "${SK_NODE:?}" "${SK_PSEUDONYMISER:?}" "${SK_TESTDISCUSS:?}"
cd "$T"

federation_up wijkteam:sociaal-team altrecht:ggz tactus:verslavingszorg lentis:ggz \
	parnassia:ggz
node() { "$SK_NODE" "$@" --dev 2>>"$T/node.log"; }
BSN=111222333 LONE=123456782
for org in wijkteam altrecht tactus lentis parnassia; do
	node professional add --dir $org --id p-$org --name "Prof $org" --role spv --phone 030-1 \
		>/dev/null
	node client add --dir $org --bsn $BSN >/dev/null
done
node client add --dir wijkteam --bsn $LONE >/dev/null
open_case() { node case open --dir "$1" --as "p-$1" "${@:2}" >/dev/null || fail "case at $1"; }
open_case wijkteam --client $BSN --consent discover,contact,discuss --categories all
open_case wijkteam --client $LONE --consent discover,contact,discuss --categories all
open_case altrecht --client $BSN --consent discover,contact,discuss --categories sociaal-team
open_case tactus --client $BSN --consent discuss --categories sociaal-team
open_case lentis --client $BSN --consent discuss --categories sociaal-team \
	--basis statutory:meldcode
for org in wijkteam altrecht tactus lentis parnassia; do
	node sync --dir $org >/dev/null || fail "first sync $org"
done
ok "a requester, a disclosed (altrecht), an undisclosed (tactus) and a statutory (lentis) entry; parnassia without one"

INVITEES="altrecht tactus lentis"
# collect NAME ID: every reply to wijkteam into NAME.raw, described in NAME.json
collect() {
	"$SK_TESTDISCUSS" collect wijkteam "$2" "$1.raw" $INVITEES parnassia >"$1.json" \
		2>>"$T/node.log" || fail "collect $1: $(tail -2 "$T/node.log")"
}
occurrences() { grep -a -o "$2" "$1.raw" | wc -l; }

collect c0 00000000000000000000000000000000
d1=$(node discuss request --dir wijkteam --client $BSN --as p-wijkteam --topic afstemming) ||
	fail "request: $(tail -2 node.log)"
collect c1 "$d1"
d2=$(node discuss request --dir wijkteam --client $LONE --as p-wijkteam --topic afstemming) ||
	fail "control request: $(tail -2 node.log)"
collect c2 "$d2"
for org in altrecht tactus lentis; do node sync --dir $org >/dev/null; done
invited() { node discuss list --dir "$1" --json | python3 -c "
import json,sys; print(sum(1 for d in json.load(sys.stdin) if d['role']=='invited' and d['id']=='$d1'))"; }
for org in $INVITEES; do [ "$(invited $org)" = 1 ] || fail "$org was not invited"; done
[ "$(invited parnassia)" = 0 ] || fail "parnassia invited without an entry"
ok "the discussion reached all three invitees; the control discussion none"

for org in tactus lentis; do
	for c in c0 c1 c2; do
		[ "$(occurrences $c $org)" = 0 ] || fail "$org (never visible to wijkteam) is in what $c collected"
	done
done
# altrecht is visible to wijkteam (a match names it); the requests add nothing
n0=$(occurrences c0 altrecht)
[ "$(occurrences c1 altrecht)" = "$n0" ] && [ "$(occurrences c2 altrecht)" = "$n0" ] ||
	fail "altrecht's id shows more often after the request: $n0, $(occurrences c1 altrecht), $(occurrences c2 altrecht)"
ok "no invitee's org id in any reply before an acceptance (audit records, mailbox, state, anchors, resume, refusals)"

python3 - "$d1" "$d2" <<'PY' || fail "an invitee count shows"
import json, sys
d1, d2 = sys.argv[1], sys.argv[2]
c = [json.load(open(f"c{i}.json")) for i in range(3)]
for x in c:
    for r in x["reconcile"]:
        assert "unknown_in_response" not in r and r["unknown"] == 0, r
# the requests' own records: one each, the same size and outcome
req = [[r for r in x["reconcile"] if r["event"] == "discuss.request"] for x in c]
assert len(req[0]) == 0 and len(req[1]) == 1 and len(req[2]) == 2, req
a, b = req[2]
assert a["outcome"] == b["outcome"] == 1 and a["size"] == b["size"], (a, b)
# what each request and the collection after it added to the records: alike
def events(x): return sorted((r["event"], r["outcome"]) for r in x["reconcile"])
def delta(new, old):
    rest = events(new)
    for e in events(old):
        rest.remove(e)
    return rest
assert delta(c[1], c[0]) == delta(c[2], c[1]), (delta(c[1], c[0]), delta(c[2], c[1]))
# nothing in the requester's mailbox, the same state for both discussions
assert c[0]["mailbox_last"] == c[1]["mailbox_last"] == c[2]["mailbox_last"], c
assert c[1]["state"]["participants"] == c[2]["state"]["participants"] == [], c
assert c[1]["state"]["size"] == c[2]["state"]["size"], (c[1]["state"], c[2]["state"])
# writing to an invitee and to an org never invited: the same refusal
for x in (c[1], c[2]):
    assert len(set(x["send"].values())) == 1 and "sent" not in x["send"].values(), x["send"]
assert c[1]["send"] == c[2]["send"], (c[1]["send"], c[2]["send"])
PY
ok "no invitee count: three invitees and none look alike in records, mailbox, state and refusals"

node discuss accept "$d1" --dir altrecht --as p-altrecht >/dev/null || fail "accept: $(tail -2 node.log)"
collect c3 "$d1"
python3 - <<'PY' || fail "the acceptance does not show"
import json
c2, c3 = json.load(open("c2.json")), json.load(open("c3.json"))
assert c3["state"]["participants"] == ["altrecht"], c3["state"]
assert c3["mailbox_last"] == c2["mailbox_last"] + 1, (c2["mailbox_last"], c3["mailbox_last"])
PY
for org in tactus lentis; do
	[ "$(occurrences c3 $org)" = 0 ] || fail "$org shows after another org accepted"
done
ok "after altrecht accepts, wijkteam sees altrecht (state, one sealed item) and still nothing of the others"
