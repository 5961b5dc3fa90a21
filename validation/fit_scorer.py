"""Fit the offline scorer's learned parts on the CMExam pool rows (never the measurement sample).

Two artefacts, both small and pickle-free, written under ``medcot/rubric/model/``:

1. ``vocab-v1.npz`` — document frequencies of character bigrams over the pool's real
   explanations (:mod:`medcot.rubric.vocab`);
2. ``gate-v1.json`` — the real-vs-gamed logistic model (:mod:`medcot.rubric.gate`), fitted on the
   ungated signals of the pool's real explanations, as written and restyled
   (:func:`validation.run_attacks.restyle`; label 1), and of every attack family of
   :mod:`validation.attacks` generated with seed ``FIT_SEED`` (label 0).

Deterministic: the attacks are seeded per (seed, family, item) and the solver is deterministic,
so a rerun on the same pool file writes the same numbers. The pool is CMExam (Apache-2.0); the
metric card says so.

Command::

    python -m validation.fit_scorer --pool ../shared/realdata/cmexam_val_pool.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from medcot.errors import MedcotError
from medcot.rubric import gate as gate_module
from medcot.rubric import vocab as vocab_module
from validation.attacks import ATTACKS
from validation.run_attacks import (
    FIT_SEED,
    FIT_WORDING,
    POOL,
    fit_gate,
    score_attacks,
    score_restyled,
)
from validation.run_validity import load_items

GATE_VERSION = "gate-v1"
# 25 coefficients need far fewer than the ~116,000 texts of the whole pool: 400 items give
# ~14,000 texts (the held-out gates of run_attacks use the same rows).
GATE_ITEMS = 400


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pool", type=Path, default=POOL, help="fitting JSONL (CMExam pool rows)")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the gate")
    ap.add_argument(
        "--gate-items",
        type=int,
        default=GATE_ITEMS,
        help="pool items whose texts fit the gate (the first N usable rows; the vocabulary uses all)",
    )
    ap.add_argument("--out", type=Path, default=gate_module.BUILTIN.parent)
    args = ap.parse_args(argv)
    try:
        items, rejects = load_items(args.pool)
    except MedcotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "sample" in args.pool.name:
        print("error: refusing to fit on the measurement sample", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(args.pool.read_bytes()).hexdigest()
    vocab = vocab_module.Vocabulary.from_texts(it["cot"] for it in items)
    vocab.save(args.out / vocab_module.BUILTIN.name)
    vocab_module.load_builtin_vocabulary.cache_clear()
    print(f"vocabulary: {len(vocab.keys)} bigrams over {vocab.n_docs} explanations")
    gate_items = items[: args.gate_items]
    originals, attacked = score_attacks(gate_items, seed=FIT_SEED, wording=FIT_WORDING)
    # Genuine explanations in a second house style (markers removed, answer stated at the end).
    originals += score_restyled(gate_items, seed=FIT_SEED)
    meta = {
        "fitted_on": args.pool.name,
        "fitted_on_sha256": digest,
        "source": "CMExam (williamliujl/CMExam, Apache-2.0), validation rows with index % 5 in {1,3,4}",
        "items": len(gate_items),
        "vocabulary_items": len(items),
        "genuine_texts": len(originals),
        "rejected_rows": len(rejects),
        "attack_seed": FIT_SEED,
        "attack_wording": FIT_WORDING,
        "families": sorted(ATTACKS),
        "gamed_texts": sum(len(v) for v in attacked.values()),
        "c": args.c,
        "vocabulary": vocab_module.BUILTIN.name,
    }
    gate = fit_gate(originals, attacked, version=GATE_VERSION, c=args.c, meta=meta)
    path = args.out / gate_module.BUILTIN.name
    path.write_text(json.dumps(gate.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"gate: {len(originals)} genuine + {meta['gamed_texts']} gamed texts -> {path}")
    for name, coef in sorted(zip(gate.features, gate.coef), key=lambda x: -abs(x[1])):
        print(f"  {name:26s} {coef:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
