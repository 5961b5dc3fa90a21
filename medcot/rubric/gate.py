"""The learned aggregation: how likely a text is genuine reasoning rather than gaming.

A logistic model over the scorer's own signals (claim shares, echo, lists, stance, relevance,
repetition ...; :data:`FEATURES`), fitted real-vs-gamed on the CMExam *pool* rows (Apache-2.0) by
``validation/fit_scorer.py`` — never on the measurement sample. Its probability ``p`` scales the
credit of every dimension: ``score = 1 + (score - 1) * min(1, p / 0.35)``, so a text the model
takes for genuine (``p >= 0.35``) keeps its heuristic scores and a gamed one falls towards 1.

The artefact is a small JSON file (feature names, standardisation, coefficients, version; no
pickle), shipped as ``model/gate-v1.json``; its version is reported in every result.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["FEATURES", "Gate", "keep_credit", "load_builtin_gate"]

BUILTIN = Path(__file__).with_name("model") / "gate-v1.json"

# Signals of RubricResult.signals the model reads (a missing one counts as its training mean).
FEATURES: tuple[str, ...] = (
    "share_claim",
    "share_echo",
    "share_list",
    "share_generic",
    "share_off_topic",
    "share_duplicate",
    "log_claims",
    "specific_rate",
    "log_specific_per_claim",
    "support",
    "gold_argued",
    "distractors_argued",
    "stance_gold_against",
    "function_char_rate",
    "list_like",
    "novelty",
    "relevance",
    "stem_recall",
    "options_discussed",
    "repetition",
    "term_coverage",
    "latin_share",
    "padding_fraction",
    "injection",
)
# Left out on purpose: the share of answer statements and the length. They tell CMExam's house
# style (inline "(C对)" markers, ~150 characters) from other styles, not reasoning from gaming.
_LOGS = {"log_claims": "claims", "log_specific_per_claim": "specific_per_claim"}
_FULL_CREDIT_AT = 0.35


def keep_credit(scores: Mapping[str, float], share: float) -> dict[str, float]:
    """Scores that keep ``share`` of their credit above the floor of 1.

    >>> keep_credit({"x": 5.0, "y": 1.0}, 0.25)
    {'x': 2.0, 'y': 1.0}
    """
    return {d: 1.0 + (v - 1.0) * share for d, v in scores.items()}


def feature_vector(signals: Mapping[str, float], names: Sequence[str]) -> list[float | None]:
    """The model's inputs from a result's signals (``None`` where a signal is absent).

    >>> feature_vector({"claims": 3.0, "share_claim": 0.5}, ["share_claim", "log_claims", "x"])
    [0.5, 1.3862943611198906, None]
    """
    out: list[float | None] = []
    for name in names:
        src = _LOGS.get(name)
        v = signals.get(src if src else name)
        out.append(None if v is None else (math.log1p(max(0.0, v)) if src else float(v)))
    return out


@dataclass(frozen=True)
class Gate:
    """A fitted logistic model over :data:`FEATURES` (standardised inputs)."""

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    meta: Mapping[str, Any]

    def probability(self, signals: Mapping[str, float]) -> float:
        """P(genuine reasoning | signals).

        >>> g = Gate("t", ("share_claim",), (0.5,), (0.25,), (4.0,), 0.0, {})
        >>> round(g.probability({"share_claim": 0.6}), 3), g.probability({})
        (0.832, 0.5)
        """
        z = self.intercept
        for x, m, s, c in zip(
            feature_vector(signals, self.features), self.mean, self.scale, self.coef
        ):
            if x is not None and math.isfinite(x):
                z += c * (x - m) / s
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @staticmethod
    def credit(p: float) -> float:
        """The share of credit a text keeps at probability ``p``.

        >>> Gate.credit(0.9), round(Gate.credit(0.07), 2)
        (1.0, 0.2)
        """
        return min(1.0, p / _FULL_CREDIT_AT)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str = "gate") -> Gate:
        """Build from :meth:`to_json` output, checking shapes.

        Raises:
            InputError: a field is missing or the arrays differ in length.
        """
        try:
            feats = tuple(str(f) for f in data["features"])
            arrays = [tuple(float(x) for x in data[k]) for k in ("mean", "scale", "coef")]
            gate = cls(
                str(data["version"]), feats, *arrays, float(data["intercept"]),
                dict(data.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{source}: not a gate model (expected version, features, mean, scale, coef, "
                f"intercept): {exc}"
            ) from None
        if not all(len(a) == len(feats) for a in (gate.mean, gate.scale, gate.coef)):
            raise InputError(f"{source}: features, mean, scale and coef differ in length")
        if any(s <= 0 for s in gate.scale):
            raise InputError(f"{source}: every scale must be > 0")
        return gate

    @classmethod
    def load(cls, path: str | os.PathLike) -> Gate:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{p}: cannot read the gate model: {exc}") from None
        return cls.from_json(data, source=str(p))

    @classmethod
    def fit(
        cls,
        rows: Sequence[Mapping[str, float]],
        labels: Sequence[int],
        *,
        version: str,
        features: Sequence[str] = FEATURES,
        c: float = 1.0,
        meta: Mapping[str, Any] | None = None,
    ) -> Gate:
        """Fit the model (scikit-learn's LogisticRegression, balanced classes).

        Args:
            rows: signals per text.
            labels: 1 for genuine, 0 for gamed.
            version: the version string stored in the artefact.
            features: the inputs.
            c: inverse L2 strength.
            meta: provenance stored with the artefact.

        Returns:
            The fitted :class:`Gate`.
        """
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        raw = np.array(
            [[np.nan if v is None else v for v in feature_vector(r, features)] for r in rows],
            dtype=float,
        )
        mean = np.nanmean(raw, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        x = np.where(np.isfinite(raw), raw, mean)
        scale = x.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit((x - mean) / scale, np.asarray(labels))
        return cls(
            version,
            tuple(features),
            tuple(map(float, mean)),
            tuple(map(float, scale)),
            tuple(map(float, model.coef_[0])),
            float(model.intercept_[0]),
            dict(meta or {}),
        )


@lru_cache(maxsize=1)
def load_builtin_gate() -> Gate | None:
    """The gate shipped with the package, or None when it has not been fitted yet."""
    if not BUILTIN.exists():
        logger.warning("no built-in gate model at %s; scores are not gated", BUILTIN)
        return None
    return Gate.load(BUILTIN)
