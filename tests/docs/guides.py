#!/usr/bin/env python3
"""The guides in docs/ use only real commands and options: every
`schakel-* COMMAND [SUBCOMMAND] --option` in their code blocks is checked
against that binary's --help texts.
   tests/docs/guides.py SOURCE_DIR BINARY..."""
import re, subprocess, sys

src, bins = sys.argv[1], {b.rsplit("/", 1)[-1]: b for b in sys.argv[2:]}
guides = ["operator.md", "professional.md", "privacy-officer.md"]
helps, bad, checked = {}, [], 0


def help_of(binary, words):
    key = (binary, tuple(words))
    if key not in helps:
        p = subprocess.run([bins[binary], *words, "--help"], capture_output=True, text=True)
        helps[key] = p.stdout + p.stderr
    return helps[key]


def commands(text):
    return re.findall(r"^  ([a-z][a-z-]*) ", text, re.M)


for g in guides:
    lines, block, joined = open(f"{src}/docs/{g}").read().split("\n"), False, []
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            block = not block
            continue
        if not block:
            continue
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
        else:
            joined.append((n, line.strip()))
    for n, cmd in joined:
        if cmd.startswith("#") or cmd.startswith("ExecStart="):
            continue
        for m in re.finditer(r"\b(schakel-(?:node|registry|pseudonymiser)) ([^|;&#]*)", cmd):
            binary, rest = m.group(1), m.group(2).split()
            if binary not in bins or not rest or not re.match(r"^[a-z]", rest[0]):
                continue
            words = [rest[0]]
            if rest[0] not in commands(help_of(binary, [])):
                bad.append(f"docs/{g}:{n}: {binary} has no command '{rest[0]}'")
                continue
            sub = commands(help_of(binary, words))
            if "SUBCOMMAND" in help_of(binary, words).split("\n")[0]:
                if len(rest) < 2 or rest[1] not in sub:
                    bad.append(f"docs/{g}:{n}: '{binary} {rest[0]}' needs a subcommand")
                    continue
                words.append(rest[1])
            text = help_of(binary, words)
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", " ".join(rest)):
                checked += 1
                if not re.search(re.escape(opt) + r"(?![a-z-])", text):
                    bad.append(f"docs/{g}:{n}: '{binary} {' '.join(words)}' has no option {opt}")
print("\n".join(bad), file=sys.stderr)
if bad:
    sys.exit(1)
print(f"ok - {checked} options of the commands in the guides are in --help")
