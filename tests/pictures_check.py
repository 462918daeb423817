#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""
CLI checks of "dmapool map" (text and --svg) and "dmapool report --html".

Usage: pictures_check.py DMAPOOL SCENARIO CHECK [DTB...]

CHECK is one of
  demo      the demo board with the demo scenario: text map, SVG, HTML
  boards    every DTB given loads: text map, SVG and HTML checked
  bad       every DTB given (bad fixtures): drawn and checked as above when
            it boots (with the kernel's warnings), else exit 2 with an
            error naming it
  scenario  --after errors: missing file, dtc failure, no probe node,
            'probes' on a board without probe nodes; bad options

For each SVG: well-formed XML, the SPDX comment first, one region element
per reserved-memory region of "dmapool inspect --json" with its kind's
class, the scale label, and every device named in a region's
memory-region in the picture.  For each HTML page: the SPDX comment, the
expected ids, one decision section per device and no network reference.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
SPDX = "SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(args, **kw):
    return subprocess.run([TOOL] + args, capture_output=True, text=True,
                          timeout=300, **kw)


def inspect_json(board):
    r = run(["inspect", "--json"] + ([board] if board else []))
    if r.returncode != 0:
        fail("inspect --json %s: exit %d" % (board, r.returncode))
        return None
    return json.loads(r.stdout)


def check_svg(label, text, doc, scale):
    if not text.startswith("<!-- " + SPDX):
        fail("%s: SVG does not start with the SPDX comment" % label)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        fail("%s: SVG is not well-formed XML: %s" % (label, e))
        return
    if root.tag != SVG_NS + "svg":
        fail("%s: root element is %s" % (label, root.tag))
    texts = "".join("".join(t.itertext()) for t in root.iter(SVG_NS + "text"))
    want = "address axis: log scale" if scale == "log" else "address axis: linear"
    if want not in texts:
        fail("%s: no scale label '%s'" % (label, want))
    regions = [e for e in root.iter(SVG_NS + "rect")
               if "region" in e.get("class", "").split()]
    for r in doc["regions"]:
        match = [e for e in regions if e.get("data-name") == r["name"]
                 and int(e.get("data-base"), 16) == int(r["base"], 16)]
        if len(match) != 1:
            fail("%s: region %s: %d elements" % (label, r["name"], len(match)))
            continue
        cls = match[0].get("class").split()
        if "kind-" + r["kind"] not in cls:
            fail("%s: region %s: class %s lacks kind-%s" %
                 (label, r["name"], cls, r["kind"]))
        if (r["map"] == "nomap") != ("nomap" in cls):
            fail("%s: region %s: no-map class wrong" % (label, r["name"]))
    # every device naming a region is shown with it
    paths = {r["path"]: r for r in doc["regions"]}
    for d in doc["devices"]:
        for mr in d.get("memory_regions", d.get("memory_region", [])) or []:
            target = mr.get("target") if isinstance(mr, dict) else mr
            if target in paths and d["name"] not in texts:
                fail("%s: device %s (of %s) not in the picture" %
                     (label, d["name"], target))


def check_html(label, text, ndevices):
    if not text.startswith("<!-- " + SPDX):
        fail("%s: HTML does not start with the SPDX comment" % label)
    for ident in ("boot-log", "memory-map", "pools-table", "devices-table"):
        if 'id="%s"' % ident not in text:
            fail("%s: no element with id %s" % (label, ident))
    n = text.count('<section class="device-decisions"')
    if n != ndevices:
        fail("%s: %d decision sections for %d devices" % (label, n, ndevices))
    n = text.count('<div class="decision ')
    if n != 3 * ndevices:
        fail("%s: %d decisions for %d devices" % (label, n, ndevices))
    if re.search(r'(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/"\')]', text.replace(
            'xmlns="http://www.w3.org/2000/svg"', "")):
        fail("%s: a network reference" % label)
    if re.search(r'(?i)<(script|link|img|iframe)[^>]*\b(src|href)=', text):
        fail("%s: an external resource" % label)
    if re.search(r'(?i)@import|url\(', text):
        fail("%s: CSS import or url()" % label)


def check_board(board, scenario=None, label=None):
    label = label or (board or "demo")
    doc = inspect_json(board)
    if doc is None:
        return
    after = ["--after", scenario] if scenario else []
    b = [board] if board else []
    r = run(["map"] + b + after)
    if r.returncode != 0 or "RAM bank" not in r.stdout and "Outside RAM" not in r.stdout:
        fail("%s: map (text): exit %d %s" % (label, r.returncode, r.stderr))
    else:
        for reg in doc["regions"]:
            if reg["name"] not in r.stdout:
                fail("%s: map (text) lacks region %s" % (label, reg["name"]))
    for scale in ("log", "linear"):
        r = run(["map"] + b + after + ["--svg", "-", "--scale", scale])
        if r.returncode != 0:
            fail("%s: map --svg: exit %d %s" % (label, r.returncode, r.stderr))
            continue
        check_svg("%s (%s)" % (label, scale), r.stdout, doc, scale)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "report.html")
        r = run(["report"] + b + after + ["--html", out])
        if r.returncode != 0:
            fail("%s: report: exit %d %s" % (label, r.returncode, r.stderr))
            return
        with open(out, encoding="utf-8") as f:
            check_html(label, f.read(), len(doc["devices"]) +
                       (count_probes(scenario) if scenario and scenario != "probes" else 0))


def count_probes(path):
    with open(path, encoding="utf-8") as f:
        return len(re.findall(r'^\s*probe@\w+\s*\{', f.read(), re.M))


def check_demo(scenario):
    check_board(None, scenario, "demo+scenario")
    check_board(None, None, "demo")
    # occupancy: the scenario's allocations are drawn as used runs
    r = run(["map", "--after", scenario, "--svg", "-"])
    root = ET.fromstring(r.stdout)
    used = [e for e in root.iter(SVG_NS + "rect") if e.get("class") == "used"]
    if len(used) < 5:
        fail("demo+scenario: only %d used runs drawn" % len(used))
    kinds = {e.get("data-kind") for e in root.iter(SVG_NS + "rect")
             if "region" in e.get("class", "").split() and int(e.get("data-used")) > 0}
    for k in ("dma-pool", "cma", "default-cma", "swiotlb", "atomic"):
        if k not in kinds:
            fail("demo+scenario: no %s pool in use" % k)
    r = run(["map", "--after", scenario])
    if "after demo-probes.dtsi" not in r.stdout or "probe@0" not in r.stdout:
        fail("demo+scenario: text map lacks the scenario or its devices")


def expect_error(args, words, label):
    r = run(args)
    if r.returncode != 2:
        fail("%s: exit %d (want 2)" % (label, r.returncode))
    for w in words:
        if w not in r.stderr:
            fail("%s: stderr lacks '%s': %s" % (label, w, r.stderr.strip()))
    if "Traceback" in r.stderr or "Sanitizer" in r.stderr:
        fail("%s: crashed" % label)


def check_scenario_errors(scenario):
    with tempfile.TemporaryDirectory() as d:
        expect_error(["map", "--after", os.path.join(d, "nope.dtsi")],
                     ["nope.dtsi", "No such file"], "missing scenario")
        bad = os.path.join(d, "bad.dtsi")
        with open(bad, "w") as f:
            f.write("/ { probe@0 { compatible = \"libdmapool,probe\"; ")
        expect_error(["map", "--after", bad], ["bad.dtsi", "dtc"], "dtc failure")
        empty = os.path.join(d, "empty.dtsi")
        with open(empty, "w") as f:
            f.write("/ { };\n")
        expect_error(["report", "--after", empty, "--html", os.path.join(d, "x.html")],
                     ["empty.dtsi", "libdmapool,probe"], "no probe node")
        if os.path.exists(os.path.join(d, "x.html")):
            fail("no probe node: the page was written anyway")
        expect_error(["map", "--after", "probes"], ["probes", "libdmapool,probe"],
                     "probes on the demo board")
        # dtc missing: PATH without it
        env = dict(os.environ, PATH=d)
        r = subprocess.run([TOOL, "map", "--after", scenario], capture_output=True,
                           text=True, env=env, timeout=60)
        if r.returncode != 2 or "dtc" not in r.stderr or scenario not in r.stderr:
            fail("dtc missing: exit %d: %s" % (r.returncode, r.stderr.strip()))
    expect_error(["map", "--scale", "cubic"], ["--scale", "cubic"], "bad scale")
    expect_error(["map", "--svg"], ["--svg"], "--svg without value")
    expect_error(["report"], ["--html"], "report without --html")
    expect_error(["report", "--bogus", "--html", "-"], ["--bogus"], "unknown option")
    expect_error(["map", "--svg", "/nonexistent-dir/x.svg"], ["x.svg"], "unwritable --svg")


def check_bad(dtbs):
    for dtb in dtbs:
        if run(["inspect", dtb]).returncode == 0:
            check_board(dtb)  # boots with the kernel's warnings: drawn as any
        for args in (["map", dtb], ["map", dtb, "--svg", "-"],
                     ["report", dtb, "--html", "-"]):
            r = run(args)
            if r.returncode == 0:
                continue  # a bad tree the kernel boots anyway (warnings only)
            if r.returncode != 2 or not r.stderr.startswith("dmapool: ") or \
                    os.path.basename(dtb) not in r.stderr:
                fail("%s: %s: exit %d: %s" % (dtb, args[0], r.returncode,
                                               r.stderr.strip()[:200]))


def quick_sample(dtbs, stride):
    """The quick test loop (DMAPOOL_TEST_QUICK=1, meson's default setup):
    every stride-th board, always the same ones; the soak setup takes all."""
    q = os.environ.get("DMAPOOL_TEST_QUICK", "")
    if q and q != "0":
        return dtbs[::stride]
    return dtbs


def main():
    global TOOL
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    TOOL, scenario, check = sys.argv[1], sys.argv[2], sys.argv[3]
    dtbs = quick_sample(sys.argv[4:], 20 if len(sys.argv) > 40 else 5)
    if check == "demo":
        check_demo(scenario)
    elif check == "boards":
        for dtb in dtbs:
            if inspect_json(dtb) is None:
                continue
            check_board(dtb)
            if "probe" in os.path.basename(dtb):
                check_board(dtb, "probes", dtb + " after probes")
    elif check == "bad":
        check_bad(dtbs)
    elif check == "scenario":
        check_scenario_errors(scenario)
    elif check == "docimage":
        # docs/images/demo-map.svg is the tool's own output: it must not drift
        for path in sys.argv[4:]:
            r = run(["map", "--after", scenario, "--svg", "-"])
            with open(path, encoding="utf-8") as f:
                if r.returncode != 0 or r.stdout != f.read():
                    fail("%s is out of date; regenerate it with: dmapool map --after "
                         "tools/scenarios/demo-probes.dtsi --svg %s" % (path, path))
    else:
        print("unknown check " + check, file=sys.stderr)
        return 2
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("ok")
    return 0


TOOL = None
if __name__ == "__main__":
    sys.exit(main())
