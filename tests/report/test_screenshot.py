"""Render report.html in headless Chromium and check what a person would actually see.

Chromium is required (CI installs Debian's ``chromium``): a missing browser fails the test
rather than skipping it. The screenshot is kept in tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import MAGENTA, ORANGE, TEAL
from report_pictures import decode_png

from lccu.report import write_reports

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
HEADER = (0x1F, 0x3A, 0x5F)  # --head in the template's CSS
BAR = (0x2B, 0x6C, 0xB0)  # the MIME chart's bar fill
GREEN = (0, 255, 0)
# If this name were injected as markup it would paint the whole viewport green.
OVERLAY = '<div style="position:fixed;inset:0;background:#00ff00"></div>'


def _screenshot(html: Path, png: Path, profile: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,2400",
        "--hide-scrollbars",
        html.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, timeout=90, check=False)
    if done.returncode != 0 or not png.exists():
        pytest.fail(f"chromium failed ({done.returncode}): {done.stderr.decode()[-2000:]}")


def test_report_renders_in_chromium(report: dict[str, Any], out_dir: Path, tmp_path: Path) -> None:
    """Chromium shows a non-blank page with the header, the SVG chart and all 3 pictures."""
    report["files"][5]["path"] = f"/{OVERLAY}.txt"  # a deleted entry: shown in a table
    _, html_path = write_reports(report, out_dir)
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report-screenshot.png"
    png.unlink(missing_ok=True)
    _screenshot(html_path, png, tmp_path / "chromium-profile")
    shutil.copyfile(html_path, ARTIFACTS / "report.html")

    shot = decode_png(png.read_bytes())
    assert (shot.width, shot.height) == (1280, 2400)
    assert len(shot.histogram) > 50, "page looks blank"
    white = shot.histogram[(255, 255, 255)]
    assert white < shot.width * shot.height * 0.95, "page is almost entirely white"
    assert shot.pixels_near(GREEN, 10) == 0, "a file name was rendered as markup"
    assert shot.pixels_near(HEADER, 0) > 1280 * 40, "header band missing"
    assert shot.pixels_near(BAR, 0) > 2000, "SVG bar chart not drawn"
    # Each thumbnail is drawn at least 48x48 px (CSS min size): its colour must be there.
    assert shot.pixels_near(MAGENTA, 2) > 48 * 48 * 0.8, "deleted PNG thumbnail missing"
    assert shot.pixels_near(TEAL, 2) > 48 * 24 * 0.8, "allocated PNG thumbnail missing"
    assert shot.pixels_near(ORANGE, 4) > 48 * 48 * 0.8, "carved JPEG thumbnail missing"
