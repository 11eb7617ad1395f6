"""report.html in headless Chromium: no console errors, every figure loaded, a screenshot.

Skipped (with the reason) when /usr/bin/chromium is missing, unless CI is set: then it fails.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => __errors.push(String(e.message || (e.target && e.target.src) || e)), true);
const _ce = console.error; console.error = (...a) => { __errors.push(a.join(" ")); _ce(...a); };
window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => ({w: i.naturalWidth, ok: i.complete && i.naturalWidth > 0}));
  const pre = document.createElement("pre"); pre.id = "__probe";
  const d = document.documentElement;
  pre.textContent = JSON.stringify({errors: __errors, imgs, overflow: d.scrollWidth - d.clientWidth});
  document.body.appendChild(pre);
});
</script>"""


def _need_chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: install Debian's chromium")
        pytest.skip("/usr/bin/chromium not installed (apt-get install chromium); set CI=true to fail instead")


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_opens_in_chromium(report_en, tmp_path):
    _need_chromium()
    page = report_en / "report.html"
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")

    dom = _chromium(["--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], tmp_path / "p1")
    m = re.search(r'<pre id="__probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, f"probe did not run; stderr: {dom.stderr[-2000:]}"
    result = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["errors"] == []
    assert len(result["imgs"]) == 6 and all(i["ok"] for i in result["imgs"]), result["imgs"]

    shot = tmp_path / "report.png"
    run = _chromium(["--enable-logging=stderr", "--v=0", "--window-size=1200,3000",
                     f"--screenshot={shot}", page.as_uri()], tmp_path / "p2")
    assert shot.exists() and shot.stat().st_size > 50_000, run.stderr[-2000:]
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln]
    assert not console, console
    keep = os.environ.get("AOS_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "report.png")


def test_no_horizontal_scrolling_on_a_phone(report_sv, tmp_path):
    """At phone width nothing is wider than the screen: tables scroll inside themselves,
    images and long codes (the rules hash) stay within the page."""
    _need_chromium()
    probe = tmp_path / "probe.html"
    html = (report_sv / "report.html").read_text(encoding="utf-8")
    probe.write_text(html.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = _chromium(["--window-size=390,2000", "--virtual-time-budget=5000", "--dump-dom",
                     probe.as_uri()], tmp_path / "p")
    m = re.search(r'<pre id="__probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, f"probe did not run; stderr: {dom.stderr[-2000:]}"
    assert json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))["overflow"] <= 0, m.group(1)[-300:]


def _shot(page: Path, width: int, height: int, out: Path, profile: Path) -> None:
    run = _chromium(["--enable-logging=stderr", "--v=0", f"--window-size={width},{height}",
                     f"--screenshot={out}", page.as_uri() + "#sammanfattning"], profile)
    assert out.exists() and out.stat().st_size > 10_000, run.stderr[-2000:]
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln]
    assert not console, console


def test_summary_on_phone_and_desktop_and_a4(report_sv, tmp_path):
    """The summary (id sammanfattning) at 390 px and 1280 px, and the report printed to an
    A4 PDF, render without console errors; the PDF's first page is A4."""
    _need_chromium()
    page = report_sv / "report.html"
    keep = os.environ.get("AOS_SCREENSHOT_DIR")
    for width, height in ((390, 1600), (1280, 1000)):
        shot = tmp_path / f"summary_{width}.png"
        _shot(page, width, height, shot, tmp_path / f"p{width}")
        if keep:
            shutil.copy(shot, Path(keep) / shot.name)
    pdf = tmp_path / "report.pdf"
    run = _chromium(["--enable-logging=stderr", "--v=0", "--no-pdf-header-footer",
                     f"--print-to-pdf={pdf}", page.as_uri()], tmp_path / "pdf")
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-", run.stderr[-2000:]
    assert not [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln]
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert box and abs(float(box.group(1)) - 595.3) < 2 and abs(float(box.group(2)) - 841.9) < 2
    if keep:
        shutil.copy(pdf, Path(keep) / pdf.name)
