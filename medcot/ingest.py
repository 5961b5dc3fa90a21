"""Reading raw release files into canonical records plus a rejects report.

Formats: JSON (an array, ``{"data": [...]}``-style or JSON Lines mislabelled ``.json``), JSONL,
CSV, TSV, XLSX, Parquet, each optionally ``.gz``; a single file, a folder (recursive, sorted) or a
list of them. Text files are decoded as UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030;
anything else is a file-level :class:`~medcot.errors.InputError`.

Every data row becomes a canonical record (keys exactly ``schema.DEFAULT_FEATURES``) or a
:class:`Reject` naming file, line, field and reason: ``rows_in == records + rejects``. Blank rows
(an empty line in JSONL/CSV, a row of empty cells in XLSX) hold no data and are not rows: they are
counted separately in ``IngestResult.blank_rows`` and never rejected.

``Reject.line`` is the 1-based physical line for JSONL/CSV/TSV (the header is line 1), the sheet
row number for XLSX (as Excel shows it), and the 1-based record index for JSON arrays and Parquet.

A cell holding only a missing-value placeholder left by spreadsheet or pandas conversions
("nan", "None", "null", "N/A", "#N/A" ..., see :data:`medcot.options.MISSING_PLACEHOLDERS`) is
missing in every field, so a row whose explanation is "nan" is rejected ("empty explanation (cot):
placeholder 'nan'"), never published with "nan" as its CoT.

Memory stays flat however large the release: rows are streamed file by file, each accepted record
is spilled at once to a temporary file (:class:`RecordStore`) and only small keys stay in memory
(ids and content hashes for duplicate detection; id, department and question type for the seeded
split). ``IngestResult.splits`` maps each split to a :class:`SplitRecords`, a read-only sequence
that reads the records back lazily; :meth:`IngestResult.iter_batches` streams every split in one
pass (what the export uses). A JSON array file is still parsed whole (prefer JSONL or Parquet).

A large JSON Lines file (>= :data:`PARALLEL_MIN_BYTES`, plain, not UTF-16) is cut at line
boundaries into byte ranges that forked worker processes parse and turn into records, each
spilling its records to its own segment file; the parent merges the small per-line outcomes in
file order (duplicates, rejects, line numbers, counts), so the result is identical to the serial
reader's whatever the number of workers (``ingest(..., processes=1)`` reads serially).

:func:`iter_rows` is the one public row reader (every format above, strict: a bad row is an
error), shared with ``medcot score``.
"""

from __future__ import annotations

import csv
import gc
import gzip
import hashlib
import io
import json
import logging
import marshal
import math
import os
import sys
import tempfile
import threading
import weakref
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Union

from medcot import constants as schema  # light: the constants without `datasets` (forked readers stay small)
from medcot.columns import (
    OPTION_COLUMN_PREFIX,
    REQUIRED_FIELDS,
    RUBRIC_FIELDS,
    AliasSource,
    AliasTable,
    build_alias_table,
)
from medcot.errors import InputError
from medcot.jsonguard import JSONGuardError
from medcot.jsonguard import loads as guarded_loads
from medcot.limits import DEFAULT_LIMITS, Limits, check_zip, format_size, open_gzip_bounded, read_bounded, too_big
from medcot.paths import is_rejects_report
from medcot.options import MISSING_PLACEHOLDERS, missing_placeholder, normalize_text, parse_answer, parse_options, split_embedded_options
from medcot.splits import assign_splits, canonical_split, check_ratios, split_from_path
from medcot.textguard import check_encoding_name, decode_text, detect_encoding, surrogate_problem

logger = logging.getLogger(__name__)

__all__ = [
    "Reject", "IngestResult", "FileStats", "ingest", "write_rejects", "iter_source_files", "iter_rows", "DATA_SUFFIXES",
]

DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".xlsx", ".parquet", ".pq")
_RAW_SNIPPET = 200
_SAMPLE_BYTES = 1 << 16

Source = Union[str, Path, Sequence[Union[str, Path]]]


@dataclass(frozen=True)
class Reject:
    """One input row that did not become a record."""

    file: str
    line: int | None
    field: str
    reason: str
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FileStats:
    """Per-file counts: ``rows == records + rejects``; blank rows are not rows."""

    rows: int = 0
    records: int = 0
    rejects: int = 0
    blank_rows: int = 0
    columns: dict[str, str | None] = field(default_factory=dict)  # source column -> field (None: kept in extra)
    reject_run: int = field(default=0, repr=False, compare=False)  # rejects since the last record

    def rejected(self, reject: Reject, *, limit: int) -> None:
        """Count one reject; refuse the file once more than ``limit`` rows in a row were rejected.

        A file whose rows are all rejected holds no usable records: past the bound it is one
        file-level error (with the first reason) instead of millions of identical rejects.
        """
        self.rejects += 1
        self.reject_run += 1
        if self.reject_run > limit:
            raise InputError(
                f"{reject.file}: more than {limit:,} rows in a row rejected (up to line {reject.line}; last "
                f"reason: {reject.reason[:120]}); the file holds no usable records — medcot's bound, see "
                "README \"Limits\""
            )

    def accepted(self) -> None:
        """Count one record."""
        self.records += 1
        self.reject_run = 0

    def note_columns(self, columns: Iterable[Any], mapping: Mapping[str, str]) -> None:
        """Remember how this file's columns were mapped (for the validate summary)."""
        for c in columns:
            self.columns.setdefault(str(c), mapping.get(str(c)))


# Records are spilled to a temporary file in batches of this many rows, so ingestion holds only
# small keys (ids, content hashes, strata) in memory however large the release is.
_SPILL_ROWS = 2048


class RecordStore:
    """Accepted records in a temporary spill file (removed when the store is garbage-collected).

    ``add`` buffers records and writes them in batches; the records can then be read back in
    input order, one batch at a time, as dicts equal to those added. Batches are serialised with
    :mod:`marshal`: records hold only str/int/float/None/list/dict, which it round-trips exactly
    and several times faster than building Arrow tables; the file is private to this process
    (written and read by the same interpreter, deleted afterwards), so marshal's version-specific
    format does not matter.

    >>> store = RecordStore(batch_rows=2)
    >>> [store.add({"id": f"q{i}", "rubric": None}) for i in range(3)]
    [0, 1, 2]
    >>> [(first, [r["id"] for r in batch]) for first, batch in store.batches()]
    [(0, ['q0', 'q1']), (2, ['q2'])]
    >>> list(SplitRecords(store, [0, 2]))
    [{'id': 'q0', 'rubric': None}, {'id': 'q2', 'rubric': None}]
    """

    def __init__(self, *, batch_rows: int = _SPILL_ROWS) -> None:
        self.batch_rows = batch_rows
        fd, self.path = tempfile.mkstemp(prefix="medcot-ingest-", suffix=".spill")
        self._sink: BinaryIO | None = os.fdopen(fd, "wb")
        self._buffer: list[dict[str, Any]] = []
        # Spill files: this store's own (index 0) plus segments written by parallel readers.
        self._files: list[str] = [self.path]
        self._finalizer = weakref.finalize(self, _remove_files, self._files)
        # Per batch: (first row, file number, byte offset, byte length, positions dropped on read).
        self._index: list[tuple[int, int, int, int, tuple[int, ...]]] = []
        self._offset = 0
        self.n = 0

    def add(self, record: dict[str, Any]) -> int:
        """Append a record; returns its row index."""
        self._buffer.append(record)
        self.n += 1
        if len(self._buffer) >= self.batch_rows:
            self._flush()
        return self.n - 1

    def _flush(self) -> None:
        if self._buffer:
            assert self._sink is not None, "RecordStore is closed"
            blob = marshal.dumps(self._buffer)
            self._index.append((self.n - len(self._buffer), 0, self._offset, len(blob), ()))
            self._sink.write(blob)
            self._offset += len(blob)
            self._buffer = []

    def close(self) -> None:
        """Finish writing (idempotent)."""
        if self._sink is not None:
            self._flush()
            self._sink.close()
            self._sink = None

    def new_segment(self) -> str:
        """A fresh spill file for another process to write batches into; removed with the store.

        Fill it with :func:`_write_spill_batches` (``marshal``-ed lists of records) and register
        its batches with :meth:`add_segment`.
        """
        fd, path = tempfile.mkstemp(prefix="medcot-ingest-", suffix=".spill")
        os.close(fd)
        self._files.append(path)
        return path

    def add_segment(self, path: str, batches: Sequence[tuple[int, int, int]], drop: Iterable[int] = ()) -> int:
        """Append the records of a segment file after those added so far, in its batch order.

        Args:
            path: a file from :meth:`new_segment`.
            batches: ``(records, byte offset, byte length)`` per batch, in order.
            drop: positions (0-based, over the whole segment) of records left out on reading
                (rows rejected after the segment was written, such as duplicates).

        Returns:
            The number of records added.
        """
        self._flush()  # records added before the segment keep their place
        file_no = self._files.index(path)
        dropped = sorted(set(drop))
        start = added = 0
        for count, offset, length in batches:
            skip = tuple(p - start for p in dropped if start <= p < start + count)
            if count > len(skip):
                self._index.append((self.n, file_no, offset, length, skip))
                self.n += count - len(skip)
                added += count - len(skip)
            start += count
        return added

    def batches(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """``(first row index, records)`` in input order, read one batch at a time (bounded memory)."""
        self.close()
        handles: dict[int, BinaryIO] = {}
        try:
            for first, file_no, offset, length, skip in self._index:
                f = handles.get(file_no)
                if f is None:
                    f = handles[file_no] = open(self._files[file_no], "rb")
                f.seek(offset)
                batch = marshal.loads(f.read(length))
                if skip:
                    dropped = set(skip)
                    batch = [r for i, r in enumerate(batch) if i not in dropped]
                yield first, batch
        finally:
            for f in handles.values():
                f.close()


class RejectStore(Sequence):  # type: ignore[type-arg]
    """Rejects in input order, spilled to a temporary file past ``memory_rows`` (a list otherwise).

    A hostile file can hold millions of two-byte rows that are each a reject; their reports must
    all be kept (nothing is lost silently), but not in memory. Reads back as :class:`Reject` objects.

    >>> store = RejectStore(memory_rows=2)
    >>> for i in range(5):
    ...     store.append(Reject("a.jsonl", i + 1, "row", "bad", ""))
    >>> len(store), [r.line for r in store], store[-1].line, store[1:3] == [store[1], store[2]]
    (5, [1, 2, 3, 4, 5], 5, True)
    """

    def __init__(self, *, memory_rows: int = 4096) -> None:
        self.memory_rows = memory_rows
        self._buffer: list[tuple[Any, ...]] = []
        self._path: str | None = None
        self._offsets: list[tuple[int, int, int, int]] = []  # (first index, count, byte offset, byte length)
        self._spilled = 0
        self._finalizer: Any = None

    def append(self, reject: Reject) -> None:
        """Add one reject (spilling a full buffer to disk)."""
        self._buffer.append((reject.file, reject.line, reject.field, reject.reason, reject.raw))
        if len(self._buffer) >= self.memory_rows:
            self._spill()

    def _spill(self) -> None:
        if self._path is None:
            fd, self._path = tempfile.mkstemp(prefix="medcot-rejects-", suffix=".spill")
            os.close(fd)
            self._finalizer = weakref.finalize(self, _remove_files, [self._path])
        blob = marshal.dumps(self._buffer)
        with open(self._path, "ab") as f:
            offset = f.seek(0, io.SEEK_END)
            f.write(blob)
        self._offsets.append((self._spilled, len(self._buffer), offset, len(blob)))
        self._spilled += len(self._buffer)
        self._buffer = []

    def __len__(self) -> int:
        return self._spilled + len(self._buffer)

    def _tuples(self) -> Iterator[tuple[Any, ...]]:
        if self._path is not None and self._offsets:
            with open(self._path, "rb") as f:
                for _first, _count, offset, length in self._offsets:
                    f.seek(offset)
                    yield from marshal.loads(f.read(length))
        yield from self._buffer

    def __iter__(self) -> Iterator[Reject]:
        for t in self._tuples():
            yield Reject(*t)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(index)
        if i >= self._spilled:
            return Reject(*self._buffer[i - self._spilled])
        assert self._path is not None
        for first, count, offset, length in self._offsets:
            if first <= i < first + count:
                with open(self._path, "rb") as f:
                    f.seek(offset)
                    return Reject(*marshal.loads(f.read(length))[i - first])
        raise IndexError(index)  # pragma: no cover - every index lies in a batch

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (RejectStore, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RejectStore({len(self)} rejects)"


def _write_spill_batches(records: list[dict[str, Any]], sink: BinaryIO, offset: int, index: list[tuple[int, int, int]]) -> int:
    """Marshal ``records`` as one batch onto ``sink`` at ``offset``; note it in ``index``; returns the new offset."""
    blob = marshal.dumps(records)
    sink.write(blob)
    index.append((len(records), offset, len(blob)))
    return offset + len(blob)


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


class SplitRecords(Sequence):  # type: ignore[type-arg]
    """The records of one split, read lazily from a :class:`RecordStore` (a read-only list of dicts).

    Iterating streams batch by batch; ``len`` is free; indexing reads one batch.
    """

    def __init__(self, store: RecordStore, rows: Sequence[int]) -> None:
        import numpy as np

        self._store = store
        self._rows = np.asarray(rows, dtype=np.int64)  # sorted global row indices

    def __len__(self) -> int:
        return int(self._rows.size)

    def iter_batches(self) -> Iterator[list[dict[str, Any]]]:
        """The split's records as lists of dicts, one spill batch at a time, in input order."""
        import numpy as np

        rows = self._rows
        for start, batch in self._store.batches():
            lo, hi = np.searchsorted(rows, [start, start + len(batch)])
            if hi - lo == len(batch):
                yield batch
            elif hi > lo:
                yield [batch[i] for i in (rows[lo:hi] - start).tolist()]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.iter_batches():
            yield from batch

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(index)
        row = int(self._rows[i])
        for start, batch in self._store.batches():
            if start <= row < start + len(batch):
                return batch[row - start]
        raise IndexError(index)  # pragma: no cover - rows always lie in the store

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (SplitRecords, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"SplitRecords({len(self)} records)"


@dataclass
class IngestResult:
    """Canonical records per split, rejects, and the counts that tie them together."""

    splits: dict[str, Sequence[dict[str, Any]]]  # list or SplitRecords (lazily read from the spill)
    rejects: Sequence[Reject]  # a list, or a RejectStore (spilled to disk past a few thousand)
    rows_in: int
    files: list[str]
    file_stats: dict[str, FileStats] = field(default_factory=dict)
    blank_rows: int = 0
    split_origin: str = "release"  # "release", "seeded" or "mixed"
    split_seed: int = schema.DEFAULT_SPLIT_SEED  # seed of the seeded split (the card quotes it)
    # ``splits`` values are lists (when built by hand) or :class:`SplitRecords` read from a spill file.

    @property
    def n_records(self) -> int:
        return sum(len(v) for v in self.splits.values())

    def records(self) -> Iterator[dict[str, Any]]:
        """All records, split by split in :data:`schema.SPLITS` order then any release-own splits."""
        for name in sorted(self.splits, key=_split_order):
            yield from self.splits[name]

    def iter_batches(self, *, size: int = _SPILL_ROWS) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(split, records)`` chunks that cover every record once, each split's records in order.

        A result read by :func:`ingest` is streamed in ONE pass over its spill file (chunks of
        different splits interleave); otherwise each split is chunked in turn. Exporters use this
        to write every split and config while reading the records once.

        Args:
            size: chunk size for results whose splits are plain lists.

        Returns:
            An iterator of ``(split name, list of records)``.
        """
        names = sorted(self.splits, key=_split_order)
        parts = [self.splits[n] for n in names]
        stores = {id(p._store) for p in parts if isinstance(p, SplitRecords)}
        if not parts or len(stores) != 1 or not all(isinstance(p, SplitRecords) for p in parts):
            for name, part in zip(names, parts):
                it = iter(part)
                while chunk := list(islice(it, size)):
                    yield name, chunk
            return
        import numpy as np

        store = parts[0]._store  # type: ignore[union-attr]
        codes = np.full(store.n, -1, dtype=np.int32)
        for k, part in enumerate(parts):
            codes[part._rows] = k  # type: ignore[union-attr]
        for start, batch in store.batches():
            batch_codes = codes[start:start + len(batch)]
            for k, name in enumerate(names):
                idx = np.flatnonzero(batch_codes == k)
                if idx.size == len(batch):
                    yield name, batch
                elif idx.size:
                    yield name, [batch[i] for i in idx.tolist()]


def _split_order(name: str) -> tuple[int, str]:
    return (schema.SPLITS.index(name) if name in schema.SPLITS else len(schema.SPLITS), name)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
def _data_suffix(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for s in DATA_SUFFIXES:
        if name.endswith(s):
            return s
    return None


def iter_source_files(source: Source) -> list[Path]:
    """Expand ``source`` (file, folder, or list) into data files, sorted and de-duplicated.

    Folders are walked recursively; hidden entries, files without a data suffix (README.md,
    scripts) and medcot rejects reports (:func:`medcot.paths.is_rejects_report`) are skipped.

    Args:
        source: a path or a list of paths.

    Returns:
        The data files in reading order.

    Raises:
        InputError: for a missing path, an unsupported file given explicitly, or no data files.
    """
    items = [source] if isinstance(source, (str, Path)) else list(source)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and _data_suffix(f) and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            reports = [f for f in found if is_rejects_report(f)]
            for f in reports:
                logger.warning("%s: skipped — a medcot rejects report, not release data", f)
            found = [f for f in found if f not in reports]
            if not found:
                raise InputError(f"{p}: folder holds no data files (expected {', '.join(DATA_SUFFIXES)}, optionally .gz)")
            files.extend(found)
        elif p.is_file():
            if not _data_suffix(p):
                raise _unsupported(p)
            if is_rejects_report(p):
                raise InputError(f"{p}: is a medcot rejects report (file, line, field, reason, raw), not release data")
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return list(dict.fromkeys(files))


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _open_binary(path: Path, limits: Limits = DEFAULT_LIMITS) -> BinaryIO:
    """The file's bytes; a ``.gz`` file decompressed, failing past ``limits.expansion_budget``."""
    if _is_gzip(path):
        return open_gzip_bounded(path, limits)
    return open(path, "rb")


def _read_sample(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    try:
        with _open_binary(path, limits) as f:
            return f.read(_SAMPLE_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{path}: cannot read file ({exc})") from None


def _sniff_encoding(sample: bytes, path: Path, encoding: str | None = None) -> str:
    """The text encoding of ``path`` (see :func:`medcot.textguard.detect_encoding`)."""
    enc = detect_encoding(sample, path, encoding=encoding, truncated=len(sample) == _SAMPLE_BYTES)
    if enc not in ("utf-8", "utf-8-sig"):
        logger.info("%s: decoding as %s", path, enc)
    return enc


def _read_line(f: Any, limit: int) -> tuple[Any, int]:
    """The next line of ``f`` (bytes or str) and its length; None for a line longer than ``limit``
    (consumed up to its end, so reading goes on with the next line). ``("", 0)``/``(b"", 0)`` at the end.
    """
    line = f.readline(limit + 1)
    if len(line) <= limit or line[-1:] in (b"\n", "\n"):
        return line, len(line)
    consumed = len(line)
    while True:
        rest = f.readline(1 << 20)
        consumed += len(rest)
        if not rest or rest[-1:] in (b"\n", "\n"):
            return None, consumed


def _check_not_empty(sample: bytes, path: Path) -> None:
    """Refuse a file with nothing but whitespace and BOMs."""
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(f"{path}: file is empty; expected a header or at least one record")


@dataclass(frozen=True)
class Header:
    """The column names a reader found (a CSV/TSV header line, an XLSX sheet's first row, a Parquet
    schema), with the sheet they belong to. Readers yield it in place of a row, so the reader's
    bookkeeping never shares a dict with user data (a column called ``__header__`` is just a column).
    """

    columns: tuple[str, ...]
    sheet: str | None = None


@dataclass(frozen=True)
class Blanks:
    """A run of ``count`` blank lines (not data), yielded at once: millions of empty lines cost one step."""

    count: int


# A raw row: (line or record number, mapping / Header / Blanks / None, raw text for the report, error or None).
RawRow = tuple[int, Union[Mapping[str, Any], Header, Blanks, None], str, Union[str, None]]


def _skip_blank_lines(stream: Any) -> int:
    """Consume the whole blank lines (spaces, tabs, CR) that follow in a peekable byte stream; return how many.

    >>> f = io.BufferedReader(io.BytesIO(b"\\n \\r\\n\\n{}\\n"))
    >>> _skip_blank_lines(f), f.read()
    (3, b'{}\\n')
    """
    skipped = 0
    while True:
        buf = stream.peek(1 << 16)[: 1 << 16]
        if not buf:
            return skipped
        blank = len(buf) - len(buf.lstrip(b" \t\r\n"))
        last = buf.rfind(b"\n", 0, blank)
        if last < 0:
            return skipped
        stream.read(last + 1)
        skipped += buf.count(b"\n", 0, last + 1)
        if blank < len(buf):
            return skipped


def _iter_jsonl(path: Path, encoding: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    for n, raw in _jsonl_lines(path, encoding, limits):
        if isinstance(raw, Blanks):
            yield n, raw, "", None
        else:
            yield _jsonl_row(n, raw, encoding, limits.max_row_bytes)


def _jsonl_lines(path: Path, encoding: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, Any]]:
    """Numbered physical lines (bytes; str for UTF-16, which is not line-splittable as bytes);
    None for a line longer than ``limits.max_row_bytes``; :class:`Blanks` for a run of blank lines."""
    with _open_binary(path, limits) as f:
        as_bytes = _line_splittable(encoding)
        stream: Any = f if as_bytes else io.TextIOWrapper(f, encoding=encoding)
        n = 0
        while True:
            line, size = _read_line(stream, limits.max_row_bytes)
            if not size:
                return
            n += 1
            if as_bytes and line is not None and line.isspace() and hasattr(stream, "peek"):
                more = _skip_blank_lines(stream)
                yield n, Blanks(1 + more)
                n += more
                continue
            yield n, line


def _line_splittable(encoding: str) -> bool:
    """Whether lines of ``encoding`` text end at a ``\\n`` byte (UTF-8, GB18030, Big5: yes; UTF-16: no).

    >>> _line_splittable("gb18030"), _line_splittable("utf-16")
    (True, False)
    """
    try:
        return encoding == "utf-8-sig" or "\n".encode(encoding) == b"\n"
    except (LookupError, UnicodeError):
        return False


def _overlong(limit: int) -> str:
    return f"unreadable row: line longer than {format_size(limit)} (medcot's row limit, see README \"Limits\")"


def _jsonl_row(n: int, raw: Any, encoding: str, limit: int = DEFAULT_LIMITS.max_row_bytes) -> RawRow:
    """One JSON Lines line as a raw row: an object, a blank, or an unreadable row with its reason."""
    if raw is None:
        return n, None, "", _overlong(limit)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig" if n == 1 and encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError as exc:
            return n, None, raw[:_RAW_SNIPPET].decode(encoding, "replace"), f"unreadable row: bytes not valid {encoding} ({exc.reason})"
    else:
        text = raw
    if not text or text.isspace():  # == not text.strip(), without copying a long line
        return n, None, "", None  # blank
    try:
        obj = guarded_loads(text)
    except JSONGuardError as exc:
        return n, None, text[:_RAW_SNIPPET].strip(), f"unreadable row: {exc}"
    if not isinstance(obj, dict):
        return n, None, text[:_RAW_SNIPPET].strip(), f"unreadable row: expected a JSON object, got {type(obj).__name__}"
    return n, obj, "", None


def _records_container(data: Any, path: Path) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("data", "records", "rows", "items", "questions", "examples", "instances"):
            if isinstance(data.get(key), list):
                return data[key]
        lists = [k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return data[lists[0]]
        if data and all(isinstance(v, dict) for v in data.values()):
            # {"q1": {...}, "q2": {...}}: the keys are the ids.
            return [{"id": k, **v} if "id" not in v else v for k, v in data.items()]
    raise InputError(
        f"{path}: expected a JSON array of objects or an object with a \"data\" list, got {type(data).__name__}"
    )


def _iter_json(path: Path, encoding: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    with _open_binary(path, limits) as f:
        blob = f.read()
    text = decode_text(blob, encoding, path=path)
    del blob
    try:
        data = guarded_loads(text)
    except JSONGuardError as exc:
        cause = exc.decode_error
        if cause is None:
            raise InputError(f"{path}: {exc}; expected an array of objects") from None
        if cause.msg == "Extra data" and text.lstrip().startswith("{"):
            logger.info("%s: several JSON values, reading it as JSON Lines", path)
            del text
            yield from _iter_jsonl(path, encoding, limits)
            return
        raise InputError(
            f"{path}: not valid JSON at line {cause.lineno} column {cause.colno} ({cause.msg}); "
            "the file may be truncated — expected an array of objects"
        ) from None
    del text
    rows = _records_container(data, path)
    for n, obj in enumerate(rows, start=1):
        if isinstance(obj, dict):
            yield n, obj, "", None
        else:
            yield n, None, json.dumps(obj, ensure_ascii=False, default=str)[:_RAW_SNIPPET], f"unreadable row: expected an object, got {type(obj).__name__}"


def _iter_delimited(path: Path, encoding: str, delimiter: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1, limits.max_row_bytes))
    with _open_binary(path, limits) as fb, io.TextIOWrapper(fb, encoding=encoding, newline="") as f:
        try:
            first = f.readline()
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: the header line is not valid {encoding} ({exc.reason}); re-save the file as UTF-8") from None
        if delimiter == "," and "\t" in first and "," not in first:
            delimiter = "\t"  # a tab-separated file saved as .csv
        lines: Iterable[str] = _chain([first], f)
        reader = csv.reader(lines, delimiter=delimiter)
        header: list[str] | None = None
        prev = 0
        try:
            for cells in reader:
                start, prev = prev + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    if header is not None:
                        yield start, None, "", None
                    continue
                if header is None:
                    header = _unique_header(cells)
                    yield 0, Header(tuple(header)), "", None
                    continue
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raw = delimiter.join(cells)[:_RAW_SNIPPET]
                    yield start, None, raw, _too_many_cells(len(cells), len(header))
                    continue
                if len(cells) < len(header) and any("\n" in c for c in cells):
                    # A quote opened and never closed swallows the following lines into one cell.
                    raw = delimiter.join(cells)[:_RAW_SNIPPET]
                    yield start, None, raw, (
                        f"unreadable row: {len(cells)} cells but the header has {len(header)} columns "
                        "and a cell holds a line break (an unclosed quote?)"
                    )
                    continue
                yield start, dict(zip(header, cells + [""] * (len(header) - len(cells)))), "", None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: bytes after line {prev} are not valid {encoding} ({exc.reason}); re-save the file as UTF-8") from None
        except csv.Error as exc:
            hint = " (medcot's row limit, see README \"Limits\")" if "field limit" in str(exc) else ""
            raise InputError(f"{path}: line {prev + 1}: malformed {('TSV' if delimiter == chr(9) else 'CSV')} ({exc}){hint}") from None


def _unique_header(cells: Sequence[Any]) -> list[str]:
    """Header names with blanks named ``column_N`` and repeats suffixed, so no cell is dropped.

    >>> _unique_header(["答案", None, "答案", " 解析 "])
    ['答案', 'column_2', '答案 (2)', '解析']
    """
    out: list[str] = []
    seen: Counter[str] = Counter()
    for i, c in enumerate(cells, start=1):
        name = "" if c is None else str(c).strip()
        name = name or f"column_{i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _too_many_cells(cells: int, columns: int) -> str:
    return f"unreadable row: more fields than the header has ({cells} cells, {columns} columns)"


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _cell(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if v is not None and not isinstance(v, (str, int, float, bool)):
        return str(v)
    return v


def _iter_xlsx(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    import openpyxl  # deferred: only xlsx users pay for the import

    source: Any = path
    if _is_gzip(path):
        with _open_binary(path, limits) as g:
            source = io.BytesIO(read_bounded(g, limit=limits.max_decompressed_bytes, path=path))
    check_zip(source, limits=limits, name=path)  # a zip bomb never reaches openpyxl
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... for a damaged workbook
        raise InputError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    budget = limits.max_xlsx_cells
    try:
        for ws in wb.worksheets:
            header: list[str] | None = None
            if hasattr(ws, "reset_dimensions"):
                # The declared <dimension> may claim A1:XFD1048576 for one cell: rows are padded to
                # it. Without it each row is as wide as its last written cell.
                ws.reset_dimensions()
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                budget -= len(values) or 1
                if budget < 0:
                    raise InputError(
                        f"{path} [sheet {ws.title}] row {n}: more than {limits.max_xlsx_cells:,} cells in the "
                        "workbook (medcot's bound; raise it with --max-xlsx-cells if the workbook is genuine)"
                    )
                if len(values) > 1 and values[-1] is None:  # a styled blank cell far to the right
                    values = _trim_trailing_none(values)
                cells = [_cell(v) for v in values]
                if not any(c is not None and str(c).strip() for c in cells):
                    if header is not None:
                        yield n, None, "", None
                    continue
                if header is None:
                    header = _unique_header(cells)
                    yield 0, Header(tuple(header), str(ws.title)), "", None
                    continue
                if len(cells) > len(header) and any(c is not None and str(c).strip() for c in cells[len(header):]):
                    yield n, None, json.dumps(cells, ensure_ascii=False, default=str)[:_RAW_SNIPPET], _too_many_cells(len(cells), len(header))
                    continue
                yield n, dict(zip(header, cells)), "", None
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl parses sheets lazily: XML errors surface here
        raise InputError(f"{path}: damaged .xlsx worksheet ({type(exc).__name__}: {str(exc)[:200]})") from None
    finally:
        wb.close()


def _trim_trailing_none(values: Sequence[Any]) -> Sequence[Any]:
    end = len(values)
    while end > 1 and values[end - 1] is None:
        end -= 1
    return values[:end]


def _binary_text(value: Any, column: str) -> Any:
    """A Parquet binary cell as text (strict UTF-8); raises _RowError for bytes that are not text."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        return value
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise _RowError("row", f"column {column!r}: binary value is not UTF-8 text ({bytes(value)[:20]!r}...)") from None


def _iter_parquet(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    """Rows of a Parquet file. Repeated column names are kept apart (``答案 (2)``, as in CSV headers);
    binary columns are read as UTF-8 text (a cell that is not text rejects its row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if _is_gzip(path):
            with _open_binary(path, limits) as g:
                src: Any = io.BytesIO(read_bounded(g, limit=limits.max_decompressed_bytes, path=path))
        else:
            src = path
        pf = pq.ParquetFile(src)
        meta = pf.metadata
        expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        schema = pf.schema_arrow
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError for damaged files
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    stored = src.getbuffer().nbytes if isinstance(src, io.BytesIO) else path.stat().st_size
    budget, option = limits.expansion_budget(stored)
    if expanded > budget:
        raise too_big(path, "the Parquet file", budget, option)
    names = _unique_header(schema.names)
    if len(set(schema.names)) < len(schema.names):
        logger.warning("%s: repeated column names %s kept apart as %s", path,
                       sorted({c for c in schema.names if schema.names.count(c) > 1}), names)
    binary = {i for i, f in enumerate(schema) if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)
              or pa.types.is_fixed_size_binary(f.type)}
    yield 0, Header(tuple(names)), "", None
    n = 0
    try:
        for batch in pf.iter_batches(batch_size=2048, use_threads=False):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*columns):
                n += 1
                if binary:
                    try:
                        values = tuple(_binary_text(v, names[i]) if i in binary else v for i, v in enumerate(values))
                    except _RowError as exc:
                        yield n, None, "", f"unreadable row: {exc.reason}"
                        continue
                yield n, dict(zip(names, values)), "", None
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{path}: Parquet data after record {n} cannot be read ({type(exc).__name__}: {exc})") from None


def _iter_file(path: Path, *, encoding: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawRow]:
    """Rows of one file; low-level read errors (truncated .gz, damaged zip ...) become InputError.

    Rows read by a library (XLSX, Parquet) or a non-JSON decoder are checked for lone surrogates
    here (JSON rows were checked by :func:`medcot.jsonguard.loads`): such a row is unreadable.
    """
    try:
        json_rows = _data_suffix(path) in (".json", ".jsonl", ".ndjson")
        for item in _iter_file_unguarded(path, encoding, limits):
            row = item[1]
            if not json_rows and row is not None and not isinstance(row, (Header, Blanks)):
                problem = surrogate_problem(row)
                if problem:
                    yield item[0], None, "", f"unreadable row: {problem}"
                    continue
            yield item
    except InputError:
        raise
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: cannot read file ({type(exc).__name__}: {exc}); is it truncated or damaged?") from None
    except UnicodeError as exc:  # a decode error, or e.g. "UTF-16 stream does not start with BOM"
        what = f"{exc.encoding} ({exc.reason})" if isinstance(exc, UnicodeDecodeError) else f"{encoding or 'text'} ({exc})"
        raise InputError(f"{path}: bytes not valid {what}; re-save it as UTF-8 or name its encoding with --encoding") from None


def _iter_file_unguarded(path: Path, encoding: str | None, limits: Limits) -> Iterator[RawRow]:
    suffix = _data_suffix(path)
    if suffix in (".xlsx",):
        yield from _iter_xlsx(path, limits)
        return
    if suffix in (".parquet", ".pq"):
        yield from _iter_parquet(path, limits)
        return
    sample = _read_sample(path, limits)
    _check_not_empty(sample, path)
    enc = _sniff_encoding(sample, path, encoding)
    if suffix in (".jsonl", ".ndjson"):
        yield from _iter_jsonl(path, enc, limits)
    elif suffix == ".json":
        yield from _iter_json(path, enc, limits)
    else:
        yield from _iter_delimited(path, enc, "\t" if suffix == ".tsv" else ",", limits)


def _unsupported(path: Path) -> InputError:
    ext = "".join(path.suffixes[-2:]) or "(no extension)"
    return InputError(f"{path}: unsupported input format {ext!r}; expected {', '.join(DATA_SUFFIXES)} (optionally .gz)")


def iter_rows(path: str | Path, *, encoding: str | None = None, limits: Limits | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows of one file, strictly: the one row reader behind ingestion and ``medcot score``.

    Reads every format :func:`ingest` reads (JSON, JSONL, CSV/TSV, XLSX — all sheets —, Parquet,
    each optionally ``.gz``) with the same encoding detection. Header lines and blank rows are
    skipped; cells are returned as the file holds them (CSV cells are strings, "" when empty).
    Unlike :func:`ingest`, which turns an unreadable row into a reject, this raises.

    Args:
        path: one data file.
        encoding: the text encoding (default: detected; see :mod:`medcot.textguard`).
        limits: size bounds (default :data:`medcot.limits.DEFAULT_LIMITS`).

    Returns:
        An iterator of ``(line, row)``: the line number as in :class:`Reject` and a column -> value dict.

    Raises:
        InputError: one line naming the file (and ``file:line`` for a bad row) — missing file,
            folder, unsupported format, empty/undecodable/truncated file, invalid row.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "p.csv")
    >>> _ = open(p, "w", encoding="utf-8").write("id,prediction\\nq1,故选A\\n\\nq2,\\n")
    >>> list(iter_rows(p))
    [(2, {'id': 'q1', 'prediction': '故选A'}), (4, {'id': 'q2', 'prediction': ''})]
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; expected a file")
    if not _data_suffix(p):
        raise _unsupported(p)
    for line, row, _raw, error in _iter_file(p, encoding=encoding, limits=limits or DEFAULT_LIMITS):
        if error is not None:
            raise InputError(f"{p}:{line}: {error.removeprefix('unreadable row: ')}")
        if row is not None and not isinstance(row, (Header, Blanks)):
            yield line, dict(row)


# ---------------------------------------------------------------------------------------------
# Rows -> records
# ---------------------------------------------------------------------------------------------
class _RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


_PLACEHOLDER_LEN = max(map(len, MISSING_PLACEHOLDERS))


def _empty(v: Any) -> bool:
    """None, NaN, blank text, or a whole-cell placeholder such as "nan" / "None" / "#N/A"."""
    if isinstance(v, str):
        # Hot path (several calls a row): long text is never blank after its first character.
        return not v or v.isspace() or (len(v.strip()) <= _PLACEHOLDER_LEN and v.strip() in MISSING_PLACEHOLDERS)
    return v is None or (isinstance(v, float) and math.isnan(v))


def _missing(reason: str, v: Any) -> str:
    """``reason``, naming the placeholder when the cell held one instead of nothing.

    >>> _missing("empty explanation (cot)", "nan"), _missing("empty question", "")
    ("empty explanation (cot): placeholder 'nan'", 'empty question')
    """
    placeholder = missing_placeholder(v)
    return f"{reason}: placeholder {placeholder!r}" if placeholder else reason


def _text(v: Any) -> str | None:
    if v.__class__ is str:
        # Hot path (~6 calls a row): _empty inlined for plain strings.
        if not v or v.isspace():
            return None
        # == _empty: a placeholder after strip(); strip() is a no-op unless an end is whitespace.
        if (len(v) <= _PLACEHOLDER_LEN or v[0].isspace() or v[-1].isspace()) and v.strip() in MISSING_PLACEHOLDERS:
            return None
        return normalize_text(v) or None
    if _empty(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return normalize_text(v) or None


_RUBRIC_KEYS = (*RUBRIC_FIELDS, "rubric")
_REVIEW_KEYS = ("review", "review_status", "review_rounds", "reviewers")


def _score(v: Any, name: str) -> float | None:
    if v.__class__ is float or v.__class__ is int:  # hot path: a JSON number (bool is neither)
        x = float(v)
        if x != x:  # NaN: no score
            return None
        if not (schema.RUBRIC_MIN <= x <= schema.RUBRIC_MAX):
            raise _RowError(f"rubric.{name}", f"score {v!r} outside {schema.RUBRIC_MIN}-{schema.RUBRIC_MAX}")
        return x
    if _empty(v):
        return None
    try:
        x = float(normalize_text(v)) if not isinstance(v, (int, float)) or isinstance(v, bool) else float(v)
    except ValueError:
        raise _RowError(f"rubric.{name}", f"score {v!r} is not a number; expected {schema.RUBRIC_MIN}-{schema.RUBRIC_MAX}") from None
    if not (schema.RUBRIC_MIN <= x <= schema.RUBRIC_MAX):
        raise _RowError(f"rubric.{name}", f"score {v!r} outside {schema.RUBRIC_MIN}-{schema.RUBRIC_MAX}")
    return x


def _count(v: Any, name: str) -> int | None:
    if _empty(v):
        return None
    try:
        x = float(normalize_text(v)) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise _RowError(f"review.{name}", f"{v!r} is not a whole number") from None
    if not x.is_integer() or x < 0:
        raise _RowError(f"review.{name}", f"{v!r} is not a whole number >= 0")
    return int(x)


def _as_mapping(v: Any, name: str) -> Mapping[str, Any] | None:
    if _empty(v):
        return None
    if isinstance(v, str):
        try:
            v = guarded_loads(v)
        except JSONGuardError as exc:
            reason = str(exc) if exc.decode_error is None else f"expected a JSON object, got {v[:60]!r}"
            raise _RowError(name, reason) from None
    if not isinstance(v, Mapping):
        raise _RowError(name, f"expected an object, got {type(v).__name__}")
    return v


def _rubric(fields: Mapping[str, Any], table: AliasTable) -> dict[str, float | None] | None:
    if not any(k in fields for k in _RUBRIC_KEYS):
        return None
    values: dict[str, Any] = {k: fields.get(k) for k in RUBRIC_FIELDS}
    raw = fields.get("rubric")
    nested = _as_mapping(raw, "rubric") if raw is not None else None
    if nested:
        for key, v in nested.items():
            f = table.field_for(key)
            if f in RUBRIC_FIELDS and _empty(values.get(f)):
                values[f] = v
    lo, hi = schema.RUBRIC_MIN, schema.RUBRIC_MAX
    out: dict[str, float | None] = {}
    for k in RUBRIC_FIELDS:
        v = values[k]
        # Hot path: a JSON number in range (NaN fails the comparison and takes _score's path).
        if (v.__class__ is int or v.__class__ is float) and lo <= v <= hi:
            out[k] = float(v)
        else:
            out[k] = _score(v, k)  # an empty value scores None, never raises
    if all(v is None for v in out.values()):
        return None
    dims = [out[k] for k in schema.RUBRIC_DIMENSIONS]
    if out["overall"] is None and all(d is not None for d in dims):
        out["overall"] = round(sum(dims) / len(dims), 4)  # type: ignore[arg-type]
    return out


def _review(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    if not any(k in fields for k in _REVIEW_KEYS):
        return None
    values = {"status": fields.get("review_status"), "rounds": fields.get("review_rounds"), "reviewers": fields.get("reviewers")}
    nested = _as_mapping(fields.get("review"), "review")
    if nested:
        for key, v in nested.items():
            k = str(key).lower()
            if k in values and _empty(values[k]):
                values[k] = v
    if all(_empty(v) for v in values.values()):
        return None
    return {
        "status": _text(values["status"]),
        "rounds": _count(values["rounds"], "rounds"),
        "reviewers": _count(values["reviewers"], "reviewers"),
    }


def _options(fields: Mapping[str, Any], question: str) -> tuple[str, list[dict[str, str]]]:
    if not _empty(fields.get("options")):
        try:
            return question, parse_options(fields["options"])
        except InputError as exc:
            raise _RowError("options", str(exc).removeprefix("options: ")) from None
    columns = sorted(k for k, v in fields.items() if k.startswith(OPTION_COLUMN_PREFIX) and not _empty(v))
    if columns:
        opts = {k[len(OPTION_COLUMN_PREFIX):]: fields[k] for k in columns}
        try:
            return question, parse_options(opts)
        except InputError as exc:
            raise _RowError("options", str(exc).removeprefix("options: ")) from None
    stem, opts = split_embedded_options(question)
    if opts:
        return stem, opts
    placeholder = missing_placeholder(fields.get("options"))
    column = f"the options column holds placeholder {placeholder!r}" if placeholder else "no options column"
    raise _RowError("options", f"no options: {column}, no A/B/C... columns, and none at the end of the question")


def content_hash(question: str, options: Sequence[Mapping[str, str]]) -> str:
    """SHA-1 of the normalised question and options: the dedup key and the fallback id.

    Args:
        question: the normalised question (stem).
        options: the parsed options.

    Returns:
        40 hex digits; the fallback id is ``"mcv-"`` + the first 16.

    >>> h = content_hash("题", [{"label": "A", "text": "甲"}])
    >>> len(h), h == content_hash("题", [{"label": "A", "text": "乙"}])
    (40, False)
    """
    body = question + "\n" + "\n".join(f"{o['label']}\t{o['text']}" for o in options)
    return hashlib.sha1(body.encode("utf-8")).hexdigest()


def _to_record(fields: Mapping[str, Any], extra: Mapping[str, Any], table: AliasTable) -> tuple[dict[str, Any], str, str | None]:
    """Canonical record, its content hash, and the row's split value; raises _RowError."""
    question = _text(fields.get("question"))
    if question is None:
        raise _RowError("question", _missing("empty question", fields.get("question")))
    question, options = _options(fields, question)
    if not question:
        raise _RowError("question", "empty question (only options)")
    labels = [o["label"] for o in options]
    if _empty(fields.get("answer")) and not isinstance(fields.get("answer"), list):
        raise _RowError("answer", _missing("answer missing", fields.get("answer")))
    try:
        answer = parse_answer(fields.get("answer"), labels=labels)
    except InputError as exc:
        # Some releases store the answer as the option's text ("肺炎链球菌"): accept an exact match.
        text = _text(fields.get("answer")) if isinstance(fields.get("answer"), str) else None
        matches = [o["label"] for o in options if text and o["text"] == text]
        if len(matches) != 1:
            raise _RowError("answer", str(exc).removeprefix("answer: ")) from None
        answer = matches
    cot = _text(fields.get("cot"))
    if cot is None:
        raise _RowError("cot", _missing("empty explanation (cot)", fields.get("cot")))
    digest = content_hash(question, options)
    rid = _text(fields.get("id")) or f"mcv-{digest[:16]}"
    qtype = _text(fields.get("question_type")) or (schema.MULTIPLE_CHOICE if len(answer) > 1 else schema.SINGLE_CHOICE)
    try:
        split = None if _empty(fields.get("split")) else canonical_split(fields.get("split"))
    except InputError as exc:
        raise _RowError("split", str(exc).removeprefix("split: ")) from None
    record = {
        "id": rid,
        "question": question,
        "options": options,
        "answer": answer,
        "cot": cot,
        "question_type": qtype,
        "department": _text(fields.get("department")),
        "source": _text(fields.get("source")),
        "rubric": _rubric(fields, table),
        "review": _review(fields),
        "extra": json.dumps(dict(extra), ensure_ascii=False, default=str, sort_keys=True) if extra else None,
    }
    return record, digest, split


def _map_row(row: Mapping[str, Any], mapping: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a source row into canonical fields and the non-empty unmapped columns (``extra``)."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for col, value in row.items():
        f = mapping.get(str(col))
        if f is not None:
            fields[f] = value
        elif col is not None and not _empty(value):
            extra[str(col)] = value
    return fields, extra


class _Dedup:
    """First occurrence of each id and content hash, as (file, line, id); later ones are rejects."""

    def __init__(self) -> None:
        self.ids: dict[str, tuple[str, int, str]] = {}
        self.content: dict[str, tuple[str, int, str]] = {}

    def check(self, rid: str, digest: str, file: str, line: int) -> None:
        """Remember a row, or raise _RowError pointing at the row it duplicates."""
        if digest in self.content:
            f0, l0, id0 = self.content[digest]
            raise _RowError("question", f"duplicate question: same question and options as {f0}:{l0} (id {id0})")
        if rid in self.ids:
            f0, l0, _ = self.ids[rid]
            raise _RowError("id", f"duplicate id {rid!r}: first seen at {f0}:{l0}")
        self.content[digest] = self.ids[rid] = (file, line, rid)


def _reject(rejects: RejectStore | list[Reject], st: FileStats, reject: Reject, limits: Limits) -> None:
    """Record one reject in the report and in its file's counts (which bound a run of rejects)."""
    rejects.append(reject)
    st.rejected(reject, limit=limits.max_reject_run)


def _snippet(row: Mapping[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=str)[:_RAW_SNIPPET]


def _require_columns(columns: Sequence[str], mapping: Mapping[str, str], table: AliasTable, where: str) -> None:
    have = set(mapping.values())
    missing = [f for f in REQUIRED_FIELDS if f not in have]
    if missing:
        wanted = "; ".join(f"{f}: {', '.join(table.aliases_of(f))}" for f in missing)
        raise InputError(
            f"{where}: no {'/'.join(missing)} column among {list(columns)}; accepted names — {wanted} "
            "(add your own with --aliases)"
        )


# ---------------------------------------------------------------------------------------------
# Parallel JSON Lines: byte ranges read by forked workers
# ---------------------------------------------------------------------------------------------
# A large JSON Lines file is cut at line boundaries into byte ranges that forked workers parse
# and turn into records (the costly per-row Python work) while the parent only merges small
# per-row outcomes in file order: duplicates, rejects, counts and line numbers come out exactly
# as in the serial reader, which every other format (and small files) still uses.
PARALLEL_MIN_BYTES = 8 << 20  # below this, forking costs more than it saves
_CHUNKS_PER_PROCESS = 2  # a few ranges per worker even out their speed differences
_MIN_RANGE_BYTES = 1 << 20  # many cores, smaller file: fewer, larger ranges (and workers)
_PARALLEL_SUFFIXES = (".jsonl", ".ndjson")

# Outcome kinds of one physical line, as a worker reports them (first tuple item).
_BLANK, _UNREADABLE, _ROW_REJECT, _RECORD = 0, 1, 2, 3

# Set in the parent just before forking; workers inherit it (never pickled).
_WORKER_TABLE: AliasTable | None = None


def default_processes() -> int:
    """Worker processes available to this process (its CPU affinity; at least 1).

    >>> default_processes() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _parallel_encoding(path: Path, processes: int, encoding: str | None = None,
                       limits: Limits = DEFAULT_LIMITS) -> str | None:
    """The encoding to read ``path`` with in parallel, or None to read it serially.

    Only plain (not gzipped) JSON Lines of at least :data:`PARALLEL_MIN_BYTES` in an encoding whose
    line breaks are single ``\\n`` bytes qualify, and only on Linux (``fork``). Runs the same
    file-level checks as the serial reader first (same errors).
    """
    if processes < 2 or _data_suffix(path) not in _PARALLEL_SUFFIXES or path.name.lower().endswith(".gz"):
        return None
    try:
        if path.stat().st_size < PARALLEL_MIN_BYTES:
            return None
    except OSError:
        return None  # the serial reader reports it
    import multiprocessing

    # fork only where it is the platform's own default (Linux); macOS frameworks may not survive it.
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return None
    sample = _read_sample(path, limits)
    _check_not_empty(sample, path)
    enc = _sniff_encoding(sample, path, encoding)
    if not _line_splittable(enc):  # e.g. UTF-16's two-byte code units: not splittable at b"\n"
        return None
    return enc


def _byte_ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """Cut ``path`` into about ``parts`` byte ranges that start at line starts (``\\n`` ends a line).

    Only the bytes around each cut are read; workers number their lines from 1 and the parent
    adds the lines of the ranges before (so nothing is counted here, before the fork).

    >>> import os, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> _ = p.write_bytes(b"a\\nbb\\n\\nccc\\nd")
    >>> _byte_ranges(p, 3)
    [(0, 5), (5, 10), (10, 11)]
    """
    size = path.stat().st_size
    ranges: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as f:
        for k in range(1, parts + 1):
            target = size if k == parts else size * k // parts
            if target <= start:
                continue
            end = target
            if target < size:
                f.seek(target)
                end += len(f.readline())  # finish the line the target falls in
            ranges.append((start, end))
            start = end
            if start >= size:
                break
    return ranges


def _jsonl_range_worker(
    task: tuple[str, str, int, int, str, int, int],
) -> tuple[list[tuple[Any, ...]], list[tuple[str, ...]], list[tuple[int, int, int]], int]:
    """Parse the lines of one byte range into records (spilled to ``segment``) and outcomes.

    Returns ``(outcomes, keys, batches, lines)``: one outcome tuple per physical line (kind, then
    its line number counted from 1 within the range; see :func:`_merge_range`), the distinct
    column tuples in first-seen order (outcomes refer to them by index), the ``(records, offset,
    length)`` spill batches written to ``segment``, and the number of physical lines read.
    """
    path, encoding, start, end, segment, batch_rows, max_row = task
    table = _WORKER_TABLE
    assert table is not None, "worker table not set before forking"
    outcomes: list[tuple[Any, ...]] = []
    key_index: dict[tuple[str, ...], int] = {}
    keys: list[tuple[str, ...]] = []
    mappings: list[dict[str, str]] = []
    batches: list[tuple[int, int, int]] = []
    buffer: list[dict[str, Any]] = []
    written = 0
    with open(path, "rb") as f, open(segment, "wb") as sink:
        f.seek(start)
        # The line number only labels the outcome (decoding does not depend on it: utf-8-sig
        # drops a BOM wherever it is), so a range can count from 1 and the parent shift it.
        pos, n = start, 1
        while pos < end:
            raw, size = _read_line(f, max_row)
            if not size:
                break
            at = pos
            pos += size
            line, row, text, error = _jsonl_row(n, raw, encoding, max_row)
            n += 1
            if row is None:
                outcomes.append((_BLANK, line) if error is None else (_UNREADABLE, line, error, text[:_RAW_SNIPPET]))
                continue
            key = tuple(row)
            k = key_index.get(key)
            if k is None:
                k = key_index[key] = len(keys)
                keys.append(key)
                mappings.append(table.map_columns(key))
            try:
                record, digest, split = _to_record(*_map_row(row, mappings[k]), table)
            except _RowError as exc:
                outcomes.append((_ROW_REJECT, line, k, exc.field, exc.reason, _snippet(row)))
                continue
            outcomes.append((_RECORD, line, k, record["id"], digest, record["department"], record["question_type"], split, at))
            buffer.append(record)
            if len(buffer) >= batch_rows:
                written = _write_spill_batches(buffer, sink, written, batches)
                buffer = []
        if buffer:
            _write_spill_batches(buffer, sink, written, batches)
    return outcomes, keys, batches, n - 1


def _ingest_jsonl_parallel(
    path: Path,
    encoding: str,
    processes: int,
    *,
    table: AliasTable,
    st: FileStats,
    file_split: str | None,
    rejects: RejectStore | list[Reject],
    dedup: _Dedup,
    store: RecordStore,
    keys: list[tuple[str, str, str, str | None]],
    background: _Background | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bool:
    """Read one JSON Lines file with ``processes`` forked workers; same effects as the serial loop.

    ``background`` (if any) is started once the workers are forked and waited for before returning,
    so no later fork can copy a half-finished import.

    Returns:
        False, having changed nothing, when no worker process could be started (read it serially).
    """
    global _WORKER_TABLE
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fname = str(path)
    mapping_cache: dict[tuple[str, ...], dict[str, str]] = {}
    state = {"header_checked": False}
    try:
        parts = min(processes * _CHUNKS_PER_PROCESS, max(2, path.stat().st_size // _MIN_RANGE_BYTES))
        ranges = _byte_ranges(path, parts)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({type(exc).__name__}: {exc}); is it truncated or damaged?") from None
    segments = [store.new_segment() for _ in ranges]
    tasks = [(fname, encoding, s, e, seg, store.batch_rows, limits.max_row_bytes) for (s, e), seg in zip(ranges, segments)]
    _WORKER_TABLE = table
    pool = ProcessPoolExecutor(min(processes, len(tasks)), mp_context=multiprocessing.get_context("fork"))
    try:
        try:
            # Every worker is forked here, before any thread of this pool or ``background`` starts.
            results = pool.map(_jsonl_range_worker, tasks)
        except OSError as exc:  # fork refused (process or memory limits)
            logger.warning("%s: cannot start worker processes (%s); reading it in this process", path, exc)
            return False
        if background is not None:
            background.start()
        with open(path, "rb") as reread:
            lines_before = 0
            for (outcomes, chunk_keys, batches, lines), segment in zip(results, segments):
                drop = _merge_range(
                    outcomes, chunk_keys, path=path, encoding=encoding, reread=reread, table=table, st=st,
                    file_split=file_split, rejects=rejects, dedup=dedup, keys=keys, mapping_cache=mapping_cache,
                    state=state, lines_before=lines_before, limits=limits,
                )
                store.add_segment(segment, batches, drop)
                lines_before += lines
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read file ({type(exc).__name__}: {exc}); is it truncated or damaged?") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if background is not None:
            background.join()
        _WORKER_TABLE = None
    if background is not None:
        background.finish()  # its own error, never reported as a read error of this file
    return True


def _merge_range(
    outcomes: list[tuple[Any, ...]],
    chunk_keys: list[tuple[str, ...]],
    *,
    path: Path,
    encoding: str,
    reread: BinaryIO,
    table: AliasTable,
    st: FileStats,
    file_split: str | None,
    rejects: RejectStore | list[Reject],
    dedup: _Dedup,
    keys: list[tuple[str, str, str, str | None]],
    mapping_cache: dict[tuple[str, ...], dict[str, str]],
    state: dict[str, bool],
    lines_before: int = 0,
    limits: Limits = DEFAULT_LIMITS,
) -> list[int]:
    """Apply one range's outcomes in line order, as the serial loop would; returns segment positions to drop.

    ``lines_before`` (physical lines in the file before this range) turns the range's own line
    numbers into the file's.
    """
    fname = str(path)
    # Column tuples first seen in this range, in the order they appear: the order the serial
    # loop notes them in (a tuple seen in an earlier range is already noted).
    for key in chunk_keys:
        if key not in mapping_cache:
            mapping_cache[key] = table.map_columns(key)
            st.note_columns(key, mapping_cache[key])
    drop: list[int] = []
    position = 0  # of the next record in this range's segment
    intern = sys.intern
    for oc in outcomes:
        kind = oc[0]
        if kind == _BLANK:
            st.blank_rows += 1
            continue
        st.rows += 1
        line = oc[1] + lines_before
        if kind == _UNREADABLE:
            _reject(rejects, st, Reject(fname, line, "row", oc[2], oc[3]), limits)
            continue
        if not state["header_checked"]:
            key = chunk_keys[oc[2]]
            _require_columns(list(key), mapping_cache[key], table, f"{fname} (first record, line {line})")
            state["header_checked"] = True
        if kind == _ROW_REJECT:
            _reject(rejects, st, Reject(fname, line, oc[3], oc[4], oc[5]), limits)
            continue
        _, _, _, rid, digest, dept, qtype, split, at = oc
        try:
            dedup.check(rid, digest, fname, line)
        except _RowError as exc:
            reread.seek(at)
            row = _jsonl_row(line, reread.readline(), encoding)[1]
            _reject(rejects, st, Reject(fname, line, exc.field, exc.reason, _snippet(row)), limits)  # type: ignore[arg-type]
            drop.append(position)
            position += 1
            continue
        position += 1
        keys.append((rid, intern(dept or ""), intern(qtype or ""), split or file_split))
        st.accepted()
    return drop


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------
def ingest(
    source: Source,
    *,
    aliases: AliasSource = None,
    split_ratios: Sequence[float] | Mapping[str, float] = schema.DEFAULT_SPLIT_RATIOS,
    seed: int = schema.DEFAULT_SPLIT_SEED,
    processes: int | None = None,
    background: Callable[[], Any] | None = None,
    encoding: str | None = None,
    limits: Limits | None = None,
) -> IngestResult:
    """Read raw release files into canonical records per split, plus rejects.

    Args:
        source: a file, a folder (walked recursively, sorted) or a list of them.
        aliases: extra column aliases: a dict or a JSON/TOML file (see :mod:`medcot.columns`).
        split_ratios: train/validation/test ratios for records without a split of their own.
        seed: seed of that split.
        processes: worker processes for large JSON Lines files (default: the CPUs this process
            may use; 1 = read everything in this process). The result is the same either way.
        background: a function run once in a thread of this process while worker processes read
            a file (started after they are forked, joined before anything is forked again), else
            after reading; its exception is raised here. ``medcot build`` imports the writing
            stack (pyarrow, ``datasets``) this way, on the core the parsing leaves free.
        encoding: text encoding of every text file (default: detected per file; see
            :func:`medcot.textguard.detect_encoding`).
        limits: size bounds (default :data:`medcot.limits.DEFAULT_LIMITS`; README "Limits").

    Returns:
        An :class:`IngestResult`; ``rows_in == n_records + len(rejects)``.

    Raises:
        InputError: for a file-level problem (missing/empty/undecodable/truncated file, no question
            column ...), in one line naming the file.

    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> rows = [{"问题": "成人正常血钾浓度的下限是", "选项": "A 2.5\\nB 3.5\\nC 4.5", "答案": "B", "解析": "正常血钾3.5～5.5 mmol/L。"},
    ...         {"问题": "", "选项": "A 甲\\nB 乙", "答案": "A", "解析": "无题干"}]
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write("\\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    >>> res = ingest(path)
    >>> res.rows_in, res.n_records, [(r.line, r.field, r.reason) for r in res.rejects]
    (2, 1, [(2, 'question', 'empty question')])
    >>> rec = res.splits["train"][0]
    >>> rec["answer"], [o["text"] for o in rec["options"]], rec["question_type"]
    (['B'], ['2.5', '3.5', '4.5'], 'single_choice')
    """
    table = build_alias_table(aliases)
    ratios = check_ratios(split_ratios)
    if encoding is not None:
        encoding = check_encoding_name(encoding)
    files = iter_source_files(source)
    procs = default_processes() if processes is None else int(processes)
    if procs < 1:
        raise InputError(f"processes: expected a whole number >= 1, got {processes!r}")
    # The loop allocates many long-lived dicts and no reference cycles; pausing the cyclic GC
    # avoids repeated full collections over the growing record list (~35% faster at 125k rows).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    side = _Background(background)
    try:
        result = _ingest_files(files, table, ratios, seed, procs, side, encoding, limits or DEFAULT_LIMITS)
        side.finish()  # runs it now if no file was read in parallel
        return result
    finally:
        side.join()  # never leave it running behind an error
        if gc_was_enabled:
            gc.enable()


class _Background:
    """Run a function once in a thread started after a fork; :meth:`finish` waits and re-raises.

    >>> calls = []
    >>> b = _Background(lambda: calls.append(1)); b.start(); b.start(); b.finish(); b.finish(); calls
    [1]
    >>> b = _Background(lambda: 1 / 0); b.start()
    >>> b.finish()
    Traceback (most recent call last):
    ZeroDivisionError: division by zero
    """

    def __init__(self, fn: Callable[[], Any] | None) -> None:
        self.fn = fn
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.done = fn is None

    def _run(self) -> None:
        try:
            self.fn()  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by finish()
            self.error = exc

    def start(self) -> None:
        """Start the thread (only the first call does anything)."""
        if not self.done and self.thread is None:
            self.thread = threading.Thread(target=self._run, name="medcot-ingest-background", daemon=True)
            self.thread.start()

    def join(self) -> None:
        """Wait for a started thread (before forking again, or when giving up)."""
        if self.thread is not None:
            self.thread.join()

    def finish(self) -> None:
        """Wait for the thread, or run the function here if it never started; re-raise its error."""
        if self.done:
            return
        if self.thread is None:
            self._run()
        self.join()
        self.done = True
        if self.error is not None:
            raise self.error


def _ingest_files(
    files: list[Path], table: AliasTable, ratios: Mapping[str, float], seed: int, processes: int = 1,
    background: _Background | None = None, encoding: str | None = None, limits: Limits = DEFAULT_LIMITS,
) -> IngestResult:
    rejects = RejectStore()
    stats: dict[str, FileStats] = {}
    dedup = _Dedup()
    store = RecordStore(batch_rows=_SPILL_ROWS)
    # Small per-record keys kept in memory (the records themselves go to the store):
    # id, stratum (department, question_type) and the release's own split, by store row.
    keys: list[tuple[str, str, str, str | None]] = []

    for path in files:
        fname = str(path)
        st = stats.setdefault(fname, FileStats())
        file_split = split_from_path(path)
        parallel = _parallel_encoding(path, processes, encoding, limits)
        if parallel is not None and _ingest_jsonl_parallel(
            path, parallel, processes, table=table, st=st, file_split=file_split, rejects=rejects,
            dedup=dedup, store=store, keys=keys, background=background, limits=limits,
        ):
            if st.rows == 0:
                logger.warning("%s: no data rows", fname)
            continue
        mapping: dict[str, str] = {}
        header_checked = False
        sheet: str | None = None
        where_file = fname
        mapping_cache: dict[tuple[str, ...], dict[str, str]] = {}
        sheet_split: dict[str | None, str | None] = {}
        sheet_error: InputError | None = None
        skipping = False
        for line, row, raw, error in _iter_file(path, encoding=encoding, limits=limits):
            if isinstance(row, Header):
                header = [str(h) for h in row.columns]
                sheet = row.sheet
                where_file = fname if not sheet else f"{fname} [{sheet}]"
                mapping = table.map_columns(header)
                where = f"{fname} [sheet {sheet}]" if sheet else fname
                try:
                    _require_columns(header, mapping, table, where)
                    st.note_columns(header, mapping)
                    skipping = False
                    header_checked = True
                except InputError as exc:
                    if not sheet:
                        raise
                    # A workbook may hold notes sheets; skip them loudly, fail only if no sheet has data.
                    logger.warning("%s: skipping sheet without question/answer/cot columns (it has %s)", where, header)
                    sheet_error, skipping = sheet_error or exc, True
                continue
            if isinstance(row, Blanks):
                if not skipping:
                    st.blank_rows += row.count
                continue
            if skipping:
                continue
            if row is None and error is None:
                st.blank_rows += 1
                continue
            st.rows += 1
            if error is not None:
                _reject(rejects, st, Reject(where_file, line, "row", error, raw[:_RAW_SNIPPET]), limits)
                continue
            assert row is not None
            if sheet is None and _data_suffix(path) in (".json", ".jsonl", ".ndjson"):
                key = tuple(row)
                if key not in mapping_cache:
                    mapping_cache[key] = table.map_columns(key)
                    st.note_columns(key, mapping_cache[key])
                mapping = mapping_cache[key]
                if not header_checked:
                    _require_columns(list(row), mapping, table, f"{fname} (first record, line {line})")
                    header_checked = True
            try:
                record, digest, split = _to_record(*_map_row(row, mapping), table)
                dedup.check(record["id"], digest, where_file, line)
            except _RowError as exc:
                _reject(rejects, st, Reject(where_file, line, exc.field, exc.reason, _snippet(row)), limits)
                continue
            if sheet not in sheet_split:
                sheet_split[sheet] = split_from_path(path, sheet=sheet) if sheet else file_split
            store.add(record)
            keys.append((
                record["id"], sys.intern(record["department"] or ""), sys.intern(record["question_type"] or ""),
                split or sheet_split[sheet],
            ))
            st.accepted()
        if sheet_error is not None and not header_checked:
            raise sheet_error
        if st.rows == 0:
            logger.warning("%s: no data rows", fname)
    del dedup
    store.close()

    unsplit = sum(1 for k in keys if k[3] is None)
    seeded = assign_splits(
        ({"id": rid, "department": dept, "question_type": qtype} for rid, dept, qtype, s in keys if s is None),
        ratios=ratios, seed=seed,
    ) if unsplit else {}
    rows: dict[str, list[int]] = {}
    for i, (rid, _, _, s) in enumerate(keys):
        rows.setdefault(s or seeded[rid], []).append(i)
    origin = "seeded" if unsplit == len(keys) else ("release" if not unsplit else "mixed")
    if origin == "mixed":
        logger.warning("%d of %d records had no split of their own; they were split with seed %s", unsplit, len(keys), seed)
    del keys, seeded
    splits = {k: SplitRecords(store, rows[k]) for k in sorted(rows, key=_split_order)}
    rows_in = sum(s.rows for s in stats.values())
    result = IngestResult(
        splits=splits,
        rejects=rejects,
        rows_in=rows_in,
        files=[str(p) for p in files],
        file_stats=stats,
        blank_rows=sum(s.blank_rows for s in stats.values()),
        split_origin=origin if store.n else "release",
        split_seed=seed,
    )
    assert result.rows_in == result.n_records + len(result.rejects), "rows in != records + rejects"
    return result


def write_rejects(rejects: Iterable[Reject], path: str | Path) -> int:
    """Write rejects as JSON Lines (one ``{file, line, field, reason, raw}`` per line).

    Args:
        rejects: the rejects to write.
        path: output file; parent folders are created.

    Returns:
        The number of rejects written.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "rejects.jsonl")
    >>> write_rejects([Reject("a.jsonl", 3, "cot", "empty explanation (cot)", "{}")], p)
    1
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for r in rejects:
            f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n
