"""Tests of `medcot score`: every input format, dataset join, error rows, --json, malformed files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medcot.cli import main
from medcot.schema import RUBRIC_DIMENSIONS

DATA = Path(__file__).parent / "data" / "score_inputs"
ROW_FILES = sorted(p.name for p in DATA.glob("rows*") if p.suffix in {".jsonl", ".json", ".csv", ".tsv", ".parquet"})
MALFORMED = ["truncated.jsonl", "no_prediction.csv", "not_object.jsonl", "extra_cells.csv"]


def _run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _read(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def _strip(row):
    return {k: v for k, v in row.items() if k != "index"}


@pytest.fixture(scope="module")
def jsonl_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("score") / "rows.out.jsonl"
    assert main(["score", str(DATA / "rows.jsonl"), "--output", str(out), "--quiet", "--json"]) == 0
    return _read(out)


@pytest.mark.parametrize("name", ROW_FILES)
def test_every_input_format_gives_the_same_scores(name, tmp_path, capsys, jsonl_output):
    out = tmp_path / "out.jsonl"
    code, stdout, _ = _run(["score", DATA / name, "--output", out, "--json"], capsys)
    assert code == 0
    rows = _read(out)
    assert [_strip(r) for r in rows] == [_strip(r) for r in jsonl_output]
    summary = json.loads(stdout)
    assert summary["n_rows"] == 5 and summary["n_scored"] == 5


def test_output_rows_have_the_promised_fields(jsonl_output):
    assert [r["id"] for r in jsonl_output] == ["s1", "s2", "s3", "s4", "s5"]
    for r in jsonl_output:
        for d in RUBRIC_DIMENSIONS:
            assert 1.0 <= r[d] <= 5.0
        assert {"overall", "extracted_answer", "answer_correct", "char_rouge_l", "evidence", "error"} <= set(r)
    assert jsonl_output[0]["extracted_answer"] == ["B"] and jsonl_output[0]["answer_correct"] is True
    assert jsonl_output[1]["extracted_answer"] == ["A", "C"] and jsonl_output[1]["answer_correct"] is True
    assert jsonl_output[3]["char_rouge_l"] is None and jsonl_output[4]["answer_correct"] is None
    # a bare "选C" must not look like the worked explanations
    assert jsonl_output[2]["overall"] < min(jsonl_output[0]["overall"], jsonl_output[1]["overall"])


def test_error_rows_are_written_and_counted(tmp_path, capsys):
    expected = json.loads((DATA / "error_rows.expected.json").read_text())
    out = tmp_path / "out.jsonl"
    code, stdout, _ = _run(["score", DATA / "error_rows.jsonl", "-o", out, "--json"], capsys)
    assert code == 0
    rows = _read(out)
    n_in = len((DATA / "error_rows.jsonl").read_text(encoding="utf-8").splitlines())
    assert len(rows) == n_in  # rows in = rows out
    for r in rows:
        if r["id"] in expected:
            assert f"field '{expected[r['id']]}'" in r["error"]
            assert r["overall"] is None and all(r[d] is None for d in RUBRIC_DIMENSIONS)
        else:
            assert r["error"] is None and r["overall"] is not None
    summary = json.loads(stdout)
    assert summary["n_invalid"] == len(expected) == summary["n_missing"]
    assert summary["n_scored"] == n_in - len(expected)


def test_summary_table_and_bootstrap(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    code, stdout, _ = _run(["score", DATA / "rows.jsonl", "-o", out, "--bootstrap", "200", "--seed", "3"], capsys)
    assert code == 0
    for d in RUBRIC_DIMENSIONS:
        assert d in stdout
    assert "95% CI" in stdout and "answer_accuracy" in stdout
    _, j1, _ = _run(["score", DATA / "rows.jsonl", "-o", out, "--bootstrap", "200", "--seed", "3", "--json"], capsys)
    _, j2, _ = _run(["score", DATA / "rows.jsonl", "-o", out, "--bootstrap", "200", "--seed", "3", "--json"], capsys)
    assert json.loads(j1)["confidence_intervals"] == json.loads(j2)["confidence_intervals"]
    assert json.loads(j1)["bootstrap"]["seed"] == 3


def test_user_lexicon_is_accepted(tmp_path, capsys):
    lex = tmp_path / "lex.txt"
    lex.write_text("再灌注治疗\n前壁心肌梗死\n", encoding="utf-8")
    code, stdout, _ = _run(["score", DATA / "rows.jsonl", "-o", tmp_path / "o.jsonl", "--lexicon", lex, "--json"],
                           capsys)
    assert code == 0 and json.loads(stdout)["n_scored"] == 5
    code, _, err = _run(["score", DATA / "rows.jsonl", "-o", tmp_path / "o.jsonl", "--lexicon",
                         tmp_path / "missing.txt"], capsys)
    assert code == 2 and "missing.txt" in err


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_exit_2_with_one_line(name, tmp_path, capsys):
    code, stdout, err = _run(["score", DATA / name, "-o", tmp_path / "out.jsonl"], capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()


def test_malformed_file_in_a_real_process(tmp_path):
    out = subprocess.run([sys.executable, "-m", "medcot.cli", "score", str(DATA / "truncated.jsonl"),
                          "-o", str(tmp_path / "o.jsonl")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "truncated.jsonl:3" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_backend_and_missing_judge_options(tmp_path, capsys):
    code, _, err = _run(["score", DATA / "rows.jsonl", "-o", tmp_path / "o.jsonl", "--backend", "magic"], capsys)
    assert code == 2 and "--backend" in err
    code, _, err = _run(["score", DATA / "rows.jsonl", "-o", tmp_path / "o.jsonl", "--backend", "judge"], capsys)
    assert code == 2 and "base_url" in err


# ---------------------------------------------------------------------------------------------
# joining a predictions file with a dataset
# ---------------------------------------------------------------------------------------------
def _write_predictions(path, records, extra_ids=()):
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"id": r["id"], "prediction": r["cot"]}, ensure_ascii=False) + "\n")
        for rid in extra_ids:
            fh.write(json.dumps({"id": rid, "prediction": "故选A。"}, ensure_ascii=False) + "\n")


def _check_join(rows, records, unknown):
    assert len(rows) == len(records) + len(unknown)
    for r, rec in zip(rows, records):
        assert r["id"] == rec["id"] and r["error"] is None
        assert r["char_rouge_l"] == pytest.approx(1.0)  # the prediction is the reference itself
        assert r["answer_correct"] is not None
    for r, rid in zip(rows[len(records):], unknown):
        assert r["id"] == rid and "not found" in r["error"]


def test_join_with_raw_release(dummy_data, tmp_path, capsys):
    from medcot.ingest import ingest

    result = ingest(dummy_data)
    split = "test" if result.splits.get("test") else sorted(result.splits)[0]
    records = result.splits[split][:4]
    preds = tmp_path / "preds.jsonl"
    _write_predictions(preds, records, extra_ids=["no-such-id"])
    out = tmp_path / "out.jsonl"
    code, stdout, _ = _run(["score", preds, "-o", out, "--dataset", dummy_data, "--split", split, "--json"], capsys)
    assert code == 0
    _check_join(_read(out), records, ["no-such-id"])
    summary = json.loads(stdout)
    assert summary["n_invalid"] == 1 and summary["n_scored"] == len(records)


def test_join_with_built_dataset(dummy_data, tmp_path, capsys):
    export = pytest.importorskip("medcot.export")
    import pyarrow.parquet as pq

    build = tmp_path / "built"
    export.build(build, data_dir=dummy_data, verify=False)
    shards = sorted((build / "data" / "default").glob("*-*.parquet"))
    assert shards
    split = shards[0].name.split("-")[0]
    records = pq.read_table(shards[0]).to_pylist()[:3]
    preds = tmp_path / "preds.csv"
    import csv

    with open(preds, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "模型输出"])
        for r in records:
            w.writerow([r["id"], r["cot"]])
        w.writerow(["missing-id", "故选A"])
    out = tmp_path / "out.jsonl"
    code, _, _ = _run(["score", preds, "-o", out, "--dataset", build, "--split", split, "--quiet"], capsys)
    assert code == 0
    _check_join(_read(out), records, ["missing-id"])


def test_unknown_split_is_an_error(dummy_data, tmp_path, capsys):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"id": "x", "prediction": "故选A"}) + "\n", encoding="utf-8")
    code, _, err = _run(["score", preds, "-o", tmp_path / "o.jsonl", "--dataset", dummy_data, "--split", "nope"],
                        capsys)
    assert code == 2 and "nope" in err


# ---------------------------------------------------------------------------------------------
# the judge backend, end to end against the local OpenAI-compatible test server
# ---------------------------------------------------------------------------------------------
def _judge_server():
    pytest.importorskip("openai")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fake_openai_server import FakeOpenAIServer

    return FakeOpenAIServer()


def test_judge_backend_end_to_end_with_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MEDCOT_TEST_KEY", raising=False)
    preds = tmp_path / "preds.jsonl"
    texts = ["发热咳嗽，右下肺实变，诊断肺炎，故选A。[[score:4]]", "故选A。[[score:2]]",
             "故选A。[[fault:malformed_always]]"]
    with open(preds, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"j{i}", "prediction": t, "options": ["肺炎", "哮喘"], "answer": "A"},
                                ensure_ascii=False) + "\n")
    out = tmp_path / "out.jsonl"
    with _judge_server() as srv:
        args = ["score", preds, "-o", out, "--backend", "judge", "--judge-base-url", srv.base_url,
                "--judge-model", "test-judge", "--judge-api-key-env", "MEDCOT_TEST_KEY", "--concurrency", "2",
                "--cache-dir", tmp_path / "cache", "--judge-timeout", "5", "--judge-max-retries", "2", "--json"]
        code, stdout, _ = _run(args, capsys)
        assert code == 0
        first_calls = srv.calls
        rows = _read(out)
        assert [r["overall"] for r in rows[:2]] == [4.0, 2.0]
        assert rows[2]["overall"] is None and rows[2]["error"].startswith("judge:")
        assert all(r["backend"] == "judge" for r in rows)
        assert rows[0]["extracted_answer"] == ["A"]  # answer fields still computed offline
        summary = json.loads(stdout)
        assert (summary["n_scored"], summary["n_missing"], summary["n_invalid"]) == (2, 1, 0)
        assert summary["overall"] == pytest.approx(3.0)  # the failure is missing, not averaged as 0 or 1
        srv.reset_counts()
        code, stdout2, _ = _run(args, capsys)
        assert code == 0 and first_calls >= 3
        # a rerun answers scored items from the cache; only the unparseable one is asked again
        assert srv.calls <= first_calls - 2
        assert json.loads(stdout2)["overall"] == summary["overall"]


def test_unwritable_output_is_a_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(["score", DATA / "rows.jsonl", "-o", blocker / "out.jsonl"], capsys)
    assert code == 2 and "cannot write output" in err and len(err.strip().splitlines()) == 1


def test_calibration_file_is_applied(tmp_path, capsys, jsonl_output):
    from medcot.calibrate import Calibration, DimensionFit

    cal = Calibration(features=[], means=[], scales=[], dimensions={"clinical_value": DimensionFit([], 4.25, 10)})
    path = cal.save(tmp_path / "cal.json")
    out = tmp_path / "out.jsonl"
    code, _, _ = _run(["score", DATA / "rows.jsonl", "-o", out, "--calibration", path, "--quiet"], capsys)
    assert code == 0
    rows = _read(out)
    # the scorer's anti-gaming caps still apply after calibration (row s3 is a bare "选C")
    assert [r["clinical_value"] for r in rows if r["id"] != "s3"] == [4.25] * 4
    assert [r["clinical_value"] for r in jsonl_output if r["id"] != "s3"] != [4.25] * 4
    assert rows[2]["clinical_value"] < 4.25
    code, _, err = _run(["score", DATA / "rows.jsonl", "-o", out, "--calibration", tmp_path / "nope.json"], capsys)
    assert code == 2 and "nope.json" in err


def test_thuocl_lexicon_is_accepted(thuocl_path, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    code, stdout, _ = _run(["score", DATA / "rows.jsonl", "-o", out, "--lexicon", thuocl_path, "--json"], capsys)
    assert code == 0 and json.loads(stdout)["n_scored"] == 5
