"""Run a seeded hostile corpus (``tests/hostile_files.py``) through the ``medcot`` CLI and check its promises.

Each case runs as its own process (``python -m medcot.cli ...``) in its own folder, watched for wall
time and resident memory (parent and children). Verdicts:

- ``ok``: exit 0 and the books balance — validate/build: ``rows in = records + rejects``, the rejects
  report has that many lines, and rows in equals the rows the generator wrote (when it knows);
  score: one output line per input row;
- ``clean error``: exit 2, an ``error:``/usage message, no traceback;
- ``traceback``: "Traceback" on stderr; ``hang``: killed at the time bound; ``over-memory``: killed
  at the memory bound; ``wrong balance``: exit 0 but the counts disagree; ``bad exit``: any other
  exit code (1 = an internal error the CLI caught).

Usage (the closing table of issue 12)::

    python tests/hostile_run.py --seed 12 --per-family 25 --jobs 2 --timeout 60
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_files import FAMILIES, Case, generate  # noqa: E402

VERDICTS = ("ok", "clean error", "traceback", "hang", "over-memory", "wrong balance", "bad exit")
BAD = frozenset(VERDICTS) - {"ok", "clean error"}
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """What one case did."""

    case: str
    family: str
    argv: list[str]
    rc: int | None
    seconds: float
    max_rss_mb: float
    verdict: str
    detail: str = ""


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and its children (0 once gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _lines(path: Path) -> int:
    if not path.exists():
        return -1
    with open(path, "rb") as f:
        return sum(1 for _ in f)


# Per verb that ingests: its balance line (rows in, records, rejects) and its rejects-report line.
_BOOKS = {
    "validate": (r"total: (\d+) rows in = (\d+) records \+ (\d+) rejects", r"rejects report: (.+) \(\d+ rows\)"),
    "build": (r"rows in = records \+ rejects: (\d+) = (\d+) \+ (\d+)", r"rejects report: (.+)"),
}


def check_balance(case: Case, argv: list[str], stdout: str, rejects: Path, out: Path) -> str:
    """'' when the books of an exit-0 run balance, else what disagrees."""
    verb = argv[0] if argv else ""
    if verb in _BOOKS:
        balance, report_line = _BOOKS[verb]
        m, rep = re.search(balance, stdout), re.search(report_line, stdout)
        if not m or not rep:
            return "no balance or rejects-report line in the output"
        n, r, j = map(int, m.groups())
        report = Path(rep.group(1).strip())
        lines = _lines(report if report.is_absolute() else rejects)
        if n != r + j:
            return f"rows in {n} != {r} records + {j} rejects"
        if lines != j:
            return f"{j} rejects but the report has {lines} lines"
        if case.expected_rows is not None and n != case.expected_rows:
            return f"{n} rows in, but the file holds {case.expected_rows}"
        return ""
    if verb == "score":
        try:
            summary = json.loads(stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return "no JSON summary"
        lines = _lines(out)
        if lines != summary.get("n_rows"):
            return f"{lines} output lines for {summary.get('n_rows')} rows"
        if case.expected_rows is not None and lines != case.expected_rows:
            return f"{lines} output lines, but the file holds {case.expected_rows} rows"
        return ""
    return ""


def run_case(case: Case, root: Path, *, timeout: float = 60.0, max_rss_mb: float = 2048.0) -> Outcome:
    """Materialise ``case`` under ``root`` and run it in a watched child process."""
    folder = case.materialize(root / "cases")
    side = root / "out"
    side.mkdir(parents=True, exist_ok=True)
    rejects, out = side / f"{case.name}.rejects.jsonl", side / f"{case.name}.out.jsonl"
    argv = [a.replace("{rejects}", str(rejects)).replace("{out}", str(out)) for a in case.argv]
    env = {k: v for k, v in os.environ.items() if k != "MEDCOT_DEBUG"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    out_path, err_path = side / f"{case.name}.stdout", side / f"{case.name}.stderr"
    import subprocess

    start = time.monotonic()
    with open(out_path, "wb") as so, open(err_path, "wb") as se:
        proc = subprocess.Popen([sys.executable, "-m", "medcot.cli", *argv], cwd=folder, stdin=subprocess.DEVNULL,
                                stdout=so, stderr=se, env=env, start_new_session=True)
        killed, peak = "", 0
        while True:
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - start
            rss = _tree_rss(proc.pid)
            peak = max(peak, rss)
            if not killed and (elapsed > timeout or rss > max_rss_mb * 2**20):
                killed = "hang" if elapsed > timeout else "over-memory"
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    # Polled, not ru_maxrss: a forked child's ru_maxrss counts the parent's pages from before exec.
    peak_mb = peak / 2**20
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    rc = proc.returncode
    tail = (stderr.strip().splitlines() or [""])[-1][:300]
    if killed:
        verdict = killed
    elif "Traceback" in stderr:
        verdict, tail = "traceback", stderr[-1500:]
    elif rc == 2:
        verdict = "clean error"
    elif rc == 0:
        problem = check_balance(case, argv, stdout, rejects, out)
        verdict, tail = ("wrong balance", problem) if problem else ("ok", "")
    else:
        verdict = "bad exit"
    if peak_mb > max_rss_mb and verdict in ("ok", "clean error"):
        verdict = "over-memory"
    return Outcome(case.name, case.family, case.argv, rc, round(seconds, 2), round(peak_mb, 1), verdict, tail)


def run_corpus(cases: list[Case], *, jobs: int = 2, timeout: float = 60.0, max_rss_mb: float = 2048.0,
               root: Path | None = None) -> list[Outcome]:
    """Run every case (``jobs`` at a time) and return the outcomes in case order."""
    tmp = None
    if root is None:
        tmp = root = Path(tempfile.mkdtemp(prefix="medcot-hostile-"))
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(lambda c: run_case(c, root, timeout=timeout, max_rss_mb=max_rss_mb), cases))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def table(outcomes: list[Outcome], *, by_family: bool = False) -> str:
    """The Markdown table of verdict counts (all families, optionally one row per family)."""
    head = "| build | tried | " + " | ".join(VERDICTS) + " |\n|---|---:|" + "---:|" * len(VERDICTS)
    groups: dict[str, list[Outcome]] = {"all families": outcomes}
    if by_family:
        for o in outcomes:
            groups.setdefault(o.family, []).append(o)
    lines = [head]
    for name, group in groups.items():
        counts = Counter(o.verdict for o in group)
        lines.append(f"| {name} | {len(group)} | " + " | ".join(str(counts.get(v, 0)) for v in VERDICTS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--per-family", type=int, default=25)
    ap.add_argument("--families", nargs="*", default=None, choices=sorted(FAMILIES))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--max-rss-mb", type=float, default=2048.0)
    ap.add_argument("--json", type=Path, default=None, help="write every outcome as JSON here")
    args = ap.parse_args(argv)
    cases = generate(args.seed, args.per_family, families=args.families)
    started = time.monotonic()
    outcomes = run_corpus(cases, jobs=args.jobs, timeout=args.timeout, max_rss_mb=args.max_rss_mb)
    print(table(outcomes, by_family=True))
    slowest = max(outcomes, key=lambda o: o.seconds)
    biggest = max(outcomes, key=lambda o: o.max_rss_mb)
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s; slowest {slowest.case} {slowest.seconds} s; "
          f"largest {biggest.case} {biggest.max_rss_mb} MiB")
    for o in outcomes:
        if o.verdict in BAD:
            print(f"{o.verdict}: {o.case} {' '.join(o.argv)} (rc {o.rc}, {o.seconds} s, {o.max_rss_mb} MiB): {o.detail}")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(o.verdict in BAD for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
