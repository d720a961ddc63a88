#!/usr/bin/env python3
"""Reference client for schakel's integration API (docs/operator.md, "De
koppeling met het cliëntsysteem (ECD)"; docs/openapi.yaml, /api/integration/v1/).

Reads an export of the client system (CSV with a header line, or a JSON
array of objects) and sends it to the node in batches: clients first, then
cases, then consent changes. Every call is an idempotent upsert by the
system's own ids, so a batch that failed half-way (a timeout, a restart of
the node) is simply sent again. Python 3 standard library only.

    ecd_sync.py --url https://schakel.wijkteam.local:8443 \\
        --credential-file /etc/ecd/schakel.credential \\
        --clients clients.csv --cases cases.csv [--consents consents.csv]

clients.csv: id,bsn,name,birthdate
cases.csv:   id,client,professional,state,consent,categories,consent_by,basis,reason,expires
consents.csv: case,consent,categories,consent_by,basis,reason,expires[,professional]
  consent and categories: lists separated by ';' (or ',' inside quotes),
  e.g. "discover;contact;discuss" and "all"; an empty consent withdraws it.

The credential is read from a file (or the environment variable
SCHAKEL_CREDENTIAL), never from the command line, where other users of
the machine could see it. No BSN is ever printed: refusals name the
system's id, a code and the node's Dutch sentence.
"""
import argparse
import csv
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

BATCH_MAX = 1000
LISTS = ("consent", "categories")


def read_rows(path):
    """The rows of a CSV (with a header) or JSON (an array) export."""
    with open(path, encoding="utf-8-sig") as f:
        if path.endswith(".json"):
            rows = json.load(f)
            if not isinstance(rows, list):
                sys.exit(f"{path}: expected a JSON array of objects")
            return rows
        rows = []
        for row in csv.DictReader(f):
            item = {}
            for k, v in row.items():
                if k is None or v is None:
                    continue
                v = v.strip()
                if k in LISTS:
                    item[k] = [x.strip() for x in v.replace(";", ",").split(",") if x.strip()]
                    if k == "categories" and item[k] == ["all"]:
                        item[k] = "all"
                elif v != "":
                    item[k] = v
            rows.append(item)
        return rows


class Node:
    def __init__(self, url, credential, cafile=None, timeout=120, retries=5):
        self.base = url.rstrip("/") + "/api/integration/v1"
        self.credential = credential
        self.timeout = timeout
        self.retries = retries
        self.ctx = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None

    def call(self, method, path, body=None):
        """One request, retried with backoff on network errors, 429 and 5xx
        (safe: every call is idempotent). Returns (status, document)."""
        data = json.dumps(body).encode() if body is not None else None
        delay = 1.0
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.base + path, data=data, method=method)
            req.add_header("Authorization", "Bearer " + self.credential)
            if data is not None:
                req.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout, context=self.ctx) as r:
                    return r.status, json.loads(r.read() or b"{}")
            except urllib.error.HTTPError as e:
                doc = {}
                try:
                    doc = json.loads(e.read() or b"{}")
                except ValueError:
                    pass
                if e.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    return e.code, doc
                why = f"HTTP {e.code}"
            except (urllib.error.URLError, OSError) as e:
                if attempt == self.retries:
                    raise
                why = str(getattr(e, "reason", e))
            print(f"ecd_sync: {why}; trying again in {delay:.0f} s", file=sys.stderr)
            time.sleep(delay)
            delay = min(delay * 2, 60)
        raise RuntimeError("unreachable")


def sync(node, kind, rows, batch, idkey):
    """Sends rows in batches; returns the summed counts and the refusals."""
    total = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    refusals = []
    started = time.monotonic()
    for at in range(0, len(rows), batch):
        part = rows[at : at + batch]
        status, doc = node.call("POST", "/" + kind, {"items": part})
        if status != 200:
            code = doc.get("code", "?")
            sys.exit(f"ecd_sync: {kind} {at + 1}-{at + len(part)}: HTTP {status} {code}: "
                     f"{doc.get('message') or doc.get('error', '')}")
        for k in total:
            total[k] += doc.get(k, 0)
        for item in doc.get("items", []):
            if item.get("result") == "refused":
                refusals.append((kind, item.get("id"), item.get("code"), item.get("message")))
    seconds = max(time.monotonic() - started, 1e-6)
    total["seconds"] = round(seconds, 3)
    total["per_second"] = round(len(rows) / seconds, 1)
    return total, refusals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the node, e.g. https://schakel.local:8443")
    ap.add_argument("--credential-file", help="file holding the service credential "
                    "(default: $SCHAKEL_CREDENTIAL)")
    ap.add_argument("--cafile", help="CA certificate(s) to trust for an https node")
    ap.add_argument("--clients", help="clients export (CSV or .json)")
    ap.add_argument("--cases", help="cases export (CSV or .json)")
    ap.add_argument("--consents", help="consent changes (CSV or .json)")
    ap.add_argument("--batch", type=int, default=BATCH_MAX, help="items a request (<= 1000)")
    ap.add_argument("--retries", type=int, default=5, help="retries of a failed request")
    ap.add_argument("--json", action="store_true", help="the summary as JSON on stdout")
    ap.add_argument("--strict", action="store_true", help="exit 1 when an item is refused")
    a = ap.parse_args()
    if not 1 <= a.batch <= BATCH_MAX:
        ap.error(f"--batch is 1 to {BATCH_MAX}")
    if a.credential_file:
        with open(a.credential_file, encoding="ascii") as f:
            credential = f.read().strip()
    else:
        credential = os.environ.get("SCHAKEL_CREDENTIAL", "").strip()
    if not credential:
        ap.error("give the service credential with --credential-file or $SCHAKEL_CREDENTIAL")
    node = Node(a.url, credential, a.cafile, retries=a.retries)
    summary, refusals = {}, []
    for kind, path, idkey in (("clients", a.clients, "id"), ("cases", a.cases, "id"),
                              ("consents", a.consents, "case")):
        if path:
            summary[kind], r = sync(node, kind, read_rows(path), a.batch, idkey)
            refusals += r
    for kind, ident, code, message in refusals:
        print(f"ecd_sync: {kind} {ident}: refused ({code}): {message}", file=sys.stderr)
    if a.json:
        print(json.dumps(summary))
    else:
        for kind, t in summary.items():
            print(f"{kind}: {t['created']} created, {t['updated']} updated, "
                  f"{t['unchanged']} unchanged, {t['refused']} refused "
                  f"({t['per_second']}/s)")
    return 1 if a.strict and refusals else 0


if __name__ == "__main__":
    sys.exit(main())
