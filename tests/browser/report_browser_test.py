#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""
Browser test of "dmapool report": the demo board's page (after the demo
scenario) opened in headless Chromium.

Usage: report_browser_test.py DMAPOOL SCENARIO

Checks: Chromium exits 0 twice (--dump-dom, --screenshot); the page's own
check ran and set body[data-selfcheck] to "ok"; the boot log, the memory
map SVG, the pools and devices tables and one decision section per device
(counted independently: "dmapool inspect --json" plus the scenario's probe
nodes) are in the DOM; the page logged nothing to the console (no
uncaught error); the screenshot is a valid PNG of the window's size whose
pixels are not all one colour.

Exit status 77 (skipped) when Chromium is not installed; run-tests
installs Debian's chromium package.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

WIDTH, HEIGHT = 1280, 2000


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(exe, profile, extra, url):
    # --disable-dev-shm-usage: containers often have a tiny /dev/shm
    args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr", "--v=0", "--no-first-run",
            "--user-data-dir=" + profile,
            "--window-size=%d,%d" % (WIDTH, HEIGHT)] + extra + [url]
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        die("chromium timed out: " + " ".join(args))
    return None


def console_errors(stderr, url):
    bad = []
    for line in stderr.splitlines():
        if "Uncaught" in line or (":CONSOLE" in line and url in line):
            bad.append(line.strip())
    return bad


def png_pixels(path):
    """(width, height, distinct colours of the decoded image, capped)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        die("screenshot is not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xffffffff != crc:
            die("screenshot: bad CRC in chunk %r" % ctype)
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if not ihdr or not idat:
        die("screenshot: no IHDR or IDAT")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        die("screenshot: unexpected PNG format depth=%d type=%d" % (depth, ctype))
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        die("screenshot: %d bytes of image data for %dx%d" % (len(raw), w, h))
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        elif ft != 0:
            die("screenshot: bad filter type %d" % ft)
        if y % 16 == 0 and len(colours) < 64:
            for x in range(0, stride, bpp * 8):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return w, h, len(colours)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tool, scenario = sys.argv[1], sys.argv[2]
    q = os.environ.get("DMAPOOL_TEST_QUICK", "")
    if q and q != "0":
        # Chromium alone takes seconds to start: the quick test loop
        # (meson's default setup) leaves this test to the soak setup,
        # which run-tests and CI use.
        print("SKIP: the browser test runs in the soak setup (meson test --setup soak)")
        return 77
    exe = find_chromium()
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        return 77
    doc = json.loads(subprocess.run([tool, "inspect", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    with open(scenario, encoding="utf-8") as f:
        probes = len(re.findall(r"^\s*probe@\w+\s*\{", f.read(), re.M))
    ndev = len(doc["devices"]) + probes

    with tempfile.TemporaryDirectory() as d:
        page = os.path.join(d, "report.html")
        png = os.path.join(d, "report.png")
        r = subprocess.run([tool, "report", "--after", scenario, "--html", page],
                           capture_output=True, text=True)
        if r.returncode != 0:
            die("dmapool report: exit %d: %s" % (r.returncode, r.stderr))
        url = "file://" + page

        r = chromium(exe, os.path.join(d, "profile"), ["--dump-dom"], url)
        if r.returncode != 0:
            die("chromium --dump-dom: exit %d: %s" % (r.returncode, r.stderr[-2000:]))
        dom = r.stdout
        errs = console_errors(r.stderr, url)
        if errs:
            die("console messages:\n  " + "\n  ".join(errs))
        m = re.search(r'<body[^>]*data-selfcheck="([^"]*)"', dom)
        if not m:
            die("the page's self-check did not run (no data-selfcheck on body)")
        if m.group(1) != "ok":
            die("self-check: " + m.group(1))
        for ident in ("boot-log", "memory-map", "pools-table", "devices-table"):
            if not re.search(r'id="%s"' % ident, dom):
                die("no element #%s in the DOM" % ident)
        if not re.search(r'<div id="memory-map">\s*<svg', dom):
            die("no SVG in #memory-map")
        n = len(re.findall(r'<section class="device-decisions"', dom))
        if n != ndev:
            die("%d decision sections for %d devices" % (n, ndev))
        if len(re.findall(r'<tr class="device"', dom)) != ndev:
            die("devices table rows != %d" % ndev)
        if 'class="decision failed"' not in dom or 'class="decision ok"' not in dom:
            die("expected both successful and failing decisions on the demo board")

        r = chromium(exe, os.path.join(d, "profile"), ["--screenshot=" + png], url)
        if r.returncode != 0 or not os.path.exists(png):
            die("chromium --screenshot: exit %d: %s" % (r.returncode, r.stderr[-2000:]))
        errs = console_errors(r.stderr, url)
        if errs:
            die("console messages:\n  " + "\n  ".join(errs))
        w, h, colours = png_pixels(png)
        if (w, h) != (WIDTH, HEIGHT):
            die("screenshot is %dx%d, want %dx%d" % (w, h, WIDTH, HEIGHT))
        if colours < 3:
            die("screenshot is blank (%d colour(s))" % colours)
    print("ok: %d devices, self-check ok, screenshot %dx%d with %s colours" %
          (ndev, w, h, "64+" if colours >= 64 else colours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
