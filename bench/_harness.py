"""Shared helpers of the benchmark scripts: run a step in its own process, time it, measure its peak RSS.

Every measured step is a separate child process, so each figure is the whole-process cost of that
step (interpreter start, imports, work) and the peak RSS of one step never leaks into the next.

Peak RSS is the larger of two readings:

* ``ru_maxrss`` of the step from ``os.wait4`` (the largest single process in the step's tree that
  was waited for — exact, but a maximum, not a sum, over worker processes);
* the sum of PSS (proportional set size: pages shared by forked workers are split between them,
  not counted once per worker) over the step's whole process tree, polled with psutil every
  ``POLL_S * PSS_EVERY`` seconds (catches concurrent worker pools; may miss a peak shorter than the
  poll interval). The plain RSS sum is kept in the JSON as ``tree_rss_mb`` for information.

Linux carries the high-water RSS of the image a process had *before* ``exec`` into ``ru_maxrss``, so
a step forked straight from this (possibly large) process would report this process's RSS. Each
step is therefore started by a tiny launcher interpreter (:data:`LAUNCHER`, ~10 MB) that spawns the
command, waits for it and writes its wall time and ``ru_maxrss`` to a file.

A child may print one line ``BENCH_RESULT {json}`` on stdout to report in-process figures (for
example the seconds spent in the scoring call alone); it lands in :attr:`Measurement.inner`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

POLL_S = 0.05
PSS_EVERY = 4  # PSS (smaps_rollup) every 4th poll, i.e. every 0.2 s
RESULT_PREFIX = "BENCH_RESULT "
REPO = Path(__file__).resolve().parents[1]

# argv: result file, then the command. Only os/sys/time/json are imported so the launcher stays tiny.
LAUNCHER = """
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, ru = os.wait4(pid, 0)
seconds = time.perf_counter() - t0
rc = os.waitstatus_to_exitcode(status)
with open(out, "w") as fh:
    json.dump({"seconds": seconds, "maxrss_kb": ru.ru_maxrss, "rc": rc}, fh)
sys.exit(rc if 0 <= rc < 256 else 1)
"""


@dataclass
class Measurement:
    """One measured step (or the median of several repetitions)."""

    label: str
    seconds: float | None  # whole-process wall time; None when the step failed
    peak_rss_mb: float | None
    returncode: int
    inner: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # last stderr line of a failed step
    runs: list[float] = field(default_factory=list)  # wall time of every repetition
    note: str = ""
    maxrss_mb: float | None = None  # largest single process (wait4 ru_maxrss)
    tree_rss_mb: float | None = None  # largest polled RSS sum over the process tree (double-counts shared pages)
    tree_pss_mb: float | None = None  # largest polled PSS sum over the process tree (shared pages split)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.seconds is not None


def _tree_memory(proc: Any, *, pss: bool) -> int:
    """Sum of RSS (or, with ``pss``, proportional set size) over the step's process tree."""
    import psutil

    total = 0
    try:
        procs = proc.children(recursive=True)  # the launcher itself is not part of the step
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_full_info().pss if pss else p.memory_info().rss
        except (psutil.Error, AttributeError):
            pass
    return total


def _poll_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Poll the step's tree: RSS sum every POLL_S, PSS sum every PSS_EVERY-th poll (reading smaps costs more)."""
    try:
        import psutil
    except ImportError:  # psutil missing: rely on ru_maxrss
        return
    try:
        proc = psutil.Process(pid)
    except psutil.Error:  # the step already ended
        return
    i = 0
    while not stop.is_set():
        peak[0] = max(peak[0], _tree_memory(proc, pss=False))
        if i % PSS_EVERY == 0:
            peak[1] = max(peak[1], _tree_memory(proc, pss=True))
        i += 1
        stop.wait(POLL_S)


def _parse_inner(stdout: str) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            inner.update(json.loads(line[len(RESULT_PREFIX):]))
    return inner


def run_step(label: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
             cwd: str | Path | None = None, timeout: float | None = None) -> Measurement:
    """Run ``argv`` as a child process and measure its wall time and peak RSS.

    Args:
        label: row label of the step.
        argv: the command (e.g. ``[sys.executable, "-c", code]``).
        env: environment of the child (default: this process's).
        cwd: working directory of the child.
        timeout: seconds after which the child is killed (the step then counts as failed).

    Returns:
        A :class:`Measurement`; ``seconds`` is None when the step failed.

    >>> m = run_step("hello", [sys.executable, "-c", "print('BENCH_RESULT {\\"x\\": 1}')"])
    >>> m.ok, m.inner, m.peak_rss_mb > 1
    (True, {'x': 1}, True)
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err, \
            tempfile.TemporaryDirectory(prefix="medcot-step-") as tmp:
        result_file = Path(tmp) / "launcher.json"
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(result_file), *argv], stdout=out,
                                stderr=err, env=dict(env) if env is not None else None,
                                cwd=str(cwd) if cwd else None, start_new_session=True)
        stop, peak = threading.Event(), [0, 0]
        poller = threading.Thread(target=_poll_rss, args=(proc.pid, stop, peak), daemon=True)
        poller.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the launcher and the step share a new session
            proc.wait()
        wall = time.perf_counter() - t0
        stop.set()
        poller.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        try:
            launched = json.loads(result_file.read_text())
        except (OSError, ValueError):  # killed, or the command could not be started
            launched = {"seconds": wall, "maxrss_kb": 0, "rc": proc.returncode or -9}
    seconds = float(launched["seconds"])
    # ru_maxrss is in KiB on Linux.
    # PSS splits pages shared by forked workers between them; fall back to the RSS sum without it.
    tree = peak[1] or peak[0]
    peak_mb = max(launched["maxrss_kb"] * 1024, tree) / 2**20
    parts = {"maxrss_mb": round(launched["maxrss_kb"] / 1024, 1), "tree_rss_mb": round(peak[0] / 2**20, 1),
             "tree_pss_mb": round(peak[1] / 2**20, 1)}
    proc.returncode = launched["rc"] if proc.returncode == 0 else proc.returncode
    rc = proc.returncode
    if rc != 0:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        error = lines[-1][:300] if lines else f"exit code {rc}"
        logger.warning("step %s failed (%s): %s", label, rc, error)
        return Measurement(label, None, round(peak_mb, 1), rc, _parse_inner(stdout), error, [round(seconds, 3)], **parts)
    return Measurement(label, round(seconds, 3), round(peak_mb, 1), rc, _parse_inner(stdout), None, [round(seconds, 3)],
                       **parts)


def run_repeated(label: str, make_argv: Any, *, repeat: int = 3, env_for: Any = None,
                 timeout: float | None = None) -> Measurement:
    """Run a step ``repeat`` times (fresh arguments/env per run) and keep the median time.

    Args:
        label: row label.
        make_argv: ``make_argv(i) -> argv`` for repetition ``i``.
        repeat: number of repetitions.
        env_for: optional ``env_for(i) -> env``.
        timeout: per-run timeout in seconds.

    Returns:
        The median wall time, the largest peak RSS, ``runs`` holding every wall time; the first
        failure is returned as is.

    >>> m = run_repeated("noop", lambda i: [sys.executable, "-c", "pass"], repeat=2)
    >>> m.ok, len(m.runs)
    (True, 2)
    """
    runs: list[Measurement] = []
    for i in range(repeat):
        m = run_step(label, make_argv(i), env=env_for(i) if env_for else None, timeout=timeout)
        if not m.ok:
            return m
        runs.append(m)
    return _median_of(label, runs)


def run_interleaved(specs: Sequence[tuple[str, Any, Any]], *, repeat: int = 3,
                    timeout: float | None = None) -> list[Measurement]:
    """Run several steps round-robin (A B C, A B C, ...) and keep each step's median.

    Interleaving spreads slow drifts of a shared machine's load over every step instead of
    penalising whichever step ran during a busy spell.

    Args:
        specs: ``(label, make_argv, env_for)`` per step; ``make_argv(i)`` / ``env_for(i)`` give the
            command and environment of repetition ``i`` (``env_for`` may be None).
        repeat: rounds.
        timeout: per-run timeout in seconds.

    Returns:
        One :class:`Measurement` per step, in ``specs`` order (a failed step keeps its first failure).

    >>> a, b = run_interleaved([("a", lambda i: [sys.executable, "-c", "pass"], None),
    ...                         ("b", lambda i: [sys.executable, "-c", "pass"], None)], repeat=2)
    >>> a.ok and b.ok, len(a.runs), len(b.runs)
    (True, 2, 2)
    """
    done: dict[int, list[Measurement]] = {k: [] for k in range(len(specs))}
    failed: dict[int, Measurement] = {}
    for i in range(repeat):
        for k, (label, make_argv, env_for) in enumerate(specs):
            if k in failed:
                continue
            m = run_step(label, make_argv(i), env=env_for(i) if env_for else None, timeout=timeout)
            if m.ok:
                done[k].append(m)
            else:
                failed[k] = m
    return [failed[k] if k in failed else _median_of(specs[k][0], done[k]) for k in range(len(specs))]


def _median_of(label: str, runs: list[Measurement]) -> Measurement:
    secs = [m.seconds for m in runs if m.seconds is not None]
    inner: dict[str, Any] = {}
    for key in runs[0].inner:
        vals = [m.inner.get(key) for m in runs]
        inner[key] = statistics.median(vals) if all(isinstance(v, (int, float)) for v in vals) else vals[0]
    return Measurement(label, round(statistics.median(secs), 3), max(m.peak_rss_mb or 0 for m in runs), 0, inner,
                       None, [m.seconds or 0.0 for m in runs], maxrss_mb=max(m.maxrss_mb or 0 for m in runs),
                       tree_rss_mb=max(m.tree_rss_mb or 0 for m in runs),
                       tree_pss_mb=max(m.tree_pss_mb or 0 for m in runs))


def hf_env(cache_root: str | Path) -> dict[str, str]:
    """Environment for a child with a fresh, private Hugging Face cache and no network.

    >>> e = hf_env("/tmp/x")
    >>> e["HF_DATASETS_CACHE"], e["HF_HUB_OFFLINE"]
    ('/tmp/x/datasets', '1')
    """
    root = Path(cache_root)
    env = dict(os.environ)
    env.update({
        "HF_HOME": str(root / "home"),
        "HF_DATASETS_CACHE": str(root / "datasets"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        "TQDM_DISABLE": "1",
        "PYTHONHASHSEED": "0",
    })
    return env


def add_common_args(ap: Any, *, smoke_help: str) -> None:
    """The options every bench script shares: --seed, --smoke, --json, --workdir, --timeout."""
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help=smoke_help)
    ap.add_argument("--json", dest="json_out", default=None, help="also write the figures as JSON")
    ap.add_argument("--workdir", default=None, help="keep inputs/outputs here instead of a temp dir")
    ap.add_argument("--timeout", type=float, default=None, help="per-step timeout in seconds")


@contextmanager
def workdir(keep: str | None = None) -> Iterator[Path]:
    """A temporary working directory, removed afterwards unless ``keep`` names a directory to use."""
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="medcot-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def python_step(code: str) -> list[str]:
    """argv running ``code`` in a fresh interpreter of this Python (the project venv)."""
    return [sys.executable, "-c", code]


def fmt(x: float | None, digits: int = 2) -> str:
    """Format a number for the table; ``—`` for a missing value.

    >>> fmt(1.234), fmt(None)
    ('1.23', '—')
    """
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` or None when either is missing or ``b`` is zero.

    >>> ratio(3.0, 1.5), ratio(None, 1.0)
    (2.0, None)
    """
    if a is None or b is None or b == 0:
        return None
    return a / b


def table(rows: Sequence[Measurement], *, baseline: Measurement | None, extra: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Markdown table: step, seconds, ratio vs ``baseline``, peak RSS, notes.

    >>> b = Measurement("plain", 2.0, 100.0, 0)
    >>> print(table([b, Measurement("ours", 3.0, 150.0, 0)], baseline=b).splitlines()[-1])
    | ours | 3.00 | 1.50x | 150 | 1.50x |  |
    """
    lines = [
        "| step | seconds | time vs baseline | peak RSS MB | RSS vs baseline | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in rows:
        r = ratio(m.seconds, baseline.seconds) if baseline else None
        rr = ratio(m.peak_rss_mb, baseline.peak_rss_mb) if baseline else None
        note = m.note
        if not m.ok:
            note = (note + "; " if note else "") + f"FAILED: {m.error}"
        lines.append(
            f"| {m.label} | {fmt(m.seconds)} | {'—' if r is None else f'{r:.2f}x'} | {fmt(m.peak_rss_mb, 0)} | "
            f"{'—' if rr is None else f'{rr:.2f}x'} | {note} |"
        )
    return "\n".join(lines)


def emit(title: str, body: str, *, payload: Mapping[str, Any], json_out: str | None) -> None:
    """Print the markdown report and optionally write the raw figures as JSON."""
    print(f"## {title}\n")
    print(body)
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Measurement):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(type(obj))


def machine_line() -> str:
    """One line describing the machine and library versions (for the report)."""
    import platform

    vers = []
    for mod in ("datasets", "pyarrow", "numpy"):
        try:
            vers.append(f"{mod} {__import__(mod).__version__}")
        except (ImportError, AttributeError):  # a missing library is worth a mention, not a crash
            vers.append(f"{mod} missing")
    return f"Python {platform.python_version()}, {os.cpu_count()} cores, " + ", ".join(vers)
