"""Bounded-memory ingestion: records spilled to a temporary file and read back lazily.

The spill must be invisible: the same records, in the same order, whatever the spill batch size;
the export must write byte-identical files whether the records stream from the spill or come from
plain lists.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

import medcot.ingest as ingest_mod
from medcot import export
from medcot.ingest import SplitRecords, ingest


@pytest.fixture(scope="module")
def reference(dummy_data: Path):
    res = ingest(dummy_data)
    return res, {k: list(v) for k, v in res.splits.items()}


@pytest.mark.parametrize("batch_rows", [1, 3, 7])
def test_small_spill_batches_give_the_same_records(dummy_data: Path, reference, monkeypatch, batch_rows: int) -> None:
    monkeypatch.setattr(ingest_mod, "_SPILL_ROWS", batch_rows)
    res = ingest(dummy_data)
    _, expected = reference
    assert all(isinstance(v, SplitRecords) for v in res.splits.values())
    assert {k: list(v) for k, v in res.splits.items()} == expected
    # One streaming pass covers every record once, each split in its own order.
    seen: dict[str, list[dict]] = {}
    for split, batch in res.iter_batches():
        seen.setdefault(split, []).extend(batch)
    assert seen == expected


def test_split_records_behave_like_lists(reference) -> None:
    res, expected = reference
    for name, records in res.splits.items():
        want = expected[name]
        assert len(records) == len(want) and records == want and list(records) == want
        assert records[0] == want[0] and records[-1] == want[-1] and records[1:3] == want[1:3]
        with pytest.raises(IndexError):
            records[len(want)]
    assert res.n_records == sum(len(v) for v in expected.values())


def test_spill_file_is_removed_with_the_result(dummy_data: Path) -> None:
    res = ingest(dummy_data)
    path = next(iter(res.splits.values()))._store.path
    assert os.path.exists(path)
    del res
    gc.collect()
    assert not os.path.exists(path)


def test_export_is_the_same_from_the_spill_and_from_lists(tmp_path: Path, reference, monkeypatch) -> None:
    res, expected = reference
    monkeypatch.setattr(ingest_mod, "_SPILL_ROWS", 4)
    streamed = export.export(ingest(res.files), tmp_path / "a", row_group_rows=5)
    plain = SimpleNamespace(splits=expected, rejects=res.rejects, rows_in=res.rows_in, split_origin=res.split_origin)
    listed = export.export(plain, tmp_path / "b", row_group_rows=5)
    assert streamed.counts() == listed.counts()
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
