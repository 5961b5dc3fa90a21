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
