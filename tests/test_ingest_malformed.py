"""The malformed-input corpus: every bad file gives a one-line InputError or rejects with reasons.

Text files live in tests/malformed/ with their expectations in EXPECTED.json; binary cases
(GBK bytes, random binary, damaged gzip/xlsx/parquet, xlsx with blank rows) are made in tmp_path.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from medcot.errors import InputError
from medcot.ingest import ingest

MALFORMED = Path(__file__).parent / "malformed"
EXPECTED = {k: v for k, v in json.loads((MALFORMED / "EXPECTED.json").read_text(encoding="utf-8")).items() if not k.startswith("_")}

GOOD_ROWS = [
    {"题干": "成人正常心率范围是（次/分）", "选项": "A．40～60\nB．60～100\nC．100～120", "答案": "B", "解析": "正常成人安静时心率为60～100次/分。"},
    {"题干": "正常成人血钠范围是", "选项": "A．135～145 mmol/L\nB．125～135 mmol/L", "答案": "A", "解析": "血钠正常值135～145 mmol/L。"},
]


def _literal_nl(s: str) -> str:
    """Real newlines -> the two characters backslash-n (CMExam style)."""
    return s.replace("\n", "\\n")


def _one_line_error(exc: InputError, path: Path) -> None:
    msg = str(exc)
    assert "\n" not in msg
    assert path.name in msg


def test_corpus_is_complete() -> None:
    data_files = {p.name for p in MALFORMED.iterdir() if p.name != "EXPECTED.json"}
    assert data_files == set(EXPECTED), "every malformed file needs an expectation and vice versa"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file(name: str) -> None:
    path = MALFORMED / name
    expected = EXPECTED[name]
    if "error" in expected:
        with pytest.raises(InputError) as info:
            ingest(path)
        _one_line_error(info.value, path)
        assert expected["error"] in str(info.value)
        return
    result = ingest(path)
    assert result.rows_in == result.n_records + len(result.rejects)
    assert result.rows_in == expected["rows_in"]
    assert result.n_records == expected["records"]
    assert dict(Counter(r.field for r in result.rejects)) == expected["rejects"]
    for r in result.rejects:
        assert r.file.endswith(name) and r.line and r.line >= 1 and r.reason


def test_gbk_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    lines = ["问题,选项,答案,解析"] + [f"{r['题干']},{_literal_nl(r['选项'])},{r['答案']},{r['解析']}" for r in GOOD_ROWS]
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    result = ingest(path)
    assert result.n_records == 2 and not result.rejects
    assert result.splits and next(result.records())["question"] == "成人正常心率范围是（次/分）"


def test_utf8_bom_and_utf16_tsv(tmp_path: Path) -> None:
    body = "question\toptions\tanswer\texplanation\n" + "\n".join(
        f"{r['题干']}\t{_literal_nl(r['选项'])}\t{r['答案']}\t{r['解析']}" for r in GOOD_ROWS
    )
    (tmp_path / "a.tsv").write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    (tmp_path / "b.tsv").write_bytes(body.encode("utf-16"))
    for name in ("a.tsv", "b.tsv"):
        result = ingest(tmp_path / name)
        assert result.n_records == 2, name


def test_random_binary_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "noise.jsonl"
    path.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(InputError, match="binary|not UTF-8, GB18030 or Big5"):
        ingest(path)


def test_undecodable_text_is_a_clear_error(tmp_path: Path) -> None:
    # 0x80 and 0xFF are invalid lead bytes in both UTF-8 and GB18030.
    path = tmp_path / "odd.csv"
    path.write_bytes(b"question,options,answer,explanation\n" + b"\x80\xff abc \xff\x80" * 20)
    with pytest.raises(InputError) as info:
        ingest(path)
    _one_line_error(info.value, path)


def test_one_bad_line_in_utf8_jsonl_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in GOOD_ROWS]
    bad = json.dumps({"题干": "题", "选项": "A 甲\nB 乙", "答案": "A", "解析": "GBK 编码的一行"}, ensure_ascii=False).encode("gbk")
    path.write_bytes(b"\n".join([good[0], bad, good[1]]) + b"\n")
    result = ingest(path)
    assert result.rows_in == 3 and result.n_records == 2
    assert [(r.line, r.field) for r in result.rejects] == [(2, "row")]
    assert "not valid utf-8" in result.rejects[0].reason


def test_truncated_gzip(tmp_path: Path) -> None:
    blob = gzip.compress("\n".join(json.dumps(r, ensure_ascii=False) for r in GOOD_ROWS * 50).encode("utf-8"))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError) as info:
        ingest(path)
    _one_line_error(info.value, path)


@pytest.mark.parametrize("name", ["broken.xlsx", "broken.parquet", "broken.json.gz"])
def test_damaged_binary_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 definitely not a valid container " * 10)
    with pytest.raises(InputError) as info:
        ingest(path)
    _one_line_error(info.value, path)


def test_xlsx_with_blank_rows(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # blank rows before the header too
    ws.append(["题干", "选项A", "选项B", "选项C", "答案", "解析"])
    ws.append(["成人正常心率范围是（次/分）", "40～60", "60～100", "100～120", "B", "正常成人心率60～100次/分。"])
    ws.append([None, None, None, None, None, None])
    ws.append(["", "  ", None, None, None, None])  # whitespace only: blank too
    ws.append(["正常成人血钠范围是", "135～145", "125～135", None, "C", "血钠正常值135～145 mmol/L。"])
    ws.append(["", "135～145", "125～135", None, "A", "无题干的行"])
    path = tmp_path / "blank_rows.xlsx"
    wb.save(path)
    result = ingest(path)
    # Blank rows before the header are not counted; the two between records are.
    assert result.rows_in == 3 and result.n_records == 1 and result.blank_rows == 2
    assert sorted((r.line, r.field) for r in result.rejects) == [(6, "answer"), (7, "question")]


def test_xlsx_without_question_column(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "内容"])
    wb.active.append(["1", "随便什么"])
    path = tmp_path / "nothing.xlsx"
    wb.save(path)
    with pytest.raises(InputError, match="no question/answer/cot column") as info:
        ingest(path)
    _one_line_error(info.value, path)


def test_unsupported_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="unsupported input format"):
        ingest(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="no such file"):
        ingest(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="no data files"):
        ingest(tmp_path)


def test_missing_value_placeholders_are_missing_with_a_reason() -> None:
    """"nan"/"None"/"#N/A" cells (left by XLSX/pandas conversions) are missing values, never text."""
    result = ingest(MALFORMED / "placeholders.jsonl")
    reasons = {r.line: r.reason for r in result.rejects}
    assert reasons[2] == "empty explanation (cot): placeholder 'nan'"
    assert reasons[3] == "empty explanation (cot): placeholder 'NaN'"
    assert reasons[4] == "empty question: placeholder 'None'"
    assert reasons[5] == "answer missing: placeholder '#N/A'"
    assert "placeholder 'null'" in reasons[6]
    assert reasons[9] == "empty explanation (cot): placeholder 'N/A'"
    by_id = {r["id"]: r for r in result.records()}
    # "无" and "NA" (noradrenaline) are real option texts; placeholders elsewhere become None.
    assert [o["text"] for o in by_id["p1"]["options"]] == ["无", "NA", "去甲肾上腺素", "多巴胺"]
    assert by_id["p1"]["department"] is None and by_id["p1"]["source"] is None
    assert by_id["p8"]["rubric"]["medical_correctness"] is None and by_id["p8"]["rubric"]["overall"] == 4.0
    assert result.split_origin == "seeded"  # split "nan" is no split


def test_placeholder_cells_in_csv_and_option_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "题干,A,B,C,答案,解析\n"
        "成人正常心率范围是（次/分）,40～60,60～100,nan,B,正常成人安静时心率为60～100次/分。\n"
        "正常成人血钠范围是,135～145,125～135,,A,NULL\n",
        encoding="utf-8",
    )
    result = ingest(path)
    assert result.rows_in == 2 and result.n_records == 1
    assert [o["label"] for o in next(result.records())["options"]] == ["A", "B"]
    assert [(r.line, r.field, r.reason) for r in result.rejects] == [(3, "cot", "empty explanation (cot): placeholder 'NULL'")]
