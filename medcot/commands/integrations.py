"""CLI verbs for the integrations with other tools: ``medcot export`` and ``medcot integrations``.

The work is in :mod:`medcot.integrations`; this module parses options and prints what was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from medcot.errors import InputError

EXPORT_FORMATS = ("opencompass",)


def export_command(
    fmt: str = typer.Option(..., "--format", help="Target tool: opencompass (flat MCQ JSONL per option count)."),
    dataset: Path = typer.Option(..., "--dataset", help="Built dataset folder, raw release or Hub repo id."),
    out: Path = typer.Option(..., "--out", help="Folder to write the files and the config snippet into."),
    split: list[str] = typer.Option(["test"], "--split", help="Split to export (repeatable)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a previous export in --out."),
) -> None:
    """Export the dataset for another evaluation tool (files grouped by option count, single/multiple answer apart)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    from medcot.integrations.opencompass import export_opencompass

    result = export_opencompass(dataset, out, splits=split, overwrite=overwrite)
    for name, n in result.files.items():
        typer.echo(f"{n:>8,}  {name}")
    typer.echo(f"rows in = rows out: {result.rows_in} = {result.rows_out}")
    typer.echo(f"config snippet: {result.snippet}")


def integrations_command(
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="Built dataset folder or Hub repo id: also "
                                           "count the questions each task evaluates per split."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Where the lm-eval task folder and the lighteval task file are, and what the tasks keep of a dataset."""
    from medcot.integrations import LIGHTEVAL_TASKS, LM_EVAL_TASKS
    from medcot.integrations.tasks import task_counts

    info: dict = {"lm_eval_tasks": str(LM_EVAL_TASKS), "lighteval_tasks": str(LIGHTEVAL_TASKS)}
    if dataset is not None:
        info["dataset"] = str(dataset)
        info["splits"] = task_counts(dataset)
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
        return
    typer.echo(f"lm-eval task folder (--include_path): {info['lm_eval_tasks']}")
    typer.echo(f"lighteval task file (--custom-tasks): {info['lighteval_tasks']}")
    for split, c in info.get("splits", {}).items():
        typer.echo(f"{dataset} {split}: medcot_cot {c['medcot_cot']} questions; medcot_qa_mc {c['medcot_qa_mc']} "
                   f"({c['multi_answer_excluded']} multiple-answer left out)")


def register(app: typer.Typer) -> None:
    """Add ``medcot export`` and ``medcot integrations`` to ``app``."""
    app.command("export")(export_command)
    app.command("integrations")(integrations_command)
