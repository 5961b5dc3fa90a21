"""Judge throughput against a local OpenAI-compatible server with a fixed per-call latency.

The fake server (tests/fake_openai_server.py) runs in its own process and sleeps ``--latency`` seconds
per call, so a run is latency-bound: at concurrency c the ideal throughput is ``c / latency`` items/s.
For each concurrency this script judges N items with a fresh on-disk cache and prints the measured
throughput, the fraction of the ideal, the client's CPU time per item (when it approaches the per-item
time budget ``latency / c``, the client, not the server, is the bottleneck) and peak RSS; each setting
is then rerun against its warm cache (all results must come from the cache).

    python bench/bench_judge.py                      # latency 50 ms, concurrency 1/8/32
    python bench/bench_judge.py --latency 0.02 --concurrency 1 4 16 64 --json
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger(__name__)


def _items(n: int, tag: str) -> list[dict]:
    return [{"id": f"{tag}-{i}", "prediction": f"解析 {tag}-{i}：胸片示右下肺实变，提示肺炎，故选A。",
             "question": "患者男，45岁，发热咳嗽三天。最可能的诊断是", "answers": ["A"],
             "options": [{"label": "A", "text": "肺炎"}, {"label": "B", "text": "哮喘"}]} for i in range(n)]


def _start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "fake_openai_server.py"), "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"fake server did not start (got {line!r})")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run(*, latency: float, concurrencies: list[int], items_per_slot: int, items: int | None) -> list[dict]:
    from medcot.judge import judge_many

    proc, base_url = _start_server(latency)
    rows = []
    try:
        judge_many(_items(4, "warmup"), base_url=base_url, model="bench", concurrency=4)  # imports, connections
        for c in concurrencies:
            n = items or items_per_slot * c
            batch = _items(n, f"c{c}")
            with tempfile.TemporaryDirectory() as cache:
                t0, cpu0 = time.perf_counter(), _cpu_seconds()
                res = judge_many(batch, base_url=base_url, model="bench", concurrency=c, cache_dir=cache)
                elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
                missing = sum(r.error is not None for r in res)
                t1 = time.perf_counter()
                again = judge_many(batch, base_url=base_url, model="bench", concurrency=c, cache_dir=cache)
                rerun = time.perf_counter() - t1
            ideal = c / latency
            rows.append({"concurrency": c, "items": n, "seconds": round(elapsed, 3),
                         "items_per_s": round(n / elapsed, 1), "ideal_items_per_s": round(ideal, 1),
                         "fraction_of_ideal": round(n / elapsed / ideal, 3), "missing": missing,
                         "client_cpu_ms_per_item": round(1000 * cpu / n, 2),
                         "rerun_seconds": round(rerun, 3), "rerun_all_cached": all(r.cached for r in again),
                         "peak_rss_mb": round(_peak_rss_mb(), 1)})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per call (default 0.05)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--items-per-slot", type=int, default=40,
                        help="items per unit of concurrency (N = this x concurrency) unless --items")
    parser.add_argument("--items", type=int, default=None, help="fixed N for every concurrency")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row")
    args = parser.parse_args(argv)
    rows = run(latency=args.latency, concurrencies=args.concurrency, items_per_slot=args.items_per_slot,
               items=args.items)
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    print(f"judge throughput vs a local server with {args.latency * 1000:.0f} ms per call (fresh cache per row)")
    print(f"{'conc':>5} {'items':>6} {'sec':>7} {'items/s':>9} {'ideal/s':>9} {'of ideal':>9} {'missing':>8} "
          f"{'cpu ms/item':>12} {'rerun s':>8} {'peak RSS MB':>12}")
    for r in rows:
        print(f"{r['concurrency']:>5} {r['items']:>6} {r['seconds']:>7.2f} {r['items_per_s']:>9.1f} "
              f"{r['ideal_items_per_s']:>9.1f} {r['fraction_of_ideal']:>9.1%} {r['missing']:>8} "
              f"{r['client_cpu_ms_per_item']:>12.2f} "
              f"{r['rerun_seconds']:>8.2f} {r['peak_rss_mb']:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
