"""``medcot push``: folder validation, and an end-to-end upload to a local Hub stub (HF_ENDPOINT)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hub_stub import client_env, serve

from medcot import push
from medcot.errors import InputError

FAKE_TOKEN = "hf_medcotTestTokenNeverPrinted0123456789"


@pytest.fixture()
def built_copy(dummy_build, tmp_path):
    """A private copy of the session's dummy build (tests may damage it)."""
    dest = tmp_path / "medcot"
    shutil.copytree(dummy_build.out_dir, dest)
    return dest


def _run_cli(args: list[str], *, endpoint: str, home: Path) -> subprocess.CompletedProcess:
    code = "import sys; from medcot.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], check=False, env=client_env(endpoint, home, token=FAKE_TOKEN),
        capture_output=True, text=True, timeout=120,
    )


def test_push_end_to_end_against_stub(built_copy, tmp_path):
    with serve() as (endpoint, state):
        proc = _run_cli(
            ["push", str(built_copy), "--repo", "org/medcot", "--private", "--commit-message", "first upload"],
            endpoint=endpoint, home=tmp_path / "hf_home",
        )
    assert proc.returncode == 0, proc.stderr
    # the token authenticates every request but never appears in any output
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert state.auth_headers and all(h == f"Bearer {FAKE_TOKEN}" for h in state.auth_headers)
    assert state.unexpected == []
    assert state.repos["org/medcot"]["type"] == "dataset"
    assert state.repos["org/medcot"].get("visibility") == "private" or state.repos["org/medcot"].get("private") is True
    local = {p.relative_to(built_copy).as_posix(): p.read_bytes() for p in built_copy.rglob("*") if p.is_file()}
    assert state.files["org/medcot"] == local  # every file arrived byte for byte, nothing else
    assert any(rel.startswith("figures/") and rel.endswith(".png") for rel in local)  # the card's figures too
    assert [c["summary"] for c in state.commits] == ["first upload"]
    assert "pushed" in proc.stdout and "org/medcot" in proc.stdout


def test_push_in_process_returns_files(built_copy, monkeypatch, tmp_path):
    import huggingface_hub.constants

    with serve() as (endpoint, state):
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        result = push.push(built_copy, "org/medcot2", token=FAKE_TOKEN)
    assert set(result.files) == set(state.files["org/medcot2"])
    assert "README.md" in result.files
    assert state.repos["org/medcot2"].get("visibility") in (None, "public")


def test_no_token_is_a_clear_error(built_copy, tmp_path):
    with serve() as (endpoint, state):
        env_home = tmp_path / "empty_home"
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from medcot.cli import main; sys.exit(main(sys.argv[1:]))",
             "push", str(built_copy), "--repo", "org/medcot"], check=False,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("HF_")},
                 "HF_ENDPOINT": endpoint, "HF_HOME": str(env_home)},
            capture_output=True, text=True, timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "HF_TOKEN" in proc.stderr or "401" in proc.stderr or "token" in proc.stderr.lower()
    assert state.files.get("org/medcot", {}) == {}


def test_rejected_token_is_a_one_line_error_without_the_token(built_copy, tmp_path):
    with serve(tokens=frozenset({"hf_someoneElse"})) as (endpoint, state):
        proc = _run_cli(["push", str(built_copy), "--repo", "org/medcot"], endpoint=endpoint, home=tmp_path / "h")
    assert proc.returncode == 2
    assert "HTTP 401" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert state.files == {}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "README.md").unlink(), "no README.md"),
        (lambda d: (d / "medcot.py").write_text("x = 1\n"), "Python file"),
        (lambda d: (d / "train.jsonl").write_text("{}\n"), "not listed"),
        (lambda d: next((d / "data" / "qa").glob("*.parquet")).unlink(), "missing"),
        (lambda d: (d / "README.md").write_text("---\npretty_name: x\n---\n# card\n"), "no `configs`"),
        (lambda d: (d / "figures" / "splits.png").unlink(), "embeds figure 'figures/splits.png'"),
    ],
    ids=["no-readme", "script", "stray-data", "missing-shard", "no-configs", "missing-figure"],
)
def test_folder_validation(built_copy, damage, message):
    damage(built_copy)
    with pytest.raises(InputError, match=message):
        push.folder_files(built_copy)


def test_valid_folder_lists_readme_and_every_shard(built_copy, dummy_build):
    (built_copy / "notes.md").write_text("local notes", encoding="utf-8")  # not data: kept local, not uploaded
    (built_copy / "figures" / "mine.png").write_bytes(b"\x89PNG")  # a picture the card does not embed: kept local
    files = push.folder_files(built_copy)
    shards = sorted(f for s in dummy_build.layout.values() for lay in s.values() for f in lay.files)
    assert dummy_build.figures and all(f.startswith("figures/") for f in dummy_build.figures)
    assert sorted(files) == sorted(["README.md", *shards, *dummy_build.figures])


@pytest.mark.parametrize("repo", ["medcot", "org/", "/medcot", "org/med cot", "a/b/c", "org/..x"])
def test_bad_repo_ids(repo):
    with pytest.raises(InputError, match="namespace/name"):
        push.check_repo_id(repo)
