#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""tutorial_check.py DMAPOOL TUTORIAL.md

docs/tutorial.md quotes the tool's output.  Every explain command in the
tutorial's pool table must run, every "=> backend: ..." result line the
tutorial quotes must be the result line of one of the tutorial's explain
calls, and every backend named in the table must be what its command
returns.  A change in the library that moves an address or a backend
makes this fail until the tutorial is brought up to date.
"""
import re
import subprocess
import sys

# the calls the tutorial makes, besides the table's own
EXTRA = [
    "--device /lowbus@1f000000/usb@1000 --size 1M",
]


def result(tool, args):
    r = subprocess.run([tool, "explain"] + args.split(), capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        sys.exit("dmapool explain %s: exit %d: %s" % (args, r.returncode, r.stderr))
    lines = [l for l in r.stdout.splitlines() if l.startswith("=> ")]
    if len(lines) != 1:
        sys.exit("dmapool explain %s: %d result lines" % (args, len(lines)))
    return lines[0]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tool, doc = sys.argv[1], sys.argv[2]
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    rows = re.findall(r"^\|[^|\n]*\|[^|\n]*\| `dmapool explain ([^`]*)` \| `([^`]*)` \|",
                      text, re.M)
    if len(rows) < 5:
        sys.exit("%s: the pool table has %d explain rows, expected at least 5" %
                 (doc, len(rows)))
    results = {}
    failures = 0
    for args, backend in rows:
        got = result(tool, args)
        results[args] = got
        if not got.startswith("=> %s:" % backend):
            print("%s: table says %s for 'dmapool explain %s', the tool says: %s" %
                  (doc, backend, args, got))
            failures += 1
    for args in EXTRA:
        results[args] = result(tool, args)
    quoted = [l for l in text.splitlines() if l.startswith("=> ")]
    for line in quoted:
        if line not in results.values():
            print("%s: quotes '%s', which no explain call of the tutorial prints now" %
                  (doc, line))
            failures += 1
    if failures:
        print("%d difference(s): update docs/tutorial.md" % failures)
        return 1
    print("ok: %d table rows, %d quoted results" % (len(rows), len(quoted)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
