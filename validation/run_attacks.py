"""Gaming validity of the offline rubric scorer, in-family and leave-group-out.

For every family of :mod:`validation.attacks`, each real explanation of the measurement file is
paired with a gamed text for the same question, both are scored reference-free (question +
options + gold known, no reference explanation), and we report AUROC (real above gamed; ties
half) per dimension and overall.

The protocol, fixed before anything was fitted:

- **Fitting** (vocabulary and learned gate) uses only ``cmexam_val_pool.jsonl``, with attack seed
  ``FIT_SEED`` and the ``fit`` half of every wording pool; **measuring** uses only
  ``cmexam_val_sample.jsonl``, with attack seed ``MEASURE_SEED`` and the disjoint ``eval`` half
  (other wordings, other items).
- **in-family**: the shipped gate, fitted on every family.
- **held out**: for each group of :data:`validation.attacks.GROUPS`, a gate fitted on the pool
  *without any family of that group* scores that group's families. A family is never measured by
  a model that saw it or its siblings: this column is the estimate for gaming nobody anticipated.
- **ungated**: the hand-written signals and caps alone (no learned part).

The gate is applied to the ungated results exactly as the scorer applies it
(:meth:`medcot.rubric.gate.Gate.credit`), so one scoring pass serves every column.

Command (writes ``validation/ATTACKS.md`` and, with ``--update-card``, the card's gaming table)::

    python -m validation.run_attacks --update-card
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import sys
import zlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medcot.errors import MedcotError
from medcot.rubric import RubricResult, RubricScorer
from medcot.rubric.gate import Gate, keep_credit, load_builtin_gate
from medcot.schema import RUBRIC_DIMENSIONS
from validation.attacks import ATTACKS, DESCRIPTIONS, GROUPS, RIGHT_LETTER, generate
from validation.corruptions import fold
from validation.run_validity import REPO, _auroc, load_items, update_card

logger = logging.getLogger(__name__)

FIT_SEED = 7
MEASURE_SEED = 13
# The attack library's wording pools are split in two disjoint halves: fitted on one, measured
# on the other, so even the in-family column sees wordings the gate never saw.
FIT_WORDING = "fit"
MEASURE_WORDING = "eval"
SHARED = REPO.parent / "shared" / "realdata"
POOL = SHARED / "cmexam_val_pool.jsonl"
SAMPLE = SHARED / "cmexam_val_sample.jsonl"
START, END = "<!-- gaming:start -->", "<!-- gaming:end -->"
DIMS = (*RUBRIC_DIMENSIONS, "overall")
_MARKER_TEXT = re.compile(r"[(（][A-Ha-h、,]{1,9}\s*(?:项)?(?:对|错|正确|错误)[^()（）]{0,12}[)）]")


def _kwargs(item: dict) -> dict:
    return {"question": item["question"], "options": item["options"], "answers": item["answer"]}


def score_attacks(
    items: Sequence[dict],
    *,
    seed: int,
    wording: str = "all",
    families: Sequence[str] = tuple(ATTACKS),
    scorer: RubricScorer | None = None,
) -> tuple[list[RubricResult], dict[str, list[tuple[int, RubricResult]]]]:
    """Score the real explanations and every family's gamed texts, ungated.

    Args:
        items: canonical items (:func:`validation.run_validity.load_items`).
        seed: attack seed.
        wording: which half of the wording pools (``"fit"``, ``"eval"`` or ``"all"``).
        families: the families to generate.
        scorer: an ungated scorer (default: ``RubricScorer(gate=None)``).

    Returns:
        ``(results of the originals, {family: [(item index, result), ...]})``.
    """
    scorer = scorer or RubricScorer(gate=None)
    originals = scorer.score_many(
        [{"prediction": it["cot"], **_kwargs(it)} for it in items], parallel_min=1000
    )
    out: dict[str, list[tuple[int, RubricResult]]] = {}
    for fam in families:
        inst = generate(fam, items, seed=seed, wording=wording)
        res = scorer.score_many(
            [{"prediction": t, **_kwargs(items[i])} for i, t in inst], parallel_min=1000
        )
        out[fam] = [(i, r) for (i, _t), r in zip(inst, res)]
    return originals, out


def score_restyled(
    items: Sequence[dict], *, seed: int, scorer: RubricScorer | None = None
) -> list[RubricResult]:
    """Ungated results of every item's :func:`restyle` d explanation (genuine, other style)."""
    scorer = scorer or RubricScorer(gate=None)
    texts = [
        restyle(it, random.Random(zlib.crc32(f"{seed}:restyle:{it['id']}".encode())))
        for it in items
    ]
    return scorer.score_many(
        [{"prediction": t, **_kwargs(it)} for t, it in zip(texts, items)], parallel_min=1000
    )


def gated(result: RubricResult, gate: Gate | None) -> dict[str, float]:
    """The scores (five dimensions + overall) ``result`` gets under ``gate``.

    The same arithmetic as :class:`medcot.rubric.RubricScorer` applies after its caps.
    """
    scores = dict(result.scores)
    if gate is not None:
        scores = keep_credit(scores, Gate.credit(gate.probability(result.signals)))
    scores["overall"] = sum(scores[d] for d in RUBRIC_DIMENSIONS) / len(RUBRIC_DIMENSIONS)
    return scores


_FRAMES = ("故本题选{}。", "综上所述，答案为{}。", "因此选{}。", "所以正确答案是{}。", "答案：{}")


def restyle(item: dict, rng: random.Random) -> str:
    """A real explanation in another house style: inline verdict markers removed and the answer
    stated at the end, as LLM-written and textbook explanations do. Fitting on these as genuine
    keeps the gate from learning CMExam's formatting instead of reasoning.

    >>> restyle({"cot": "胰头癌压迫胆总管(C对)。胆囊结石(A错)少见。", "answer": ["C"]}, random.Random(0))
    '胰头癌压迫胆总管。胆囊结石少见。所以正确答案是C。'
    """
    text = _MARKER_TEXT.sub("", fold(item["cot"]))
    return text.rstrip() + rng.choice(_FRAMES).format("".join(item["answer"]))


def fit_gate(
    originals: Sequence[RubricResult],
    attacked: Mapping[str, Sequence[tuple[int, RubricResult]]],
    *,
    exclude: Sequence[str] = (),
    version: str = "gate-v1",
    c: float = 1.0,
    meta: Mapping[str, Any] | None = None,
) -> Gate:
    """Fit a gate real-vs-gamed on ungated results, leaving out the families in ``exclude``."""
    rows = [r.signals for r in originals]
    labels = [1] * len(rows)
    for fam, lst in attacked.items():
        if fam in exclude:
            continue
        rows += [r.signals for _i, r in lst]
        labels += [0] * len(lst)
    return Gate.fit(rows, labels, version=version, c=c, meta=meta)


def measure(
    originals: Sequence[RubricResult],
    attacked: Mapping[str, Sequence[tuple[int, RubricResult]]],
    gates: Mapping[str, Gate | None],
) -> dict[str, dict[str, dict[str, float]]]:
    """AUROC per family, per column of ``gates`` (``{column: gate}``), per dimension."""
    base = {
        col: [gated(r, g) for r in originals]
        for col, g in gates.items()
        if not isinstance(g, Mapping)
    }
    table: dict[str, dict[str, dict[str, float]]] = {}
    for fam, lst in attacked.items():
        if not lst:
            continue
        table[fam] = {"n": {"n": float(len(lst))}}
        for col, g in gates.items():
            gate = g[fam] if isinstance(g, Mapping) else g
            orig = [gated(originals[i], gate) for i, _r in lst] if isinstance(g, Mapping) else [
                base[col][i] for i, _r in lst
            ]
            gamed = [gated(r, gate) for _i, r in lst]
            table[fam][col] = {
                d: _auroc([o[d] for o in orig], [x[d] for x in gamed]) for d in DIMS
            }
    return table


def to_markdown(table: Mapping[str, Any], *, meta: Mapping[str, Any]) -> str:
    """The gaming validity table (overall and correctness per column)."""
    lines = [
        f"{meta['items']} real explanations of `{meta['data']}`, attack seed {meta['seed']}; "
        f"`{MEASURE_WORDING}` wordings; gates fitted on `{meta['pool']}` ({meta['pool_items']} items, "
        f"attack seed {FIT_SEED}, `{FIT_WORDING}` wordings).",
        "",
        "AUROC that the real explanation scores above the gamed one (1.0 = always, 0.5 = chance). "
        "**held out** = the gate was fitted without any family of the same group.",
        "",
        "| family | group | n | overall in-family | overall held out | overall ungated | "
        "correctness in-family | correctness held out |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for fam, row in table.items():
        corr_in = row["in_family"]["medical_correctness"]
        corr_out = row["held_out"]["medical_correctness"]
        mark = "" if fam not in RIGHT_LETTER else " †"
        lines.append(
            f"| {fam}{mark} | {GROUPS[fam]} | {int(row['n']['n'])} | "
            f"{row['in_family']['overall']:.3f} | {row['held_out']['overall']:.3f} | "
            f"{row['ungated']['overall']:.3f} | {corr_in:.3f} | {corr_out:.3f} |"
        )
    worst_in = min(r["in_family"]["overall"] for r in table.values())
    worst_out = min(r["held_out"]["overall"] for r in table.values())
    rl = [r for f, r in table.items() if f in RIGHT_LETTER]
    lines += [
        "",
        f"Lowest overall AUROC: {worst_in:.3f} in-family, {worst_out:.3f} held out. "
        + (
            f"Lowest correctness AUROC of the right-letter families (†): "
            f"{min(r['in_family']['medical_correctness'] for r in rl):.3f} in-family, "
            f"{min(r['held_out']['medical_correctness'] for r in rl):.3f} held out."
            if rl
            else ""
        ),
        "",
        "| family | what the gamed text is |",
        "|---|---|",
    ]
    lines += [f"| {f} | {DESCRIPTIONS[f]} |" for f in table]
    return "\n".join(lines)


def run(
    data: Path, pool: Path, *, limit: int | None = None, pool_limit: int | None = None
) -> tuple[dict, dict]:
    """Score, fit the held-out gates and measure (see the module docstring)."""
    items, _rej = load_items(data)
    pool_items, _ = load_items(pool)
    items, pool_items = items[:limit], pool_items[:pool_limit]
    t0 = time.perf_counter()
    p_orig, p_att = score_attacks(pool_items, seed=FIT_SEED, wording=FIT_WORDING)
    p_orig = p_orig + score_restyled(pool_items, seed=FIT_SEED)
    s_orig, s_att = score_attacks(items, seed=MEASURE_SEED, wording=MEASURE_WORDING)
    held: dict[str, Gate] = {}
    for group in sorted(set(GROUPS.values())):
        fams = [f for f, g in GROUPS.items() if g == group]
        gate = fit_gate(p_orig, p_att, exclude=fams, version=f"held-out-{group}")
        held.update({f: gate for f in fams})
    shipped = load_builtin_gate()
    table = measure(
        s_orig, s_att, {"in_family": shipped, "held_out": held, "ungated": None}
    )
    meta = {
        "items": len(items),
        "data": data.name,
        "seed": MEASURE_SEED,
        "pool": pool.name,
        "pool_items": len(pool_items),
        "gate": shipped.version if shipped else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return table, meta


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=SAMPLE, help="measurement JSONL")
    ap.add_argument("--pool", type=Path, default=POOL, help="fitting JSONL (never the sample)")
    ap.add_argument("--limit", type=int, default=None, help="first N measurement items")
    ap.add_argument(
        "--pool-limit", type=int, default=None, help="first N pool items (default: the gate's, 400)"
    )
    ap.add_argument("--output", type=Path, default=REPO / "validation" / "ATTACKS.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the full table as JSON")
    ap.add_argument("--update-card", action="store_true")
    args = ap.parse_args(argv)
    try:
        from validation.fit_scorer import GATE_ITEMS

        table, meta = run(
            args.data, args.pool, limit=args.limit, pool_limit=args.pool_limit or GATE_ITEMS
        )
    except MedcotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    md = to_markdown(table, meta=meta)
    print(md)
    cmd = "python -m validation.run_attacks" + (
        f" --limit {args.limit}" if args.limit else ""
    )
    args.output.write_text(
        "# Gaming validity of the offline rubric scorer\n\nGenerated by `" + cmd + "` "
        f"(gate {meta['gate']}, {meta['seconds']} s). Method: validation/README.md.\n\n" + md + "\n",
        encoding="utf-8",
    )
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "table": table}, indent=1), encoding="utf-8")
    if args.update_card:
        updated = update_card(md, cmd, markers=(START, END))
        print("metric card updated" if updated else "metric card has no gaming markers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
