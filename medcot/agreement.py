"""Agreement statistics between two sets of rubric scores (scorer vs experts, judge vs heuristic, ...).

Two score sets are joined on an id column; for each dimension the pairs where both sides have a score
are compared with:

- Spearman rho, Kendall tau-b and Pearson r (``scipy.stats``) on the scores as given;
- quadratic-weighted Cohen kappa (``sklearn``, ``labels=[1..5]``), ordinal Krippendorff alpha (the
  ``krippendorff`` package, value domain 1..5), exact agreement and within-1 agreement on *integer*
  scores: continuous scores (e.g. 3.6 from the offline scorer) are rounded half-up to the nearest
  integer and clipped to 1-5 first, since those statistics are defined on categories.

Optional seeded bootstrap confidence intervals (percentile, 95 %) resample the joined pairs with a
``numpy.random.Generator``. A statistic that is undefined (constant input, fewer than two pairs) is NaN
with a note, never an exception.

Score files may be JSONL, JSON (a list of objects), CSV/TSV or Parquet, with one column per dimension
(``medical_correctness`` or ``scores.medical_correctness`` / ``rubric.medical_correctness``) or nested
``scores`` / ``rubric`` objects.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medcot.errors import InputError
from medcot.jsonguard import JSONGuardError
from medcot.jsonguard import loads as guarded_loads
from medcot.schema import RUBRIC_DIMENSIONS, RUBRIC_MAX, RUBRIC_MIN

logger = logging.getLogger(__name__)

LABELS = list(range(RUBRIC_MIN, RUBRIC_MAX + 1))
METRICS = ("spearman", "kendall", "pearson", "qwk", "alpha", "exact", "within1")
ROUNDING_NOTE = (
    "qwk, alpha, exact and within1 use scores rounded half-up to integers and clipped to "
    f"{RUBRIC_MIN}-{RUBRIC_MAX}; spearman, kendall (tau-b) and pearson use the scores as given"
)
_NESTED = ("scores", "rubric")


def _stats():
    try:
        import krippendorff
        from scipy import stats
        from sklearn.metrics import cohen_kappa_score
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("agreement statistics need the 'stats' extra: pip install 'medcot[stats]'") from exc
    return stats, cohen_kappa_score, krippendorff


# ---------------------------------------------------------------------------------------------
# Reading score files
# ---------------------------------------------------------------------------------------------
def read_score_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a score table (JSONL, JSON list, CSV/TSV, Parquet) into row dicts.

    Raises:
        InputError: unreadable file or a malformed line (naming file and line).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    suffix = p.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            rows = []
            with p.open(encoding="utf-8-sig") as fh:
                for n, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = guarded_loads(line)
                    except JSONGuardError as exc:
                        raise InputError(f"{p}:{n}: {exc}; expected one object per line") from None
                    if not isinstance(obj, dict):
                        raise InputError(f"{p}:{n}: expected a JSON object, got {type(obj).__name__}")
                    rows.append(obj)
            return rows
        if suffix == ".json":
            data = guarded_loads(p.read_text(encoding="utf-8-sig"))
            if isinstance(data, dict) and isinstance(data.get("rows"), list):
                data = data["rows"]
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InputError(f"{p}: expected a JSON list of objects")
            return data
        if suffix in (".csv", ".tsv"):
            with p.open(encoding="utf-8-sig", newline="") as fh:
                return list(csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ","))
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(p).to_pylist()
    except InputError:
        raise
    except (OSError, ValueError, csv.Error) as exc:  # csv.Error: e.g. a field past csv's size limit
        raise InputError(f"{p}: cannot read score file ({exc})") from None
    raise InputError(f"{p}: unsupported score file type {suffix!r}; expected .jsonl, .json, .csv, .tsv or .parquet")


def _to_float(value: Any, *, where: str, field: str) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool):
        raise InputError(f"{where}: field {field!r} is a boolean; expected a number 1-5 or empty")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {field!r} is {value!r}; expected a number 1-5 or empty") from None
    return out


def _score_of(row: Mapping[str, Any], dim: str) -> Any:
    if dim in row:
        return row[dim]
    for nest in _NESTED:
        if f"{nest}.{dim}" in row:
            return row[f"{nest}.{dim}"]
        sub = row.get(nest)
        if isinstance(sub, str) and sub.strip().startswith("{"):
            try:
                sub = guarded_loads(sub)
            except JSONGuardError:
                sub = None
        if isinstance(sub, Mapping) and dim in sub:
            return sub[dim]
    return None


def score_table(rows: Iterable[Mapping[str, Any]], *, dimensions: Sequence[str] = RUBRIC_DIMENSIONS,
                on: str = "id", source: str = "scores") -> dict[str, dict[str, float]]:
    """Map id -> {dimension: float (NaN when absent)} from row dicts.

    Raises:
        InputError: a row lacks the id, an id repeats, or a score is not a number.

    >>> score_table([{"id": 1, "scores": {"clinical_value": 4}}], dimensions=["clinical_value"])
    {'1': {'clinical_value': 4.0}}
    """
    table: dict[str, dict[str, float]] = {}
    for n, row in enumerate(rows, 1):
        where = f"{source}: record {n}"
        if not isinstance(row, Mapping):
            raise InputError(f"{where}: expected a mapping of column -> value, got {type(row).__name__}")
        key = row.get(on)
        if key is None or key == "":
            raise InputError(f"{where}: missing id field {on!r}")
        key = str(key)
        if key in table:
            raise InputError(f"{where}: duplicate id {key!r}; ids must be unique")
        table[key] = {d: _to_float(_score_of(row, d), where=where, field=d) for d in dimensions}
    return table


def _present_dimensions(*tables: Mapping[str, Mapping[str, float]]) -> list[str]:
    dims = []
    for d in RUBRIC_DIMENSIONS:
        if all(any(not math.isnan(v[d]) for v in t.values()) for t in tables):
            dims.append(d)
    return dims


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------
def to_categories(x: np.ndarray) -> np.ndarray:
    """Round half-up to integers and clip to 1-5 (NaN stays NaN).

    >>> to_categories(np.array([0.2, 2.5, 3.49, 7.0, np.nan])).tolist()[:4]
    [1.0, 3.0, 3.0, 5.0]
    """
    return np.clip(np.floor(np.asarray(x, dtype=float) + 0.5), RUBRIC_MIN, RUBRIC_MAX)


def _safe(fn, notes: list[str], name: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = float(fn())
        except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
            notes.append(f"{name}: undefined ({exc})")
            return math.nan
    if math.isnan(value):
        notes.append(f"{name}: undefined (constant input or too few pairs)")
    return value


def pair_stats(x: Sequence[float], y: Sequence[float], *, notes: list[str] | None = None) -> dict[str, float]:
    """All agreement statistics of two equally long arrays of complete pairs.

    Args:
        x: scores of rater A (no NaN).
        y: scores of rater B (no NaN), same length.
        notes: list collecting explanations of undefined statistics.

    Returns:
        ``{"n", "spearman", "kendall", "pearson", "qwk", "alpha", "exact", "within1"}``.

    >>> s = pair_stats([1, 2, 3, 4, 5], [1, 2, 3, 4, 4])
    >>> s["n"], s["exact"], s["within1"]
    (5, 0.8, 1.0)
    """
    stats, kappa, krippendorff = _stats()
    notes = [] if notes is None else notes
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xa)
    out: dict[str, float] = {"n": n}
    xc, yc = to_categories(xa), to_categories(ya)
    out["exact"] = float(np.mean(xc == yc)) if n else math.nan
    out["within1"] = float(np.mean(np.abs(xc - yc) <= 1)) if n else math.nan
    if n < 2:
        notes.append(f"only {n} joined pair(s): correlations, kappa and alpha undefined")
        out = {**out, **{m: math.nan for m in METRICS if m not in out}}
        return {k: out[k] for k in ("n", *METRICS)}
    out["spearman"] = _safe(lambda: stats.spearmanr(xa, ya).statistic, notes, "spearman")
    out["kendall"] = _safe(lambda: stats.kendalltau(xa, ya, variant="b").statistic, notes, "kendall")
    out["pearson"] = _safe(lambda: stats.pearsonr(xa, ya).statistic, notes, "pearson")
    out["qwk"] = _safe(lambda: kappa(xc.astype(int), yc.astype(int), labels=LABELS, weights="quadratic"),
                       notes, "qwk")
    out["alpha"] = _safe(lambda: krippendorff.alpha(reliability_data=np.vstack([xc, yc]),
                                                    level_of_measurement="ordinal", value_domain=LABELS),
                         notes, "alpha")
    return {k: out[k] for k in ("n", *METRICS)}


_W = (np.subtract.outer(np.arange(len(LABELS)), np.arange(len(LABELS))) ** 2).astype(float)


def _fast_stats(xa: np.ndarray, ya: np.ndarray) -> dict[str, float]:
    """The statistics of :func:`pair_stats` with cheaper formulas for bootstrap resamples.

    Pearson via ``np.corrcoef``, Spearman as Pearson of average ranks, QWK from the 5x5 confusion
    matrix; Kendall and alpha still come from scipy / krippendorff. Equal to :func:`pair_stats` to
    floating-point precision (checked by the tests); NaN where undefined, silently.
    """
    stats, _, krippendorff = _stats()
    xc, yc = to_categories(xa), to_categories(ya)
    out = {"exact": float(np.mean(xc == yc)), "within1": float(np.mean(np.abs(xc - yc) <= 1))}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["pearson"] = float(np.corrcoef(xa, ya)[0, 1]) if np.ptp(xa) and np.ptp(ya) else math.nan
        rx, ry = stats.rankdata(xa), stats.rankdata(ya)
        out["spearman"] = float(np.corrcoef(rx, ry)[0, 1]) if np.ptp(rx) and np.ptp(ry) else math.nan
        out["kendall"] = float(stats.kendalltau(xa, ya, variant="b").statistic)
        k = len(LABELS)
        i, j = (xc - LABELS[0]).astype(int), (yc - LABELS[0]).astype(int)
        observed = np.bincount(i * k + j, minlength=k * k).reshape(k, k).astype(float)
        expected = np.outer(observed.sum(1), observed.sum(0)) / len(xa)
        denom = float((_W * expected).sum())
        out["qwk"] = 1.0 - float((_W * observed).sum()) / denom if denom > 0 else math.nan
        try:
            out["alpha"] = float(krippendorff.alpha(reliability_data=np.vstack([xc, yc]),
                                                    level_of_measurement="ordinal", value_domain=LABELS))
        except (ValueError, ZeroDivisionError):
            out["alpha"] = math.nan
    return out


def _bootstrap(xa: np.ndarray, ya: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {m: [] for m in METRICS}
    n = len(xa)
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        s = _fast_stats(xa[idx], ya[idx])
        for m in METRICS:
            samples[m].append(s[m])
    ci = {}
    for m, vals in samples.items():
        arr = np.asarray(vals, dtype=float)
        arr = arr[~np.isnan(arr)]
        ci[m] = [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))] if len(arr) else [math.nan, math.nan]
    return ci


def _as_table(obj: Any, *, on: str, dimensions: Sequence[str], name: str) -> dict[str, dict[str, float]]:
    if isinstance(obj, (str, Path)):
        return score_table(read_score_rows(obj), dimensions=dimensions, on=on, source=str(obj))
    if isinstance(obj, Mapping):  # already id -> scores
        return score_table(({on: k, **v} for k, v in obj.items()), dimensions=dimensions, on=on, source=name)
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # a pandas DataFrame
        obj = obj.to_dict("records")
    return score_table(obj, dimensions=dimensions, on=on, source=name)


def agreement(a: Any, b: Any, *, dimensions: Sequence[str] | None = None, on: str = "id",
              bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    """Agreement between two score sets joined on ``on``.

    Args:
        a: a score file path, a list of row dicts, a pandas DataFrame, or a mapping
            id -> {dimension: score}.
        b: the same for the other rater.
        dimensions: dimensions to compare (default: every rubric dimension present on both sides).
        on: the id field.
        bootstrap: number of bootstrap resamples for 95 % percentile CIs (0: none).
        seed: seed of the bootstrap's ``numpy.random.Generator``.

    Returns:
        ``{"joined", "unmatched_a", "unmatched_b", "dimensions": {dim: {n, spearman, kendall, pearson,
        qwk, alpha, alpha_all, exact, within1, ci?, notes}}, "bootstrap", "seed", "note"}``.
        ``alpha_all`` is Krippendorff's alpha over every joined id with NaN where a side lacks a score.

    >>> expert = [{"id": "a", "clinical_value": 4}, {"id": "b", "clinical_value": 2}, {"id": "c", "clinical_value": 5}]
    >>> scorer = [{"id": "a", "clinical_value": 4}, {"id": "b", "clinical_value": 3}, {"id": "c", "clinical_value": 5}]
    >>> r = agreement(scorer, expert)
    >>> r["joined"], r["dimensions"]["clinical_value"]["spearman"]
    (3, 1.0)
    """
    if bootstrap < 0:
        raise InputError(f"bootstrap must be >= 0, got {bootstrap}")
    dims_in = list(dimensions) if dimensions else list(RUBRIC_DIMENSIONS)
    unknown = [d for d in dims_in if d not in RUBRIC_DIMENSIONS]
    if unknown:
        raise InputError(f"unknown dimension(s) {', '.join(unknown)}; expected some of {', '.join(RUBRIC_DIMENSIONS)}")
    ta = _as_table(a, on=on, dimensions=dims_in, name="A")
    tb = _as_table(b, on=on, dimensions=dims_in, name="B")
    ids = [k for k in ta if k in tb]
    dims = dims_in if dimensions else [d for d in dims_in if d in _present_dimensions(ta, tb)]
    report: dict[str, Any] = {
        "joined": len(ids), "unmatched_a": sum(k not in tb for k in ta), "unmatched_b": sum(k not in ta for k in tb),
        "on": on, "bootstrap": bootstrap, "seed": seed, "note": ROUNDING_NOTE, "dimensions": {},
    }
    _, _, krippendorff = _stats()
    rng = np.random.default_rng(seed)
    for d in dims:
        xa = np.array([ta[k][d] for k in ids], dtype=float)
        ya = np.array([tb[k][d] for k in ids], dtype=float)
        complete = ~np.isnan(xa) & ~np.isnan(ya)
        notes: list[str] = []
        row = pair_stats(xa[complete], ya[complete], notes=notes)
        row["missing_pairs"] = int((~complete).sum())
        row["alpha_all"] = _safe(
            lambda xa=xa, ya=ya: krippendorff.alpha(
                reliability_data=np.vstack([to_categories(xa), to_categories(ya)]),
                level_of_measurement="ordinal", value_domain=LABELS),
            notes, "alpha_all") if len(ids) >= 2 else math.nan
        if bootstrap and complete.sum() >= 2:
            row["ci"] = _bootstrap(xa[complete], ya[complete], bootstrap, rng)
        row["notes"] = notes
        report["dimensions"][d] = row
    return report


def format_report(report: Mapping[str, Any]) -> str:
    """A plain-text table of an :func:`agreement` report.

    >>> "spearman" in format_report(agreement([{"id": 1, "clinical_value": 3}], [{"id": 1, "clinical_value": 3}]))
    True
    """
    head = (f"joined {report['joined']} id(s); unmatched: {report['unmatched_a']} only in A, "
            f"{report['unmatched_b']} only in B")
    cols = ("n",) + METRICS
    lines = [head, "dimension".ljust(24) + "".join(c.rjust(10) for c in cols)]
    for dim, row in report["dimensions"].items():
        cells = []
        for c in cols:
            v = row[c]
            cells.append(str(v).rjust(10) if c == "n" else ("nan" if math.isnan(v) else f"{v:.3f}").rjust(10))
        lines.append(dim.ljust(24) + "".join(cells))
        if "ci" in row:
            lines.append("  95% CI: " + ", ".join(f"{m} [{lo:.3f}, {hi:.3f}]" for m, (lo, hi) in row["ci"].items()))
        for note in row["notes"]:
            lines.append(f"  note: {note}")
    lines.append(f"note: {report['note']}")
    return "\n".join(lines)
