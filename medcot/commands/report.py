"""CLI verb ``medcot report``: compare scored runs in one self-contained HTML page with PNG figures.

All the work is in :mod:`medcot.report`; this module parses options and prints what was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def report_command(
    runs: list[Path] = typer.Argument(..., help="`medcot score` outputs (JSONL), or predictions files "
                                      "`medcot score` reads (scored here with the offline scorer)."),
    out: Path = typer.Option(..., "--out", help="Folder for index.html, the PNG figures and report.json."),
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="Built dataset folder or raw release, joined on "
                                           "id for department, question type and question text."),
    split: str = typer.Option("test", "--split", help="Split of --dataset the runs were made on."),
    label: list[str] = typer.Option([], "--label", help="Display name of a run, in RUN order (repeatable)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the intervals (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    confidence: float = typer.Option(0.95, "--confidence", help="Coverage of the intervals."),
    worst: int = typer.Option(5, "--worst", help="Lowest-scored items listed per run, with their evidence."),
    as_json: bool = typer.Option(False, "--json", help="Also write report.json: the numbers behind every figure and table."),
) -> None:
    """Compare runs: index.html (self-contained) + PNGs: radar, breakdowns, distributions, CIs, paired differences."""
    from medcot.report import build_report

    result = build_report(runs, out, labels=label, dataset=dataset, split=split, bootstrap=bootstrap, seed=seed,
                          confidence=confidence, worst=worst, write_json=as_json)
    for run in result.numbers["runs"]:
        overall = run["means"].get("overall")
        typer.echo(f"{run['name']}: {run['n_scored']}/{run['n_rows']} scored, overall "
                   f"{'—' if overall is None else f'{overall:.3f}'} ({run['path']})")
    typer.echo(f"wrote {result.html} and {len(result.figures)} figures")
    if result.json is not None:
        typer.echo(f"wrote {result.json}")


def register(app: typer.Typer) -> None:
    """Add ``medcot report`` to ``app``."""
    app.command("report")(report_command)
