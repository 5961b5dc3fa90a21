"""Size bounds on untrusted input files, so a small hostile file cannot take all memory or time.

- **Decompressed size** (:attr:`Limits.max_decompressed_bytes`, default 512 MiB, ``--max-decompressed-mb``):
  the bytes one ``.gz`` file, one XLSX workbook (a zip) or one Parquet file may expand to. A 1 MB
  ``.gz`` that expands to 5 GB stops at the bound with a one-line error instead of filling memory.
- **Compression ratio** (:attr:`Limits.max_ratio`, default 32, ``--max-compression-ratio``): past the
  first :data:`RATIO_FLOOR` (16 MiB), a file may expand to at most 32 times its size on disk. Real
  releases compress 2-5 times (the CMExam sample: 3.0; the bundled dummy data: 2.0-3.3); a bomb
  compresses hundreds of times, so it is stopped after a few seconds, not after 512 MiB of rows.
- **XLSX cells** (:attr:`Limits.max_xlsx_cells`, default 20 million, ``--max-xlsx-cells``): cells
  scanned per workbook. A sheet's declared ``<dimension>`` is ignored (a one-cell sheet may claim
  ``A1:XFD1048576``, 17 billion cells); rows are as wide as their last written cell.
- **Row size** (:attr:`Limits.max_row_bytes`, default 64 MiB): one JSON Lines line or one CSV field;
  a longer JSONL line is rejected (the next lines are still read), a longer CSV field is a file error.
- **Rejects in a row** (:attr:`Limits.max_reject_run`, default 100,000): a file whose rows keep being
  rejected with no record between them holds no usable data; past the bound it is one file-level
  error instead of millions of identical rejects (a file of ``1\n`` lines, a bomb of duplicates).
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
DEFAULT_MAX_RATIO = 32.0
DEFAULT_MAX_REJECT_RUN = 100_000
# Below this many decompressed bytes the ratio is not checked (tiny files compress oddly).
RATIO_FLOOR = 16 * MIB


@dataclass(frozen=True)
class Limits:
    """Bounds applied while reading one input file (see the module docstring)."""

    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_MB * MIB
    max_xlsx_cells: int = DEFAULT_MAX_XLSX_CELLS
    max_row_bytes: int = DEFAULT_MAX_ROW_MB * MIB
    max_ratio: float = DEFAULT_MAX_RATIO
    max_reject_run: int = DEFAULT_MAX_REJECT_RUN

    def expansion_budget(self, stored_bytes: int) -> tuple[int, str]:
        """Bytes a file of ``stored_bytes`` on disk may expand to, and the option that raises the bound.

        >>> Limits().expansion_budget(1 << 20) == (32 * MIB, "--max-compression-ratio")
        True
        >>> Limits().expansion_budget(100)[0] == RATIO_FLOOR
        True
        """
        by_ratio = max(RATIO_FLOOR, int(self.max_ratio * stored_bytes))
        if by_ratio < self.max_decompressed_bytes:
            return by_ratio, "--max-compression-ratio"
        return self.max_decompressed_bytes, "--max-decompressed-mb"

    @classmethod
    def from_options(cls, *, max_decompressed_mb: float | None = None, max_xlsx_cells: int | None = None,
                     max_row_mb: float | None = None, max_ratio: float | None = None) -> Limits:
        """Limits from CLI-style options (None keeps the default).

        Raises:
            InputError: a bound that is not positive.
        """
        values: dict[str, Any] = {}
        for name, value, scale, option in (
            ("max_decompressed_bytes", max_decompressed_mb, MIB, "--max-decompressed-mb"),
            ("max_xlsx_cells", max_xlsx_cells, 1, "--max-xlsx-cells"),
            ("max_row_bytes", max_row_mb, MIB, "--max-row-mb"),
            ("max_ratio", max_ratio, None, "--max-compression-ratio"),
        ):
            if value is None:
                continue
            if not value > 0:
                raise InputError(f"{option}: expected a number > 0, got {value!r}")
            values[name] = float(value) if scale is None else int(value * scale)
        return cls(**values)


DEFAULT_LIMITS = Limits()


def format_size(n: int) -> str:
    """``512 MiB``, ``1.5 MiB`` or ``100 bytes``.

    >>> format_size(512 * MIB), format_size(100)
    ('512 MiB', '100 bytes')
    """
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n} bytes"


def too_big(path: Any, what: str, limit_bytes: int, option: str = "--max-decompressed-mb") -> InputError:
    """The error for a file past the decompressed-size bound (names the option that raises it)."""
    why = "more than its compression-ratio bound allows" if option == "--max-compression-ratio" else "its size bound"
    return InputError(
        f"{path}: {what} expands to more than {format_size(limit_bytes)}, {why} (a decompression bomb, or a "
        f"release larger than medcot reads by default); raise the bound with {option} if the file is genuine"
    )


class _CountingReader(io.RawIOBase):
    """A raw stream over a decompressing file that fails once more than ``limit`` bytes came out."""

    def __init__(self, inner: BinaryIO, limit: int, path: Any, option: str) -> None:
        self._inner = inner
        self._limit = limit
        self._path = path
        self._option = option
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
            raise too_big(self._path, "the compressed file", self._limit, self._option)
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_gzip(path: str | Path, *, limit: int, option: str = "--max-decompressed-mb") -> BinaryIO:
    """A buffered binary stream of a ``.gz`` file's content that stops past ``limit`` bytes.

    ``option`` is the CLI option named in the error (see :meth:`Limits.expansion_budget`).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> with gzip.open(p, "wb") as f: _ = f.write(b"0" * 5000)
    >>> with open_gzip(p, limit=10_000) as f: len(f.read())
    5000
    >>> with open_gzip(p, limit=100) as f: f.read()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    medcot.errors.InputError: ...x.gz: the compressed file expands to more than 100 bytes, its size bound ...
    """
    reader = _CountingReader(gzip.open(path, "rb"), limit, path, option)  # type: ignore[arg-type]
    return io.BufferedReader(reader, buffer_size=1 << 16)  # type: ignore[return-value]


def open_gzip_bounded(path: str | Path, limits: Limits) -> BinaryIO:
    """:func:`open_gzip` with the budget ``limits`` gives a file of this size on disk."""
    limit, option = limits.expansion_budget(Path(path).stat().st_size)
    return open_gzip(path, limit=limit, option=option)


def read_bounded(stream: BinaryIO, *, limit: int, path: Any, what: str = "the file") -> bytes:
    """All of ``stream``, or :func:`too_big` once it passes ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_big(path, what, limit)
    return data


def check_zip(path: str | Path | BinaryIO, *, limits: Limits, name: Any = None) -> None:
    """Refuse a zip (an XLSX workbook) whose members expand past ``limits.expansion_budget`` in total.

    The members are decompressed once, streaming (the sizes a zip declares may lie), and reading
    stops at the bound, so the check itself needs neither memory nor much time.

    Raises:
        InputError: past the bound, or not a readable zip.
    """
    where = name if name is not None else path
    total = 0
    try:
        if isinstance(path, (str, Path)):
            stored = Path(path).stat().st_size
        else:
            stored = path.seek(0, io.SEEK_END)
            path.seek(0)
        limit, option = limits.expansion_budget(stored)
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
            if declared > limit:
                raise too_big(where, "the workbook", limit, option)
            for info in zf.infolist():
                with zf.open(info) as member:
                    while chunk := member.read(1 << 20):
                        total += len(chunk)
                        if total > limit:
                            raise too_big(where, "the workbook", limit, option)
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{where}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
