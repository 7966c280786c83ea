"""report.html in a real browser: headless Chromium at 1400 px renders it, every image loads, the console
stays clean, nothing overflows the page width (with the per-layer tables closed and open).

Needs Debian's ``chromium`` (``.ci/run`` installs it when it is missing); without it the test fails
with the install command rather than skipping. Set ACCELSIM_SCREENSHOT_DIR to keep the screenshots.
"""

import os
import shutil
from pathlib import Path

import pytest

from chromium_cdp import IMAGES_JS, OVERFLOW_JS, Browser, chromium_path

WIDTH = 1400


def _keep(path: Path, name: str) -> None:
    folder = os.environ.get("ACCELSIM_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / name)


def _check_page(browser, report_dir, tmp_path, name):
    browser.open(report_dir / "report.html")
    shot = browser.screenshot(tmp_path / f"{name}.png")
    _keep(shot, f"{name}.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    pngs = sorted(p.name for p in report_dir.glob("*.png"))
    images = browser.evaluate(IMAGES_JS)
    assert len(images) == len(pngs) > 0
    for image in images:
        assert image["complete"] and image["naturalWidth"] > 0 and image["naturalHeight"] > 0, image
        assert image["width"] <= WIDTH, image
    assert browser.console_errors() == []
    closed = browser.evaluate(OVERFLOW_JS)
    assert closed["clientWidth"] == WIDTH
    assert closed["count"] == 0 and closed["scrollWidth"] <= closed["clientWidth"], closed
    opened = browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true); "
                              "document.querySelectorAll('details[open]').length")
    assert opened > 0
    after = browser.evaluate(OVERFLOW_JS)
    assert after["count"] == 0 and after["scrollWidth"] <= after["clientWidth"], after
    assert browser.console_errors() == []


def test_chromium_is_installed():
    assert chromium_path() is not None, "install Debian's chromium: apt-get update && apt-get install -y chromium"


def test_42_configuration_report_in_chromium(review42_dir, tmp_path):
    with Browser(width=WIDTH) as browser:
        _check_page(browser, review42_dir, tmp_path, "review42")
        # the page's own words, as the browser shows them
        text = browser.evaluate("document.body.innerText")
        assert "What changed" in text and "Per-layer detail" in text and "SHA-256" in text


def test_hostile_names_stay_text_in_chromium(hostile_report, tmp_path):
    with Browser(width=WIDTH) as browser:
        _check_page(browser, hostile_report, tmp_path, "hostile")
        assert browser.evaluate("typeof window.accelsimPwned") == "undefined"
        assert browser.evaluate("document.querySelectorAll('script, b.pwn').length") == 0
        assert "<b class=pwn>" in browser.evaluate("document.title")
