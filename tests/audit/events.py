#!/usr/bin/env python3
"""Every audit event code the sources write has a sentence in the table of
audit/words.c (the art. 15 report and the officer's pages say it in words,
never as the code).

Event codes are found where the code base names them: assignments to an
`event` field or variable (`rec.event = "lookup"`, `event = x ? "a" : "b"`)
and the event argument of the functions that append an audit record for
it (node_audit_access, audit_cli_record, audit_read, audit_reading).
Exit 1 listing the codes without a sentence."""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
DIRS = ['common', 'crypto', 'protos', 'net', 'witness', 'audit', 'node', 'registry',
        'pseudonymiser', 'web']
CODE = re.compile(r'"([a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*)"')
# function name -> index of its event argument
CALLS = {'node_audit_access': 1, 'audit_cli_record': 3, 'audit_read': 1, 'audit_reading': 1}


def args_of(src, start):
    """The top-level arguments of the call whose '(' is at start."""
    depth, cur, out, i, quote = 0, '', [], start, False
    while i < len(src):
        c = src[i]
        if quote:
            cur += c
            if c == '\\':
                cur += src[i + 1]
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
            cur += c
        elif c == '(':
            depth += 1
            if depth > 1:
                cur += c
        elif c == ')':
            depth -= 1
            if depth == 0:
                out.append(cur.strip())
                return out
            cur += c
        elif c == ',' and depth == 1:
            out.append(cur.strip())
            cur = ''
        else:
            cur += c
        i += 1
    return out


def emitted():
    found = {}
    for d in DIRS:
        folder = os.path.join(ROOT, d)
        for name in sorted(os.listdir(folder)):
            if not name.endswith('.c'):
                continue
            path = os.path.join(d, name)
            src = open(os.path.join(ROOT, path), encoding='utf-8').read()
            for m in re.finditer(r'\bevent\s*=\s*([^;]*);', src):
                for code in CODE.findall(m.group(1)):
                    found.setdefault(code, path)
            for fn, idx in CALLS.items():
                for m in re.finditer(r'\b%s\s*\(' % fn, src):
                    a = args_of(src, m.end() - 1)
                    if len(a) > idx:
                        for code in CODE.findall(a[idx]):
                            found.setdefault(code, path)
    return found


def table():
    src = open(os.path.join(ROOT, 'audit', 'words.c'), encoding='utf-8').read()
    body = src[src.index('events[] = {'):src.index('#define N_EVENTS')]
    return set(re.findall(r'^\s*\{"([^"]+)",', body, re.M))


def main():
    codes, known = emitted(), table()
    if len(codes) < 30:
        print(f'FAIL: only {len(codes)} event codes found in the sources; is the scan broken?')
        return 1
    missing = sorted(c for c in codes if c not in known)
    for c in missing:
        print(f'FAIL: event {c} ({codes[c]}) has no sentence in audit/words.c')
    if missing:
        return 1
    print(f'ok - {len(codes)} event codes in the sources, each with a Dutch and an English sentence')
    return 0


if __name__ == '__main__':
    sys.exit(main())
