"""CLI verb ``medcot validate``: ingest a raw release and report rows in = records + rejects.

Exit code 0 whenever ingestion ran (rejects are reported, not fatal); a file-level problem
(missing, empty, undecodable, truncated file, no question column ...) is an
:class:`~medcot.errors.InputError`, which the CLI prints as one line with exit code 2.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medcot import constants as schema  # light: no `datasets` import at CLI start-up
from medcot.commands.input_options import ENCODING, MAX_DECOMPRESSED_MB, MAX_RATIO, MAX_XLSX_CELLS, limits_from

if TYPE_CHECKING:
    from medcot.ingest import IngestResult

logger = logging.getLogger(__name__)


def summarize(result: IngestResult) -> list[str]:
    """Lines of the human summary: per file, totals, splits, and rejects per field/reason.

    Args:
        result: what :func:`medcot.ingest.ingest` returned.

    Returns:
        The summary lines, ending with the ``total: ... rows in = ... records + ... rejects`` and
        ``splits: ...`` lines.

    >>> from medcot.ingest import IngestResult, FileStats, Reject
    >>> r = IngestResult(splits={"train": [{}]}, rejects=[Reject("a.csv", 3, "cot", "empty explanation (cot)", "")],
    ...                  rows_in=2, files=["a.csv"], file_stats={"a.csv": FileStats(2, 1, 1, 0)})
    >>> [line for line in summarize(r) if line.startswith("total")]
    ['total: 2 rows in = 1 records + 1 rejects']
    """
    width = max([len(f) for f in result.file_stats] + [4])
    lines = [f"{'file':<{width}}  {'rows':>6} {'records':>8} {'rejects':>8} {'blank':>6}"]
    for name, st in result.file_stats.items():
        lines.append(f"{name:<{width}}  {st.rows:>6} {st.records:>8} {st.rejects:>8} {st.blank_rows:>6}")
    lines.append("columns:")
    for name, st in result.file_stats.items():
        mapped = ", ".join(f"{c}→{f}" for c, f in st.columns.items() if f and c != f)
        extra = ", ".join(c for c, f in st.columns.items() if f is None)
        lines.append(f"  {Path(name).name}: {mapped or 'canonical names'}" + (f"; kept in extra: {extra}" if extra else ""))
    if result.rejects:
        lines.append("rejects by field and reason:")
        by_reason = Counter((r.field, _reason_kind(r.reason)) for r in result.rejects)
        for (fld, kind), n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:>6}  {fld}: {kind}")
    blank = f" ({result.blank_rows} blank rows skipped, not data)" if result.blank_rows else ""
    splits = ", ".join(f"{k} {len(v)}" for k, v in result.splits.items()) or "none"
    lines.append(f"total: {result.rows_in} rows in = {result.n_records} records + {len(result.rejects)} rejects{blank}")
    origin = {"release": "the release's own split", "seeded": "seeded stratified split", "mixed": "release split + seeded split for the rest"}
    lines.append(f"splits: {splits} ({origin.get(result.split_origin, result.split_origin)})")
    return lines


def _reason_kind(reason: str) -> str:
    """Group reasons that differ only in the row-specific part ("duplicate id 'X': first seen at ...")."""
    for sep in (": ", " ("):
        if sep in reason:
            reason = reason.split(sep, 1)[0]
    return reason if len(reason) <= 80 else reason[:79] + "…"


def validate(
    raw: Annotated[list[Path], typer.Argument(help="Raw release: files and/or folders (JSON, JSONL, CSV, TSV, XLSX, Parquet, .gz).")],
    aliases: Annotated[Optional[Path], typer.Option("--aliases", help="Extra column aliases: JSON or TOML {\"column\": \"field\"}.")] = None,
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Where to write the rejects report (JSON Lines). "
                       "Default: rejects.jsonl here, or <folder>.rejects.jsonl beside the input folder you are in; "
                       "never inside an input folder.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split used when the release has none.")] = schema.DEFAULT_SPLIT_SEED,
    encoding: Optional[str] = ENCODING,
    max_decompressed_mb: float = MAX_DECOMPRESSED_MB,
    max_xlsx_cells: int = MAX_XLSX_CELLS,
    max_ratio: float = MAX_RATIO,
) -> None:
    """Check a raw release: every row becomes a record or a reject (file, line, field, reason)."""
    from medcot.ingest import ingest, write_rejects
    from medcot.paths import check_report_location, default_report_path

    if rejects is None:
        rejects = default_report_path(raw)
    check_report_location(rejects, raw, option="--rejects")  # before reading: never a wasted run
    result = ingest(raw if len(raw) > 1 else raw[0], aliases=aliases, seed=seed, encoding=encoding,
                    limits=limits_from(max_decompressed_mb, max_xlsx_cells, max_ratio))
    for line in summarize(result):
        typer.echo(line)
    n = write_rejects(result.rejects, rejects)
    typer.echo(f"rejects report: {rejects} ({n} rows)")


def register(app: typer.Typer) -> None:
    """Add ``validate`` to ``app``."""
    app.command("validate")(validate)
