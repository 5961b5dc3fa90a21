"""Repo-id round trips against the local Hub stand-in (tests/hub_stub.py on 127.0.0.1, HF_ENDPOINT).

What a user does: ``medcot push`` a build, then ``load_dataset("<org>/<name>", cfg)`` by repo id for
every config, and streaming; ``medcot push-metric``, then ``evaluate.load("<org>/medcot_rubric")`` by
repo id, with the package installed (five dimensions come back) and without it (the install hint).
Each client runs in its own process: huggingface_hub, datasets and evaluate read HF_ENDPOINT at import.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hub_stub import client_env, serve

from medcot import RUBRIC_DIMENSIONS, space

TOKEN = "hf_medcotRoundTripTokenNeverPrinted012345"
CLI = "import sys; from medcot.cli import main; sys.exit(main(sys.argv[1:]))"

LOAD_BY_REPO_ID = r"""
import gc, json, sys
from datasets import load_dataset
repo, configs = sys.argv[1], json.loads(sys.argv[2])
out = {"counts": {}, "streamed": {}}
for cfg in configs:
    ds = load_dataset(repo, cfg)
    out["counts"][cfg] = {split: ds[split].num_rows for split in ds}
    out.setdefault("columns", {})[cfg] = sorted(ds[next(iter(ds))].column_names)
for cfg in configs:
    stream = load_dataset(repo, cfg, streaming=True)
    out["streamed"][cfg] = {}
    for split in stream:
        it = iter(stream[split])
        out["streamed"][cfg][split] = sum(1 for _ in it)   # the whole stream, to its end
        del it
    del stream
gc.collect()
print("RESULT " + json.dumps(out))
"""

EVALUATE_BY_REPO_ID = r"""
import json, sys
import evaluate
try:
    rubric = evaluate.load(sys.argv[1])
except ImportError as exc:
    print("IMPORT-ERROR " + str(exc))
    raise SystemExit(3)
res = rubric.compute(
    predictions=["患者突发胸痛伴ST段抬高，心肌酶升高，符合急性心肌梗死的诊断依据。主动脉夹层多为撕裂样痛，可排除。故选B。"],
    references=[""], questions=["男，60岁，突发胸痛2小时。最可能的诊断是"], options=["A 主动脉夹层\nB 急性心肌梗死"],
    answers=["B"], return_per_sample=True,
)
print("RESULT " + json.dumps(res, ensure_ascii=False, default=str))
"""


def _run(args: list[str], env: dict[str, str], cwd, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _result(proc: subprocess.CompletedProcess) -> dict:
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-2000:] + proc.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_push_then_load_dataset_by_repo_id_every_config_and_streaming(dummy_build, tmp_path):
    folder = tmp_path / "medcot"
    shutil.copytree(dummy_build.out_dir, folder)
    with serve() as (endpoint, state):
        push = _run(["-c", CLI, "push", str(folder), "--repo", "acme/medcot"],
                    client_env(endpoint, tmp_path / "push_home", token=TOKEN), tmp_path)
        assert push.returncode == 0, push.stderr
        expected = dummy_build.counts()
        load = _run(["-c", LOAD_BY_REPO_ID, "acme/medcot", json.dumps(sorted(expected))],
                    client_env(endpoint, tmp_path / "user_home"), tmp_path)
        got = _result(load)
        assert state.unexpected == []
    assert got["counts"] == expected                       # every config and split, by repo id
    assert got["streamed"] == expected                     # and streamed to the end
    assert any(d.startswith("datasets/acme/medcot/data/") for d in state.downloads)
    card = state.files["acme/medcot"]["README.md"].decode("utf-8")
    assert 'load_dataset("acme/medcot"' in card and 'load_dataset("org/medcot"' not in card
    assert "card: loading examples now name acme/medcot (were org/medcot)" in push.stdout


def test_score_joins_with_a_dataset_by_hub_repo_id(dummy_build, tmp_path):
    import pyarrow.parquet as pq

    test_rows = pq.read_table(next((dummy_build.out_dir / "data" / "default").glob("test-*.parquet"))).to_pylist()
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "prediction": r["cot"]}, ensure_ascii=False) + "\n"
                             for r in test_rows) + json.dumps({"id": "nope", "prediction": "故选A。"}) + "\n",
                     encoding="utf-8")
    with serve() as (endpoint, state):
        push = _run(["-c", CLI, "push", str(dummy_build.out_dir), "--repo", "acme/medcot"],
                    client_env(endpoint, tmp_path / "push_home", token=TOKEN), tmp_path)
        assert push.returncode == 0, push.stderr
        env = client_env(endpoint, tmp_path / "user_home")
        proc = _run(["-c", CLI, "score", str(preds), "--dataset", "acme/medcot", "--split", "test",
                     "--output", str(tmp_path / "scores.jsonl"), "--quiet"], env, tmp_path)
        missing = _run(["-c", CLI, "score", str(preds), "--dataset", "acme/absent", "--output",
                        str(tmp_path / "x.jsonl"), "--quiet"], env, tmp_path)
        bad_split = _run(["-c", CLI, "score", str(preds), "--dataset", "acme/medcot", "--split", "dev9",
                          "--output", str(tmp_path / "y.jsonl"), "--quiet"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == len(test_rows) + 1
    joined = [r for r in out if r["id"] != "nope"]
    # the gold answers came from the Hub copy of the dataset: every expert CoT's answer is judged
    assert all(r["answer_correct"] is not None and r.get("error") is None for r in joined)
    assert "not found" in next(r for r in out if r["id"] == "nope")["error"]
    for bad in (missing, bad_split):
        assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    assert "acme/absent" in missing.stderr and "dev9" in bad_split.stderr


@pytest.fixture(scope="module")
def metric_space_hub(tmp_path_factory):
    """The stub with the metric Space pushed by `medcot push-metric` (module-scoped: two tests read it)."""
    tmp = tmp_path_factory.mktemp("metric_hub")
    with serve() as (endpoint, state):
        proc = _run(["-c", CLI, "push-metric", "--repo", "acme/medcot_rubric"],
                    client_env(endpoint, tmp / "push_home", token=TOKEN), tmp)
        assert proc.returncode == 0, proc.stderr
        yield endpoint, state, tmp, proc


def test_push_metric_uploads_the_space_folder(metric_space_hub):
    _, state, _, proc = metric_space_hub
    assert state.repos["acme/medcot_rubric"]["type"] == "space"
    assert state.repos["acme/medcot_rubric"].get("sdk") == "gradio"
    files = state.files["acme/medcot_rubric"]
    assert sorted(files) == ["README.md", "app.py", "medcot_rubric.py", "requirements.txt"]
    spec = space.default_package_spec()
    assert files["requirements.txt"].decode().splitlines()[-1] == spec  # installable without local files
    assert f"# From: {spec}" in files["medcot_rubric.py"].decode()
    card = files["README.md"].decode()
    assert card.startswith("---\n") and "sdk: gradio" in card and "app_file: app.py" in card
    assert 'evaluate.load("acme/medcot_rubric")' in card
    assert 'evaluate.load("acme/medcot_rubric")' in proc.stdout


def test_evaluate_load_by_repo_id_with_the_package(metric_space_hub):
    endpoint, state, tmp, _ = metric_space_hub
    proc = _run(["-c", EVALUATE_BY_REPO_ID, "acme/medcot_rubric"],
                client_env(endpoint, tmp / "user_home"), tmp)
    res = _result(proc)
    assert all(1.0 <= res[d] <= 5.0 for d in RUBRIC_DIMENSIONS)
    assert res["answer_accuracy"] == 1.0 and res["n_scored"] == 1
    assert sorted(res["per_sample"][0]["evidence"]) == sorted(RUBRIC_DIMENSIONS)
    assert "spaces/acme/medcot_rubric/medcot_rubric.py" in state.downloads  # fetched from the Space, by repo id


@pytest.fixture(scope="module")
def python_without_medcot(tmp_path_factory) -> str:
    """A venv's python that has every installed package of this one except medcot-verified.

    Its site-packages holds one .pth naming a folder of links to this environment's packages, with
    medcot, its dist-info and its editable-install hook left out (a folder named in a .pth is only put
    on sys.path; its own .pth files are not run, so no other install hook leaks in either).
    """
    import sysconfig
    import venv

    root = tmp_path_factory.mktemp("no_medcot")
    venv.create(root / "venv", with_pip=False)
    deps = root / "deps"
    deps.mkdir()
    skipped = []
    for site in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if name.startswith(("medcot", "__editable__")) or name.endswith(".pth"):
                skipped.append(entry.name)
            elif not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    python = root / "venv" / "bin" / "python"
    site_dir = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(site_dir, "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    check = subprocess.run([str(python), "-c", "import evaluate, datasets\ntry:\n import medcot\nexcept ImportError:\n print('absent')"],
                           capture_output=True, text=True, cwd=root, timeout=120)
    assert check.stdout.strip() == "absent", (skipped, check.stdout, check.stderr)
    return str(python)


def test_evaluate_load_without_the_package_names_the_install_command(metric_space_hub, python_without_medcot):
    endpoint, _, tmp, _ = metric_space_hub
    proc = subprocess.run([python_without_medcot, "-c", EVALUATE_BY_REPO_ID, "acme/medcot_rubric"],
                          env=client_env(endpoint, tmp / "bare_home"), cwd=tmp, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    message = proc.stdout.split("IMPORT-ERROR ", 1)[1]
    assert "['medcot']" in message
    assert f"pip install {space.default_package_spec()}" in message
