"""`medcot score` on what lm-eval (--log_samples) and lighteval (--save-details) write.

The files here are written in the frameworks' own layouts (as lm-eval 0.4.13 and lighteval 0.13 wrote
them for the medcot tasks); tests/test_lm_eval.py and tests/test_lighteval.py score real outputs too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import built_rows

from medcot import views
from medcot.cli import main
from medcot.errors import InputError
from medcot.integrations import logs

STAMP = "2026-12-03T12-53-46.996466"




def _write_lm_eval(folder: Path, records, *, with_doc=True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cot = folder / f"samples_medcot_cot_{STAMP}.jsonl"
    with cot.open("w", encoding="utf-8") as f:
        for i, r in enumerate(records):
            doc = dict(r) if with_doc else {"id": r["id"]}
            text = views.assistant_text(r)
            f.write(json.dumps({"doc_id": i, "doc": doc, "target": "".join(r["answer"]),
                                "resps": [[text]], "filtered_resps": ["".join(r["answer"])],
                                "filter": "answer_set", "acc": 1.0}, ensure_ascii=False) + "\n")
    mc = folder / f"samples_medcot_qa_mc_{STAMP}.jsonl"
    with mc.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"doc_id": 0, "doc": views.to_qa(records[0]), "resps": [[[-1.5, False]], [[-0.2, True]]],
                            "filtered_resps": [[-1.5, False], [-0.2, True]], "acc": 1.0}) + "\n")
    return folder


def _write_lighteval(folder: Path, records) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"doc": {"query": views.record_prompt(r), "choices": [views.assistant_text(r)], "gold_index": 0,
                     "id": str(i), "task_name": "medcot_cot|0",
                     "specific": {"id": r["id"], "record": json.dumps(r, ensure_ascii=False)}},
             "metric": {"acc": 1.0},
             "model_response": {"text": [views.assistant_text(r)], "logprobs": []}} for i, r in enumerate(records)]
    # lighteval stores the record as a struct; a JSON-string stand-in keeps this schema simple
    for row in rows:
        row["doc"]["specific"]["record"] = json.loads(row["doc"]["specific"]["record"])
    path = folder / f"details_medcot_cot|0_{STAMP}.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    mc = [{"doc": {"query": "q", "choices": ["A", "B"], "gold_index": 1, "id": "0", "task_name": "medcot_qa_mc|0",
                   "specific": {"id": records[0]["id"]}},
           "metric": {"acc": 0.0}, "model_response": {"text": [], "logprobs": [-1.0, -2.0]}}]
    pq.write_table(pa.Table.from_pylist(mc), folder / f"details_medcot_qa_mc|0_{STAMP}.parquet")
    return path


def _score(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _read(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_lm_eval_samples_read_with_doc_fields(dummy_build, tmp_path):
    records = built_rows(dummy_build)
    folder = _write_lm_eval(tmp_path / "lm", records)
    cot = next(folder.glob("samples_medcot_cot_*.jsonl"))
    assert logs.detect_format(cot) == logs.detect_format(folder) == "lm-eval"
    rows = logs.read_samples(cot)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert rows[0]["reference"] == records[0]["cot"] and rows[0]["options"] == records[0]["options"]
    assert {r["task"] for r in rows} == {"medcot_cot"} and rows[3]["source"].endswith(":4")
    # a folder: the loglikelihood task's file is skipped, not scored
    in_folder = logs.iter_samples(folder)
    assert len(in_folder) == len(records) and [p.name for p in in_folder.skipped] == [
        f"samples_medcot_qa_mc_{STAMP}.jsonl"]


def test_score_lm_eval_folder_and_join_on_doc_id(dummy_build, tmp_path, capsys):
    records = built_rows(dummy_build)
    folder = _write_lm_eval(tmp_path / "lm", records, with_doc=False)  # docs hold only the id
    out = tmp_path / "scores.jsonl"
    code, stdout, err = _score(["score", folder, "-o", out, "--json", "--dataset", dummy_build.out_dir], capsys)
    assert code == 0, err
    rows = _read(out)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert all(r["answer_correct"] is True and r["char_rouge_l"] is not None for r in rows)  # joined: gold + reference
    summary = json.loads(stdout)
    assert summary["n_rows"] == len(records) and summary["n_scored"] == len(records)


def test_score_lighteval_details(dummy_build, tmp_path, capsys):
    records = built_rows(dummy_build)
    path = _write_lighteval(tmp_path / "le", records)
    assert logs.detect_format(path) == "lighteval"
    rows = logs.read_samples(path)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert rows[0]["question"] == records[0]["question"] and rows[0]["task"] == "medcot_cot"
    out = tmp_path / "scores.jsonl"
    code, stdout, err = _score(["score", tmp_path / "le", "-o", out, "--json"], capsys)
    assert code == 0, err
    assert all(r["answer_correct"] is True for r in _read(out))


def test_loglikelihood_file_alone_is_refused_in_one_line(dummy_build, tmp_path, capsys):
    folder = _write_lm_eval(tmp_path / "lm", built_rows(dummy_build))
    mc = next(folder.glob("samples_medcot_qa_mc_*.jsonl"))
    code, _, err = _score(["score", mc, "-o", tmp_path / "o.jsonl"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "loglikelihood sample" in err and f"{mc}:1" in err
    le = _write_lighteval(tmp_path / "le", built_rows(dummy_build)).parent
    with pytest.raises(InputError, match="loglikelihood sample"):
        logs.iter_samples(next(le.glob("details_medcot_qa_mc*")))


def test_malformed_samples_name_file_and_line(tmp_path, capsys):
    bad = tmp_path / f"samples_medcot_cot_{STAMP}.jsonl"
    bad.write_text('{"doc_id": 0, "doc": {}, "resps": [["故选A"]]}\n{"doc_id": 1, "doc": \n', encoding="utf-8")
    code, _, err = _score(["score", bad, "-o", tmp_path / "o.jsonl"], capsys)
    assert code == 2 and f"{bad}:2: invalid JSON" in err
    bad.write_text('{"doc_id": 0, "doc": {}, "resps": []}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r":1: field 'resps' holds no generated text"):
        logs.read_samples(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="neither lm-eval"):
        logs.iter_samples(tmp_path / "empty")
