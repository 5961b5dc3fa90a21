"""The metric Space folder that `medcot push-metric` assembles (no network; uploads: test_hub_roundtrip.py)."""

from __future__ import annotations

import pytest
from evaluate.loading import get_imports

from medcot import space
from medcot.cli import main
from medcot.errors import InputError


def _library_imports(path):
    return {(name, spec) for kind, name, spec, _ in get_imports(str(path)) if kind == "library" and name == "medcot"}


def test_repo_module_points_evaluate_at_the_distribution(repo_root):
    # evaluate's own import parser reads the `# From:` spec on every medcot import
    assert _library_imports(repo_root / "metric" / "medcot_rubric" / "medcot_rubric.py") == {("medcot", space.DIST_NAME)}


def test_repo_requirements_is_the_generated_file(repo_root):
    text = (repo_root / "metric" / "medcot_rubric" / "requirements.txt").read_text(encoding="utf-8")
    assert text == space.requirements_text(space.DIST_NAME)


@pytest.mark.parametrize("spec", [None, "medcot-verified @ git+https://example.org/acme/medcot-verified@v0.2.0"])
def test_assembled_space(tmp_path, spec):
    files = space.assemble_space(tmp_path / "s", repo_id="acme/medcot_rubric", package_spec=spec)
    assert files == ["README.md", "app.py", "medcot_rubric.py", "requirements.txt"]
    want = spec or space.default_package_spec()
    assert _library_imports(tmp_path / "s" / "medcot_rubric.py") == {("medcot", want)}
    assert (tmp_path / "s" / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1] == want
    card = (tmp_path / "s" / "README.md").read_text(encoding="utf-8")
    assert "ORG/medcot_rubric" not in card and 'evaluate.load("acme/medcot_rubric")' in card
    assert f'pip install "{want}"' in card
    compile((tmp_path / "s" / "app.py").read_text(encoding="utf-8"), "app.py", "exec")


def test_another_space_name_renames_the_module(tmp_path):
    files = space.assemble_space(tmp_path / "s", repo_id="acme/cot_rubric")
    assert "cot_rubric.py" in files
    assert 'MODULE_FILE = "cot_rubric.py"' in (tmp_path / "s" / "app.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("./medcot-0.1.0-py3-none-any.whl", "not a pip requirement"),
        ("medcot==0.2.0", "not the distribution"),
        ("medcot-verified @ file:///tmp/medcot.whl", "not a remote https URL"),
        ("medcot-verified\nevil-package", "line break"),
    ],
)
def test_bad_package_specs(spec, message):
    with pytest.raises(InputError, match=message):
        space.check_package_spec(spec)


def test_cli_assembles_and_refuses_clearly(tmp_path, capsys):
    assert main(["push-metric", "--repo", "acme/medcot_rubric", "--out", str(tmp_path / "s")]) == 0
    assert "assembled 4 files" in capsys.readouterr().out
    assert main(["push-metric", "--repo", "acme/medcot_rubric", "--out", str(tmp_path / "s")]) == 2  # not empty
    assert main(["push-metric", "--repo", "acme/medcot-rubric", "--out", str(tmp_path / "t")]) == 2  # not an identifier
    err = capsys.readouterr().err
    assert "not empty" in err and "Python identifier" in err and "Traceback" not in err
