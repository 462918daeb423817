#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Checks of the decision-tree pictures (docs/cli.md "dmapool explain",
# docs/decision-tree.md).
#
#   dot_check.py dot TOOL DIR_OR_DTB...   --dot on the demo board and on every
#                                         fixture (bad ones: exit 2)
#   dot_check.py svg TOOL                 --svg without Graphviz (a PATH with
#                                         no dot), and with it (skipped, 77,
#                                         when dot is not installed)
#   dot_check.py doc GEN DOC              the doc's generated block is what
#                                         GEN prints
#
# For each board the devices checked are every device of a distinct kind
# (coherency, masks, bus limit, memory regions, IOMMU, dma-ranges), so that
# boards with hundreds of identical probe devices stay quick.  For each of
# them: a 4 KiB allocation and a 4 KiB map, with --dot FILE and --json in
# one run.  The DOT must parse (balanced braces and quotes, every edge
# endpoint declared as a node), every visited stage and the edges between
# them be highlighted, the highlighted backend be the --json backend, and
# every other stage carry the reason it was not visited.  Every failure
# prints one "FAIL: ..." line; the exit status is 1 when any failed.

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILED = []


def fail(msg):
    FAILED.append(msg)
    print("FAIL: " + msg)


def run(args, env=None):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


NODE = re.compile(r'^\s*"([^"]+)" \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
HIGHLIGHT = 'color="royalblue3"'


def parse_dot(text, what):
    """nodes {id: (label, attrs)}, edges [(a, b, attrs)], or None."""
    if text.count("{") != text.count("}"):
        fail(f"{what}: unbalanced braces")
        return None
    if not text.startswith("digraph ") or not text.rstrip().endswith("}"):
        fail(f"{what}: not one digraph")
        return None
    nodes, edges = {}, []
    for line in text.splitlines()[1:]:
        s = line.strip()
        if not s or s == "}" or s.startswith(("graph [", "node [", "edge [", "subgraph ", "label=")):
            continue
        if s.replace('\\"', "").count('"') % 2:
            fail(f"{what}: unbalanced quotes: {s}")
            return None
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(4)))
            continue
        m = NODE.match(line)
        if m:
            if m.group(1) in nodes:
                fail(f"{what}: node {m.group(1)} declared twice")
            nodes[m.group(1)] = (m.group(2), m.group(3))
            continue
        fail(f"{what}: line not understood: {s}")
        return None
    for a, b, _ in edges:
        for n in (a, b):
            if n not in nodes:
                fail(f"{what}: edge {a} -> {b}: {n} is not declared")
    return nodes, edges


def check_picture(dot_text, js, what):
    parsed = parse_dot(dot_text, what)
    if parsed is None:
        return
    nodes, edges = parsed
    backend = js.get("backend")
    leaf = "backend:" + backend
    if leaf not in nodes:
        fail(f"{what}: backend {backend} of --json is not a leaf of the picture")
        return
    lit = [n for n, (_, a) in nodes.items() if 'fillcolor="honeydew"' in a or 'fillcolor="mistyrose"' in a]
    if lit != [leaf]:
        fail(f"{what}: highlighted backend {lit}, --json says {backend}")
    visited = {n for n, (_, a) in nodes.items() if HIGHLIGHT in a}
    # every step of the trace is on a highlighted stage with that answer
    for st in js.get("steps", []):
        ok = any(st["answer"] and ("-> " + st["answer"].replace('"', '\\"')) in nodes[n][0]
                 for n in visited)
        if not ok:
            fail(f"{what}: step {st['stage']} -> {st['answer']} is on no highlighted stage")
    taken = [(a, b) for a, b, attrs in edges if HIGHLIGHT in attrs]
    for a, b in taken:
        if a not in visited or (b not in visited and b != leaf):
            fail(f"{what}: highlighted edge {a} -> {b} leaves the path")
    if not any(b == leaf for _, b in taken):
        fail(f"{what}: no highlighted edge into the backend {backend}")
    for n in visited:
        if not nodes[n][0] or n.startswith("backend:"):
            continue
        if not any(b == n for _, b in taken) and not any(a == n for a, _ in taken):
            fail(f"{what}: visited stage {n} has no highlighted edge")
    for n, (label, attrs) in nodes.items():
        if n in visited or n == leaf:
            continue
        if "skipped" not in label and "not reached" not in label:
            fail(f"{what}: stage {n} was not visited and says not why")


def devices(tool, board):
    args = [tool, "inspect", "--json"] + ([board] if board else [])
    rc, out, err = run(args)
    if rc:
        return None
    picked, kinds = [], set()
    for d in json.loads(out)["devices"]:
        kind = (d["coherent"], d["dma_mask"], d["coherent_dma_mask"], d["bus_dma_limit"],
                bool(d["memory_regions"]), d["iommu"] is not None, bool(d["dma_ranges"]))
        if kind not in kinds:
            kinds.add(kind)
            picked.append(d["name"])
    return picked


def dtbs_of(args):
    out = []
    for a in args:
        if os.path.isdir(a):
            out += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".dtb"))
        else:
            out.append(a)
    return out


def check_dot(tool, args):
    tmp = tempfile.mkdtemp(prefix="dmapool-dot.")
    try:
        pictures = 0
        boards = dtbs_of(args)
        q = os.environ.get("DMAPOOL_TEST_QUICK", "")
        if q and q != "0":      # the quick test loop: every 16th board
            boards = boards[::16]
        for board in [None] + boards:
            name = board or "(demo board)"
            devs = devices(tool, board)
            if devs is None:
                # a board that does not load: a clear error, exit 2
                rc, out, err = run([tool, "explain"] + ([board] if board else []) +
                                   ["--device", "x", "--size", "4096", "--dot"])
                if rc != 2 or out or board not in err.splitlines()[0]:
                    fail(f"{name}: unloadable board: exit {rc}, stderr {err!r}")
                continue
            for dev in devs:
                for call in (["--size", "4096"], ["--map", "4096", "--dir", "bidirectional"]):
                    what = f"{name} {dev} {' '.join(call)}"
                    dot = os.path.join(tmp, "out.dot")
                    if os.path.exists(dot):
                        os.unlink(dot)
                    rc, out, err = run([tool, "explain"] + ([board] if board else []) +
                                       ["--device", dev] + call + ["--json", "--dot", dot])
                    if rc:
                        fail(f"{what}: exit {rc}: {err.strip()}")
                        continue
                    with open(dot) as f:
                        text = f.read()
                    check_picture(text, json.loads(out), what)
                    pictures += 1
        if pictures < (6 if q and q != "0" else 20):
            fail(f"only {pictures} pictures checked")
        # the same picture on standard output, and twice the same
        rc1, out1, _ = run([tool, "explain", "--device", "1e000000.display", "--size", "4096", "--dot"])
        rc2, out2, _ = run([tool, "explain", "--device", "1e000000.display", "--size", "4096", "--dot", "-"])
        if rc1 or rc2 or not out1.startswith("digraph") or out1 != out2:
            fail("--dot to standard output: not one stable digraph")
        rc, out, err = run([tool, "explain", "--device", "1e000000.display", "--size", "4096",
                            "--dot", "--json"])
        if rc != 2 or "--json" not in err:
            fail(f"--dot to standard output with --json: exit {rc}, {err!r}")
        rc, out, err = run([tool, "explain", "--device", "1e000000.display", "--size", "4096",
                            "--dot=" + os.path.join(tmp, "no-such-dir", "x.dot")])
        if rc != 1 or "cannot write" not in err:
            fail(f"--dot into a missing directory: exit {rc}, {err!r}")
        print(f"{pictures} pictures checked")
    finally:
        shutil.rmtree(tmp)


def check_svg(tool):
    tmp = tempfile.mkdtemp(prefix="dmapool-svg.")
    try:
        svg = os.path.join(tmp, "out.svg")
        env = dict(os.environ, PATH=tmp)    # a PATH without dot
        rc, out, err = run([tool, "explain", "--device", "1e000000.display", "--size", "4096",
                            "--svg", svg], env=env)
        if rc != 1 or out or os.path.exists(svg) or \
                "--svg needs Graphviz 'dot'" not in err or len(err.splitlines()) != 1:
            fail(f"--svg without dot: exit {rc}, stdout {out[:40]!r}, stderr {err!r}")
        if not shutil.which("dot"):
            print("Graphviz's dot is not installed: the rendering is not checked")
            return 77 if not FAILED else 1
        rc, out, err = run([tool, "explain", "--device", "1e000000.display", "--size", "4096",
                            "--svg", svg])
        if rc or not os.path.exists(svg):
            fail(f"--svg: exit {rc}: {err}")
        else:
            with open(svg) as f:
                text = f.read()
            if "<svg" not in text or "default-cma" not in text and "dev-cma" not in text \
                    and "buddy" not in text:
                fail("--svg: the file is not an SVG picture of the tree")
        return 0
    finally:
        shutil.rmtree(tmp)


def check_doc(gen, doc):
    rc, new, err = run([gen])
    if rc:
        fail(f"{gen}: exit {rc}: {err}")
        return
    with open(doc) as f:
        text = f.read()
    m = re.search(r"^<!-- BEGIN GENERATED: decision trees.*?^<!-- END GENERATED -->\n",
                  text, re.S | re.M)
    old = m.group(0) if m else ""
    if old != new:
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), doc, "generated"))
        fail(f"{doc}: the generated block is out of date; regenerate it with: "
             "ninja -C BUILDDIR update-decision-tree-doc")


def main():
    if len(sys.argv) < 3:
        print(__doc__ or "usage: dot_check.py dot|svg|doc ...", file=sys.stderr)
        return 2
    mode = sys.argv[1]
    if mode == "dot":
        check_dot(sys.argv[2], sys.argv[3:])
    elif mode == "svg":
        rc = check_svg(sys.argv[2])
        if rc == 77:
            return 77
    elif mode == "doc" and len(sys.argv) == 4:
        check_doc(sys.argv[2], sys.argv[3])
    else:
        print("usage: dot_check.py dot|svg|doc ...", file=sys.stderr)
        return 2
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
