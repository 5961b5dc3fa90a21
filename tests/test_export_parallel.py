"""``medcot build`` writes byte-identical folders whether the release is read serially or by workers.

The parallel JSON Lines reader (with the writing stack imported in a thread meanwhile) must not
change one byte of the Parquet shards, the card or the rejects report.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import medcot.ingest as ingest_mod
from medcot import export


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _release(dummy_data: Path, path: Path) -> Path:
    # dummy_data's JSON Lines rows (rejects included) under fresh ids, many times: a release big
    # enough for several ranges and spill batches, with duplicates across ranges.
    lines = (dummy_data / "train.jsonl").read_text(encoding="utf-8").splitlines()
    out = []
    for k in range(12):
        for line in lines:
            out.append(line.replace('"T0', f'"K{k:02d}T0') if k % 3 else line)
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_build_is_byte_identical_serial_and_parallel(dummy_data: Path, tmp_path: Path, monkeypatch) -> None:
    raw = _release(dummy_data, tmp_path / "raw" / "release.jsonl")
    monkeypatch.setattr(ingest_mod, "_SPILL_ROWS", 16)
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 1 << 40)  # serial
    serial = export.build(tmp_path / "serial" / "out", data_dir=raw, verify=False)
    monkeypatch.setattr(ingest_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_mod, "_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ingest_mod, "default_processes", lambda: 2)
    parallel = export.build(tmp_path / "parallel" / "out", data_dir=raw, verify=False)
    assert _digests(tmp_path / "parallel") == _digests(tmp_path / "serial")
    assert parallel.counts() == serial.counts() and parallel.rejects == serial.rejects > 0
    rejects = [json.loads(x) for x in (tmp_path / "parallel" / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any("duplicate" in r["reason"] for r in rejects) and len(rejects) == parallel.rejects
