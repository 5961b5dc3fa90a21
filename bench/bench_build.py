#!/usr/bin/env python
"""Benchmark: raw release -> Hub-ready folder (all configs) vs the plain json -> parquet path.

Measured, each in its own process with a fresh Hugging Face cache:

* ``medcot build --data-dir RAW --out DIR --no-verify`` (all configs, card included);
* baseline: ``load_dataset("json", data_files=RAW)`` + ``Dataset.to_parquet`` of the same rows.

Target (issue 5): medcot build <= 3x the baseline. The raw release is the synthetic one of
``bench/generate_release.py`` (benchmark-only data).

Usage::

    python bench/bench_build.py                 # 31,247 records
    python bench/bench_build.py --scale 4       # 124,988 records
    python bench/bench_build.py --smoke         # tiny, seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from generate_release import FULL_SCALE, write_release

logger = logging.getLogger(__name__)

BASELINE_CODE = """
from datasets import load_dataset
ds = load_dataset("json", data_files={raw!r}, split="train", cache_dir={cache!r})
ds.to_parquet({out!r})
print("BENCH_RESULT " + __import__("json").dumps({{"rows": ds.num_rows}}))
"""

# Information only: where the build's time goes, through the public Python API.
PHASES_CODE = """
import json, time
t0 = time.perf_counter()
from medcot.ingest import ingest
from medcot.export import export
t1 = time.perf_counter()
result = ingest({raw!r})
t2 = time.perf_counter()
export(result, {out!r})
t3 = time.perf_counter()
print("BENCH_RESULT " + json.dumps({{"import_seconds": round(t1 - t0, 3), "ingest_seconds": round(t2 - t1, 3),
      "export_seconds": round(t3 - t2, 3), "records": result.n_records, "rejects": len(result.rejects)}}))
"""


def build_argv(raw_dir: Path, out: Path) -> list[str]:
    """The ``medcot build`` command line measured by this benchmark."""
    return [sys.executable, "-m", "medcot.cli", "build", "--data-dir", str(raw_dir), "--out", str(out), "--no-verify"]


def folder_rows(out: Path) -> dict[str, int]:
    """Rows per config of a built folder (``data/<config>/*.parquet``), read from Parquet footers.

    >>> folder_rows(Path("/nonexistent"))
    {}
    """
    import pyarrow.parquet as pq

    rows: dict[str, int] = {}
    data = out / "data"
    if not data.is_dir():
        return rows
    for cfg in sorted(p for p in data.iterdir() if p.is_dir()):
        rows[cfg.name] = sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(cfg.rglob("*.parquet")))
    return rows


def _hub(i: int) -> str:
    return "hub" if i == 0 else f"hub-{i}"


def run(n: int, *, seed: int, work: Path, timeout: float | None, repeat: int = 1, phases: bool = False) -> dict[str, Any]:
    """Generate the release, run both steps ``repeat`` times (median) and return the measurements."""
    raw_dir = work / "raw"
    gen = write_release(raw_dir / "release.jsonl", n=n, seed=seed)
    raw = Path(gen["path"])

    # Fresh output folder and HF cache for every repetition; round-robin against load drift.
    base, ours = h.run_interleaved([
        ("plain: load_dataset(json) + to_parquet (baseline)",
         lambda i: h.python_step(BASELINE_CODE.format(raw=str(raw), cache=str(work / f"cache-plain-{i}" / "datasets"),
                                                      out=str(work / f"plain-{i}.parquet"))),
         lambda i: h.hf_env(work / f"cache-plain-{i}")),
        ("medcot build (all configs)", lambda i: build_argv(raw_dir, work / _hub(i)),
         lambda i: h.hf_env(work / f"cache-build-{i}")),
    ], repeat=repeat, timeout=timeout)
    steps = [base, ours]
    if phases:
        ph = h.run_step("phases: ingest() then export() (info)",
                        h.python_step(PHASES_CODE.format(raw=str(raw), out=str(work / "hub-phases"))),
                        env=h.hf_env(work / "cache-phases"), timeout=timeout)
        if ph.ok:
            ph.note = ", ".join(f"{k} {ph.inner.get(k)}" for k in ("import_seconds", "ingest_seconds", "export_seconds"))
        steps.append(ph)
    rows = folder_rows(work / "hub")
    for m in (base, ours):
        if m.ok and repeat > 1:
            m.note = "runs: " + ", ".join(f"{x:.2f}" for x in m.runs) + "; "
    if ours.ok:
        ours.note += "rows per config: " + ", ".join(f"{k}={v:,}" for k, v in rows.items())
        rejects = work / "hub.rejects.jsonl"  # medcot build writes rejects beside the folder
        n_rej = sum(1 for _ in rejects.open(encoding="utf-8")) if rejects.exists() else 0
        ours.note += f"; rejects={n_rej:,}"
    if base.ok:
        base.note += f"rows={base.inner.get('rows', 0):,}"
    return {"n": n, "raw_bytes": gen["bytes"], "generate_seconds": gen["seconds"], "baseline": base,
            "steps": steps, "rows_per_config": rows}


def main(argv: list[str] | None = None) -> int:
    """Command line of the build benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None, help=f"records (default {FULL_SCALE:,})")
    ap.add_argument("--scale", type=float, default=None, help="multiple of the full scale")
    h.add_common_args(ap, smoke_help="tiny run (200 records) for the tests")
    ap.add_argument("--repeat", type=int, default=1, help="runs per step (median)")
    ap.add_argument("--phases", action="store_true", help="also time ingest() and export() separately (info)")
    args = ap.parse_args(argv)
    n = 200 if args.smoke else (args.n or round(FULL_SCALE * (args.scale or 1)))
    with h.workdir(args.workdir) as work:
        res = run(n, seed=args.seed, work=work, timeout=args.timeout, repeat=1 if args.smoke else args.repeat,
                  phases=args.phases)
    body = h.table(res["steps"], baseline=res["baseline"])
    body += (f"\n\n{n:,} synthetic records ({res['raw_bytes'] / 2**20:.1f} MB JSONL, seed {args.seed}); "
             f"median of {1 if args.smoke else args.repeat} run(s); target: medcot build <= 3x baseline. {h.machine_line()}")
    h.emit(f"build: raw release -> Hub folder ({n:,} records)", body, payload=res, json_out=args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
