"""Medical lexicon: the built-in curated term lists (``medcot/data/*.txt``) plus user lexicon files.

Built-in files (written for this project, one term per line, ``#`` comments):

- ``disease.txt``, ``symptom.txt``, ``anatomy.txt``, ``drug.txt``, ``exam.txt``, ``tcm.txt`` —
  medical terms by category;
- ``cue.txt`` — clinical-reasoning cues as ``term<TAB>subcategory`` (basis, differential,
  management, safety, prognosis);
- ``vague.txt`` — vague, de-terming expressions ("某种情况", "那个病").

A user lexicon has one term per line, optionally followed by a tab and a frequency (THUOCL's
``词\\t频次``) or a category name. User terms count as medical terms (category ``user``, or the
category given). Terms shorter than two characters are skipped: single characters ("肝", "舌")
would match inside almost every word.

Matching uses one Aho-Corasick automaton per lexicon (``ahocorasick_rs``, the Rust ``aho-corasick``
crate), built once and cached; ``find`` returns the leftmost-longest, non-overlapping matches from
left to right. (pyahocorasick's ``iter_long``, used before, misses some of those matches:
WojciechMula/pyahocorasick#133, #185; it skipped a term in 40 of 33,973 synthetic benchmark and
real CMExam texts.)
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import ahocorasick_rs

from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "MEDICAL_CATEGORIES",
    "Lexicon",
    "Match",
    "load_builtin",
    "read_lexicon_file",
]

MEDICAL_CATEGORIES: tuple[str, ...] = (
    "disease",
    "symptom",
    "anatomy",
    "drug",
    "exam",
    "tcm",
)
_BUILTIN_FILES: tuple[str, ...] = (*MEDICAL_CATEGORIES, "cue", "vague")
MIN_TERM_LEN = 2


class Match(NamedTuple):
    """One lexicon hit: ``text[start:end] == term`` (a tuple: cheap to create on the hot path)."""

    start: int
    end: int
    term: str
    category: str


def _norm_term(term: str) -> str:
    # Full-width letters/digits in a lexicon should match ASCII in text and vice versa; text is
    # folded the same way in Lexicon.find (NFKC keeps the length of CJK text unchanged).
    return unicodedata.normalize("NFKC", term).strip().lower()


def read_lexicon_file(
    path: str | os.PathLike, *, default_category: str = "user"
) -> list[tuple[str, str]]:
    """Read a lexicon file: one term per line, optional ``\\t``-separated frequency or category.

    Blank lines and lines starting with ``#`` are skipped, as are terms shorter than two characters.
    A numeric second column (a frequency, as in THUOCL) keeps ``default_category``; a non-numeric
    one is the term's category.

    Args:
        path: the file (UTF-8, optional BOM).
        default_category: category for terms without one.

    Returns:
        ``[(term, category), ...]`` in file order (duplicates kept; :class:`Lexicon` dedups).

    Raises:
        InputError: the file is missing, not UTF-8, or has no terms.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
    ...     _ = f.write("肝硬化\\t1024\\n# comment\\n肾病综合征\\tdisease\\n")
    >>> read_lexicon_file(f.name)
    [('肝硬化', 'user'), ('肾病综合征', 'disease')]
    >>> os.unlink(f.name)
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{p}: cannot read lexicon file ({exc.strerror or exc}); expected a UTF-8 text file"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{p}: byte {exc.start}: lexicon is not UTF-8; expected one term per line in UTF-8"
        ) from None
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        term = _norm_term(parts[0])
        if len(term) < MIN_TERM_LEN:
            continue
        cat = default_category
        if len(parts) > 1:
            second = parts[1].strip()
            if second and not second.replace(".", "", 1).isdigit():
                cat = second
        out.append((term, cat))
    if not out:
        raise InputError(
            f"{p}: lexicon has no terms; expected one term (>= 2 characters) per line"
        )
    return out


@lru_cache(maxsize=1)
def load_builtin() -> Lexicon:
    """The built-in lexicon (cached; the automaton is built once per process).

    Returns:
        A :class:`Lexicon` over ``medcot/data/*.txt``.

    >>> lex = load_builtin()
    >>> lex.categories["肝硬化"]
    'disease'
    """
    entries: list[tuple[str, str]] = []
    base = resources.files("medcot") / "data"
    for name in _BUILTIN_FILES:
        with resources.as_file(base / f"{name}.txt") as fp:
            if name == "cue":
                entries += [
                    (t, f"cue:{c}" if c != "cue" else "cue")
                    for t, c in read_lexicon_file(fp, default_category="cue")
                ]
            else:
                entries += read_lexicon_file(fp, default_category=name)
    return Lexicon(entries)


@dataclass
class Lexicon:
    """A set of terms with categories, matched with a cached Aho-Corasick automaton.

    Later entries do not override earlier ones, so built-in categories win over a user file's.

    >>> lex = Lexicon([("肝硬化", "disease"), ("肝硬化腹水", "disease"), ("某种情况", "vague")])
    >>> [(m.term, m.start) for m in lex.find("肝硬化腹水是某种情况")]
    [('肝硬化腹水', 0), ('某种情况', 6)]
    """

    entries: Sequence[tuple[str, str]]
    categories: dict[str, str] = field(init=False)
    _automaton: ahocorasick_rs.AhoCorasick | None = field(
        init=False, default=None, repr=False
    )

    def __post_init__(self) -> None:
        cats: dict[str, str] = {}
        for term, cat in self.entries:
            t = _norm_term(term)
            if len(t) >= MIN_TERM_LEN and t not in cats:
                cats[t] = cat
        self.categories = cats
        self.entries = tuple(cats.items())

    @classmethod
    def from_files(cls, *paths: str | os.PathLike, builtin: bool = True) -> Lexicon:
        """The built-in lexicon (unless ``builtin=False``) plus user lexicon files.

        Args:
            *paths: user lexicon files (see :func:`read_lexicon_file`).
            builtin: include ``medcot/data``.

        Returns:
            A new :class:`Lexicon`.

        >>> Lexicon.from_files().categories["阿司匹林"]
        'drug'
        """
        entries: list[tuple[str, str]] = list(load_builtin().entries) if builtin else []
        for p in paths:
            entries += read_lexicon_file(p)
        return cls(entries)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and _norm_term(term) in self.categories

    def terms(self, category: str | None = None) -> list[str]:
        """Terms of one category (prefix match, so ``"cue"`` covers ``"cue:basis"``), or all.

        >>> "鉴别诊断" in load_builtin().terms("cue")
        True
        """
        if category is None:
            return list(self.categories)
        return [
            t
            for t, c in self.categories.items()
            if c == category or c.startswith(category + ":")
        ]

    @property
    def automaton(self) -> ahocorasick_rs.AhoCorasick:
        """The Aho-Corasick automaton over the terms (built on first use); its pattern ``i`` is
        ``entries[i]``."""
        if self._automaton is None:
            self._automaton = ahocorasick_rs.AhoCorasick(
                [t for t, _c in self.entries],
                matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
            )
        return self._automaton

    def find(self, text: str, *, normalized: bool = False) -> list[Match]:
        """Longest non-overlapping matches of lexicon terms in ``text``, left to right.

        ``text`` is NFKC-folded and lower-cased first (same length for CJK text, so offsets
        refer to the folded text).

        Args:
            text: the text to search.
            normalized: ``text`` is already NFKC-folded (skips one normalisation pass).

        Returns:
            A list of :class:`Match`.
        """
        return [Match._make(t) for t in self.find_raw(text, normalized=normalized)]

    def match_indexes(
        self, text: str, *, normalized: bool = False
    ) -> list[tuple[int, int, int]]:
        """The automaton's own hits: ``[(entry_index, start, end), ...]`` (``entries[entry_index]``
        is the ``(term, category)``; ``end`` exclusive), leftmost-longest, non-overlapping. Built in
        Rust: no Python work per match (the scorer's hot path).

        >>> lex = load_builtin()
        >>> [(lex.entries[i], s, e) for i, s, e in lex.match_indexes("肝硬化")]
        [(('肝硬化', 'disease'), 0, 3)]
        """
        if not text or not self.entries:
            return []
        folded = (text if normalized else unicodedata.normalize("NFKC", text)).lower()
        return self.automaton.find_matches_as_indexes(folded)

    def find_raw(
        self, text: str, *, normalized: bool = False
    ) -> list[tuple[int, int, str, str]]:
        """:meth:`find` as plain ``(start, end, term, category)`` tuples.

        >>> load_builtin().find_raw("肝硬化")
        [(0, 3, '肝硬化', 'disease')]
        """
        entries = self.entries
        return [
            (s, e, *entries[i])
            for i, s, e in self.match_indexes(text, normalized=normalized)
        ]

    def count(self, text: str) -> Counter:
        """Count matches per category.

        >>> load_builtin().count("患者肝硬化，首选某种药")["disease"]
        1
        """
        return Counter(m.category for m in self.find(text))

    def coverage(
        self, text: str, *, categories: Iterable[str] = MEDICAL_CATEGORIES
    ) -> float:
        """Fraction of ``text``'s non-space characters covered by terms of ``categories``.

        A category ``c`` also selects ``c:*`` sub-categories; user-file terms (category "user")
        are always counted as medical.

        >>> round(load_builtin().coverage("急性胰腺炎首选禁食"), 2)
        0.56
        """
        cats = set(categories) | {"user"}
        n = sum(1 for ch in text if not ch.isspace())
        if not n:
            return 0.0
        covered = sum(
            m.end - m.start
            for m in self.find(text)
            if m.category in cats or m.category.split(":", 1)[0] in cats
        )
        return covered / n
