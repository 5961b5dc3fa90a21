"""Real CMExam rows (../shared/realdata, skipped when absent): every row ingests, nothing is lost.

The expectations are derived from the raw file itself (a plain split on the literal two characters
backslash-n), independently of medcot's option parser. The sample went through an XLSX->JSON
conversion that wrote the string "nan" where the Explanation cell was empty; those rows (and only
those) must be rejected as having no explanation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from medcot import schema
from medcot.ingest import ingest
from medcot.options import normalize_text


@pytest.fixture(scope="module")
def raw_rows(realdata_path: Path) -> list[dict]:
    with open(realdata_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _placeholder_cot(raw: dict) -> bool:
    """Independent of medcot: the conversion's empty-cell marker, spelled exactly."""
    return raw["Explanation"].strip() == "nan"


@pytest.fixture(scope="module")
def result(realdata_path: Path):
    return ingest(realdata_path)


def test_every_row_becomes_a_record_or_a_placeholder_reject(result, raw_rows) -> None:
    assert len(raw_rows) == 1363
    assert result.rows_in == len(raw_rows) == result.n_records + len(result.rejects)
    placeholder_lines = {n for n, raw in enumerate(raw_rows, start=1) if _placeholder_cot(raw)}
    assert len(placeholder_lines) == 212
    # Exactly the rows whose explanation is the "nan" placeholder are rejected, each for its cot.
    assert {r.line for r in result.rejects} == placeholder_lines
    assert {(r.field, r.reason) for r in result.rejects} == {("cot", "empty explanation (cot): placeholder 'nan'")}
    assert result.n_records == len(raw_rows) - 212
    assert all(rec["cot"] and rec["cot"] != "nan" for rec in result.records())


def test_options_and_answers_kept_exactly(result, raw_rows) -> None:
    by_question = {r["question"]: r for r in result.records()}
    kept = [raw for raw in raw_rows if not _placeholder_cot(raw)]
    assert len(by_question) == len(kept)
    label_sets: Counter[str] = Counter()
    multi = 0
    for raw in kept:
        rec = by_question[normalize_text(raw["Question"])]
        parts = [p.split(" ", 1) for p in raw["Options"].split("\\n")]
        expected = [{"label": lab, "text": normalize_text(text)} for lab, text in parts]
        assert rec["options"] == expected
        assert "".join(rec["answer"]) == raw["Answer"]  # letters already sorted in the source
        assert rec["cot"] == normalize_text(raw["Explanation"])
        assert rec["question_type"] == (schema.MULTIPLE_CHOICE if len(raw["Answer"]) > 1 else schema.SINGLE_CHOICE)
        label_sets["".join(o["label"] for o in rec["options"])] += 1
        multi += len(rec["answer"]) > 1
    # What the kept rows hold: 5 options A-E on standard rows, 4 options A-D on 36 rows
    # (the whole file: 1,326 + 37 rows, 50 multi-answer).
    assert label_sets == {"ABCDE": 1115, "ABCD": 36}
    assert multi == 41


def test_ids_unique_and_split_seeded(result, realdata_path: Path) -> None:
    ids = [r["id"] for r in result.records()]
    assert len(set(ids)) == len(ids) and all(i.startswith("mcv-") for i in ids)
    assert result.split_origin == "seeded"
    sizes = {k: len(v) for k, v in result.splits.items()}
    assert sizes == {"train": 921, "validation": 115, "test": 115}  # 80/10/10 of 1,151 records
    again = ingest(realdata_path)
    assert {k: [r["id"] for r in v] for k, v in again.splits.items()} == {k: [r["id"] for r in v] for k, v in result.splits.items()}


def test_upstream_csv_shape_gives_the_same_records(raw_rows, result, tmp_path: Path) -> None:
    """Upstream CMExam CSV uses REAL newlines inside quoted Options cells; the records must not change."""
    import csv

    rows = raw_rows[:300]
    path = tmp_path / "cmexam.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([dict(r, Options=r["Options"].replace("\\n", "\n")) for r in rows])
    from_csv = {r["id"]: r for r in ingest(path).records()}
    from_jsonl = {r["id"]: r for r in result.records()}
    assert len(from_csv) == sum(not _placeholder_cot(r) for r in rows)
    assert all(from_csv[i] == from_jsonl[i] for i in from_csv)
