"""The judge backend against a hostile OpenAI-compatible server on 127.0.0.1 (issue 12, item 7).

Every reply shape — content that is an int or a list, an empty/HTML/deeply nested body, a deeply
nested content, no choices, a null message, a body trickled byte by byte, a server that never
answers — ends as a parsed score or a recorded failure for that row: one output line per row.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("openai")

from medcot.cli import main
from medcot.judge import judge_many
from medcot.schema import RUBRIC_DIMENSIONS

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_openai_server  # noqa: E402
from fake_openai_server import FakeOpenAIServer  # noqa: E402

FAST = dict(timeout=1.0, backoff_base=0.01, backoff_cap=0.02, max_retries=0, max_reasks=1)
# Faults that must end as a recorded failure; content_list is valid (OpenAI content parts) and scores.
FAILING = ("content_int", "content_parts_junk", "empty_body", "nested_body", "nested_content", "html_body",
           "choices_int", "no_choices", "message_null", "drip")


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(slow_seconds=30.0) as srv:
        yield srv


def _row(i: int, fault: str | None) -> dict:
    pred = f"解析 {i}：患者发热咳嗽，胸片示右下肺实变，故诊断为肺炎，选 A。"
    return {"id": f"r{i}", "prediction": pred + (f" [[fault:{fault}]]" if fault else ""), "answer": "A",
            "question": "最可能的诊断是", "options": ["肺炎", "哮喘"]}


@pytest.mark.parametrize("fault", FAILING)
def test_each_hostile_reply_is_a_recorded_failure(server, fault):
    started = time.monotonic()
    [res] = judge_many([_row(0, fault)], base_url=server.base_url, model="m", **FAST)
    assert res.error, fault
    assert all(v is None for v in res.scores.values()) and res.overall is None
    # the drip's ~25 s reply is cut at 10 s (whole_request_seconds) and not retried (max_retries=0)
    assert time.monotonic() - started < 20


def test_content_parts_are_read_as_text(server):
    [res] = judge_many([_row(0, "content_list")], base_url=server.base_url, model="m", **FAST)
    assert res.error is None and set(res.scores) == set(RUBRIC_DIMENSIONS)


def test_cli_one_line_per_row_whatever_the_replies(server, tmp_path, capsys):
    rows = [_row(i, fault) for i, fault in enumerate((None, *FAILING, "content_list", None))]
    inp, out = tmp_path / "p.jsonl", tmp_path / "o.jsonl"
    inp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    started = time.monotonic()
    code = main(["score", str(inp), "-o", str(out), "--backend", "judge", "--judge-base-url", server.base_url,
                 "--judge-model", "m", "--judge-timeout", "1", "--judge-max-retries", "0", "--json", "-q",
                 "--concurrency", "4"])
    assert code == 0
    assert time.monotonic() - started < 60
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(rows) == summary["n_rows"]
    assert [r["id"] for r in lines] == [r["id"] for r in rows]
    for row, line in zip(rows, lines):
        failing = any(f"[[fault:{f}]]" in row["prediction"] for f in FAILING)
        assert bool(line["error"]) == failing, (row["prediction"], line["error"])
        if failing:
            assert line["error"].startswith("judge") and all(line[d] is None for d in RUBRIC_DIMENSIONS)
    assert summary["n_missing"] == len(FAILING) and summary["n_scored"] == 3


def test_a_server_that_never_answers_is_bounded_by_the_deadline(server):
    started = time.monotonic()
    [res] = judge_many([_row(0, "slow_always")], base_url=server.base_url, model="m", timeout=0.5,
                       max_retries=20, max_reasks=2, backoff_base=0.01, backoff_cap=0.02, deadline=1.5)
    took = time.monotonic() - started
    assert res.error and "deadline of 1.5s" in res.error
    assert 1.4 < took < 5


def test_the_cost_of_timeouts_and_retries_is_in_help(capsys):
    assert main(["score", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())  # rich wraps help in boxes
    for needle in ("--judge-deadline", "timeout x (retries + 1) per row", "a whole request is cut"):
        assert needle in text, needle


def test_drip_server_really_trickles(server):
    """The fault is real: a plain read of the body takes far longer than the client's timeout."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": fake_openai_server.FENCE_START
                                                    + "x [[fault:drip]]" + fake_openai_server.FENCE_END}]})
    started = time.monotonic()
    conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read(40)
    conn.close()
    assert time.monotonic() - started > 40 * fake_openai_server.DRIP_SECONDS * 0.8
