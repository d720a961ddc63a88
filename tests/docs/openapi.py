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

# routed: (method, path) from api_handle: "get && strcmp(p, X)", "post && ...",
# and the prefixes with their sub-actions for /api/cases/{id} and
# /api/discussions/{id}
body = src[src.index("void api_handle(web_req *r)"):]
routed = set()
for method, p in re.findall(r'\b(get|post) && \(?strcmp\(p, "(/api/[^"]*)"\)', body):
    routed.add((method.upper(), p))
for p in re.findall(r'\|\| strcmp\(p, "(/api/[^"]*)"\)', body):
    routed.add(("GET", p))
for prefix in re.findall(r'split\(p, "(/api/[a-z]+/)"', body):
    block = body[body.index(prefix):]
    block = block[: block.index("\n\t} else")]  # up to the end of its branch
    if re.search(r'get && rest\[0\] == 0', block):
        routed.add(("GET", prefix + "{id}"))
    for sub in re.findall(r'strcmp\(rest, "([a-z]+)"\)', block):
        routed.add(("POST", prefix + "{id}/" + sub))
# sign-in and sign-out are answered before the table
for p in re.findall(r'if \(post && strcmp\(p, "(/api/[^"]*)"\)', body):
    routed.add(("POST", p))

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
