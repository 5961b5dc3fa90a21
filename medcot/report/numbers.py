"""The numbers behind every figure and table of ``medcot report`` (what ``--json`` writes).

All means come from :func:`medcot.scoring.aggregate` (the same definitions as ``medcot score``: a
missing score is absent, never 0; answer accuracy over items whose gold is known), and all
intervals from :func:`medcot.scoring.bootstrap_intervals` (percentile bootstrap, a
``numpy.random.Generator`` seeded with ``seed``), so the report reproduces run to run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from medcot import constants, scoring
from medcot.report.runs import UNKNOWN, Item, Run

logger = logging.getLogger(__name__)

FORMAT = "medcot-report"
VERSION = 1
# The columns of the by-department / by-question-type tables, in display order.
BREAKDOWN_KEYS: tuple[str, ...] = ("answer_accuracy", *constants.RUBRIC_DIMENSIONS, "overall")
# Score histograms: quarter points from 1 to 5 (the offline scorer's scores are continuous).
SCORE_BINS: tuple[float, ...] = tuple(1.0 + 0.25 * i for i in range(17))
DISTRIBUTION_KEYS: tuple[str, ...] = (*constants.RUBRIC_DIMENSIONS, "overall")
_TIE = 1e-9


def _clean(value: Any) -> Any:
    """NaN and numpy scalars out, so the numbers are plain JSON."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if np.isnan(value) else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def run_summary(run: Run, *, bootstrap: int, seed: int, confidence: float) -> dict[str, Any]:
    """Counts, means and (``bootstrap`` > 0) seeded bootstrap intervals of one run."""
    summary = scoring.aggregate([i.row for i in run.items], bootstrap=bootstrap, seed=seed, confidence=confidence)
    return {
        "name": run.name,
        "path": str(run.path),
        "source": str(run.source),
        "scored_here": run.scored_here,
        "n_rows": summary.n_rows,
        "n_scored": summary.n_scored,
        "n_missing": summary.n_missing,
        "n_invalid": summary.n_invalid,
        "n_with_answer": summary.n_with_answer,
        "n_with_reference": summary.n_with_reference,
        "backend": summary.backend,
        "means": dict(summary.means),
        "ci": None if summary.confidence_intervals is None else {k: None if v is None else list(v) for k, v in summary.confidence_intervals.items()},
    }


def group_order(runs: Sequence[Run], key: str) -> list[str]:
    """Groups (departments, question types) over all runs: most items first, then by name."""
    counts: Counter = Counter()
    for run in runs:
        counts.update(getattr(i, key) or UNKNOWN for i in run.items)
    return [g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def breakdown(run: Run, key: str, groups: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per group of ``key`` (``department`` / ``question_type``): items, scored items and the means."""
    by_group: dict[str, list[Item]] = {}
    for item in run.items:
        by_group.setdefault(getattr(item, key) or UNKNOWN, []).append(item)
    out = {}
    for group in groups:
        items = by_group.get(group, [])
        summary = scoring.aggregate([i.row for i in items])
        out[group] = {"n": summary.n_rows, "n_scored": summary.n_scored, "n_with_answer": summary.n_with_answer,
                      **{k: summary.means.get(k) for k in BREAKDOWN_KEYS}}
    return out


def distributions(run: Run) -> dict[str, list[int]]:
    """Histogram counts per dimension and overall on :data:`SCORE_BINS` (scored items only)."""
    mat = scoring.value_matrix([i.row for i in run.items])
    out = {}
    for key in DISTRIBUTION_KEYS:
        col = mat[:, scoring.AGGREGATES.index(key)]
        counts, _ = np.histogram(col[~np.isnan(col)], bins=np.asarray(SCORE_BINS))
        out[key] = counts.tolist()
    return out


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (scipy), None when undefined (fewer than 3 points or a constant side).

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 45])
    1.0
    """
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def length_vs_overall(run: Run) -> dict[str, Any]:
    """Points (id, prediction characters, overall) of the scored items that know their length."""
    points = [
        {"id": i.row.id, "chars": i.row.prediction_chars, "overall": i.row.overall}
        for i in run.items
        if i.row.overall is not None and i.row.error is None and i.row.prediction_chars is not None
    ]
    without = sum(1 for i in run.items if i.row.overall is not None and i.row.prediction_chars is None)
    return {
        "n": len(points),
        "n_without_length": without,
        "spearman": spearman([p["chars"] for p in points], [p["overall"] for p in points]),
        "points": points,
    }


def paired(a: Run, b: Run, *, bootstrap: int, seed: int, confidence: float) -> dict[str, Any]:
    """Paired differences ``b - a`` on the ids both runs scored, with seeded bootstrap intervals.

    Returns:
        ``a``, ``b``, ``n_pairs`` (ids scored in both), ``only_a`` / ``only_b`` (ids in one run
        only), ``diff`` (mean difference per aggregate), ``ci`` (or None without bootstrap), and
        ``overall_better`` / ``overall_tied`` / ``overall_worse`` (items where ``b`` beats ``a``).
    """
    rows_a = {i.row.id: i.row for i in a.items if i.row.id is not None and i.row.error is None}
    rows_b = {i.row.id: i.row for i in b.items if i.row.id is not None and i.row.error is None}
    ids = [i.row.id for i in a.items if i.row.id in rows_a and i.row.id in rows_b]
    diff = scoring.value_matrix([rows_b[k] for k in ids]) - scoring.value_matrix([rows_a[k] for k in ids])
    means = {}
    for j, key in enumerate(scoring.AGGREGATES):
        col = diff[:, j][~np.isnan(diff[:, j])]
        means[key] = float(col.mean()) if col.size else None
    ci = None
    if bootstrap and ids:
        ci = dict(zip(scoring.AGGREGATES, scoring.bootstrap_intervals(diff, n_resamples=bootstrap, seed=seed, confidence=confidence)))
    overall = diff[:, scoring.AGGREGATES.index("overall")]
    overall = overall[~np.isnan(overall)]
    return {
        "a": a.name,
        "b": b.name,
        "n_pairs": len(ids),
        "only_a": len(set(rows_a) - set(rows_b)),
        "only_b": len(set(rows_b) - set(rows_a)),
        "diff": means,
        "ci": None if ci is None else {k: None if v is None else list(v) for k, v in ci.items()},
        "overall_better": int((overall > _TIE).sum()),
        "overall_tied": int((np.abs(overall) <= _TIE).sum()),
        "overall_worse": int((overall < -_TIE).sum()),
    }


def worst_items(run: Run, *, k: int) -> list[dict[str, Any]]:
    """The ``k`` lowest-overall scored items (ties by id), with scores, answers and evidence."""
    scored = [i for i in run.items if i.row.overall is not None and i.row.error is None]
    scored.sort(key=lambda i: (i.row.overall, str(i.row.id), i.line))
    out = []
    for item in scored[:k]:
        r = item.row
        out.append({
            "id": r.id, "line": item.line, "overall": r.overall, "scores": dict(r.scores),
            "answer_correct": r.answer_correct, "extracted_answer": r.extracted_answer, "gold_answer": r.gold_answer,
            "char_rouge_l": r.char_rouge_l, "prediction_chars": r.prediction_chars,
            "department": item.department, "question_type": item.question_type, "question": item.question,
            "evidence": {d: list(v) for d, v in r.evidence.items()},
        })
    return out


def compute(
    runs: Sequence[Run],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    worst: int = 5,
    dataset: str | None = None,
    split: str = "test",
) -> dict[str, Any]:
    """Every number of the report, as plain JSON-ready data.

    Args:
        runs: The runs (:func:`medcot.report.runs.load_runs`), in display order.
        bootstrap: Bootstrap resamples for the intervals (0 = none).
        seed: Seed of the bootstrap generator.
        confidence: Coverage of the intervals.
        worst: Items listed per run for auditing.
        dataset: The dataset joined for metadata (shown, not read here).
        split: Its split.

    Returns:
        A dict with ``format``, ``version``, ``settings``, ``dimensions``, ``runs``,
        ``by_department``, ``by_question_type``, ``distributions``, ``length_vs_overall``,
        ``paired`` and ``worst``.
    """
    departments = group_order(runs, "department")
    qtypes = group_order(runs, "question_type")
    result = {
        "format": FORMAT,
        "version": VERSION,
        "settings": {"bootstrap": bootstrap, "seed": seed, "confidence": confidence, "worst": worst,
                     "dataset": dataset, "split": split, "method": "percentile"},
        "dimensions": [{"key": d.key, "zh": d.zh, "en": d.en} for d in constants.RUBRIC],
        "runs": [run_summary(r, bootstrap=bootstrap, seed=seed, confidence=confidence) for r in runs],
        "by_department": {"groups": departments, "runs": {r.name: breakdown(r, "department", departments) for r in runs}},
        "by_question_type": {"groups": qtypes, "runs": {r.name: breakdown(r, "question_type", qtypes) for r in runs}},
        "distributions": {"bins": list(SCORE_BINS), "runs": {r.name: distributions(r) for r in runs}},
        "length_vs_overall": {r.name: length_vs_overall(r) for r in runs},
        "paired": [paired(runs[i], runs[j], bootstrap=bootstrap, seed=seed, confidence=confidence)
                   for i in range(len(runs)) for j in range(i + 1, len(runs))],
        "worst": {r.name: worst_items(r, k=worst) for r in runs},
    }
    return _clean(result)
