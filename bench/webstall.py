#!/usr/bin/env python3
"""Page latency of `serve --web` while a lookup hangs on a stopped registry
(bench/webstall.sh; `make bench`, BENCH_ONLY=webstall).

SESSIONS signed-in sessions (each on its own keep-alive connection, as a
browser's) load pages (/cases, /matches, /discussions, their case page) for
SECONDS, each starting at a random moment of the first 0.8 s and waiting a
random 0.2 to 0.8 s between pages; right after the
start one lookup is sent while the registry process is stopped (SIGSTOP: it
accepts connections and never answers). Prints one JSON line: the count,
p50, p99 and max page latency in ms, non-200 answers, how the lookup
ended, the CPU seconds of the node and of this client meanwhile, and the
machine's load average (the cores are shared).

Environment: WEB_BASE, WEB_REG_PID, WEB_SERVE_PID; argv: a file of lines
"PROFESSIONAL PASSWORD CASE", SESSIONS, SECONDS."""
import asyncio
import json
import os
import random
import re
import resource
import signal
import sys
import time
import urllib.parse

BASE = urllib.parse.urlparse(os.environ["WEB_BASE"])
HOST, PORT = BASE.hostname, BASE.port


class Conn:
    """One keep-alive HTTP/1.1 connection (answers with Content-Length)."""

    def __init__(self):
        self.r = self.w = None

    async def request(self, method, path, headers=None, body=b""):
        if self.w is None:
            self.r, self.w = await asyncio.open_connection(HOST, PORT)
        h = {"Host": f"{HOST}:{PORT}", **(headers or {})}
        if body:
            h["Content-Length"] = str(len(body))
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
        self.w.write(head.encode() + b"\r\n" + body)
        await self.w.drain()
        status = int((await self.r.readline()).split()[1])
        got = {}
        while True:
            line = (await self.r.readline()).decode()
            if line in ("\r\n", ""):
                break
            k, v = line.split(":", 1)
            got[k.strip().lower()] = v.strip()
        data = await self.r.readexactly(int(got.get("content-length", "0")))
        if got.get("connection", "").lower() == "close":
            self.close()
        return status, got, data

    def close(self):
        if self.w is not None:
            self.w.close()
        self.r = self.w = None


async def signin(prof, pw, gate):
    async with gate:  # argon2id: the node runs two at a time anyway
        c = Conn()
        body = json.dumps({"professional": prof, "password": pw}).encode()
        st, h, data = await c.request("POST", "/api/session", {"Content-Type": "application/json"}, body)
        c.close()
    if st != 200:
        raise SystemExit(f"sign-in of {prof}: {st} {data[:200]!r}")
    sid = re.search(r"schakel_session=([0-9a-f]{64})", h["set-cookie"]).group(1)
    return sid, json.loads(data)["csrf"]


async def load(sid, case, until, lat, bad, rng):
    c = Conn()
    pages = ["/cases", "/matches", "/discussions", f"/cases/{case}"]
    try:
        await asyncio.sleep(rng.uniform(0, 0.8))  # sessions are not in step
        while time.monotonic() < until:
            p = rng.choice(pages)
            t0 = time.monotonic()
            st, _, _ = await c.request("GET", p, {"Cookie": f"schakel_session={sid}"})
            lat.append((time.monotonic() - t0) * 1000)
            if st != 200:
                bad.append(st)
            await asyncio.sleep(rng.uniform(0.2, 0.8))
    finally:
        c.close()


async def lookup(sid, csrf, case, out):
    c = Conn()
    t0 = time.monotonic()
    st, _, data = await c.request("POST", f"/api/cases/{case}/lookup",
                                  {"Cookie": f"schakel_session={sid}", "X-CSRF-Token": csrf,
                                   "Content-Type": "application/json"},
                                  json.dumps({"purpose": "afstemming"}).encode())
    c.close()
    out.update(status=st, seconds=round(time.monotonic() - t0, 1),
               error=json.loads(data).get("error", ""))


def cpu_s(pid):
    """User and system CPU seconds of process pid so far."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else 0.0


async def main():
    people = [line.split() for line in open(sys.argv[1]) if line.strip()]
    sessions, seconds = int(sys.argv[2]), float(sys.argv[3])
    gate = asyncio.Semaphore(2)
    who = [people[i % len(people)] for i in range(sessions)]
    signed = await asyncio.gather(*(signin(p, pw, gate) for p, pw, _ in who))
    rng = random.Random(7)
    lat, bad, look = [], [], {}
    reg = int(os.environ["WEB_REG_PID"])
    serve = int(os.environ["WEB_SERVE_PID"])
    os.kill(reg, signal.SIGSTOP)
    serve0, me0 = cpu_s(serve), resource.getrusage(resource.RUSAGE_SELF)
    try:
        until = time.monotonic() + seconds
        tasks = [load(sid, w[2], until, lat, bad, random.Random(rng.random()))
                 for (sid, _), w in zip(signed, who)]
        look_task = asyncio.ensure_future(lookup(signed[0][0], signed[0][1], who[0][2], look))
        await asyncio.gather(*tasks)
        await look_task
    finally:
        os.kill(reg, signal.SIGCONT)
    me = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"sessions": sessions, "seconds": seconds, "count": len(lat),
                      "p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2),
                      "max_ms": round(max(lat), 2), "not_200": len(bad), "lookup": look,
                      "serve_cpu_s": round(cpu_s(serve) - serve0, 1),
                      "client_cpu_s": round(me.ru_utime + me.ru_stime - me0.ru_utime - me0.ru_stime, 1),
                      "loadavg": os.getloadavg()[0]}))


asyncio.run(main())
