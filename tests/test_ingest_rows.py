"""`medcot.ingest.iter_rows`: the one row reader shared by ingestion and `medcot score`.

The same five prediction rows are stored in every format under tests/data/score_inputs; an XLSX copy
is made here from the CSV (openpyxl), so `medcot score` reads spreadsheets like every other format.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from medcot import scoring
from medcot.cli import main
from medcot.errors import InputError
from medcot.ingest import iter_rows

DATA = Path(__file__).parent / "data" / "score_inputs"


def _xlsx_from_csv(src: Path, dst: Path, *, blank_row_at: int | None = None) -> Path:
    import openpyxl

    with open(src, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "predictions"
    for i, cells in enumerate(table):
        if i == blank_row_at:
            ws.append([None] * len(cells))
        ws.append([c if c != "" else None for c in cells])
    wb.save(dst)
    return dst


def _keys(path: Path) -> list[tuple]:
    out = []
    for item in scoring.normalize_records(scoring.read_predictions(path)):
        assert isinstance(item, scoring.ScoreItem), item
        out.append((item.id, item.prediction, item.reference, item.question, item.options, item.answers))
    return out


def test_jsonl_rows_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "prediction": "故选A"}\n\n{"id": "b", "prediction": "故选B"}\n', encoding="utf-8")
    assert list(iter_rows(path)) == [(1, {"id": "a", "prediction": "故选A"}), (3, {"id": "b", "prediction": "故选B"})]
    gz = tmp_path / "p.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert list(iter_rows(gz)) == list(iter_rows(path))


@pytest.mark.parametrize("name", ["rows.csv", "rows_zh.csv"])
def test_xlsx_predictions_score_like_csv(tmp_path: Path, name: str) -> None:
    xlsx = _xlsx_from_csv(DATA / name, tmp_path / "rows.xlsx", blank_row_at=3)
    assert _keys(xlsx) == _keys(DATA / name) == _keys(DATA / "rows.jsonl")
    # Sheet rows are numbered as Excel shows them: header on 1, the blank row 4 is skipped.
    assert [line for line, _ in iter_rows(xlsx)] == [2, 3, 5, 6, 7]


def test_medcot_score_reads_xlsx(tmp_path: Path, capsys) -> None:
    xlsx = _xlsx_from_csv(DATA / "rows.csv", tmp_path / "rows.xlsx")
    out_x, out_j = tmp_path / "x.jsonl", tmp_path / "j.jsonl"
    assert main(["score", str(xlsx), "-o", str(out_x), "--quiet"]) == 0
    assert main(["score", str(DATA / "rows.jsonl"), "-o", str(out_j), "--quiet"]) == 0
    capsys.readouterr()
    read = [json.loads(line) for line in out_x.read_text(encoding="utf-8").splitlines()]
    assert len(read) == 5
    assert read == [json.loads(line) for line in out_j.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("bad.jsonl", '{"id": 1}\n{"id": \n', "bad.jsonl:2: invalid JSON"),
        ("list.jsonl", '{"id": 1}\n[1, 2]\n', "list.jsonl:2: expected a JSON object, got list"),
        ("wide.csv", "id,prediction\nq1,a,b\n", "wide.csv:2: more fields than the header has (3 cells, 2 columns)"),
        ("empty.csv", "\n\n", "empty.csv: file is empty"),
        ("notes.txt", "hello", "notes.txt: unsupported input format '.txt'"),
    ],
)
def test_strict_errors_are_one_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_rows(path))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        list(iter_rows(tmp_path / "nope.jsonl"))
    with pytest.raises(InputError, match="is a directory"):
        list(iter_rows(tmp_path))
