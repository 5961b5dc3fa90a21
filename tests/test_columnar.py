"""Batched column scoring (medcot.integrations.columnar) under datasets.map(num_proc=2) and Ray Data."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest
from conftest import built_rows

from medcot import views
from medcot.errors import InputError
from medcot.integrations.columnar import OUTPUT_COLUMNS, score_columns
from medcot.scoring import normalize_records, score_items


def _columns(dummy_build) -> dict[str, list]:
    records = [r for s in ("train", "validation", "test") for r in built_rows(dummy_build, "default", s)]
    # half the rows answer right (the gold CoT), half answer A whatever the gold is
    preds = [views.assistant_text(r) if i % 2 == 0 else "分析……\n\n答案：A" for i, r in enumerate(records)]
    return {"id": [r["id"] for r in records], "prediction": preds, "reference": [r["cot"] for r in records],
            "question": [r["question"] for r in records], "options": [r["options"] for r in records],
            "answer": [r["answer"] for r in records]}


def _expected(cols: dict[str, list]) -> list:
    rows = [{k: cols[k][i] for k in cols} for i in range(len(cols["id"]))]
    return score_items(normalize_records(rows))


def _same(out: dict[str, list], expected: list) -> None:
    assert out["overall"] == [r.overall for r in expected]
    assert out["medical_correctness"] == [r.scores["medical_correctness"] for r in expected]
    assert out["answer_correct"] == [r.answer_correct for r in expected]
    assert out["extracted_answer"] == [None if r.extracted_answer is None else "".join(r.extracted_answer)
                                       for r in expected]


def test_dict_pandas_and_arrow_batches_agree(dummy_build):
    pd = pytest.importorskip("pandas")
    cols = _columns(dummy_build)
    expected = _expected(cols)
    from_dict = score_columns(cols)
    assert set(OUTPUT_COLUMNS) | set(cols) == set(from_dict) and from_dict["id"] == cols["id"]
    _same(from_dict, expected)
    frame = score_columns(pd.DataFrame(cols))
    assert list(frame.columns[: len(cols)]) == list(cols)
    _same({k: frame[k].tolist() for k in OUTPUT_COLUMNS}, expected)
    table = score_columns(pa.Table.from_pydict(cols))
    assert table.num_rows == len(cols["id"]) and table.column_names[: len(cols)] == list(cols)
    _same(table.to_pydict(), expected)
    assert any(from_dict["answer_correct"]) and not all(from_dict["answer_correct"])


def test_bad_rows_stay_with_an_error_and_bad_batches_raise():
    out = score_columns({"completion": ["故选A。", None, 3], "gold": ["A", "A", "A"]},
                        columns={"prediction": "completion", "answer": "gold"}, prefix="rubric_")
    assert out["rubric_answer_correct"][0] is True
    assert out["rubric_overall"][1] is None and "prediction" in out["rubric_error"][1]
    assert out["rubric_overall"][2] is None and out["rubric_error"][2]
    assert out["rubric_error"][0] is None
    with pytest.raises(InputError, match="no column 'prediction'"):
        score_columns({"text": ["x"]})
    with pytest.raises(InputError, match="different lengths"):
        score_columns({"prediction": ["x", "y"], "answer": ["A"]})
    with pytest.raises(InputError, match="expected a dict of columns"):
        score_columns(["x"])
    with pytest.raises(InputError, match="unknown field"):
        score_columns({"prediction": ["x"]}, columns={"cot": "x"})


def test_datasets_map_batched_num_proc_2(dummy_build, tmp_path):
    import datasets

    cols = _columns(dummy_build)
    ds = datasets.Dataset.from_dict(cols)
    scored = ds.map(score_columns, batched=True, batch_size=8, num_proc=2,
                    cache_file_name=str(tmp_path / "scored.arrow"))
    assert scored.num_rows == ds.num_rows and scored["id"] == cols["id"]
    _same({k: scored[k] for k in OUTPUT_COLUMNS}, _expected(cols))


def test_ray_data_map_batches(dummy_build, monkeypatch):
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    ray = pytest.importorskip("ray")
    cols = _columns(dummy_build)
    rows = [{k: cols[k][i] for k in ("id", "prediction", "reference", "question", "answer")}
            for i in range(len(cols["id"]))]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             runtime_env={"env_vars": {"RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    try:
        out = ray.data.from_items(rows).map_batches(score_columns, batch_format="pandas", batch_size=8).to_pandas()
    finally:
        ray.shutdown()
    out = out.set_index("id").loc[cols["id"]]
    no_options = {k: v for k, v in cols.items() if k != "options"}
    _same({k: out[k].tolist() for k in ("overall", "medical_correctness", "answer_correct", "extracted_answer")},
          _expected(no_options))
