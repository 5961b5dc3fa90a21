"""Size bounds on untrusted input files, so a small hostile file cannot take all memory or time.

- **Decompressed size** (:attr:`Limits.max_decompressed_bytes`, default 512 MiB, ``--max-decompressed-mb``):
  the bytes one ``.gz`` file, one XLSX workbook (a zip) or one Parquet file may expand to. A 1 MB
  ``.gz`` that expands to 5 GB stops at the bound with a one-line error instead of filling memory.
- **XLSX cells** (:attr:`Limits.max_xlsx_cells`, default 20 million, ``--max-xlsx-cells``): cells
  scanned per workbook. A sheet's declared ``<dimension>`` is ignored (a one-cell sheet may claim
  ``A1:XFD1048576``, 17 billion cells); rows are as wide as their last written cell.
- **Row size** (:attr:`Limits.max_row_bytes`, default 64 MiB): one JSON Lines line or one CSV field;
  a longer JSONL line is rejected (the next lines are still read), a longer CSV field is a file error.
- **Nesting** (:data:`medcot.jsonguard.MAX_DEPTH`, 32 levels) for JSON everywhere.

The numbers are documented in README "Limits"; the CLI options change the first two.

>>> Limits().max_decompressed_bytes == 512 * 2**20
True
>>> Limits.from_options(max_decompressed_mb=1).max_decompressed_bytes
1048576
"""

from __future__ import annotations

import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from medcot.errors import InputError

MIB = 1 << 20
DEFAULT_MAX_DECOMPRESSED_MB = 512
DEFAULT_MAX_XLSX_CELLS = 20_000_000
DEFAULT_MAX_ROW_MB = 64


@dataclass(frozen=True)
class Limits:
    """Bounds applied while reading one input file (see the module docstring)."""

    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_MB * MIB
    max_xlsx_cells: int = DEFAULT_MAX_XLSX_CELLS
    max_row_bytes: int = DEFAULT_MAX_ROW_MB * MIB

    @classmethod
    def from_options(cls, *, max_decompressed_mb: float | None = None, max_xlsx_cells: int | None = None,
                     max_row_mb: float | None = None) -> Limits:
        """Limits from CLI-style options (None keeps the default).

        Raises:
            InputError: a bound that is not positive.
        """
        values: dict[str, int] = {}
        for name, value, scale, option in (
            ("max_decompressed_bytes", max_decompressed_mb, MIB, "--max-decompressed-mb"),
            ("max_xlsx_cells", max_xlsx_cells, 1, "--max-xlsx-cells"),
            ("max_row_bytes", max_row_mb, MIB, "--max-row-mb"),
        ):
            if value is None:
                continue
            if not value > 0:
                raise InputError(f"{option}: expected a number > 0, got {value!r}")
            values[name] = int(value * scale)
        return cls(**values)


DEFAULT_LIMITS = Limits()


def format_size(n: int) -> str:
    """``512 MiB``, ``1.5 MiB`` or ``100 bytes``.

    >>> format_size(512 * MIB), format_size(100)
    ('512 MiB', '100 bytes')
    """
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n} bytes"


def too_big(path: Any, what: str, limit_bytes: int) -> InputError:
    """The error for a file past the decompressed-size bound (names the option that raises it)."""
    return InputError(
        f"{path}: {what} expands to more than {format_size(limit_bytes)} (a decompression bomb, or a release "
        "larger than medcot reads by default); raise the bound with --max-decompressed-mb if the file is genuine"
    )


class _CountingReader(io.RawIOBase):
    """A raw stream over a decompressing file that fails once more than ``limit`` bytes came out."""

    def __init__(self, inner: BinaryIO, limit: int, path: Any) -> None:
        self._inner = inner
        self._limit = limit
        self._path = path
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Never ask for more than one byte past the bound: the decompressor output stays bounded too.
        view = memoryview(buffer)
        room = self._limit - self.count + 1
        n = self._inner.readinto(view[: max(1, min(len(view), room))])  # type: ignore[attr-defined]
        self.count += n
        if self.count > self._limit:
            raise too_big(self._path, "the compressed file", self._limit)
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_gzip(path: str | Path, *, limit: int) -> BinaryIO:
    """A buffered binary stream of a ``.gz`` file's content that stops past ``limit`` bytes.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> with gzip.open(p, "wb") as f: _ = f.write(b"0" * 5000)
    >>> with open_gzip(p, limit=10_000) as f: len(f.read())
    5000
    >>> with open_gzip(p, limit=100) as f: f.read()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    medcot.errors.InputError: ...x.gz: the compressed file expands to more than 100 bytes (a decompression bomb, or a release larger than medcot reads by default); raise the bound with --max-decompressed-mb if the file is genuine
    """
    return io.BufferedReader(_CountingReader(gzip.open(path, "rb"), limit, path), buffer_size=1 << 16)  # type: ignore[arg-type]


def read_bounded(stream: BinaryIO, *, limit: int, path: Any, what: str = "the file") -> bytes:
    """All of ``stream``, or :func:`too_big` once it passes ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_big(path, what, limit)
    return data


def check_zip(path: str | Path | BinaryIO, *, limit: int, name: Any = None) -> None:
    """Refuse a zip (an XLSX workbook) whose members expand to more than ``limit`` bytes in total.

    The members are decompressed once, streaming (the sizes a zip declares may lie), and reading
    stops at the bound, so the check itself needs neither memory nor much time.

    Raises:
        InputError: past the bound, or not a readable zip.
    """
    where = name if name is not None else path
    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
            if declared > limit:
                raise too_big(where, "the workbook", limit)
            for info in zf.infolist():
                with zf.open(info) as member:
                    while chunk := member.read(1 << 20):
                        total += len(chunk)
                        if total > limit:
                            raise too_big(where, "the workbook", limit)
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{where}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
