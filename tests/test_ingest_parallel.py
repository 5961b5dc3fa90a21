"""Parallel JSON Lines ingestion (byte ranges parsed by forked workers) equals the serial reader.

Records, their order and splits, rejects (file, line, field, reason, raw), per-file counts and
column notes must not depend on how many workers read a file or where the ranges are cut —
including on malformed lines, duplicates across ranges, a BOM, CRLF line ends, invalid UTF-8 and
a file without a final newline. Tricky lines come from ``tests/data/jsonl_edge_lines.json``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import medcot.ingest as ingest_mod
from medcot.errors import InputError
from medcot.ingest import RecordStore, _byte_ranges, ingest

EDGE = json.loads((Path(__file__).parent / "data" / "jsonl_edge_lines.json").read_text(encoding="utf-8"))["lines"]


def _snapshot(res) -> dict:
    return {
        "splits": {k: list(v) for k, v in res.splits.items()},
        "rejects": [r.to_dict() for r in res.rejects],
        "rows_in": res.rows_in,
        "blank_rows": res.blank_rows,
        "origin": res.split_origin,
        "stats": {k: vars(v) for k, v in res.file_stats.items()},
    }


def _edge_file(dummy_data: Path, folder: Path, *, bom: bool = False, crlf: bool = False, final_newline: bool = False) -> Path:
    """dummy_data's train.jsonl, the edge lines, the train lines again (all duplicates), bad bytes."""
    body = (dummy_data / "train.jsonl").read_bytes().rstrip(b"\n").split(b"\n")
    lines = body + [s.encode("utf-8") for s in EDGE] + [b'{"id": "E011", "question": "\xff\xfe bad bytes"}'] + body
    sep = b"\r\n" if crlf else b"\n"
    data = (b"\xef\xbb\xbf" if bom else b"") + sep.join(lines) + (sep if final_newline else b"")
    path = folder / "release.jsonl"
    path.write_bytes(data)
    return path


@pytest.fixture
def tiny_parallel(monkeypatch):
    """Make every JSON Lines file qualify for the parallel reader."""
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_mod, "_MIN_RANGE_BYTES", 1)


@pytest.mark.parametrize("variant", [{}, {"bom": True}, {"crlf": True, "final_newline": True}, {"final_newline": True}])
@pytest.mark.parametrize("chunks", [1, 3, 17])
def test_parallel_equals_serial_on_edge_lines(dummy_data: Path, tmp_path: Path, tiny_parallel, monkeypatch, variant, chunks) -> None:
    path = _edge_file(dummy_data, tmp_path, **variant)
    serial = _snapshot(ingest(path, processes=1))
    monkeypatch.setattr(ingest_mod, "_CHUNKS_PER_PROCESS", chunks)
    monkeypatch.setattr(ingest_mod, "_SPILL_ROWS", 4)  # several spill batches per range, some with dropped rows
    parallel = _snapshot(ingest(path, processes=2))
    assert parallel == serial
    # The cases really happened: unreadable rows, duplicates of rows read by another range, blanks.
    reasons = " ".join(r["reason"] for r in serial["rejects"])
    assert "invalid JSON" in reasons and "duplicate id" in reasons and "duplicate question" in reasons
    assert "expected a JSON object" in reasons and "not valid utf-8" in reasons
    assert serial["blank_rows"] >= 2 and serial["rows_in"] == sum(len(v) for v in serial["splits"].values()) + len(serial["rejects"])


def test_parallel_equals_serial_on_a_folder(dummy_data: Path, tmp_path: Path, tiny_parallel) -> None:
    # Parallel JSONL between serial CSV/XLSX/JSON files: one store, records in file order.
    folder = tmp_path / "release"
    shutil.copytree(dummy_data, folder)
    _edge_file(dummy_data, folder)
    assert _snapshot(ingest(folder, processes=2)) == _snapshot(ingest(folder, processes=1))


def test_parallel_equals_serial_on_real_data(realdata_path: Path, tiny_parallel) -> None:
    assert _snapshot(ingest(realdata_path, processes=2)) == _snapshot(ingest(realdata_path, processes=1))


def test_parallel_missing_columns_error_is_the_serial_one(tmp_path: Path, tiny_parallel) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("\n" + "\n".join(json.dumps({"question": f"题{i}", "options": "A 甲\nB 乙"}) for i in range(9)), encoding="utf-8")
    with pytest.raises(InputError) as serial:
        ingest(path, processes=1)
    with pytest.raises(InputError) as parallel:
        ingest(path, processes=2)
    assert str(parallel.value) == str(serial.value) and "(first record, line 2)" in str(serial.value)


def test_processes_must_be_positive(dummy_data: Path) -> None:
    with pytest.raises(InputError, match="processes"):
        ingest(dummy_data, processes=0)


@pytest.mark.parametrize("parts", [1, 2, 5, 50])
def test_byte_ranges_cover_the_file_at_line_starts(tmp_path: Path, parts: int) -> None:
    path = tmp_path / "x.jsonl"
    data = b"a\n\nbbb\r\ncc\n" * 7 + b"tail"
    path.write_bytes(data)
    ranges = _byte_ranges(path, parts)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data) and len(ranges) <= parts
    for (s, e), (s2, _) in zip(ranges, ranges[1:]):
        assert s < e == s2 and data[e - 1:e] == b"\n"


def test_segments_drop_rows_and_are_removed(tmp_path: Path) -> None:
    import gc
    import os

    store = RecordStore(batch_rows=2)
    store.add({"id": "a"})
    seg = store.new_segment()
    index: list = []
    with open(seg, "wb") as sink:
        off = ingest_mod._write_spill_batches([{"id": "b"}, {"id": "c"}], sink, 0, index)
        ingest_mod._write_spill_batches([{"id": "d"}], sink, off, index)
    assert store.add_segment(seg, index, drop=[1]) == 2
    store.add({"id": "e"})
    assert [r["id"] for _, b in store.batches() for r in b] == ["a", "b", "d", "e"]
    assert [first for first, _ in store.batches()] == [0, 1, 2, 3]
    del store
    gc.collect()
    assert not os.path.exists(seg)


def test_fork_refused_falls_back_to_serial(dummy_data: Path, tmp_path: Path, tiny_parallel, monkeypatch, caplog) -> None:
    from concurrent.futures import ProcessPoolExecutor

    path = _edge_file(dummy_data, tmp_path)
    serial = _snapshot(ingest(path, processes=1))

    def refuse(self, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ProcessPoolExecutor, "map", refuse)
    with caplog.at_level("WARNING", logger="medcot.ingest"):
        assert _snapshot(ingest(path, processes=2)) == serial
    assert "cannot start worker processes" in caplog.text


@pytest.mark.parametrize("processes", [1, 2])
def test_background_runs_once_and_its_error_is_raised(dummy_data: Path, tmp_path: Path, tiny_parallel, processes: int) -> None:
    import threading

    path = _edge_file(dummy_data, tmp_path)
    threads: list[str] = []
    res = ingest(path, processes=processes, background=lambda: threads.append(threading.current_thread().name))
    assert res.n_records > 0
    # Parallel: in a thread beside the workers; serial: after reading, in the caller's thread.
    assert threads == (["medcot-ingest-background"] if processes == 2 else [threading.current_thread().name])

    def fail() -> None:
        raise ImportError("no such module: writing_stack")

    with pytest.raises(ImportError, match="writing_stack"):
        ingest(path, processes=processes, background=fail)


def test_two_parallel_files_and_a_background(dummy_data: Path, tmp_path: Path, tiny_parallel) -> None:
    # Both files go through the workers; the background runs once, while the first is read.
    folder = tmp_path / "release"
    (folder / "b").mkdir(parents=True)
    _edge_file(dummy_data, folder)
    (folder / "b" / "more.jsonl").write_bytes((folder / "release.jsonl").read_bytes().replace(b'"E0', b'"F0'))
    calls: list[int] = []
    parallel = ingest(folder, processes=2, background=lambda: calls.append(1))
    assert calls == [1]
    assert _snapshot(parallel) == _snapshot(ingest(folder, processes=1))
    assert {Path(f).name for f in parallel.files} == {"release.jsonl", "more.jsonl"}
