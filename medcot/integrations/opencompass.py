"""OpenCompass export: flat multiple-choice JSONL files it reads as custom datasets, plus a config snippet.

OpenCompass's custom-dataset reader takes ``.jsonl`` rows ``{"question", "A", "B", ..., "answer"}``
and reads the option keys from the **first** row, so a file mixing four- and five-option questions
shows an empty ``E.`` on every four-option one. Its multiple-choice scoring extracts one letter, so a
multi-answer gold (``ABD``) can never match. The export therefore writes one file per
(split, single/multiple answer, option count)::

    medcot_test_single_5opt.jsonl        + medcot_test_single_5opt.jsonl.meta.json
    medcot_test_single_4opt.jsonl        + ...
    medcot_test_multi_4opt.jsonl         + ...
    opencompass_medcot.py                (the config snippet: one dataset dict per file)

Each row also keeps the record's ``id`` (OpenCompass reads extra fields and leaves them unused), so
predictions can be joined back. The ``.meta.json`` beside each file (OpenCompass documents it in
``docs/en/advanced_guides/custom_dataset.md``) names the options and gives the prompt: an
instruction asking for the letter(s) directly, the stem, the options, then ``答案：``.

>>> from medcot.integrations.opencompass import group_key
>>> group_key({"options": [{"label": "A", "text": "甲"}, {"label": "B", "text": "乙"}], "answer": ["A", "B"]})
('multi', 2)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcot import views
from medcot.errors import InputError
from medcot.integrations.tasks import MC_ANSWER_CUE, MC_INSTRUCTION

logger = logging.getLogger(__name__)

__all__ = ["SNIPPET_NAME", "OpenCompassExport", "export_opencompass", "group_key", "row_of"]

SNIPPET_NAME = "opencompass_medcot.py"
MC_INSTRUCTION_MULTI = "以下是一道医学考试多项选择题，正确答案可能有多个，请直接给出全部正确选项的字母。"


def group_key(record: Mapping[str, Any]) -> tuple[str, int]:
    """``("single" | "multi", number of options)``: the file a record goes to."""
    return ("multi" if views.is_multi(record) else "single", len(record["options"]))


def row_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """One OpenCompass row: ``question``, one key per option letter, ``answer`` (joined labels), ``id``.

    >>> row_of({"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}, {"label": "B", "text": "乙"}],
    ...         "answer": ["B"]})
    {'question': '问', 'A': '甲', 'B': '乙', 'answer': 'B', 'id': 'q1'}
    """
    labels = [o["label"] for o in record["options"]]
    expected = [chr(ord("A") + i) for i in range(len(labels))]
    if labels != expected:  # OpenCompass parses consecutive letters from A only
        raise InputError(f"record {record.get('id')!r}: option labels {''.join(labels)}; expected {''.join(expected)}")
    row: dict[str, Any] = {"question": record["question"]}
    row.update({o["label"]: o["text"] for o in record["options"]})
    row["answer"] = "".join(record["answer"])
    row["id"] = record["id"]
    return row


def _meta(name: str, kind: str, n_options: int) -> dict[str, Any]:
    letters = [chr(ord("A") + i) for i in range(n_options)]
    # the prompt ends in the answer cue, so it asks for the letters directly (no reasoning first)
    instruction = MC_INSTRUCTION_MULTI if kind == "multi" else MC_INSTRUCTION
    options = "\n".join(f"{x}. {{{x}}}" for x in letters)
    return {
        "abbr": name,
        "data_type": "mcq",
        "infer_method": "gen",
        "options": letters,
        "human_prompt": f"{instruction}\n\n{{question}}\n\n{options}\n\n{MC_ANSWER_CUE}",
        "bot_prompt": "{answer}",
    }


@dataclass
class OpenCompassExport:
    """What :func:`export_opencompass` wrote.

    Attributes:
        out_dir: the folder.
        files: ``{file name: rows}`` per data file, in writing order.
        snippet: the config snippet's path.
        rows_in: records read.
    """

    out_dir: Path
    files: dict[str, int] = field(default_factory=dict)
    snippet: Path | None = None
    rows_in: int = 0

    @property
    def rows_out(self) -> int:
        return sum(self.files.values())


def _snippet(out_dir: Path, names: Sequence[str], source: str, splits: Sequence[str]) -> str:
    single = [n for n in names if "_single_" in n]
    multi = [n for n in names if "_multi_" in n]

    def block(var: str, items: Sequence[str]) -> list[str]:
        lines = [f"{var} = ["]
        for n in items:
            lines.append(f"    dict(abbr={n.removesuffix('.jsonl')!r}, path={str(out_dir / n)!r}, "
                         "data_type='mcq', infer_method='gen'),")
        return [*lines, "]"]

    out = [
        f"# OpenCompass datasets written by `medcot export --format opencompass` from {source} ({', '.join(splits)}).",
        "# One file per option count (OpenCompass reads option keys from the first row of a file).",
        "# Single-answer questions: OpenCompass's multiple-choice scoring fits them.",
        *block("medcot_single_datasets", single),
        "# Multiple-answer questions (gold such as ABD): OpenCompass's multiple-choice scoring extracts one",
        "# letter, so these always score 0 with it. Score their predictions as an exact answer set instead",
        "# (medcot score, or the lm-eval / lighteval task medcot_cot).",
        *block("medcot_multi_datasets", multi),
        "datasets = medcot_single_datasets",
        "",
    ]
    return "\n".join(out)


def export_opencompass(
    dataset: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    splits: Iterable[str] = ("test",),
    overwrite: bool = False,
) -> OpenCompassExport:
    """Write OpenCompass custom-dataset files (one per split, answer kind and option count) and a config snippet.

    Args:
        dataset: a built folder, a raw release, or a Hub repo id (as ``medcot score --dataset``).
        out_dir: the folder to write.
        splits: the splits to export.
        overwrite: replace files of a previous export in ``out_dir``.

    Returns:
        An :class:`OpenCompassExport`; every record read is in exactly one file (``rows_in == rows_out``).

    Raises:
        InputError: a missing dataset or split, a non-empty ``out_dir`` without ``overwrite``, or
            options not labelled A, B, C ... in order.
    """
    from medcot.scoring import dataset_records

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; expected a folder to write into")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out}: folder is not empty; pass --overwrite to replace a previous export")
    splits = list(splits)
    groups: dict[str, list[dict[str, Any]]] = {}
    rows_in = 0
    for split in splits:
        records = dataset_records(dataset, split)
        rows_in += len(records)
        for rec in sorted(records, key=group_key):
            kind, n = group_key(rec)
            groups.setdefault(f"medcot_{split}_{kind}_{n}opt.jsonl", []).append(row_of(rec))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("medcot_*opt.jsonl*"):
        old.unlink()
    result = OpenCompassExport(out_dir=out.resolve(), rows_in=rows_in)
    for name, rows in groups.items():
        kind, n = name.rsplit("_", 2)[-2], int(name.rsplit("_", 1)[-1].removesuffix("opt.jsonl"))
        with (out / name).open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        meta = _meta(name.removesuffix(".jsonl"), kind, n)
        (out / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        result.files[name] = len(rows)
    result.snippet = out / SNIPPET_NAME
    result.snippet.write_text(_snippet(result.out_dir, list(groups), str(dataset), splits), encoding="utf-8")
    if result.rows_out != rows_in:  # pragma: no cover - every record goes to one group
        raise RuntimeError(f"internal error: {rows_in} records read but {result.rows_out} rows written")
    logger.info("opencompass export: %d records in %d files under %s", rows_in, len(groups), out)
    return result
