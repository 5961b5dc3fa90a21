"""Tests of the `evaluate` metric module metric/medcot_rubric, loaded offline from its local folder."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medcot.schema import RUBRIC_DIMENSIONS

REPO = Path(__file__).resolve().parents[1]
METRIC_DIR = REPO / "metric" / "medcot_rubric"
DATA = Path(__file__).parent / "data" / "score_inputs"
SUMMARY_KEYS = {*RUBRIC_DIMENSIONS, "overall", "answer_accuracy", "char_rouge_l", "n_rows", "n_scored",
                "n_missing", "n_invalid", "n_with_answer", "n_with_reference", "backend"}


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    """Offline flags and an isolated cache for everything evaluate writes."""
    import evaluate

    home = tmp_path_factory.mktemp("hf_home")
    mp = pytest.MonkeyPatch()
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        mp.setenv(var, "1")
    mp.setenv("HF_HOME", str(home))
    if "evaluate_modules" not in sys.modules:
        # evaluate imports its dynamic-module package once per process from this folder, so the
        # setting is left in place for the rest of the session (undoing it would break later loads).
        evaluate.config.HF_MODULES_CACHE = home / "modules"
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def load_metric(offline_env):
    import evaluate

    def _load(**kwargs):
        return evaluate.load(str(METRIC_DIR), cache_dir=str(offline_env / "metrics"), **kwargs)

    return _load


@pytest.fixture(scope="module")
def rows():
    return [json.loads(line) for line in (DATA / "rows.jsonl").read_text(encoding="utf-8").splitlines()]


def _kwargs(rows):
    return dict(
        predictions=[r["prediction"] for r in rows],
        references=[r["reference"] or "" for r in rows],
        questions=[r["question"] for r in rows],
        options=[r["options"] for r in rows],
        answers=[r["answer"] for r in rows],
    )


def test_module_layout():
    assert (METRIC_DIR / "medcot_rubric.py").is_file()  # folder and file names must match for evaluate.load
    for name in ("README.md", "app.py", "requirements.txt"):
        assert (METRIC_DIR / name).is_file()
    app = (METRIC_DIR / "app.py").read_text(encoding="utf-8")
    # current gradio Blocks; evaluate's launch_gradio_widget needs gradio 3.x and takes no question/options/answer
    assert "gr.Blocks(" in app and "launch_gradio_widget" not in app


def test_compute_returns_means_accuracy_and_rouge(load_metric, rows):
    metric = load_metric()
    res = metric.compute(**_kwargs(rows))
    assert SUMMARY_KEYS <= set(res)
    assert res["n_rows"] == res["n_scored"] == 5 and res["n_missing"] == 0
    for key in (*RUBRIC_DIMENSIONS, "overall"):
        assert 1.0 <= res[key] <= 5.0
    assert res["n_with_answer"] == 4 and res["n_with_reference"] == 4
    assert 0.0 <= res["answer_accuracy"] <= 1.0 and 0.0 <= res["char_rouge_l"] <= 1.0
    assert "per_sample" not in res and "confidence_intervals" not in res


def test_metric_matches_the_scoring_layer(load_metric, rows):
    """The metric is a thin wrapper: same numbers as medcot.scoring on the same inputs."""
    from medcot import scoring

    kw = _kwargs(rows)
    res = load_metric().compute(**kw, return_per_sample=True)
    direct, summary = scoring.score_batch(kw["predictions"], references=[r or None for r in kw["references"]],
                                          questions=kw["questions"], options=kw["options"], answers=kw["answers"])
    assert res["per_sample"] == [r.to_dict() for r in direct]
    assert res["overall"] == pytest.approx(summary.means["overall"])


def test_references_are_optional(load_metric, rows):
    metric = load_metric()
    preds = [r["prediction"] for r in rows]
    without = metric.compute(predictions=preds, answers=[r["answer"] for r in rows])
    empty = metric.compute(predictions=preds, references=[""] * len(preds), answers=[r["answer"] for r in rows])
    assert without["n_with_reference"] == 0 and without["char_rouge_l"] is None
    assert {k: v for k, v in without.items()} == {k: v for k, v in empty.items()}


def test_add_batch_then_compute_equals_one_compute(load_metric, rows):
    kw = _kwargs(rows)
    whole = load_metric().compute(**kw, return_per_sample=True)
    metric = load_metric()
    metric.add_batch(predictions=kw["predictions"][:2], references=kw["references"][:2])
    metric.add_batch(predictions=kw["predictions"][2:], references=kw["references"][2:])
    batched = metric.compute(questions=kw["questions"], options=kw["options"], answers=kw["answers"],
                             return_per_sample=True)
    assert batched == whole
    metric = load_metric()
    for p, r in zip(kw["predictions"], kw["references"]):
        metric.add(prediction=p, reference=r)
    assert metric.compute(questions=kw["questions"], options=kw["options"], answers=kw["answers"],
                          return_per_sample=True) == whole


def test_per_sample_has_scores_evidence_and_answer(load_metric, rows):
    res = load_metric().compute(**_kwargs(rows), return_per_sample=True)
    assert len(res["per_sample"]) == 5
    for row in res["per_sample"]:
        assert set(RUBRIC_DIMENSIONS) <= set(row)
        assert {"overall", "extracted_answer", "answer_correct", "char_rouge_l", "evidence", "error"} <= set(row)
        assert row["error"] is None
        assert isinstance(row["evidence"], dict)
    assert res["per_sample"][0]["extracted_answer"] == ["B"] and res["per_sample"][0]["answer_correct"] is True
    assert res["per_sample"][4]["answer_correct"] is None  # no gold answer on that row
    json.dumps(res)  # JSON-serialisable as returned


def test_options_and_answers_in_every_form_give_identical_scores(load_metric):
    data = json.loads((DATA / "equivalent_forms.json").read_text(encoding="utf-8"))
    metric = load_metric()
    n_opt, n_ans = len(data["options_forms"]), len(data["answer_forms"])
    res = metric.compute(
        predictions=[data["prediction"]] * (n_opt * n_ans),
        questions=[data["question"]] * (n_opt * n_ans),
        options=[o for o in data["options_forms"] for _ in range(n_ans)],
        answers=data["answer_forms"] * n_opt,
        return_per_sample=True,
    )
    distinct = {json.dumps({k: v for k, v in r.items() if k != "index"}, sort_keys=True, ensure_ascii=False)
                for r in res["per_sample"]}
    assert len(distinct) == 1
    assert res["answer_accuracy"] == 1.0


def test_bootstrap_is_deterministic_for_a_seed(load_metric, rows):
    metric = load_metric()
    kw = _kwargs(rows)
    a = metric.compute(**kw, bootstrap=True, n_resamples=300, seed=11)
    b = metric.compute(**kw, bootstrap=True, n_resamples=300, seed=11)
    assert a["confidence_intervals"] == b["confidence_intervals"]
    assert a["bootstrap"]["n_resamples"] == 300 and a["bootstrap"]["seed"] == 11
    others = [metric.compute(**kw, bootstrap=True, n_resamples=300, seed=s)["confidence_intervals"]
              for s in (12, 13, 14)]
    assert any(o != a["confidence_intervals"] for o in others)
    for key in ("overall", "answer_accuracy", "char_rouge_l", *RUBRIC_DIMENSIONS):
        lo, hi = a["confidence_intervals"][key]
        assert lo <= a[key] + 1e-12 and a[key] <= hi + 1e-12


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"predictions": ["a", "b"], "references": ["a"]}, "references has 1 entries but there are 2 predictions"),
        ({"predictions": ["a", "b"], "answers": ["A"]}, "answers has 1 entries but there are 2 predictions"),
        ({"predictions": ["a", 3]}, r"predictions\[1\] must be a string, got int"),
        ({"predictions": "a"}, "predictions must be a list of strings"),
        ({"predictions": ["a"], "references": [5]}, r"references\[0\] must be a string"),
        ({"predictions": ["a"], "options": [42]}, "row 0: field 'options'"),
        ({"predictions": ["a"], "options": [["甲", "乙"]], "answers": ["E"]}, "row 0: field 'answer': E not among"),
        ({"predictions": ["a"], "questions": "q"}, "questions must be a list"),
    ],
)
def test_wrong_lengths_or_types_give_clear_errors(load_metric, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_metric().compute(**kwargs)


def test_kwargs_description_doctests_run(load_metric, monkeypatch):
    """Run the Examples of _KWARGS_DESCRIPTION, with evaluate.load("medcot_rubric") -> this folder."""
    import evaluate

    metric = load_metric()
    module = sys.modules[type(metric).__module__]
    real_load = evaluate.load

    def local_load(path, *args, **kwargs):
        if path == "medcot_rubric":
            return load_metric(**kwargs)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(evaluate, "load", local_load)
    test = doctest.DocTestParser().get_doctest(module._KWARGS_DESCRIPTION, dict(vars(module)), "_KWARGS_DESCRIPTION",
                                               module.__file__, 0)
    assert len(test.examples) >= 6
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_compute_has_no_var_kwargs(load_metric):
    import inspect

    metric = load_metric()
    params = inspect.signature(metric._compute).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    info = metric._info()
    assert info.citation and "2505.06912" in info.citation
    assert set(info.features) == {"predictions", "references"}


def test_judge_config_selects_the_judge_backend(load_metric):
    metric = load_metric(config_name="judge")
    with pytest.raises(ValueError, match="judge.*base_url"):
        metric.compute(predictions=["故选A"])


def test_fresh_process_loads_offline(tmp_path):
    """A new interpreter with offline flags and an empty HF cache loads and computes."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf")}
    code = (
        "import evaluate, json, sys;"
        f"m = evaluate.load({str(METRIC_DIR)!r});"
        "r = m.compute(predictions=['故选A。'], references=[''], answers=['A']);"
        "print(json.dumps(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n_rows"] == 1 and res["answer_accuracy"] == 1.0


def test_judge_backend_through_the_metric(load_metric, tmp_path, monkeypatch):
    pytest.importorskip("openai")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fake_openai_server import FakeOpenAIServer

    monkeypatch.delenv("MEDCOT_TEST_KEY", raising=False)
    with FakeOpenAIServer() as srv:
        res = load_metric(config_name="judge").compute(
            predictions=["诊断肺炎，故选A。[[score:5]]", "故选B。[[score:1]]"],
            options=[["肺炎", "哮喘"]] * 2, answers=["A", "A"], return_per_sample=True,
            judge_base_url=srv.base_url, judge_model="test-judge", judge_api_key_env="MEDCOT_TEST_KEY",
            judge_concurrency=2, judge_cache_dir=str(tmp_path / "cache"))
        assert srv.calls == 2
    assert res["backend"] == "judge" and res["overall"] == pytest.approx(3.0)
    assert [r["overall"] for r in res["per_sample"]] == [5.0, 1.0]
    assert res["answer_accuracy"] == pytest.approx(0.5)


def test_space_app_loads_the_module_next_to_it(offline_env):
    """app.py (Hub Space entry) loads medcot_rubric.py beside it and renders the five scores.

    Imported, not run: run as a script it serves the app (tests/test_space_browser.py drives that).
    """
    import runpy

    pytest.importorskip("gradio")
    app = runpy.run_path(str(METRIC_DIR / "app.py"), run_name="medcot_space_app")
    assert app["METRIC"].name == "medcot_rubric"
    assert type(app["build_demo"]()).__name__ == "Blocks"
    text = app["score"]("故选A。", "", "哪一项正确", "A 甲\nB 乙", "A")
    assert all(f"`{d}`" in text for d in RUBRIC_DIMENSIONS) and "answer correct**: True" in text


def test_metric_card_front_matter_sections_and_rubric():
    import yaml

    text = (METRIC_DIR / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    for key in ("title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "app_file", "pinned", "tags",
                "description"):
        assert key in meta, key
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["pinned"] is False
    assert {"evaluate", "metric"} <= set(meta["tags"])
    for heading in ("## Metric Description", "## How to Use", "### Inputs", "### Output Values", "## The Rubric",
                    "## How the Offline Scorer Computes Each Dimension", "## Validity", "## Limitations and Bias",
                    "## Citation"):
        assert heading in text, heading
    for marker in ("judge-descriptors", "validity"):
        assert text.count(f"<!-- {marker}:start -->") == 1 and text.count(f"<!-- {marker}:end -->") == 1
        assert text.index(f"<!-- {marker}:start -->") < text.index(f"<!-- {marker}:end -->")
    from medcot.schema import RUBRIC

    for dim in RUBRIC:  # the card's rubric table is the schema's, word for word
        assert f"| `{dim.key}` | {dim.zh} | {dim.five_means} |" in text
    assert "arXiv:2505.06912" in text and "2505.06912" in text.split("## Citation")[1]
