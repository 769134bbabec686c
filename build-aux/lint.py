#!/usr/bin/env python3
"""lint.py: the house rules a compiler does not check, over the C sources (`make lint`; python3, stdlib only).

Usage: lint.py SRCDIR [DIR...]   (DIRs relative to SRCDIR; default: src probes include)

Prints FILE:LINE: RULE: what, for every hit, then a count on stderr; exit 1 when there is a hit, 0 otherwise.
Rules (the project's house style):
  banned     strcpy, strcat, sprintf, vsprintf, gets, strtok, atoi, atol called in code: unbounded copies, no
             error reporting (curl's checksrc bans the same); use snprintf, memcpy with explicit lengths, strtol.
  citation   a comment that cites a file outside the repository ("protocol-notes", "DESIGN.md", "shared/") or an
             issue number ("issue 7"): a reader of the repository cannot follow it; cite an RFC/XEP section or
             doc/*.md, fedscan(1) or fedscan.conf(5) instead.
  label      a goto label other than `out:`: one cleanup label per function, named out.
Code, comments and string literals are told apart first, so a comment saying "not strcpy(" or a string holding
"issue 7" is not a hit, and a label is looked for in code only. Files the build generates (*_data.c from data/
and db/) are not read.
"""
import os
import re
import sys

BANNED = re.compile(r"\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)\s*\(")
CITATION = re.compile(r"(protocol-notes|DESIGN\.md|\bshared/|\bissue\s*#?\s*[0-9])", re.IGNORECASE)
# A label: an identifier and one colon at the start of a line (the house style puts labels in column 0), or an
# identifier and one colon alone on a line wherever it is indented. `default:` and C++'s `public:` are not labels.
LABEL = re.compile(r"^([A-Za-z_]\w*)\s*:(?!:)|^\s+([A-Za-z_]\w*)\s*:\s*;?\s*$")
NOT_LABELS = {"default", "public", "private", "protected"}
GENERATED = {"src/model/matrix_data.c", "src/store/migrations_data.c"}


def split(text):
    """Per line: (code with string/char literals emptied, comment text)."""
    code, comment = [[]], [[]]
    i, n = 0, len(text)
    state = "code"
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "\n":
            if state == "line":
                state = "code"
            code.append([])
            comment.append([])
            i += 1
            continue
        if state == "code":
            if c == "/" and nxt == "*":
                state, i = "block", i + 2
                continue
            if c == "/" and nxt == "/":
                state, i = "line", i + 2
                continue
            if c in "\"'":
                state = c
                code[-1].append(c)
            else:
                code[-1].append(c)
            i += 1
        elif state == "block":
            if c == "*" and nxt == "/":
                state, i = "code", i + 2
                code[-1].append(" ")
                continue
            comment[-1].append(c)
            i += 1
        elif state == "line":
            comment[-1].append(c)
            i += 1
        else:                               # inside a string or character literal opened by `state`
            if c == "\\" and nxt not in ("", "\n"):
                i += 2
                continue
            if c == "\\" and nxt == "\n":   # a continued literal: the newline is handled above
                i += 1
                continue
            if c == state:
                code[-1].append(c)
                state = "code"
            i += 1
    return ["".join(x) for x in code], ["".join(x) for x in comment]


def lint_file(path, rel, out):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        out.append("%s:0: read: %s" % (rel, e))
        return
    code, comment = split(text)
    for no, (c, m) in enumerate(zip(code, comment), 1):
        if c.lstrip().startswith("#"):      # preprocessor lines: #include "x.h" etc. have no calls or labels
            pass
        else:
            for hit in BANNED.finditer(c):
                out.append("%s:%d: banned: %s() (use snprintf, memcpy with explicit lengths, strtol)"
                           % (rel, no, hit.group(1)))
            lab = LABEL.match(c)
            if lab:
                name = lab.group(1) or lab.group(2)
                if name not in NOT_LABELS and name != "out" and not c.lstrip().startswith("case"):
                    out.append("%s:%d: label: '%s:' (one cleanup label per function, named out)" % (rel, no, name))
        for hit in CITATION.finditer(m):
            out.append("%s:%d: citation: comment cites '%s' (cite an RFC/XEP section or an in-repository doc)"
                       % (rel, no, hit.group(1)))


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: lint.py SRCDIR [DIR...]\n")
        return 64
    top = argv[1]
    dirs = argv[2:] or ["src", "probes", "include"]
    out, files = [], 0
    for d in dirs:
        for root, subdirs, names in os.walk(os.path.join(top, d)):
            subdirs.sort()
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, name)
                rel = os.path.relpath(path, top)
                if rel in GENERATED:
                    continue
                files += 1
                lint_file(path, rel, out)
    for line in out:
        print(line)
    sys.stderr.write("lint: %d hit%s in %d files under %s\n" % (len(out), "" if len(out) == 1 else "s", files,
                                                             ", ".join(dirs)))
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
