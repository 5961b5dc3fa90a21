"""``medcot_verified.py``: the datasets builder used as ordinary Python (datasets >= 4)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from conftest import load_builder_module

from medcot import export, schema
from medcot.errors import InputError

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "canonical_records.jsonl"  # 9 rows with their own split column: 5 train, 2 validation, 2 test


@pytest.fixture(scope="module")
def mv():
    return load_builder_module()


def _prepare(mv, tmp_path, name="default", **kwargs):
    builder = mv.MedCoTVerified(config_name=name, cache_dir=str(tmp_path / "cache"), **kwargs)
    builder.download_and_prepare()
    return builder, builder.as_dataset()


def test_bigbio_style_module_constants(mv):
    assert "2505.06912" in mv._CITATION and mv._CITATION.lstrip().startswith("@")
    assert mv._HOMEPAGE.startswith("https://")
    assert mv._LICENSE == schema.DEFAULT_DATA_LICENSE
    assert mv._DESCRIPTION == schema.DESCRIPTION


def test_configs_come_from_the_schema(mv, tmp_path):
    assert [c.name for c in mv.MedCoTVerified.BUILDER_CONFIGS] == list(schema.CONFIG_NAMES)
    assert mv.MedCoTVerified.DEFAULT_CONFIG_NAME == "default"
    for spec in schema.CONFIGS:
        builder = mv.MedCoTVerified(config_name=spec.name, cache_dir=str(tmp_path))
        assert builder.info.features == spec.features
        assert builder.config.description == spec.description


def test_data_dir_file(mv, tmp_path):
    _, ds = _prepare(mv, tmp_path, "qa", data_dir=str(RECORDS))
    assert {s: ds[s].num_rows for s in ds} == {"train": 5, "validation": 2, "test": 2}
    assert ds["train"].features == schema.QA_FEATURES


def test_data_dir_folder_and_gz(mv, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    with gzip.open(raw / "release.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(RECORDS.read_text(encoding="utf-8"))
    _, ds = _prepare(mv, tmp_path, "sft", data_dir=str(raw))
    assert sum(ds[s].num_rows for s in ds) == 9


def test_data_files_per_split_assign_that_split(mv, tmp_path):
    lines = RECORDS.read_text(encoding="utf-8").splitlines()
    a, b = tmp_path / "part_a.jsonl", tmp_path / "part_b.jsonl"
    # drop the split column so only data_files decides
    strip = lambda ls: "\n".join(json.dumps({k: v for k, v in json.loads(x).items() if k != "split"}, ensure_ascii=False) for x in ls)
    a.write_text(strip(lines[:6]), encoding="utf-8")
    b.write_text(strip(lines[6:]), encoding="utf-8")
    _, ds = _prepare(mv, tmp_path, "default", data_files={"train": str(a), "test": str(b)})
    assert {s: ds[s].num_rows for s in ds} == {"train": 6, "test": 3}


def test_ingests_once_per_builder(mv, tmp_path, monkeypatch):
    calls = []
    real = export.ingest_source

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "ingest_source", counting)
    _, ds = _prepare(mv, tmp_path, "reasoning", data_dir=str(RECORDS))
    assert len(ds) == 3 and len(calls) == 1


def test_missing_data_dir_is_an_input_error(mv, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        _prepare(mv, tmp_path, "default", data_dir=str(tmp_path / "nope"))


def test_default_is_the_bundled_dummy_data(mv, tmp_path, dummy_data):
    builder, ds = _prepare(mv, tmp_path, "default")
    result = export.ingest_source(dummy_data)
    assert {s: ds[s].num_rows for s in ds} == {s: len(v) for s, v in result.splits.items() if v}
    (ingested,) = builder.ingest_results
    assert ingested.rows_in == result.rows_in and len(ingested.rejects) == len(result.rejects)


def test_rebuild_from_copy_gives_same_rows(mv, tmp_path, dummy_data):
    """Deterministic: same input in another place gives the same ids and rows."""
    copy = tmp_path / "copy"
    shutil.copytree(dummy_data, copy)
    _, a = _prepare(mv, tmp_path / "a", "sft")
    _, b = _prepare(mv, tmp_path / "b", "sft", data_dir=str(copy))
    for split in a:
        assert a[split].to_list() == b[split].to_list()
