"""Ingestion of the bundled dummy_data and of every supported format; splits; the validate CLI."""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from medcot import schema
from medcot.columns import AliasTable, build_alias_table
from medcot.errors import InputError
from medcot.ingest import Reject, ingest, write_rejects
from medcot.splits import assign_splits, canonical_split, split_from_path

# (file, line, field) of every bad row the dummy_data README promises.
DUMMY_REJECTS = {
    ("train.jsonl", 9, "cot"),
    ("train.jsonl", 13, "answer"),
    ("train.jsonl", 16, "row"),
    ("train.jsonl", 18, "id"),
    ("train.jsonl", 22, "rubric.medical_correctness"),
    ("validation.csv", 10, "question"),
    ("validation.csv", 11, "question"),
    ("test.xlsx [试题]", 14, "rubric.medical_correctness"),
    ("mixed_splits.json", 7, "split"),
}


@pytest.fixture(scope="module")
def dummy(dummy_data: Path):
    return ingest(dummy_data)


def check_record(rec: dict) -> None:
    """Invariants every canonical record must hold."""
    assert set(rec) == set(schema.DEFAULT_FEATURES)
    labels = [o["label"] for o in rec["options"]]
    assert len(labels) >= 2 and len(set(labels)) == len(labels)
    assert all(o["text"] for o in rec["options"])
    assert rec["answer"] == sorted(set(rec["answer"])) and set(rec["answer"]) <= set(labels)
    assert rec["question"].strip() and rec["cot"].strip()
    if rec["rubric"] is not None:
        assert set(rec["rubric"]) == {*schema.RUBRIC_DIMENSIONS, "overall"}
        assert all(v is None or 1 <= v <= 5 for v in rec["rubric"].values())
    if rec["extra"] is not None:
        assert isinstance(json.loads(rec["extra"]), dict)
    schema.DEFAULT_FEATURES.encode_example(rec)  # types match the declared Features


def test_dummy_counts_and_invariants(dummy) -> None:
    assert dummy.rows_in == dummy.n_records + len(dummy.rejects)
    assert (dummy.rows_in, dummy.n_records, len(dummy.rejects), dummy.blank_rows) == (47, 38, 9, 5)
    assert {k: len(v) for k, v in dummy.splits.items()} == {"train": 18, "validation": 10, "test": 10}
    assert dummy.split_origin == "release"
    ids = [r["id"] for r in dummy.records()]
    assert len(ids) == len(set(ids))
    for rec in dummy.records():
        check_record(rec)
    for name, st in dummy.file_stats.items():
        assert st.rows == st.records + st.rejects, name


def test_dummy_rejects_are_the_documented_bad_rows(dummy) -> None:
    got = {(Path(r.file.split(" [")[0]).name + (" [" + r.file.split(" [")[1] if " [" in r.file else ""), r.line, r.field) for r in dummy.rejects}
    assert got == DUMMY_REJECTS
    reasons = {r.field: r.reason for r in dummy.rejects}
    assert "empty explanation" in reasons["cot"]
    assert "not among the options" in reasons["answer"]
    assert "invalid JSON" in reasons["row"]
    assert "first seen at" in reasons["id"] and "train.jsonl:1" in reasons["id"]
    dup = [r for r in dummy.rejects if r.reason.startswith("duplicate question")]
    assert len(dup) == 1 and "validation.csv:4" in dup[0].reason
    assert all(r.raw for r in dummy.rejects)


def test_dummy_quirks_parsed(dummy) -> None:
    by_id = {r["id"]: r for r in dummy.records()}
    assert by_id["T005"]["question"] == "高血压性脑出血最常见的部位是"  # embedded options split off
    assert [o["label"] for o in by_id["T005"]["options"]] == list("ABCDE")
    assert by_id["T006"]["answer"] == ["A"] and by_id["T006"]["options"][0]["text"] == "第1周内"  # full-width
    assert by_id["T004"]["answer"] == ["A", "B", "C"] and by_id["T016"]["answer"] == ["A", "C"]
    assert by_id["V005"]["answer"] == ["A", "B", "C", "E"]
    assert by_id["T011"]["options"][4]["text"] == "估算肾小球滤过率"  # JSON list inside a string
    assert by_id["X006"]["options"][-1]["label"] == "D"  # four option columns filled
    assert "1024" in by_id  # number-typed id cell
    assert by_id["T004"]["rubric"]["overall"] == 4.5  # release's own overall kept
    assert by_id["T001"]["rubric"]["overall"] == pytest.approx(4.6)  # mean of five
    assert by_id["T009"]["rubric"]["overall"] is None  # only three dimensions given
    assert by_id["T003"]["rubric"] is None
    assert by_id["T001"]["review"] == {"status": "已通过", "rounds": 2, "reviewers": 3}
    assert by_id["M002"]["review"] == {"status": "已通过", "rounds": 2, "reviewers": 2}
    assert json.loads(by_id["T010"]["extra"]) == {"年份": 2023, "难度": "中等"}
    assert by_id["T002"]["question_type"] == "A2" and by_id["M001"]["question_type"] == schema.SINGLE_CHOICE
    assert by_id["M006"]["rubric"]["overall"] == pytest.approx(4.4)  # string scores
    split_of = {r["id"]: s for s, recs in dummy.splits.items() for r in recs}
    assert split_of["M003"] == "validation" and split_of["M005"] == "test" and split_of["X001"] == "test"


ROWS = [
    {"id": f"q{i}", "question": f"第{i}题：下列哪项是急性肾损伤的紧急透析指征（变体{i}）",
     "options": "A 血钾6.8 mmol/L\\nB 尿量减少\\nC 血肌酐轻度升高\\nD 轻度酸中毒",
     "answer": "A" if i % 3 else "AB", "explanation": f"严重高钾血症是紧急透析指征（变体{i}）。",
     "department": ["肾内科", "心内科", "儿科"][i % 3], "备注": f"n{i}"}
    for i in range(1, 13)
]


def _write(path: Path, rows: list[dict]) -> Path:
    name = path.name.removesuffix(".gz")
    suffix = name.rsplit(".", 1)[1]
    if suffix == "jsonl":
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8")
    elif suffix == "json":
        data = json.dumps({"data": rows}, ensure_ascii=False).encode("utf-8")
    elif suffix in ("csv", "tsv"):
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter="," if suffix == "csv" else "\t")
        w.writeheader()
        w.writerows(rows)
        data = buf.getvalue().encode("utf-8")
    elif suffix == "xlsx":
        import io

        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.append(list(rows[0]))
        for r in rows:
            wb.active.append(list(r.values()))
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    elif suffix == "parquet":
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        data = buf.getvalue()
    else:
        raise AssertionError(suffix)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.fixture(scope="module")
def reference_records(tmp_path_factory) -> list[dict]:
    path = _write(tmp_path_factory.mktemp("ref") / "rows.jsonl", ROWS)
    return sorted(ingest(path).records(), key=lambda r: r["id"])


@pytest.mark.parametrize(
    "name", ["rows.json", "rows.csv", "rows.tsv", "rows.xlsx", "rows.parquet", "rows.jsonl.gz", "rows.csv.gz", "rows.parquet.gz"]
)
def test_every_format_gives_the_same_records(tmp_path: Path, name: str, reference_records: list[dict]) -> None:
    result = ingest(_write(tmp_path / name, ROWS))
    assert result.rows_in == len(ROWS) and not result.rejects
    assert sorted(result.records(), key=lambda r: r["id"]) == reference_records
    rec = reference_records[0]
    assert json.loads(rec["extra"]) == {"备注": "n1"} and rec["department"] == "心内科"
    assert sum(1 for r in reference_records if r["question_type"] == schema.MULTIPLE_CHOICE) == 4


def test_folder_and_list_sources(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    _write(tmp_path / "b" / "part2.jsonl", ROWS[6:])
    _write(tmp_path / "a.jsonl", ROWS[:6])
    (tmp_path / "README.md").write_text("not data", encoding="utf-8")
    (tmp_path / ".hidden.jsonl").write_text("{broken", encoding="utf-8")
    folder = ingest(tmp_path)
    assert [Path(f).name for f in folder.files] == ["a.jsonl", "part2.jsonl"]
    assert folder.n_records == 12
    listed = ingest([tmp_path / "a.jsonl", tmp_path / "b" / "part2.jsonl"])
    assert sorted(r["id"] for r in listed.records()) == sorted(r["id"] for r in folder.records())


def test_content_hash_ids_are_stable(tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "id"} for r in ROWS[:4]]
    a = [r["id"] for r in ingest(_write(tmp_path / "x.jsonl", rows)).records()]
    b = [r["id"] for r in ingest(_write(tmp_path / "y.csv", rows)).records()]
    assert sorted(a) == sorted(b) and all(i.startswith("mcv-") for i in a) and len(set(a)) == 4


def test_aliases_dict_json_and_toml(tmp_path: Path) -> None:
    rows = [{"试题描述": r["question"], "候选": r["options"], "key": r["answer"], "讲解": r["explanation"]} for r in ROWS[:3]]
    path = _write(tmp_path / "custom.jsonl", rows)
    with pytest.raises(InputError, match="no question/answer/cot column"):
        ingest(path)
    mapping = {"试题描述": "question", "候选": "options", "讲解": "cot", "key": "answer"}
    assert ingest(path, aliases=mapping).n_records == 3
    (tmp_path / "aliases.json").write_text(json.dumps({"question": ["试题描述"], "options": ["候选"], "cot": ["讲解"], "answer": ["key"]}, ensure_ascii=False), encoding="utf-8")
    assert ingest(path, aliases=tmp_path / "aliases.json").n_records == 3
    (tmp_path / "aliases.toml").write_text('"试题描述" = "question"\n"候选" = "options"\n"讲解" = "cot"\nkey = "answer"\n', encoding="utf-8")
    assert ingest(path, aliases=str(tmp_path / "aliases.toml")).n_records == 3
    with pytest.raises(InputError, match="unknown field"):
        build_alias_table({"x": "questoin"})


@pytest.mark.parametrize(
    ("column", "field"),
    [("Question", "question"), ("题 干", "question"), ("ＯＰＴＩＯＮＳ", "options"), ("正确答案", "answer"),
     ("答案解析", "cot"), ("Rationale", "cot"), ("科室", "department"), ("题型", "question_type"),
     ("医学正确性", "medical_correctness"), ("总分", "overall"), ("审核轮次", "review_rounds"),
     ("选项B", "option_B"), ("option_c", "option_C"), ("D", "option_D"), ("数据集划分", "split"), ("备注", None)],
)
def test_alias_table(column: str, field: str | None) -> None:
    assert AliasTable().field_for(column) == field


def _seeded(rows: list[dict], tmp_path: Path, name: str, **kw) -> dict[str, str]:
    result = ingest(_write(tmp_path / name, rows), **kw)
    assert result.split_origin == "seeded"
    return {r["id"]: s for s, recs in result.splits.items() for r in recs}


def test_seeded_split_is_deterministic_and_order_independent(tmp_path: Path) -> None:
    rows = [dict(r, id=f"r{i}-{r['id']}", question=f"{r['question']}#{i}") for i in range(10) for r in ROWS]
    first = _seeded(rows, tmp_path, "a.jsonl")
    assert _seeded(rows, tmp_path, "b.jsonl") == first
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert _seeded(shuffled, tmp_path, "c.jsonl") == first
    assert Counter(first.values()) == {"train": 96, "validation": 12, "test": 12}
    other = _seeded(rows, tmp_path, "d.jsonl", seed=1)
    assert other != first and Counter(other.values()) == Counter(first.values())


def test_seeded_split_is_stratified() -> None:
    recs = [{"id": f"x{i}", "department": dep, "question_type": "A1"} for dep in ("内科", "外科", "儿科") for i in range(30 if dep == "内科" else 10)]
    recs = [dict(r, id=f"{r['department']}{r['id']}") for r in recs]
    got = assign_splits(recs, ratios=(0.8, 0.1, 0.1), seed=5)
    per = Counter((r["department"], got[r["id"]]) for r in recs)
    assert per[("内科", "train")] == 24 and per[("内科", "validation")] == 3 and per[("内科", "test")] == 3
    for dep in ("外科", "儿科"):
        assert per[(dep, "train")] == 8 and per[(dep, "validation")] + per[(dep, "test")] == 2


def test_release_split_names() -> None:
    assert [canonical_split(v) for v in ("TRAIN", "dev", "val", "验证集", "测试", "")] == ["train", "validation", "validation", "validation", "test", None]
    assert split_from_path("x/cmexam_test.csv") == "test" and split_from_path("dev/part1.jsonl") == "validation"
    assert split_from_path("cmexam_val_sample.jsonl") is None
    with pytest.raises(InputError):
        canonical_split("第三组")


def test_bad_split_ratios(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", ROWS)
    for bad in [(0.5, 0.5), (0.9, 0.2, 0.1), (-0.1, 0.6, 0.5)]:
        with pytest.raises(InputError, match="split ratios"):
            ingest(path, split_ratios=bad)


def test_write_rejects(tmp_path: Path) -> None:
    rejects = [Reject("a.jsonl", 3, "cot", "empty explanation (cot)", "{\"题干\": \"x\"}")]
    out = tmp_path / "deep" / "rejects.jsonl"
    assert write_rejects(rejects, out) == 1
    assert json.loads(out.read_text(encoding="utf-8")) == {"file": "a.jsonl", "line": 3, "field": "cot", "reason": "empty explanation (cot)", "raw": "{\"题干\": \"x\"}"}


def test_validate_cli(dummy_data: Path, tmp_path: Path, capsys) -> None:
    from medcot.cli import main

    out = tmp_path / "rejects.jsonl"
    assert main(["validate", str(dummy_data), "--rejects", str(out)]) == 0
    text = capsys.readouterr().out
    assert "total: 47 rows in = 38 records + 9 rejects" in text
    assert "train.jsonl" in text and "cot: empty explanation" in text
    assert "题干→question" in text and "kept in extra: 难度, 年份" in text
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9

    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_answer_given_as_option_text(tmp_path: Path) -> None:
    rows = [dict(ROWS[0], answer="血钾6.8 mmol/L"), dict(ROWS[1], answer="不在选项中的文字")]
    result = ingest(_write(tmp_path / "a.jsonl", rows))
    assert [r["answer"] for r in result.records()] == [["A"]]
    assert [(r.line, r.field) for r in result.rejects] == [(2, "answer")]


def test_json_shapes(tmp_path: Path) -> None:
    rows = ROWS[:3]
    keyed = {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in rows}
    (tmp_path / "keyed.json").write_text(json.dumps(keyed, ensure_ascii=False), encoding="utf-8")
    assert sorted(r["id"] for r in ingest(tmp_path / "keyed.json").records()) == ["q1", "q2", "q3"]
    # JSON Lines saved with a .json suffix: read as JSON Lines, lines numbered as such.
    (tmp_path / "lines.json").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{bad\n", encoding="utf-8")
    res = ingest(tmp_path / "lines.json")
    assert res.n_records == 3 and [(r.line, r.field) for r in res.rejects] == [(4, "row")]
    # A JSON array: rejects carry the 1-based record index.
    (tmp_path / "array.json").write_text(json.dumps([rows[0], "not an object", dict(rows[1], answer="Z")], ensure_ascii=False), encoding="utf-8")
    res = ingest(tmp_path / "array.json")
    assert res.n_records == 1 and [(r.line, r.field) for r in res.rejects] == [(2, "row"), (3, "answer")]


def test_parquet_with_nested_options_and_list_answers(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([
        {"qid": "p1", "stem": "下列属于袢利尿剂的是", "choices": [{"label": "A", "text": "呋塞米"}, {"label": "B", "text": "螺内酯"}],
         "answer": ["A"], "rationale": "呋塞米作用于髓袢升支粗段，属袢利尿剂。", "overall": 4.0},
        {"qid": "p2", "stem": "下列属于保钾利尿剂的是", "choices": [{"label": "A", "text": "氢氯噻嗪"}, {"label": "B", "text": "螺内酯"}, {"label": "C", "text": "氨苯蝶啶"}],
         "answer": ["C", "B"], "rationale": "螺内酯和氨苯蝶啶均为保钾利尿剂。", "overall": 7.5},
    ])
    pq.write_table(table, tmp_path / "nested.parquet")
    res = ingest(tmp_path / "nested.parquet")
    rec = next(res.records())
    assert rec["id"] == "p1" and rec["options"][0] == {"label": "A", "text": "呋塞米"}
    assert rec["rubric"] == {**dict.fromkeys(schema.RUBRIC_DIMENSIONS), "overall": 4.0}
    assert [(r.line, r.field) for r in res.rejects] == [(2, "rubric.overall")]


def test_repeated_and_blank_header_cells_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(
        "题干,选项,答案,解析,答案,\n下列属于袢利尿剂的是,A 呋塞米\\nB 螺内酯,A,呋塞米属袢利尿剂。,B,备注内容\n", encoding="utf-8"
    )
    rec = next(ingest(path).records())
    assert rec["answer"] == ["A"]  # the first 答案 column wins
    assert json.loads(rec["extra"]) == {"答案 (2)": "B", "column_6": "备注内容"}
