"""Calibration of the offline scorer: known-truth recovery, held-out improvement, no fitting on test rows."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from medcot import calibrate
from medcot.calibrate import Calibration, calibrate_records, default_score_fn, fit_calibration, ids_digest
from medcot.errors import InputError
from medcot.schema import RUBRIC_DIMENSIONS

BANK = json.loads((Path(__file__).resolve().parent / "data" / "calibration_questions.json").read_text(encoding="utf-8"))

# The "experts": a known function of the scorer's signals (different from the scorer's own weighting)
# plus seeded Gaussian noise, rounded to integers 1-5 like real ratings.
TRUTH = {
    "medical_correctness": lambda s: 1.5 + 2.5 * s["answer_correct"] + 0.3 * min(s["sentences"], 5) / 5,
    "reasoning_structure": lambda s: 1 + 0.6 * min(s["connectives"], 5) + 1.0 * s["options_discussed"],
    "information_sufficiency": lambda s: 1 + 4 * s["stem_recall"] - 2 * s["padding_fraction"],
    "terminology_clarity": lambda s: 1 + 3 * s["term_coverage"] + 0.02 * s["chars"] - 1.5 * s["padding_fraction"],
    "clinical_value": lambda s: 1 + 0.8 * s["cue_categories"] + 1.5 * s["options_discussed"],
}


def _synthetic_records(n: int, seed: int) -> list[dict]:
    """CoTs of varied quality: subsets of the reasoning steps, padding, right or wrong conclusion."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        q = rng.choice(BANK["questions"])
        steps = rng.sample(q["steps"], rng.randint(1, len(q["steps"])))
        if rng.random() < 0.5:
            steps.sort(key=q["steps"].index)
        if rng.random() < 0.4:
            steps += rng.sample(BANK["padding"], rng.randint(1, 3))
        wrong = [o["label"] for o in q["options"] if o["label"] not in q["answer"]]
        label = q["answer"][0] if rng.random() < 0.7 else rng.choice(wrong)
        if rng.random() < 0.85:
            steps.append(f"故选{label}。")
        out.append({"id": f"s{seed}-{i}", "question": q["question"], "options": q["options"], "answer": q["answer"],
                    "cot": "".join(steps), "rubric": None})
    return out


@pytest.fixture(scope="module")
def score_fn():
    pytest.importorskip("medcot.rubric")
    return default_score_fn()


@pytest.fixture(scope="module")
def known_truth(score_fn):
    splits = {"train": _synthetic_records(300, 1), "validation": _synthetic_records(100, 2),
              "test": _synthetic_records(100, 3)}
    noise = np.random.default_rng(0)
    for recs in splits.values():
        for rec, (_, signals) in zip(recs, score_fn(recs)):
            rec["rubric"] = {d: float(np.clip(np.rint(f(signals) + noise.normal(0, 0.4)), 1, 5))
                             for d, f in TRUTH.items()}
    return splits


def test_calibration_improves_agreement_on_held_out_rows(known_truth, score_fn):
    cal = calibrate_records(known_truth, score_fn=score_fn)
    assert set(cal.dimensions) == set(RUBRIC_DIMENSIONS)
    for split in ("validation", "test"):
        rep = cal.report[split]
        assert rep["n"] == 100
        gains = []
        for dim in RUBRIC_DIMENSIONS:
            before, after = rep["before"]["dimensions"][dim], rep["after"]["dimensions"][dim]
            assert after["n"] == before["n"] == 100
            assert after["qwk"] > before["qwk"], (split, dim)
            assert after["spearman"] > before["spearman"] - 0.02, (split, dim)
            assert after["qwk"] > 0.6, (split, dim)
            gains.append(after["spearman"] - before["spearman"])
        assert np.mean(gains) > 0.1


def test_fit_sees_only_train_rows(known_truth, score_fn, monkeypatch):
    seen: list[list[str]] = []
    real_fit = calibrate.fit_calibration

    def spy(signals, targets, *, ids=None, **kw):
        seen.append(list(ids))
        return real_fit(signals, targets, ids=ids, **kw)

    monkeypatch.setattr(calibrate, "fit_calibration", spy)
    cal = calibrate_records(known_truth, score_fn=score_fn)
    train_ids = [r["id"] for r in known_truth["train"]]
    held_out = {r["id"] for s in ("validation", "test") for r in known_truth[s]}
    assert seen == [train_ids]
    assert not held_out & set(seen[0])
    assert cal.fitted_on == {"split": "train", "n": 300, "ids_sha256": ids_digest(train_ids)}

    # Scrambling held-out expert scores cannot change the fit.
    scrambled = copy.deepcopy(known_truth)
    for s in ("validation", "test"):
        for r in scrambled[s]:
            r["rubric"] = {d: 1.0 for d in RUBRIC_DIMENSIONS}
    monkeypatch.setattr(calibrate, "fit_calibration", real_fit)
    other = calibrate_records(scrambled, score_fn=score_fn)
    assert other.dimensions == cal.dimensions and other.means == cal.means


def test_saved_calibration_loads_and_drives_the_scorer(known_truth, score_fn, tmp_path):
    from medcot.rubric import RubricScorer

    cal = calibrate_records(known_truth, score_fn=score_fn)
    path = cal.save(tmp_path / "calibration.json")
    loaded = Calibration.load(path)
    assert loaded.to_dict() == json.loads(path.read_text(encoding="utf-8"))
    rec = known_truth["test"][0]
    plain = RubricScorer().score(rec["cot"], question=rec["question"], options=rec["options"], answers=rec["answer"])
    calibrated = RubricScorer(calibration=loaded).score(rec["cot"], question=rec["question"], options=rec["options"],
                                                        answers=rec["answer"])
    expected = loaded.apply(plain.signals)
    for dim in RUBRIC_DIMENSIONS:
        assert calibrated.scores[dim] <= expected[dim] + 1e-6  # equal unless an anti-gaming cap applies
    assert any(calibrated.scores[d] != plain.scores[d] for d in RUBRIC_DIMENSIONS)


def test_fit_recovers_a_known_linear_map_from_plain_signals():
    rng = np.random.default_rng(3)
    signals = [{"a": float(rng.normal()), "b": float(rng.uniform(0, 10)), "const": 1.0} for _ in range(400)]
    targets = [{"clinical_value": 3 + 0.5 * s["a"] - 0.1 * (s["b"] - 5)} for s in signals]
    cal = fit_calibration(signals, targets, ids=[str(i) for i in range(400)], alpha=1e-6)
    assert list(cal.dimensions) == ["clinical_value"]
    probe = {"a": 0.8, "b": 2.0, "const": 1.0}
    assert cal.apply(probe)["clinical_value"] == pytest.approx(3 + 0.4 + 0.3, abs=1e-3)
    assert cal.apply({"a": 100.0, "b": 0.0})["clinical_value"] == 5.0  # clipped
    assert cal.apply({"a": float("nan")})["clinical_value"] == pytest.approx(np.mean(
        [t["clinical_value"] for t in targets]), abs=0.05)  # missing / NaN -> training mean


def test_dimensions_without_enough_expert_scores_are_not_fitted():
    signals = [{"x": float(i)} for i in range(10)]
    targets = [{"clinical_value": 1 + i % 5, "medical_correctness": None} for i in range(10)]
    cal = fit_calibration(signals, targets)
    assert set(cal.dimensions) == {"clinical_value"}
    with pytest.raises(InputError, match="no dimension"):
        fit_calibration(signals, [{"clinical_value": None}] * 10)


def test_no_expert_scores_is_a_clear_error(score_fn):
    splits = {"train": _synthetic_records(5, 9)}
    with pytest.raises(InputError, match="no records with expert rubric scores"):
        calibrate_records(splits, score_fn=score_fn)


@pytest.mark.parametrize("content,match", [
    ("not json", "cannot read"),
    ('{"format": "other"}', "not a medcot calibration"),
    ('{"format": "medcot-calibration", "version": 99}', "version"),
    ('{"format": "medcot-calibration", "version": 1, "features": ["x"]}', "malformed"),
    ('{"format": "medcot-calibration", "version": 1, "features": ["x"], "means": [0], "scales": [1], '
     '"clip": [1, 5], "dimensions": {"clinical_value": {"coef": [1, 2], "intercept": 3, "n": 5}}}', "inconsistent"),
])
def test_bad_calibration_files_raise_input_error(tmp_path, content, match):
    p = tmp_path / "cal.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        Calibration.load(p)


def test_cli_calibrate_on_a_built_folder(known_truth, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from medcot.cli import main

    folder = tmp_path / "built" / "data" / "default"
    folder.mkdir(parents=True)
    for split, recs in known_truth.items():
        pq.write_table(pa.Table.from_pylist(recs), folder / f"{split}-00000-of-00001.parquet")
    out = tmp_path / "cal.json"
    assert main(["calibrate", "--data", str(tmp_path / "built"), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fitted_on"]["n"] == 300
    assert set(report["report"]) == {"validation", "test"}
    assert Calibration.load(out).fitted_on["ids_sha256"] == ids_digest(r["id"] for r in known_truth["train"])


def test_calibrate_release_reads_a_raw_release(dummy_data, tmp_path):
    from medcot.ingest import ingest

    splits = ingest(dummy_data).splits
    train_scored = [r for r in splits.get("train", []) if r.get("rubric") and any(
        r["rubric"].get(d) is not None for d in RUBRIC_DIMENSIONS)]
    if not train_scored:
        pytest.fail("dummy_data is expected to carry expert rubric scores on some train rows")
    cal = calibrate.calibrate_release(dummy_data, out=tmp_path / "cal.json")
    assert cal.fitted_on["n"] == len(train_scored)
    assert cal.fitted_on["ids_sha256"] == ids_digest(r["id"] for r in train_scored)
    assert Calibration.load(tmp_path / "cal.json").fitted_on == cal.fitted_on


def test_scoring_loads_a_calibration_file(known_truth, score_fn, tmp_path):
    from medcot import scoring

    cal = calibrate_records(known_truth, score_fn=score_fn)
    path = cal.save(tmp_path / "cal.json")
    rec = known_truth["validation"][0]
    scorer = scoring.get_scorer(calibration=str(path))
    got = scorer.score(rec["cot"], question=rec["question"], options=rec["options"], answers=rec["answer"])
    (_, signals), = score_fn([rec])
    (calibrated, _), = score_fn([rec], calibration=cal)
    assert got.scores == calibrated
    assert got.signals == signals
