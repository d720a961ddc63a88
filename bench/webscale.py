#!/usr/bin/env python3
"""The web benchmark's client (bench/run.sh webscale): signs in to a running
`schakel-node serve --web` as a professional and as the privacy officer
and requests every list page and API read N times, one after the other on
one keep-alive connection; prints p50, p99 and the reply's size for each
and appends them to $BENCH_OUT as "webscale.KEY value". A read slower than
WEBSCALE_BUDGET_S (30) seconds for all N stops after at least 5; one that
gets no answer is reported as failed.
  webscale.py HOST:PORT CASE-ID [N]"""
import http.client
import json
import os
import sys
import time

addr, case_id = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
PASSWORD = "bench-password-1"
P99_MS, BYTES = 100.0, 200 * 1024
BUDGET_S = float(os.environ.get("WEBSCALE_BUDGET_S", "30"))


def signin(prof):
    c = http.client.HTTPConnection(addr, timeout=60)
    c.request("POST", "/api/session", body=json.dumps({"professional": prof, "password": PASSWORD}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"webscale: sign-in of {prof}: {r.status}")
    return c, r.getheader("Set-Cookie").split(";")[0]


def fig(key, value, unit, what):
    print(f"  {key:<44} {value:>14.1f} {unit:<8} {what}")
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "a") as f:
            f.write(f"webscale.{key} {value:.3f}\n")


def measure(cookie, path):
    """p50, p99, bytes and the count: n requests, or fewer (at least 5)
    when they take longer than BUDGET_S together. None when a request
    fails (its reason printed)."""
    # a connection of its own: serve drops one idle for 30 s
    conn = http.client.HTTPConnection(addr, timeout=300)
    lat, size, start = [], 0, time.perf_counter()
    for i in range(n):
        if i >= 5 and time.perf_counter() - start > BUDGET_S:
            break
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Cookie": cookie})
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            print(f"  GET {path}: no answer after {time.perf_counter() - t:.1f} s ({e!r})")
            return None
        lat.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            sys.exit(f"webscale: GET {path}: {r.status} {body[:200]!r}")
        size = len(body)
    lat.sort()
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], size, len(lat)


prof, pc = signin("prof-000")
officer, oc = signin("fg")
# a search and a second page, as a professional pages through her cases
first = json.loads((lambda c: (c.request("GET", "/api/cases", headers={"Cookie": pc}),
                               c.getresponse().read())[1])(prof))
reads = [
    ("cases_page", prof, pc, "/cases"),
    ("cases_page_2", prof, pc, f"/cases?after={first['next']}"),
    ("cases_search", prof, pc, "/cases?q=jansen"),
    ("case_page", prof, pc, f"/cases/{case_id}"),
    ("matches_page", prof, pc, "/matches"),
    ("discussions_page", prof, pc, "/discussions"),
    ("api_cases", prof, pc, "/api/cases"),
    ("api_matches", prof, pc, "/api/matches"),
    ("api_notices", prof, pc, "/api/notices"),
    ("api_discussions", prof, pc, "/api/discussions"),
    ("audit_page", officer, oc, "/audit"),
    ("audit_review_page", officer, oc, "/audit/review"),
    ("api_audit", officer, oc, "/api/audit"),
]
print(f"web reads at scale, {n} requests each, one after the other (p99 target < {P99_MS:.0f} ms, "
      f"< {BYTES // 1024} KB)")
missed = []
for key, conn, cookie, path in reads:
    got = measure(cookie, path)
    if got is None:
        fig(f"{key}_failed", 1, "", f"GET {path}: no answer")
        missed.append(f"{path} (no answer)")
        continue
    p50, p99, size, count = got
    fig(f"{key}_p50_ms", p50, "ms", f"GET {path}" + ("" if count == n else f" ({count} requests)"))
    fig(f"{key}_p99_ms", p99, "ms", "")
    fig(f"{key}_kb", size / 1024, "KB", "")
    if p99 >= P99_MS or size >= BYTES:
        missed.append(f"{path} (p99 {p99:.1f} ms, {size / 1024:.0f} KB)")
print("targets missed: " + ", ".join(missed) if missed else "every read within the targets")
