"""Splits: the release's own (a split column or per-split file names) or a seeded stratified split.

The seeded split must give the same answer on every run and machine and must not depend on the
order of the input rows. Each record gets a sort key ``sha1(seed:id)`` (never Python's salted
``hash()``); records are ordered by (department, question_type, key), and walked once, each going
to the split whose share is furthest below its target ratio. Every stratum is therefore split in
proportion (to within one record) and the global counts match the ratios to within one record,
even when strata are tiny. The assignment depends only on the set of records and the seed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from medcot.errors import InputError
from medcot.options import normalize_text
from medcot.constants import DEFAULT_SPLIT_RATIOS, DEFAULT_SPLIT_SEED, SPLITS  # light: no `datasets` import

logger = logging.getLogger(__name__)

__all__ = ["canonical_split", "split_from_path", "check_ratios", "assign_splits"]

# Release split names -> canonical split names.
_SPLIT_ALIASES: dict[str, str] = {
    "train": "train", "training": "train", "trn": "train", "训练": "train", "训练集": "train",
    "validation": "validation", "valid": "validation", "val": "validation", "dev": "validation",
    "development": "validation", "验证": "validation", "验证集": "validation", "开发集": "validation",
    "test": "test", "testing": "test", "tst": "test", "测试": "test", "测试集": "test",
}
_OWN_SPLIT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def canonical_split(value: Any) -> str | None:
    """Map a release's split value to a split name; None when empty.

    Known names (train/dev/val/validation/test, 训练/验证/测试 ...) map onto :data:`schema.SPLITS`;
    other ASCII identifiers are kept as the release's own split.

    Args:
        value: the cell of the release's split column.

    Returns:
        The split name, or None for an empty cell.

    Raises:
        InputError: for a value that is neither known nor a usable split name.

    >>> canonical_split("Dev"), canonical_split("测试集"), canonical_split(" "), canonical_split("holdout")
    ('validation', 'test', None, 'holdout')
    """
    text = normalize_text(value).strip()
    if not text:
        return None
    key = text.casefold()
    if key in _SPLIT_ALIASES:
        return _SPLIT_ALIASES[key]
    if _OWN_SPLIT.fullmatch(text):
        return key
    raise InputError(
        f"split: {text!r} is not a split name; expected train/validation/test "
        "(also dev, val, 训练, 验证, 测试) or an ASCII identifier"
    )


def split_from_path(path: str | Path, *, sheet: str | None = None) -> str | None:
    """Split named by an xlsx sheet, a file name or its folder ("train.jsonl", "cmexam_test.csv", "dev/part1.json").

    Only the first or last ``_``/``-``/``.``-separated token of the file stem counts, so
    "cmexam_val_sample.jsonl" (a middle token) names no split.

    Args:
        path: the data file.
        sheet: the xlsx sheet name, if any (checked first).

    Returns:
        The split name, or None when the path names none.

    >>> split_from_path("raw/train-00001.jsonl.gz"), split_from_path("x/验证.csv"), split_from_path("a_val_b.json")
    ('train', 'validation', None)
    """
    p = Path(path)
    if sheet and sheet.strip().casefold() in _SPLIT_ALIASES:
        return _SPLIT_ALIASES[sheet.strip().casefold()]
    name = p.name
    for suffix in (".gz",):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    stem = name.rsplit(".", 1)[0].casefold()
    tokens = [t for t in re.split(r"[_\-.\s]+", stem) if t]
    candidates = [stem] + ([re.sub(r"\d+$", "", tokens[0]), tokens[-1]] if tokens else [])
    for c in candidates:
        if c in _SPLIT_ALIASES:
            return _SPLIT_ALIASES[c]
    parent = p.parent.name.casefold()
    return _SPLIT_ALIASES.get(parent)


def check_ratios(ratios: Sequence[float] | Mapping[str, float]) -> dict[str, float]:
    """Validate split ratios: three numbers for train/validation/test (or a mapping), >= 0, summing to 1.

    Args:
        ratios: ``(train, validation, test)`` or ``{split: ratio}``.

    Returns:
        ``{split: ratio}``.

    Raises:
        InputError: for the wrong count, negative numbers or a sum other than 1.

    >>> check_ratios((0.8, 0.1, 0.1))
    {'train': 0.8, 'validation': 0.1, 'test': 0.1}
    """
    if isinstance(ratios, Mapping):
        named = {str(k): ratios[k] for k in ratios}
    else:
        values = list(ratios)
        if len(values) != len(SPLITS):
            raise InputError(f"split ratios: expected {len(SPLITS)} numbers for {'/'.join(SPLITS)}, got {values}")
        named = dict(zip(SPLITS, values))
    try:
        named = {k: float(v) for k, v in named.items()}
    except (TypeError, ValueError):
        raise InputError(f"split ratios: {named} are not all numbers") from None
    if any(v < 0 for v in named.values()) or abs(sum(named.values()) - 1.0) > 1e-6:
        raise InputError(f"split ratios: {named} must be >= 0 and sum to 1")
    return named


def _key(seed: int, record_id: str) -> str:
    return hashlib.sha1(f"{seed}:{record_id}".encode("utf-8")).hexdigest()


def assign_splits(
    records: Iterable[Mapping[str, Any]],
    *,
    ratios: Sequence[float] | Mapping[str, float] = DEFAULT_SPLIT_RATIOS,
    seed: int = DEFAULT_SPLIT_SEED,
) -> dict[str, str]:
    """Seeded, stratified, order-independent split assignment.

    Args:
        records: canonical records (``id``, ``department``, ``question_type`` are used).
        ratios: train/validation/test ratios (or a name -> ratio mapping).
        seed: the split seed.

    Returns:
        ``{record id: split name}``.

    >>> recs = [{"id": f"q{i}", "department": "内科", "question_type": "A1"} for i in range(10)]
    >>> sorted(assign_splits(recs).values()).count("train")
    8
    """
    named = check_ratios(ratios)
    names = list(named)
    keyed = sorted(
        (str(r.get("department") or ""), str(r.get("question_type") or ""), _key(seed, str(r["id"])), str(r["id"]))
        for r in records
    )
    shares = [named[s] for s in names]
    taken = [0] * len(names)
    order = range(len(names))
    out: dict[str, str] = {}
    for n, (_, _, _, rid) in enumerate(keyed, start=1):
        # The split furthest below its quota after n records; ties go to the earlier split name
        # (strict ">" keeps the first). A plain loop: this runs once per record.
        best, best_gap = 0, shares[0] * n - taken[0]
        for i in order:
            gap = shares[i] * n - taken[i]
            if gap > best_gap:
                best, best_gap = i, gap
        taken[best] += 1
        out[rid] = names[best]
    logger.debug("seeded split (seed=%s): %s", seed, dict(zip(names, taken)))
    return out
