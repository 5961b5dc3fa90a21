"""Calibration of the offline rubric scorer to the experts' scale.

When a release carries expert rubric scores, :func:`calibrate_release` scores the train split's CoTs
with the offline scorer (reference-free: question, options and gold answer only), fits per dimension a
ridge regression from the scorer's numeric ``signals`` (standardised) to the expert score, and saves a
small versioned JSON file. Validation and test rows are only scored and reported (agreement before and
after, via :mod:`medcot.agreement`) — never used for fitting; the file records how many rows and which
ids (as a sha256 of the sorted ids) the fit saw.

:class:`Calibration` is what ``RubricScorer(calibration=Calibration.load(path))`` consumes: its
``apply(signals)`` returns calibrated scores (clipped to 1-5) for the fitted dimensions. Applying needs
nothing beyond the standard library; fitting needs the ``stats`` extra (scikit-learn).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medcot.errors import InputError
from medcot.jsonguard import JSONGuardError
from medcot.jsonguard import loads as guarded_loads
from medcot.schema import RUBRIC_DIMENSIONS, RUBRIC_MAX, RUBRIC_MIN

logger = logging.getLogger(__name__)

CALIBRATION_FORMAT = "medcot-calibration"
CALIBRATION_VERSION = 1


def ids_digest(ids: Iterable[str]) -> str:
    """sha256 of the sorted ids joined by newlines (identifies the rows a fit used).

    >>> ids_digest(["b", "a"]) == ids_digest(["a", "b"])
    True
    """
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode("utf-8")).hexdigest()


def _finite(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass
class DimensionFit:
    """Linear map of standardised features to one dimension's expert score."""

    coef: list[float]
    intercept: float
    n: int


@dataclass
class Calibration:
    """A fitted calibration; JSON-serialisable.

    >>> cal = Calibration(features=["x"], means=[0.0], scales=[1.0],
    ...                   dimensions={"clinical_value": DimensionFit([2.0], 3.0, 10)})
    >>> cal.apply({"x": 0.5})
    {'clinical_value': 4.0}
    >>> cal.apply({"x": 9.0}), cal.apply({})
    ({'clinical_value': 5.0}, {'clinical_value': 3.0})
    """

    features: list[str]
    means: list[float]
    scales: list[float]
    dimensions: dict[str, DimensionFit]
    clip: tuple[float, float] = (float(RUBRIC_MIN), float(RUBRIC_MAX))
    method: str = "ridge"
    alpha: float = 1.0
    fitted_on: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    version: int = CALIBRATION_VERSION

    def apply(self, signals: Mapping[str, float]) -> dict[str, float]:
        """Calibrated scores (clipped) of the fitted dimensions from one item's scorer signals.

        A missing or non-finite signal takes its training mean (contributes nothing).
        """
        z = []
        for name, mean, scale in zip(self.features, self.means, self.scales):
            v = _finite(signals.get(name))
            z.append(0.0 if v is None else (v - mean) / scale)
        lo, hi = self.clip
        out = {}
        for dim, fit in self.dimensions.items():
            y = fit.intercept + sum(c * x for c, x in zip(fit.coef, z))
            out[dim] = round(min(hi, max(lo, y)), 4)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (with a format tag)."""
        d = asdict(self)
        d["clip"] = list(self.clip)
        return {"format": CALIBRATION_FORMAT, **d}

    def save(self, path: str | Path) -> Path:
        """Write the calibration as JSON; returns the path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return p

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "calibration") -> Calibration:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            InputError: not a medcot calibration, an unsupported version, or malformed fields.
        """
        if d.get("format") != CALIBRATION_FORMAT:
            raise InputError(f"{source}: not a medcot calibration file (expected format {CALIBRATION_FORMAT!r})")
        if d.get("version") != CALIBRATION_VERSION:
            raise InputError(f"{source}: calibration version {d.get('version')!r}; this medcot reads "
                             f"version {CALIBRATION_VERSION}")
        try:
            features = [str(f) for f in d["features"]]
            dims = {k: DimensionFit([float(c) for c in v["coef"]], float(v["intercept"]), int(v["n"]))
                    for k, v in d["dimensions"].items()}
            cal = cls(features=features, means=[float(x) for x in d["means"]],
                      scales=[float(x) for x in d["scales"]], dimensions=dims,
                      clip=(float(d["clip"][0]), float(d["clip"][1])), method=str(d.get("method", "ridge")),
                      alpha=float(d.get("alpha", 1.0)), fitted_on=dict(d.get("fitted_on") or {}),
                      report=dict(d.get("report") or {}), version=int(d["version"]))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"{source}: malformed calibration field ({exc!r})") from None
        bad = [k for k in dims if k not in RUBRIC_DIMENSIONS]
        if bad or any(len(f.coef) != len(features) for f in dims.values()) or \
                not len(cal.means) == len(cal.scales) == len(features):
            raise InputError(f"{source}: inconsistent calibration (unknown dimension or length mismatch)")
        return cal

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration JSON file written by :meth:`save`."""
        p = Path(path)
        try:
            data = guarded_loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{p}: no such calibration file") from None
        except (OSError, UnicodeDecodeError, JSONGuardError) as exc:
            raise InputError(f"{p}: cannot read calibration JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{p}: expected a JSON object")
        return cls.from_dict(data, source=str(p))


def fit_calibration(signals: Sequence[Mapping[str, float]], targets: Sequence[Mapping[str, Any]], *,
                    ids: Sequence[str] | None = None, alpha: float = 1.0,
                    features: Sequence[str] | None = None, split: str = "train") -> Calibration:
    """Fit per-dimension ridge regressions from scorer signals to expert scores.

    Args:
        signals: per row, the scorer's ``RubricResult.signals``.
        targets: per row, expert scores by dimension (None / NaN when absent).
        ids: row ids, recorded as a count and digest in ``fitted_on``.
        alpha: ridge penalty (on standardised features).
        features: signal names to use (default: every name present in ``signals``, sorted).
        split: name of the split the rows come from (recorded).

    Returns:
        A :class:`Calibration` for each dimension with at least 3 scored rows.

    Raises:
        InputError: lengths differ, or no dimension has enough scored rows.
    """
    import numpy as np

    try:
        from sklearn.linear_model import Ridge
    except ImportError as exc:  # depends on the install
        raise InputError("calibration needs the 'stats' extra: pip install 'medcot[stats]'") from exc

    if len(signals) != len(targets) or (ids is not None and len(ids) != len(signals)):
        raise InputError("calibration: signals, targets and ids must have the same length")
    names = sorted({k for s in signals for k in s}) if features is None else list(features)
    if not names:
        raise InputError("calibration: the scorer returned no signals to fit on")
    X = np.array([[_finite(s.get(f)) for f in names] for s in signals], dtype=float).reshape(len(signals), len(names))
    with warnings.catch_warnings():  # an all-missing feature: mean/std of an empty slice -> 0 / 1 below
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nan_to_num(np.nanmean(X, axis=0), nan=0.0) if len(X) else np.zeros(len(names))
        scales = np.nan_to_num(np.nanstd(X, axis=0), nan=0.0) if len(X) else np.ones(len(names))
    scales = np.where(scales > 1e-12, scales, 1.0)  # a constant feature stays 0 after standardising
    Z = np.where(np.isnan(X), 0.0, (X - means) / scales)
    dims: dict[str, DimensionFit] = {}
    for dim in RUBRIC_DIMENSIONS:
        y = np.array([_finite(t.get(dim)) if t is not None else None for t in targets], dtype=float)
        ok = ~np.isnan(y)
        if ok.sum() < 3:
            logger.info("calibration: %s has %d expert score(s); not fitted", dim, int(ok.sum()))
            continue
        model = Ridge(alpha=alpha).fit(Z[ok], y[ok])
        dims[dim] = DimensionFit([round(float(c), 8) for c in model.coef_], round(float(model.intercept_), 8),
                                 int(ok.sum()))
    if not dims:
        raise InputError("calibration: no dimension has at least 3 expert scores in the fitting rows")
    if len(signals) < 5 * len(names):
        logger.warning("calibration: %d fitting row(s) for %d signal(s); the fit is likely unreliable "
                       "(want at least %d rows)", len(signals), len(names), 5 * len(names))
    fitted_on = {"split": split, "n": len(signals)}
    if ids is not None:
        fitted_on["ids_sha256"] = ids_digest(ids)
    return Calibration(features=names, means=[round(float(m), 8) for m in means],
                       scales=[round(float(s), 8) for s in scales], dimensions=dims, alpha=alpha,
                       fitted_on=fitted_on)


# ---------------------------------------------------------------------------------------------
# Release-level pipeline
# ---------------------------------------------------------------------------------------------
def load_release_splits(data: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Canonical records per split from a built folder (``data/default/*.parquet``) or a raw release.

    Raises:
        InputError: the path does not exist or holds no records.
    """
    p = Path(data)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    built = p / "data" / "default"
    if built.is_dir():
        import pyarrow.parquet as pq

        splits: dict[str, list[dict[str, Any]]] = {}
        for f in sorted(built.glob("*.parquet")):
            split = f.name.split("-")[0]
            splits.setdefault(split, []).extend(pq.read_table(f).to_pylist())
        if not splits:
            raise InputError(f"{built}: no Parquet shards found")
        return splits
    from medcot.ingest import ingest

    result = ingest(p)
    if result.rejects:
        logger.warning("calibrate: %d raw row(s) rejected while reading %s", len(result.rejects), p)
    return {k: list(v) for k, v in result.splits.items()}


def _expert(record: Mapping[str, Any]) -> dict[str, float | None] | None:
    rubric = record.get("rubric")
    if not isinstance(rubric, Mapping):
        return None
    scores = {d: _finite(rubric.get(d)) for d in RUBRIC_DIMENSIONS}
    return scores if any(v is not None for v in scores.values()) else None


ScoreFn = Callable[..., list[tuple[dict[str, float], dict[str, float]]]]


def default_score_fn(*, lexicon_paths: Sequence[str] = ()) -> ScoreFn:
    """Score canonical records' CoTs with the offline scorer, reference-free (question, options, answer).

    Returns:
        A function ``(records, calibration=None) -> [(scores by dimension, signals), ...]``; with a
        calibration the scores are what ``RubricScorer(calibration=...)`` gives (anti-gaming caps included).
    """
    from medcot.rubric import RubricScorer

    def score(records: Sequence[Mapping[str, Any]],
              calibration: Any = None) -> list[tuple[dict[str, float], dict[str, float]]]:
        scorer = RubricScorer(lexicon_paths=tuple(lexicon_paths), calibration=calibration)
        items = [{"prediction": r.get("cot") or "", "question": r.get("question"), "options": r.get("options"),
                  "answers": r.get("answer")} for r in records]
        return [(dict(res.scores), dict(res.signals)) for res in scorer.score_many(items)]

    return score


def calibrate_records(splits: Mapping[str, Sequence[Mapping[str, Any]]], *, score_fn: ScoreFn,
                      alpha: float = 1.0, fit_split: str = "train",
                      report_splits: Sequence[str] = ("validation", "test"),
                      bootstrap: int = 0, seed: int = 0) -> Calibration:
    """Fit on ``fit_split`` rows that carry expert scores; report agreement before/after elsewhere.

    Only rows of ``fit_split`` reach :func:`fit_calibration`; the other splits are scored for the
    report, before (raw scorer) and after (scorer with the calibration, caps included). The returned
    calibration's ``report`` holds, per reported split, the row count and both
    :func:`medcot.agreement.agreement` reports.
    """
    from medcot.agreement import agreement

    train = [r for r in splits.get(fit_split, []) if _expert(r) is not None]
    if not train:
        raise InputError(f"calibrate: the {fit_split!r} split has no records with expert rubric scores; "
                         "calibration needs a release that carries them")
    scored = score_fn(train)
    cal = fit_calibration([s for _, s in scored], [_expert(r) for r in train],
                          ids=[str(r["id"]) for r in train], alpha=alpha, split=fit_split)
    report: dict[str, Any] = {}
    for name in report_splits:
        rows = [r for r in splits.get(name, []) if _expert(r) is not None]
        if not rows:
            continue
        ids = [str(r["id"]) for r in rows]
        experts = [{"id": i, **_expert(r)} for i, r in zip(ids, rows)]
        before = [{"id": i, **scores} for i, (scores, _) in zip(ids, score_fn(rows))]
        after = [{"id": i, **scores} for i, (scores, _) in zip(ids, score_fn(rows, calibration=cal))]
        dims = list(cal.dimensions)
        report[name] = {
            "n": len(rows),
            "before": agreement(before, experts, dimensions=dims, bootstrap=bootstrap, seed=seed),
            "after": agreement(after, experts, dimensions=dims, bootstrap=bootstrap, seed=seed),
        }
    cal.report = report
    return cal


def calibrate_release(data: str | Path, *, out: str | Path, alpha: float = 1.0,
                      lexicon_paths: Sequence[str] = (), bootstrap: int = 0, seed: int = 0) -> Calibration:
    """Read a release (raw or built), fit on its train split, save the calibration to ``out``.

    Returns:
        The saved :class:`Calibration` (its ``report`` has agreement before/after on validation/test).
    """
    splits = load_release_splits(data)
    cal = calibrate_records(splits, score_fn=default_score_fn(lexicon_paths=lexicon_paths), alpha=alpha,
                            bootstrap=bootstrap, seed=seed)
    cal.save(out)
    logger.info("calibration fitted on %d train row(s) saved to %s", cal.fitted_on.get("n", 0), out)
    return cal


def summarize_report(cal: Calibration) -> str:
    """One line per split and dimension: Spearman and QWK before -> after.

    >>> summarize_report(Calibration(features=[], means=[], scales=[], dimensions={}))
    'fitted on 0 train row(s); no validation/test rows with expert scores to report'
    """
    head = f"fitted on {cal.fitted_on.get('n', 0)} {cal.fitted_on.get('split', 'train')} row(s)"
    if not cal.report:
        return head + "; no validation/test rows with expert scores to report"
    lines = [head]
    for split, rep in cal.report.items():
        lines.append(f"{split} (n={rep['n']}):")
        for dim, b in rep["before"]["dimensions"].items():
            a = rep["after"]["dimensions"][dim]
            lines.append(f"  {dim:<24} spearman {b['spearman']:.3f} -> {a['spearman']:.3f}   "
                         f"qwk {b['qwk']:.3f} -> {a['qwk']:.3f}   exact {b['exact']:.3f} -> {a['exact']:.3f}")
    return "\n".join(lines)
