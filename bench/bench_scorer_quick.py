"""Quick speed check of the offline rubric: the real sample scored against itself and against others.

Scores all 1,151 usable real explanations of ../shared/realdata/cmexam_val_sample.jsonl as
(prediction, reference) pairs twice — each against itself ("self") and against the next item's
explanation ("cross") — with question, options and gold answer, and prints pairs/s and peak RSS.
The full-scale benchmarks (31,247 pairs, ratio vs rouge_score) are in the other bench/ scripts.

    python bench/bench_scorer_quick.py [path.jsonl] [--processes N]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medcot.rubric import RubricScorer
from validation.run_validity import load_items

logger = logging.getLogger(__name__)


def _cpu() -> float:
    """User+sys CPU seconds of this process and its finished children (pool workers).

    Other jobs on a shared machine slow wall time; CPU time is the steadier measure.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "path",
        nargs="?",
        default=str(REPO.parent / "shared" / "realdata" / "cmexam_val_sample.jsonl"),
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes (default: CPU count)",
    )
    ap.add_argument(
        "--parallel-min",
        type=int,
        default=4000,
        help="smallest batch that uses a process pool",
    )
    args = ap.parse_args()
    items, rejects = load_items(args.path)
    n = len(items)
    pairs = []
    for i, it in enumerate(items):
        kw = {
            "question": it["question"],
            "options": it["options"],
            "answers": it["answer"],
        }
        pairs.append({"prediction": it["cot"], "reference": it["cot"], **kw})
        pairs.append(
            {"prediction": it["cot"], "reference": items[(i + 1) % n]["cot"], **kw}
        )
    scorer = RubricScorer()
    scorer.score("预热。")  # builds the lexicon automaton; not part of the timing
    t0, c0 = time.perf_counter(), _cpu()
    res = scorer.score_many(
        pairs, processes=args.processes, parallel_min=args.parallel_min
    )
    dt, cpu = time.perf_counter() - t0, _cpu() - c0
    rss = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    print(
        f"{len(res)} pairs ({n} items x self+cross, {len(rejects)} rows without explanation skipped)"
    )
    print(
        f"{dt:.2f} s wall, {len(res) / dt:,.0f} pairs/s; CPU (user+sys, workers included) {cpu:.2f} s "
        f"({len(res) / max(cpu, 1e-9):,.0f} pairs per CPU-second); peak RSS {rss:.0f} MB"
    )
    print(
        f"load average now: {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())} (other jobs slow wall time)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
