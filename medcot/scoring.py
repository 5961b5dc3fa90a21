"""Batch scoring of tables of predictions: the one layer behind ``medcot score`` and the metric.

It normalises inputs (options and answers in every form ingestion accepts), validates lengths and
types with errors naming the row and field, runs a backend (the offline :mod:`medcot.rubric`
scorer, or the optional LLM judge in :mod:`medcot.judge`), and aggregates per-dimension means,
answer accuracy and character ROUGE-L with optional seeded bootstrap confidence intervals.

A row that cannot be scored (bad input in lenient mode, or a judge failure) stays in the output
with an ``error`` and ``None`` scores; it is counted as missing and never averaged as a 0.

>>> rows = [RowScore(index=0, id="a", scores={d: 4.0 for d in RUBRIC_DIMENSIONS}, overall=4.0),
...         RowScore(index=1, id="b", error="judge: timeout")]
>>> s = aggregate(rows)
>>> (s.n_rows, s.n_scored, s.n_missing, s.overall)
(2, 1, 1, 4.0)
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medcot.errors import InputError, MedcotError
from medcot.constants import REPO_ID_PATTERN, RUBRIC_DIMENSIONS

logger = logging.getLogger(__name__)

BACKENDS: tuple[str, ...] = ("heuristic", "judge")
# The aggregates a summary reports (and bootstraps), in display order.
AGGREGATES: tuple[str, ...] = (*RUBRIC_DIMENSIONS, "overall", "answer_accuracy", "char_rouge_l")
# Canonical input fields of a row to score.
INPUT_FIELDS: tuple[str, ...] = ("id", "prediction", "reference", "question", "options", "answer")
# Column names of the fields medcot.columns (the dataset's alias table) does not know.
_OWN_ALIASES: dict[str, tuple[str, ...]] = {
    "prediction": ("prediction", "predictions", "pred", "output", "response", "generation", "model_output",
                   "model_cot", "预测", "模型输出", "模型回答", "模型解析", "回答"),
    "reference": ("reference", "references", "ref", "reference_cot", "参考", "参考解析"),
}
# Rows in flight (read but not yet written) in the streaming path. The heuristic backend scores
# them in one worker pool for the whole stream; the judge backend works chunk by chunk.
DEFAULT_CHUNK_SIZE = 4096
# Items per pool task: small tasks keep both workers busy until the end of each chunk.
_POOL_TASK = 128
# Rows a stream (or a judge chunk) must reach before a worker pool pays for itself.
_POOL_MIN = 4000
# Rows per block of the aggregation matrix (8 floats a row).
_ACC_BLOCK = 1024


# ---------------------------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------------------------
@dataclass
class ScoreItem:
    """One normalised row to score (``None`` means the field is absent for this row)."""

    index: int
    prediction: str
    id: str | None = None
    reference: str | None = None
    question: str | None = None
    options: list[dict[str, str]] | None = None
    answers: list[str] | None = None


@dataclass
class RowScore:
    """The result for one input row; ``error`` set means the row is missing (never a 0)."""

    index: int
    id: str | None = None
    scores: dict[str, float | None] = field(default_factory=lambda: {d: None for d in RUBRIC_DIMENSIONS})
    overall: float | None = None
    extracted_answer: list[str] | None = None
    answer_correct: bool | None = None
    gold_answer: list[str] | None = None
    char_rouge_l: float | None = None
    evidence: dict[str, list[str]] = field(default_factory=dict)
    backend: str = "heuristic"
    error: str | None = None
    invalid_input: bool = False
    prediction_chars: int | None = None  # characters in the prediction (None when there was none)
    scorer_version: str | None = None  # offline scorer + learned-check version (heuristic rows)

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict: id, the five scores, overall, answer fields, ROUGE-L, evidence, error.

        >>> RowScore(index=0, id="x", error="bad").to_dict()["error"]
        'bad'
        """
        out: dict[str, Any] = {"index": self.index, "id": self.id}
        out.update({d: self.scores.get(d) for d in RUBRIC_DIMENSIONS})
        out.update(
            overall=self.overall,
            extracted_answer=self.extracted_answer,
            answer_correct=self.answer_correct,
            gold_answer=self.gold_answer,
            char_rouge_l=self.char_rouge_l,
            evidence=self.evidence,
            backend=self.backend,
            error=self.error,
            prediction_chars=self.prediction_chars,
            scorer_version=self.scorer_version,
        )
        return out

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> "RowScore":
        """The inverse of :meth:`to_dict` (one line of ``medcot score`` output); values are taken as given.

        >>> r = RowScore(index=3, id="q", overall=4.0, answer_correct=True, prediction_chars=12)
        >>> RowScore.from_dict(r.to_dict()) == r
        True
        """
        return cls(
            index=int(row.get("index") or 0),
            id=row.get("id"),
            scores={d: row.get(d) for d in RUBRIC_DIMENSIONS},
            overall=row.get("overall"),
            extracted_answer=row.get("extracted_answer"),
            answer_correct=row.get("answer_correct"),
            gold_answer=row.get("gold_answer"),
            char_rouge_l=row.get("char_rouge_l"),
            evidence=dict(row.get("evidence") or {}),
            backend=row.get("backend") or "heuristic",
            error=row.get("error"),
            invalid_input=bool(row.get("invalid_input", False)),
            prediction_chars=row.get("prediction_chars"),
            scorer_version=row.get("scorer_version"),
        )


@dataclass
class Summary:
    """Aggregates over a scored batch. Means are over rows where the value exists."""

    n_rows: int
    n_scored: int
    n_missing: int
    n_invalid: int
    n_with_answer: int
    n_with_reference: int
    means: dict[str, float | None]
    backend: str = "heuristic"
    confidence_intervals: dict[str, tuple[float, float] | None] | None = None
    bootstrap: dict[str, Any] | None = None
    scorer_versions: list[str] = field(default_factory=list)  # versions of the rows' scorers

    @property
    def overall(self) -> float | None:
        return self.means.get("overall")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what ``medcot score --json`` prints and the metric returns)."""
        out: dict[str, Any] = dict(self.means)
        out.update(
            n_rows=self.n_rows,
            n_scored=self.n_scored,
            n_missing=self.n_missing,
            n_invalid=self.n_invalid,
            n_with_answer=self.n_with_answer,
            n_with_reference=self.n_with_reference,
            backend=self.backend,
            scorer_versions=list(self.scorer_versions),
        )
        if self.confidence_intervals is not None:
            out["confidence_intervals"] = {
                k: (None if v is None else [v[0], v[1]]) for k, v in self.confidence_intervals.items()
            }
            out["bootstrap"] = self.bootstrap
        return out


# ---------------------------------------------------------------------------------------------
# Normalisation and validation
# ---------------------------------------------------------------------------------------------
def _where(index: int, row_id: str | None) -> str:
    return f"row {index}" + (f" (id {row_id!r})" if row_id is not None else "")


def _is_missing(value: Any) -> bool:
    """None, NaN, empty string / list / dict mean "absent"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def _parse_options(value: Any) -> list[dict[str, str]]:
    from medcot.options import parse_options

    # parse_options also decodes JSON-encoded lists/dicts (CSV cells)
    return [{"label": str(o["label"]), "text": str(o["text"])} for o in parse_options(value)]


def _parse_answers(value: Any, labels: Sequence[str] | None) -> list[str]:
    from medcot.options import parse_answer

    return list(parse_answer(value, labels=list(labels) if labels else None))


def _strip_field(exc: Exception, name: str) -> str:
    """medcot.options messages start with "<field>: "; we name the field ourselves."""
    msg = str(exc)
    return msg[len(name) + 2 :] if msg.startswith(f"{name}: ") else msg


def normalize_row(
    index: int,
    *,
    prediction: Any,
    reference: Any = None,
    question: Any = None,
    options: Any = None,
    answer: Any = None,
    id: Any = None,  # noqa: A002 - the column is called id
) -> ScoreItem:
    """Validate and normalise one row; raise :class:`InputError` naming the row and field.

    Args:
        index: 0-based row index (used in messages).
        prediction: the chain-of-thought to score (a string; "" is scored, ``None`` is an error).
        reference, question: strings or absent.
        options: list of {label,text} / dict / list of strings / one string, or absent.
        answer: "B", "AB", "A、B", ["A", "B"], or absent.
        id: row id (any scalar; kept as a string).

    Returns:
        A :class:`ScoreItem`.

    >>> normalize_row(0, prediction="故选B。", options={"A": "甲", "B": "乙"}, answer="b").answers
    ['B']
    """
    row_id = None if _is_missing(id) else str(id)
    where = _where(index, row_id)
    if prediction is None or (isinstance(prediction, float) and math.isnan(prediction)):
        raise InputError(f"{where}: field 'prediction' is missing; expected a string")
    if not isinstance(prediction, str):
        raise InputError(f"{where}: field 'prediction' must be a string, got {type(prediction).__name__}")
    texts: dict[str, str | None] = {}
    for name, value in (("reference", reference), ("question", question)):
        if _is_missing(value):
            texts[name] = None
        elif isinstance(value, str):
            texts[name] = value
        else:
            raise InputError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
    parsed_options = None
    if not _is_missing(options):
        try:
            parsed_options = _parse_options(options)
        except InputError as exc:
            raise InputError(f"{where}: field 'options': {_strip_field(exc, 'options')}") from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise InputError(
                f"{where}: field 'options' could not be read ({exc}); expected a list of "
                "{label,text}, a dict, a list of strings or one string"
            ) from None
    answers = None
    if not _is_missing(answer):
        labels = [o["label"] for o in parsed_options] if parsed_options else None
        try:
            answers = _parse_answers(answer, labels)
        except InputError as exc:
            raise InputError(f"{where}: field 'answer': {_strip_field(exc, 'answer')}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"{where}: field 'answer' could not be read ({exc}); expected labels such as "
                "'B', 'AB' or ['A', 'B']"
            ) from None
    return ScoreItem(
        index=index,
        prediction=prediction,
        id=row_id,
        reference=texts["reference"],
        question=texts["question"],
        options=parsed_options,
        answers=answers,
    )


def _column(name: str, values: Any, n: int) -> list[Any]:
    """Check an optional per-row argument is a list of length ``n``; ``None`` means all absent."""
    if values is None:
        return [None] * n
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InputError(
            f"{name} must be a list with one entry per prediction, got {type(values).__name__}"
        )
    values = list(values)
    if len(values) != n:
        raise InputError(f"{name} has {len(values)} entries but there are {n} predictions")
    return values


def normalize_inputs(
    predictions: Sequence[Any],
    *,
    references: Sequence[Any] | None = None,
    questions: Sequence[Any] | None = None,
    options: Sequence[Any] | None = None,
    answers: Sequence[Any] | None = None,
    ids: Sequence[Any] | None = None,
) -> list[ScoreItem]:
    """Validate parallel lists (the metric's inputs) and normalise every row; strict.

    Raises:
        InputError: on a length mismatch or any bad row (message names the row index/id and field).

    >>> items = normalize_inputs(["故选A。"], options=[["甲", "乙"]], answers=[["A"]])
    >>> items[0].options[1]
    {'label': 'B', 'text': '乙'}
    """
    if isinstance(predictions, (str, bytes, Mapping)) or not isinstance(predictions, Iterable):
        raise InputError(f"predictions must be a list of strings, got {type(predictions).__name__}")
    predictions = list(predictions)
    n = len(predictions)
    cols = {
        "reference": _column("references", references, n),
        "question": _column("questions", questions, n),
        "options": _column("options", options, n),
        "answer": _column("answers", answers, n),
        "id": _column("ids", ids, n),
    }
    return [
        normalize_row(i, prediction=p, **{k: v[i] for k, v in cols.items()}) for i, p in enumerate(predictions)
    ]


def normalize_records(records: Sequence[Mapping[str, Any]]) -> list[ScoreItem | RowScore]:
    """Lenient normalisation for files: a bad row becomes an invalid :class:`RowScore`, not an exception.

    Args:
        records: dicts with canonical keys (see :data:`INPUT_FIELDS`).

    Returns:
        One entry per record, in order: a :class:`ScoreItem` or a :class:`RowScore` with ``error``.

    >>> out = normalize_records([{"prediction": "故选A"}, {"id": 7}])
    >>> type(out[0]).__name__, out[1].error
    ('ScoreItem', "row 1 (id '7'): field 'prediction' is missing; expected a string")
    """
    return list(iter_normalized(records))


def iter_normalized(records: Iterable[Mapping[str, Any]]) -> Iterator[ScoreItem | RowScore]:
    """Lazy :func:`normalize_records`: one entry per record, in order, as the records arrive.

    >>> [type(x).__name__ for x in iter_normalized(iter([{"prediction": "故选A"}, {}]))]
    ['ScoreItem', 'RowScore']
    """
    for i, rec in enumerate(records):
        if rec.get("error"):  # already failed upstream (e.g. an id not found in the dataset)
            rid = None if _is_missing(rec.get("id")) else str(rec.get("id"))
            yield RowScore(index=i, id=rid, error=str(rec["error"]), invalid_input=True)
            continue
        try:
            yield normalize_row(i, **{k: rec.get(k) for k in INPUT_FIELDS})
        except InputError as exc:
            rid = None if _is_missing(rec.get("id")) else str(rec.get("id"))
            yield RowScore(index=i, id=rid, error=str(exc), invalid_input=True)


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------
def _lexicon_key(paths: Sequence[str | os.PathLike[str]]) -> tuple[tuple[str, float], ...]:
    key = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise InputError(f"{path}: lexicon file not found")
        key.append((str(path.resolve()), path.stat().st_mtime))
    return tuple(key)


@functools.lru_cache(maxsize=8)
def _cached_scorer(lexicon_key: tuple[tuple[str, float], ...], calibration: Any) -> Any:
    from medcot.rubric import RubricScorer

    return RubricScorer(lexicon_paths=tuple(p for p, _ in lexicon_key), calibration=calibration)


@functools.lru_cache(maxsize=8)
def _load_calibration(path: str, mtime: float) -> Any:
    from medcot.calibrate import Calibration

    return Calibration.load(path)


def get_scorer(*, lexicon_paths: Sequence[str | os.PathLike[str]] = (), calibration: Any = None) -> Any:
    """A (cached) :class:`medcot.rubric.RubricScorer` for these lexicons and calibration.

    Args:
        lexicon_paths: user lexicon files.
        calibration: None, a calibration object with ``.apply(signals)``, or the path of a file
            written by ``medcot calibrate``.
    """
    if isinstance(calibration, (str, os.PathLike)):
        path = Path(calibration)
        if not path.is_file():
            raise InputError(f"{path}: calibration file not found")
        calibration = _load_calibration(str(path.resolve()), path.stat().st_mtime)
    try:
        hash(calibration)
    except TypeError:  # unhashable calibration objects are not cached
        from medcot.rubric import RubricScorer

        return RubricScorer(lexicon_paths=tuple(str(p) for p in lexicon_paths), calibration=calibration)
    return _cached_scorer(_lexicon_key(lexicon_paths), calibration)


def _rubric_kwargs(item: ScoreItem) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "question": item.question,
        "options": item.options,
        "answers": item.answers,
    }


def _run_heuristic(items: Sequence[ScoreItem], scorer: Any) -> list[Any]:
    """RubricScorer.score_many on one chunk (a process pool when the chunk is large enough)."""
    if not items:
        return []
    batch = [{"prediction": it.prediction, **_rubric_kwargs(it)} for it in items]
    return scorer.score_many(batch, chunksize=_POOL_TASK)


def _from_rubric(item: ScoreItem, res: Any, backend: str = "heuristic") -> RowScore:
    correct = res.answer_correct  # the rubric reports False when gold is known but no answer found
    return RowScore(
        index=item.index,
        id=item.id,
        scores={d: _float_or_none(res.scores.get(d)) for d in RUBRIC_DIMENSIONS},
        overall=_float_or_none(res.overall),
        extracted_answer=None if res.extracted_answer is None else list(res.extracted_answer),
        answer_correct=correct,
        gold_answer=None if item.answers is None else list(item.answers),
        char_rouge_l=_float_or_none(res.rouge_l),
        evidence={k: list(v) for k, v in (res.evidence or {}).items()},
        backend=backend,
        prediction_chars=len(item.prediction),
        scorer_version=getattr(res, "version", None) or None,
    )


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _prepare_judge(judge_options: Mapping[str, Any], *, progress: bool) -> tuple[Any, dict[str, Any]]:
    """Import the judge lazily and check its options before any work is done."""
    try:
        from medcot.judge import judge_many
    except ImportError as exc:
        raise InputError(
            f"the judge backend is not available ({exc}); install it with: pip install 'medcot[judge]'"
        ) from None
    opts = {k: v for k, v in judge_options.items() if v is not None}
    for required in ("base_url", "model"):
        if not opts.get(required):
            raise InputError(f"backend 'judge' needs {required!r} (--judge-{required.replace('_', '-')})")
    import inspect

    params = inspect.signature(judge_many).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if "progress" in params or accepts_any:
        opts.setdefault("progress", progress)
    unknown = [k for k in opts if k not in params and not accepts_any]
    if unknown:
        raise InputError(f"judge backend does not accept option(s): {', '.join(sorted(unknown))}")
    return judge_many, opts


def _run_judge(items: Sequence[ScoreItem], judge_many: Any, opts: Mapping[str, Any]) -> list[Any]:
    payload = [{"id": it.id, "prediction": it.prediction, **_rubric_kwargs(it)} for it in items]
    results = list(judge_many(payload, **opts))
    if len(results) != len(items):
        raise RuntimeError(f"judge returned {len(results)} results for {len(items)} items")
    return results


def score_items(
    items: Sequence[ScoreItem | RowScore],
    *,
    backend: str = "heuristic",
    lexicon_paths: Sequence[str | os.PathLike[str]] = (),
    calibration: Any = None,
    judge_options: Mapping[str, Any] | None = None,
    progress: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[RowScore]:
    """Score normalised rows with the chosen backend; invalid rows pass through unchanged.

    The list form of :func:`iter_scored` (same code path, same results).

    Args:
        items: from :func:`normalize_inputs` or :func:`normalize_records`.
        backend: ``"heuristic"`` (offline :class:`medcot.rubric.RubricScorer`) or ``"judge"``.
        lexicon_paths: user lexicon files for the offline scorer.
        calibration: a calibration object for the offline scorer (see :mod:`medcot.calibrate`).
        judge_options: keyword arguments for :func:`medcot.judge.judge_many` (``base_url``, ``model``,
            ``api_key_env``, ``concurrency``, ``cache_dir`` ...).
        progress: show a progress bar.
        chunk_size: rows scored at a time.

    Returns:
        One :class:`RowScore` per item, same order. With the judge, the answer fields and ROUGE-L
        still come from the offline scorer (they do not need a model); a judge failure is a row with
        ``error`` and ``None`` scores.

    >>> [r.extracted_answer for r in score_items(normalize_inputs(["故选B。", "选A"]))]
    [['B'], ['A']]
    """
    items = list(items)
    return list(
        iter_scored(
            items,
            backend=backend,
            lexicon_paths=lexicon_paths,
            calibration=calibration,
            judge_options=judge_options,
            progress=progress,
            total=len(items),
            chunk_size=chunk_size,
        )
    )


def iter_scored(
    items: Iterable[ScoreItem | RowScore],
    *,
    backend: str = "heuristic",
    lexicon_paths: Sequence[str | os.PathLike[str]] = (),
    calibration: Any = None,
    judge_options: Mapping[str, Any] | None = None,
    progress: bool = False,
    total: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[RowScore]:
    """Score rows in bounded chunks and yield one :class:`RowScore` per item, in input order.

    ``items`` is consumed lazily, ``chunk_size`` at a time, so memory is bounded by the chunk size,
    not by the input size; results do not depend on ``chunk_size``. Options are checked (and the
    scorer / judge set up) when this is called, before any item is read.

    Args:
        items: :class:`ScoreItem` / invalid :class:`RowScore` entries (e.g. from :func:`iter_normalized`).
        backend, lexicon_paths, calibration, judge_options, progress: see :func:`score_items`.
        total: number of items, for the progress bar (None: unknown).
        chunk_size: rows scored at a time (>= 1).

    Returns:
        An iterator of :class:`RowScore`.

    Raises:
        InputError: an unknown backend, a bad chunk size or unusable judge options.

    >>> rows = iter_scored(iter(normalize_inputs(["故选B。", "选A"])), chunk_size=1)
    >>> [r.extracted_answer for r in rows]
    [['B'], ['A']]
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    judge = _prepare_judge(judge_options or {}, progress=progress) if backend == "judge" else None
    scorer = get_scorer(lexicon_paths=lexicon_paths, calibration=calibration)
    return _iter_chunks(iter(items), scorer=scorer, judge=judge, chunk_size=chunk_size,
                        progress=progress and backend == "heuristic", total=total)


def _iter_chunks(
    items: Iterator[ScoreItem | RowScore],
    *,
    scorer: Any,
    judge: tuple[Any, dict[str, Any]] | None,
    chunk_size: int,
    progress: bool,
    total: int | None,
) -> Iterator[RowScore]:
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="scoring", unit="row", disable=not progress) as bar:
        if judge is None:
            yield from _iter_streamed(items, scorer=scorer, chunk_size=chunk_size, bar=bar)
            return
        chunk = list(itertools.islice(items, chunk_size))
        while chunk:
            following = list(itertools.islice(items, chunk_size))
            if len(following) < min(chunk_size, _POOL_MIN):
                # the last, short chunk joins this one: alone it would be scored serially
                # (score_many's pool starts at ~4,000 items) while a core idles
                chunk.extend(following)
                following = []
            rows = _score_chunk(chunk, scorer=scorer, judge=judge)
            chunk = following
            bar.update(len(rows))
            yield from rows
            del rows


def _iter_streamed(
    items: Iterator[ScoreItem | RowScore], *, scorer: Any, chunk_size: int, bar: Any
) -> Iterator[RowScore]:
    """The heuristic backend as one stream: a single worker pool scores rows while this process
    reads the next ones and the caller writes the previous ones; at most ``chunk_size`` rows are
    in flight. Invalid rows pass through in their place."""
    waiting: collections.deque[ScoreItem | RowScore] = collections.deque()

    def valid_rows() -> Iterator[dict[str, Any]]:
        for it in items:
            waiting.append(it)
            if isinstance(it, ScoreItem):
                yield {"prediction": it.prediction, **_rubric_kwargs(it)}

    results = scorer.iter_score(valid_rows(), chunksize=_POOL_TASK, max_pending=chunk_size,
                                parallel_min=min(_POOL_MIN, chunk_size))
    for res in results:
        while not isinstance(waiting[0], ScoreItem):
            bar.update(1)
            yield waiting.popleft()
        bar.update(1)
        yield _from_rubric(waiting.popleft(), res)
    bar.update(len(waiting))
    yield from waiting  # invalid rows after the last valid one


def _score_chunk(
    chunk: Sequence[ScoreItem | RowScore], *, scorer: Any, judge: tuple[Any, dict[str, Any]] | None
) -> list[RowScore]:
    """Score one chunk; invalid rows pass through unchanged, order kept."""
    valid = [it for it in chunk if isinstance(it, ScoreItem)]
    heuristic = _run_heuristic(valid, scorer)
    by_index: dict[int, RowScore] = {}
    if judge is None:
        for it, res in zip(valid, heuristic):
            by_index[it.index] = _from_rubric(it, res)
    else:
        judged = _run_judge(valid, *judge) if valid else []
        for it, res, jr in zip(valid, heuristic, judged):
            by_index[it.index] = _from_judge(it, res, jr)
    return [by_index[it.index] if isinstance(it, ScoreItem) else it for it in chunk]


def _from_judge(item: ScoreItem, heuristic: Any, jr: Any) -> RowScore:
    row = _from_rubric(item, heuristic, backend="judge")
    error = getattr(jr, "error", None)
    scores = {d: _float_or_none((getattr(jr, "scores", None) or {}).get(d)) for d in RUBRIC_DIMENSIONS}
    if error or all(v is None for v in scores.values()):
        row.scores = {d: None for d in RUBRIC_DIMENSIONS}
        row.overall = None
        row.error = f"judge: {error or 'no scores returned'}"
        row.evidence = {}
        return row
    row.scores = scores
    row.overall = _float_or_none(getattr(jr, "overall", None))
    if row.overall is None and all(v is not None for v in scores.values()):
        row.overall = float(np.mean([scores[d] for d in RUBRIC_DIMENSIONS]))
    rationales = getattr(jr, "rationales", None) or {}
    row.evidence = {d: [str(rationales[d])] for d in RUBRIC_DIMENSIONS if rationales.get(d)}
    return row


# ---------------------------------------------------------------------------------------------
# Aggregation and bootstrap
# ---------------------------------------------------------------------------------------------
def value_matrix(rows: Sequence[RowScore]) -> np.ndarray:
    """(n_rows, len(AGGREGATES)) float matrix; NaN where a value does not exist for a row."""
    mat = np.full((len(rows), len(AGGREGATES)), np.nan)
    for i, r in enumerate(rows):
        vals: list[float | None] = [r.scores.get(d) for d in RUBRIC_DIMENSIONS]
        vals.append(r.overall)
        vals.append(None if r.answer_correct is None or r.invalid_input else float(r.answer_correct))
        vals.append(r.char_rouge_l)
        mat[i] = [np.nan if v is None else v for v in vals]
    return mat


def bootstrap_intervals(
    values: np.ndarray,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    chunk: int = 200,
) -> list[tuple[float, float] | None]:
    """Percentile bootstrap CIs of the column means of ``values`` (NaN = absent), resampling rows.

    Rows are resampled jointly (one multinomial weight vector per resample, from a
    ``numpy.random.Generator`` seeded with ``seed``), so the result depends only on the inputs and
    the seed. A column with no values gets ``None``.

    >>> v = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> bootstrap_intervals(v, n_resamples=200, seed=1) == bootstrap_intervals(v, n_resamples=200, seed=1)
    True
    """
    if n_resamples < 1:
        raise InputError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    n, k = values.shape
    if n == 0:
        return [None] * k
    rng = np.random.default_rng(seed)
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    stats = np.empty((n_resamples, k))
    p = np.full(n, 1.0 / n)
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        weights = rng.multinomial(n, p, size=b).astype(float)  # (b, n) counts of each row
        sums = weights @ filled
        counts = weights @ present
        with np.errstate(invalid="ignore", divide="ignore"):
            stats[done : done + b] = sums / counts
        done += b
    alpha = (1.0 - confidence) / 2.0
    out: list[tuple[float, float] | None] = []
    for j in range(k):
        col = stats[:, j]
        if not present[:, j].any():
            out.append(None)
            continue
        lo, hi = np.nanpercentile(col, [100 * alpha, 100 * (1 - alpha)])
        out.append((float(lo), float(hi)))
    return out


def aggregate(
    rows: Sequence[RowScore],
    *,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> Summary:
    """Summarise scored rows: means per aggregate, counts, and (``bootstrap`` > 0) percentile CIs.

    Args:
        rows: results of :func:`score_items`.
        bootstrap: number of bootstrap resamples (0 = no intervals).
        seed: seed of the bootstrap generator.
        confidence: coverage of the intervals.

    Returns:
        A :class:`Summary`; a mean with no rows to average is ``None``.

    >>> r = [RowScore(index=i, answer_correct=c) for i, c in enumerate([True, False, None])]
    >>> aggregate(r).means["answer_accuracy"], aggregate(r).n_with_answer
    (0.5, 2)
    """
    acc = Accumulator()
    acc.add(rows)
    return acc.summary(bootstrap=bootstrap, seed=seed, confidence=confidence)


class Accumulator:
    """Running aggregate of scored rows for streams: keeps 8 floats and a few counts a row, not the rows.

    :func:`aggregate` is ``add`` of every row then ``summary``; feeding the same rows in any
    number of ``add`` calls gives the same :class:`Summary` (bootstrap included).

    >>> acc = Accumulator()
    >>> rows = [RowScore(index=i, answer_correct=c) for i, c in enumerate([True, False, None])]
    >>> acc.add(rows[:1]); acc.add(rows[1:])
    >>> acc.summary().means["answer_accuracy"] == aggregate(rows).means["answer_accuracy"] == 0.5
    True
    """

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []
        self.n_rows = 0
        self.n_scored = 0
        self.n_invalid = 0
        self._backends: set[str] = set()
        self._versions: set[str] = set()

    def add(self, rows: Sequence[RowScore]) -> None:
        """Add a block of rows (their values, not the objects, are kept)."""
        if not rows:
            return
        self._blocks.append(value_matrix(rows))
        self.n_rows += len(rows)
        self.n_scored += sum(1 for r in rows if r.error is None and r.overall is not None)
        self.n_invalid += sum(1 for r in rows if r.invalid_input)
        self._backends.update(r.backend for r in rows if not r.invalid_input)
        self._versions.update(r.scorer_version for r in rows if r.scorer_version)

    def tap(self, rows: Iterable[RowScore], *, block: int = _ACC_BLOCK) -> Iterator[RowScore]:
        """Yield ``rows`` unchanged while adding them, ``block`` rows at a time.

        >>> acc = Accumulator()
        >>> [r.index for r in acc.tap(RowScore(index=i) for i in range(3))], acc.n_rows
        ([0, 1, 2], 3)
        """
        buf: list[RowScore] = []
        for r in rows:
            buf.append(r)
            if len(buf) >= block:
                self.add(buf)
                buf = []
            yield r
        self.add(buf)

    def matrix(self) -> np.ndarray:
        """The (n_rows, len(AGGREGATES)) value matrix of the rows added so far (NaN = absent)."""
        if not self._blocks:
            return np.full((0, len(AGGREGATES)), np.nan)
        if len(self._blocks) > 1:  # merge, so repeated calls and the bootstrap see one array
            self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0]

    def summary(self, *, bootstrap: int = 0, seed: int = 0, confidence: float = 0.95) -> Summary:
        """The :class:`Summary` of the rows added so far; arguments as in :func:`aggregate`."""
        mat = self.matrix()
        means: dict[str, float | None] = {}
        for j, name in enumerate(AGGREGATES):
            col = mat[:, j]
            col = col[~np.isnan(col)]
            means[name] = float(col.mean()) if col.size else None
        backends = set(self._backends)
        summary = Summary(
            n_rows=self.n_rows,
            n_scored=self.n_scored,
            n_missing=self.n_rows - self.n_scored,
            n_invalid=self.n_invalid,
            n_with_answer=int((~np.isnan(mat[:, AGGREGATES.index("answer_accuracy")])).sum()),
            n_with_reference=int((~np.isnan(mat[:, AGGREGATES.index("char_rouge_l")])).sum()),
            means=means,
            backend=backends.pop() if len(backends) == 1 else "heuristic",
            scorer_versions=sorted(self._versions),
        )
        if bootstrap:
            cis = bootstrap_intervals(mat, n_resamples=int(bootstrap), seed=seed, confidence=confidence)
            summary.confidence_intervals = dict(zip(AGGREGATES, cis))
            summary.bootstrap = {"n_resamples": int(bootstrap), "seed": seed, "confidence": confidence,
                                 "method": "percentile"}
        return summary


def score_batch(
    predictions: Sequence[Any],
    *,
    references: Sequence[Any] | None = None,
    questions: Sequence[Any] | None = None,
    options: Sequence[Any] | None = None,
    answers: Sequence[Any] | None = None,
    ids: Sequence[Any] | None = None,
    backend: str = "heuristic",
    lexicon_paths: Sequence[str | os.PathLike[str]] = (),
    calibration: Any = None,
    judge_options: Mapping[str, Any] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[list[RowScore], Summary]:
    """Strict end-to-end scoring of parallel lists (what the ``evaluate`` metric calls).

    Args:
        predictions: the CoTs; the other lists, when given, have one entry per prediction.
        references, questions, options, answers, ids: see :func:`normalize_row`.
        backend, lexicon_paths, calibration, judge_options: see :func:`score_items`.
        bootstrap, seed, confidence: see :func:`aggregate`.

    Returns:
        ``(rows, summary)``.

    Raises:
        InputError: a length mismatch or a bad row (named by index and field).

    >>> rows, summary = score_batch(["故选B。", "选A"], options=[["甲", "乙"]] * 2, answers=["B", "B"])
    >>> [r.extracted_answer for r in rows], summary.means["answer_accuracy"]
    ([['B'], ['A']], 0.5)
    """
    items = normalize_inputs(
        predictions, references=references, questions=questions, options=options, answers=answers, ids=ids
    )
    rows = score_items(
        items, backend=backend, lexicon_paths=lexicon_paths, calibration=calibration, judge_options=judge_options
    )
    return rows, aggregate(rows, bootstrap=bootstrap, seed=seed, confidence=confidence)


# ---------------------------------------------------------------------------------------------
# Reading input files (``medcot score``)
# ---------------------------------------------------------------------------------------------
def _field_for(column: Any) -> str | None:
    """The input field of a column name: ``prediction`` aliases here, the rest from :mod:`medcot.columns`.

    Returns an :data:`INPUT_FIELDS` name, ``option_X`` for a separate option column, or None.
    """
    from medcot.columns import OPTION_COLUMN_PREFIX, alias_key

    key = alias_key(column)
    for fld, names in _OWN_ALIASES.items():
        if key in {alias_key(n) for n in names}:
            return fld
    fld = _alias_table().field_for(column)
    if fld == "cot":  # the dataset's expert explanation is the reference to compare against
        return "reference"
    if fld in INPUT_FIELDS or (fld or "").startswith(OPTION_COLUMN_PREFIX):
        return fld
    return None


@functools.lru_cache(maxsize=1)
def _alias_table() -> Any:
    from medcot.columns import AliasTable

    return AliasTable()


def canonical_columns(columns: Iterable[str]) -> dict[str, str]:
    """Map a file's column names to input fields (exact field names first, then aliases; first wins).

    >>> canonical_columns(["编号", "模型输出", "答案", "解析", "选项A"])
    {'编号': 'id', '模型输出': 'prediction', '答案': 'answer', '解析': 'reference', '选项A': 'option_A'}
    """
    cols = list(columns)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    # exact canonical names first, so "reference" beats an alias such as "cot" when both exist
    for col in cols:
        if col in INPUT_FIELDS and col not in taken:
            mapping[col] = col
            taken.add(col)
    for col in cols:
        if col in mapping:
            continue
        fld = _field_for(col)
        if fld and fld not in taken:
            mapping[col] = fld
            taken.add(fld)
    return dict(sorted(mapping.items(), key=lambda kv: cols.index(kv[0])))


def _apply_mapping(rec: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Rename a record's columns; separate option columns (A, 选项B ...) become one options dict."""
    out: dict[str, Any] = {}
    split_options: dict[str, Any] = {}
    for col, fld in mapping.items():
        if fld in INPUT_FIELDS:
            out[fld] = rec.get(col)
        elif not _is_missing(rec.get(col)):
            split_options[fld[-1]] = rec.get(col)
    if split_options and _is_missing(out.get("options")):
        out["options"] = dict(sorted(split_options.items()))
    return out


def _iter_raw(path: Path, encoding: str | None = None, limits: Any = None) -> Iterator[dict[str, Any]]:
    """Rows of a file, read lazily by :func:`medcot.ingest.iter_rows` (the one row reader of medcot)."""
    from medcot.ingest import iter_rows

    delimited = path.name.lower().removesuffix(".gz").endswith((".csv", ".tsv"))
    for _line, row in iter_rows(path, encoding=encoding, limits=limits):
        if delimited:  # an empty CSV cell is an absent value, as in the other formats
            row = {k: (None if v == "" else v) for k, v in row.items()}
        yield row


class PredictionRows:
    """The rows of a prediction file with canonical keys, read lazily (see :func:`iter_predictions`).

    Attributes:
        path: the file.
        columns: every column name of the file, in order of first appearance.
        mapping: column -> input field (:func:`canonical_columns`).
    """

    def __init__(self, path: Path, columns: list[str], mapping: dict[str, str], n_rows: int, *,
                 encoding: str | None = None, limits: Any = None) -> None:
        self.path = path
        self.columns = columns
        self.mapping = mapping
        self._n_rows = n_rows
        self._read = {"encoding": encoding, "limits": limits}

    def __len__(self) -> int:
        return self._n_rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        mapping = self.mapping
        for rec in _iter_raw(self.path, **self._read):
            yield _apply_mapping(rec, mapping)


def iter_predictions(path: str | os.PathLike[str], *, encoding: str | None = None, limits: Any = None) -> PredictionRows:
    """Open a prediction table for streaming: rows with canonical keys, one at a time.

    The file is read twice: once now, to learn every column name (JSON lines may differ in their
    keys, and the column mapping must be the same for every row), to count the rows and to raise
    on a malformed file before any output is written; then once per iteration. Memory does not
    grow with the file.

    Args:
        path: a JSONL/JSON/CSV/TSV/XLSX/Parquet file (optionally .gz).
        encoding: its text encoding (default: detected, as for raw releases).
        limits: size bounds (a :class:`medcot.limits.Limits`; default README "Limits").

    Returns:
        A :class:`PredictionRows` (iterable, with ``len``).

    Raises:
        InputError: naming the file (and line) when it is malformed or has no prediction column.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "p.jsonl")
    >>> _ = open(p, "w", encoding="utf-8").write('{"模型输出": "故选A", "答案": "A"}\\n')
    >>> rows = iter_predictions(p)
    >>> len(rows), list(rows)
    (1, [{'prediction': '故选A', 'answer': 'A'}])
    """
    path = Path(path)
    columns: list[str] = []
    seen: set[str] = set()
    n_rows = 0
    for rec in _iter_raw(path, encoding, limits):
        n_rows += 1
        for k in rec:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    mapping = canonical_columns(columns)
    if "prediction" not in mapping.values():
        names = ", ".join(_OWN_ALIASES["prediction"][:4] + _OWN_ALIASES["prediction"][-3:-1])
        raise InputError(
            f"{path}: no prediction column (accepted names include {names}); "
            f"found columns: {', '.join(map(str, columns)) or '(none)'}"
        )
    return PredictionRows(path, columns, mapping, n_rows, encoding=encoding, limits=limits)


def read_predictions(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a JSONL/JSON/CSV/TSV/XLSX/Parquet (optionally .gz) table into rows with canonical keys.

    Column names are matched case-insensitively against English and Chinese aliases
    (``prediction``/``模型输出``, ``answer``/``答案`` ...). Raises :class:`InputError` naming the
    file (and line) when the file is malformed or has no prediction column. The list form of
    :func:`iter_predictions`.
    """
    return list(iter_predictions(path))


def dataset_records(dataset: str | os.PathLike[str], split: str) -> list[dict[str, Any]]:
    """Canonical records of one split from a built dataset folder (``data/default``) or a raw release.

    Raises:
        InputError: no such dataset, or no such split in it (naming the splits there are).
    """
    root = Path(dataset)
    if not root.exists():
        if _HUB_REPO_RE.match(str(dataset)):
            return hub_dataset_records(str(dataset), split)
        raise InputError(f"{root}: dataset not found (expected a built folder, a raw release or a Hub repo id namespace/name)")
    shards = sorted((root / "data" / "default").glob(f"{split}-*.parquet")) if root.is_dir() else []
    if shards:
        import pyarrow.parquet as pq

        records: list[dict[str, Any]] = []
        for shard in shards:
            records.extend(pq.read_table(shard).to_pylist())
        return records
    if root.is_dir() and (root / "data").is_dir():
        found = sorted(p.name for p in (root / "data" / "default").glob("*.parquet"))
        raise InputError(f"{root}: built dataset has no split {split!r} under data/default "
                         f"(found: {', '.join(found) or 'nothing'})")
    from medcot.ingest import ingest

    result = ingest(root)
    if result.rejects:
        logger.warning("%s: %d raw rows rejected by ingestion", root, len(result.rejects))
    if split not in result.splits:
        raise InputError(f"{root}: no split {split!r}; available: {', '.join(sorted(result.splits)) or 'none'}")
    return list(result.splits[split])


_HUB_REPO_RE = re.compile(REPO_ID_PATTERN)


def hub_dataset_records(repo_id: str, split: str) -> list[dict[str, Any]]:
    """Canonical records of one split of a dataset pushed to the Hub (its ``default`` config).

    Args:
        repo_id: ``namespace/name`` (``HF_ENDPOINT`` chooses the Hub).
        split: The split to read.

    Returns:
        The records, as ``load_dataset(repo_id, "default", split=split)`` gives them.

    Raises:
        InputError: no such repo, config or split; MedcotError: the Hub could not be reached.
    """
    import datasets
    from datasets.exceptions import DatasetNotFoundError

    try:
        ds = datasets.load_dataset(repo_id, "default", split=split)
    except (DatasetNotFoundError, FileNotFoundError) as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise InputError(f"--dataset {repo_id}: no such local folder, and not found on the Hub ({type(exc).__name__}: {first})") from None
    except ValueError as exc:  # unknown split or config
        raise InputError(f"--dataset {repo_id}: {str(exc).splitlines()[0]}") from None
    except (OSError, ConnectionError) as exc:
        raise MedcotError(f"--dataset {repo_id}: could not load it from the Hub: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    logger.info("read %d records of %s split %s from the Hub", ds.num_rows, repo_id, split)
    return ds.to_list()


def join_with_dataset(
    rows: Sequence[Mapping[str, Any]],
    dataset: str | os.PathLike[str],
    *,
    split: str = "test",
) -> list[dict[str, Any]]:
    """Fill each prediction row's reference/question/options/answer from the dataset record with its id.

    Values already in the prediction row win. A row whose id is missing or unknown gets an
    ``error`` (it is written out and counted, never dropped).
    """
    return list(iter_joined(rows, dataset, split=split))


def iter_joined(
    rows: Iterable[Mapping[str, Any]],
    dataset: str | os.PathLike[str],
    *,
    split: str = "test",
) -> Iterator[dict[str, Any]]:
    """Lazy :func:`join_with_dataset`: the dataset split is loaded now (errors raised now), the
    prediction rows are joined one at a time as they are read."""
    records = dataset_records(dataset, split)
    by_id = {str(r["id"]): r for r in records}
    del records
    return _join_rows(rows, by_id, dataset, split)


def _join_rows(
    rows: Iterable[Mapping[str, Any]], by_id: Mapping[str, Mapping[str, Any]], dataset: Any, split: str
) -> Iterator[dict[str, Any]]:
    for i, row in enumerate(rows):
        row = dict(row)
        rid = row.get("id")
        if _is_missing(rid):
            row["error"] = f"row {i}: field 'id' is missing; needed to join with {dataset}"
        elif str(rid) not in by_id:
            row["error"] = f"row {i} (id {str(rid)!r}): id not found in split {split!r} of {dataset}"
        else:
            rec = by_id[str(rid)]
            fill = {"reference": rec.get("cot"), "question": rec.get("question"),
                    "options": rec.get("options"), "answer": rec.get("answer")}
            for k, v in fill.items():
                if _is_missing(row.get(k)):
                    row[k] = v
        yield row


def write_jsonl(rows: Iterable[RowScore], path: str | os.PathLike[str]) -> int:
    """Write one JSON line per row (UTF-8, Chinese kept readable); returns the number written."""
    path = Path(path)
    n = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
                n += 1
    except OSError as exc:
        raise InputError(f"{path}: cannot write output ({exc.strerror or exc})") from None
    return n


@dataclass
class StreamReport:
    """What :func:`score_to_jsonl` did: the summary, rows written and the rows with an error."""

    summary: Summary
    n_written: int
    n_errors: int
    errors: list[str]  # the first few error messages (all of them are in the output file)


def score_to_jsonl(
    records: Iterable[Mapping[str, Any]],
    output: str | os.PathLike[str],
    *,
    backend: str = "heuristic",
    lexicon_paths: Sequence[str | os.PathLike[str]] = (),
    calibration: Any = None,
    judge_options: Mapping[str, Any] | None = None,
    progress: bool = False,
    total: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    keep_errors: int = 5,
) -> StreamReport:
    """Stream records through normalisation, scoring and aggregation, writing each JSON line as it goes.

    The engine of ``medcot score``: records are read lazily (e.g. from :func:`iter_predictions` /
    :func:`iter_joined`) ``chunk_size`` at a time, and only the per-row numbers of the summary
    (8 floats a row) are kept, so memory does not grow with the input. The output is the same,
    byte for byte, as :func:`write_jsonl` of :func:`score_items` of :func:`normalize_records`.

    Args:
        records: rows with canonical keys (see :data:`INPUT_FIELDS`); an ``error`` key marks a row
            that already failed upstream.
        output: the JSONL file to write (one line per record, in order).
        backend, lexicon_paths, calibration, judge_options, progress, total, chunk_size: see
            :func:`iter_scored`.
        bootstrap, seed, confidence: see :func:`aggregate`.
        keep_errors: how many error messages to return (all are logged at INFO).

    Returns:
        A :class:`StreamReport`.

    Raises:
        InputError: bad options (before the output is opened) or an unwritable output.

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "o.jsonl")
    >>> rep = score_to_jsonl(iter([{"prediction": "故选A", "answer": "A"}, {}]), out)
    >>> rep.n_written, rep.n_errors, rep.summary.means["answer_accuracy"]
    (2, 1, 1.0)
    """
    if bootstrap and not 0 < confidence < 1:  # checked before any work, not after it
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    n_in = 0

    def counted() -> Iterator[Mapping[str, Any]]:
        nonlocal n_in
        for rec in records:
            n_in += 1
            yield rec

    errors: list[str] = []
    n_errors = 0

    def watched(rows: Iterable[RowScore]) -> Iterator[RowScore]:
        nonlocal n_errors
        for r in rows:
            if r.error:
                n_errors += 1
                logger.info("%s", r.error)
                if len(errors) < keep_errors:
                    errors.append(r.error)
            yield r

    scored = iter_scored(iter_normalized(counted()), backend=backend, lexicon_paths=lexicon_paths,
                         calibration=calibration, judge_options=judge_options, progress=progress,
                         total=total, chunk_size=chunk_size)
    acc = Accumulator()
    n_written = write_jsonl(watched(acc.tap(scored)), output)
    if not n_in == n_written == acc.n_rows:  # rows in = rows out, always
        raise RuntimeError(f"internal error: {n_in} rows in but {n_written} written")
    summary = acc.summary(bootstrap=bootstrap, seed=seed, confidence=confidence)
    return StreamReport(summary=summary, n_written=n_written, n_errors=n_errors, errors=errors)
