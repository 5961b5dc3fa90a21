"""Recognising the bundled synthetic dummy release by its content, wherever its files were copied.

A build is marked synthetic when any of its records is one of the hand-written records of the
bundled ``dummy_data/``. The test is on the data, not on the folder it was read from: a copy of
the files, a renamed file or the same rows converted to another format are still recognised. Each
record's question is reduced to a short fingerprint (SHA-256 of its NFKC form without whitespace);
``medcot/data/synthetic_questions.sha256`` lists the fingerprints of the bundled records, one a line,
and the test suite checks that it matches ``dummy_data/``. Regenerate it after editing the dummy
release with ``python -m medcot.synthetic``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FINGERPRINT_FILE = Path(__file__).resolve().parent / "data" / "synthetic_questions.sha256"
_SPACE_RE = re.compile(r"\s+")


def question_fingerprint(question: str) -> str:
    """The fingerprint of one question: 16 hex digits, blind to width forms and whitespace.

    Args:
        question: A record's question stem.

    Returns:
        The first 16 hex digits of the SHA-256 of the normalised text.

    >>> question_fingerprint("男，60岁。 胸痛") == question_fingerprint("男,60岁。胸痛")
    True
    >>> len(question_fingerprint("胸痛"))
    16
    """
    text = _SPACE_RE.sub("", unicodedata.normalize("NFKC", question))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def bundled_fingerprints() -> frozenset[str]:
    """Fingerprints of the bundled synthetic records (read once from the package data).

    >>> len(bundled_fingerprints()) > 0
    True
    """
    lines = FINGERPRINT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def count_synthetic(records: Iterable[Mapping[str, Any]]) -> int:
    """How many records are bundled synthetic ones.

    Args:
        records: Canonical records (only ``question`` is read).

    Returns:
        The number of records whose question fingerprint is a bundled one.

    >>> count_synthetic([{"question": "一个真实考试中的题目"}])
    0
    """
    known = bundled_fingerprints()
    return sum(question_fingerprint(str(r.get("question") or "")) in known for r in records)


def fingerprints_of_release(source: str | Path) -> list[str]:
    """Sorted, distinct fingerprints of the records ingested from ``source``.

    Args:
        source: A raw release file or folder.

    Returns:
        The fingerprints, sorted.
    """
    from medcot.ingest import ingest

    result = ingest(str(source))
    return sorted({question_fingerprint(r["question"]) for r in result.records()})


def write_fingerprint_file(source: str | Path, path: str | Path = FINGERPRINT_FILE) -> int:
    """Rewrite the fingerprint file from the records of ``source``; returns how many were written."""
    prints = fingerprints_of_release(source)
    header = "# Question fingerprints of the bundled synthetic dummy_data/ (medcot.synthetic); regenerate with python -m medcot.synthetic\n"
    Path(path).write_text(header + "".join(f"{p}\n" for p in prints), encoding="utf-8")
    return len(prints)


if __name__ == "__main__":
    from medcot.export import default_data_dir

    logging.basicConfig(level=logging.INFO)
    n = write_fingerprint_file(default_data_dir())
    logger.info("wrote %d fingerprints to %s", n, FINGERPRINT_FILE)
