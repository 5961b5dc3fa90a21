"""The metric Space's app in a real browser: headless Debian Chromium driven by selenium.

The Space folder is assembled by `medcot push-metric --out`, its `app.py` runs on 127.0.0.1, and the
browser fills in prediction, question, options and answer, submits, and must show the five scores.
The screenshot is saved (MEDCOT_SCREENSHOT_DIR, default the test's tmp folder). Skips where gradio,
selenium, chromium or chromedriver are absent; in CI (CI=true) their absence is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import browser
import pytest

from medcot import RUBRIC_DIMENSIONS, space

IN_CI = os.environ.get("CI", "").lower() == "true"

PREDICTION = "患者突发胸痛伴ST段抬高，心肌酶升高，符合急性心肌梗死的诊断依据。主动脉夹层多为撕裂样痛且双上肢血压不等，可排除。故选B。"


def _require(ok: bool, what: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(f"{what} is missing in CI (.ci/run installs it)")
        pytest.skip(f"{what} not installed")


@pytest.fixture()
def space_app(tmp_path):
    """`python app.py` of an assembled Space folder, serving on 127.0.0.1; yields its URL."""
    for module in ("gradio", "selenium"):
        try:
            __import__(module)
        except ImportError:
            _require(False, module)
    browser.require_browser()
    folder = tmp_path / "space"
    space.assemble_space(folder, repo_id="acme/medcot_rubric")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app.py did not start: {(tmp_path / 'app.log').read_text(encoding='utf-8')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_space_app_shows_the_five_scores(space_app, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with browser.chrome(width=1400, height=1200) as driver:
        driver.get(space_app)
        wait = WebDriverWait(driver, 60)
        fields = {"prediction": PREDICTION, "question": "男，60岁，突发胸痛2小时。最可能的诊断是",
                  "options": "A 主动脉夹层\nB 急性心肌梗死", "answer": "B"}
        for elem_id, text in fields.items():
            box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{elem_id} textarea, #{elem_id} input")))
            box.clear()
            box.send_keys(text)
        driver.find_element(By.CSS_SELECTOR, "#score-button").click()
        wait.until(lambda d: "clinical_value" in d.find_element(By.ID, "scores").text)
        text = driver.find_element(By.ID, "scores").text
        shots = Path(os.environ.get("MEDCOT_SCREENSHOT_DIR", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        driver.find_element(By.ID, "scores").location_once_scrolled_into_view  # noqa: B018 - scrolls
        driver.save_screenshot(str(shots / "space_app.png"))
    scores = {}
    for dim in RUBRIC_DIMENSIONS:
        match = re.search(rf"{dim}\s+\S+\s+(\d\.\d\d)", text)
        assert match, f"no score for {dim} in the page: {text}"
        scores[dim] = float(match.group(1))
    assert all(1.0 <= v <= 5.0 for v in scores.values()), scores
    assert "extracted answer: B" in text and "answer correct: True" in text
    assert (shots / "space_app.png").stat().st_size > 10_000
