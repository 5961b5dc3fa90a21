"""The offline, deterministic five-dimension rubric scorer.

Each dimension's 1-5 score is ``1 + 4 * s`` where ``s`` in [0, 1] is a weighted mean of explainable
signals (all returned in :attr:`RubricResult.signals`, the input of a calibration), followed by caps
that stop gaming. The overall score is the plain mean of the five dimensions.

Signals (reference = the expert CoT, optional; question / options / gold answers, optional):

- **medical_correctness** — the extracted final answer vs the gold answer (dominant; partial overlap
  for multi-answer questions); when gold is unknown, agreement with the reference's own verdict;
  relevance to *this* question (stem and option text reused); reference ROUGE-L when given.
- **reasoning_structure** — number of steps (sentences), distinct connectives, option-by-option
  analysis, an explicit conclusion, repetition, and discourse order (conclusion words opening the
  text, "本题考查" not first, numbered steps out of order, an explicit conclusion not at the end,
  local coherence = adjacent-sentence overlap above the all-pairs overlap, a first sentence that starts
  with an anaphor, and — with a reference — agreement of sentence order with the reference's).
- **information_sufficiency** — coverage of the stem's content (character bigrams), options discussed,
  length adequacy (vs the reference when given), reference recall, and a padding penalty (sentences
  that share nothing with the question, options or reference and carry no medical terms).
- **terminology_clarity** — medical-term density (built-in + user lexicon), vague words ("某种情况"),
  readable sentence length, unexplained ASCII abbreviations.
- **clinical_value** — clinical-reasoning cues (diagnostic basis, differential, management, safety,
  prognosis), distractors excluded, medical content — gated by relevance and answer correctness so
  stuffing cues into an irrelevant or wrong answer does not pay.

Anti-gaming caps: empty text -> all 1 ("empty"); text that is mostly a copy of the question; keyword
lists without prose (few function characters outside lexicon terms, or short separator-delimited
pieces that are lexicon terms, or terms run together) -> every dimension capped, correctness at
3.0 whatever letter the list ends with; very short text; prompt-injection text addressed to a
grader -> every dimension capped at 1.5. With gold answers known, a text without an extractable
final answer reports ``answer_correct=False``. The prediction is only ever data: it is matched by regular
expressions and counted, never executed or followed.
"""

from __future__ import annotations

import bisect
import collections
import gc
import itertools
import logging
import multiprocessing as mp
import operator
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz.distance import LCSseq

from medcot.answer import Extraction, check_answer, extract_answer, is_negative_question
from medcot.constants import RUBRIC_DIMENSIONS
from medcot.errors import InputError
from medcot.lexicon import Lexicon, load_builtin
from medcot.rubric.gate import Gate, keep_credit, load_builtin_gate
from medcot.rubric.injection import find_injection
from medcot.rubric.stance import VERDICT_MARKER, option_stance
from medcot.rubric.substance import Substance, analyse, function_spans
from medcot.rubric.vocab import Vocabulary, load_builtin_vocabulary
from medcot.rubric.vocab import members as _members
from medcot.textsim import char_normalize, nfkc_fold

logger = logging.getLogger(__name__)

__all__ = ["RubricResult", "RubricScorer", "score"]

SCORER_VERSION = "medcot-offline-2"
# Characters of a prediction or reference that are scored (the rest is cut, with a note).
MAX_CHARS = 20_000
_LATIN = re.compile(r"[a-z]")
_SENT_SPLIT = re.compile(r"[。!?;\n]+")
_WS = re.compile(r"\s")
# Separators of list items; a text whose pieces between them average at most _LIST_MEAN_CHUNK
# content characters gets the keyword-list check.
_LIST_SEPARATORS = (" ", ",", "、", "/", "\n", "\t")
_LIST_MEAN_CHUNK = 6
_CHUNK_SPLIT = re.compile(r"[\s,，、;；。!?！？:：]+")
_CONNECTIVES = re.compile(
    r"因为|由于|所以|因此|因而|从而|进而|故|首先|其次|再次|最后|综上|可见|提示|表明|说明|导致|引起|"
    r"但是|然而|而且|此外|另外|同时|如果|若|则|鉴于|考虑|即|而"
)
_CONCLUDING_START = re.compile(
    r"^\s*(?:故|因此|所以|综上|总之|由此可见|可见|因而|从而|综合以上)"
)
# A text cannot open with an anaphor or a continuation word ("此外", "其次"): it refers back.
_ANAPHOR_START = re.compile(
    r"^\s*(?:其[^他实中]|该|此[^时]|上述|这|它|后者|前者|二者|两者|以上|此外|另外|其次|再次|最后|同时|但|然而|而且|并且|又)"
)
_SEQUENCE_WORDS = {"首先": 1, "其次": 2, "再次": 3, "最后": 4}
_SEQUENCE = re.compile("|".join(_SEQUENCE_WORDS))
_INTRO = re.compile(r"本题(?:主要)?考查|本题考察|本题考点")
_CIRCLED = re.compile(r"[①-⑳]")
# Patterns start with a character class (not a lookbehind or "^|..."), so the regex engine can
# skip ahead to candidate characters instead of trying every position of a long text.
_NUMBERED = re.compile(
    r"(\d{1,2})\s*[.、．)）]"
)  # kept only at a sentence start (_numbered_steps)
_ASCII_ABBR = re.compile(r"([A-Z])(?<![A-Za-z][A-Z])([A-Za-z0-9]{1,7})(?![A-Za-z])")
# Characters that glue Chinese prose together; a bare keyword list has few of them.
_FUNCTION_CHARS = frozenset(
    "的是在和与及或了而由于为其可但则即等也都被把将从对向以之所因故此该有无不能会使"
)
_FUNCTION_RE = re.compile("[" + "".join(sorted(_FUNCTION_CHARS)) + "]")
# The same set as a table over all code points: counting them is one numpy look-up.
_FUNCTION_TABLE = np.zeros(0x110000, dtype=bool)
_FUNCTION_TABLE[[ord(c) for c in _FUNCTION_CHARS]] = True
_CUE_CATEGORIES = (
    "cue:basis",
    "cue:differential",
    "cue:management",
    "cue:safety",
    "cue:prognosis",
)
_MEDICAL = frozenset(("disease", "symptom", "anatomy", "drug", "exam", "tcm", "user"))
_ORDER_SENTS = (
    6  # sentences compared with the reference's for order agreement (n*m Jaccards)
)
_PAR_MIN_ITEMS = 4000  # below this, a process pool costs more than it saves


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else min(x, hi)


def _bigrams(s: str) -> np.ndarray:
    """Sorted distinct character bigrams of ``s``, each packed into one uint32.

    A bigram is two consecutive UTF-16 code units (a character outside the BMP is two units),
    packed in C by numpy, so no Python object is created per bigram. Only sizes and
    intersections are used (:func:`_n_common`), so the packing does not matter as long as
    every text goes through this function.

    >>> len(_bigrams("肝硬化肝硬")), len(_bigrams("肝"))
    (3, 0)
    """
    if len(s) < 2:
        return np.empty(0, dtype=np.uint32)
    u = np.frombuffer(s.encode("utf-16-le"), dtype=np.uint16)
    return _sorted_set((u[:-1].astype(np.uint32) << 16) | u[1:], in_place=True)


def _n_common(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted distinct arrays (``len(set(a) & set(b))``).

    Both inputs are sorted runs, so the stable sort (timsort) of their concatenation is a linear
    merge; a value present in both appears twice in a row.

    >>> _n_common(_bigrams("肝硬化"), _bigrams("硬化症"))
    1
    """
    c = np.concatenate((a, b))
    c.sort(kind="stable")
    return int(np.count_nonzero(c[1:] == c[:-1]))


def _codes(s: str) -> np.ndarray:
    """Code points of ``s`` as a uint32 array (UTF-32 keeps one item per code point)."""
    return np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)


def _sorted(values: np.ndarray) -> np.ndarray:
    """A sorted copy (``np.sort`` through the array methods: less per-call overhead)."""
    v = values.copy()
    v.sort()
    return v


def _sorted_set(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """Sorted distinct values (np.unique without its per-call overhead); ``in_place`` sorts
    ``values`` itself (for a temporary array)."""
    if in_place:
        values.sort()
        v = values
    else:
        v = _sorted(values)
    if len(v) < 2:
        return v
    keep = np.empty(len(v), dtype=bool)
    keep[0] = True
    np.not_equal(v[1:], v[:-1], out=keep[1:])
    return v[keep]


def _sentence_matrix(sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The character sets of all sentences as one 0/1 matrix (sentence x distinct character),
    and the sorted code points of its columns.

    Set sizes and all pairwise intersections are then row sums and one small matrix product
    (exact: small integers in float64), instead of one Python set per sentence.
    """
    if not sentences:
        return np.zeros((0, 0)), np.empty(0, dtype=np.uint32)
    codes = _codes("".join(sentences))
    # np.unique(..., return_inverse=True) does the same with more Python overhead per call.
    vocab = _sorted_set(codes)
    n_col = len(vocab)  # > 0: every sentence has content characters
    mat = np.zeros((len(sentences), n_col))
    # One flat index per character (row offset + column): cheaper than a (row, column) fancy
    # assignment.
    row_offset = np.arange(0, len(sentences) * n_col, n_col, dtype=np.intp).repeat(
        [len(c) for c in sentences]
    )
    mat.reshape(-1)[row_offset + vocab.searchsorted(codes)] = 1.0
    return mat, vocab


_SENT_BREAK = re.compile(r"[。!?;\n]")
# Non-content characters (as textsim's char_normalize removes them), except the sentence breaks
# (all of them non-content characters).
_NON_CONTENT_KEEP_BREAKS = re.compile(r"[^\w。!?;\n]+|_+")


@lru_cache(maxsize=4)
def _keep_table(drop: str) -> np.ndarray:
    """Boolean table over the BMP: which characters the single-character regex ``drop`` keeps.

    Built once per process and pattern (~20 ms) from the regex itself, so table and regex agree.
    """
    bmp = "".join(map(chr, range(0x10000)))
    marked = re.sub(drop, "\x00", bmp)
    cps = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cps != 0  # U+0000 itself is never kept


_DROP_KEEP_BREAKS = r"[^\w。!?;\n]|_"
_DROP_KEEP_NL = r"[^\w\n]|_"


def _clean(low: str, drop: str, regex: re.Pattern) -> str:
    """``regex.sub("", low)`` (``regex`` removes runs of what ``drop`` matches), by a table
    look-up per character in numpy (~4x faster than the regex scan on Chinese text); the regex
    itself serves text outside the BMP.

    >>> _clean("a_b，。c", _DROP_KEEP_BREAKS, _NON_CONTENT_KEEP_BREAKS)
    'ab。c'
    """
    cps = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(cps) or cps.max() >= 0x10000:
        return regex.sub("", low)
    return cps[_keep_table(drop)[cps]].tobytes().decode("utf-32-le")


def _sentences(folded: str) -> tuple[list[str], list[str], list[int], str]:
    """Sentences of NFKC-folded text with at least 2 content characters: (their text, their
    content, their start offsets), and the content of the whole text.

    One lower-casing and one cleaning pass over the whole text instead of one per sentence:
    the sentence breaks survive the cleaning one for one, so the pieces between them line up
    with the raw sentences (``str.lower`` never creates or removes a break, and a break is
    neither cased nor case-ignorable, so lower-casing the whole text or each sentence gives
    the same characters).

    >>> _sentences("故选C。\\n甲 乙。;丙")
    (['故选C', '甲 乙'], ['故选c', '甲乙'], [0, 5], '故选c甲乙丙')
    """
    raw = _SENT_BREAK.split(folded)
    clean = _SENT_BREAK.split(
        _clean(folded.lower(), _DROP_KEEP_BREAKS, _NON_CONTENT_KEEP_BREAKS)
    )
    # Offsets and the keep-mask come from C-level map/accumulate/compress: a Python loop over
    # the ~20 pieces of a typical text costs more than everything else here.
    # start of piece i = the lengths of the pieces before it + one break after each
    starts = map(operator.add, itertools.accumulate(map(len, raw), initial=0), itertools.count())
    keep = [len(c) >= 2 for c in clean]
    return (
        list(itertools.compress(raw, keep)),
        list(itertools.compress(clean, keep)),
        list(itertools.compress(starts, keep)),
        "".join(clean),
    )



def _fold(text: str) -> str:
    return nfkc_fold(text or "")


@dataclass
class RubricResult:
    """The scores of one prediction, with the evidence and signals behind them.

    ``answer_correct`` is None only when the gold answer is unknown; with gold known, a text with
    no extractable final answer (``extracted_answer is None``) is ``False``.
    """

    scores: dict[str, float]
    overall: float
    extracted_answer: list[str] | None
    answer_correct: bool | None
    rouge_l: float | None
    evidence: dict[str, list[str]]
    signals: dict[str, float] = field(default_factory=dict)
    version: str = ""  # scorer + learned-model version (RubricScorer.version)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict.

        >>> RubricScorer().score("").to_dict()["overall"]
        1.0
        """
        return {
            "scores": dict(self.scores),
            "overall": self.overall,
            "extracted_answer": None
            if self.extracted_answer is None
            else list(self.extracted_answer),
            "answer_correct": self.answer_correct,
            "rouge_l": self.rouge_l,
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "signals": dict(self.signals),
            "version": self.version,
        }


# ---------------------------------------------------------------------------------------------
# Input coercion (loose forms go through medcot.options)
# ---------------------------------------------------------------------------------------------
def _canon_options(options: Any) -> tuple[tuple[str, str], ...]:
    if options is None or (
        isinstance(options, (str, list, tuple, dict)) and len(options) == 0
    ):
        return ()
    # type(o) is dict first: isinstance(o, Mapping) goes through the ABC machinery, which costs
    # more than the rest of this function for the usual list of plain dicts.
    if isinstance(options, (list, tuple)) and all(
        (type(o) is dict or isinstance(o, Mapping)) and "label" in o for o in options
    ):
        return tuple(
            (str(o["label"]).strip().upper(), str(o.get("text") or "")) for o in options
        )
    from medcot.options import parse_options

    return tuple((o["label"], o["text"]) for o in parse_options(options))


def _canon_answers(answers: Any, labels: Sequence[str]) -> tuple[str, ...] | None:
    if answers is None or (
        isinstance(answers, (str, list, tuple)) and len(answers) == 0
    ):
        return None
    if isinstance(answers, (list, tuple)) and all(
        isinstance(a, str) and len(a.strip()) == 1 for a in answers
    ):
        return tuple(sorted({a.strip().upper() for a in answers}))
    from medcot.options import parse_answer

    return tuple(parse_answer(answers, labels=list(labels) or None))


# ---------------------------------------------------------------------------------------------
# Cached per-context features (a reference or a question is often shared by many predictions)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    q_bigrams: np.ndarray  # question content bigrams (see _bigrams)
    qo_bigrams: np.ndarray  # question + options content bigrams
    qo_chars: np.ndarray  # question + options content characters (sorted code points)
    options: tuple  # per option: (label, normalized text)
    opt_bigrams: np.ndarray  # every option's distinct bigrams, option after option
    opt_index: np.ndarray  # the option (0-based) each of opt_bigrams belongs to
    opt_sizes: list  # number of distinct bigrams per option


# Non-content characters except a line break (the separator of _normalize_all).
_NON_CONTENT_KEEP_NL = re.compile(r"[^\w\n]+|_+")


def _normalize_all(texts: Sequence[str]) -> list[str]:
    """``[char_normalize(t) for t in texts]`` in one pass over the texts joined by line breaks.

    A line break changes nothing around it in NFKC or lower-casing (it never combines and is
    neither cased nor case-ignorable), and char_normalize removes it, so the joined text
    splits back into the same pieces. Texts that contain one are normalised one by one.

    >>> _normalize_all(["Ａ（肝）", "", "故 选"])
    ['a肝', '', '故选']
    """
    if any("\n" in t for t in texts):
        return [char_normalize(t) for t in texts]
    low = nfkc_fold("\n".join(texts)).lower()
    return _clean(low, _DROP_KEEP_NL, _NON_CONTENT_KEEP_NL).split("\n")


@lru_cache(maxsize=1024)
def _context(question: str, options: tuple) -> _Context:
    """Content bigrams and characters of a question and its options.

    The bigrams of all texts come from one pass over the normalised texts joined by line breaks
    (a break never survives normalisation, so it only marks where a text ends): each bigram is
    keyed by its text, and pairs that span a break are dropped.
    """
    texts = _normalize_all([question, *(t for _lab, t in options)])
    joined = "\n".join(texts)
    u = np.frombuffer(joined.encode("utf-16-le"), dtype=np.uint16)
    brk = u == 10
    within = ~(brk[:-1] | brk[1:])
    text_id = brk.cumsum()[:-1][within].astype(np.uint64)
    bigrams = ((u[:-1].astype(np.uint32) << 16) | u[1:])[within]
    keys = _sorted_set((text_id << 32) | bigrams, in_place=True)  # by text, then bigram
    key_text = (keys >> 32).astype(np.intp)
    key_bigram = (keys & 0xFFFFFFFF).astype(np.uint32)
    in_opt = key_text > 0
    opt_index = key_text[in_opt] - 1
    return _Context(
        q_bigrams=key_bigram[~in_opt],
        qo_bigrams=_sorted_set(key_bigram),
        qo_chars=_sorted(_codes(joined.replace("\n", ""))),
        options=tuple((lab, t) for (lab, _raw), t in zip(options, texts[1:])),
        opt_bigrams=key_bigram[in_opt],
        opt_index=opt_index,
        opt_sizes=np.bincount(opt_index, minlength=len(options)).tolist(),
    )


@lru_cache(maxsize=1024)
def _reference_features(reference: str) -> tuple:
    """(content chars, (code points, sentence index of each) of the first sentences, their
    character-set sizes, all characters as sorted code points) of a reference.

    Only the first ``_ORDER_SENTS`` sentences feed the order agreement. Cached per reference
    (a reference is usually scored against several predictions, one after the other).
    """
    # _sentences' content pieces without its raw sentences and offsets (not needed here).
    clean = _SENT_BREAK.split(
        _clean(_fold(reference).lower(), _DROP_KEEP_BREAKS, _NON_CONTENT_KEEP_BREAKS)
    )
    norm = "".join(clean)
    sb = [c for c in clean if len(c) >= 2][:_ORDER_SENTS]
    sent_ids = np.arange(len(sb), dtype=np.intp).repeat([len(c) for c in sb])
    sizes = [len(set(c)) for c in sb]
    return norm, (_codes("".join(sb)), sent_ids), sizes, _sorted(_codes(norm))


@lru_cache(maxsize=1024)
def _reference_labels(
    reference: str, question: str, options: tuple
) -> list[str] | None:
    return extract_answer(reference, options=options, question=question or None).labels


# ---------------------------------------------------------------------------------------------
# The scorer
# ---------------------------------------------------------------------------------------------
class RubricScorer:
    """Offline deterministic rubric scorer.

    Args:
        lexicon_paths: user lexicon files added to the built-in lexicon.
        calibration: optional object with ``.apply(signals) -> {dimension: score}``.
        gate: the learned real-vs-gaming model (:mod:`medcot.rubric.gate`): ``"builtin"``
            (default), a :class:`~medcot.rubric.gate.Gate`, or None for ungated heuristics.

    >>> s = RubricScorer()
    >>> r = s.score("上消化道出血表现为呕血还是黑便主要取决于出血量（C对），出血部位（B错）次要。故选C。",
    ...             question="上消化道出血表现为呕血或黑便取决于", answers=["C"],
    ...             options=[{"label": "B", "text": "出血部位"}, {"label": "C", "text": "出血量"}])
    >>> r.extracted_answer, r.answer_correct, r.scores["medical_correctness"] > 4
    (['C'], True, True)
    """

    def __init__(
        self,
        *,
        lexicon_paths: Sequence[str | os.PathLike] = (),
        calibration: Any = None,
        gate: Gate | None | str = "builtin",
    ) -> None:
        self.lexicon_paths = tuple(str(p) for p in lexicon_paths)
        self.lexicon: Lexicon = (
            Lexicon.from_files(*self.lexicon_paths)
            if self.lexicon_paths
            else load_builtin()
        )
        self.calibration = calibration
        self.vocab: Vocabulary = load_builtin_vocabulary()
        self.gate: Gate | None = load_builtin_gate() if gate == "builtin" else gate  # type: ignore[assignment]
        if self.gate is not None and not isinstance(self.gate, Gate):
            raise InputError(f"gate: expected a Gate, None or 'builtin', got {gate!r}")
        self.version = SCORER_VERSION + (f"+{self.gate.version}" if self.gate else "+ungated")
        # Prose function characters inside each lexicon term (looked up per match on the hot path).
        self._func_in_term = [_term_function_chars(t) for t, _c in self.lexicon.entries]
        if calibration is not None and not callable(
            getattr(calibration, "apply", None)
        ):
            raise InputError(
                "calibration: expected an object with .apply(signals) -> dict of scores"
            )

    # -- public ----------------------------------------------------------------------------
    def score(
        self,
        prediction: str | None,
        *,
        reference: str | None = None,
        question: str | None = None,
        options: Any = None,
        answers: Any = None,
    ) -> RubricResult:
        """Score one prediction. See the module docstring for the signals.

        Args:
            prediction: the chain of thought to score (untrusted text, treated as data).
            reference: the expert explanation, when available.
            question: the question stem.
            options: options in any form :func:`medcot.options.parse_options` accepts.
            answers: gold labels in any form :func:`medcot.options.parse_answer` accepts.

        Returns:
            A :class:`RubricResult`.
        """
        if prediction is not None and not isinstance(prediction, str):
            raise InputError(
                f"prediction: expected a string, got {type(prediction).__name__}"
            )
        opts = _canon_options(options)
        gold = _canon_answers(answers, [lab for lab, _ in opts])
        return self._score(
            prediction or "", reference or "", question or "", opts, gold
        )

    def score_many(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        processes: int | None = None,
        chunksize: int = 256,
        parallel_min: int = _PAR_MIN_ITEMS,
    ) -> list[RubricResult]:
        """Score many items (dicts with ``prediction`` and optional ``reference``, ``question``,
        ``options``, ``answers`` / ``answer``), in input order.

        Large batches (>= ``parallel_min`` items, default 4,000) use a process pool of ``processes``
        workers (default: the CPU count; "fork" start method only); results are identical to the
        serial path and come back in input order.

        Args:
            items: the items.
            processes: worker processes (1 = serial).
            chunksize: items per task sent to a worker.
            parallel_min: smallest batch worth a process pool.

        Returns:
            One :class:`RubricResult` per item.

        >>> [r.scores["medical_correctness"] for r in RubricScorer().score_many([{"prediction": ""}])]
        [1.0]
        """
        rows = list(_canon_rows(items))
        procs = processes if processes is not None else (os.cpu_count() or 1)
        # The results hold no reference cycles: cyclic GC passes over a heap that grows with
        # every result only cost time (~15% of a large batch), so they are paused here.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            if (
                procs > 1
                and len(rows) >= parallel_min
                and "fork" in mp.get_all_start_methods()
            ):
                return self._score_forked(rows, procs, chunksize)
            return [self._score(*r) for r in rows]
        finally:
            if gc_was_enabled:
                gc.enable()

    def _score_forked(
        self, rows: list[tuple], procs: int, chunksize: int
    ) -> list[RubricResult]:
        """Score ``rows`` in ``procs`` forked workers, in input order.

        The workers inherit the scorer (its lexicon automaton built once, here) and the rows
        through fork; only index ranges go to them and only results come back.
        """
        global _ROWS
        ranges = [
            (i, min(i + chunksize, len(rows))) for i in range(0, len(rows), chunksize)
        ]
        _ROWS = rows
        try:
            with self._forked_pool(procs) as pool:
                out: list[RubricResult] = []
                for part in pool.imap(_work_range, ranges):
                    out.extend(part)
                return out
        finally:
            _ROWS = None

    def _forked_pool(self, procs: int) -> Any:
        """A pool of ``procs`` forked workers that each hold this scorer.

        The scorer reaches the workers through fork (``initargs`` are not pickled by the fork
        start method), with its lexicon automaton and lookup tables built once, here, and
        shared copy-on-write; a worker the pool replaces gets it the same way.
        """
        _ = self.lexicon.automaton
        function_spans("")  # jieba's function words, read once here and shared by the workers
        _keep_table(_DROP_KEEP_BREAKS)
        _keep_table(_DROP_KEEP_NL)
        return mp.get_context("fork").Pool(
            procs, initializer=_init_forked_worker, initargs=(self,)
        )

    def iter_score(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        processes: int | None = None,
        chunksize: int = 128,
        max_pending: int = 4096,
        parallel_min: int = _PAR_MIN_ITEMS,
    ) -> Iterator[RubricResult]:
        """:meth:`score_many` as a stream: items are read lazily and results come back in input
        order while later items are still being read, with at most ``max_pending`` items in
        flight (memory stays bounded however long the input is).

        A stream that reaches ``parallel_min`` items is scored by one pool of ``processes``
        forked workers for its whole length; the caller's own work between results (reading,
        writing) overlaps with the scoring. Shorter streams are scored serially. Results are
        identical to :meth:`score_many`.

        Args:
            items: the items (see :meth:`score_many`).
            processes: worker processes (default: the CPU count; 1 = serial).
            chunksize: items per task sent to a worker.
            max_pending: items read but not yet returned, at most.
            parallel_min: items the stream must reach before a pool is started.

        Returns:
            An iterator of :class:`RubricResult`, one per item.

        >>> [r.extracted_answer for r in RubricScorer().iter_score([{"prediction": "故选B。"}])]
        [['B']]
        """
        if chunksize < 1 or max_pending < 1:
            raise InputError(
                f"chunksize and max_pending must be >= 1, got {chunksize} and {max_pending}"
            )
        rows = _canon_rows(items)
        head = list(itertools.islice(rows, parallel_min))
        procs = processes if processes is not None else (os.cpu_count() or 1)
        if (
            procs < 2
            or len(head) < parallel_min
            or max_pending < 2 * chunksize
            or "fork" not in mp.get_all_start_methods()
        ):
            yield from (self._score(*r) for r in itertools.chain(head, rows))
            return
        yield from self._iter_forked(
            itertools.chain(head, rows), procs, chunksize, max_pending // chunksize
        )

    def _iter_forked(
        self, rows: Iterator[tuple], procs: int, chunksize: int, window: int
    ) -> Iterator[RubricResult]:
        """Score ``rows`` in one pool of ``procs`` forked workers, at most ``window`` tasks of
        ``chunksize`` rows in flight; results in input order."""
        pending: collections.deque = collections.deque()
        pool = self._forked_pool(procs)
        try:
            while True:
                task = list(itertools.islice(rows, chunksize))
                if task:
                    pending.append(pool.apply_async(_work_rows, (task,)))
                if pending and (len(pending) >= window or not task):
                    yield from pending.popleft().get()
                if not task and not pending:
                    break
        finally:
            pool.terminate()
            pool.join()

    # -- internals ---------------------------------------------------------------------------
    def _term_like(self, chunk: str) -> bool:
        """Whether a separator-delimited chunk reads as a list item rather than a clause: a
        lexicon term, or a short chunk mostly made of one term ("缺血性脑卒中")."""
        if chunk in self.lexicon.categories:
            return True
        if len(chunk) > 8:
            return False
        hits = self.lexicon.match_indexes(chunk, normalized=True)
        return any(2 * (e - s) >= len(chunk) for _i, s, e in hits)

    def _score(
        self, pred: str, ref: str, question: str, opts: tuple, gold: tuple | None
    ) -> RubricResult:
        # Huge texts are scored on their head: the cost of a pair stays bounded (the reference
        # LCS is quadratic), and the evidence says so. Real explanations are ~150-900 characters.
        cut = [
            f"{name} scored on its first {MAX_CHARS:,} of {len(text):,} characters"
            for name, text in (("prediction", pred), ("reference", ref))
            if len(text) > MAX_CHARS
        ]
        if cut:
            pred, ref = pred[:MAX_CHARS], ref[:MAX_CHARS]
        res = self._score_text(pred, ref, question, opts, gold)
        if cut:
            for dim in RUBRIC_DIMENSIONS:
                res.evidence.setdefault(dim, []).extend(cut)
            res.signals["truncated_input"] = 1.0
        return res

    def _score_text(
        self, pred: str, ref: str, question: str, opts: tuple, gold: tuple | None
    ) -> RubricResult:
        folded = _fold(pred)
        sents, sent_norm, sent_start, pn = _sentences(folded)
        if not pn:
            return _all_ones("empty", gold, self.version)
        ev: dict[str, list[str]] = {d: [] for d in RUBRIC_DIMENSIONS}
        sig: dict[str, float] = {}
        ctx = _context(question, opts)
        has_q = len(ctx.q_bigrams) > 0
        has_opts = bool(opts)
        has_ref = bool(ref) and bool(_reference_features(ref)[0])
        # Which sentences are claims about this question: only they earn credit below.
        sub: Substance = analyse(
            sents,
            sent_norm,
            qo_bigrams=ctx.qo_bigrams,
            vocab=self.vocab,
            lexicon=self.lexicon,
            options=ctx.options,
            q_bigrams=ctx.q_bigrams,
            has_context=has_q or has_opts,
        )
        claim_mask = sub.claim_mask()
        claim_norm = "".join(itertools.compress(sent_norm, claim_mask))
        claim_raw = "\n".join(itertools.compress(sents, claim_mask))
        c_bi = _bigrams(claim_norm)

        n_sent = len(sents)
        # Sentence-level comparisons (coherence, padding, order) use character sets: set(str) is
        # built in C and is ~10x cheaper than bigrams; text-level coverage keeps bigrams.
        sent_mat, sent_vocab = _sentence_matrix(sent_norm)
        sent_sizes = sent_mat.sum(axis=1).astype(np.int64).tolist()
        p_bi = _bigrams(pn)
        n_chars = len(pn)

        # ---- answer ---------------------------------------------------------------------------
        ext: Extraction = extract_answer(
            folded, options=opts, question=question or None
        )
        chk = check_answer(ext.labels, list(gold) if gold else None)
        ref_labels = None
        ref_sent_keys = None
        ref_sent_sizes: list[int] = []
        ref_norm = ""
        ref_chars = None
        if has_ref:
            ref_norm, ref_sent_keys, ref_sent_sizes, ref_chars = _reference_features(
                ref
            )
            if not gold:  # the reference's verdict only matters when gold is unknown
                ref_labels = _reference_labels(ref, question, opts)
        if chk.correct is True:
            ans_part = 1.0
        elif chk.correct is False:
            ans_part = 0.35 * (chk.jaccard or 0.0)
        elif ext.labels is not None and ref_labels is not None and not gold:
            # No gold: agreement with the reference's verdict.
            rc = check_answer(ext.labels, ref_labels)
            ans_part = 1.0 if rc.correct else 0.35 * (rc.jaccard or 0.0)
            sig["ref_verdict_agree"] = float(bool(rc.correct))
        else:
            # No answer found: unknown, not wrong (a truncated but correct text is not an error).
            ans_part = 0.6
        sig["answer_found"] = float(ext.found)
        sig["answer_correct"] = -1.0 if chk.correct is None else float(chk.correct)
        sig["answer_jaccard"] = -1.0 if chk.jaccard is None else chk.jaccard
        sig["answer_part"] = ans_part

        # ---- relevance to this question ---------------------------------------------------------
        stem_rec = _n_common(ctx.q_bigrams, c_bi) / len(ctx.q_bigrams) if has_q else 0.0
        # Coverage for sufficiency counts every sentence that is not padding (restating the stem
        # and marking each option is part of a complete explanation); padding is penalised apart.
        kept = [lab not in ("off_topic", "generic", "duplicate") for lab in sub.labels]
        k_bi = _bigrams("".join(itertools.compress(sent_norm, kept)))
        stem_cov = _n_common(ctx.q_bigrams, k_bi) / len(ctx.q_bigrams) if has_q else 0.0
        # An option is discussed when its verdict is given or its text is used; content actually
        # tied to the option texts is counted apart (verdict letters alone do not prove relevance).
        opt_disc = opt_named = 0
        discussed: set[str] = set()
        opt_common = np.bincount(
            ctx.opt_index[_members(ctx.opt_bigrams, c_bi)], minlength=len(opts)
        ).tolist()
        # Verdicts count only inside claims ("A. 原发病 错误" with no reason discusses nothing).
        claim_verdicts = set("".join(m.group(1) for m in VERDICT_MARKER.finditer(claim_norm)))
        for (lab, otext), n_ob, n_common in zip(ctx.options, ctx.opt_sizes, opt_common):
            if otext and (otext in claim_norm or (n_ob and n_common / n_ob >= 0.6)):
                opt_named += 1
                opt_disc += 1
                discussed.add(lab)
            elif lab.lower() in claim_verdicts or (lab in ext.verdicts and sub.claims):
                opt_disc += 1
                discussed.add(lab)
        opt_frac = opt_disc / len(opts) if has_opts else _clip(len(ext.verdicts) / 4)
        opt_cov = (
            len({lab for lab, t in ctx.options if t and t in pn} | set(ext.verdicts)) / len(opts)
            if has_opts and sub.claims
            else opt_frac
        )
        opt_text_frac = opt_named / len(opts) if has_opts else 0.0
        # Relevance = is this text about THIS question: the stem counts most, option texts help.
        rel_parts = []
        if has_q:
            rel_parts += [_clip(stem_cov / 0.35)] * 2
        if has_opts:
            rel_parts.append(_clip(opt_text_frac / 0.6))
        rouge_f = None
        if has_ref:
            lcs = len(pn) if pn == ref_norm else LCSseq.similarity(pn, ref_norm)
            rp, rr = lcs / len(pn), lcs / len(ref_norm)
            rouge_f = 0.0 if lcs == 0 else 2 * rp * rr / (rp + rr)
            sig["rouge_l"], sig["rouge_l_recall"] = rouge_f, rr
            rel_parts.append(_clip(rouge_f / 0.4))
        relevance = sum(rel_parts) / len(rel_parts) if rel_parts else 1.0
        novelty = 1.0
        if has_q or has_opts:
            qo = ctx.qo_bigrams
            novelty = 1.0 - (_n_common(p_bi, qo) / len(p_bi) if len(p_bi) else 1.0)
        sig.update(
            stem_recall=stem_rec,
            options_discussed=opt_frac,
            option_text_frac=opt_text_frac,
            relevance=relevance,
            novelty=novelty,
        )

        # ---- lexicon ------------------------------------------------------------------------------
        # One pass over the automaton's raw (entry index, start, end) hits: building Match objects
        # or several filtered lists costs more than the matching itself.
        med_starts: list[int] = []
        med_terms: set[str] = set()
        vague_terms: list[str] = []
        cues: set[str] = set()
        med_chars = vague_chars = lex_chars = lex_func = 0
        func_in = self._func_in_term
        entries = self.lexicon.entries
        # Clinical and terminology credit counts only for terms used inside claims.
        hits = self.lexicon.match_indexes(folded, normalized=True)
        in_claim = [
            claim_mask[max(0, bisect.bisect_right(sent_start, st) - 1)] if sent_start else False
            for _i, st, _e in hits
        ]
        for (i, start, end), claimed in zip(hits, in_claim):
            t, c = entries[i]
            lex_chars += end - start
            lex_func += func_in[i]
            if c in _MEDICAL:
                med_starts.append(start)
                if claimed:
                    med_terms.add(t)
                    med_chars += len(t)
            elif c == "vague":
                vague_terms.append(t)
                vague_chars += len(t)
            elif claimed:
                cues.add(c)
        n_med = len(med_starts)
        non_space = len(folded) - len(_WS.findall(folded)) or 1
        term_cov = med_chars / non_space
        distinct_terms = len(med_terms)
        term_repeat = 1.0 - distinct_terms / n_med if n_med else 0.0
        vague_rate = vague_chars / non_space
        # Function characters are counted outside lexicon terms only: the 不/性/能 inside
        # "心功能不全" or "不稳定型心绞痛" glue nothing, and a list of such terms is still a list.
        free_chars = n_chars - lex_chars
        func_rate = (
            (_count_function_chars(pn) - lex_func) / free_chars
            if free_chars > 0
            else 0.0
        )
        prose = _clip(func_rate / 0.08)
        # A keyword list: most chunks between separators are a bare term or a tiny fragment.
        # TCM prose is comma-heavy ("发热，恶寒，无汗"), so a list also needs few function characters
        # (checked first: the chunk scan is only needed for text that is already suspicious).
        # Short pieces between separators in one or two "sentences" (or in very short lines) are
        # suspicious too, whatever the function characters (terms the lexicon lacks, like
        # "心功能不全", carry 能/不). TCM prose also has short comma pieces ("发热，恶寒，无汗") but
        # inside several full sentences, so it is not gated in here.
        list_like = 0.0
        pieces = n_sent + sum(map(folded.count, _LIST_SEPARATORS))
        if func_rate < 0.07 or (
            n_chars <= _LIST_MEAN_CHUNK * pieces
            and (n_sent <= 2 or n_chars <= 12 * n_sent)
        ):
            # The answer statement ("故选B") is neither a list item nor a clause: left out.
            chunks = [
                c
                for c in _CHUNK_SPLIT.split(folded.lower())
                if c and not (ext.found and ("选" in c or "答案" in c) and len(c) <= 8)
            ]
            if len(chunks) >= 6:
                # Chinese prose never puts spaces between words: space-separated tiny pieces are
                # list items even when the lexicon does not know them.
                spaced = 2 * folded.count(" ") >= len(chunks)
                list_like = sum(
                    1 for c in chunks if (spaced and len(c) <= 4) or self._term_like(c)
                ) / len(chunks)
        if func_rate < 0.07 and lex_chars >= 0.6 * n_chars:
            # Terms run together without separators ("高血压糖尿病冠心病...").
            list_like = max(list_like, lex_chars / n_chars)
        if list_like >= 0.6:
            prose = min(prose, 0.3)
        sig["list_like"] = list_like
        sig["latin_share"] = len(_LATIN.findall(pn)) / n_chars
        sig.update(
            term_coverage=term_cov,
            distinct_terms=float(distinct_terms),
            vague_count=float(len(vague_terms)),
            vague_rate=vague_rate,
            function_char_rate=func_rate,
            term_repeat=term_repeat,
            cue_categories=float(len(cues & set(_CUE_CATEGORIES))),
        )

        # ---- structure -------------------------------------------------------------------------------
        conn = set(_CONNECTIVES.findall(claim_raw))
        s_steps = _clip((sub.claims - 1) / 4)
        s_conn = _clip(len(conn) / 4)
        concl_sentence = None
        if (
            ext.method in ("conclusion", "option_text")
            and ext.position >= 0
            and sent_start
        ):
            concl_sentence = bisect.bisect_right(sent_start, ext.position) - 1
        s_concl = 1.0 if ext.found else 0.0
        # Repetition: duplicate sentences, or a low bigram type/token ratio (the same phrase over and
        # over); near-duplicate neighbouring sentences are added below with the coherence pass.
        dup = n_sent - len(set(sent_norm))
        type_token = len(p_bi) / (n_chars - 1) if n_chars > 1 else 1.0
        repetition = max(
            dup / n_sent if n_sent else 0.0, _clip((0.5 - type_token) / 0.3)
        )
        order_checks: dict[str, float] = {}
        if sents:
            order_checks["conclusion_not_first"] = (
                0.0 if _CONCLUDING_START.match(sents[0]) and n_sent > 1 else 1.0
            )
            order_checks["no_anaphor_first"] = (
                0.0 if _ANAPHOR_START.match(sents[0]) and n_sent > 1 else 1.0
            )
        # A match has no sentence break in it, so it lies inside one (kept) sentence.
        intro = _INTRO.search(folded)
        if intro:
            order_checks["intro_first"] = (
                1.0 if bisect.bisect_right(sent_start, intro.start()) == 1 else 0.0
            )
        enum = [ord(c) for c in _CIRCLED.findall(pred)] or [
            int(x) for x in _numbered_steps(folded)
        ]
        if len(enum) >= 2:
            order_checks["enumeration_in_order"] = (
                1.0 if all(a < b for a, b in itertools.pairwise(enum)) else 0.0
            )
        if concl_sentence is not None and n_sent >= 3:
            # An explicit "故选X" / "答案为X" closes the reasoning; in the middle it is out of place.
            order_checks["conclusion_last"] = (
                1.0 if concl_sentence >= n_sent - 1 else 0.0
            )
        seq = [_SEQUENCE_WORDS[m.group(0)] for m in _SEQUENCE.finditer(folded)]
        if len(seq) >= 2:
            order_checks["sequence_words_in_order"] = (
                1.0 if all(a <= b for a, b in itertools.pairwise(seq)) else 0.0
            )
        if n_sent >= 3:
            # Adjacent sentences vs sentences 2-3 apart: O(n), and shuffling erases the difference.
            adj, far = _coherence_jaccs(sent_mat[:25], sent_sizes[:25])
            coh = sum(adj) / len(adj) - sum(far) / len(far)
            near_dup = sum(1 for v in adj + far if v > 0.7) / len(adj)
            repetition = max(repetition, _clip(near_dup))
            sig["coherence"] = coh
            order_checks["coherence"] = _clip(0.5 + 8.0 * coh)
            if ref_norm == pn:
                order_checks["reference_order"] = 1.0
            elif len(ref_sent_sizes) >= 3:
                conc = _order_agreement(
                    sent_mat[:_ORDER_SENTS],
                    sent_vocab,
                    sent_sizes[:_ORDER_SENTS],
                    ref_sent_keys,
                    ref_sent_sizes,
                )
                if conc is not None:
                    order_checks["reference_order"] = conc
        # Definite order violations halve the order score each; coherence and reference order are graded.
        fails = sum(
            1
            for k, v in order_checks.items()
            if k not in ("coherence", "reference_order") and v < 0.5
        )
        s_order = 0.5**fails * (0.6 + 0.4 * order_checks.get("coherence", 0.6))
        if "reference_order" in order_checks:
            s_order *= 0.5 + 0.5 * order_checks["reference_order"]
        for k, v in order_checks.items():
            sig[f"order_{k}"] = v
        sig.update(
            sentences=float(n_sent),
            connectives=float(len(conn)),
            repetition=repetition,
            order=s_order,
        )

        # ---- sufficiency --------------------------------------------------------------------------------
        if has_ref:
            s_len = _clip(len(claim_norm) / max(20.0, 0.6 * len(ref_norm)))
        else:
            s_len = _clip(len("".join(itertools.compress(sent_norm, kept))) / 120.0)
        pad_sents = 0
        bounds = sent_start[1:] + [len(folded) + 1]
        # Distinct characters of each sentence also found in the question, options or reference.
        known = _members(sent_vocab, ctx.qo_chars)
        if ref_chars is not None:
            known |= _members(sent_vocab, ref_chars)
        known_counts = (sent_mat @ known).astype(np.int64).tolist()
        sizes = sent_sizes
        for i in range(n_sent):
            overlap = known_counts[i] / sizes[i] if sizes[i] else 0.0
            k = bisect.bisect_left(med_starts, sent_start[i])
            has_term = k < len(med_starts) and med_starts[k] < bounds[i]
            if overlap < 0.15 and not has_term:
                pad_sents += 1
        # Off-topic, generic and duplicated sentences are padding too (share of content characters).
        waste = (
            sub.fractions["off_topic"] + 0.5 * sub.fractions["generic"] + sub.fractions["duplicate"]
        )
        pad_frac = max(pad_sents / n_sent if n_sent else 0.0, waste)
        sig.update(
            length_adequacy=s_len, padding_fraction=pad_frac, chars=float(n_chars)
        )

        # ---- support: is the stated answer argued for? --------------------------------------------------
        # Against gold when known, else against the text's own answer (internal consistency).
        target = gold or (tuple(ext.labels) if ext.labels else None)
        s_claims = _clip(sub.claims / 3)
        contradiction = False
        if target and has_opts:
            st = option_stance(
                "\n".join(sent_norm),
                ctx.options,
                target,
                negative_question=is_negative_question(question),
            )
            has_text = any(len(t) >= 2 for lab, t in ctx.options if lab in target)
            gold_argued = bool(discussed & set(target)) or (not has_text and sub.claims > 0)
            n_dis = len(opts) - len(target)
            dis_cov = len(discussed - set(target)) / n_dis if n_dis > 0 else 1.0
            support = 0.5 * float(gold_argued) + 0.25 * dis_cov + 0.25 * s_claims
            contradiction = st.contradicts
            if contradiction:
                support *= 0.3
            sig.update(
                stance_gold_for=float(st.gold_for),
                stance_gold_against=float(st.gold_against),
                stance_other_for=float(st.other_for),
                stance_other_against=float(st.other_against),
                gold_argued=float(gold_argued),
                distractors_argued=dis_cov,
            )
        else:
            support = 0.25 + 0.75 * s_claims
        sig["support"] = support
        sig.update({f"share_{k}": v for k, v in sub.fractions.items()})
        sig.update(
            claims=float(sub.claims),
            specific_rate=sub.specific_rate,
            specific_per_claim=sub.specific_per_claim,
        )

        # ---- dimension scores --------------------------------------------------------------------------
        s_stem = _clip(stem_cov / 0.35) if has_q else relevance
        if has_ref:
            corr = (
                0.55 * ans_part * (0.3 + 0.7 * support)
                + 0.25 * relevance
                + 0.20 * _clip((rouge_f or 0.0) / 0.5)
            )
            suff = (
                0.2 * s_stem
                + 0.2 * opt_cov
                + 0.15 * s_len
                + 0.25 * _clip(sig["rouge_l_recall"] / 0.6)
                + 0.05 * s_concl
                + 0.15 * (1 - pad_frac)
            )
        else:
            corr = 0.65 * ans_part * (0.3 + 0.7 * support) + 0.35 * relevance
            # Several claims are needed to justify an answer and exclude the distractors.
            suff = (
                0.2 * s_stem
                + 0.2 * opt_cov
                + 0.15 * s_len
                + 0.25 * _clip(sub.claims / 4)
                + 0.05 * s_concl
                + 0.15 * (1 - pad_frac)
            )
        suff *= 1.0 - 0.5 * pad_frac
        s_rep = _clip(1.0 - 2.0 * repetition)
        struct = (
            0.25 * s_steps
            + 0.2 * s_conn
            + 0.25 * opt_frac
            + 0.15 * s_concl
            + 0.15 * s_rep
        ) * (0.25 + 0.75 * s_order)
        s_dens = _clip(term_cov / 0.25)
        s_vague = _clip(1.0 - 12.0 * vague_rate)
        mean_len = n_chars / n_sent if n_sent else n_chars
        s_read = (
            1.0
            if 8 <= mean_len <= 70
            else _clip(1.0 - (mean_len - 70) / 100)
            if mean_len > 70
            else 0.5
        )
        squeezed = folded.replace(" ", "") if "(" in folded else ""
        abbrs = {
            a
            for a in map("".join, _ASCII_ABBR.findall(folded))
            if not (a + "(" in squeezed or "(" + a in squeezed)
        }
        abbrs -= {t.upper() for t in (a for a in abbrs if a.lower() in self.lexicon)}
        s_abbr = _clip(1.0 - len(abbrs) / 6)
        term = (0.45 * s_dens + 0.25 * s_vague + 0.2 * s_read + 0.1 * s_abbr) * (
            1.0 - min(0.6, 0.15 * len(vague_terms))
        )
        if not n_med:  # readable text without a single medical term has no terminology to be clear about
            term = min(term, 0.25)
        s_cues = _clip(len(cues & set(_CUE_CATEGORIES)) / 3)
        gate = _clip(relevance / 0.5) * (0.5 if chk.correct is False else 1.0)
        clin = (0.4 * s_cues + 0.3 * opt_frac + 0.3 * s_dens) * gate
        sig.update(
            abbreviations_unexplained=float(len(abbrs)),
            mean_sentence_length=mean_len,
            clinical_gate=gate,
        )

        raw = {
            "medical_correctness": corr,
            "reasoning_structure": struct,
            "information_sufficiency": suff,
            "terminology_clarity": term,
            "clinical_value": clin,
        }
        scores = {k: 1.0 + 4.0 * _clip(v) for k, v in raw.items()}
        # (Before calibration, which maps the same signals; caps and the learned check follow it.)
        # Padding (off-topic, generic, repeated sentences) removes credit from every dimension:
        # real explanations rarely carry any (p90 of the pool: 10 % of characters).
        # Repeated sentences are never needed; off-topic text is rare in real explanations.
        f = sub.fractions
        idle = f["off_topic"] + 0.5 * (f["generic"] + f["echo"] + f["list"])
        keep = _clip(1.0 - 1.6 * max(0.0, idle - 0.15)) * _clip(1.0 - 2.5 * f["duplicate"])
        if keep < 1.0:
            scores = keep_credit(scores, keep)
            _add(
                ev,
                RUBRIC_DIMENSIONS,
                f"{1 - f['claim'] - f['answer']:.0%} of the text makes no claim (off-topic, generic, "
                f"restated, listed or repeated): credit x{keep:.2f}",
            )
        sig["padding_keep"] = keep
        if contradiction:
            # Reasoning that argues for another option than the one it concludes does not hold
            # together: the conclusion does not follow, and its clinical reading is wrong.
            scores = keep_credit(scores, 0.4)
        if self.gate is not None:
            # A function of the signals alone: computed here so a calibration sees it too.
            sig["gate_probability"] = self.gate.probability(sig)
        if self.calibration is not None:
            cal = self.calibration.apply(dict(sig))
            scores = {
                k: _clip(float(cal.get(k, scores[k])), 1.0, 5.0)
                for k in RUBRIC_DIMENSIONS
            }

        # ---- caps (after calibration: gaming must never pay) --------------------------------------------
        caps: dict[str, float] = {}
        if n_chars < 20:
            caps.update(
                {d: 2.0 for d in RUBRIC_DIMENSIONS if d != "medical_correctness"}
            )
            caps["medical_correctness"] = 3.0
            _add(
                ev,
                RUBRIC_DIMENSIONS,
                f"too short to justify an answer ({n_chars} characters)",
            )
        if (has_q or has_opts) and novelty < 0.3:
            caps.update({d: min(caps.get(d, 5.0), 2.0) for d in RUBRIC_DIMENSIONS})
            _add(
                ev,
                RUBRIC_DIMENSIONS,
                f"mostly restates the question/options (novel bigrams {novelty:.0%})",
            )
        if prose < 0.5 and n_chars >= 20:
            if list_like >= 0.6:
                # A list may name the right letter, but nothing in it justifies the answer.
                caps["medical_correctness"] = min(
                    caps.get("medical_correctness", 5.0), 3.0
                )
            for d in (
                "terminology_clarity",
                "clinical_value",
                "reasoning_structure",
                "information_sufficiency",
            ):
                caps[d] = min(caps.get(d, 5.0), 1.0 + 4.0 * prose)
            _add(
                ev,
                RUBRIC_DIMENSIONS
                if list_like >= 0.6
                else ("terminology_clarity", "clinical_value", "reasoning_structure"),
                f"reads as a keyword list, not prose (function characters {func_rate:.1%})",
            )
        if relevance < 0.25 and (has_q or has_opts or has_ref):
            caps["medical_correctness"] = min(caps.get("medical_correctness", 5.0), 2.5)
            caps["information_sufficiency"] = min(
                caps.get("information_sufficiency", 5.0), 2.0
            )
            _add(
                ev,
                ("medical_correctness", "information_sufficiency"),
                f"little connection to this question (relevance {relevance:.2f})",
            )
        if not sub.claims:
            caps.update({d: min(caps.get(d, 5.0), 1.5) for d in RUBRIC_DIMENSIONS})
            caps["medical_correctness"] = min(caps.get("medical_correctness", 5.0), 2.0)
            _add(ev, RUBRIC_DIMENSIONS, "no sentence makes a specific claim about this question")
        if contradiction:
            caps["medical_correctness"] = min(caps.get("medical_correctness", 5.0), 2.5)
            _add(
                ev,
                ("medical_correctness",),
                "the reasoning argues against the answer it states (option stance contradicts it)",
            )
        inj = find_injection(folded)
        sig["injection"] = float(bool(inj))
        if inj:
            caps = {d: min(caps.get(d, 5.0), 1.5) for d in RUBRIC_DIMENSIONS}
            _add(
                ev,
                RUBRIC_DIMENSIONS,
                f"instruction addressed to the grader ignored and penalised: {inj!r}",
            )
        for d, c in caps.items():
            scores[d] = min(scores[d], c)
        if self.gate is not None:
            # The learned model sees every signal, caps included; it only ever removes credit.
            p = sig["gate_probability"]
            credit = Gate.credit(p)
            if credit < 1.0:
                scores = keep_credit(scores, credit)
                _add(
                    ev,
                    RUBRIC_DIMENSIONS,
                    f"learned check ({self.gate.version}): P(genuine reasoning) {p:.2f}, "
                    f"credit x{credit:.2f}",
                )
        scores = {d: round(scores[d], 4) for d in RUBRIC_DIMENSIONS}

        # ---- evidence ----------------------------------------------------------------------------------
        e = ev["medical_correctness"]
        if ext.found:
            e.append(
                f"answer {''.join(ext.labels)} found by {ext.method}: {ext.evidence}"
            )
        else:
            e.append("no final answer found")
            if gold:
                e.append(f"gold {''.join(gold)} known: no answer counts as not correct")
        if chk.correct is True:
            e.append("answer matches gold")
        elif chk.correct is False:
            e.append(
                f"answer differs from gold {''.join(gold)} (overlap {chk.jaccard:.2f})"
            )
        elif "ref_verdict_agree" in sig:
            e.append(
                "answer agrees with the reference's verdict"
                if sig["ref_verdict_agree"]
                else "answer contradicts the reference's verdict"
            )
        e.append(f"relevance to the question {relevance:.2f}")
        if rouge_f is not None:
            e.append(f"char ROUGE-L vs reference {rouge_f:.2f}")
        e = ev["reasoning_structure"]
        e.append(
            f"{n_sent} sentences, connectives: {'、'.join(sorted(conn)) or 'none'}"
        )
        e.append(
            f"options analysed {opt_frac:.0%}; conclusion {'present' if ext.found else 'missing'}"
        )
        if repetition > 0.15:
            e.append(f"repetition {repetition:.0%}")
        bad_order = sorted(k for k, v in order_checks.items() if v < 0.5)
        if bad_order:
            e.append("order problems: " + ", ".join(bad_order))
        e = ev["information_sufficiency"]
        if has_q:
            e.append(f"stem coverage {stem_rec:.0%}")
        e.append(
            f"length {n_chars} chars (adequacy {s_len:.2f}); options discussed {opt_frac:.0%}"
        )
        if pad_sents:
            e.append(
                f"{pad_sents}/{n_sent} sentences unrelated to the question (padding)"
            )
        e = ev["terminology_clarity"]
        e.append(f"{distinct_terms} distinct medical terms, coverage {term_cov:.0%}")
        if vague_terms:
            e.append("vague wording: " + "、".join(sorted(set(vague_terms))[:5]))
        if abbrs:
            e.append("unexplained abbreviations: " + ", ".join(sorted(abbrs)[:5]))
        e = ev["clinical_value"]
        e.append(
            "clinical cues: "
            + (
                ", ".join(sorted(c.split(":", 1)[1] for c in cues if ":" in c))
                or "none"
            )
        )
        if gate < 1.0:
            e.append(f"clinical credit gated by relevance/correctness ({gate:.2f})")

        for msg in sub.evidence[:8]:
            _add(ev, ("reasoning_structure", "information_sufficiency"), msg)
        overall = round(sum(scores.values()) / len(scores), 4)
        return RubricResult(
            scores,
            overall,
            ext.labels,
            _answer_correct(chk.correct, gold),
            None if rouge_f is None else round(rouge_f, 6),
            ev,
            {k: float(v) for k, v in sorted(sig.items())},
            self.version,
        )


def _term_function_chars(term: str) -> int:
    """Number of prose function characters inside a lexicon term (tabulated per scorer)."""
    return sum(1 for ch in term if ch in _FUNCTION_CHARS)


def _count_function_chars(text: str) -> int:
    """``len(_FUNCTION_RE.findall(text))`` through a table look-up per code point.

    >>> _count_function_chars("肝的功能是代谢"), len(_FUNCTION_RE.findall("肝的功能是代谢"))
    (3, 3)
    """
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return int(np.count_nonzero(_FUNCTION_TABLE[cps]))


def _numbered_steps(text: str) -> list[str]:
    """Step numbers ("1." "2、" "3)") that open a sentence (text start or after a break, spaces allowed)."""
    out = []
    for m in _NUMBERED.finditer(text):
        i = (
            m.start() - 1
        )  # the last character before the match that is not a space or tab
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i < 0 or text[i] in "。;；\n":
            out.append(m.group(1))
    return out


def _coherence_jaccs(
    mat: np.ndarray, sizes: list[int]
) -> tuple[list[float], list[float]]:
    """Character Jaccards of the sentences (rows of ``mat``): adjacent pairs, then pairs 2 apart
    followed by pairs 3 apart (each list in sentence order).

    The intersections are exact integers (a 0/1 matrix product) and each Jaccard is one division
    of exact operands, so the floats equal ``len(a & b) / len(a | b)`` on Python sets.
    """
    gram = mat @ mat.T
    n = np.array(sizes, dtype=np.float64)
    m = len(sizes)
    out = []
    for lag in (1, 2, 3):
        inter = gram.diagonal(lag)
        out.append((inter / (n[: m - lag] + n[lag:] - inter)).tolist())
    return out[0], out[1] + out[2]


def _order_agreement(
    mat: np.ndarray,
    vocab: np.ndarray,
    sizes: list[int],
    ref: tuple[np.ndarray, np.ndarray],
    ref_sizes: list[int],
) -> float | None:
    """Fraction of concordant pairs between prediction sentence order (rows of ``mat``) and the
    order of their best matching reference sentences (Kendall-style); None when fewer than 3
    sentences match."""
    ref_codes, ref_ids = ref
    n_ref = len(ref_sizes)
    # The reference sentences' characters as rows over the prediction's columns (characters the
    # prediction lacks cannot intersect; they only count in the reference set sizes).
    pos = vocab.searchsorted(ref_codes)
    pos[pos == len(vocab)] = 0
    ok = vocab[pos] == ref_codes
    ref_mat = np.zeros((n_ref, len(vocab)))
    ref_mat[ref_ids[ok], pos[ok]] = 1.0
    inter = mat @ ref_mat.T  # exact small integers
    union = np.add.outer(np.asarray(sizes, dtype=np.float64), ref_sizes) - inter
    jacc = np.divide(inter, union, out=np.zeros_like(inter), where=union != 0)
    # Each sentence's best match (the first one on ties) if its Jaccard exceeds 0.2.
    best = jacc.argmax(axis=1)
    idx = best[jacc[np.arange(len(best)), best] > 0.2].tolist()
    if len(idx) < 3:
        return None
    pairs = conc = 0
    for i in range(len(idx)):
        for j in range(i + 1, len(idx)):
            if idx[i] != idx[j]:
                pairs += 1
                conc += idx[i] < idx[j]
    return conc / pairs if pairs else None


def _add(ev: dict[str, list[str]], dims: Iterable[str], msg: str) -> None:
    for d in dims:
        ev[d].append(msg)


def _answer_correct(correct: bool | None, gold: tuple | None) -> bool | None:
    """The reported correctness: with gold known, "no final answer found" is not correct."""
    return False if correct is None and gold else correct


def _all_ones(reason: str, gold: tuple | None, version: str = "") -> RubricResult:
    scores = {d: 1.0 for d in RUBRIC_DIMENSIONS}
    ev = {d: [reason] for d in RUBRIC_DIMENSIONS}
    if gold:
        ev["medical_correctness"].append("no final answer found")
    return RubricResult(
        scores,
        1.0,
        None,
        _answer_correct(None, gold),
        None,
        ev,
        {"empty": 1.0},
        version,
    )


# The scorer of a forked worker (set by _init_forked_worker), and the rows score_many's workers
# inherit (set in the parent just before its pool forks).
_WORKER: RubricScorer | None = None
_ROWS: list[tuple] | None = None


def _init_forked_worker(scorer: RubricScorer) -> None:
    global _WORKER
    _WORKER = scorer
    # Objects inherited from the parent never become garbage here: keep the collector off
    # them (and off copy-on-write pages) for the life of the worker.
    gc.freeze()
    gc.disable()


def _work_rows(rows: list[tuple]) -> list[RubricResult]:
    assert _WORKER is not None
    score = _WORKER._score
    return [score(*row) for row in rows]


def _canon_rows(items: Iterable[Mapping[str, Any]]) -> Iterator[tuple]:
    """The scorer's positional arguments for each item, lazily; a bad item is an InputError
    naming its index."""
    for i, it in enumerate(items):
        if not (type(it) is dict or isinstance(it, Mapping)):
            raise InputError(
                f"item {i}: expected a dict with a 'prediction' key, got {type(it).__name__}"
            )
        try:
            pred = it.get("prediction")
            if pred is not None and not isinstance(pred, str):
                raise InputError(
                    f"prediction: expected a string, got {type(pred).__name__}"
                )
            opts = _canon_options(it.get("options"))
            ans = it.get("answers", it.get("answer"))
            gold = _canon_answers(ans, [lab for lab, _ in opts])
        except InputError as exc:
            raise InputError(f"item {i}: {exc}") from None
        yield (
            pred or "",
            it.get("reference") or "",
            it.get("question") or "",
            opts,
            gold,
        )


def _work_range(bounds: tuple[int, int]) -> list[RubricResult]:
    assert _WORKER is not None and _ROWS is not None
    score = _WORKER._score
    return [score(*row) for row in _ROWS[bounds[0] : bounds[1]]]


def score(prediction: str, **kwargs: Any) -> RubricResult:
    """Score one prediction with a default :class:`RubricScorer` (convenience).

    >>> score("").scores["clinical_value"]
    1.0
    """
    return _default_scorer().score(prediction, **kwargs)


@lru_cache(maxsize=1)
def _default_scorer() -> RubricScorer:
    return RubricScorer()
