"""Validity harness: does the offline rubric rank real explanations above controlled corruptions?

For every real explanation and every corruption in :mod:`validation.corruptions` that applies to it,
the original and the corrupted text are scored in the same setting, and per dimension we report

- **AUROC** of "original scored above corruption" (``sklearn.metrics.roc_auc_score`` over the
  pooled originals and corruptions; 0.5 = chance, ties count half), and
- **mean shift**: mean(corrupted score - original score) — how far each dimension moves.

Settings (``--modes``):

- ``full`` (primary, the realistic evaluation setting): question + options + gold answer known,
  NO reference explanation.
- ``question_only``: only the question stem — no options, no gold, no reference.

A reference-based mode is deliberately not reported: the sample has one explanation per question,
so the only available reference is the original itself, and scoring the original against itself
(ROUGE-L = 1) says nothing about validity.

Command (writes validation/RESULTS.md and, with ``--update-card``, the metric card's table)::

    python -m validation.run_validity --data ../shared/realdata/cmexam_val_sample.jsonl \\
        --data tests/data/style_samples.jsonl --update-card
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcot.errors import InputError, MedcotError
from medcot.options import parse_answer, parse_options
from medcot.rubric import RubricScorer
from medcot.schema import RUBRIC_DIMENSIONS
from validation.corruptions import (
    CORRUPTIONS,
    TARGETS,
    build_term_automaton,
    load_external_terms,
)

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_THUOCL = REPO.parent / "shared" / "lexicons" / "THUOCL_medical.txt"
CARD = REPO / "metric" / "medcot_rubric" / "README.md"
START, END = "<!-- validity:start -->", "<!-- validity:end -->"
SHORT = {
    "medical_correctness": "correct",
    "reasoning_structure": "structure",
    "information_sufficiency": "sufficiency",
    "terminology_clarity": "terminology",
    "clinical_value": "clinical",
}
_KEYS = {
    "question": ("question", "Question", "问题", "题目"),
    "options": ("options", "Options", "选项"),
    "answer": ("answer", "Answer", "答案"),
    "cot": ("cot", "explanation", "Explanation", "解析"),
}


def _get(row: dict, field: str) -> Any:
    for k in _KEYS[field]:
        if k in row:
            return row[k]
    return None


def load_items(path: str | Path) -> tuple[list[dict], list[str]]:
    """Read a JSONL of exam items (CMExam keys or canonical keys) into canonical items.

    Rows without an explanation ("nan" or empty) or with unparsable options/answers are rejected
    with a reason — rows in = items + rejects.

    Args:
        path: the JSONL file.

    Returns:
        ``(items, rejects)``; each item has ``id``, ``question``, ``options``, ``answer``, ``cot``.

    Raises:
        InputError: missing file or a line that is not JSON.

    >>> load_items("/nonexistent.jsonl")
    Traceback (most recent call last):
    ...
    medcot.errors.InputError: /nonexistent.jsonl: file not found; expected a JSONL file of exam items
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found; expected a JSONL file of exam items")
    items, rejects = [], []
    for ln, line in enumerate(p.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{p}:{ln}: not valid JSON ({exc.msg}); expected one JSON object per line"
            ) from None
        cot = _get(row, "cot")
        if not isinstance(cot, str) or not cot.strip() or cot.strip().lower() == "nan":
            rejects.append(f"{p.name}:{ln}: no explanation")
            continue
        try:
            opts = parse_options(_get(row, "options"))
            ans = parse_answer(_get(row, "answer"), labels=[o["label"] for o in opts])
        except (InputError, ValueError) as exc:
            rejects.append(f"{p.name}:{ln}: {exc}")
            continue
        items.append(
            {
                "id": f"{p.stem}:{ln}",
                "question": str(_get(row, "question") or ""),
                "options": opts,
                "answer": ans,
                "cot": cot,
                "style": row.get("style", ""),
            }
        )
    return items, rejects


def _auroc(orig: Sequence[float], corr: Sequence[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(
        roc_auc_score([1] * len(orig) + [0] * len(corr), list(orig) + list(corr))
    )


def _kwargs(item: dict, mode: str) -> dict:
    if mode == "full":
        return {
            "question": item["question"],
            "options": item["options"],
            "answers": item["answer"],
        }
    if mode == "question_only":
        return {"question": item["question"]}
    raise InputError(f"--modes: unknown mode {mode!r}; expected full or question_only")


def run(
    items: Sequence[dict],
    *,
    seed: int = 13,
    modes: Sequence[str] = ("full",),
    thuocl: str | Path | None = DEFAULT_THUOCL,
    scorer: RubricScorer | None = None,
) -> dict[str, Any]:
    """Build corruptions with a seeded RNG and score originals and corruptions.

    Args:
        items: canonical items from :func:`load_items`.
        seed: seed of the per-(corruption, item) random generators.
        modes: scoring settings, ``full`` and/or ``question_only``.
        thuocl: external term list for ``vague_terms`` (skipped when missing).
        scorer: the scorer (default: a built-in :class:`RubricScorer`).

    Returns:
        ``{mode: {corruption: {"n": int, "auroc": {dim: x}, "shift": {dim: x}}}}`` plus ``"_meta"``.
    """
    scorer = scorer or RubricScorer()
    terms = load_external_terms(thuocl)
    automaton = build_term_automaton(terms) if terms else None
    pairs: dict[str, list[tuple[int, str]]] = {}
    for name, fn in CORRUPTIONS.items():
        out = []
        for i, it in enumerate(items):
            # One RNG per (seed, corruption, item): results never depend on iteration order.
            rng = random.Random(zlib.crc32(f"{seed}:{name}:{it['id']}".encode()))
            text = fn(it, items, rng, automaton=automaton)
            if text is not None:
                out.append((i, text))
        pairs[name] = out
    results: dict[str, Any] = {
        "_meta": {"items": len(items), "seed": seed, "external_terms": len(terms)}
    }
    for mode in modes:
        t0 = time.perf_counter()
        base = scorer.score_many(
            [{"prediction": it["cot"], **_kwargs(it, mode)} for it in items]
        )
        res_mode: dict[str, Any] = {}
        for name, lst in pairs.items():
            if not lst:
                res_mode[name] = {"n": 0, "auroc": {}, "shift": {}}
                continue
            cor = scorer.score_many(
                [{"prediction": t, **_kwargs(items[i], mode)} for i, t in lst]
            )
            o = [base[i] for i, _ in lst]
            entry: dict[str, Any] = {"n": len(lst), "auroc": {}, "shift": {}}
            for d in (*RUBRIC_DIMENSIONS, "overall"):
                os_ = [r.overall if d == "overall" else r.scores[d] for r in o]
                cs = [r.overall if d == "overall" else r.scores[d] for r in cor]
                entry["auroc"][d] = _auroc(os_, cs)
                entry["shift"][d] = sum(c - x for c, x in zip(cs, os_)) / len(cs)
            res_mode[name] = entry
        res_mode["_seconds"] = time.perf_counter() - t0
        results[mode] = res_mode
    return results


def to_markdown(results: dict[str, Any], *, title: str) -> str:
    """Render one result set as markdown tables (cells "AUROC / mean shift"; targets in bold).

    Args:
        results: the output of :func:`run`.
        title: section heading.

    Returns:
        Markdown text.

    >>> r = {"_meta": {"items": 1, "seed": 0, "external_terms": 0}, "full": {"shuffle": {"n": 0, "auroc": {}, "shift": {}}}}
    >>> "| shuffle | 0 |" in to_markdown(r, title="t")
    True
    """
    meta = results["_meta"]
    lines = [
        f"### {title}",
        "",
        (
            f"{meta['items']} items, seed {meta['seed']}, "
            f"{meta['external_terms']} external terms for `vague_terms`."
        ),
        "",
    ]
    dims = (*RUBRIC_DIMENSIONS, "overall")
    for mode in (m for m in results if not m.startswith("_")):
        lines += [
            (
                f"**Setting `{mode}`** — AUROC (original ranked above corruption) / mean score shift "
                f"(corrupted − original). Target dimensions in bold."
            ),
            "",
        ]
        lines.append(
            "| corruption | n | " + " | ".join(SHORT.get(d, d) for d in dims) + " |"
        )
        lines.append("|---|---:|" + "---:|" * len(dims))
        for name, e in results[mode].items():
            if name.startswith("_"):
                continue
            cells = []
            for d in dims:
                if d not in e["auroc"]:
                    cells.append("–")
                    continue
                c = f"{e['auroc'][d]:.3f} / {e['shift'][d]:+.2f}"
                cells.append(f"**{c}**" if d in TARGETS.get(name, ()) else c)
            lines.append(f"| {name} | {e['n']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def update_card(
    markdown: str, command: str, card: Path = CARD, *, markers: tuple[str, str] = (START, END)
) -> bool:
    """Replace the text between two markers of the metric card.

    Args:
        markdown: the tables.
        command: the command that reproduces them.
        card: the metric card path.
        markers: the start and end markers (default: the validity table's).

    Returns:
        True if the card was updated, False if it or its markers are absent.

    >>> update_card("x", "cmd", card=Path("/nonexistent/README.md"))
    False
    """
    if not card.exists():
        return False
    start, end = markers
    text = card.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    body = f"\n{markdown}\nReproduce: `{command}`\n"
    card.write_text(head + start + body + end + tail, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--data",
        action="append",
        required=False,
        help="JSONL of exam items (repeatable)",
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N items of each file",
    )
    ap.add_argument("--modes", default="full,question_only")
    ap.add_argument(
        "--thuocl",
        default=str(DEFAULT_THUOCL),
        help="external term list for vague_terms",
    )
    ap.add_argument("--output", default=str(REPO / "validation" / "RESULTS.md"))
    ap.add_argument("--update-card", action="store_true")
    args = ap.parse_args(argv)
    data = args.data or [
        str(REPO.parent / "shared" / "realdata" / "cmexam_val_sample.jsonl"),
        str(REPO / "tests" / "data" / "style_samples.jsonl"),
    ]
    try:
        sections = []
        for path in data:
            items, rejects = load_items(path)
            if args.limit:
                items = items[: args.limit]
            res = run(
                items,
                seed=args.seed,
                modes=[m.strip() for m in args.modes.split(",") if m.strip()],
                thuocl=args.thuocl,
            )
            title = f"{Path(path).name} ({len(rejects)} rows without a usable explanation skipped)"
            sections.append(to_markdown(res, title=title))
            print(sections[-1])
        cmd = (
            "python -m validation.run_validity "
            + " ".join(f"--data {d}" for d in data)
            + f" --seed {args.seed}"
        )
        md = "\n".join(sections)
        Path(args.output).write_text(
            "# Validity of the offline rubric scorer\n\nGenerated by `" + cmd + "`.\n"
            "See validation/README.md for the method and what was tried.\n\n" + md,
            encoding="utf-8",
        )
        if args.update_card:
            print(
                "metric card updated"
                if update_card(md, cmd)
                else "metric card has no validity markers; not updated"
            )
    except MedcotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
