#!/usr/bin/env python3
"""No head-of-line blocking in `serve --web`, and streamed exports
(tests/e2e/web_stall.sh).

Against a real node whose registry is stopped (SIGSTOP: it accepts TCP
connections and never answers), while lookups hang: the pages of two
professionals answer within 1 s each; when all remote slots are taken, one
more lookup gets the registry's message at once; each hanging lookup ends
after the deadline (15 s) with the Dutch message (JSON 503/504, a form post
303 to the case page that shows it), one whose client went away meanwhile
is answered to no one; after SIGCONT the node serves pages and lookups
again, and every request got its answer.

Then the privacy officer's export of those thousands of records: chunked,
whole; two clients that do not read hold both export workers (each waits
while 1 MiB is queued for its client, so a third export is refused at
once), and once they go away the workers stop and a new export runs.

Environment: WEB_BASE, WEB_PROF, WEB_PROF_PW, WEB_PROF2, WEB_PROF2_PW,
WEB_PO, WEB_PO_PW, WEB_BSN, WEB_REG_PID."""
import http.client as httpc
import json
import os
import re
import signal
import socket
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


def export_stuck(sid):
    """An export whose client reads the headers and then nothing (a small
    receive window): the socket, for closing later."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((BASE.hostname, BASE.port))
    s.sendall((f"GET /api/audit/export?format=fhir HTTP/1.1\r\nHost: {BASE.netloc}\r\n"
               f"Cookie: schakel_session={sid}\r\n\r\n").encode())
    head = s.recv(2048).decode("utf-8", "replace")
    if not head.startswith("HTTP/1.1 200"):
        fail(f"an export: {head[:200]!r}")
    return s


def exports(anna):
    po = signin(E["WEB_PO"], E["WEB_PO_PW"])
    for _ in range(20):
        r = http("GET", "/api/audit/export?format=fhir", po[0])
        if r.status != 200 or r.headers.get("Transfer-Encoding") != "chunked":
            fail(f"the FHIR export: {r.status}, Transfer-Encoding "
                 f"{r.headers.get('Transfer-Encoding')}")
        bundle = json.loads(r.body)
        n, size = len(bundle.get("entry", [])), len(r.body)
        # well over the 1 MiB queue and what a small receive window lets
        # the kernel buffer
        if size >= 3 << 20:
            break
        for _ in range(300):  # more records: each page view is audited
            http("GET", "/cases", anna[0])
    else:
        fail(f"the FHIR export has {n} entries, {size} bytes: too few to fill the queue")
    ok(f"the FHIR export of {n} records ({size >> 20} MiB) streams chunked and parses whole")

    stuck = [export_stuck(po[0]) for _ in range(2)]
    time.sleep(2.0)
    r = http("GET", "/api/audit/export?format=csv", po[0])
    if r.status != 503:
        fail(f"an export while two clients read nothing: {r.status}; want 503 (both export "
             f"workers wait on their clients)")
    for s in stuck:
        s.close()
    until = time.monotonic() + 10
    while True:
        r = http("GET", "/api/audit/export?format=csv", po[0])
        if r.status == 200:
            break
        if time.monotonic() > until:
            fail(f"no export once the stuck clients left: {r.status}")
        time.sleep(0.2)
    ok("two clients that read nothing hold both export workers (a third export: 503); "
       "once they close, the workers stop and a new export runs")


def lookup_gone(sess, case, out, i):
    """A lookup whose client goes away while it hangs: its answer must go
    nowhere, and harm nothing."""
    sid, csrf = sess
    body = json.dumps({"purpose": "afstemming"}).encode()
    s = socket.create_connection((BASE.hostname, BASE.port))
    s.sendall((f"POST /api/cases/{case}/lookup HTTP/1.1\r\nHost: {BASE.netloc}\r\n"
               f"Cookie: schakel_session={sid}\r\nX-CSRF-Token: {csrf}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
              + body)
    time.sleep(0.5)
    s.close()
    out[i] = "gone"


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
                    for i in range(1, slots - 1)]
        threads += [threading.Thread(target=lookup_gone, args=(anna, case, res, slots - 1))]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(1.0)
        one_more = http("POST", f"/api/cases/{case}/lookup", *anna, body={"purpose": "afstemming"})
        if one_more.status != 503 or one_more.json().get("error") != MSG_NL or one_more.seconds > PAGE_MAX:
            fail(f"a lookup with every remote slot taken: {one_more.status} in {one_more.seconds:.2f} s, "
                 f"{one_more.body[:200]}; want 503 at once with the message")
        ok(f"{slots} lookups hang on the stopped registry (the client of one goes away); one more "
           f"gets 503 with the message in {one_more.seconds * 1000:.0f} ms")

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
        if still != slots - 1:  # the one whose client left has returned
            fail(f"only {still} of {slots - 1} lookups still hang after the page loads")
        ok(f"{answered} pages of anna and bea answered while the lookups hang, the slowest in "
           f"{slowest * 1000:.0f} ms")

        for t in threads:
            t.join(40)
        took = time.monotonic() - t0
        for i, r in enumerate(res[:-1]):
            if not isinstance(r, Reply):
                fail(f"lookup {i} got no answer: {r!r}")
        res = res[:-1]
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
       f"every request got its answer ({sent} pages, {slots} lookups while stopped, the "
       f"left one's answer dropped)")
    exports(anna)


if __name__ == "__main__":
    main()
