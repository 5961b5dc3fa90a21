"""CLI verb ``medcot score``: score a table of chain-of-thought predictions on the five-dimension rubric.

All the work is in :mod:`medcot.scoring`; this module only parses options, shows progress and
prints the summary (a table for people, ``--json`` for machines).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from medcot.commands.input_options import ENCODING, MAX_DECOMPRESSED_MB, MAX_RATIO, MAX_XLSX_CELLS, limits_from
from medcot.constants import RUBRIC
from medcot.errors import InputError

if TYPE_CHECKING:  # imported inside the command: numpy and the scorer stay out of `--help`
    from medcot import scoring

logger = logging.getLogger(__name__)

# Below this many rows a progress bar is noise.
PROGRESS_MIN_ROWS = 200
# Rows with an error listed under the summary table (all of them are in the output file).
SHOW_ERRORS = 5


def _labels() -> dict[str, str]:
    out = {d.key: f"{d.key} ({d.zh})" for d in RUBRIC}
    out.update(overall="overall", answer_accuracy="answer_accuracy", char_rouge_l="char_rouge_l")
    return out


def _fmt(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_summary(summary: scoring.Summary, *, output: Path | None = None) -> None:
    """Render the summary as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"medcot score — backend {summary.backend}"
    table = Table(title=title)
    table.add_column("aggregate")
    table.add_column("mean", justify="right")
    cis = summary.confidence_intervals
    if cis is not None:
        conf = int(round(100 * summary.bootstrap["confidence"]))
        table.add_column(f"{conf}% CI", justify="right")
    table.add_column("n", justify="right")
    mat_counts = _counts(summary)
    for key, label in _labels().items():
        cells = [label, _fmt(summary.means.get(key))]
        if cis is not None:
            ci = cis.get(key)
            cells.append("—" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]")
        cells.append(str(mat_counts[key]))
        table.add_row(*cells)
    console.print(table)
    line = (f"{summary.n_rows} rows: {summary.n_scored} scored, {summary.n_missing} missing "
            f"({summary.n_invalid} invalid input)")
    if output is not None:
        line += f"; wrote {output}"
    console.print(line, highlight=False)


def _counts(summary: scoring.Summary) -> dict[str, int]:
    from medcot import scoring

    counts = {k: summary.n_scored for k in scoring.AGGREGATES}
    counts["answer_accuracy"] = summary.n_with_answer
    counts["char_rouge_l"] = summary.n_with_reference
    return counts


def _open_rows(input: Path, *, encoding: Optional[str], limits: Any) -> Any:
    """The rows to score: an lm-eval / lighteval output (file or folder) as the framework wrote it,
    else a prediction table. Either is checked whole now, then streamed."""
    from medcot import scoring
    from medcot.integrations import logs

    if logs.detect_format(input) is not None:
        rows = logs.iter_samples(input)
        logger.info("%s: %s output, %d samples in %d file(s)", input, rows.format, len(rows), len(rows.files))
        return rows
    return scoring.iter_predictions(input, encoding=encoding, limits=limits)


def score_command(
    input: Path = typer.Argument(..., help="JSONL/JSON/CSV/TSV/Parquet with a `prediction` column "
                                 "(optional: id, reference, question, options, answer); or what lm-eval "
                                 "(--log_samples samples_*.jsonl) or lighteval (details_*.parquet) wrote, "
                                 "a file or their output folder."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write one JSON line per input row."),
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="Built dataset folder (data/default/"
                                           "<split>-*.parquet), raw release, or Hub dataset repo id "
                                           "(namespace/name, when no such local path exists) to join on id."),
    split: str = typer.Option("test", "--split", help="Split of --dataset to join with."),
    lexicon: list[Path] = typer.Option([], "--lexicon", help="User lexicon file (repeatable)."),
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="Calibration file written by "
                                               "`medcot calibrate` (offline scorer only)."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Bootstrap resamples for confidence "
                                  "intervals (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    confidence: float = typer.Option(0.95, "--confidence", help="Coverage of the bootstrap intervals."),
    backend: str = typer.Option("heuristic", "--backend", help="heuristic (offline) or judge (LLM)."),
    judge_base_url: Optional[str] = typer.Option(None, "--judge-base-url", help="OpenAI-compatible base URL."),
    judge_model: Optional[str] = typer.Option(None, "--judge-model", help="Judge model name."),
    judge_api_key_env: str = typer.Option("OPENAI_API_KEY", "--judge-api-key-env",
                                          help="Environment variable holding the API key."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Concurrent judge requests."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Judge response cache folder."),
    judge_timeout: Optional[float] = typer.Option(None, "--judge-timeout", min=0.001,
                                                  help="Seconds a judge request may wait at any step (connect, "
                                                  "each read; default 60); a whole request is cut at twice it (at least 10 s)."),
    judge_max_retries: Optional[int] = typer.Option(None, "--judge-max-retries", min=0,
                                                    help="Retries on timeouts, 429 and 5xx (default 4). A server "
                                                    "that never answers costs timeout x (retries + 1) per row plus "
                                                    "backoff (about 5 min with the defaults); slow unusable replies "
                                                    "up to 2 x timeout x (retries + 1) x 3 attempts. Bound it with "
                                                    "--judge-deadline."),
    judge_deadline: Optional[float] = typer.Option(None, "--judge-deadline", min=0.001,
                                                   help="Seconds one row may take in all (every retry and re-ask); "
                                                   "past it the row is missing with the error. Default: none."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (for machines)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    # 4096 = scoring.DEFAULT_CHUNK_SIZE (not imported here: numpy stays out of `--help`)
    chunk_size: int = typer.Option(4096, "--chunk-size", min=1, help="Rows scored at a time: bounds the "
                                   "memory; results do not depend on it."),
    encoding: Optional[str] = ENCODING,
    max_decompressed_mb: float = MAX_DECOMPRESSED_MB,
    max_xlsx_cells: int = MAX_XLSX_CELLS,
    max_ratio: float = MAX_RATIO,
) -> None:
    """Score chain-of-thought predictions; write per-row scores and print per-dimension means."""
    from medcot import scoring
    from medcot.paths import check_not_input

    if backend not in scoring.BACKENDS:
        raise InputError(f"--backend must be one of {', '.join(scoring.BACKENDS)}, got {backend!r}")
    check_not_input(output, [input, *([dataset] if dataset is not None else [])], option="--output")
    rows = _open_rows(input, encoding=encoding, limits=limits_from(max_decompressed_mb, max_xlsx_cells, max_ratio))
    n_rows = len(rows)
    records = rows if dataset is None else scoring.iter_joined(rows, dataset, split=split)
    progress = not quiet and sys.stderr.isatty() and n_rows >= PROGRESS_MIN_ROWS
    judge_options: dict[str, Any] = {
        "base_url": judge_base_url,
        "model": judge_model,
        "api_key_env": judge_api_key_env,
        "concurrency": concurrency,
        "cache_dir": str(cache_dir) if cache_dir is not None else None,
        "timeout": judge_timeout,
        "max_retries": judge_max_retries,
        "deadline": judge_deadline,
    }
    # Each output line is written as soon as its chunk is scored; only the summary's numbers stay.
    report = scoring.score_to_jsonl(
        records,
        output,
        backend=backend,
        lexicon_paths=[str(p) for p in lexicon],
        calibration=calibration,
        judge_options=judge_options if backend == "judge" else None,
        progress=progress,
        total=n_rows,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        keep_errors=SHOW_ERRORS,
        chunk_size=chunk_size,
    )
    if report.n_written != n_rows:  # rows in = rows out, always
        raise RuntimeError(f"internal error: {n_rows} rows in but {report.n_written} results")
    summary, errors = report.summary, report.errors
    if as_json:
        typer.echo(json.dumps({**summary.to_dict(), "output": str(output)}, ensure_ascii=False))
    else:
        print_summary(summary, output=output)
        for err in errors[:SHOW_ERRORS]:
            typer.echo(f"  {err}")
        if report.n_errors > SHOW_ERRORS:
            typer.echo(f"  ... {report.n_errors - SHOW_ERRORS} more rows with an error "
                       f"(see the 'error' field of {output})")


def register(app: typer.Typer) -> None:
    """Add ``medcot score`` to ``app``."""
    app.command("score")(score_command)
