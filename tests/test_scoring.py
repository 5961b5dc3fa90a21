"""Tests of medcot.scoring: input normalisation, file reading, aggregation, bootstrap, backends."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from medcot import scoring
from medcot.errors import InputError
from medcot.schema import RUBRIC_DIMENSIONS

DATA = Path(__file__).parent / "data" / "score_inputs"
ROW_FILES = sorted(p.name for p in DATA.glob("rows*") if p.suffix in {".jsonl", ".json", ".csv", ".tsv", ".parquet"})
MALFORMED = {
    "truncated.jsonl": "truncated.jsonl:3: invalid JSON",
    "no_prediction.csv": "no_prediction.csv: no prediction column",
    "not_object.jsonl": "not_object.jsonl:2: expected a JSON object",
    "extra_cells.csv": "extra_cells.csv:3: more fields than the header",
}


def _key(item):
    if isinstance(item, scoring.RowScore):
        return ("error", item.error)
    return (item.id, item.prediction, item.reference, item.question, item.options, item.answers)


# ---------------------------------------------------------------------------------------------
# reading and normalising (no scorer needed)
# ---------------------------------------------------------------------------------------------
def test_row_files_cover_every_format():
    assert {Path(n).suffix for n in ROW_FILES} >= {".jsonl", ".json", ".csv", ".tsv", ".parquet"}
    assert len(ROW_FILES) >= 7


@pytest.mark.parametrize("name", ROW_FILES)
def test_every_input_format_normalises_to_the_same_rows(name):
    reference = [_key(i) for i in scoring.normalize_records(scoring.read_predictions(DATA / "rows.jsonl"))]
    got = [_key(i) for i in scoring.normalize_records(scoring.read_predictions(DATA / name))]
    assert got == reference
    assert all(k[0] != "error" for k in got)
    # the fixture exercises options and answers in several spellings, and rows without them
    assert reference[1][5] == ["A", "C"] and reference[4][4] is None


def test_error_rows_name_the_row_and_field():
    expected = json.loads((DATA / "error_rows.expected.json").read_text())
    rows = scoring.read_predictions(DATA / "error_rows.jsonl")
    items = scoring.normalize_records(rows)
    assert len(items) == len(rows)
    for i, (row, item) in enumerate(zip(rows, items)):
        if row["id"] in expected:
            assert isinstance(item, scoring.RowScore) and item.invalid_input
            assert item.error.startswith(f"row {i} (id {row['id']!r}): field '{expected[row['id']]}'")
        else:
            assert isinstance(item, scoring.ScoreItem)


@pytest.mark.parametrize("name,message", sorted(MALFORMED.items()))
def test_malformed_files_raise_one_line_input_error(name, message):
    with pytest.raises(InputError) as info:
        scoring.read_predictions(DATA / name)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unsupported_and_missing_files(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InputError, match="unsupported input format"):
        scoring.read_predictions(tmp_path / "x.txt")
    with pytest.raises(InputError, match="file not found"):
        scoring.read_predictions(tmp_path / "missing.jsonl")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="bad.parquet: not a readable Parquet file"):
        scoring.read_predictions(tmp_path / "bad.parquet")


def test_strict_normalisation_errors_name_index_and_field():
    with pytest.raises(InputError, match=r"questions has 1 entries but there are 2 predictions"):
        scoring.normalize_inputs(["a", "b"], questions=["q"])
    with pytest.raises(InputError, match=r"row 1: field 'prediction' must be a string, got int"):
        scoring.normalize_inputs(["a", 3])
    with pytest.raises(InputError, match=r"row 0 \(id 'x'\): field 'answer': E not among the options AB"):
        scoring.normalize_inputs(["a"], options=[["甲", "乙"]], answers=["E"], ids=["x"])
    with pytest.raises(InputError, match=r"row 0: field 'question' must be a string, got list"):
        scoring.normalize_inputs(["a"], questions=[["q"]])
    with pytest.raises(InputError, match="predictions must be a list"):
        scoring.normalize_inputs("one string")
    with pytest.raises(InputError, match="answers must be a list"):
        scoring.normalize_inputs(["a"], answers="A")


def test_equivalent_option_and_answer_forms_normalise_identically():
    data = json.loads((DATA / "equivalent_forms.json").read_text(encoding="utf-8"))
    seen = set()
    for opts in data["options_forms"]:
        for ans in data["answer_forms"]:
            item = scoring.normalize_row(0, prediction=data["prediction"], options=opts, answer=ans)
            seen.add((json.dumps(item.options, ensure_ascii=False), tuple(item.answers)))
    assert len(seen) == 1


# ---------------------------------------------------------------------------------------------
# aggregation and bootstrap (synthetic RowScore objects)
# ---------------------------------------------------------------------------------------------
def _row(i, value, **kw):
    return scoring.RowScore(index=i, scores={d: value for d in RUBRIC_DIMENSIONS}, overall=value, **kw)


def test_missing_rows_are_never_averaged_as_zero():
    rows = [_row(0, 4.0), _row(1, 2.0), scoring.RowScore(index=2, error="judge: 500", backend="judge")]
    s = scoring.aggregate(rows)
    assert s.means["overall"] == pytest.approx(3.0)
    assert s.means["medical_correctness"] == pytest.approx(3.0)
    assert (s.n_rows, s.n_scored, s.n_missing) == (3, 2, 1)


def test_answer_accuracy_and_rouge_use_only_rows_that_have_them():
    rows = [
        _row(0, 3.0, answer_correct=True, char_rouge_l=0.5),
        _row(1, 3.0, answer_correct=False),
        _row(2, 3.0),
        scoring.RowScore(index=3, error="bad input", invalid_input=True),
    ]
    s = scoring.aggregate(rows)
    assert s.means["answer_accuracy"] == pytest.approx(0.5)
    assert s.means["char_rouge_l"] == pytest.approx(0.5)
    assert (s.n_with_answer, s.n_with_reference, s.n_invalid) == (2, 1, 1)
    empty = scoring.aggregate([])
    assert empty.means["overall"] is None and empty.n_rows == 0


def test_bootstrap_is_seeded_and_brackets_the_mean():
    rng = np.random.default_rng(123)
    rows = [_row(i, float(v), answer_correct=bool(v > 3)) for i, v in enumerate(rng.integers(1, 6, size=60))]
    a = scoring.aggregate(rows, bootstrap=300, seed=5)
    b = scoring.aggregate(rows, bootstrap=300, seed=5)
    assert a.confidence_intervals == b.confidence_intervals
    others = [scoring.aggregate(rows, bootstrap=300, seed=s).confidence_intervals for s in (6, 7, 8)]
    assert any(o != a.confidence_intervals for o in others)
    for name in ("overall", "answer_accuracy"):
        lo, hi = a.confidence_intervals[name]
        assert lo <= a.means[name] <= hi and lo < hi
    assert a.confidence_intervals["char_rouge_l"] is None  # no row has a reference
    assert a.to_dict()["bootstrap"] == {"n_resamples": 300, "seed": 5, "confidence": 0.95, "method": "percentile"}


def test_bootstrap_width_matches_the_normal_approximation():
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 1.0, size=(400, 1))
    (lo, hi), = scoring.bootstrap_intervals(values, n_resamples=2000, seed=1)
    expected = 2 * 1.959964 * values.std(ddof=1) / np.sqrt(len(values))
    assert hi - lo == pytest.approx(expected, rel=0.15)
    const = np.full((10, 1), 2.0)
    assert scoring.bootstrap_intervals(const, n_resamples=50, seed=0) == [(2.0, 2.0)]


def test_bootstrap_rejects_bad_settings():
    with pytest.raises(InputError):
        scoring.bootstrap_intervals(np.ones((3, 1)), n_resamples=0)
    with pytest.raises(InputError):
        scoring.bootstrap_intervals(np.ones((3, 1)), confidence=1.5)


# ---------------------------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------------------------
def test_unknown_backend_is_an_input_error():
    with pytest.raises(InputError, match="unknown backend"):
        scoring.score_items([], backend="gpt")


def test_heuristic_scores_every_row_and_keeps_order():
    items = scoring.normalize_records(scoring.read_predictions(DATA / "error_rows.jsonl"))
    rows = scoring.score_items(items)
    assert [r.index for r in rows] == list(range(len(items)))
    for item, row in zip(items, rows):
        if isinstance(item, scoring.RowScore):
            assert row.error and row.overall is None
        else:
            assert row.error is None
            assert all(1.0 <= row.scores[d] <= 5.0 for d in RUBRIC_DIMENSIONS)
            assert 1.0 <= row.overall <= 5.0


def test_equivalent_forms_give_identical_scores():
    data = json.loads((DATA / "equivalent_forms.json").read_text(encoding="utf-8"))
    results = set()
    for opts in data["options_forms"]:
        for ans in data["answer_forms"]:
            rows, _ = scoring.score_batch([data["prediction"]], questions=[data["question"]],
                                          options=[opts], answers=[ans])
            d = rows[0].to_dict()
            results.add(json.dumps(d, ensure_ascii=False, sort_keys=True))
    assert len(results) == 1
    only = json.loads(results.pop())
    assert only["extracted_answer"] == ["A", "C"] and only["answer_correct"] is True


class _FakeJudgeResult:
    def __init__(self, scores, overall, rationales, error):
        self.scores, self.overall, self.rationales, self.error = scores, overall, rationales, error


def test_judge_backend_plumbing(monkeypatch):
    calls = {}

    def judge_many(items, *, base_url, model, api_key_env="OPENAI_API_KEY", concurrency=8, cache_dir=None,
                   progress=False):
        calls.update(base_url=base_url, model=model, api_key_env=api_key_env, concurrency=concurrency,
                     cache_dir=cache_dir, n=len(items), first=items[0])
        out = []
        for i, _ in enumerate(items):
            if i == 1:
                out.append(_FakeJudgeResult({d: None for d in RUBRIC_DIMENSIONS}, None, {}, "unparseable reply"))
            else:
                out.append(_FakeJudgeResult({d: 4.0 for d in RUBRIC_DIMENSIONS}, 4.0,
                                            {d: "理由" for d in RUBRIC_DIMENSIONS}, None))
        return out

    fake = types.ModuleType("medcot.judge")
    fake.judge_many = judge_many
    monkeypatch.setitem(sys.modules, "medcot.judge", fake)
    items = scoring.normalize_records(scoring.read_predictions(DATA / "rows.jsonl"))
    rows = scoring.score_items(items, backend="judge", judge_options={
        "base_url": "http://127.0.0.1:9", "model": "m", "api_key_env": "MY_KEY", "concurrency": 3,
        "cache_dir": None})
    assert calls["base_url"] == "http://127.0.0.1:9" and calls["concurrency"] == 3 and calls["n"] == 5
    assert calls["api_key_env"] == "MY_KEY" and calls["cache_dir"] is None
    assert calls["first"]["options"][1] == {"label": "B", "text": "急性前壁心肌梗死"}
    assert calls["first"]["answers"] == ["B"]
    assert rows[1].error == "judge: unparseable reply" and rows[1].overall is None
    assert rows[1].extracted_answer == ["A", "C"]  # answer fields come from the offline extractor
    assert rows[0].scores["clinical_value"] == 4.0 and rows[0].evidence["clinical_value"] == ["理由"]
    s = scoring.aggregate(rows)
    assert (s.n_scored, s.n_missing) == (4, 1) and s.means["overall"] == pytest.approx(4.0)
    assert s.backend == "judge"


def test_judge_backend_needs_url_and_model(monkeypatch):
    fake = types.ModuleType("medcot.judge")
    fake.judge_many = lambda items, **kw: []
    monkeypatch.setitem(sys.modules, "medcot.judge", fake)
    items = scoring.normalize_inputs(["故选A"])
    with pytest.raises(InputError, match="base_url"):
        scoring.score_items(items, backend="judge", judge_options={"model": "m"})


def test_gaming_inputs_do_not_earn_high_overall_scores():
    """The batch layer passes gaming text through as data; none of it may score like a real explanation."""
    items = scoring.normalize_records(scoring.read_predictions(DATA / "gaming.jsonl"))
    rows = {r.id: r for r in scoring.score_items(items)}
    good = rows.pop("good").overall
    assert good >= 4.0
    assert set(rows) == {"empty", "bare_answer", "repeat_question", "keyword_stuffing", "prompt_injection",
                         "injection_appended"}
    for name, r in rows.items():
        assert r.overall <= 3.0 and r.overall < good - 1.0, (name, r.overall)
    assert all(v == 1.0 for v in rows["empty"].scores.values())


def test_no_answer_found_counts_as_wrong_when_gold_is_known():
    rows, summary = scoring.score_batch(
        ["肺炎链球菌肺炎首选青霉素治疗，故选A。", "本病需结合病史与体征综合判断，治疗以对症支持为主。", "故选A。"],
        options=[["青霉素", "庆大霉素"]] * 3,
        answers=["A", "A", None],
    )
    assert rows[0].answer_correct is True and rows[0].gold_answer == ["A"]
    assert rows[1].extracted_answer is None and rows[1].answer_correct is False
    assert rows[2].answer_correct is None and rows[2].gold_answer is None
    assert summary.n_with_answer == 2 and summary.means["answer_accuracy"] == pytest.approx(0.5)


def test_gb18030_csv_is_read_like_utf8(tmp_path):
    """Excel saves Chinese CSV as GBK/GB18030; it must read the same as the UTF-8 file."""
    text = (DATA / "rows_zh.csv").read_text(encoding="utf-8-sig")
    gbk = tmp_path / "rows_gbk.csv"
    gbk.write_bytes(text.encode("gb18030"))
    expected = [_key(i) for i in scoring.normalize_records(scoring.read_predictions(DATA / "rows_zh.csv"))]
    assert [_key(i) for i in scoring.normalize_records(scoring.read_predictions(gbk))] == expected
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"prediction": "\xff\xfe\x81"}\n')
    with pytest.raises(InputError, match="bad.jsonl: not UTF-8, GB18030 or Big5"):
        scoring.read_predictions(bad)
