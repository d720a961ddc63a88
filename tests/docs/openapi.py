#!/usr/bin/env python3
"""docs/openapi.yaml and web/api.c agree: every path the API routes is
documented with its methods, and every documented path is routed."""
import re
import sys

import yaml

root = sys.argv[1]
doc = open(f"{root}/docs/openapi.yaml").read()
src = open(f"{root}/web/api.c").read()

# documented: path -> methods, from the parsed document (python3-yaml)
spec = yaml.safe_load(doc)
if not str(spec.get("openapi", "")).startswith("3."):
    sys.exit("docs/openapi.yaml: not an OpenAPI 3 document")
documented = {}
for path, item in spec["paths"].items():
    documented[path] = set()
    for method, op in item.items():
        if method in ("get", "post", "put", "delete"):
            if not op.get("summary") or not op.get("responses"):
                sys.exit(f"docs/openapi.yaml: {method} {path} needs a summary and responses")
            documented[path].add(method.upper())

# routed: (method, path) from api.c's route table, rows
# {EVHTTP_REQ_GET, "/api/...", ...}; a {case} there is the document's {id}
table = src[src.index("} routes[] = {"):]
table = table[: table.index("\n};")]
routed = set()
for method, p in re.findall(r'\{EVHTTP_REQ_(GET|POST), "(/api/[^"]*)"', table):
    routed.add((method, p.replace("{case}", "{id}")))

bad = 0
for method, p in sorted(routed):
    if method not in documented.get(p, set()):
        print(f"not in docs/openapi.yaml: {method} {p}")
        bad = 1
for p, methods in documented.items():
    for method in methods:
        if (method, p) not in routed:
            print(f"documented but not routed by web/api.c: {method} {p}")
            bad = 1
if len(routed) < 20:
    print(f"only {len(routed)} routes found in web/api.c: the parser is out of date")
    bad = 1
print(f"{len(routed)} routes, {sum(len(m) for m in documented.values())} documented operations")
sys.exit(bad)
