"""The web pages' and API's access rules of docs/web.md against a real node
(tests/e2e/web_security.sh sets it up): no session, another professional's
case, the privacy officer's and the professional's separate pages, CSRF,
session fixation, sign-out, lock-out and the session cookie's attributes.
Plain HTTP with urllib, redirects not followed. `python3 security.py main`
runs them all; `python3 security.py restarted` the checks after a restart.
Exits 1 with "FAIL: ..." at the first broken rule."""
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

E = os.environ
BASE = E["WEB_BASE"]
COOKIE = "schakel_session"
FAKE_DISC = "0123456789abcdef0123456789abcdef"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg, flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            fail(f"not JSON ({self.status}): {self.text[:200]}")

    def location_path(self):
        return urllib.parse.urlparse(self.headers.get("Location") or "").path

    def set_cookie(self):
        """The schakel_session Set-Cookie header: (value, attributes lowercased) or None."""
        for h in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = h.partition("=")
            if name.strip() == COOKIE:
                value, *attrs = rest.split(";")
                return value.strip(), [a.strip().lower() for a in attrs]
        return None


def http(method, path, sid=None, form=None, body=None, headers=None):
    """form: dict or list of pairs, sent urlencoded; body: sent as JSON."""
    h = {"Accept-Language": "en", **(headers or {})}  # the messages docs/web.md quotes
    data = None
    if sid is not None:
        h["Cookie"] = f"{COOKIE}={sid}"
    if form is not None:
        data = urllib.parse.urlencode(form, doseq=True).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif method == "POST":
        data = b""
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=h)
    try:
        with _opener.open(req, timeout=30) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())


# Refusals are checked with JSON requests: a form post is always answered
# 303 to a page (docs/web.md), the error shown there.
def want(r, status, what):
    if r.status != status:
        fail(f"{what}: {r.status}, want {status}: {r.text[:300]}")
    return r


def signin_form(who, pw, sid=None):
    r = http("POST", "/api/session", sid=sid, form={"professional": who, "password": pw})
    want(r, 303, f"sign-in of {who} (form)")
    if r.location_path() != "/":
        fail(f"sign-in of {who} (form) sent to {r.headers.get('Location')}, want /")
    c = r.set_cookie()
    if c is None:
        fail(f"sign-in of {who} set no {COOKIE} cookie")
    return c


def signin_json(who, pw):
    r = want(http("POST", "/api/session", body={"professional": who, "password": pw}), 200,
             f"sign-in of {who} (JSON)")
    d = r.json()
    if d.get("professional") != who or not d.get("csrf"):
        fail(f"sign-in of {who} answered {d}")
    c = r.set_cookie()
    if c is None:
        fail(f"sign-in of {who} (JSON) set no {COOKIE} cookie")
    return c[0], d


def page_csrf(sid, page):
    r = want(http("GET", page, sid=sid), 200, f"GET {page}")
    m = re.search(r'<meta\s+name="csrf"\s+content="([^"]+)"', r.text)
    if not m:
        fail(f"{page}: no <meta name=\"csrf\" content=...>")
    return m.group(1)


def case_ids(sid):
    """Every case id of the session's professional, following the pages."""
    ids, after = set(), ""
    while True:
        page = want(http("GET", "/api/cases?limit=200" + (f"&after={after}" if after else ""), sid=sid),
                    200, "GET /api/cases").json()
        ids |= {str(c["id"]) for c in page["items"]}
        after = page["next"]
        if not after:
            return ids


def case_status(sid, cid):
    return want(http("GET", f"/api/cases/{cid}", sid=sid), 200, f"GET /api/cases/{cid}").json()


TABLE_ACTS = ("schedule", "invite", "send", "outcome", "subgroup")


def main():
    prof, prof2, po, lock = E["WEB_PROF"], E["WEB_PROF2"], E["WEB_PO"], E["WEB_LOCK"]
    case_a, case_b = E["WEB_CASE_A"], E["WEB_CASE_B"]
    bsn3 = E["WEB_BSN3"]
    table, tcase = E["WEB_TABLE"], E["WEB_TABLE_CASE"]

    pages = ["/", "/cases", f"/cases/{case_b}", f"/cases/{case_b}/close", "/clients", "/clients/c-1",
             "/matches", "/discussions",
             f"/discussions/{FAKE_DISC}", "/audit", "/audit/report", "/audit/review", "/audit/verify"]
    api_get = ["/api/me", "/api/status", "/api/cases", f"/api/cases/{case_b}", "/api/matches",
               "/api/notices", "/api/discussions", f"/api/discussions/{FAKE_DISC}", "/api/audit",
               "/api/audit/export?format=csv", "/api/audit/report?client=c-1&lang=nl",
               "/api/audit/review", "/api/audit/verify", "/api/clients", "/api/clients/c-1",
               "/api/professionals", f"/api/tables/{table}/stats", f"/api/tables/{table}/stats?format=csv"]
    api_post = ["/api/sync", "/api/cases", f"/api/cases/{case_b}/consent", f"/api/cases/{case_b}/lookup",
                f"/api/cases/{case_b}/close", f"/api/cases/{case_b}/assign", "/api/clients",
                "/api/clients/find", "/api/discussions", f"/api/discussions/{FAKE_DISC}/accept",
                f"/api/discussions/{FAKE_DISC}/decline", f"/api/discussions/{FAKE_DISC}/send",
                f"/api/discussions/{FAKE_DISC}/close", "/api/audit/signoff", "/api/session/end",
                f"/api/tables/{table}/cases"] + [f"/api/table-cases/{tcase}/{a}" for a in TABLE_ACTS]
    forged = "ab" * 32
    for sid in (None, forged):
        for p in pages:
            r = http("GET", p, sid=sid)
            if r.status != 303 or r.location_path() != "/signin":
                fail(f"GET {p} without a session{' (made-up cookie)' if sid else ''}: "
                     f"{r.status} to {r.headers.get('Location')}, want 303 to /signin")
        for p in api_get:
            want(http("GET", p, sid=sid), 401, f"GET {p} without a session")
        for p in api_post:
            want(http("POST", p, sid=sid, form={"csrf": "x", "client": bsn3, "flag": "discover"}), 401,
                 f"POST {p} without a session")
    want(http("GET", "/signin"), 200, "GET /signin")
    ok(f"without a session (or with a made-up one) {len(pages)} pages go to /signin and "
       f"{len(api_get) + len(api_post)} API endpoints answer 401")

    # ---- the session cookie and fixation ----------------------------------
    attacker = "cd" * 32
    r0 = http("GET", "/signin", sid=attacker)
    if r0.set_cookie() and r0.set_cookie()[0] == attacker:
        fail("GET /signin adopted the presented session id")
    sid, attrs = signin_form(prof, E["WEB_PROF_PW"], sid=attacker)
    if sid == attacker:
        fail("sign-in kept the session id the browser presented (session fixation)")
    if not re.fullmatch(r"[0-9a-f]{64}", sid):
        fail(f"the session id is not 32 random bytes in hex: {sid!r}")
    for a in ("httponly", "samesite=strict", "path=/"):
        if a not in attrs:
            fail(f"the {COOKIE} cookie lacks {a}: {attrs}")
    want(http("GET", "/api/me", sid=attacker), 401, "the attacker's session id after the victim's sign-in")
    r = http("GET", "/cases", sid=attacker)
    if r.status != 303 or r.location_path() != "/signin":
        fail(f"GET /cases with the attacker's session id after sign-in: {r.status}")
    me = want(http("GET", "/api/me", sid=sid), 200, "GET /api/me").json()
    if me.get("professional") != prof:
        fail(f"/api/me: {me}")
    r = http("GET", "/", sid=sid)
    if r.status != 303 or r.location_path() != "/cases":
        fail(f"GET / as a professional: {r.status} to {r.headers.get('Location')}, want 303 to /cases")
    ok("sign-in sets a fresh 32-byte session id, HttpOnly, SameSite=Strict, Path=/; "
       "the id presented before sign-in is never valid")

    # a live session presented at sign-in (one an attacker planted, or the
    # browser's last) is ended, not kept beside the new one
    old, _ = signin_json(prof2, E["WEB_PROF2_PW"])
    new, _ = signin_form(prof2, E["WEB_PROF2_PW"], sid=old)
    if new == old:
        fail("sign-in kept the live session id the browser presented")
    want(http("GET", "/api/me", sid=old), 401, "a live session presented at sign-in, afterwards")
    want(http("GET", "/api/me", sid=new), 200, "the session of that sign-in")
    ok("a live session presented at sign-in ends; the new one works")

    # ---- another professional's case; no audit for a professional ---------
    sid2, d2 = signin_json(prof2, E["WEB_PROF2_PW"])
    st_b = case_status(sid2, case_b)
    csrf = page_csrf(sid, "/cases")
    want(http("GET", f"/cases/{case_a}", sid=sid), 200, "GET own case page")
    want(http("GET", f"/api/cases/{case_a}", sid=sid), 200, "GET own case")
    if case_b in case_ids(sid) or case_a not in case_ids(sid):
        fail(f"/api/cases for {prof}: {case_ids(sid)} (own {case_a}, other's {case_b})")
    want(http("GET", f"/cases/{case_b}", sid=sid), 404, f"{prof} GET /cases/{case_b} of {prof2}")
    r = want(http("GET", f"/api/cases/{case_b}", sid=sid), 404, f"{prof} GET /api/cases/{case_b} of {prof2}")
    if "no such case of yours" not in r.text:
        fail(f"another's case: {r.text[:200]}, want \"no such case of yours\"")
    for act, form in (("close", {}), ("lookup", {"purpose": "afstemming"}),
                      ("consent", {"flag": "discover", "categories": "all"}), ("assign", {"professional": prof})):
        want(http("POST", f"/api/cases/{case_b}/{act}", sid=sid, body=form, headers={"X-CSRF-Token": csrf}), 404,
             f"{prof} POST /api/cases/{case_b}/{act} of {prof2}")
    for p in ("/audit", "/audit/report", "/audit/review", "/audit/verify"):
        want(http("GET", p, sid=sid), 403, f"a professional GET {p}")
    for p in ("/api/audit", "/api/audit/export?format=csv", "/api/audit/export?format=fhir",
              "/api/audit/report?client=c-1&lang=nl", "/api/audit/review", "/api/audit/verify"):
        want(http("GET", p, sid=sid), 403, f"a professional GET {p}")
    want(http("POST", "/api/audit/signoff", sid=sid, body={"seq": 1, "note": "x"}, headers={"X-CSRF-Token": csrf}), 403,
         "a professional POST /api/audit/signoff")
    if case_status(sid2, case_b) != st_b:
        fail(f"{prof2}'s case changed after {prof}'s refused posts: {case_status(sid2, case_b)}")
    # the client of another's case: not by its local id, page or API
    client_b = st_b["client"]
    if client_b == case_status(sid, case_a)["client"]:
        fail("the two professionals' cases share a client; the test needs two")
    want(http("GET", f"/clients/{client_b}", sid=sid), 404, f"{prof} GET /clients/{client_b} of {prof2}'s case")
    want(http("GET", f"/api/clients/{client_b}", sid=sid), 404, f"{prof} GET /api/clients/{client_b}")
    if any(c["id"] == client_b for c in want(http("GET", "/api/clients", sid=sid), 200, "GET /api/clients").json()):
        fail(f"GET /api/clients of {prof} lists {prof2}'s client {client_b}")
    # finding a client by BSN: a POST, and the BSN is in no answer's Location
    r = http("POST", "/api/clients/find", sid=sid, form={"csrf": csrf, "bsn": bsn3})
    if r.status != 303 or bsn3 in (r.headers.get("Location") or ""):
        fail(f"a form POST /api/clients/find: {r.status} to {r.headers.get('Location')}")
    want(http("GET", f"/api/clients/find?bsn={bsn3}", sid=sid), 404, "GET /api/clients/find (no BSN in URLs)")
    ok(f"{prof} gets 404 for {prof2}'s case (page, API, close, lookup, consent) and 403 for "
       "every audit page and endpoint")

    # ---- the privacy officer: no case pages --------------------------------
    sid3, d3 = signin_json(po, E["WEB_PO_PW"])
    if d3.get("kind") != "privacy-officer":
        fail(f"the privacy officer signed in as kind {d3.get('kind')}")
    r = http("GET", "/", sid=sid3)
    if r.status != 303 or r.location_path() != "/audit":
        fail(f"GET / as privacy officer: {r.status} to {r.headers.get('Location')}, want /audit")
    want(http("GET", "/audit", sid=sid3), 200, "privacy officer GET /audit")
    want(http("GET", "/api/audit", sid=sid3), 200, "privacy officer GET /api/audit")
    for p in ("/cases", f"/cases/{case_a}", f"/cases/{case_a}/close", "/clients", "/matches", "/discussions"):
        want(http("GET", p, sid=sid3), 403, f"privacy officer GET {p}")
    for p in ("/api/cases", f"/api/cases/{case_a}", "/api/matches", "/api/notices", "/api/discussions"):
        want(http("GET", p, sid=sid3), 403, f"privacy officer GET {p}")
    for p, form in (("/api/cases", {"client": bsn3, "flag": "discover", "categories": "all",
                                    "consent_by": "client", "basis": "consent"}),
                    (f"/api/cases/{case_a}/close", {}), (f"/api/cases/{case_a}/lookup", {"purpose": "afstemming"}),
                    ("/api/clients", {"bsn": bsn3, "name": "x"}), ("/api/clients/find", {"bsn": bsn3}),
                    (f"/api/cases/{case_a}/assign", {"professional": prof2})):
        want(http("POST", p, sid=sid3, body=form, headers={"X-CSRF-Token": d3["csrf"]}), 403,
             f"privacy officer POST {p}")
    ok("a privacy officer gets the audit pages and 403 on every case page and endpoint")

    # ---- a table case: the outcome only by a procesregisseur -------------
    outcome = {"regie": f"{E['WEB_ORG_B']}:{E['WEB_PROFB']}", "routed_to": "schuldhulp",
               "breakthrough": "yes", "outcome": "de regie ligt bij de ggz"}
    for who, s_, tok in ((prof2, sid2, d2["csrf"]), (po, sid3, d3["csrf"])):
        for act, form in (("outcome", outcome), ("schedule", {"date": "2026-12-15"}),
                          ("invite", {"org": E["WEB_ORG_B"]}),
                          ("subgroup", {"org": [E["WEB_ORG_A"], E["WEB_ORG_B"]],
                                        "mandate": "mag zonder wachtlijst een plek regelen"})):
            want(http("POST", f"/api/table-cases/{tcase}/{act}", sid=s_, body=form,
                      headers={"X-CSRF-Token": tok}), 403, f"{who} POST /api/table-cases/ID/{act}")
    tc = want(http("GET", f"/api/table-cases/{tcase}", sid=sid2), 200, "GET /api/table-cases/ID").json()
    if tc.get("outcome") is not None or tc.get("meeting") is not None or tc.get("subgroups"):
        fail(f"a refused outcome, schedule or subgroup changed the table case: {tc}")
    ok(f"{prof2} (no procesregisseur) and the privacy officer get 403 on a table case's outcome, "
       "schedule, invitation and subgroup; nothing changed")

    # ---- CSRF ---------------------------------------------------------------
    before = case_ids(sid)
    open_form = {"client": bsn3, "flag": ["discover", "contact"], "categories": "all",
                 "consent_by": "client", "basis": "consent", "next": "/cases"}
    for what, form, hdr in (("no token", open_form, {}),
                            ("a wrong token", {**open_form, "csrf": "0" * 64}, {}),
                            ("an empty token", {**open_form, "csrf": ""}, {}),
                            (f"{prof2}'s token", {**open_form, "csrf": d2["csrf"]}, {}),
                            ("a wrong X-CSRF-Token", open_form, {"X-CSRF-Token": "0" * 64})):
        want(http("POST", "/api/cases", sid=sid, form=form, headers=hdr), 403,
             f"POST /api/cases with the cookie and {what}")
    want(http("POST", "/api/cases", sid=sid, body={k: v for k, v in open_form.items() if k != "next"}), 403,
         "a JSON POST /api/cases with the cookie and no token")
    if case_ids(sid) != before:
        fail(f"a refused POST opened a case: {case_ids(sid) - before}")
    st0 = case_status(sid, case_a)
    want(http("POST", f"/api/cases/{case_a}/close", sid=sid), 403, "close without a token")
    want(http("POST", "/api/sync", sid=sid), 403, "sync without a token")
    for act, form in (("outcome", outcome), ("send", {"text": "een bericht"}),
                      ("schedule", {"date": "2026-12-15"})):
        want(http("POST", f"/api/table-cases/{tcase}/{act}", sid=sid, form=form), 403,
             f"POST /api/table-cases/ID/{act} without a token")
        want(http("POST", f"/api/table-cases/{tcase}/{act}", sid=sid, body=form,
                  headers={"X-CSRF-Token": "0" * 64}), 403,
             f"POST /api/table-cases/ID/{act} with a wrong X-CSRF-Token")
    tc = want(http("GET", f"/api/table-cases/{tcase}", sid=sid), 200, "GET /api/table-cases/ID").json()
    if tc.get("outcome") is not None or tc.get("meeting") is not None or tc.get("thread"):
        fail(f"a table action without a CSRF token changed the case: {tc}")
    if case_status(sid, case_a) != st0:
        fail("a close without a CSRF token changed the case")
    evil = {"Origin": "http://evil.example"}
    want(http("POST", "/api/cases", sid=sid, form={**open_form, "csrf": csrf}, headers=evil), 403,
         "POST /api/cases with the right token from another site (Origin)")
    if case_ids(sid) != before:
        fail(f"a POST from another origin opened a case: {case_ids(sid) - before}")
    r = http("POST", "/api/session", form={"professional": prof2, "password": E["WEB_PROF2_PW"]}, headers=evil)
    if r.status != 403 or r.set_cookie():
        fail(f"a sign-in posted from another site: {r.status}, cookie {r.set_cookie()}")
    r = http("POST", "/api/cases", sid=sid, form={**open_form, "csrf": csrf},
             headers={"Origin": BASE})
    if r.status != 303:
        fail(f"POST /api/cases with the right token: {r.status} {r.text[:200]}")
    new = case_ids(sid) - before
    if len(new) != 1:
        fail(f"the accepted POST /api/cases opened {len(new)} cases")
    new = new.pop()
    # closing is irreversible: a form without confirm=yes only leads to the confirmation page
    r = http("POST", f"/api/cases/{new}/close", sid=sid, form={"csrf": csrf})
    if r.status != 303 or r.location_path() != f"/cases/{new}/close" or case_status(sid, new)["state"] != "open":
        fail(f"a close form without confirm=yes: {r.status} to {r.headers.get('Location')}, "
             f"state {case_status(sid, new)['state']}; want 303 to /cases/{new}/close and the case open")
    # so is withdrawing consent: a form with no flag only leads to its confirmation page
    flags = case_status(sid, new)["flags"]
    r = http("POST", f"/api/cases/{new}/consent", sid=sid, form={"csrf": csrf, "categories": "all"})
    if r.status != 303 or r.location_path() != f"/cases/{new}/withdraw" or case_status(sid, new)["flags"] != flags:
        fail(f"a consent form without a flag and without confirm=yes: {r.status} to {r.headers.get('Location')}, "
             f"flags {case_status(sid, new)['flags']}; want 303 to /cases/{new}/withdraw and {flags}")
    r = http("POST", f"/api/cases/{new}/close", sid=sid, headers={"X-CSRF-Token": csrf})
    if r.status not in (200, 204):
        fail(f"close with the right X-CSRF-Token header: {r.status} {r.text[:200]}")
    ok("a POST with the cookie and no, an empty, a wrong or another session's CSRF token, or from "
       "another origin, is 403 and changes nothing; the right token (field or header) works")

    # ---- sign-out -----------------------------------------------------------
    want(http("POST", "/api/session/end", sid=sid), 403, "sign-out without a CSRF token")
    want(http("GET", "/api/me", sid=sid), 200, "the session after a refused sign-out")
    r = http("POST", "/api/session/end", sid=sid, form={"csrf": csrf})
    if r.status != 303:
        fail(f"sign-out (form): {r.status} {r.text[:200]}")
    want(http("GET", "/api/me", sid=sid), 401, "the session after sign-out")
    r = http("GET", "/cases", sid=sid)
    if r.status != 303 or r.location_path() != "/signin":
        fail(f"GET /cases after sign-out: {r.status}")
    want(http("POST", "/api/cases", sid=sid, form={**open_form, "csrf": csrf}), 401,
         "POST after sign-out with the old token")
    ok("sign-out needs the CSRF token and ends the session")

    # ---- wrong passwords and the lock-out -----------------------------------
    signin_json(lock, E["WEB_LOCK_PW"])  # works before the failures
    unknown = http("POST", "/api/session", body={"professional": "niemand", "password": "x" * 14})
    want(unknown, 401, "sign-in of an unknown professional")
    no_pw = http("POST", "/api/session", body={"professional": E["WEB_NOPW"], "password": "x" * 14})
    want(no_pw, 401, "sign-in of a professional without a password")
    for i in range(5):
        r = http("POST", "/api/session", body={"professional": lock, "password": f"fout-wachtwoord-{i}"})
        if i == 4 and r.status == 429:
            break  # the fifth failure may already tell of the lock-out
        want(r, 401, f"wrong password {i + 1}")
        if r.body != unknown.body or r.body != no_pw.body:
            fail(f"a wrong password ({r.text!r}), an unknown professional ({unknown.text!r}) and no password "
                 f"({no_pw.text!r}) are told apart")
        if i == 0 and "wrong professional id or password" not in r.text:
            fail(f"a wrong password: {r.text!r}, want \"wrong professional id or password\"")
    for i in range(6):
        want(http("POST", "/api/session", body={"professional": "niemand", "password": "x" * 14}), 401,
             f"unknown professional, attempt {i + 2}: an unknown id never locks")
    for what, pw in (("the right password", E["WEB_LOCK_PW"]), ("a wrong one", "nog-een-fout-wachtwoord")):
        r = want(http("POST", "/api/session", body={"professional": lock, "password": pw}), 429,
                 f"{what} after 5 failures")
        if "too many failed sign-ins" not in r.text or not re.search(r"\d\d:\d\d", r.text):
            fail(f"lock-out message: {r.text!r}")
        if r.set_cookie():
            fail("a locked sign-in set a session cookie")
    r = http("POST", "/api/session", form={"professional": lock, "password": E["WEB_LOCK_PW"]})
    if r.status != 303 or r.location_path() != "/signin" or r.set_cookie():
        fail(f"a form sign-in of a locked account: {r.status} to {r.headers.get('Location')}")
    loc = urllib.parse.urlparse(r.headers["Location"])
    page = want(http("GET", "/signin" + (f"?{loc.query}" if loc.query else "")), 200, "the sign-in page after a lock-out")
    m = re.search(r'<p[^>]*id="message"[^>]*>(.*?)</p>', page.text, re.S)
    if not m or 'role="alert"' not in page.text[m.start():m.start() + 200]:
        fail(f"the sign-in page after a lock-out has no p#message[role=alert]: {page.text[:300]}")
    if "too many failed sign-ins" not in m.group(1).lower() or not re.search(r"\d\d:\d\d", m.group(1)):
        fail(f"the sign-in page after a lock-out says {m.group(1)!r}, want the lock-out and its end (HH:MM)")
    ok("5 wrong passwords lock the account (429, with the time), also for the right password; "
       "wrong password, unknown professional and no password answer alike")
    with open(E["WEB_STATE"], "w") as f:
        json.dump({"sid": sid2, "csrf": d2["csrf"]}, f)


def restarted():
    with open(E["WEB_STATE"]) as f:
        old = json.load(f)
    want(http("GET", "/api/me", sid=old["sid"]), 401, "a session of the previous serve process")
    r = want(http("POST", "/api/session", body={"professional": E["WEB_LOCK"], "password": E["WEB_LOCK_PW"]}),
             429, "the locked account after a restart")
    sid, _ = signin_json(E["WEB_PROF2"], E["WEB_PROF2_PW"])
    want(http("GET", "/api/me", sid=sid), 200, "a new session after the restart")
    ok("after a restart the lock-out holds (kept in the database) and old sessions are gone")


{"main": main, "restarted": restarted}[sys.argv[1]]()
