"""The CLI's one error boundary (medcot.cli.main): usage errors, bad input, OS errors, bugs — never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medcot import cli
from medcot.cli import main

USAGE_ERRORS = [
    (["build"], "Missing option '--out'"),
    (["score", "x.jsonl", "--bootstrap", "-1", "--output", "y.jsonl"], "Invalid value for '--bootstrap'"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["score"], "Missing argument"),
    (["validate", "x.jsonl", "--no-such-option"], "No such option: --no-such-option"),
    (["agreement", "a.jsonl", "b.jsonl", "--bootstrap", "many"], "Invalid value for '--bootstrap'"),
]


@pytest.mark.parametrize("argv,message", USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_keep_clicks_message_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Usage: medcot" in err  # Click's usage line is kept
    assert "Traceback" not in err


def test_usage_error_in_a_real_process_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "medcot.cli", "score", str(tmp_path / "p.jsonl")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Missing option '--output'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "score" in capsys.readouterr().out


def test_os_error_is_a_one_line_input_error(monkeypatch, capsys):
    def boom(**_kw):
        raise PermissionError(13, "Permission denied", "/root/out.jsonl")

    monkeypatch.setattr(cli, "app", boom)
    assert main(["anything"]) == 2
    assert capsys.readouterr().err.strip() == "error: /root/out.jsonl: Permission denied"


def test_a_bug_is_reported_in_one_line_with_exit_1(monkeypatch, capsys):
    def boom(**_kw):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.delenv("MEDCOT_DEBUG", raising=False)
    assert main(["anything"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error: ZeroDivisionError: division by zero")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    monkeypatch.setenv("MEDCOT_DEBUG", "1")  # developers still get the traceback
    with pytest.raises(ZeroDivisionError):
        main(["anything"])
