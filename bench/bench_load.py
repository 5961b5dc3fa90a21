#!/usr/bin/env python
"""Benchmark: cold ``load_dataset(folder, "default")`` vs loading the same rows as one plain Parquet file.

A Hub folder is built once (untimed) with ``medcot build`` from the synthetic release. All rows of
its ``default`` config are then written to ONE plain Parquet file (same schema, same rows). Measured,
each as a whole process (interpreter start + imports + load) with a fresh Hugging Face cache every
run, repeated ``--repeat`` times round-robin (median):

* ``load_dataset(folder, "default")`` — what users of the Hub repo run;
* baseline: ``load_dataset("parquet", data_files=plain_file)`` — the best a Hub repo can do;
* for information: ``pyarrow.parquet.read_table(plain_file)`` and ``import datasets`` alone.

Target (issue 5): within 1.1x of the baseline.

Usage::

    python bench/bench_load.py                       # 31,247 records, 3 runs each
    python bench/bench_load.py --folder built_dir    # reuse an existing built folder
    python bench/bench_load.py --smoke               # tiny, seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from bench_build import build_argv
from generate_release import FULL_SCALE, write_release

logger = logging.getLogger(__name__)

LOAD_FOLDER = """
from datasets import load_dataset
dd = load_dataset({folder!r}, "default", cache_dir={cache!r})
rows = sum(d.num_rows for d in dd.values())
print("BENCH_RESULT " + __import__("json").dumps({{"rows": rows, "splits": sorted(dd)}}))
"""
LOAD_PLAIN = """
from datasets import load_dataset
ds = load_dataset("parquet", data_files={plain!r}, split="train", cache_dir={cache!r})
print("BENCH_RESULT " + __import__("json").dumps({{"rows": ds.num_rows}}))
"""
READ_TABLE = """
import pyarrow.parquet as pq
t = pq.read_table({plain!r})
print("BENCH_RESULT " + __import__("json").dumps({{"rows": t.num_rows}}))
"""
IMPORT_ONLY = "import datasets"


def write_plain(folder: Path, out: Path, *, cache: Path) -> tuple[int, int]:
    """Write every row of ``folder``'s ``default`` config to ONE Parquet file with ``Dataset.to_parquet``.

    ``datasets``' own writer (its default row-group size) is what a user pushing one plain file
    would produce. Returns (rows, row groups).
    """
    import pyarrow.parquet as pq
    from datasets import load_dataset

    files = sorted(str(p) for p in (folder / "data" / "default").rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder}: no data/default/*.parquet (was the build successful?)")
    ds = load_dataset("parquet", data_files=files, split="train", cache_dir=str(cache))
    ds.to_parquet(str(out))
    meta = pq.ParquetFile(out).metadata
    return meta.num_rows, meta.num_row_groups


def run(n: int, *, seed: int, work: Path, repeat: int, folder: Path | None, timeout: float | None,
        smoke: bool = False) -> dict[str, Any]:
    """Build (untimed) unless ``folder`` is given, then measure the loads (``smoke``: skip the info-only import step)."""
    notes: list[str] = []
    if folder is None:
        gen = write_release(work / "raw" / "release.jsonl", n=n, seed=seed)
        folder = work / "hub"
        built = h.run_step("medcot build (untimed setup)", build_argv(work / "raw", folder),
                           env=h.hf_env(work / "cache-build"), timeout=timeout)
        notes.append(f"{n:,} synthetic records ({gen['bytes'] / 2**20:.1f} MB JSONL, seed {seed})")
        if not built.ok:
            fail = h.Measurement('load_dataset(folder, "default")', None, None, built.returncode,
                                 error=f"medcot build failed: {built.error}")
            return {"n": n, "baseline": None, "steps": [fail], "notes": notes}
    plain = work / "plain.parquet"
    rows, groups = write_plain(folder, plain, cache=work / "cache-write-plain")
    notes.append(f"plain file (Dataset.to_parquet): {rows:,} rows, {groups} row groups, "
                 f"{plain.stat().st_size / 2**20:.1f} MB")

    def env_for(tag: str):
        return lambda i: h.hf_env(work / f"cache-{tag}-{i}")

    def code_for(tmpl: str, tag: str):
        return lambda i: h.python_step(tmpl.format(folder=str(folder), plain=str(plain),
                                                   cache=str(work / f"cache-{tag}-{i}" / "datasets")))

    specs = [
        ('plain: load_dataset("parquet", one file) (baseline)', code_for(LOAD_PLAIN, "plain"), env_for("plain")),
        ('load_dataset(folder, "default")', code_for(LOAD_FOLDER, "folder"), env_for("folder")),
        ("pyarrow.parquet.read_table(one file) (info)", code_for(READ_TABLE, "arrow"), env_for("arrow")),
    ]
    if not smoke:
        specs.append(("import datasets (info)", lambda i: h.python_step(IMPORT_ONLY), env_for("import")))
    # Round-robin so a busy spell of the (shared) machine hits every step alike.
    steps = h.run_interleaved(specs, repeat=repeat, timeout=timeout)
    base = steps[0]
    for m in steps:
        if m.ok:
            m.note = "runs: " + ", ".join(f"{s:.2f}" for s in m.runs)
            if "rows" in m.inner:
                m.note += f"; rows={m.inner['rows']:,}"
    return {"n": n, "baseline": base, "steps": steps, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    """Command line of the load benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None, help=f"records (default {FULL_SCALE:,})")
    ap.add_argument("--scale", type=float, default=None)
    h.add_common_args(ap, smoke_help="tiny run (200 records, 1 run) for the tests")
    ap.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    ap.add_argument("--folder", default=None, help="an already built Hub folder to load")
    args = ap.parse_args(argv)
    n = 200 if args.smoke else (args.n or round(FULL_SCALE * (args.scale or 1)))
    repeat = 1 if args.smoke else args.repeat
    with h.workdir(args.workdir) as work:
        res = run(n, seed=args.seed, work=work, repeat=repeat,
                  folder=Path(args.folder) if args.folder else None, timeout=args.timeout, smoke=args.smoke)
    body = h.table(res["steps"], baseline=res["baseline"])
    body += "\n\n" + "; ".join(res["notes"]) + (
        f"; whole process, fresh HF cache per run, median of {repeat}; target: <= 1.1x baseline. {h.machine_line()}")
    h.emit("load: load_dataset(folder) vs one plain Parquet file", body, payload=res, json_out=args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
