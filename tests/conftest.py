"""Shared fixtures: paths to bundled dummy data and to the optional ../shared test material."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DUMMY_DATA = REPO / "dummy_data"
SHARED = Path(os.environ.get("MEDCOT_SHARED", REPO.parent / "shared"))
REALDATA = SHARED / "realdata" / "cmexam_val_sample.jsonl"
THUOCL = SHARED / "lexicons" / "THUOCL_medical.txt"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _need(path: Path) -> Path:
    if not path.exists():
        # In CI ../shared is always present: a missing file there is a failure, not a skip.
        if IN_CI:
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not present (tests using ../shared skip outside the project workspace)")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def dummy_data() -> Path:
    return DUMMY_DATA


@pytest.fixture(scope="session")
def realdata_path() -> Path:
    """../shared/realdata/cmexam_val_sample.jsonl (1,363 real CMExam rows); skips when absent."""
    return _need(REALDATA)


@pytest.fixture(scope="session")
def thuocl_path() -> Path:
    """../shared/lexicons/THUOCL_medical.txt (MIT word list); skips when absent."""
    return _need(THUOCL)


# --- dataset build fixtures (medcot.export / medcot_verified.py); appended by the builder/export owner ---
def load_builder_module():
    """Import the top-level ``medcot_verified.py`` as ordinary Python (it is not part of the package)."""
    import importlib.util
    import sys

    if "medcot_verified" not in sys.modules:
        spec = importlib.util.spec_from_file_location("medcot_verified", REPO / "medcot_verified.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["medcot_verified"] = module
        spec.loader.exec_module(module)
    return sys.modules["medcot_verified"]


@pytest.fixture(scope="session")
def dummy_build(tmp_path_factory):
    """``medcot build`` of the bundled dummy_data, written once per session (an ``export.BuildResult``)."""
    from medcot import export

    out = tmp_path_factory.mktemp("dummy_build") / "medcot"
    return export.build(out, verify=False)


@pytest.fixture()
def hf_offline(monkeypatch, tmp_path):
    """No Hub access and caches under tmp_path (flags are read at import time, so patch the modules too)."""
    import datasets
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return tmp_path / "hf_cache"


def _isolate_hf_home() -> None:
    """Keep every test's Hugging Face caches/logs out of ~/.cache (read once, at library import)."""
    import tempfile

    if "HF_HOME" not in os.environ:
        import atexit
        import shutil

        os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="medcot-tests-hf-home-")
        atexit.register(shutil.rmtree, os.environ["HF_HOME"], True)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


_isolate_hf_home()


# --- integrations (lm-eval, lighteval, TRL, rewards): rows of a build and a tiny offline model ---
def built_rows(build, config: str = "default", split: str = "test") -> list[dict]:
    """Rows of one config and split of a ``medcot build`` folder (``export.BuildResult``), in file order."""
    import pyarrow.parquet as pq

    return [row for path in sorted((build.out_dir / "data" / config).glob(f"{split}-*.parquet"))
            for row in pq.read_table(path).to_pylist()]


@pytest.fixture(scope="session")
def tiny_model(dummy_build, tmp_path_factory):
    """A random 2-layer Qwen2 + a tokenizer trained on the dummy build (tests/tiny_lm.py); needs torch."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_lm import build_tiny_lm, dataset_texts

    return build_tiny_lm(tmp_path_factory.mktemp("tiny_lm"), dataset_texts(dummy_build.out_dir))
