"""The streaming batch layer of medcot.scoring and ``medcot score``: same rows and summary as the
list path, whatever the chunk size, with output written while the input is still being read.

Nothing here is timed (speed and memory are measured by bench/bench_score.py and bench_growth.py).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from medcot import scoring
from medcot.cli import main
from medcot.errors import InputError

BENCH = Path(__file__).resolve().parents[1] / "bench"
N_ITEMS = 240


def _generator():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("_bench_generate_release_stream", BENCH / "generate_release.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def records() -> list[dict]:
    """Scoring records from the bench generator, plus rows that must come out as invalid."""
    gen = _generator()
    recs = list(gen.iter_records(N_ITEMS, seed=3, options_format="list"))
    items = [{k: v for k, v in it.items() if k != "kind"} for it in gen.iter_pairs(recs, seed=3)]
    for it in items:  # the canonical field name of the gold answer
        it["answer"] = it.pop("answers")
    items[5] = {"id": "no-pred", "reference": "参考"}  # missing prediction
    items[17]["answer"] = "Z"  # not an option label
    items[30] = {"id": "upstream", "prediction": "x", "error": "id not found"}
    return items


@pytest.fixture(scope="module")
def list_path(records):
    rows = scoring.score_items(scoring.normalize_records(records))
    return rows


def _dicts(rows):
    return [r.to_dict() for r in rows]


def test_stream_equals_list_path(records, list_path):
    streamed = list(scoring.iter_scored(scoring.iter_normalized(iter(records))))
    assert len(streamed) == len(records) == len(list_path)
    assert _dicts(streamed) == _dicts(list_path)
    assert sum(r.invalid_input for r in streamed) == 3


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_chunk_size_does_not_change_rows_or_summary(records, list_path, chunk_size, tmp_path):
    out = tmp_path / "o.jsonl"
    report = scoring.score_to_jsonl(iter(records), out, chunk_size=chunk_size, bootstrap=50, seed=2)
    ref = tmp_path / "ref.jsonl"
    scoring.write_jsonl(list_path, ref)
    assert out.read_bytes() == ref.read_bytes()
    assert report.n_written == len(records)
    assert report.summary.to_dict() == scoring.aggregate(list_path, bootstrap=50, seed=2).to_dict()


def test_parallel_stream_equals_list_path(records, list_path, tmp_path, monkeypatch):
    # Small worker tasks, so 240 rows go through the forked pool in many tasks with invalid rows
    # in between; the rows written are byte-identical to the serial list path.
    monkeypatch.setattr(scoring, "_POOL_TASK", 4)
    out = tmp_path / "o.jsonl"
    report = scoring.score_to_jsonl(iter(records), out, chunk_size=16, bootstrap=50, seed=2)
    ref = tmp_path / "ref.jsonl"
    scoring.write_jsonl(list_path, ref)
    assert out.read_bytes() == ref.read_bytes()
    assert report.n_written == len(records)


def test_bootstrap_with_seed_equals_list_path(records, list_path, tmp_path):
    report = scoring.score_to_jsonl(iter(records), tmp_path / "o.jsonl", bootstrap=300, seed=11, confidence=0.9)
    expected = scoring.aggregate(list_path, bootstrap=300, seed=11, confidence=0.9)
    assert report.summary.confidence_intervals == expected.confidence_intervals
    assert report.summary.means == expected.means
    other = scoring.score_to_jsonl(iter(records), tmp_path / "p.jsonl", bootstrap=300, seed=12, confidence=0.9)
    assert other.summary.confidence_intervals != expected.confidence_intervals


def test_accumulator_blocks_equal_aggregate(list_path):
    acc = scoring.Accumulator()
    for start in range(0, len(list_path), 13):
        acc.add(list_path[start : start + 13])
    assert acc.summary(bootstrap=40, seed=1).to_dict() == scoring.aggregate(list_path, bootstrap=40, seed=1).to_dict()
    empty = scoring.Accumulator().summary()
    assert (empty.n_rows, empty.overall) == (0, None)


def test_report_counts_errors(records, tmp_path):
    report = scoring.score_to_jsonl(iter(records), tmp_path / "o.jsonl", chunk_size=50, keep_errors=2)
    assert report.n_errors == 3 and len(report.errors) == 2
    assert report.summary.n_invalid == 3 and report.summary.n_rows == len(records)


def test_output_is_written_before_the_input_is_exhausted(records, tmp_path):
    out = tmp_path / "o.jsonl"
    seen_when_asked: dict[int, int] = {}

    def slow_input():
        for i, rec in enumerate(records):
            if i in (200, len(records) - 1):
                seen_when_asked[i] = len(out.read_bytes().splitlines()) if out.exists() else 0
            yield rec

    scoring.score_to_jsonl(slow_input(), out, chunk_size=20)
    # 200 rows were scored and handed to the writer before row 200 was read; the file buffer
    # (8 KiB; a row is ~1 KiB) holds at most a few of them.
    assert seen_when_asked[200] >= 150
    assert len(out.read_bytes().splitlines()) == len(records)


def test_cli_streams_rows(records, tmp_path, monkeypatch, capsys):
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    seen: list[int] = []
    real = scoring.iter_predictions

    class Watched:
        """The real reader, noting how many output lines exist when row 150 is read."""

        def __init__(self, path, **read_options):
            self.rows = real(path, **read_options)

        def __len__(self):
            return len(self.rows)

        def __iter__(self):
            for i, row in enumerate(self.rows):
                if i == 150:
                    seen.append(len(out.read_bytes().splitlines()) if out.exists() else 0)
                yield row

    monkeypatch.setattr(scoring, "iter_predictions", Watched)
    assert main(["score", str(src), "--output", str(out), "--quiet", "--json", "--chunk-size", "25"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert seen and seen[0] >= 100
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records) == summary["n_rows"]
    assert [json.loads(x)["index"] for x in lines] == list(range(len(records)))


def test_cli_output_identical_to_list_path(records, tmp_path, capsys):
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--output", str(out), "--quiet", "--json", "--bootstrap", "30"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    ref = tmp_path / "ref.jsonl"
    # (read from a file, the "error" key of row 30 is not an input column: that row is scored)
    file_rows = scoring.score_items(scoring.normalize_records(scoring.read_predictions(src)))
    scoring.write_jsonl(file_rows, ref)
    assert out.read_bytes() == ref.read_bytes()
    expected = scoring.aggregate(file_rows, bootstrap=30, seed=0).to_dict()
    assert printed["overall"] == expected["overall"]
    assert printed["confidence_intervals"] == expected["confidence_intervals"]


def test_malformed_file_fails_before_any_output(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"prediction": "故选A"}\n{"prediction": \n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:2"):
        scoring.iter_predictions(src)
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--output", str(out), "--quiet"]) != 0
    assert not out.exists()


def test_columns_seen_late_map_every_row(tmp_path):
    # "reference" appears only in the last line: it beats the alias column of the earlier rows
    # for every row, exactly as when the whole file is read first.
    src = tmp_path / "p.jsonl"
    lines = [{"prediction": "故选A", "cot": "旧"}, {"prediction": "故选B", "cot": "旧", "reference": "新"}]
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    rows = scoring.iter_predictions(src)
    assert len(rows) == 2
    assert [r.get("reference") for r in rows] == [None, "新"]
    assert list(rows) == list(rows)  # iterable more than once


def test_bad_chunk_size_is_an_input_error():
    with pytest.raises(InputError, match="chunk_size"):
        scoring.iter_scored([], chunk_size=0)
