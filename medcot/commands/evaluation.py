"""CLI verbs ``medcot agreement`` (two score sets, per-dimension statistics) and ``medcot calibrate``
(fit the offline scorer to a release's expert scores). The work is in :mod:`medcot.agreement` and
:mod:`medcot.calibrate`; this module parses options and prints.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import typer

from medcot.errors import InputError
from medcot.constants import RUBRIC_DIMENSIONS

logger = logging.getLogger(__name__)


def _json_safe(obj: Any) -> Any:
    """NaN/inf become null so the output is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _dimensions(values: list[str]) -> list[str] | None:
    dims = [d.strip() for v in values for d in v.split(",") if d.strip()]
    unknown = [d for d in dims if d not in RUBRIC_DIMENSIONS]
    if unknown:
        raise InputError(f"--dimensions: unknown {', '.join(unknown)}; expected some of {', '.join(RUBRIC_DIMENSIONS)}")
    return dims or None


def agreement_cmd(
    a: Path = typer.Argument(..., help="First score file (JSONL/JSON/CSV/TSV/Parquet), e.g. `medcot score` output."),
    b: Path = typer.Argument(..., help="Second score file, e.g. expert scores."),
    on: str = typer.Option("id", "--on", help="Id column to join on."),
    dimensions: list[str] = typer.Option([], "--dimensions", "-d",
                                         help="Dimensions to compare (repeatable or comma-separated; "
                                         "default: all present)."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Bootstrap resamples for 95% CIs (0 = none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Agreement between two score sets joined on id: Spearman, Kendall, Pearson, QWK, alpha, exact, within-1."""
    from medcot.agreement import agreement, format_report

    report = agreement(a, b, dimensions=_dimensions(dimensions), on=on, bootstrap=bootstrap, seed=seed)
    if as_json:
        typer.echo(json.dumps(_json_safe(report), ensure_ascii=False))
    else:
        typer.echo(format_report(report))


def calibrate_cmd(
    data: Path = typer.Option(..., "--data", help="Raw release (file/folder) or folder built by `medcot build`."),
    out: Path = typer.Option(..., "--out", help="Where to write the calibration JSON."),
    alpha: float = typer.Option(1.0, "--alpha", min=0.0, help="Ridge penalty on standardised signals."),
    lexicon: list[Path] = typer.Option([], "--lexicon", help="User lexicon file for the scorer (repeatable)."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Bootstrap resamples for the report's CIs."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Fit the offline scorer to expert rubric scores on the train split; report validation/test agreement."""
    from medcot.calibrate import calibrate_release, summarize_report

    cal = calibrate_release(data, out=out, alpha=alpha, lexicon_paths=[str(p) for p in lexicon],
                            bootstrap=bootstrap, seed=seed)
    if as_json:
        typer.echo(json.dumps(_json_safe({"out": str(out), "fitted_on": cal.fitted_on, "report": cal.report}),
                              ensure_ascii=False))
    else:
        typer.echo(summarize_report(cal))
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``agreement`` and ``calibrate`` to ``app``."""
    app.command("agreement")(agreement_cmd)
    app.command("calibrate")(calibrate_cmd)

