#!/usr/bin/env python
"""Benchmark: growth of build and scoring from 1x (31,247) to 4x (124,988) records.

For each scale, in its own process: ``medcot build`` of a synthetic release of that size, and
``medcot score pairs.jsonl --output out.jsonl --quiet`` (the streaming user path: read, score and
write every row, summarise) on that many (prediction, reference) pairs. The baseline of each step
is the same step at 1x in the same invocation. The CPU time (user + system, workers included) of
the score step is printed under the table, since wall time moves with the machine's load.

Targets (issue 5): time 4x/1x <= 4.5 (linear growth), peak RSS 4x/1x <= 1.5 (bounded memory:
stream rows, never hold several copies of the release).

Usage::

    python bench/bench_growth.py                 # 1x and 4x (several minutes)
    python bench/bench_growth.py --only build    # just the build
    python bench/bench_growth.py --smoke         # tiny (100 and 400 records) for the tests
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from bench_build import build_argv
from bench_score import cli_step
from generate_release import FULL_SCALE, write_pairs, write_release

logger = logging.getLogger(__name__)

TIME_TARGET, RSS_TARGET = 4.5, 1.5


def measure_scale(n: int, *, seed: int, work: Path, steps: tuple[str, ...], timeout: float | None) -> dict[str, h.Measurement]:
    """Measure the chosen steps at ``n`` records; inputs are deleted afterwards to save disk."""
    out: dict[str, h.Measurement] = {}
    d = work / f"n{n}"
    if "build" in steps:
        write_release(d / "raw" / "release.jsonl", n=n, seed=seed)
        out["build"] = h.run_step(f"medcot build ({n:,})", build_argv(d / "raw", d / "hub"),
                                  env=h.hf_env(d / "cache-build"), timeout=timeout)
    if "score" in steps:
        pairs = write_pairs(d / "pairs.jsonl", n=n, seed=seed)["path"]
        out["score"] = h.run_step(f"medcot score ({n:,})", cli_step(pairs, d / "scored.jsonl"),
                                  env=h.hf_env(d / "cache-score"), timeout=timeout)
        if out["score"].ok and out["score"].inner.get("pairs") != n:
            raise RuntimeError(f"medcot score wrote {out['score'].inner.get('pairs')} rows for {n} pairs")
    shutil.rmtree(d, ignore_errors=True)
    return out


def growth_table(small: dict[str, h.Measurement], big: dict[str, h.Measurement], factor: float) -> str:
    """Markdown table of the 1x and kx figures and their ratios.

    >>> a = {"build": h.Measurement("b", 10.0, 200.0, 0)}
    >>> b = {"build": h.Measurement("b", 40.0, 260.0, 0)}
    >>> print(growth_table(a, b, 4).splitlines()[-1])
    | build | 10.00 | 40.00 | 4.00x (ok) | 200 | 260 | 1.30x (ok) |
    """
    lines = [
        (f"| step | 1x s | {factor:g}x s | time ratio (<= {TIME_TARGET}) | 1x peak RSS MB | {factor:g}x peak RSS MB | "
         f"RSS ratio (<= {RSS_TARGET}) |"),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for step, s in small.items():
        b = big.get(step)
        tr = h.ratio(b.seconds if b else None, s.seconds)
        rr = h.ratio(b.peak_rss_mb if b else None, s.peak_rss_mb)
        t_txt = "—" if tr is None else f"{tr:.2f}x ({'ok' if tr <= TIME_TARGET else 'MISSED'})"
        r_txt = "—" if rr is None else f"{rr:.2f}x ({'ok' if rr <= RSS_TARGET else 'MISSED'})"
        err = "" if s.ok and b and b.ok else f" FAILED: {(s.error or (b.error if b else 'not run'))}"
        lines.append(f"| {step}{err} | {h.fmt(s.seconds)} | {h.fmt(b.seconds if b else None)} | {t_txt} | "
                     f"{h.fmt(s.peak_rss_mb, 0)} | {h.fmt(b.peak_rss_mb if b else None, 0)} | {r_txt} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line of the growth benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None, help=f"1x size (default {FULL_SCALE:,})")
    ap.add_argument("--factor", type=float, default=4.0)
    ap.add_argument("--only", choices=("build", "score"), default=None)
    h.add_common_args(ap, smoke_help="tiny run (100 and 400 records) for the tests")
    args = ap.parse_args(argv)
    n1 = 100 if args.smoke else (args.n or FULL_SCALE)
    nk = round(n1 * args.factor)
    steps = (args.only,) if args.only else ("build", "score")
    with h.workdir(args.workdir) as work:
        small = measure_scale(n1, seed=args.seed, work=work, steps=steps, timeout=args.timeout)
        big = measure_scale(nk, seed=args.seed, work=work, steps=steps, timeout=args.timeout)
    body = growth_table(small, big, args.factor)
    if "score" in small and "score" in big:
        cpu = [m.inner.get("cpu_seconds") for m in (small["score"], big["score"])]
        if all(isinstance(c, (int, float)) and c > 0 for c in cpu):
            body += (f"\n\nscore CPU time (user + system, workers included): 1x {cpu[0]:.1f} s, "
                     f"{args.factor:g}x {cpu[1]:.1f} s, ratio {cpu[1] / cpu[0]:.2f}x.")
    body += f"\n\n1x = {n1:,}, {args.factor:g}x = {nk:,} synthetic records, seed {args.seed}. {h.machine_line()}"
    payload: dict[str, Any] = {"n1": n1, "nk": nk, "small": small, "big": big}
    h.emit(f"growth: 1x -> {args.factor:g}x", body, payload=payload, json_out=args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
