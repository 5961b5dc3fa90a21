"""CLI options shared by every verb that reads raw input files: ``--encoding`` and the size bounds.

Use them as defaults of a command's parameters, then :func:`limits_from` to build the
:class:`medcot.limits.Limits` the readers take:

    def cmd(..., encoding: Optional[str] = ENCODING, max_decompressed_mb: float = MAX_DECOMPRESSED_MB,
            max_xlsx_cells: int = MAX_XLSX_CELLS, max_ratio: float = MAX_RATIO) -> None:
        limits = limits_from(max_decompressed_mb, max_xlsx_cells, max_ratio)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer

from medcot.limits import DEFAULT_MAX_DECOMPRESSED_MB, DEFAULT_MAX_RATIO, DEFAULT_MAX_XLSX_CELLS

if TYPE_CHECKING:
    from medcot.limits import Limits

ENCODING: Optional[str] = typer.Option(
    None, "--encoding",
    help="Text encoding of CSV/TSV/JSON/JSONL input (utf-8, gb18030, big5, utf-16 ...). Default: detected "
         "(BOM, UTF-8, else GB18030 or Big5; refused when the two cannot be told apart).",
)
MAX_DECOMPRESSED_MB: float = typer.Option(
    DEFAULT_MAX_DECOMPRESSED_MB, "--max-decompressed-mb", min=1,
    help="Largest size one .gz file, XLSX workbook or Parquet file may expand to, in MiB (README \"Limits\").",
)
MAX_XLSX_CELLS: int = typer.Option(
    DEFAULT_MAX_XLSX_CELLS, "--max-xlsx-cells", min=1,
    help="Most cells read from one XLSX workbook (declared sheet dimensions are ignored).",
)

MAX_RATIO: float = typer.Option(
    DEFAULT_MAX_RATIO, "--max-compression-ratio", min=1,
    help="Past its first 16 MiB, how many times its size on disk a compressed input may expand (bombs).",
)


def limits_from(max_decompressed_mb: float, max_xlsx_cells: int, max_ratio: float = DEFAULT_MAX_RATIO) -> Limits:
    """The :class:`~medcot.limits.Limits` for these option values.

    >>> limits_from(1, 10).max_xlsx_cells
    10
    """
    from medcot.limits import Limits

    return Limits.from_options(max_decompressed_mb=max_decompressed_mb, max_xlsx_cells=max_xlsx_cells,
                               max_ratio=max_ratio)
