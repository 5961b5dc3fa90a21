"""Read what the evaluation frameworks wrote, as rows ``medcot score`` (and ``medcot report``) can score.

Two formats, recognised by file name or content:

- lm-evaluation-harness ``--log_samples``: ``samples_<task>_<date>.jsonl``, one JSON object per
  question with ``doc_id``, ``doc`` (the dataset row), ``resps`` (the raw generations) and
  ``filtered_resps``;
- lighteval ``--save-details``: ``details_<task>|<shots>_<date>.parquet`` with ``doc`` (its
  ``specific`` field carries the dataset row for the ``medcot`` tasks), ``model_response``
  (``text``: the generations) and ``metric``.

Each question becomes one row with the canonical keys of :data:`medcot.scoring.INPUT_FIELDS`
(``id``, ``prediction`` = the first raw generation, and ``question`` / ``options`` / ``answer`` /
``reference`` when the logged document carries them), plus ``framework``, ``task``, ``doc_id`` and
``source`` (``file:line`` or ``file:row``). ``medcot score --dataset`` then joins on ``id``, the
dataset id of the logged document. Loglikelihood tasks log no text: a file of them is refused, and
skipped (with a warning) inside a folder.

>>> import json, os, tempfile
>>> d = tempfile.mkdtemp()
>>> p = os.path.join(d, "samples_medcot_cot_2026-01-01T00-00-00.jsonl")
>>> doc = {"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}], "answer": ["A"], "cot": "因为甲。"}
>>> _ = open(p, "w", encoding="utf-8").write(json.dumps({"doc_id": 0, "doc": doc, "resps": [["故选A。"]],
...     "filtered_resps": ["A"]}, ensure_ascii=False) + "\\n")
>>> detect_format(p)
'lm-eval'
>>> [(r["id"], r["prediction"], r["reference"], r["task"]) for r in read_samples(p)]
[('q1', '故选A。', '因为甲。', 'medcot_cot')]
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "SampleRows", "detect_format", "iter_samples", "read_samples"]

FORMATS: tuple[str, ...] = ("lm-eval", "lighteval")
_LM_EVAL_NAME = re.compile(r"samples_(?P<task>.+)_\d{4}-\d{2}-\d{2}T[\d\-.]+\.jsonl$")
_LIGHTEVAL_NAME = re.compile(r"details_(?P<task>[^|]+)(?:\|[^_]*)?_\d{4}-\d{2}-\d{2}T[\d\-.]+\.parquet$")


class _NoText(Exception):
    """The file holds a loglikelihood task: scores of options, no generated text."""


def _first_json_line(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    return json.loads(line)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return None


def detect_format(path: str | os.PathLike[str]) -> str | None:
    """``"lm-eval"``, ``"lighteval"`` or None (an ordinary prediction table) for a file or folder.

    A folder is a framework output when it holds ``samples_*.jsonl`` or ``details_*.parquet`` files.

    Args:
        path: a file or folder.

    Returns:
        The format name, or None.
    """
    p = Path(path)
    if p.is_dir():
        for fmt in FORMATS:
            if _files_of(p, fmt):
                return fmt
        return None
    name = p.name
    if _LM_EVAL_NAME.search(name):
        return "lm-eval"
    if _LIGHTEVAL_NAME.search(name):
        return "lighteval"
    if name.endswith(".jsonl"):
        first = _first_json_line(p)
        if isinstance(first, dict) and {"doc_id", "doc", "resps"} <= set(first):
            return "lm-eval"
    if name.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq

            names = set(pq.read_schema(p).names)
        except Exception:  # not readable as Parquet: the ordinary reader reports it
            return None
        if {"doc", "model_response"} <= names:
            return "lighteval"
    return None


def _files_of(folder: Path, fmt: str) -> list[Path]:
    pattern = "samples_*.jsonl" if fmt == "lm-eval" else "details_*.parquet"
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def _task_of(path: Path, fmt: str) -> str | None:
    m = (_LM_EVAL_NAME if fmt == "lm-eval" else _LIGHTEVAL_NAME).search(path.name)
    return m.group("task") if m else None


def _doc_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """question / options / answer / reference of a logged dataset row (canonical or ``qa`` layout)."""
    options = doc.get("options")
    if options is None and doc.get("choices") is not None and doc.get("choice_labels") is not None:
        options = [{"label": lab, "text": txt} for lab, txt in zip(doc["choice_labels"], doc["choices"])]
    return {"question": doc.get("question"), "options": options, "answer": doc.get("answer"),
            "reference": doc.get("cot")}


def _lm_eval_row(obj: Any, where: str, task: str | None) -> dict[str, Any]:
    if not isinstance(obj, dict) or "resps" not in obj:
        raise InputError(f"{where}: expected an lm-eval sample (an object with doc_id, doc and resps)")
    doc = obj.get("doc") if isinstance(obj.get("doc"), dict) else {}
    resps = obj["resps"]
    first = resps[0] if isinstance(resps, list) and resps else None
    first = first[0] if isinstance(first, list) and first else first
    if isinstance(first, list) or isinstance(first, (int, float)):
        raise _NoText(f"{where}: loglikelihood sample (resps hold option scores, not generated text)")
    if not isinstance(first, str):
        raise InputError(f"{where}: field 'resps' holds no generated text; got {json.dumps(resps)[:80]}")
    return {"id": doc.get("id"), "prediction": first, **_doc_fields(doc), "framework": "lm-eval",
            "task": task, "doc_id": obj.get("doc_id"), "source": where}


def _iter_lm_eval(path: Path) -> Iterator[dict[str, Any]]:
    task = _task_of(path, "lm-eval")
    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{where}: invalid JSON ({exc.msg}); expected one lm-eval sample per line") from None
                yield _lm_eval_row(obj, where, task)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason}); expected lm-eval --log_samples JSONL") from None


def _lighteval_row(row: Mapping[str, Any], where: str, task: str | None) -> dict[str, Any]:
    doc = row.get("doc") or {}
    response = row.get("model_response") or {}
    texts = response.get("text")
    if not texts:
        if response.get("logprobs"):
            raise _NoText(f"{where}: loglikelihood sample (model_response holds log-probabilities, no text)")
        raise InputError(f"{where}: model_response.text is empty; expected the generated text")
    if isinstance(texts, str):  # older lighteval versions wrote the list's repr
        texts = [texts]
    specific = doc.get("specific") or {}
    record = specific.get("record") if isinstance(specific.get("record"), Mapping) else {}
    fields = _doc_fields(record) if record else {"question": None, "options": None, "answer": None, "reference": None}
    rid = specific.get("id", record.get("id") if record else None)
    return {"id": rid, "prediction": str(texts[0]), **fields, "framework": "lighteval",
            "task": task or (str(doc.get("task_name") or "").split("|")[0] or None),
            "doc_id": doc.get("id"), "source": where}


def _iter_lighteval(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    task = _task_of(path, "lighteval")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc}); expected lighteval details") from None
    missing = {"doc", "model_response"} - set(pf.schema_arrow.names)
    if missing:
        raise InputError(f"{path}: no column(s) {sorted(missing)}; expected lighteval details (doc, model_response)")
    n = 0
    for batch in pf.iter_batches(batch_size=1024, columns=["doc", "model_response"]):
        for row in batch.to_pylist():
            n += 1
            yield _lighteval_row(row, f"{path}:row {n}", task)


def _iter_file(path: Path, fmt: str) -> Iterator[dict[str, Any]]:
    return _iter_lm_eval(path) if fmt == "lm-eval" else _iter_lighteval(path)


def _resolve(path: Path, fmt: str | None) -> tuple[str, list[Path]]:
    if not path.exists():
        raise InputError(f"{path}: not found; expected lm-eval samples_*.jsonl, lighteval details_*.parquet or a folder of them")
    found = fmt or detect_format(path)
    if found not in FORMATS:
        raise InputError(f"{path}: neither lm-eval --log_samples output nor lighteval details "
                         f"(expected samples_<task>_<date>.jsonl or details_<task>|<shots>_<date>.parquet)")
    files = _files_of(path, found) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no {found} sample files inside")
    return found, files


class SampleRows:
    """The rows of one framework output (a file, or every sample file of a folder), read lazily.

    Attributes:
        format: ``"lm-eval"`` or ``"lighteval"``.
        files: the sample files that hold generated text, in order.
        skipped: files of loglikelihood tasks left out (folders only).
    """

    def __init__(self, fmt: str, files: list[Path], skipped: list[Path], n_rows: int) -> None:
        self.format = fmt
        self.files = files
        self.skipped = skipped
        self._n_rows = n_rows

    def __len__(self) -> int:
        return self._n_rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for path in self.files:
            yield from _iter_file(path, self.format)


def iter_samples(path: str | os.PathLike[str], *, fmt: str | None = None) -> SampleRows:
    """Open an lm-eval or lighteval output for scoring: checks every file now, then streams rows.

    Args:
        path: a ``samples_*.jsonl`` / ``details_*.parquet`` file, or a folder (searched recursively).
        fmt: ``"lm-eval"`` or ``"lighteval"``; default: detected.

    Returns:
        A :class:`SampleRows` (iterable, with ``len``).

    Raises:
        InputError: naming the file (and line or row) that is not such an output, or a file of a
            loglikelihood task given on its own.
    """
    p = Path(path)
    found, files = _resolve(p, fmt)
    kept: list[Path] = []
    skipped: list[Path] = []
    n_rows = 0
    for f in files:
        try:
            n = sum(1 for _ in _iter_file(f, found))
        except _NoText as exc:
            if not p.is_dir():
                raise InputError(f"{exc}; medcot score scores generated chains of thought "
                                 "(use the medcot_cot task's samples)") from None
            logger.warning("%s: skipped, %s", f, str(exc).split(": ", 1)[-1])
            skipped.append(f)
            continue
        kept.append(f)
        n_rows += n
    if not kept:
        raise InputError(f"{p}: only loglikelihood samples inside ({len(skipped)} files); no generated text to score")
    return SampleRows(found, kept, skipped, n_rows)


def read_samples(path: str | os.PathLike[str], *, fmt: str | None = None) -> list[dict[str, Any]]:
    """The list form of :func:`iter_samples`."""
    return list(iter_samples(path, fmt=fmt))
