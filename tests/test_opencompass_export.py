"""`medcot export --format opencompass`: the flat JSONL layout OpenCompass's custom-dataset reader takes.

OpenCompass itself is not installed (its pins need datasets<4, numpy<2, transformers<5). The checks
follow what it reads: `question`, consecutive option letters from A, `answer`; option keys taken from
the FIRST row of a file; a `<file>.meta.json` beside it (docs/en/advanced_guides/custom_dataset.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import built_rows

from medcot import views
from medcot.cli import main
from medcot.integrations.opencompass import SNIPPET_NAME, export_opencompass


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _options_of(row: dict) -> list[str]:
    letters = []
    while chr(ord("A") + len(letters)) in row:  # OpenCompass: consecutive letters from A
        letters.append(chr(ord("A") + len(letters)))
    return letters


def test_files_have_one_option_count_and_one_answer_kind(dummy_build, tmp_path):
    splits = ["train", "validation", "test"]
    result = export_opencompass(dummy_build.out_dir, tmp_path / "oc", splits=splits)
    records = {r["id"]: r for s in splits for r in built_rows(dummy_build, "default", s)}
    assert result.rows_in == result.rows_out == len(records)
    seen = []
    for name, n in result.files.items():
        rows = _rows(tmp_path / "oc" / name)
        assert len(rows) == n
        first = _options_of(rows[0])
        kind, count = name.split("_")[-2], int(name.split("_")[-1].removesuffix("opt.jsonl"))
        assert len(first) == count
        for row in rows:  # every row has exactly the first row's option keys: no empty `E.`
            assert set(row) == {"question", *first, "answer", "id"}
            assert all(row[x].strip() for x in first)
            assert set(row["answer"]) <= set(first)
            rec = records[row["id"]]
            assert row["answer"] == "".join(rec["answer"]) and row["question"] == rec["question"]
            assert views.is_multi(rec) is (kind == "multi")
            if kind == "single":
                assert len(row["answer"]) == 1
            seen.append(row["id"])
        meta = json.loads((tmp_path / "oc" / f"{name}.meta.json").read_text(encoding="utf-8"))
        assert meta["options"] == first and meta["data_type"] == "mcq"
        assert all(f"{{{x}}}" in meta["human_prompt"] for x in first) and "{question}" in meta["human_prompt"]
    assert sorted(seen) == sorted(records)  # each record in exactly one file
    names = set(result.files)
    assert {"medcot_train_single_4opt.jsonl", "medcot_train_single_5opt.jsonl", "medcot_test_multi_4opt.jsonl"} <= names


def test_snippet_is_a_config_listing_every_file(dummy_build, tmp_path):
    result = export_opencompass(dummy_build.out_dir, tmp_path / "oc")
    namespace: dict = {}
    exec(compile(result.snippet.read_text(encoding="utf-8"), SNIPPET_NAME, "exec"), namespace)  # our own file
    single, multi = namespace["medcot_single_datasets"], namespace["medcot_multi_datasets"]
    assert namespace["datasets"] == single
    assert {Path(d["path"]).name for d in single + multi} == set(result.files)
    assert all("_multi_" in d["path"] for d in multi) and all("_single_" in d["path"] for d in single)
    assert all(Path(d["path"]).is_file() and d["data_type"] == "mcq" for d in single + multi)


def test_cli_export_and_refusals(dummy_build, tmp_path, capsys):
    out = tmp_path / "oc"
    assert main(["export", "--format", "opencompass", "--dataset", str(dummy_build.out_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rows in = rows out: 10 = 10" in printed and SNIPPET_NAME in printed
    assert main(["export", "--format", "opencompass", "--dataset", str(dummy_build.out_dir), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["export", "--format", "mmlu", "--dataset", str(dummy_build.out_dir), "--out", str(out)]) == 2
    assert "--format must be one of opencompass" in capsys.readouterr().err
    assert main(["export", "--format", "opencompass", "--dataset", str(dummy_build.out_dir), "--out", str(out),
                 "--split", "holdout", "--overwrite"]) == 2
    assert "holdout" in capsys.readouterr().err


def test_integrations_command_counts_what_each_task_keeps(dummy_build, capsys):
    assert main(["integrations", "--dataset", str(dummy_build.out_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert Path(info["lm_eval_tasks"], "medcot_cot.yaml").is_file() and Path(info["lighteval_tasks"]).is_file()
    test = info["splits"]["test"]
    assert test == {"medcot_cot": 10, "medcot_qa_mc": 9, "multi_answer_excluded": 1}
    assert sum(s["multi_answer_excluded"] for s in info["splits"].values()) == 6


@pytest.mark.parametrize("labels", [["A", "C"]])
def test_gapped_option_labels_are_refused(labels):
    from medcot.errors import InputError
    from medcot.integrations.opencompass import row_of

    with pytest.raises(InputError, match="expected AB"):
        row_of({"id": "q", "question": "问", "options": [{"label": x, "text": x} for x in labels], "answer": ["A"]})
