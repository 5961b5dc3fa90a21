"""The runs a report compares: per-item score files, read strictly, with each item's metadata.

A RUN is a ``medcot score`` output (one JSON line per item, :meth:`RowScore.to_dict`). Any other
file ``medcot score`` reads (a predictions table) is scored here first, through the same
:func:`medcot.scoring.score_to_jsonl`, into ``<out>/runs/<name>.scores.jsonl``: the report's
numbers always come from a per-item file that sits beside it or was given by the user.

Each item gets its ``department``, ``question_type`` and ``question`` from the run row when the
row has them, else from the ``--dataset`` record with the same id.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcot.constants import RUBRIC_DIMENSIONS
from medcot.errors import InputError

logger = logging.getLogger(__name__)

# Keys that mark a `medcot score` output line (a predictions table has none of them).
SCORE_KEYS: frozenset[str] = frozenset({*RUBRIC_DIMENSIONS, "overall", "evidence", "backend"})
META_FIELDS: tuple[str, ...] = ("department", "question_type", "question")
UNKNOWN = "(unknown)"
_SUFFIX_RE = re.compile(r"(\.(jsonl|json|ndjson|csv|tsv|parquet|gz))+$", re.IGNORECASE)


@dataclass
class Item:
    """One scored item of a run: the score row plus its metadata (None = unknown)."""

    line: int
    row: Any  # medcot.scoring.RowScore
    department: str | None = None
    question_type: str | None = None
    question: str | None = None


@dataclass
class Run:
    """One run: its display name, the per-item file its numbers come from, and its items."""

    name: str
    path: Path
    source: Path
    scored_here: bool
    items: list[Item] = field(default_factory=list)


def run_name(path: str | Path) -> str:
    """A display name from a file name: suffixes and a trailing ``.scores`` dropped.

    >>> run_name("out/qwen-7b.scores.jsonl"), run_name("expert.csv")
    ('qwen-7b', 'expert')
    """
    name = _SUFFIX_RE.sub("", Path(path).name)
    return re.sub(r"[._-]scores?$", "", name) or Path(path).name


def unique_names(names: Sequence[str]) -> list[str]:
    """Names made unique by numbering repeats.

    >>> unique_names(["a", "b", "a"])
    ['a', 'b', 'a-2']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _number(value: Any, *, where: str, key: str, lo: float | None = None, hi: float | None = None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(float(value)):
        raise InputError(f"{where}: field {key!r} = {value!r}: expected a number or null (a `medcot score` output line)")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InputError(f"{where}: field {key!r} = {value!r}: expected a score between {lo:g} and {hi:g} or null")
    return float(value)


def parse_score_row(raw: Mapping[str, Any], *, where: str) -> Any:
    """Validate one ``medcot score`` output line and return it as a :class:`RowScore`.

    Args:
        raw: The parsed JSON object.
        where: ``file:line`` for error messages.

    Raises:
        InputError: a field of the wrong type, naming the file, line and field.

    >>> parse_score_row({"id": "q1", "overall": 4.2, "answer_correct": True, "evidence": {}}, where="f:1").overall
    4.2
    """
    from medcot.scoring import RowScore

    for key in RUBRIC_DIMENSIONS:
        _number(raw.get(key), where=where, key=key, lo=1.0, hi=5.0)
    _number(raw.get("overall"), where=where, key="overall", lo=1.0, hi=5.0)
    _number(raw.get("char_rouge_l"), where=where, key="char_rouge_l", lo=0.0, hi=1.0)
    if raw.get("answer_correct") not in (True, False, None):
        raise InputError(f"{where}: field 'answer_correct' = {raw['answer_correct']!r}: expected true, false or null")
    chars = raw.get("prediction_chars")
    if chars is not None and (isinstance(chars, bool) or not isinstance(chars, int) or chars < 0):
        raise InputError(f"{where}: field 'prediction_chars' = {chars!r}: expected a non-negative integer or null")
    evidence = raw.get("evidence")
    if evidence is not None and not (
        isinstance(evidence, dict) and all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in evidence.values())
    ):
        raise InputError(f"{where}: field 'evidence': expected an object of dimension -> list of strings")
    for key in ("id", "error", *META_FIELDS):
        value = raw.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise InputError(f"{where}: field {key!r} = {value!r}: expected a string or null")
    row = RowScore.from_dict(raw)
    row.id = None if row.id is None else str(row.id)
    return row


def is_score_output(path: str | Path) -> bool:
    """True when the first row of ``path`` is a ``medcot score`` output line.

    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    >>> _ = open(p, "w").write(json.dumps({"prediction": "故选A"}) + "\\n")
    >>> is_score_output(p)
    False
    """
    from medcot.ingest import iter_rows

    for _line, row in iter_rows(path):
        return SCORE_KEYS.issubset(row)
    raise InputError(f"{path}: no rows; expected a `medcot score` output or a predictions file")


def read_score_file(path: str | Path) -> list[Item]:
    """The items of a ``medcot score`` output, validated line by line.

    Raises:
        InputError: a malformed line, a line that is not a score row, or a repeated id.
    """
    from medcot.ingest import iter_rows

    items: list[Item] = []
    first_line: dict[str, int] = {}
    for line, raw in iter_rows(path):
        where = f"{path}:{line}"
        lacking = sorted(SCORE_KEYS.difference(raw))
        if lacking:
            raise InputError(f"{where}: not a `medcot score` output line (no {', '.join(lacking)})")
        row = parse_score_row(raw, where=where)
        if row.id is not None:
            if row.id in first_line:
                raise InputError(f"{where}: id {row.id!r} repeats line {first_line[row.id]}; paired comparisons need unique ids")
            first_line[row.id] = line
        items.append(Item(line=line, row=row, **{k: (None if raw.get(k) is None else str(raw[k])) for k in META_FIELDS}))
    if not items:
        raise InputError(f"{path}: no rows; expected a `medcot score` output")
    return items


def score_here(path: Path, out_file: Path, *, dataset: Path | None, split: str) -> Path:
    """Score a predictions file exactly as ``medcot score`` would (offline scorer) into ``out_file``."""
    from medcot import scoring

    rows = scoring.iter_predictions(path)
    records = rows if dataset is None else scoring.iter_joined(rows, dataset, split=split)
    report = scoring.score_to_jsonl(records, out_file, total=len(rows))
    logger.info("scored %s: %d rows (%d with an error) -> %s", path, report.n_written, report.n_errors, out_file)
    return out_file


def attach_metadata(items: Sequence[Item], records: Mapping[str, Mapping[str, Any]]) -> int:
    """Fill unknown department / question type / question from ``records`` (by id); returns matches."""
    matched = 0
    for item in items:
        rec = records.get(item.row.id) if item.row.id is not None else None
        if rec is None:
            continue
        matched += 1
        for key in META_FIELDS:
            if getattr(item, key) is None and rec.get(key) is not None:
                setattr(item, key, str(rec[key]))
    return matched


def load_runs(
    paths: Sequence[str | Path],
    *,
    out_dir: Path,
    labels: Sequence[str] = (),
    dataset: str | Path | None = None,
    split: str = "test",
) -> list[Run]:
    """Read (or score) every RUN and attach metadata from ``dataset``.

    Args:
        paths: ``medcot score`` outputs or predictions files.
        out_dir: The report folder (predictions are scored into ``out_dir/runs/``).
        labels: Display names, in order (the rest come from file names).
        dataset: A built dataset folder or raw release, joined on id for the metadata.
        split: The split of ``dataset`` the runs were made on.

    Returns:
        The runs, in the given order.
    """
    if not paths:
        raise InputError("no RUN given; expected one or more `medcot score` outputs")
    if len(labels) > len(paths):
        raise InputError(f"--label given {len(labels)} times for {len(paths)} runs")
    names = unique_names([*labels, *(run_name(p) for p in paths[len(labels):])])
    records: dict[str, Mapping[str, Any]] = {}
    if dataset is not None:
        from medcot.scoring import dataset_records

        records = {str(r["id"]): r for r in dataset_records(dataset, split)}
    runs = []
    for name, raw_path in zip(names, paths):
        source = Path(raw_path)
        if source.is_dir() and (source / "README.md").is_file():
            raise InputError(f"{source}: a dataset folder, not a run; `medcot stats {source}` describes a dataset "
                             "(`medcot report` compares `medcot score` outputs)")
        scored = not is_score_output(source)
        path = score_here(source, out_dir / "runs" / f"{_safe(name)}.scores.jsonl", dataset=None if dataset is None else Path(dataset), split=split) if scored else source
        run = Run(name=name, path=path, source=source, scored_here=scored, items=read_score_file(path))
        if records:
            matched = attach_metadata(run.items, records)
            if matched < len(run.items):
                logger.warning("%s: %d of %d items have no id in split %r of %s", source, len(run.items) - matched,
                               len(run.items), split, dataset)
        runs.append(run)
    return runs


def _safe(name: str) -> str:
    """A file-name-safe form of a run name.

    >>> _safe("qwen 7b/chat")
    'qwen_7b_chat'
    """
    return re.sub(r"[^\w.\-]+", "_", name).strip("._") or "run"
