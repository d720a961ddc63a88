#!/usr/bin/env python3
"""No head-of-line blocking in `serve --http` (tests/e2e/web_stall.sh).

Against a real node whose registry is stopped (SIGSTOP: it accepts TCP
connections and never answers), while lookups hang: the pages of two
professionals answer within 1 s each; when all remote slots are taken, one
more lookup gets the registry's message at once; each hanging lookup ends
after the deadline (15 s) with the Dutch message (JSON 503/504, a form post
303 to the case page that shows it); after SIGCONT the node serves pages
and lookups again, and every request got its answer.

Environment: WEB_BASE, WEB_PROF, WEB_PROF_PW, WEB_PROF2, WEB_PROF2_PW,
WEB_BSN, WEB_REG_PID."""
import http.client as httpc
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse

E = os.environ
BASE = urllib.parse.urlparse(E["WEB_BASE"])
MSG_NL = "De verwijsindex is nu niet bereikbaar; probeer het over een paar minuten opnieuw."
DEADLINE = 15.0
PAGE_MAX = 1.0


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print(f"ok - {msg}")


class Reply:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)


def http(method, path, sid=None, csrf=None, body=None, form=None, timeout=60):
    """One request on its own connection; the answer and how long it took."""
    headers = {}
    data = None
    if sid:
        headers["Cookie"] = f"schakel_session={sid}"
    if csrf:
        headers["X-CSRF-Token"] = csrf
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    t0 = time.monotonic()
    c = httpc.HTTPConnection(BASE.hostname, BASE.port, timeout=timeout)
    try:
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        return Reply(r.status, dict(r.getheaders()), text, time.monotonic() - t0)
    finally:
        c.close()


def signin(who, pw):
    r = http("POST", "/api/session", body={"professional": who, "password": pw})
    if r.status != 200:
        fail(f"sign-in of {who}: {r.status} {r.body[:200]}")
    m = re.search(r"schakel_session=([0-9a-f]{64})", r.headers.get("Set-Cookie", ""))
    if not m:
        fail(f"sign-in of {who}: no session cookie")
    return m.group(1), r.json()["csrf"]


def lookup_json(sess, case, out, i):
    sid, csrf = sess
    try:
        out[i] = http("POST", f"/api/cases/{case}/lookup", sid, csrf, body={"purpose": "afstemming"})
    except Exception as e:  # an exception is a lost request
        out[i] = e


def lookup_form(sess, case, out, i):
    sid, csrf = sess
    try:
        out[i] = http("POST", f"/api/cases/{case}/lookup", sid,
                      form={"csrf": csrf, "purpose": "afstemming", "next": f"/cases/{case}"})
    except Exception as e:
        out[i] = e


def main():
    reg = int(E["WEB_REG_PID"])
    anna = signin(E["WEB_PROF"], E["WEB_PROF_PW"])
    bea = signin(E["WEB_PROF2"], E["WEB_PROF2_PW"])
    r = http("POST", "/api/cases", *anna, body={
        "client": E["WEB_BSN"], "flag": ["discover", "contact", "discuss"],
        "consent_by": "client", "basis": "consent"})
    if r.status != 201:
        fail(f"POST /api/cases: {r.status} {r.body[:200]}")
    case = r.json()["id"]
    pages = {anna: ["/cases", "/matches", "/discussions", f"/cases/{case}"],
             bea: ["/cases", "/matches", "/discussions"]}
    for who, paths in pages.items():
        for p in paths:
            if http("GET", p, who[0]).status != 200:
                fail(f"GET {p} before the stall")
    ok(f"anna and bea signed in; case {case} opened for anna; their pages answer")

    os.kill(reg, signal.SIGSTOP)
    try:
        # every remote slot: 4 workers and 4 queued (web/web.c class_max)
        slots = 8
        res = [None] * slots
        threads = [threading.Thread(target=lookup_form, args=(anna, case, res, 0))]
        threads += [threading.Thread(target=lookup_json, args=(anna, case, res, i))
                    for i in range(1, slots)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(1.0)
        one_more = http("POST", f"/api/cases/{case}/lookup", *anna, body={"purpose": "afstemming"})
        if one_more.status != 503 or one_more.json().get("error") != MSG_NL or one_more.seconds > PAGE_MAX:
            fail(f"a lookup with every remote slot taken: {one_more.status} in {one_more.seconds:.2f} s, "
                 f"{one_more.body[:200]}; want 503 at once with the message")
        ok(f"{slots} lookups hang on the stopped registry; one more gets 503 with the message "
           f"in {one_more.seconds * 1000:.0f} ms")

        # pages while they hang: every one within PAGE_MAX
        sent = answered = 0
        slowest = 0.0
        until = time.monotonic() + 6.0
        while time.monotonic() < until:
            for who, paths in pages.items():
                for p in paths:
                    sent += 1
                    r = http("GET", p, who[0], timeout=30)
                    answered += 1
                    slowest = max(slowest, r.seconds)
                    if r.status != 200 or r.seconds > PAGE_MAX:
                        fail(f"GET {p} while lookups hang: {r.status} in {r.seconds:.2f} s "
                             f"(want 200 within {PAGE_MAX} s)")
        still = sum(1 for t in threads if t.is_alive())
        if still != slots:
            fail(f"only {still} of {slots} lookups still hang after the page loads")
        ok(f"{answered} pages of anna and bea answered while the lookups hang, the slowest in "
           f"{slowest * 1000:.0f} ms")

        for t in threads:
            t.join(40)
        took = time.monotonic() - t0
        for i, r in enumerate(res):
            if not isinstance(r, Reply):
                fail(f"lookup {i} got no answer: {r!r}")
        if res[0].status != 303 or res[0].headers.get("Location") != f"/cases/{case}":
            fail(f"the form's lookup: {res[0].status} to {res[0].headers.get('Location')}")
        for i, r in enumerate(res[1:], 1):
            if r.status not in (503, 504) or r.json().get("error") != MSG_NL:
                fail(f"lookup {i}: {r.status} {r.body[:200]}; want 503/504 with the message")
        first = min(r.seconds for r in res)
        if first < DEADLINE - 1.5 or took > DEADLINE + 6:
            fail(f"the lookups ended after {first:.1f} to {took:.1f} s; the deadline is {DEADLINE:.0f} s")
        page = http("GET", f"/cases/{case}", anna[0])
        m = re.search(r'<p id="message" role="alert">([^<]*)</p>', page.body)
        if m is None or m.group(1) != MSG_NL:
            fail(f"the case page after the form's lookup shows {m.group(1) if m else 'no message'!r}")
        ok(f"the lookups ended after {first:.1f} to {took:.1f} s (deadline {DEADLINE:.0f} s): JSON "
           f"{sorted(set(r.status for r in res[1:]))} with the message, the form's on the case page")
    finally:
        os.kill(reg, signal.SIGCONT)

    for who, paths in pages.items():
        for p in paths:
            r = http("GET", p, who[0])
            if r.status != 200 or r.seconds > PAGE_MAX:
                fail(f"GET {p} after the registry came back: {r.status} in {r.seconds:.2f} s")
    # the registry is back: a lookup answers again (once the sync thread
    # has published anna's entry)
    deadline = time.monotonic() + 40
    while True:
        r = http("POST", f"/api/cases/{case}/lookup", *anna, body={"purpose": "afstemming"})
        if r.status == 200:
            break
        if time.monotonic() > deadline:
            fail(f"no lookup answers after the registry came back: {r.status} {r.body[:200]}")
        time.sleep(1)
    ok(f"after SIGCONT the pages answer and a lookup does ({r.seconds * 1000:.0f} ms); "
       f"every request got its answer ({sent} pages, {slots + 1} lookups while stopped)")


if __name__ == "__main__":
    main()
