"""Where medcot writes: never over its input, never a report inside an input folder.

- :func:`check_not_input` refuses an output that is one of the inputs (``medcot score X --output X``
  would truncate X before reading it), hard links and symlinks included.
- :func:`check_report_location` refuses a rejects report inside an input folder: the next run
  would read it back as data. :func:`default_report_path` picks a safe default.
- :func:`is_rejects_report` recognises a medcot rejects report by its first line, so a folder walk
  skips one left there by an older version or by hand.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> (d / "a.jsonl").write_text("{}\\n") and None
>>> check_not_input(d / "a.jsonl", [d / "a.jsonl"], option="--output")  # doctest: +ELLIPSIS
Traceback (most recent call last):
medcot.errors.InputError: --output ...a.jsonl: is the input file ...a.jsonl; write the output elsewhere (it would destroy the input)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Union

from medcot.errors import InputError

PathLike = Union[str, "os.PathLike[str]"]

# The keys of one line of a rejects report (medcot.ingest.Reject.to_dict()).
REJECT_KEYS = frozenset({"file", "line", "field", "reason", "raw"})
_FIRST_LINE_BYTES = 1 << 16


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def check_not_input(output: PathLike, inputs: Iterable[PathLike], *, option: str) -> None:
    """Refuse ``output`` when it is (or links to) one of the input files.

    Raises:
        InputError: naming the option and both paths.
    """
    out = Path(output)
    for item in inputs:
        src = Path(item)
        if src.is_file() and _same_file(out, src):
            raise InputError(f"{option} {out}: is the input file {src}; write the output elsewhere (it would destroy the input)")


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_report_location(report: PathLike, inputs: Iterable[PathLike], *, option: str = "--rejects") -> None:
    """Refuse a report that is an input file or lies inside an input folder.

    Raises:
        InputError: naming the option, the report and the input.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_report_location(d / "rejects.jsonl", [d])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    medcot.errors.InputError: --rejects ...rejects.jsonl: inside the input folder ...; the next run would read the report as data — write it elsewhere
    """
    out = Path(report)
    check_not_input(out, inputs, option=option)
    for item in inputs:
        src = Path(item)
        if src.is_dir() and _inside(out, src):
            raise InputError(f"{option} {out}: inside the input folder {src}; the next run would read the report "
                             "as data — write it elsewhere")


def default_report_path(inputs: Iterable[PathLike], *, name: str = "rejects.jsonl") -> Path:
    """``rejects.jsonl`` in the current folder, or ``<folder>.rejects.jsonl`` beside the input folder
    that holds the current folder (so the default never lands inside an input folder).

    >>> import os, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "release"; d.mkdir()
    >>> default_report_path([d / "nope"]).name
    'rejects.jsonl'
    >>> old = os.getcwd(); os.chdir(d)
    >>> default_report_path([d]) == d.parent / "release.rejects.jsonl"
    True
    >>> os.chdir(old)
    """
    here = Path(name)
    for item in inputs:
        src = Path(item)
        if src.is_dir() and _inside(here, src):
            folder = src.resolve()
            return folder.parent / f"{folder.name}.{name}"
    return here


def is_rejects_report(path: PathLike) -> bool:
    """Whether ``path`` is a JSON Lines rejects report written by medcot (judged by its first line).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.jsonl")
    >>> _ = open(p, "w").write('{"file": "a.csv", "line": 2, "field": "cot", "reason": "empty", "raw": ""}\\n')
    >>> is_rejects_report(p)
    True
    """
    p = Path(path)
    if not p.name.lower().endswith((".jsonl", ".ndjson")):
        return False
    try:
        with open(p, "rb") as f:
            first = f.readline(_FIRST_LINE_BYTES).strip()
        obj = json.loads(first.decode("utf-8-sig")) if first.startswith(b"{") else None
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and set(obj) == REJECT_KEYS
