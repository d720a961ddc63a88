#!/usr/bin/env python3
"""The guard rail for the layout (docs/design.md, "Layers").

Fails (exit 1) when
  - a file of one folder includes a header of a folder above it, or of a
    folder beside it that it may not use (a binary's front end, FRONT_END,
    excepted);
  - files form a circle: module A (a.c with a.h) uses module B and B,
    directly or through others, uses A.
Run by `make test` as the ctest `layers` (label unit). Usage:
  scripts/layers.py [ROOT]
"""
import os
import re
import sys

# Each folder and the folders it may include from (besides itself).
LAYERS = {
    "common": [],
    "crypto": ["common"],
    "protos": ["common", "crypto"],
    "net": ["common", "crypto", "protos"],
    "witness": ["common", "crypto", "protos", "net"],
    "audit": ["common", "crypto", "protos", "net"],
    "pseudonymiser": ["common", "crypto", "protos", "net", "witness", "audit"],
    "registry": ["common", "crypto", "protos", "net", "witness", "audit"],
    "node": ["common", "crypto", "protos", "net", "witness", "audit"],
    "web": ["common", "crypto", "protos", "net", "witness", "audit", "node"],
}
# A party folder's binary front end: its main and the argument parsing of
# its subcommands. They only parse arguments and call libraries, and the
# binary links whichever it serves (schakel-node's `serve` runs web/), so
# they may include any folder; they still count for circles.
FRONT_END = re.compile(r"^(cli_[a-z0-9_]+\.c|cli\.h|main_[a-z0-9_]+\.c)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root):
    """{module: set(header paths it includes)}, module = 'dir/name', and
    the set of (module, header) includes a front-end file makes."""
    mods, front = {}, set()
    for folder in LAYERS:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for dirpath, _, files in os.walk(d):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                mod = rel[:-2]
                with open(path, encoding="utf-8") as fh:
                    incs = INCLUDE.findall(fh.read())
                mods.setdefault(mod, set()).update(incs)
                if FRONT_END.match(f):
                    front.update((mod, inc) for inc in incs)
    return mods, front


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    mods, front = modules(root)
    bad = []
    graph = {}
    for mod, incs in sorted(mods.items()):
        folder = mod.split("/")[0]
        graph[mod] = set()
        for inc in sorted(incs):
            parts = inc.split("/")
            if len(parts) < 2:
                continue  # a generated or local header of the same folder
            target = parts[0]
            if target not in LAYERS:
                continue  # generated headers (build dir), system paths
            if (target != folder and target not in LAYERS[folder] and
                    (mod, inc) not in front):
                bad.append(f"{mod}: includes {inc}, but {folder}/ may not use {target}/")
            dep = inc[:-2] if inc.endswith(".h") else inc
            if dep != mod and dep in mods:
                graph[mod].add(dep)

    # Tarjan's strongly connected components: every component of more than
    # one module is a circle.
    index, low, onstack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in sorted(sccs):
        bad.append("circle: " + " <-> ".join(comp))
    for line in bad:
        print("layers: " + line, file=sys.stderr)
    if bad:
        return 1
    print(f"layers: {len(mods)} modules in {len(LAYERS)} folders, no include up a layer, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
