"""Human-Verified Clinical Reasoning Dataset (MedCoT-Verified): a ``datasets`` builder.

Chinese medical examination questions, each with its answer and an expert-validated chain-of-thought
explanation (Ding et al., arXiv 2505.06912). The configs and their Features come from
``medcot.schema``; records come from ``medcot.ingest`` and rows from ``medcot.views`` -- the same
code path ``medcot build`` uses for the Parquet export, so the two cannot disagree.

``datasets`` >= 4 no longer runs loading scripts through ``load_dataset``; use this file as
ordinary Python::

    from medcot_verified import MedCoTVerified
    builder = MedCoTVerified(config_name="sft", data_dir="path/to/raw_release", cache_dir="/tmp/c")
    builder.download_and_prepare()
    ds = builder.as_dataset()

Without ``data_dir`` / ``data_files`` it reads the bundled synthetic ``dummy_data/`` next to this file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets

from medcot import export, schema, views
from medcot.errors import InputError

logger = logging.getLogger(__name__)

_CITATION = schema.CITATION
_HOMEPAGE = schema.HOMEPAGE
_LICENSE = schema.DEFAULT_DATA_LICENSE
_DESCRIPTION = schema.DESCRIPTION

_VERSION = datasets.Version("1.0.0")
_DUMMY_DATA = Path(__file__).resolve().parent / "dummy_data"
# Archives are extracted by the download manager; other files (including .gz, which ingest opens
# itself and whose inner extension tells it the format) are passed on as they are.
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


class MedCoTVerifiedConfig(datasets.BuilderConfig):
    """BuilderConfig for MedCoT-Verified.

    Args:
        aliases: Optional path of a user column-alias file (see ``medcot.columns``).
        **kwargs: Passed to :class:`datasets.BuilderConfig` (name, data_dir, data_files ...).
    """

    def __init__(self, *, aliases: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aliases = aliases


class MedCoTVerified(datasets.GeneratorBasedBuilder):
    """Human-Verified Clinical Reasoning Dataset: canonical records and derived configs."""

    BUILDER_CONFIG_CLASS = MedCoTVerifiedConfig
    BUILDER_CONFIGS = [
        MedCoTVerifiedConfig(name=spec.name, version=_VERSION, description=spec.description)
        for spec in schema.CONFIGS
    ]
    DEFAULT_CONFIG_NAME = "default"
    # IngestResult(s) of the last preparation (rows in, rejects): empty until _split_generators runs.
    ingest_results: tuple = ()

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=_DESCRIPTION,
            features=schema.get_config(self.config.name).features,
            homepage=_HOMEPAGE,
            license=_LICENSE,
            citation=_CITATION,
        )

    # -- sources ------------------------------------------------------------------------------
    def _local(self, dl_manager: datasets.DownloadManager, path: str) -> str:
        """A local path for one data file (archives extracted, others as they are)."""
        if Path(path).is_dir():
            return path
        if path.lower().endswith(_ARCHIVES):
            return dl_manager.download_and_extract(path)
        return dl_manager.download(path)

    def _source_groups(self, dl_manager: datasets.DownloadManager) -> dict[str | None, list[str]]:
        """``{split or None: [local paths]}``; ``None`` means "let ingest find the splits"."""
        data_files = self.config.data_files
        if data_files:
            groups = {split: [self._local(dl_manager, str(p)) for p in paths] for split, paths in data_files.items()}
            # One group is what `datasets` makes of a plain list: ingest decides the split itself.
            return {None: next(iter(groups.values()))} if len(groups) == 1 else dict(groups)
        data_dir = Path(self.config.data_dir).expanduser().resolve() if self.config.data_dir else _DUMMY_DATA
        if not data_dir.exists():
            raise InputError(f"data_dir {data_dir}: no such file or folder")
        return {None: [self._local(dl_manager, str(data_dir))]}

    def _ingest(self, dl_manager: datasets.DownloadManager) -> dict[str, list[Sequence[dict]]]:
        """Ingest once per builder; later splits reuse the records.

        Per split, the record sequences of each ingested source (read lazily from ingest's spill
        file, so the builder never holds the whole release in memory).
        """
        cached = getattr(self, "_records_by_split", None)
        if cached is not None:
            return cached
        by_split: dict[str, list[Sequence[dict]]] = {}
        results = []
        for split, paths in self._source_groups(dl_manager).items():
            result = export.ingest_source(paths if len(paths) > 1 else paths[0], aliases=self.config.aliases)
            results.append(result)
            for own_split, records in result.splits.items():
                # Files given per split in data_files: their records all belong to that split.
                by_split.setdefault(split or own_split, []).append(records)
            if result.rejects:
                logger.warning("%d rows rejected while reading %s", len(result.rejects), ", ".join(paths))
        self.ingest_results = tuple(results)
        self._records_by_split = by_split
        return by_split

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        records = self._ingest(dl_manager)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"split": split}) for split in export.split_order(records)]

    def _generate_examples(self, split: str):
        for part in self._records_by_split[split]:
            for record in part:
                yield record["id"], views.record_to_config(self.config.name, record)
