"""The benchmark-only synthetic release generator and the bench scripts' --smoke mode.

Nothing here is timed: the tests check determinism and shape of the generated data, and that each
bench script runs end to end on tiny inputs and prints its markdown table.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from medcot.columns import RUBRIC_FIELDS
from medcot.schema import RUBRIC_DIMENSIONS

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


gen = _load("generate_release")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, suffix: str) -> None:
    a = gen.write_release(tmp_path / f"a{suffix}", n=300, seed=7)
    b = gen.write_release(tmp_path / f"b{suffix}", n=300, seed=7)
    c = gen.write_release(tmp_path / f"c{suffix}", n=300, seed=8)
    assert a["records"] == b["records"] == c["records"] == 300
    assert _sha(Path(a["path"])) == _sha(Path(b["path"]))
    assert _sha(Path(a["path"])) != _sha(Path(c["path"]))


def test_gzip_holds_the_same_records(tmp_path: Path) -> None:
    plain = gen.write_release(tmp_path / "r.jsonl", n=50, seed=3)["path"]
    packed = gen.write_release(tmp_path / "r.jsonl.gz", n=50, seed=3)["path"]
    assert gzip.decompress(Path(packed).read_bytes()) == Path(plain).read_bytes()


def test_prefix_of_a_larger_run_equals_a_smaller_run() -> None:
    # Chunked drawing must not make record i depend on n (so 1x is a prefix of 4x).
    small = list(gen.iter_records(100, seed=5))
    big = list(gen.iter_records(3000, seed=5))
    assert big[:100] == small


def test_record_shape_and_mixes() -> None:
    recs = list(gen.iter_records(3000, seed=11))
    assert len({r["id"] for r in recs}) == 3000
    q_lens = [len(r["question"]) for r in recs]
    cot_lens = [len(r["explanation"]) for r in recs]
    assert 80 <= min(q_lens) and max(q_lens) <= 400 and 150 <= sorted(q_lens)[1500] <= 250
    assert 300 <= min(cot_lens) and max(cot_lens) <= 1000
    types = {r["question_type"] for r in recs}
    assert types == {"A1", "A2", "A3", "B1", "X"}
    multi = [r for r in recs if len(r["answer"]) > 1]
    assert 0.03 <= len(multi) / len(recs) <= 0.08
    assert all(r["question_type"] == "X" for r in multi)
    depts = [r["department"] for r in recs]
    counts = sorted((depts.count(d) for d in set(depts)), reverse=True)
    assert len(counts) == 15 and counts[0] > 5 * counts[-1]  # skewed mix
    for r in recs:
        lines = r["options"].replace("\\n", "\n").split("\n")
        labels = [ln[0] for ln in lines]
        assert labels == list("ABCDE"[: len(lines)]) and len(lines) in (4, 5)
        assert set(r["answer"]) <= set(labels)
        assert r["explanation"].endswith("。") and r["answer"] in r["explanation"][-12:]
        scores = [r[k] for k in RUBRIC_DIMENSIONS]
        assert all(s in (1, 2, 3, 4, 5) for s in scores)
        assert r["overall"] == round(sum(scores) / 5, 2)


def test_rubric_columns_match_the_schema_and_alias_table() -> None:
    assert gen.RUBRIC_KEYS == RUBRIC_DIMENSIONS
    for lang in ("en", "zh"):
        names = gen.COLUMNS[lang]
        assert set(RUBRIC_FIELDS) <= set(names)


def test_list_options_and_chinese_columns() -> None:
    rec = next(gen.iter_records(1, seed=2, options_format="list", columns="zh"))
    assert isinstance(rec["选项"], list) and len(rec["选项"]) in (4, 5)
    assert {"问题", "答案", "解析", "科室", "题型", "医学正确性", "总分"} <= set(rec)


def test_generated_release_ingests_without_rejects(tmp_path: Path) -> None:
    from medcot.ingest import ingest

    for fmt, cols in (("string", "en"), ("list", "zh")):
        path = gen.write_release(tmp_path / f"{fmt}-{cols}.jsonl", n=200, seed=1, options_format=fmt, columns=cols)["path"]
        res = ingest(path)
        assert res.rows_in == 200
        assert not res.rejects, [r.reason for r in res.rejects[:3]]
        recs = [r for split in res.splits.values() for r in split]
        assert sum(len(r["answer"]) > 1 for r in recs) >= 1
        assert all(r["rubric"] is not None for r in recs)


def test_pairs_are_deterministic_and_cover_every_kind() -> None:
    recs = list(gen.iter_records(400, seed=4, options_format="list"))
    a = list(gen.iter_pairs(recs, seed=4))
    assert a == list(gen.iter_pairs(recs, seed=4))
    assert {p["kind"] for p in a} == set(gen.PREDICTION_KINDS)
    for p, r in zip(a, recs):
        assert p["reference"] == r["explanation"]
        if p["kind"] == "copy":
            assert p["prediction"] == p["reference"]
        elif p["kind"] in ("drop_sentences", "truncate"):
            assert len(p["prediction"]) <= len(p["reference"])


def test_cli_rejects_n_and_scale_together(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "generate_release.py"), "--n", "5", "--scale", "2",
                           "--out", str(tmp_path / "x.jsonl")], check=False, capture_output=True, text=True)
    assert proc.returncode == 2 and "not both" in proc.stderr


@pytest.mark.parametrize(
    "script, args, data_rows",
    [
        ("bench_build.py", [], 2),
        ("bench_load.py", [], 3),
        ("bench_score.py", [], 3),  # baseline, score_many, medcot score (streaming)
        ("bench_growth.py", ["--only", "score"], 1),
    ],
)
def test_bench_script_smoke_prints_a_table(tmp_path: Path, script: str, args: list[str], data_rows: int) -> None:
    out = tmp_path / "fig.json"
    proc = subprocess.run([sys.executable, str(BENCH / script), "--smoke", "--json", str(out), *args],
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("## ")
    rows = [ln for ln in lines if ln.startswith("| ")]
    assert rows[0].startswith("| step") and len(rows) == 1 + data_rows  # header + one row per measured step
    assert "FAILED" not in proc.stdout, proc.stdout
    payload = json.loads(out.read_text())
    assert payload  # figures were written
