"""How common each character bigram is in real exam explanations: the scorer's notion of *specific*.

A bigram that occurs in many explanations whatever their topic ("本题", "治疗", "患者", "注意")
says nothing about *this* question; one that occurs in few ("胆总", "壶腹") does. The table is
the document frequency of every bigram over a corpus of real explanations, questions and options
(for the built-in table: the CMExam pool rows, Apache-2.0, fitted by ``validation/fit_scorer.py``;
never the measurement sample). Stored as ``.npz`` (two arrays, no pickle).

Bigrams are packed as in the scorer: two consecutive UTF-16 code units in one uint32, taken
from text normalised by :func:`medcot.textsim.char_normalize` (no punctuation, lower case).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from medcot.errors import InputError
from medcot.textsim import char_normalize

logger = logging.getLogger(__name__)

__all__ = ["Vocabulary", "bigram_seq", "load_builtin_vocabulary", "members"]

BUILTIN = Path(__file__).with_name("model") / "vocab-v1.npz"


def bigram_seq(s: str) -> np.ndarray:
    """The bigrams of ``s`` in text order (packed into uint32; repeats kept).

    >>> len(bigram_seq("肝硬化肝")), len(bigram_seq("肝"))
    (3, 0)
    """
    if len(s) < 2:
        return np.empty(0, dtype=np.uint32)
    u = np.frombuffer(s.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    return (u[:-1].astype(np.uint32) << 16) | u[1:]


def members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in the sorted array ``sorted_set``.

    >>> members(np.array([3, 5, 9]), np.array([1, 3, 9])).tolist()
    [True, False, True]
    """
    if not len(sorted_set) or not len(values):
        return np.zeros(len(values), dtype=bool)
    pos = sorted_set.searchsorted(values)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == values


@dataclass(frozen=True)
class Vocabulary:
    """Document frequencies of character bigrams.

    Args:
        keys: sorted distinct packed bigrams.
        df: the number of documents each key occurs in (same length as ``keys``).
        n_docs: the number of documents counted.
    """

    keys: np.ndarray
    df: np.ndarray
    n_docs: int

    @classmethod
    def from_texts(cls, docs: Iterable[str], *, min_df: int = 1) -> Vocabulary:
        """Count the documents each bigram occurs in.

        Args:
            docs: the documents (raw text; normalised here).
            min_df: bigrams seen in fewer documents are left out (a smaller table).

        Returns:
            The :class:`Vocabulary`.

        >>> v = Vocabulary.from_texts(["肝硬化", "肝硬变", "胆囊"])
        >>> v.n_docs, v.frequency(bigram_seq("肝硬胆囊")).tolist()
        (3, [2, 0, 1])
        """
        parts = []
        n = 0
        for doc in docs:
            n += 1
            b = bigram_seq(char_normalize(doc))
            if len(b):
                parts.append(np.unique(b))
        if not parts:
            return cls(np.empty(0, np.uint32), np.empty(0, np.uint32), n)
        keys, counts = np.unique(np.concatenate(parts), return_counts=True)
        keep = counts >= min_df
        return cls(keys[keep].astype(np.uint32), counts[keep].astype(np.uint32), n)

    def frequency(self, bigrams: np.ndarray) -> np.ndarray:
        """Document frequency of each packed bigram (0 when unseen)."""
        if not len(self.keys) or not len(bigrams):
            return np.zeros(len(bigrams), dtype=np.uint32)
        pos = self.keys.searchsorted(bigrams)
        pos[pos == len(self.keys)] = 0
        hit = self.keys[pos] == bigrams
        return np.where(hit, self.df[pos], 0).astype(np.uint32)

    def save(self, path: str | os.PathLike) -> None:
        """Write the table as a compressed ``.npz`` (no pickled objects)."""
        np.savez_compressed(
            path, keys=self.keys, df=self.df, n_docs=np.array([self.n_docs], np.int64)
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a table written by :meth:`save`.

        Raises:
            InputError: the file is missing or is not such a table.
        """
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                keys, df, n = z["keys"], z["df"], int(z["n_docs"][0])
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{p}: not a bigram vocabulary (.npz with keys, df, n_docs): {exc}"
            ) from None
        if keys.shape != df.shape or keys.dtype != np.uint32:
            raise InputError(f"{p}: keys and df must be uint32 arrays of one length")
        return cls(keys, df.astype(np.uint32), n)


@lru_cache(maxsize=1)
def load_builtin_vocabulary() -> Vocabulary:
    """The table shipped with the package (CMExam pool rows; see the module docstring)."""
    return Vocabulary.load(BUILTIN)
