"""The lighteval custom task file, end to end through lighteval's own CLI on the dummy build.

lighteval 0.13 imports every built-in task when it builds its registry, and one of them downloads a
file at import: offline, ``python -m medcot.integrations.lighteval_tasks`` runs the same CLI with a
registry of this project's tasks only. That wrapper is what runs here (``--max-samples 10``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import built_rows

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("lighteval")

from medcot import views  # noqa: E402
from medcot.constants import RUBRIC_DIMENSIONS  # noqa: E402
from medcot.integrations import tasks  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")






def test_rubric_metric_semantics(dummy_build):
    from lighteval.models.model_output import ModelResponse

    from medcot.integrations import lighteval_tasks as lt

    by_id = {r["id"]: r for r in built_rows(dummy_build)}
    gold = by_id["X006"]
    doc = lt.cot_prompt(gold)
    assert doc.query == views.record_prompt(gold)
    oracle = lt.rubric_metric.compute_sample(doc=doc, model_response=ModelResponse(text=[views.assistant_text(gold)]))
    assert oracle["acc"] == 1.0 and oracle["answer_found"] == 1.0
    only_a = lt.rubric_metric.compute_sample(doc=doc, model_response=ModelResponse(text=["分析……\n\n答案：A"]))
    assert only_a["acc"] == 0.0 and only_a["answer_found"] == 1.0  # A alone on gold ABD
    assert set(oracle) == set(tasks.COT_METRICS)
    assert all(1.0 <= oracle[d] <= 5.0 for d in (*RUBRIC_DIMENSIONS, "overall"))
    with pytest.raises(Exception, match="gold options"):
        lt.mc_prompt(views.to_qa(gold))  # multiple-answer rows never reach the loglikelihood task


def test_cli_max_samples_10_both_tasks(dummy_build, tiny_model, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               MEDCOT_DATASET=str(dummy_build.out_dir), MEDCOT_GENERATION_SIZE="24",
               HF_DATASETS_CACHE=str(tmp_path / "ds_cache"))
    model_args = f"model_name={tiny_model},dtype=float32,batch_size=4,device=cpu"
    cmd = [sys.executable, "-m", "medcot.integrations.lighteval_tasks", "accelerate", model_args,
           "medcot_cot|0,medcot_qa_mc|0", "--max-samples", "10", "--output-dir", str(out), "--save-details"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [results_file] = out.rglob("results_*.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    cot = results["medcot_cot|0"]
    for metric in tasks.COT_METRICS:
        low, high = (1.0, 5.0) if metric in (*RUBRIC_DIMENSIONS, "overall") else (0.0, 1.0)
        assert low <= cot[metric] <= high, (metric, cot[metric])
    assert 0.0 <= results["medcot_qa_mc|0"]["acc"] <= 1.0

    import pyarrow.parquet as pq

    [cot_details] = out.rglob("details_medcot_cot|0_*.parquet")
    rows = pq.read_table(cot_details).to_pylist()
    assert {r["doc"]["specific"]["id"] for r in rows} == {r["id"] for r in built_rows(dummy_build)}
    for r in rows:  # the per-sample metric is what the task's own scoring gives for the logged text
        text = r["model_response"]["text"][0]
        record = r["doc"]["specific"]["record"]
        assert r["metric"]["acc"] == tasks.cot_scores(record, text)["acc"]
    [mc_details] = out.rglob("details_medcot_qa_mc|0_*.parquet")
    mc_ids = {r["doc"]["specific"]["id"] for r in pq.read_table(mc_details).to_pylist()}
    assert mc_ids == {r["id"] for r in built_rows(dummy_build) if tasks.is_single_answer(r)}
    from medcot.cli import main

    scored = tmp_path / "scores.jsonl"
    assert main(["score", str(out), "-o", str(scored), "--quiet"]) == 0
    scores = {json.loads(line)["id"]: json.loads(line) for line in scored.read_text(encoding="utf-8").splitlines()}
    assert set(scores) == {r["doc"]["specific"]["id"] for r in rows}
    for r in rows:
        assert scores[r["doc"]["specific"]["id"]]["overall"] == pytest.approx(r["metric"]["overall"])
