"""``medcot build``: turn a raw release into a folder that is exactly a Hub dataset repo.

Layout written into ``out``::

    README.md                                   dataset card (YAML configs + dataset_info, prose)
    data/<config>/<split>-00000-of-0000N.parquet

Nothing else: no loading script, no stray data files (the rejects report goes next to ``out``,
not inside it). ``load_dataset(str(out), config)`` reads exactly what the Hub serves.

Both this module and the builder ``medcot_verified.py`` get records from :func:`ingest_source`
and rows from :func:`medcot.views.record_to_config`, so they cannot disagree.

Parquet choices (why):

- row groups of at most ``ROW_GROUP_ROWS`` = 1,000 rows and about ``ROW_GROUP_BYTES`` = 8 MB of
  Arrow data (whichever is smaller): the Hub viewer pages through a file one row group at a
  time, so small groups keep its pages fast; 1,000 is also what ``datasets`` writes by default.
- a new shard once a file holds ``MAX_SHARD_BYTES`` = 200 MB of Arrow data, so no single file is
  unwieldy to upload, download or convert; the whole real release (~60 MB) fits one shard.
- records are converted and written one row group at a time with ``pyarrow.parquet.ParquetWriter``,
  every (config, split) file open at once (:class:`SplitWriter`), so the ingested records are read
  in ONE streaming pass (``IngestResult.iter_batches``) and memory stays bounded however large the
  release is; the files do not depend on how the records arrive in batches.
"""

from __future__ import annotations

import gc
import logging
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

# pyarrow, `datasets` (behind medcot.schema) and the views are imported where they are used:
# `medcot build` imports them in a thread while forked workers parse the release (see build()).
from medcot import card, constants
from medcot.errors import InputError, MedcotError
from medcot.paths import check_report_location

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

ROW_GROUP_ROWS = 1_000
ROW_GROUP_BYTES = 8 * 1024 * 1024
MAX_SHARD_BYTES = 200 * 1024 * 1024

# The synthetic dummy release ships inside the package (medcot/dummy_data is a link to the
# checkout's top-level dummy_data/, copied into the wheel), so the default works from any folder.
BUNDLED_DUMMY_DATA = Path(__file__).resolve().parent / "dummy_data"

_SHARD_RE = re.compile(r"^[\w.]+-\d{5}-of-\d{5}\.parquet$")
_PARTIAL_SUFFIX = ".partial"


# ---------------------------------------------------------------------------------------------
# Records: the one code path shared with the builder
# ---------------------------------------------------------------------------------------------
def default_data_dir() -> Path:
    """The bundled synthetic dummy release (package data; ``dummy_data/`` in a checkout).

    >>> (default_data_dir() / "train.jsonl").is_file()
    True
    """
    if not BUNDLED_DUMMY_DATA.is_dir():
        raise InputError(f"{BUNDLED_DUMMY_DATA}: the bundled dummy release is missing from this install; pass --data-dir RAW")
    return BUNDLED_DUMMY_DATA


def ingest_source(
    sources: Path | str | Sequence[Path | str],
    *,
    aliases: Path | str | None = None,
    seed: int | None = None,
    background: Callable[[], Any] | None = None,
    encoding: str | None = None,
    limits: Any = None,
) -> Any:
    """Ingest raw release files (a file, a folder or a list) into canonical records + rejects.

    Args:
        sources: What to read.
        aliases: Optional user alias file extending the column alias table.
        seed: Seed of the stratified split for records without a split of their own
            (default ``schema.DEFAULT_SPLIT_SEED``).
        background: Run in a thread while worker processes parse (see :func:`medcot.ingest.ingest`).
        encoding: Text encoding of every text file (default: detected per file).
        limits: A :class:`medcot.limits.Limits` (default: README "Limits").

    Returns:
        The :class:`medcot.ingest.IngestResult`.
    """
    from medcot.ingest import ingest

    source = [str(s) for s in sources] if isinstance(sources, (list, tuple)) else str(sources)
    kwargs: dict[str, Any] = {}
    if aliases is not None:
        kwargs["aliases"] = aliases
    if seed is not None:
        kwargs["seed"] = seed
    if background is not None:
        kwargs["background"] = background
    result = ingest(source, encoding=encoding, limits=limits, **kwargs)
    records = sum(len(v) for v in result.splits.values())
    if result.rows_in != records + len(result.rejects):  # the ingest contract; never lose a row silently
        raise MedcotError(f"ingest lost rows: rows in {result.rows_in} != {records} records + {len(result.rejects)} rejects")
    logger.info("ingested %d rows: %d records, %d rejects", result.rows_in, records, len(result.rejects))
    return result


def split_order(splits: Mapping[str, Sequence[Any]]) -> list[str]:
    """Non-empty split names: ``schema.SPLITS`` order first, then the release's own, sorted.

    >>> split_order({"test": [1], "train": [1], "dev2": [1], "validation": []})
    ['train', 'test', 'dev2']
    """
    known = [s for s in constants.SPLITS if splits.get(s)]
    return known + sorted(s for s in splits if s not in constants.SPLITS and splits[s])


def split_method_text(result: Any) -> str:
    """One paragraph for the card saying how the splits were made (from ``result.split_origin``).

    >>> from types import SimpleNamespace
    >>> split_method_text(SimpleNamespace(split_origin="release"))
    "The splits are the release's own (a split column or per-split files)."
    """
    origin = getattr(result, "split_origin", None)
    seed = getattr(result, "split_seed", constants.DEFAULT_SPLIT_SEED)
    train, val, test = constants.DEFAULT_SPLIT_RATIOS
    seeded = (
        f"a deterministic stratified split made by `medcot` (train/validation/test = "
        f"{train:.0%}/{val:.0%}/{test:.0%}, seed {seed}), identical across runs and machines"
    )
    if origin == "release":
        return "The splits are the release's own (a split column or per-split files)."
    if origin == "seeded":
        return f"The release carries no split of its own, so the splits are {seeded}."
    if origin == "mixed":
        return (
            "Records with a split in the release (a split column or per-split files) keep it; the others "
            f"were assigned by {seeded}."
        )
    return f"The splits are the release's own when it has them; otherwise {seeded}."


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
@dataclass
class BuildResult:
    """What ``medcot build`` wrote."""

    out_dir: Path
    layout: dict[str, dict[str, card.SplitLayout]]
    rows_in: int
    records: int
    rejects: int
    rejects_path: Path | None
    synthetic: bool
    synthetic_records: int = 0  # records recognised as the bundled synthetic release (medcot.synthetic)
    stats: dict[str, Any] = field(default_factory=dict)
    verified: dict[str, dict[str, int]] | None = None
    figures: list[str] = field(default_factory=list)  # relative paths of the card's figures
    figures_note: str | None = None  # why the card has no figures, when it has none

    def counts(self) -> dict[str, dict[str, int]]:
        """``{config: {split: rows}}``."""
        return {cfg: {s: lay.num_examples for s, lay in splits.items()} for cfg, splits in self.layout.items()}


def _batched(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def needs_encoding(feature: Any) -> bool:
    """Whether ``datasets`` would change values when encoding ``feature`` (ClassLabel, Image ...).

    Plain values, lists and structs are written by Arrow as they are, so the export skips
    ``Features.encode_example`` for them (it dominated the export's run time).

    >>> import datasets
    >>> from medcot import schema
    >>> needs_encoding(schema.DEFAULT_FEATURES), needs_encoding({"y": datasets.ClassLabel(names=["a"])})
    (False, True)
    """
    import datasets

    if isinstance(feature, dict):
        return any(needs_encoding(v) for v in feature.values())
    if isinstance(feature, (datasets.List, datasets.LargeList)):
        return needs_encoding(feature.feature)
    return not isinstance(feature, datasets.Value)


class ParquetThread:
    """Runs Parquet writes on one background thread, in submission order.

    Parquet encoding and compression run in C++ without the GIL, so on a multi-core machine they
    overlap with the Python work that converts the next batch. One thread keeps every call in the
    order it was made (file opens, row groups, closes), so the files are byte-identical to writing
    inline. At most ``max_pending`` calls wait, which bounds the tables held in memory; the first
    error is raised in the caller by :meth:`submit` or :meth:`drain`.

    >>> t = ParquetThread()
    >>> out = []
    >>> t.submit(out.append, 1); t.submit(out.append, 2); t.drain(); t.shutdown(); out
    [1, 2]
    """

    def __init__(self, *, max_pending: int = 8) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medcot-parquet")
        self._pending: deque[Any] = deque()
        self.max_pending = max_pending

    def submit(self, fn: Any, *args: Any) -> None:
        """Queue ``fn(*args)``; waits while too many calls are queued."""
        self._pending.append(self._pool.submit(fn, *args))
        while self._pending and (self._pending[0].done() or len(self._pending) > self.max_pending):
            self._pending.popleft().result()

    def drain(self) -> None:
        """Wait for every queued call (raising the first error)."""
        while self._pending:
            self._pending.popleft().result()

    def shutdown(self) -> None:
        """Stop the thread, dropping calls not yet started (after an error)."""
        for fut in self._pending:
            fut.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()


class SplitWriter:
    """Writes one (config, split) as ``data/<config>/<split>-0000i-of-0000N.parquet`` shards.

    Canonical records arrive in any batch sizes through :meth:`add`; they are converted and written
    in row groups of exactly ``row_group_rows`` records (the last one shorter), so the files do not
    depend on how the caller batches. Shards are written as ``.partial`` files and renamed by
    :meth:`close`; :meth:`abort` removes them. :func:`export` keeps one open per (config, split)
    so the records are read once.

    Args:
        config: Config name from ``schema.CONFIGS``.
        split: Split name.
        out_dir: The repo folder.
        row_group_rows: Maximum rows per Parquet row group.
        row_group_bytes: Target maximum Arrow bytes per row group.
        max_shard_bytes: Start a new file after this many Arrow bytes.
        thread: Run the Parquet writes on this :class:`ParquetThread` (default: inline).

    >>> import pyarrow.parquet as pq
    >>> out = Path(tempfile.mkdtemp())
    >>> rec = {"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}, {"label": "B", "text": "乙"}],
    ...        "answer": ["A"], "cot": "因为甲。", "question_type": "A1"}
    >>> w = SplitWriter(config="reasoning", split="train", out_dir=out, row_group_rows=2)
    >>> w.add([rec, dict(rec, id="q2")]); w.add([dict(rec, id="q3")])
    >>> lay = w.close()
    >>> lay.files, lay.num_examples, pq.ParquetFile(out / lay.files[0]).metadata.num_row_groups
    (('data/reasoning/train-00000-of-00001.parquet',), 3, 2)
    """

    def __init__(
        self,
        *,
        config: str,
        split: str,
        out_dir: Path,
        row_group_rows: int = ROW_GROUP_ROWS,
        row_group_bytes: int = ROW_GROUP_BYTES,
        max_shard_bytes: int = MAX_SHARD_BYTES,
        thread: ParquetThread | None = None,
    ) -> None:
        from medcot import schema, views

        self.config, self.split, self.out_dir = config, split, out_dir
        self.thread = thread
        self.features = schema.get_config(config).features
        self.view = views.VIEWS[config]
        self.arrow_schema = self.features.arrow_schema
        self.encode = needs_encoding(self.features)
        self.folder = out_dir / "data" / config
        self.folder.mkdir(parents=True, exist_ok=True)
        self.row_group_rows, self.row_group_bytes, self.max_shard_bytes = row_group_rows, row_group_bytes, max_shard_bytes
        self.partials: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[Mapping[str, Any]] = []
        self.shard_bytes = self.rows = self.total_bytes = 0

    def add(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Queue canonical records; full row groups are written at once."""
        view = self.view
        self.add_rows([view(r) for r in records])

    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue rows already converted to this config (:func:`views.config_rows`); full row groups are written."""
        self._pending.extend(rows)
        n = self.row_group_rows
        if len(self._pending) >= n:
            full = len(self._pending) // n * n
            for i in range(0, full, n):
                self._write(self._pending[i:i + n])
            del self._pending[:full]

    def _write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        import pyarrow as pa

        if self.encode:
            rows = [self.features.encode_example(r) for r in rows]
        table = pa.Table.from_pylist(rows, schema=self.arrow_schema)
        new_shard = None
        if not self.partials or self.shard_bytes >= self.max_shard_bytes:
            new_shard = self.folder / f"{self.split}-{len(self.partials):05d}{_PARTIAL_SUFFIX}"
            self.partials.append(new_shard)
            self.shard_bytes = 0
        # Long CoTs: shrink the row group so one group stays near row_group_bytes.
        group = max(1, min(self.row_group_rows, table.num_rows * self.row_group_bytes // max(table.nbytes, 1)))
        self._write_table(table, group, new_shard)
        self.shard_bytes += table.nbytes
        self.total_bytes += table.nbytes
        self.rows += table.num_rows

    def _write_table(self, table: pa.Table, group: int, new_shard: Path | None) -> None:
        """Open the next shard when asked, then append one row group (on the thread, if any)."""
        if self.thread is not None:
            self.thread.submit(self._write_table_now, table, group, new_shard)
        else:
            self._write_table_now(table, group, new_shard)

    def _write_table_now(self, table: pa.Table, group: int, new_shard: Path | None) -> None:
        if new_shard is not None:
            import pyarrow.parquet as pq

            self._close_file()
            self._writer = pq.ParquetWriter(new_shard, self.arrow_schema)
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=group)

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> card.SplitLayout:
        """Write what is queued, rename the shards to their final names; returns the layout."""
        if self._pending:
            self._write(self._pending)
            self._pending = []
        if self.thread is not None:
            self.thread.submit(self._close_file)
            self.thread.drain()
        self._close_file()
        n = len(self.partials)
        files = []
        download = 0
        for i, partial in enumerate(self.partials):
            final = self.folder / f"{self.split}-{i:05d}-of-{n:05d}.parquet"
            partial.replace(final)
            download += final.stat().st_size
            files.append(final.relative_to(self.out_dir).as_posix())
        return card.SplitLayout(files=tuple(files), num_examples=self.rows, num_bytes=self.total_bytes, download_bytes=download)

    def abort(self) -> None:
        """Close and delete the partial shards (after the thread, if any, has stopped)."""
        if self.thread is not None:
            self.thread.shutdown()
        try:
            self._close_file()
        except Exception:  # noqa: BLE001 - already failing; the partial files are removed below
            pass
        for p in self.partials:
            p.unlink(missing_ok=True)


def _split_batches(result: Any, splits: Sequence[str], size: int) -> Iterator[tuple[str, Sequence[Mapping[str, Any]]]]:
    """``(split, records)`` chunks: one streaming pass when the result offers it, else split by split."""
    iter_batches = getattr(result, "iter_batches", None)
    if iter_batches is not None:
        wanted = set(splits)
        yield from ((s, b) for s, b in iter_batches() if s in wanted)
    else:
        for split in splits:
            for batch in _batched(result.splits[split], size):
                yield split, batch


def _is_ours(path: Path, out_dir: Path) -> bool:
    """Files `medcot build` writes (and may delete on --overwrite)."""
    rel = path.relative_to(out_dir)
    if rel.as_posix() == "README.md":
        return True
    parts = rel.parts
    if len(parts) == 2 and parts[0] == card.FIGURES_DIR:
        from medcot.plots.dataset import FIGURE_FILES

        return parts[1] in FIGURE_FILES
    return (
        len(parts) == 3
        and parts[0] == "data"
        and parts[1] in constants.CONFIG_NAMES
        and (_SHARD_RE.match(parts[2]) is not None or parts[2].endswith(_PARTIAL_SUFFIX))
    )


def prepare_out_dir(out_dir: Path, *, overwrite: bool) -> None:
    """Create ``out_dir`` or, with ``overwrite``, remove the files a previous build wrote there.

    Files medcot did not write are never deleted (a warning lists them). Raises :class:`InputError`
    when ``out_dir`` is a file, is non-empty without ``overwrite``, or holds ``<name>.py`` (which
    ``load_dataset`` would refuse as a loading script).
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [p for p in out_dir.rglob("*") if p.is_file()]
    if existing and not overwrite:
        raise InputError(f"--out {out_dir}: folder is not empty ({len(existing)} files); pass --overwrite to replace a previous build")
    script = out_dir / f"{out_dir.name}.py"
    if script.exists():
        raise InputError(f"{script}: a loading script named after the folder makes load_dataset fail; remove it")
    foreign = []
    for path in existing:
        if _is_ours(path, out_dir):
            path.unlink()
        elif ".git" not in path.relative_to(out_dir).parts:
            foreign.append(path.relative_to(out_dir).as_posix())
    for cfg_dir in (out_dir / "data").glob("*"):
        if cfg_dir.is_dir() and not any(cfg_dir.iterdir()):
            cfg_dir.rmdir()
    if foreign:
        logger.warning("kept %d files medcot did not write in %s: %s", len(foreign), out_dir, ", ".join(foreign[:5]))


def export(
    result: Any,
    out_dir: str | Path,
    *,
    license_id: str = constants.DEFAULT_DATA_LICENSE,
    synthetic: bool | None = None,
    overwrite: bool = False,
    configs: Sequence[str] = constants.CONFIG_NAMES,
    repo_id: str = "org/medcot",
    row_group_rows: int = ROW_GROUP_ROWS,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    figures: bool | None = None,
) -> BuildResult:
    """Write an ingest result as a Hub dataset repo folder (Parquet shards + README card + figures).

    Args:
        result: An ``IngestResult`` (``.splits``, ``.rejects``, ``.rows_in``).
        out_dir: Target folder.
        license_id: Data licence for the card.
        synthetic: Mark the card as synthetic dummy data; ``None`` = when any record is one of the
            bundled synthetic release (recognised by content, see :mod:`medcot.synthetic`).
        overwrite: Replace a previous build in ``out_dir``.
        configs: Configs to write (all by default).
        repo_id: Repo id used in the card's loading examples.
        row_group_rows: Maximum rows per row group.
        max_shard_bytes: Arrow bytes per shard before a new file starts.
        figures: Draw the dataset's make-up into ``figures/`` and embed it in the card: True =
            required (an error when it cannot be drawn), False = never, None = when matplotlib
            and a CJK font are installed (else the card has none and ``figures_note`` says why).

    Returns:
        A :class:`BuildResult`.
    """
    from medcot import schema, views
    from medcot.synthetic import count_synthetic

    out_dir = Path(out_dir)
    license_id = card.check_license(license_id)
    for name in configs:
        schema.get_config(name)
    if "default" not in configs:
        raise InputError("configs: the `default` config is required (the card's statistics are computed from it)")
    prepare_out_dir(out_dir, overwrite=overwrite)
    splits = split_order(result.splits)
    if not splits:
        raise InputError(f"no records to export ({result.rows_in} rows in, {len(result.rejects)} rejected)")
    names = [spec.name for spec in schema.CONFIGS if spec.name in configs]
    layout: dict[str, dict[str, card.SplitLayout]] = {name: {} for name in names}
    # Every (config, split) file is open at once, so the records are read in ONE pass; the
    # statistics are gathered per split and merged in split order (as if added split by split).
    thread = ParquetThread()
    writers = {
        (name, split): SplitWriter(config=name, split=split, out_dir=out_dir, row_group_rows=row_group_rows,
                                   max_shard_bytes=max_shard_bytes, thread=thread)
        for split in splits for name in names
    }
    per_split = {split: card.StatsAccumulator() for split in splits}
    synthetic_records = 0
    # Encoded configs (none today) go through Features.encode_example, which wants exact keys.
    shared = [name for name in names if not writers[(name, splits[0])].encode]
    gc_was_enabled = gc.isenabled()
    # Many short-lived dicts and no reference cycles: the cyclic GC only costs time here.
    gc.disable()
    try:
        for split, batch in _split_batches(result, splits, row_group_rows):
            per_split[split].add_many(batch, split=split)
            synthetic_records += count_synthetic(batch)
            rows = views.config_rows(shared, batch)
            for name in names:
                if name in rows:
                    writers[(name, split)].add_rows(rows[name])
                else:
                    writers[(name, split)].add(batch)
            del rows
        for name in names:
            for split in splits:
                layout[name][split] = writers[(name, split)].close()
                logger.info("wrote %s/%s: %d rows", name, split, layout[name][split].num_examples)
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    finally:
        thread.shutdown()
        if gc_was_enabled:
            gc.enable()
    acc = card.StatsAccumulator()
    for split in splits:
        acc.merge(per_split[split])
    stats = acc.result()
    if synthetic is None:
        synthetic = synthetic_records > 0
    if synthetic_records:
        logger.info("%d of %d records are the bundled synthetic release's", synthetic_records, stats["records"])
    refs, note = card_figures(acc, out_dir, figures=figures)
    text = card.render_card(
        layout, stats, license_id=license_id, synthetic=synthetic, split_method=split_method_text(result),
        repo_id=repo_id, rows_in=result.rows_in, rejects=len(result.rejects), figures=refs,
    )
    (out_dir / "README.md").write_text(text, encoding="utf-8")
    return BuildResult(
        out_dir=out_dir, layout=layout, rows_in=result.rows_in, records=stats["records"],
        rejects=len(result.rejects), rejects_path=None, synthetic=synthetic,
        synthetic_records=synthetic_records, stats=stats, figures=[rel for rel, _ in refs], figures_note=note,
    )


def card_figures(acc: card.StatsAccumulator, out_dir: Path, *, figures: bool | None) -> tuple[list[tuple[str, str]], str | None]:
    """Draw the card's figures into ``out_dir/figures``.

    Args:
        acc: Statistics of the exported records.
        out_dir: The repo folder.
        figures: True = required, False = none, None = when they can be drawn.

    Returns:
        ``([(relative path, alt text)], None)``, or ``([], reason)`` when there are none.

    >>> card_figures(card.StatsAccumulator(), Path("/nonexistent"), figures=False)
    ([], 'figures turned off (--no-figures)')
    """
    if figures is False:
        return [], "figures turned off (--no-figures)"
    try:
        from medcot.plots.dataset import draw_dataset_figures

        saved = draw_dataset_figures(acc, out_dir / card.FIGURES_DIR)
    except MedcotError as exc:
        if figures:
            raise
        logger.warning("the card has no figures: %s", exc)
        return [], str(exc)
    return [(f.path.relative_to(out_dir).as_posix(), f.alt) for f in saved], None


def load_writing_stack() -> None:
    """Import what writing the folder needs: pyarrow, ``datasets`` (via the schema) and the card's.

    :func:`build` passes this to the ingest, which runs it in a thread while its worker processes
    parse the release, so the ~0.5-1 s of imports overlap the parsing instead of preceding it.
    Importing is idempotent: anything already imported costs nothing.
    """
    import datasets.info  # the card's dataset_info
    import datasets.utils.metadata  # noqa: F401 - the card's configs
    import huggingface_hub.repocard  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from medcot import schema, views  # noqa: F401 - the Features and the config views


def default_rejects_path(out_dir: Path) -> Path:
    """Rejects report next to (never inside) the repo folder.

    >>> default_rejects_path(Path("/tmp/build/medcot")).as_posix()
    '/tmp/build/medcot.rejects.jsonl'
    """
    return out_dir.parent / f"{out_dir.name}.rejects.jsonl"


def build(
    out_dir: str | Path,
    *,
    data_dir: str | Path | None = None,
    license_id: str = constants.DEFAULT_DATA_LICENSE,
    aliases: str | Path | None = None,
    rejects_path: str | Path | None = None,
    overwrite: bool = False,
    verify: bool = True,
    repo_id: str = "org/medcot",
    max_shard_bytes: int = MAX_SHARD_BYTES,
    synthetic: bool | None = None,
    seed: int | None = None,
    encoding: str | None = None,
    limits: Any = None,
    figures: bool | None = None,
) -> BuildResult:
    """``medcot build``: ingest ``data_dir`` (default: bundled dummy_data) and export to ``out_dir``.

    Args:
        out_dir: Target folder (becomes the Hub repo).
        data_dir: Raw release file or folder.
        license_id: Data licence for the card.
        aliases: User alias file for column names.
        rejects_path: Where to write the rejects JSONL (default: ``<out_dir>.rejects.jsonl`` beside it).
        overwrite: Replace a previous build.
        verify: Load every config back with ``datasets.load_dataset`` and check features and counts.
        repo_id: Repo id used in the card's loading examples.
        max_shard_bytes: Arrow bytes per Parquet shard.
        synthetic: Mark the card as synthetic; ``None`` = when any record is one of the bundled
            synthetic release (by content: a copy of its files is still recognised).
        seed: Seed of the stratified split for records the release does not assign to a split
            (default ``schema.DEFAULT_SPLIT_SEED``; the card quotes the seed used).
        encoding: Text encoding of the release's text files (default: detected per file).
        limits: Size bounds of the readers (a :class:`medcot.limits.Limits`; default README "Limits").
        figures: The card's figures (see :func:`export`): True = required, False = none, None = if possible.

    Returns:
        A :class:`BuildResult`.
    """
    from medcot.ingest import write_rejects

    out = Path(out_dir).resolve()
    source = Path(data_dir).resolve() if data_dir is not None else default_data_dir()
    if not source.exists():
        raise InputError(f"--data-dir {source}: no such file or folder")
    if source == out or source.is_relative_to(out) or out.is_relative_to(source):
        raise InputError(f"--out {out}: must not overlap --data-dir {source} (a rebuild would read its own output)")
    rejects_file = Path(rejects_path).resolve() if rejects_path is not None else default_rejects_path(out)
    if rejects_file.is_relative_to(out):
        raise InputError(f"--rejects {rejects_file}: must be outside --out {out} (it would be published as data)")
    check_report_location(rejects_file, [source], option="--rejects")
    # Cheap checks first, so a long ingest never ends in a refusal.
    license_id = card.check_license(license_id)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"--out {out}: folder is not empty; pass --overwrite to replace a previous build")
    if figures:
        from medcot.plots import fonts

        fonts.find_cjk_font()  # --figures without matplotlib or a CJK font fails before the ingest
    result = ingest_source(source, aliases=aliases, seed=seed, background=load_writing_stack, encoding=encoding,
                           limits=limits)
    built = export(
        result, out, license_id=license_id, synthetic=synthetic, overwrite=overwrite,
        repo_id=repo_id, max_shard_bytes=max_shard_bytes, figures=figures,
    )
    rejects_file.parent.mkdir(parents=True, exist_ok=True)
    write_rejects(result.rejects, rejects_file)
    built.rejects_path = rejects_file
    if verify:
        built.verified = verify_folder(out, built.counts())
    return built


# ---------------------------------------------------------------------------------------------
# Verification: load the folder the way the Hub / users will
# ---------------------------------------------------------------------------------------------
def verify_folder(
    out_dir: str | Path,
    expected: Mapping[str, Mapping[str, int]],
    *,
    cache_dir: str | Path | None = None,
) -> dict[str, dict[str, int]]:
    """Load every config of ``out_dir`` with ``datasets.load_dataset`` and check it.

    Each config is opened with ``load_dataset(out_dir, config, streaming=True)`` — the same README
    YAML and data files a Hub user gets — and its first row of every split is decoded; row counts
    are read from the Parquet footers of the files the card's ``configs`` section declares.
    Streaming avoids copying every config into the ``datasets`` cache (the full load of every
    config is exercised by the test suite), which made verification cost more than the export.

    Checks: features equal the schema's, each split yields rows, row counts equal ``expected``,
    no extra or missing split.

    Args:
        out_dir: A folder written by :func:`export`.
        expected: ``{config: {split: rows}}``.
        cache_dir: ``datasets`` cache (default: a temporary folder, removed afterwards).

    Returns:
        ``{config: {split: rows}}`` as loaded.

    Raises:
        MedcotError: When a config does not load as written.
    """
    import datasets
    import pyarrow.parquet as pq

    from medcot import schema

    folder = Path(out_dir)
    declared = card.config_files(card.read_card_data(folder))
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    loaded: dict[str, dict[str, int]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="medcot-verify-") as tmp:
            for cfg, splits in expected.items():
                ds = datasets.load_dataset(str(folder), cfg, cache_dir=str(cache_dir or tmp), streaming=True)
                want = schema.get_config(cfg).features
                problems = []
                loaded[cfg] = {}
                for split in ds:
                    if ds[split].features != want:
                        problems.append(f"{split}: features {ds[split].features} != schema {want}")
                    files = [f for pattern in declared.get(cfg, {}).get(split, []) for f in sorted(folder.glob(pattern))]
                    try:
                        rows = iter(ds[split])
                        try:
                            if next(rows, None) is None:
                                problems.append(f"{split}: yields no rows")
                        finally:
                            # an abandoned Arrow-backed stream can abort the interpreter at exit
                            # (datasets#7879 / arrow#45214): close it now
                            getattr(rows, "close", lambda: None)()
                        loaded[cfg][split] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
                    except Exception as exc:  # a damaged file fails in pyarrow or datasets, with many types
                        loaded[cfg][split] = -1
                        problems.append(f"{split}: unreadable ({type(exc).__name__}: {(str(exc).splitlines() or [''])[0]})")
                if loaded[cfg] != dict(splits):
                    problems.append(f"rows {loaded[cfg]} != written {dict(splits)}")
                if problems:
                    raise MedcotError(f"{out_dir}: config {cfg!r} does not load as written: " + "; ".join(problems))
    finally:
        gc.collect()  # release the closed streams' Arrow readers before the interpreter exits
        if bars:
            datasets.enable_progress_bars()
    return loaded
