"""Packaging facts checked on the checkout (the built wheel itself is checked by .ci/check_installed_product)."""

from __future__ import annotations

import re

import pytest

import medcot
from medcot import export

tomllib = pytest.importorskip("tomllib")


def _pyproject(repo_root):
    return tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_single_sourced(repo_root):
    project = _pyproject(repo_root)
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "medcot.__version__"}
    changelog = (repo_root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(medcot.__version__)}\b", changelog, flags=re.MULTILINE)


def test_long_description_has_only_absolute_links(repo_root):
    project = _pyproject(repo_root)
    text = (repo_root / project["project"]["readme"]).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", text) + re.findall(r"<(\w+:[^>]+)>", text)
    assert targets, "expected at least one link"
    assert [t for t in targets if not re.match(r"https?://", t)] == []


def test_the_bundled_dummy_release_is_the_one_canonical_copy(repo_root):
    # medcot/dummy_data (package data) is a link to the top-level dummy_data/, never a second copy
    assert export.default_data_dir().resolve() == (repo_root / "dummy_data").resolve()
    assert (repo_root / "medcot" / "dummy_data").is_symlink()
    data = _pyproject(repo_root)["tool"]["setuptools"]["package-data"]["medcot"]
    assert "dummy_data/*" in data and "metric_space/*" in data


def test_sdist_manifest_prunes_the_tests(repo_root):
    lines = (repo_root / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    assert "prune tests" in lines
