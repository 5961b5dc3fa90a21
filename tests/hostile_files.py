"""A seeded generator of whole hostile input files for ``medcot validate`` / ``build`` / ``score``.

Each :class:`Case` is a small folder of files plus the command to run on it. :func:`generate` draws
``per_family`` cases from every family in :data:`FAMILIES` with one ``random.Random(seed)``, so a
seed always gives the same corpus. ``tests/hostile_run.py`` runs a corpus and checks the promises
(exit code 0 or 2, no traceback, bounded time and memory, rows in = records + rejects = report
lines, one score line per row); ``tests/test_fuzz.py`` runs a slice of it in CI.

Families (the issue's 16 and more): byte mutations, truncations, wrong encodings, NUL, huge cells,
deep nesting, duplicate keys, wrong types, odd options/answers, Unicode edge cases, internal-marker
column names, CSV, XLSX, Parquet, gzip bombs, filesystem tricks, score inputs, odd CLI options.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STEMS = ["患者男性，65岁，突发胸痛2小时，心电图示ST段抬高。最可能的诊断是", "治疗支原体肺炎首选的药物是",
         "成人正常血钾浓度的下限是", "急性胰腺炎最常见的病因是", "糖尿病酮症酸中毒首选的治疗措施是",
         "小儿高热惊厥的首要处理是", "肝硬化腹水患者首选的利尿剂是", "缺铁性贫血最可靠的诊断依据是"]
TRAD_STEMS = ["患者男性，65歲，突發胸痛2小時，心電圖示ST段抬高。最可能的診斷是", "治療支原體肺炎首選的藥物是",
              "急性胰腺炎最常見的病因是", "糖尿病酮症酸中毒首選的治療措施是"]
TEXTS = ["急性心肌梗死", "主动脉夹层", "阿奇霉素", "青霉素", "胆石症", "大量饮酒", "补液", "胰岛素", "螺内酯", "血清铁蛋白"]
COT = "根据题干的关键表现，结合病理生理机制分析，逐一排除其他选项（B、C、D错），故选A。"
TRAD_TEXTS = ["急性心肌梗死", "主動脈夾層", "阿奇黴素", "青黴素", "膽石症", "大量飲酒", "補液", "胰島素"]
TRAD_COT = "根據題幹的關鍵表現，結合病理生理機制分析，逐一排除其他選項（B、C、D錯），故選A。"


@dataclass
class Case:
    """One hostile input: files to write under a fresh folder and the ``medcot`` arguments to run.

    ``expected_rows`` is the number of data rows the generator wrote, when it knows it (unmutated
    files): a run that exits 0 must report exactly that many rows in. ``setup`` makes what plain
    bytes cannot (symlinks, FIFOs, folders).
    """

    name: str
    family: str
    files: dict[str, bytes] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    expected_rows: int | None = None
    setup: Callable[[Path], None] | None = None

    def materialize(self, root: Path) -> Path:
        """Write the case into ``root/<name>`` and return that folder."""
        folder = root / self.name
        folder.mkdir(parents=True, exist_ok=True)
        for rel, data in self.files.items():
            p = folder / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        if self.setup is not None:
            self.setup(folder)
        return folder


# ---------------------------------------------------------------------------------------------
# Valid material
# ---------------------------------------------------------------------------------------------
def rows(rng: random.Random, n: int, *, trad: bool = False) -> list[dict[str, Any]]:
    """``n`` valid canonical rows with distinct questions."""
    out = []
    for i in range(n):
        stem = rng.choice(TRAD_STEMS if trad else STEMS) + (f"（第{i + 1}題）" if trad else f"（第{i + 1}题）")
        opts = rng.sample(TRAD_TEXTS if trad else TEXTS, 4)
        out.append({"id": f"H{i:04d}", "question": stem, "options": "\n".join(f"{'ABCD'[k]} {t}" for k, t in enumerate(opts)),
                    "answer": rng.choice("ABCD"), "cot": TRAD_COT if trad else COT,
                    "department": rng.choice(["心內科" if trad else "心内科", "呼吸內科" if trad else "呼吸内科", None])})
    return out


def jsonl(records: list[Any], *, ensure_ascii: bool = False) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=ensure_ascii) + "\n" for r in records).encode("utf-8")


def csv_bytes(records: list[dict[str, Any]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    cols = list(dict.fromkeys(k for r in records for k in r))
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(cols)
    for r in records:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, table in sheets.items():
        ws = wb.create_sheet(title)
        for line in table:
            ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_of(records: list[dict[str, Any]]) -> list[list[Any]]:
    cols = list(dict.fromkeys(k for r in records for k in r))
    return [cols] + [[r.get(c) for c in cols] for r in records]


def parquet_bytes(table: Any) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def arrow_table(records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(records)


def deep(depth: int, *, kind: str = "list") -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


# Placeholders the runner replaces with paths of its own, outside the case folder.
REJECTS, OUT = "{rejects}", "{out}"


def validate(*files: str) -> list[str]:
    return ["validate", *files, "--rejects", REJECTS]


# ---------------------------------------------------------------------------------------------
# Families: each takes (rng, k) and returns one Case named <family>-<k>
# ---------------------------------------------------------------------------------------------
def _base_file(rng: random.Random, n: int) -> tuple[str, bytes]:
    recs = rows(rng, n)
    kind = rng.choice(["jsonl", "json", "csv", "tsv", "xlsx", "parquet", "jsonl.gz", "csv.gz"])
    if kind.startswith("jsonl"):
        data = jsonl(recs)
    elif kind == "json":
        data = json.dumps(recs, ensure_ascii=False).encode()
    elif kind.startswith("csv"):
        data = csv_bytes(recs)
    elif kind == "tsv":
        data = csv_bytes(recs, delimiter="\t")
    elif kind == "xlsx":
        data = xlsx_bytes({"data": table_of(recs)})
    else:
        data = parquet_bytes(arrow_table(recs))
    if kind.endswith(".gz"):
        data = gzip.compress(data)
    return f"release.{kind}", data


def fam_bytes(rng: random.Random, k: int) -> Case:
    name, data = _base_file(rng, rng.randint(3, 30))
    buf = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        if not buf:
            break
        op, at = rng.randrange(4), rng.randrange(len(buf))
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2:
            del buf[at:at + rng.randint(1, 64)]
        else:
            buf[at:at] = buf[at:at + rng.randint(1, 200)]
    return Case(f"bytes-{k}", "bytes", {name: bytes(buf)}, validate(name))


def fam_truncate(rng: random.Random, k: int) -> Case:
    name, data = _base_file(rng, rng.randint(3, 30))
    cut = rng.randrange(0, max(1, len(data)))
    return Case(f"truncate-{k}", "truncate", {name: data[:cut]}, validate(name))


def fam_encoding(rng: random.Random, k: int) -> Case:
    choice = k % 10
    trad = choice in (1, 2)
    recs = rows(rng, rng.randint(2, 12), trad=trad)
    text = csv_bytes(recs).decode("utf-8")
    ext = rng.choice(["csv", "jsonl"])
    if ext == "jsonl":
        text = jsonl(recs).decode("utf-8")
    argv_extra: list[str] = []
    if choice == 0:
        data = text.encode("gb18030")
    elif choice == 1:
        data = text.encode("big5")
    elif choice == 2:
        data, argv_extra = text.encode("big5"), ["--encoding", "big5"]
    elif choice == 3:
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    elif choice == 4:
        data = text.encode("utf-16-le")  # no BOM
    elif choice == 5:
        data = text.encode("utf-32")
    elif choice == 6:
        data = text.encode("utf-8", "replace").replace("，".encode(), b"\xff\xfe", 3)
    elif choice == 7:
        data = text.encode("shift_jis", "replace")
    elif choice == 8:
        lines = text.splitlines(keepends=True)
        data = b"".join(line.encode(rng.choice(["utf-8", "gb18030", "big5"]), "replace") for line in lines)
    else:
        data, argv_extra = text.encode("utf-8"), ["--encoding", rng.choice(["latin-1", "nonsense-codec", "rot13", "utf-16"])]
    name = f"release.{ext}"
    expected = len(recs) if choice in (0, 2, 3) else None
    return Case(f"encoding-{k}", "encoding", {name: data}, validate(name) + argv_extra, expected_rows=expected)


def fam_nul(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 5)
    choice = k % 5
    if choice == 0:
        recs[1]["cot"] = "含\u0000空字符"
        return Case(f"nul-{k}", "nul", {"r.jsonl": jsonl(recs, ensure_ascii=True)}, validate("r.jsonl"), expected_rows=5)
    if choice == 1:
        data = csv_bytes(recs).replace("空".encode() if False else b"A ", b"A\x00 ", 2)
        return Case(f"nul-{k}", "nul", {"r.csv": data}, validate("r.csv"))
    if choice == 2:
        return Case(f"nul-{k}", "nul", {"r.jsonl": b"\x00" * rng.randint(1, 100000)}, validate("r.jsonl"))
    if choice == 3:
        data = bytearray(jsonl(recs))
        data[len(data) // 2:len(data) // 2] = b"\x00" * 10
        return Case(f"nul-{k}", "nul", {"r.jsonl": bytes(data)}, validate("r.jsonl"))
    return Case(f"nul-{k}", "nul", {"r.tsv": csv_bytes(recs, delimiter="\t") + b"\x00\t\x00\n"}, validate("r.tsv"))


def fam_huge(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 3)
    size = rng.choice([1, 5, 10]) * (1 << 20)
    fld = rng.choice(["cot", "question", "options", "id", "department", "extra_col"])
    if fld == "options":
        recs[1]["options"] = "\n".join(f"{chr(65 + i % 26)} {'选项' * 5}" for i in range(size // 20))
    else:
        recs[1][fld] = "长" * (size // 3)
    ext = rng.choice(["jsonl", "csv", "json"])
    data = jsonl(recs) if ext == "jsonl" else csv_bytes(recs) if ext == "csv" else json.dumps(recs, ensure_ascii=False).encode()
    return Case(f"huge-{k}", "huge", {f"r.{ext}": data}, validate(f"r.{ext}"), expected_rows=3)


def fam_deep(rng: random.Random, k: int) -> Case:
    depth = rng.choice([40, 1000, 5000, 100_000])
    recs = rows(rng, 4)
    choice = k % 6
    if choice == 0:
        body = jsonl(recs) + (deep(depth) + "\n").encode()
        return Case(f"deep-{k}", "deep", {"r.jsonl": body}, validate("r.jsonl"), expected_rows=5)
    if choice == 1:
        return Case(f"deep-{k}", "deep", {"r.json": ("[" + deep(depth) + "]").encode()}, validate("r.json"))
    if choice == 2:
        recs[2]["options"] = deep(depth)
        return Case(f"deep-{k}", "deep", {"r.csv": csv_bytes(recs)}, validate("r.csv"), expected_rows=4)
    if choice == 3:
        recs[0]["rubric"] = deep(depth, kind="obj")
        return Case(f"deep-{k}", "deep", {"r.csv": csv_bytes(recs)}, validate("r.csv"), expected_rows=4)
    if choice == 4:
        line = json.dumps(recs[0], ensure_ascii=False)[:-1] + ', "extra": ' + deep(depth, kind="obj") + "}"
        return Case(f"deep-{k}", "deep", {"r.jsonl": jsonl(recs[1:]) + line.encode() + b"\n"}, validate("r.jsonl"),
                    expected_rows=4)
    preds = [{"id": "a", "prediction": "故选A"}, {"id": "b", "prediction": "x", "options": deep(depth)}]
    return Case(f"deep-{k}", "deep", {"p.jsonl": jsonl(preds)}, ["score", "p.jsonl", "--output", OUT, "--json"],
                expected_rows=2)


def fam_dupkeys(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 4)
    choice = k % 4
    if choice == 0:
        lines = [json.dumps(r, ensure_ascii=False)[:-1] + ', "answer": "B", "question": "重复"}' for r in recs]
        return Case(f"dupkeys-{k}", "dupkeys", {"r.jsonl": ("\n".join(lines) + "\n").encode()}, validate("r.jsonl"),
                    expected_rows=4)
    if choice == 1:
        data = csv_bytes(recs).replace(b"department", b"answer", 1)
        return Case(f"dupkeys-{k}", "dupkeys", {"r.csv": data}, validate("r.csv"), expected_rows=4)
    if choice == 2:
        table = table_of(recs)
        table[0][-1] = "question"
        return Case(f"dupkeys-{k}", "dupkeys", {"r.xlsx": xlsx_bytes({"s": table})}, validate("r.xlsx"), expected_rows=4)
    import pyarrow as pa

    t = arrow_table(recs)
    t = pa.Table.from_arrays(t.columns + [t.column("answer")], names=t.column_names + ["answer"])
    return Case(f"dupkeys-{k}", "dupkeys", {"r.parquet": parquet_bytes(t)}, validate("r.parquet"), expected_rows=4)


_WEIRD = [None, 0, -1, 1.5, float("inf"), True, [], {}, [1, [2, [3]]], {"a": {"b": None}}, "", " ", "nan", "None",
          "#N/A", "null", ["A", None], {"A": 1, "B": []}, "\t\n", 10**30]


def fam_types(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 6)
    for r in recs[1:]:
        for _ in range(rng.randint(1, 3)):
            fld = rng.choice(["id", "question", "options", "answer", "cot", "department", "split", "rubric",
                              "review", "医学正确性", "review_rounds", "source", "question_type"])
            r[fld] = rng.choice(_WEIRD)
    choice = k % 4
    if choice == 0:
        data = "".join(json.dumps(r, ensure_ascii=False, default=str).replace("Infinity", "1e999") + "\n" for r in recs)
        extra = rng.choice(["[1,2]\n", "3\n", '"s"\n', "null\n", "true\n"])
        return Case(f"types-{k}", "types", {"r.jsonl": (data + extra).encode()}, validate("r.jsonl"), expected_rows=7)
    if choice == 1:
        top = rng.choice(["3", '"x"', "null", '{"data": 5}', '{"a": [1, 2]}', "[]", "[[1], [2]]", '{"q1": 5}'])
        return Case(f"types-{k}", "types", {"r.json": top.encode()}, validate("r.json"))
    if choice == 2:
        return Case(f"types-{k}", "types", {"r.xlsx": xlsx_bytes({"s": [[str(c) if isinstance(c, (list, dict)) else c
                                                                         for c in row] for row in table_of(recs)]})},
                    validate("r.xlsx"), expected_rows=6)
    import pyarrow as pa

    cols = {"question": pa.array([r["question"] for r in rows(rng, 6)]), "answer": pa.array([1, 2, None, 4, 5, 6]),
            "cot": pa.array([[1, 2]] * 6), "options": pa.array([{"A": "x", "B": "y"}] * 6)}
    return Case(f"types-{k}", "types", {"r.parquet": parquet_bytes(pa.table(cols))}, validate("r.parquet"), expected_rows=6)


def fam_options(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 8)
    oddities = [
        ("options", "A 只有一个"), ("options", "\n".join(f"{chr(65 + i)} 项{i}" for i in range(26))),
        ("options", "A 甲\nA 乙"), ("options", ["", "", ""]), ("options", [{"label": "AA", "text": "x"}] * 2),
        ("options", {"1": "x", "2": "y"}), ("options", "A．甲  B．乙  C．丙"), ("options", "(A)甲(B)乙"),
        ("options", "Ａ甲\nＢ乙"), ("answer", "Z"), ("answer", "答案："), ("answer", "ABCDEFGHIJ"),
        ("answer", "a、b"), ("answer", ["A", "A", "B"]), ("answer", "甲"), ("answer", "选项A是对的"),
        ("options", None), ("options", "nan"), ("answer", 1), ("options", [1, 2, 3]), ("answer", "ＡＢ"),
    ]
    for r in recs[1:]:
        fld, val = rng.choice(oddities)
        r[fld] = val
    ext = rng.choice(["jsonl", "csv"])
    data = jsonl(recs) if ext == "jsonl" else csv_bytes([{k2: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                                                          for k2, v in r.items()} for r in recs])
    return Case(f"options-{k}", "options", {f"r.{ext}": data}, validate(f"r.{ext}"), expected_rows=8)


_UNICODE = ["\ud800", "\udfff", "\ud83d\ude00", "\u202e反转\u202c", "\u200d\u200b\ufeff", "e" + "\u0301" * 500,
            "\uffff\ufffe", "\ue000私用", "\u2028\u2029", "ﬁ ﬂ ㎎", "\U000e0041tag", "\x85\x9f", "\U0010ffff", "Ａ．甲"]


def fam_unicode(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 6)
    for r in recs[1:]:
        fld = rng.choice(["question", "cot", "options", "answer", "id", "department", "key"])
        bad = rng.choice(_UNICODE)
        if fld == "key":
            r[bad] = "值"
        else:
            r[fld] = (r.get(fld) or "") + bad if isinstance(r.get(fld), str) or r.get(fld) is None else bad
    ext = rng.choice(["jsonl", "json", "csv", "xlsx"])
    if ext == "jsonl":
        data = jsonl(recs, ensure_ascii=True)
    elif ext == "json":
        data = json.dumps(recs, ensure_ascii=True).encode()
    elif ext == "csv":
        data = csv_bytes([{kk.encode("utf-8", "replace").decode(): (v.encode("utf-8", "replace").decode() if isinstance(v, str) else v)
                           for kk, v in r.items()} for r in recs])
    else:
        try:
            data = xlsx_bytes({"s": table_of([{kk.encode("utf-8", "replace").decode(): v for kk, v in r.items()} for r in recs])})
        except Exception:  # openpyxl refuses control characters: store them escaped
            data = xlsx_bytes({"s": [[json.dumps(c) if isinstance(c, str) else c for c in row] for row in table_of(recs)]})
    return Case(f"unicode-{k}", "unicode", {f"r.{ext}": data}, validate(f"r.{ext}"),
                expected_rows=6 if ext in ("jsonl", "json", "csv") else None)


def fam_markers(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 3)
    key = rng.choice(["__header__", "__sheet__", "__proto__", "constructor", "__dict__"])
    recs[1][key] = rng.choice([["x", "y"], "test", "train", {"a": 1}])
    choice = k % 5
    if choice == 0:
        return Case(f"markers-{k}", "markers", {"r.jsonl": jsonl(recs)}, validate("r.jsonl"), expected_rows=3)
    if choice == 1:
        return Case(f"markers-{k}", "markers", {"r.json": json.dumps(recs, ensure_ascii=False).encode()},
                    validate("r.json"), expected_rows=3)
    if choice == 2:
        recs[1][key] = str(recs[1][key])
        return Case(f"markers-{k}", "markers", {"r.xlsx": xlsx_bytes({"s": table_of(recs)})}, validate("r.xlsx"),
                    expected_rows=3)
    if choice == 3:
        preds = [{"id": "a", "prediction": "故选A"}, {"id": "b", "prediction": "故选B", key: ["x"]},
                 {"id": "c", "prediction": "故选C"}]
        return Case(f"markers-{k}", "markers", {"p.jsonl": jsonl(preds)},
                    ["score", "p.jsonl", "--output", OUT, "--json"], expected_rows=3)
    recs[1][key] = str(recs[1][key])
    return Case(f"markers-{k}", "markers", {"r.csv": csv_bytes(recs)}, validate("r.csv"), expected_rows=3)


def fam_csv(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 6)
    good = csv_bytes(recs)
    lines = good.split(b"\n")
    choice = k % 10
    expected = None
    if choice == 0:
        lines[2] = lines[2].replace(b",", b',"', 1)  # unclosed quote
    elif choice == 1:
        lines[3] += b",extra,cells"
    elif choice == 2:
        lines = [good.replace(b"\n", b"\r")]
    elif choice == 3:
        lines = lines[:1]
    elif choice == 4:
        lines = [ln.replace(b",", b";") for ln in lines]
    elif choice == 5:
        lines[0] = b",".join([b"question"] + [f"c{i}".encode() for i in range(5000)])
    elif choice == 6:
        lines[0] = lines[0].replace(b"id", b"", 1)
        expected = 6
    elif choice == 7:
        lines = [b'"' * rng.randint(1, 5000)]
    elif choice == 8:
        lines.insert(2, b",,,,,,")
        expected = 6
    else:
        lines[4] = lines[4][: len(lines[4]) // 2]
    return Case(f"csv-{k}", "csv", {"r.csv": b"\n".join(lines)}, validate("r.csv"), expected_rows=expected)


def _xlsx_with_dimension(table: list[list[Any]], ref: str, far_cell: bool) -> bytes:
    data = xlsx_bytes({"s": table})
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                text = body.decode("utf-8")
                import re

                text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', text)
                if far_cell:
                    text = text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
                body = text.encode("utf-8")
            dst.writestr(info, body)
    return out.getvalue()


def fam_xlsx(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 5)
    table = table_of(recs)
    choice = k % 9
    if choice == 0:
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": _xlsx_with_dimension(table, "A1:XFD1048576", False)}, validate("r.xlsx"),
                    expected_rows=5)
    if choice == 1:
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": _xlsx_with_dimension(table, "A1:G6", True)}, validate("r.xlsx"),
                    expected_rows=5)
    if choice == 2:
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": xlsx_bytes({"notes": [["说明"], ["合成数据"]], "data": table})},
                    validate("r.xlsx"), expected_rows=5)
    if choice == 3:
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": xlsx_bytes({"empty": []})}, validate("r.xlsx"))
    if choice == 4:
        import datetime

        table[2][-1] = datetime.datetime(2024, 1, 1, 8, 30)
        table[3][1] = "=1+1"
        table[4][2] = True
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": xlsx_bytes({"s": table})}, validate("r.xlsx"), expected_rows=5)
    if choice == 5:
        data = bytearray(xlsx_bytes({"s": table}))
        data[len(data) // 3] ^= 0xFF
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": bytes(data)}, validate("r.xlsx"))
    if choice == 6:
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": csv_bytes(recs)}, validate("r.xlsx"))
    if choice == 7:
        big = [["question", "answer", "cot", "options"]] + [["题", "A", "解析", "A 甲\nB 乙"]] * 2 + [[None] * 4] * 3000
        return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": xlsx_bytes({"s": big})}, validate("r.xlsx", "--max-xlsx-cells", "1000"))
    # a zip bomb dressed as a workbook
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>a</t></si>" * (40 << 20 // 16) + b"</sst>")
    return Case(f"xlsx-{k}", "xlsx", {"r.xlsx": out.getvalue()}, validate("r.xlsx"))


def fam_parquet(rng: random.Random, k: int) -> Case:
    import pyarrow as pa

    recs = rows(rng, 5)
    t = arrow_table(recs)
    choice = k % 8
    if choice == 0:
        cot = pa.array([r["cot"].encode() for r in recs], pa.binary())
        t = t.set_column(t.column_names.index("cot"), "cot", cot)
        return Case(f"parquet-{k}", "parquet", {"r.parquet": parquet_bytes(t)}, validate("r.parquet"), expected_rows=5)
    if choice == 1:
        cot = pa.array([b"\xff\xfe" + r["cot"].encode() for r in recs], pa.binary())
        t = t.set_column(t.column_names.index("cot"), "cot", cot)
        return Case(f"parquet-{k}", "parquet", {"r.parquet": parquet_bytes(t)}, validate("r.parquet"), expected_rows=5)
    if choice == 2:
        t = t.append_column("extra", pa.array([{"a": [1, 2], "b": {"c": None}}] * 5))
        t = t.append_column("when", pa.array([1_500_000_000] * 5, pa.int64()).cast(pa.timestamp("s")))
        t = t.append_column("nothing", pa.nulls(5))
        t = t.append_column("dict", pa.array(["x"] * 5).dictionary_encode())
        t = t.append_column("money", pa.array([__import__("decimal").Decimal("1.25")] * 5, pa.decimal128(10, 2)))
        return Case(f"parquet-{k}", "parquet", {"r.parquet": parquet_bytes(t)}, validate("r.parquet"), expected_rows=5)
    if choice == 3:
        return Case(f"parquet-{k}", "parquet", {"r.parquet": parquet_bytes(t.slice(0, 0))}, validate("r.parquet"))
    if choice == 4:
        data = parquet_bytes(t)
        return Case(f"parquet-{k}", "parquet", {"r.parquet": data[:-rng.randint(1, 40)]}, validate("r.parquet"))
    if choice == 5:
        return Case(f"parquet-{k}", "parquet", {"r.parquet": b"PAR1" + os.urandom(64) + b"PAR1"}, validate("r.parquet"))
    if choice == 6:
        t = pa.Table.from_arrays(t.columns + [t.column("question")], names=t.column_names[:-1] + ["", ""])
        return Case(f"parquet-{k}", "parquet", {"r.parquet": parquet_bytes(t)}, validate("r.parquet"), expected_rows=5)
    data = bytearray(parquet_bytes(t))
    data[len(data) // 2] ^= 0xFF
    return Case(f"parquet-{k}", "parquet", {"r.parquet": bytes(data)}, validate("r.parquet"))


def _gz_of(unit: bytes, total: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as g:
        chunk = unit * max(1, (4 << 20) // len(unit))
        for _ in range(max(1, total // len(chunk))):
            g.write(chunk)
    return buf.getvalue()


def fam_gzip(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 4)
    row = jsonl(recs[:1])
    choice = k % 9
    total = rng.choice([64, 256, 1024]) << 20
    if choice == 0:
        return Case(f"gzip-{k}", "gzip", {"r.jsonl.gz": _gz_of(b"\n", total)}, validate("r.jsonl.gz"))
    if choice == 1:
        return Case(f"gzip-{k}", "gzip", {"r.jsonl.gz": jsonl(recs) and gzip.compress(jsonl(recs)) + _gz_of(row, total)},
                    validate("r.jsonl.gz"))
    if choice == 2:
        return Case(f"gzip-{k}", "gzip", {"r.csv.gz": _gz_of(b"question,answer,cot\n" + b"x,,\n" * 100, total)},
                    validate("r.csv.gz"))
    if choice == 3:
        return Case(f"gzip-{k}", "gzip", {"r.json.gz": _gz_of(b"[", total)}, validate("r.json.gz"))
    if choice == 4:
        data = gzip.compress(jsonl(recs))
        return Case(f"gzip-{k}", "gzip", {"r.jsonl.gz": data[: rng.randrange(10, len(data))]}, validate("r.jsonl.gz"))
    if choice == 5:
        return Case(f"gzip-{k}", "gzip", {"r.jsonl.gz": gzip.compress(gzip.compress(jsonl(recs)))}, validate("r.jsonl.gz"))
    if choice == 6:
        data = gzip.compress(jsonl(recs[:2])) + gzip.compress(jsonl(recs[2:]))
        return Case(f"gzip-{k}", "gzip", {"r.jsonl.gz": data}, validate("r.jsonl.gz"), expected_rows=4)
    if choice == 7:
        return Case(f"gzip-{k}", "gzip", {"r.xlsx.gz": _gz_of(b"\0", total)}, validate("r.xlsx.gz"))
    return Case(f"gzip-{k}", "gzip", {"p.jsonl.gz": _gz_of(b" \n", total)},
                ["score", "p.jsonl.gz", "--output", OUT, "--json"])


def fam_fs(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 3)
    choice = k % 10
    if choice == 0:
        return Case(f"fs-{k}", "fs", {}, validate("."), setup=lambda d: (d / "empty").mkdir())
    if choice == 1:
        def loop(d: Path) -> None:
            (d / "rel").mkdir()
            (d / "rel" / "r.jsonl").write_bytes(jsonl(recs))
            (d / "rel" / "loop").symlink_to(d / "rel", target_is_directory=True)
        return Case(f"fs-{k}", "fs", {}, ["validate", "rel", "--rejects", REJECTS], setup=loop)
    if choice == 2:
        return Case(f"fs-{k}", "fs", {}, validate("dangling.jsonl"),
                    setup=lambda d: (d / "dangling.jsonl").symlink_to(d / "nowhere.jsonl"))
    if choice == 3:
        return Case(f"fs-{k}", "fs", {}, validate("dir.jsonl"), setup=lambda d: (d / "dir.jsonl").mkdir())
    if choice == 4:  # a rejects report left inside the release folder: skipped when read
        report = b'{"file": "r.jsonl", "line": 2, "field": "cot", "reason": "empty", "raw": ""}\n'
        return Case(f"fs-{k}", "fs", {"rel/r.jsonl": jsonl(recs), "rel/rejects.jsonl": report},
                    ["validate", "rel", "--rejects", REJECTS], expected_rows=3)
    if choice == 5:  # the report asked for inside the input folder: refused
        return Case(f"fs-{k}", "fs", {"rel/r.jsonl": jsonl(recs)}, ["validate", "rel", "--rejects", "rel/rejects.jsonl"])
    if choice == 6:
        return Case(f"fs-{k}", "fs", {}, validate("fifo.jsonl"), setup=lambda d: os.mkfifo(d / "fifo.jsonl"))
    if choice == 7:
        return Case(f"fs-{k}", "fs", {"名 字 \u202e.jsonl": jsonl(recs)}, validate("名 字 \u202e.jsonl"), expected_rows=3)
    if choice == 8:
        return Case(f"fs-{k}", "fs", {"p.jsonl": jsonl([{"prediction": "故选A"}])},
                    ["score", "p.jsonl", "--output", "p.jsonl"])
    return Case(f"fs-{k}", "fs", {"r.jsonl": jsonl(recs)}, ["build", "--data-dir", ".", "--out", "sub/out", "--no-verify"])


def fam_score(rng: random.Random, k: int) -> Case:
    n = rng.randint(1, 12)
    preds: list[dict[str, Any]] = []
    for i in range(n):
        p: dict[str, Any] = {"id": f"s{i}", "prediction": rng.choice(["故选A", COT, "", "选B" * 200, "答案：C"])}
        for fld in rng.sample(["reference", "question", "options", "answer"], rng.randint(0, 4)):
            p[fld] = rng.choice([COT, rng.choice(STEMS), "A 甲\nB 乙", ["A", "B"], {"A": "x"}, 5, None, "Z", "A"])
        if rng.random() < 0.2:
            p["prediction"] = rng.choice(_WEIRD)
        if rng.random() < 0.1:
            p["prediction"] = "患者" * rng.randint(1000, 20000)
        preds.append(p)
    ext = rng.choice(["jsonl", "csv", "json"])
    if ext == "jsonl":
        data = jsonl(preds)
    elif ext == "json":
        data = json.dumps(preds, ensure_ascii=False, default=str).encode()
    else:
        data = csv_bytes([{kk: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for kk, v in p.items()}
                          for p in preds])
    extra = rng.choice([[], ["--bootstrap", "20", "--seed", "3"], ["--chunk-size", "1"], ["--dataset", "nowhere"]])
    return Case(f"score-{k}", "score", {f"p.{ext}": data}, ["score", f"p.{ext}", "--output", OUT, "--json", *extra],
                expected_rows=n)


def fam_cli(rng: random.Random, k: int) -> Case:
    recs = rows(rng, 3)
    files = {"r.jsonl": jsonl(recs), "garbage.json": b"{not json", "deep.json": deep(100_000).encode(),
             "aliases.toml": b"question = [[[[", "cal.json": b'{"format": "medcot-calibration", "version": 1, "features": 5}',
             "built/README.md": b"---\nconfigs: 5\n---\n", "wide.csv": b"id,medical_correctness\na," + b"x" * 200_000 + b"\n"}
    argvs = [
        ["validate", "r.jsonl", "--aliases", "garbage.json", "--rejects", REJECTS],
        ["validate", "r.jsonl", "--aliases", "deep.json", "--rejects", REJECTS],
        ["validate", "r.jsonl", "--aliases", "aliases.toml", "--rejects", REJECTS],
        ["validate", "r.jsonl", "--seed", "abc"], ["validate"], ["frobnicate"], ["build"],
        ["score", "r.jsonl", "--bootstrap", "-1", "--output", OUT],
        ["score", "r.jsonl", "--output", OUT, "--confidence", "7", "--bootstrap", "5"],
        ["score", "r.jsonl", "--output", OUT, "--calibration", "cal.json"],
        ["score", "r.jsonl", "--output", OUT, "--calibration", "deep.json"],
        ["score", "r.jsonl", "--output", OUT, "--backend", "oracle"],
        ["score", "r.jsonl", "--output", OUT, "--chunk-size", "0"],
        ["agreement", "garbage.json", "deep.json"], ["agreement", "r.jsonl", "r.jsonl", "--bootstrap", "many"],
        ["stats", "."], ["calibrate", "--data", "garbage.json", "--out", OUT],
        ["validate", "r.jsonl", "--encoding", "klingon", "--rejects", REJECTS],
        ["validate", "r.jsonl", "--max-decompressed-mb", "0", "--rejects", REJECTS],
        ["score", "r.jsonl", "--output", OUT, "--backend", "judge"],
        ["stats", "built"], ["agreement", "wide.csv", "r.jsonl"],
    ]
    return Case(f"cli-{k}", "cli", files, argvs[k % len(argvs)])


FAMILIES: dict[str, Callable[[random.Random, int], Case]] = {
    "bytes": fam_bytes, "truncate": fam_truncate, "encoding": fam_encoding, "nul": fam_nul, "huge": fam_huge,
    "deep": fam_deep, "dupkeys": fam_dupkeys, "types": fam_types, "options": fam_options, "unicode": fam_unicode,
    "markers": fam_markers, "csv": fam_csv, "xlsx": fam_xlsx, "parquet": fam_parquet, "gzip": fam_gzip,
    "fs": fam_fs, "score": fam_score, "cli": fam_cli,
}


def generate(seed: int, per_family: int, *, families: Any = None) -> list[Case]:
    """``per_family`` cases of every family (or of ``families``), drawn from ``random.Random(seed)``.

    >>> [c.name for c in generate(1, 2, families=["nul"])]
    ['nul-0', 'nul-1']
    """
    out = []
    for fam in families or FAMILIES:
        rng = random.Random(f"{seed}:{fam}")
        out.extend(FAMILIES[fam](rng, k) for k in range(per_family))
    return out
