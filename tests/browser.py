"""Headless Chromium for tests that look at a page as a person would (Debian chromium + chromium-driver).

Selenium drives the system ``chromedriver`` (never a downloaded browser); console messages come
from the browser log and failed loads from the DevTools network events of the performance log.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver", "chromium-driver")
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
    # Resolve no host name but the loopback: the browser cannot reach (or look up) anything else.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)


def _which(names: tuple[str, ...]) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


@dataclass
class PageCheck:
    """What the browser saw: console messages, failed loads and the images' natural sizes."""

    console: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def console_errors(self) -> list[str]:
        return [m["message"] for m in self.console if m.get("level") in ("SEVERE", "ERROR")]


def require_browser() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skips the test when either (or selenium) is absent."""
    from conftest import IN_CI

    pytest.importorskip("selenium")
    browser, driver = _which(CHROMIUM_NAMES), _which(DRIVER_NAMES)
    if not (browser and driver):
        if IN_CI:
            pytest.fail("chromium / chromedriver missing in CI (.ci/run installs them)")
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium chromium-driver)")
    return browser, driver


@contextlib.contextmanager
def chrome(*, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A selenium Chrome driver on headless Debian Chromium with a fresh profile (removed afterwards).

    Skips the test when Chromium, its driver or selenium is absent (fails in CI). Browser and
    DevTools network events are logged (``get_log("browser")`` / ``get_log("performance")``).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = require_browser()
    profile = tempfile.mkdtemp(prefix="medcot-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # No selenium-manager lookup: the driver path is given, so nothing is downloaded.
    service = Service(executable_path=driver_path, env={**os.environ, "SE_AVOID_STATS": "true"})
    drv = webdriver.Chrome(service=service, options=opts)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(url: str, *, screenshot: Path, width: int = 1280, height: int = 900) -> PageCheck:
    """Load ``url`` in headless Chromium, save a full-page PNG screenshot and report what went wrong."""
    with chrome(width=width, height=height) as drv:
        drv.set_page_load_timeout(300)  # a loaded 2-core machine renders slowly; a hang still ends
        # The browser's own start-up pages are not the page under test: drop their log entries.
        drv.get("about:blank")
        drv.get_log("performance")
        drv.get_log("browser")
        drv.get(url)
        drv.execute_script("return document.fonts.ready.then(() => true)")
        check = PageCheck(title=drv.title)
        check.images = drv.execute_script(
            "return Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 120), complete: i.complete,"
            " width: i.naturalWidth, height: i.naturalHeight}))"
        )
        full_h = drv.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
        shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(full_h, 16000), "scale": 1},
        })
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        check.console = drv.get_log("browser")
        urls: dict[str, str] = {}
        for entry in drv.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            params = msg.get("params", {})
            if msg.get("method") == "Network.requestWillBeSent":
                urls[params.get("requestId")] = params.get("request", {}).get("url", "")[:200]
                check.requests.append(urls[params.get("requestId")])
            if msg.get("method") == "Network.loadingFailed" and not params.get("canceled"):
                check.failed.append(f"{params.get('errorText')} {urls.get(params.get('requestId'), '?')}")
            elif msg.get("method") == "Network.responseReceived":
                resp = params.get("response", {})
                if int(resp.get("status", 200)) >= 400:
                    check.failed.append(f"HTTP {resp.get('status')} {resp.get('url')}")
        return check
