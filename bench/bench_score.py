#!/usr/bin/env python
"""Benchmark: offline rubric scoring vs rouge_score's character ROUGE-L on the same pairs.

Measured, each in its own process:

* ``medcot.rubric.RubricScorer().score_many(items)`` — all five dimensions + char ROUGE-L — on N
  (prediction, reference) pairs (default 31,247), the whole item list and result list in memory;
* the user path, ``medcot score pairs.jsonl --output out.jsonl --quiet`` (whole process: read,
  normalise, score, write every row, summarise), which streams rows in bounded chunks;
* baseline: ``rouge_score.rouge_scorer.RougeScorer(["rougeL"], tokenizer=<char tokenizer>)`` — the
  library evaluate's ``rouge`` wraps, with a character tokenizer as Chinese benchmarks use — on the
  same pairs. rouge_score's LCS is pure Python and quadratic in the text length; in the default
  (quick) mode it runs on a deterministic random subsample and its time is extrapolated linearly to
  N pairs (the table says so). ``--full`` runs it on every pair.

Predictions are deterministic corruptions of the reference CoT (sentences dropped / shuffled, terms
swapped, answer changed, truncated) or another record's CoT; see ``generate_release.iter_pairs``.

Every step also reports its CPU time (user + system, the process and its reaped workers), since
the machine may be shared: wall time under load says little on its own.

Target (issue 5): rubric <= 0.05x the baseline's time, peak RSS < 1 GB.

Usage::

    python bench/bench_score.py                  # 31,247 pairs, baseline on a 500-pair subsample
    python bench/bench_score.py --full           # baseline on all pairs (slow: tens of minutes)
    python bench/bench_score.py --smoke          # tiny, seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from generate_release import FULL_SCALE, write_pairs

logger = logging.getLogger(__name__)

QUICK_SAMPLE = 500

# CPU seconds (user + system) of this process and of its reaped children (pool workers).
CPU_CODE = """
import resource as _r
def _cpu():
    a, b = _r.getrusage(_r.RUSAGE_SELF), _r.getrusage(_r.RUSAGE_CHILDREN)
    return round(a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime, 3)
"""

# Reads the items outside the timed region and reports the in-process scoring time separately.
RUBRIC_CODE = CPU_CODE + """
import json, time
t0 = time.perf_counter()
from medcot.rubric import RubricScorer
items = [json.loads(line) for line in open({pairs!r}, encoding="utf-8")]
t1 = time.perf_counter()
scorer = RubricScorer()
results = scorer.score_many(items)
t2 = time.perf_counter()
assert len(results) == len(items)
with open({values!r}, "w") as fh:
    json.dump([r.rouge_l for r in results], fh)
overall = sum(r.overall for r in results) / max(len(results), 1)
print("BENCH_RESULT " + json.dumps({{"pairs": len(results), "setup_seconds": round(t1 - t0, 3),
      "compute_seconds": round(t2 - t1, 3), "mean_overall": round(overall, 4), "cpu_seconds": _cpu()}}))
"""

# The user path, as `medcot score PAIRS --output OUT --quiet` runs it (medcot.cli.main is the console
# script's entry point), with CPU time and a check that every row was written.
CLI_CODE = CPU_CODE + """
import json, sys, time
t0 = time.perf_counter()
from medcot.cli import main
rc = main(["score", {pairs!r}, "--output", {out!r}, "--quiet"{extra}])
t1 = time.perf_counter()
if rc:
    sys.exit(rc)
n = 0
overall = 0.0
with open({out!r}, encoding="utf-8") as fh:
    for line in fh:
        n += 1
        overall += json.loads(line)["overall"] or 0.0
print("BENCH_RESULT " + json.dumps({{"pairs": n, "compute_seconds": round(t1 - t0, 3),
      "mean_overall": round(overall / max(n, 1), 4), "cpu_seconds": _cpu()}}))
"""


def cli_step(pairs: str | Path, out: str | Path, *, extra: tuple[str, ...] = ()) -> list[str]:
    """argv of the measured ``medcot score`` step (``extra``: more CLI options)."""
    tail = "".join(f", {a!r}" for a in extra)
    return h.python_step(CLI_CODE.format(pairs=str(pairs), out=str(out), extra=tail))


def cpu_note(m: h.Measurement) -> str:
    """'CPU x s' of a step that reported it (empty otherwise)."""
    cpu = m.inner.get("cpu_seconds")
    return f"CPU {cpu:.1f} s" if isinstance(cpu, (int, float)) else ""

BASELINE_CODE = CPU_CODE + """
import json, time
import numpy as np
t0 = time.perf_counter()
from rouge_score import rouge_scorer

class CharTokenizer:
    # One token per character, as character-level Chinese ROUGE-L does.
    def tokenize(self, text):
        return list(text)

items = [json.loads(line) for line in open({pairs!r}, encoding="utf-8")]
n = len(items)
sample = {sample!r}
if sample and sample < n:
    idx = sorted(np.random.Generator(np.random.PCG64(12345)).choice(n, size=sample, replace=False).tolist())
else:
    idx = list(range(n))
scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=CharTokenizer())
t1 = time.perf_counter()
values = [scorer.score(items[i]["reference"], items[i]["prediction"])["rougeL"].fmeasure for i in idx]
t2 = time.perf_counter()
with open({values!r}, "w") as fh:
    json.dump({{"idx": idx, "f": values}}, fh)
print("BENCH_RESULT " + json.dumps({{"pairs": n, "scored": len(idx), "setup_seconds": round(t1 - t0, 3),
      "compute_seconds": round(t2 - t1, 3), "cpu_seconds": _cpu()}}))
"""


def extrapolate(m: h.Measurement) -> h.Measurement:
    """Scale a subsampled baseline to all pairs: setup/import time + compute time x pairs/scored.

    >>> m = h.Measurement("b", 12.0, 50.0, 0, {"pairs": 100, "scored": 10, "compute_seconds": 10.0})
    >>> extrapolate(m).seconds
    102.0
    """
    pairs, scored = m.inner.get("pairs"), m.inner.get("scored")
    if not m.ok or not pairs or not scored or scored >= pairs:
        return m
    compute = float(m.inner["compute_seconds"])
    overhead = (m.seconds or 0.0) - compute
    est = overhead + compute * pairs / scored
    return h.Measurement(
        f"{m.label} [extrapolated]", round(est, 3), m.peak_rss_mb, 0, dict(m.inner), None, m.runs,
        f"measured {scored:,} of {pairs:,} pairs in {compute:.2f} s ({1000 * compute / scored:.1f} ms/pair), "
        f"scaled linearly; whole process {m.seconds:.2f} s",
        maxrss_mb=m.maxrss_mb, tree_rss_mb=m.tree_rss_mb, tree_pss_mb=m.tree_pss_mb,
    )


def agreement(rubric_values: Path, baseline_values: Path) -> dict[str, float] | None:
    """Mean / max |difference| between medcot's char ROUGE-L F and rouge_score's on the scored pairs.

    medcot normalises text before the LCS (see ``medcot.textsim.char_normalize``) and rouge_score does
    not, so small differences are expected; this is information, not a test.
    """
    try:
        ours = json.loads(rubric_values.read_text())
        base = json.loads(baseline_values.read_text())
    except (OSError, ValueError):
        return None
    diffs = [abs((ours[i] or 0.0) - f) for i, f in zip(base["idx"], base["f"])]
    if not diffs:
        return None
    return {"mean_abs_diff": sum(diffs) / len(diffs), "max_abs_diff": max(diffs), "pairs": len(diffs)}


def run(n: int, *, seed: int, work: Path, sample: int | None, timeout: float | None,
        previous: Path | None = None) -> dict[str, Any]:
    """Generate the pairs, run the three steps (four with ``previous``: the same score_many step
    on another checkout of the package, e.g. the scorer before a change) and return the measurements."""
    gen = write_pairs(work / "pairs.jsonl", n=n, seed=seed)
    pairs = Path(gen["path"])
    env = h.hf_env(work / "cache")
    base = h.run_step(
        "rouge_score char ROUGE-L (baseline)",
        h.python_step(BASELINE_CODE.format(pairs=str(pairs), sample=sample, values=str(work / "base.json"))),
        env=env, timeout=timeout,
    )
    base_x = extrapolate(base)
    ours = h.run_step(
        "medcot RubricScorer.score_many (5 dims + char ROUGE-L)",
        h.python_step(RUBRIC_CODE.format(pairs=str(pairs), values=str(work / "ours.json"))),
        env=env, timeout=timeout,
    )
    if ours.ok:
        ours.note = (f"scoring call {ours.inner.get('compute_seconds')} s, "
                     f"{1000 * ours.inner.get('compute_seconds', 0) / max(n, 1):.3f} ms/pair; {cpu_note(ours)}; "
                     f"RSS largest process {ours.maxrss_mb:.0f} MB, process-tree PSS {ours.tree_pss_mb:.0f} MB "
                     f"(RSS sum {ours.tree_rss_mb:.0f} MB)")
    prev = None
    if previous is not None:
        prev_env = dict(env, PYTHONPATH=str(previous))
        prev = h.run_step(
            f"previous scorer ({previous.name}) score_many, same pairs",
            h.python_step(RUBRIC_CODE.format(pairs=str(pairs), values=str(work / "prev.json"))),
            env=prev_env, cwd=previous, timeout=timeout,
        )
        if prev.ok and ours.ok:
            ratio = ours.inner["compute_seconds"] / max(prev.inner["compute_seconds"], 1e-9)
            prev.note = (f"scoring call {prev.inner.get('compute_seconds')} s; this scorer / previous = "
                         f"{ratio:.2f}x per pair; {cpu_note(prev)}; RSS largest process {prev.maxrss_mb:.0f} MB")
    cli = h.run_step("medcot score pairs.jsonl --output out.jsonl --quiet (streaming, whole process)",
                     cli_step(pairs, work / "out.jsonl"), env=env, timeout=timeout)
    if cli.ok:
        if cli.inner.get("pairs") != n:
            raise RuntimeError(f"medcot score wrote {cli.inner.get('pairs')} rows for {n} pairs")
        cli.note = (f"{cpu_note(cli)}; mean overall {cli.inner.get('mean_overall')} "
                    f"(score_many: {ours.inner.get('mean_overall')}); RSS largest process {cli.maxrss_mb:.0f} MB, "
                    f"process-tree PSS {cli.tree_pss_mb:.0f} MB (RSS sum {cli.tree_rss_mb:.0f} MB)")
    if base_x is base and base.ok:
        base.note = f"{1000 * base.inner.get('compute_seconds', 0) / max(base.inner.get('scored', 1), 1):.1f} ms/pair"
    if base.ok:
        base_x.note = "; ".join(x for x in (base_x.note, cpu_note(base) + " (measured part)") if x)
    agree = agreement(work / "ours.json", work / "base.json") if ours.ok and base.ok else None
    return {"n": n, "pairs_bytes": gen["bytes"], "baseline": base_x, "baseline_measured": base,
            "steps": [base_x, ours, *([prev] if prev else []), cli], "rouge_l_agreement": agree}


def main(argv: list[str] | None = None) -> int:
    """Command line of the scoring benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None, help=f"pairs (default {FULL_SCALE:,})")
    ap.add_argument("--scale", type=float, default=None, help="multiple of the full scale")
    h.add_common_args(ap, smoke_help="tiny run (60 pairs) for the tests")
    ap.add_argument("--full", action="store_true", help="run the rouge_score baseline on every pair")
    ap.add_argument("--sample", type=int, default=QUICK_SAMPLE, help="baseline subsample in quick mode")
    ap.add_argument("--previous", type=Path, default=None,
                    help="another checkout of the project (e.g. `git worktree add /tmp/old REV`): its scorer "
                         "runs the same score_many step, and the ratio is printed")
    args = ap.parse_args(argv)
    n = 60 if args.smoke else (args.n or round(FULL_SCALE * (args.scale or 1)))
    sample = None if args.full else (6 if args.smoke else args.sample)
    with h.workdir(args.workdir) as work:
        res = run(n, seed=args.seed, work=work, sample=sample, timeout=args.timeout, previous=args.previous)
    body = h.table(res["steps"], baseline=res["baseline"])
    agree = res["rouge_l_agreement"]
    if agree:
        body += (f"\n\nchar ROUGE-L F, medcot vs rouge_score on {agree['pairs']:,} pairs: mean |diff| "
                 f"{agree['mean_abs_diff']:.4f}, max {agree['max_abs_diff']:.4f} (medcot normalises text first).")
    mode = "full" if sample is None else f"quick (baseline on {min(sample, n):,} pairs, extrapolated)"
    body += (f"\n\n{n:,} synthetic pairs, seed {args.seed}, mode {mode}; target: rubric <= 0.05x baseline, "
             f"peak RSS < 1024 MB. {h.machine_line()}")
    h.emit(f"score: offline rubric vs rouge_score char ROUGE-L ({n:,} pairs)", body, payload=res, json_out=args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
