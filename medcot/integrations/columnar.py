"""Batched scoring of columns: the offline rubric inside ``Dataset.map(batched=True)`` or Ray Data ``map_batches``.

:func:`score_columns` takes one batch as a ``dict`` of lists or arrays (what ``datasets`` and Ray's
``"numpy"`` format pass), a ``pandas.DataFrame`` or a ``pyarrow.Table``, and returns the same kind
with the score columns added: the five dimensions, ``overall``, ``extracted_answer`` (sorted letters
such as ``"ABD"``, or None), ``answer_correct``, ``char_rouge_l`` and ``error``. A row that cannot
be scored keeps None scores and says why in ``error``; no row is dropped. Scaling out is the
engine's job (``num_proc``, Ray workers); each worker process builds its scorer once.

    from datasets import load_dataset
    from medcot.integrations.columnar import score_columns

    ds = load_dataset("json", data_files="rollouts.jsonl", split="train")
    scored = ds.map(score_columns, batched=True, batch_size=1000, num_proc=8)

    import ray
    scored = ray.data.read_parquet("rollouts/").map_batches(score_columns, batch_format="pandas")

Input columns (renamable with ``columns=``): ``prediction`` (required), and optionally ``reference``
(the expert CoT), ``question``, ``options`` and ``answer`` in any form ``medcot score`` accepts.

>>> out = score_columns({"prediction": ["……故选B。", "不知道"], "answer": ["B", "B"]})
>>> out["extracted_answer"], out["answer_correct"], out["prediction"][0]
(['B', None], [True, False], '……故选B。')
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from medcot.constants import RUBRIC_DIMENSIONS
from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["INPUTS", "OUTPUT_COLUMNS", "score_columns"]

# input field -> default column name
INPUTS: tuple[str, ...] = ("prediction", "reference", "question", "options", "answer")
OUTPUT_COLUMNS: tuple[str, ...] = (*RUBRIC_DIMENSIONS, "overall", "extracted_answer", "answer_correct",
                                   "char_rouge_l", "error")


def _plain(value: Any) -> Any:
    """numpy scalars / arrays (Ray's numpy batches) as Python values."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def _as_columns(batch: Any) -> tuple[str, dict[str, list[Any]]]:
    """The batch's kind and its columns as lists of Python values."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        pa = None
    if pa is not None and isinstance(batch, pa.Table):
        return "arrow", batch.to_pydict()
    if type(batch).__name__ == "DataFrame" and hasattr(batch, "to_dict"):
        return "pandas", {str(k): [_plain(v) for v in batch[k].tolist()] for k in batch.columns}
    if isinstance(batch, Mapping) or hasattr(batch, "keys"):  # dict, datasets' LazyBatch
        return "dict", {str(k): [_plain(v) for v in _plain(batch[k])] for k in batch.keys()}
    raise InputError(f"batch: expected a dict of columns, a pandas DataFrame or a pyarrow Table, "
                     f"got {type(batch).__name__}")


def _rebuild(kind: str, batch: Any, added: dict[str, list[Any]]) -> Any:
    if kind == "arrow":
        import pyarrow as pa

        out = batch
        for name, values in added.items():
            column = pa.array(values, type=pa.string() if name in ("extracted_answer", "error") else None)
            if name in out.column_names:
                out = out.set_column(out.column_names.index(name), name, column)
            else:
                out = out.append_column(name, column)
        return out
    if kind == "pandas":
        out = batch.copy()
        for name, values in added.items():
            out[name] = values
        return out
    return {**{k: batch[k] for k in batch.keys()}, **added}


def score_columns(
    batch: Any,
    *,
    columns: Mapping[str, str] | None = None,
    lexicon_paths: Sequence[str] = (),
    prefix: str = "",
) -> Any:
    """Score one batch of rows on the rubric and return it with the score columns added.

    Args:
        batch: a dict of lists/arrays, a ``pandas.DataFrame`` or a ``pyarrow.Table``.
        columns: input field -> column name, for the fields whose columns are named otherwise
            (e.g. ``{"prediction": "completion"}``).
        lexicon_paths: user lexicon files for the scorer.
        prefix: prepended to every added column name (e.g. ``"rubric_"``).

    Returns:
        The same kind of batch, every input column kept, :data:`OUTPUT_COLUMNS` added.

    Raises:
        InputError: the batch is of another type, the prediction column is absent, or columns
            have different lengths.
    """
    from medcot.scoring import iter_normalized, score_items

    names = {field: field for field in INPUTS}
    unknown = sorted(set(columns or {}) - set(INPUTS))
    if unknown:
        raise InputError(f"columns: unknown field(s) {unknown}; expected some of {list(INPUTS)}")
    names.update(columns or {})
    kind, data = _as_columns(batch)
    if names["prediction"] not in data:
        raise InputError(f"batch: no column {names['prediction']!r} (the predictions); columns: {sorted(data)}")
    n = len(data[names["prediction"]])
    lengths = {k: len(v) for k, v in data.items()}
    if any(length != n for length in lengths.values()):
        raise InputError(f"batch: columns of different lengths {lengths}")
    records = [{field: data[col][i] if col in data else None for field, col in names.items()} for i in range(n)]
    rows = score_items(list(iter_normalized(records)), lexicon_paths=lexicon_paths)
    added: dict[str, list[Any]] = {f"{prefix}{d}": [r.scores.get(d) for r in rows] for d in RUBRIC_DIMENSIONS}
    added[f"{prefix}overall"] = [r.overall for r in rows]
    added[f"{prefix}extracted_answer"] = [None if r.extracted_answer is None else "".join(r.extracted_answer)
                                          for r in rows]
    added[f"{prefix}answer_correct"] = [r.answer_correct for r in rows]
    added[f"{prefix}char_rouge_l"] = [r.char_rouge_l for r in rows]
    added[f"{prefix}error"] = [r.error for r in rows]
    return _rebuild(kind, batch, added)
