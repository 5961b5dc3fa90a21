"""The lm-evaluation-harness task folder, end to end through lm-eval itself, on the dummy build.

A tiny random model (tests/tiny_lm.py) runs both tasks through the real CLI with ``--limit 10``;
scripted models (an oracle replaying the gold CoT, and one that always answers A) go through the
same pipeline via ``lm_eval.simple_evaluate`` to pin the scoring semantics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import built_rows

lm_eval = pytest.importorskip("lm_eval")
pytest.importorskip("torch")
pytest.importorskip("transformers")

from lm_eval.api.model import LM  # noqa: E402

from medcot import views  # noqa: E402
from medcot.constants import RUBRIC_DIMENSIONS  # noqa: E402
from medcot.integrations import LM_EVAL_TASKS, tasks  # noqa: E402
from medcot.integrations.tasks import COT_METRICS  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")






def _offline_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               HF_DATASETS_CACHE=str(tmp_path / "ds_cache"))
    return env


def test_cli_limit_10_both_tasks(dummy_build, tiny_model, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf",
           "--model_args", f"pretrained={tiny_model},dtype=float32", "--device", "cpu", "--batch_size", "4",
           "--include_path", str(LM_EVAL_TASKS), "--tasks", "medcot_qa_mc,medcot_cot", "--limit", "10",
           "--metadata", json.dumps({"dataset": str(dummy_build.out_dir)}),
           "--gen_kwargs", "max_gen_toks=24", "--output_path", str(out), "--log_samples"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_offline_env(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "test split: 1 of 10 questions are multiple-answer and left out" in proc.stderr
    [results_file] = out.rglob("results_*.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    cot = results["medcot_cot"]
    for metric in COT_METRICS:
        value = cot[f"{metric},answer_set"]
        low, high = (1.0, 5.0) if metric in (*RUBRIC_DIMENSIONS, "overall") else (0.0, 1.0)
        assert low <= value <= high, (metric, value)
    assert 0.0 <= results["medcot_qa_mc"]["acc,none"] <= 1.0
    # per-sample logs: one line per question; the filtered response is the sorted letter set
    [cot_samples] = out.rglob("samples_medcot_cot_*.jsonl")
    lines = [json.loads(line) for line in cot_samples.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10
    assert {s["doc"]["id"] for s in lines} == {r["id"] for r in built_rows(dummy_build)}
    for s in lines:
        assert s["filtered_resps"][0] == (tasks.answer_set(s["resps"][0][0], s["doc"]) or "")
    [mc_samples] = out.rglob("samples_medcot_qa_mc_*.jsonl")
    mc_ids = {json.loads(line)["doc"]["id"] for line in mc_samples.read_text(encoding="utf-8").splitlines()}
    assert mc_ids == {r["id"] for r in built_rows(dummy_build) if tasks.is_single_answer(r)}
    assert "X006" not in mc_ids  # gold ABD
    # `medcot score` reads the output folder as lm-eval wrote it (the loglikelihood file is skipped)
    from medcot.cli import main

    scored = tmp_path / "scores.jsonl"
    assert main(["score", str(out), "-o", str(scored), "--quiet", "--dataset", str(dummy_build.out_dir)]) == 0
    rows = [json.loads(line) for line in scored.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(s["doc"]["id"] for s in lines)
    by_id = {s["doc"]["id"]: s for s in lines}
    for r in rows:  # same scorer, same text: the framework's per-sample rubric equals medcot score's
        assert r["overall"] == pytest.approx(by_id[r["id"]]["overall"])


class ScriptedLM(LM):
    """Answers from a table: generate_until looks the prompt up, loglikelihood prefers one option."""

    def __init__(self, generations: dict[str, str], mc_choice: dict[str, str]) -> None:
        super().__init__()
        self.generations = generations
        self.mc_choice = mc_choice
        self.seen: list[str] = []

    def generate_until(self, requests):
        out = []
        for req in requests:
            context = req.args[0]
            self.seen.append(context)
            out.append(self.generations[context])
        return out

    def loglikelihood(self, requests):
        return [(0.0 if self.mc_choice[req.args[0]] == req.args[1] else -10.0, False) for req in requests]

    def loglikelihood_rolling(self, requests):  # pragma: no cover - no task uses it
        raise NotImplementedError


def _evaluate(model: LM, dataset: Path, task_names=("medcot_cot", "medcot_qa_mc")) -> dict:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(LM_EVAL_TASKS), metadata={"dataset": str(dataset)})
    return simple_evaluate(model=model, tasks=list(task_names), task_manager=manager, log_samples=True,
                           limit=None, bootstrap_iters=0)


def _mc_prompts(records):
    return {tasks.mc_prompt(views.to_qa(r)): r for r in records if tasks.is_single_answer(r)}


def test_oracle_scores_one(dummy_build, hf_offline):
    records = built_rows(dummy_build)
    oracle = ScriptedLM(
        generations={tasks.cot_prompt(r): views.assistant_text(r) for r in records},
        mc_choice={p: r["answer"][0] for p, r in _mc_prompts(records).items()},
    )
    out = _evaluate(oracle, dummy_build.out_dir)
    cot = out["results"]["medcot_cot"]
    assert cot["acc,answer_set"] == 1.0
    assert cot["answer_found,answer_set"] == 1.0
    assert len(oracle.seen) == len(records) == 10
    for d in (*RUBRIC_DIMENSIONS, "overall"):
        assert 1.0 <= cot[f"{d},answer_set"] <= 5.0
    assert out["results"]["medcot_qa_mc"]["acc,none"] == 1.0


def test_picking_a_on_gold_abd_scores_zero(dummy_build, hf_offline):
    records = built_rows(dummy_build)
    always_a = ScriptedLM(generations={tasks.cot_prompt(r): "逐步分析……\n\n答案：A" for r in records},
                          mc_choice={p: "A" for p in _mc_prompts(records)})
    out = _evaluate(always_a, dummy_build.out_dir, ("medcot_cot",))
    by_id = {s["doc"]["id"]: s for s in out["samples"]["medcot_cot"]}
    assert by_id["X006"]["doc"]["answer"] == ["A", "B", "D"]
    assert by_id["X006"]["acc"] == 0.0  # A is one of the gold options, but not the set
    expected = sum(r["answer"] == ["A"] for r in records) / len(records)
    assert out["results"]["medcot_cot"]["acc,answer_set"] == pytest.approx(expected)
    assert all(s["acc"] == float(s["doc"]["answer"] == ["A"]) for s in by_id.values())


def test_order_of_letters_does_not_matter_but_the_set_does(dummy_build, hf_offline):
    records = built_rows(dummy_build)
    gens = {tasks.cot_prompt(r): "答案：" + "".join(reversed(r["answer"])) for r in records}
    gold_abd = next(r for r in records if r["id"] == "X006")
    gens[tasks.cot_prompt(gold_abd)] = "答案：ABDE"
    out = _evaluate(ScriptedLM(gens, {}), dummy_build.out_dir, ("medcot_cot",))
    by_id = {s["doc"]["id"]: s for s in out["samples"]["medcot_cot"]}
    assert by_id["X006"]["acc"] == 0.0 and by_id["X006"]["filtered_resps"][0] == "ABDE"
    assert all(s["acc"] == 1.0 for i, s in by_id.items() if i != "X006")


def test_lm_evals_own_multiple_choice_is_lenient_on_multi_answer(dummy_build, tmp_path, hf_offline):
    """Why medcot_qa_mc leaves multi-answer questions out: lm-eval's list-target rule (any gold index)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    folder = tmp_path / "naive"
    folder.mkdir()
    (folder / "naive_mc.yaml").write_text(
        "task: naive_mc\n"
        f"dataset_path: {dummy_build.out_dir}\ndataset_name: qa\ntest_split: test\n"
        "output_type: multiple_choice\ndoc_to_text: \"{{question}}\"\n"
        "doc_to_choice: \"{{choice_labels}}\"\ndoc_to_target: answer_idx\n"
        "metric_list:\n  - metric: acc\n", encoding="utf-8")
    qa = {r["id"]: r for r in built_rows(dummy_build, "qa")}
    always_a = ScriptedLM({}, {r["question"]: "A" for r in qa.values()})
    always_a.loglikelihood = lambda requests: [  # prefer " A" whatever the question
        (0.0 if req.args[1].strip() == "A" else -10.0, False) for req in requests]
    out = simple_evaluate(model=always_a, tasks=["naive_mc"], task_manager=TaskManager(include_path=str(folder)),
                          log_samples=True, bootstrap_iters=0)
    by_id = {s["doc"]["id"]: s for s in out["samples"]["naive_mc"]}
    assert qa["X006"]["answer"] == ["A", "B", "D"]
    assert by_id["X006"]["acc"] == 1.0  # A alone counted as right on gold ABD
