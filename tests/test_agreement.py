"""Agreement statistics: every number equals scipy / scikit-learn / krippendorff computed here directly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

krippendorff = pytest.importorskip("krippendorff")
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from medcot.agreement import METRICS, agreement, format_report, read_score_rows, to_categories
from medcot.errors import InputError
from medcot.schema import RUBRIC_DIMENSIONS

LABELS = [1, 2, 3, 4, 5]


def _direct(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    xc = np.clip(np.floor(x + 0.5), 1, 5).astype(int)
    yc = np.clip(np.floor(y + 0.5), 1, 5).astype(int)
    return {
        "spearman": stats.spearmanr(x, y).statistic,
        "kendall": stats.kendalltau(x, y).statistic,
        "pearson": stats.pearsonr(x, y).statistic,
        "qwk": cohen_kappa_score(xc, yc, labels=LABELS, weights="quadratic"),
        "alpha": krippendorff.alpha(reliability_data=[xc, yc], level_of_measurement="ordinal", value_domain=LABELS),
        "exact": float(np.mean(xc == yc)),
        "within1": float(np.mean(np.abs(xc - yc) <= 1)),
    }


@pytest.fixture(scope="module")
def rated():
    """A continuous scorer vs integer experts, 5 dimensions, 120 ids, partly overlapping."""
    rng = np.random.default_rng(11)
    experts = rng.integers(1, 6, size=(120, 5)).astype(float)
    scorer = np.clip(experts + rng.normal(0, 0.9, size=experts.shape), 1, 5).round(2)
    a = [{"id": f"q{i}", "scores": dict(zip(RUBRIC_DIMENSIONS, map(float, scorer[i])))} for i in range(100)]
    b = [{"id": f"q{i}", **dict(zip(RUBRIC_DIMENSIONS, map(float, experts[i])))} for i in range(10, 120)]
    return a, b, scorer[10:100], experts[10:100]


def test_numbers_equal_the_libraries(rated):
    a, b, x, y = rated
    report = agreement(a, b)
    assert (report["joined"], report["unmatched_a"], report["unmatched_b"]) == (90, 10, 20)
    assert list(report["dimensions"]) == list(RUBRIC_DIMENSIONS)
    for j, dim in enumerate(RUBRIC_DIMENSIONS):
        got = report["dimensions"][dim]
        want = _direct(x[:, j], y[:, j])
        assert got["n"] == 90
        for m in METRICS:
            assert got[m] == pytest.approx(want[m], abs=1e-12), (dim, m)
        assert got["notes"] == []


def test_missing_scores_are_dropped_pairwise_and_alpha_all_keeps_them(rated):
    a, b, x, y = rated
    a = json.loads(json.dumps(a))
    b = json.loads(json.dumps(b))
    dim = "clinical_value"
    j = RUBRIC_DIMENSIONS.index(dim)
    a[10]["scores"][dim] = None  # id q10, the first joined row
    b[5][dim] = None  # id q15
    report = agreement(a, b, dimensions=[dim])
    got = report["dimensions"][dim]
    keep = np.ones(90, dtype=bool)
    keep[[0, 5]] = False
    want = _direct(x[keep, j], y[keep, j])
    assert got["n"] == 88 and got["missing_pairs"] == 2
    for m in METRICS:
        assert got[m] == pytest.approx(want[m], abs=1e-12)
    xa, ya = to_categories(x[:, j]), y[:, j].copy()
    xa[0], ya[5] = np.nan, np.nan
    assert got["alpha_all"] == pytest.approx(krippendorff.alpha(
        reliability_data=[xa, ya], level_of_measurement="ordinal", value_domain=LABELS), abs=1e-12)


@pytest.mark.parametrize("xa,ya", [([3, 3, 3, 3], [3, 3, 3, 3]), ([3, 3, 3, 3], [1, 2, 4, 5]), ([4], [4])])
def test_constant_or_tiny_input_gives_nan_with_a_note(xa, ya):
    a = [{"id": i, "clinical_value": v} for i, v in enumerate(xa)]
    b = [{"id": i, "clinical_value": v} for i, v in enumerate(ya)]
    got = agreement(a, b, bootstrap=20)["dimensions"]["clinical_value"]
    assert math.isnan(got["spearman"]) and math.isnan(got["pearson"])
    assert got["notes"]
    assert got["exact"] == float(np.mean(np.array(xa) == np.array(ya)))


def test_bootstrap_is_seeded_and_brackets_the_estimate(rated):
    a, b, _, _ = rated
    r1 = agreement(a, b, dimensions=["clinical_value"], bootstrap=200, seed=3)
    r2 = agreement(a, b, dimensions=["clinical_value"], bootstrap=200, seed=3)
    r3 = agreement(a, b, dimensions=["clinical_value"], bootstrap=200, seed=4)
    ci1 = r1["dimensions"]["clinical_value"]["ci"]
    assert ci1 == r2["dimensions"]["clinical_value"]["ci"]
    assert ci1 != r3["dimensions"]["clinical_value"]["ci"]
    for m in METRICS:
        lo, hi = ci1[m]
        assert lo <= r1["dimensions"]["clinical_value"][m] <= hi


def test_rounding_is_half_up_and_clipped():
    assert to_categories(np.array([0.4, 1.5, 2.5, 2.49, 4.5, 6.2])).tolist() == [1, 2, 3, 2, 5, 5]


def test_files_in_every_format_join_on_id(tmp_path, rated):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    a, b, _, _ = rated
    ja = tmp_path / "a.jsonl"
    ja.write_text("".join(json.dumps(r) + "\n" for r in a), encoding="utf-8")
    cb = tmp_path / "b.csv"
    cb.write_text("id," + ",".join(RUBRIC_DIMENSIONS) + "\n" + "".join(
        r["id"] + "," + ",".join(str(r[d]) for d in RUBRIC_DIMENSIONS) + "\n" for r in b), encoding="utf-8")
    pb = tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "rubric": {d: r[d] for d in RUBRIC_DIMENSIONS}} for r in b]), pb)
    jb = tmp_path / "b.json"
    jb.write_text(json.dumps(b), encoding="utf-8")
    reference = agreement(a, b)
    for other in (cb, pb, jb):
        assert agreement(ja, other) == reference


@pytest.mark.parametrize("content,suffix,match", [
    ('{"id": 1, "clinical_value": 3}\n{"id": 1, "clinical_value": 4}\n', ".jsonl", "record 2: duplicate id"),
    ('{"id": 1, "clinical_value": "high"}\n', ".jsonl", "clinical_value"),
    ('{"clinical_value": 3}\n', ".jsonl", "missing id"),
    ('{"id": 1}\n{oops\n', ".jsonl", ":2: invalid JSON"),
    ("id,clinical_value\n1,3\n", ".txt", "unsupported"),
])
def test_bad_files_give_one_line_input_errors(tmp_path, content, suffix, match):
    p = tmp_path / f"bad{suffix}"
    p.write_text(content, encoding="utf-8")
    good = [{"id": 1, "clinical_value": 3}]
    with pytest.raises(InputError, match=match):
        agreement(p, good)


def test_unknown_dimension_is_an_error():
    with pytest.raises(InputError, match="unknown dimension"):
        agreement([], [], dimensions=["fluency"])


def test_read_score_rows_rejects_non_objects(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match="x.jsonl:1: expected a JSON object"):
        read_score_rows(p)


def test_cli_agreement_json_matches_the_function(tmp_path, rated, capsys):
    from medcot.cli import main

    a, b, _, _ = rated
    pa_, pb_ = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    pa_.write_text("".join(json.dumps(r) + "\n" for r in a), encoding="utf-8")
    pb_.write_text("".join(json.dumps(r) + "\n" for r in b), encoding="utf-8")
    assert main(["agreement", str(pa_), str(pb_), "--json", "--bootstrap", "50", "--seed", "1",
                 "-d", "clinical_value,medical_correctness"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(agreement(pa_, pb_, dimensions=["clinical_value", "medical_correctness"],
                                                      bootstrap=50, seed=1)))
    assert main(["agreement", str(pa_), str(pb_)]) == 0
    text = capsys.readouterr().out
    assert "joined 90 id(s)" in text and "clinical_value" in text
    assert main(["agreement", str(pa_), str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err


def test_format_report_shows_notes_and_cis(rated):
    a, b, _, _ = rated
    text = format_report(agreement(a, b, dimensions=["clinical_value"], bootstrap=10))
    assert "95% CI" in text and "rounded half-up" in text


@pytest.mark.parametrize("seed", range(6))
def test_bootstrap_fast_path_equals_the_library_path(seed):
    from medcot.agreement import _fast_stats, pair_stats

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = rng.integers(1, 6, n).astype(float)
    y = np.clip(x + rng.normal(0, 1.2, n), 0.5, 5.5).round(1) if seed % 2 else rng.integers(1, 6, n).astype(float)
    if seed == 4:
        x[:] = 3.0  # constant: undefined correlations must agree as NaN
    slow, fast = pair_stats(x, y), _fast_stats(x, y)
    for m in METRICS:
        if math.isnan(slow[m]):
            assert math.isnan(fast[m]), m
        else:
            assert fast[m] == pytest.approx(slow[m], abs=1e-9), m


def test_medcot_score_output_against_expert_scores(tmp_path, repo_root, capsys):
    """The file `medcot score` writes is a valid side of `medcot agreement`."""
    from medcot.cli import main

    records = [json.loads(line) for line in (repo_root / "tests" / "data" / "canonical_records.jsonl")
               .read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [r for r in records if r.get("rubric")]
    assert len(records) >= 3
    preds = tmp_path / "pred.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "prediction": r["cot"], "question": r["question"],
                                         "options": r["options"], "answer": r["answer"]}, ensure_ascii=False) + "\n"
                             for r in records), encoding="utf-8")
    experts = tmp_path / "experts.jsonl"
    experts.write_text("".join(json.dumps({"id": r["id"], "rubric": r["rubric"]}) + "\n" for r in records),
                       encoding="utf-8")
    out = tmp_path / "scores.jsonl"
    assert main(["score", str(preds), "-o", str(out), "--json", "-q"]) == 0
    capsys.readouterr()
    assert main(["agreement", str(out), str(experts), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["joined"] == len(records) and report["unmatched_a"] == report["unmatched_b"] == 0
    assert set(report["dimensions"]) == set(RUBRIC_DIMENSIONS)
    for d in RUBRIC_DIMENSIONS:  # partial expert rubrics: pairs only where the expert scored
        assert report["dimensions"][d]["n"] == sum(r["rubric"].get(d) is not None for r in records)
        assert report["dimensions"][d]["missing_pairs"] == len(records) - report["dimensions"][d]["n"]


def test_dataframes_and_id_mappings_are_accepted(rated):
    pd = pytest.importorskip("pandas")
    a, b, _, _ = rated
    flat_a = [{"id": r["id"], **r["scores"]} for r in a]
    reference = agreement(a, b)
    assert agreement(pd.DataFrame(flat_a), pd.DataFrame(b)) == reference
    assert agreement({r["id"]: r["scores"] for r in a}, b) == reference
    with pytest.raises(InputError, match="record 1: expected a mapping"):
        agreement(["not a row"], b)
