"""Which sentences of a chain of thought earn credit: claims about *this* question.

Every sentence gets one label; only ``claim`` sentences earn credit in any dimension. In the order
they are checked:

- ``duplicate`` — repeats an earlier sentence (same content, or character sets >= 85 % alike);
- ``answer`` — nothing but the answer statement and verdict letters ("故本题选B", "(C对)");
- ``list`` — separator-delimited short pieces (a term list, not a clause), or a single bare term;
- ``echo`` — mostly copied from the stem or the options, adding no new specific content;
- ``off_topic`` — shares no specific content with the question, the options, or the sentences
  that are on topic (another question's explanation, generic boilerplate);
- ``generic`` — on topic, but all it adds is common vocabulary: cue phrases with no claim attached
  ("鉴别诊断需考虑"), frames ("与本题密切相关"), exam talk;
- ``claim`` — says something specific that the question does not already say, about the
  question's own entities (or continuing a sentence that does).

"Specific" is measured, not listed: a character bigram is *common* when it occurs in at least
``common_df`` of real explanations (:mod:`medcot.rubric.vocab`), and cue and vague lexicon terms
never count as specific. Bigrams never seen in a real explanation count only in runs (a new
term), not alone (the seam where two copied fragments were glued together).
"""

from __future__ import annotations

import collections
import importlib.util
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick_rs
import numpy as np

from medcot.lexicon import Lexicon
from medcot.rubric.stance import VERDICT_MARKER
from medcot.rubric.vocab import Vocabulary, bigram_seq
from medcot.rubric.vocab import members as _members

__all__ = ["LABELS", "Substance", "analyse"]

LABELS = ("claim", "generic", "off_topic", "echo", "list", "answer", "duplicate")

# Answer statements and verdict markers, in normalised text (no punctuation, lower case).
_ANSWER_STMT = re.compile(
    r"(?:故而|故|因此|所以|综上所述|综上|则|即)?(?:本题|此题|该题)?的?(?:正确|最佳|参考)?"
    r"(?:答案|应选|选择|选项|选)(?:应|应当|应该)?(?:为|是|选|选择)?[a-h](?:[a-h]|和|及|与)*"
    r"(?:项|选项)?(?:正确|为正确答案|为答案|对)?"
    r"|[a-h]{1,5}(?:项|选项)?(?:对|错|正确|错误|不正确)"
    r"|为本题(?:的)?(?:正确)?(?:答案|选项)|本题(?:的)?(?:正确)?答案"
    r"|theansweris[a-h]+|answer[a-h]\b"
)
_FUNCTION = frozenset("的是在和与及或了而由于为其可但则即等也都被把将从对向以之所因故此该有无不能会使")
_PIECE_SPLIT = re.compile(r"[,，、/;；:：\s·•*\-]+|\d{1,2}[.、)）]")
_ANAPHOR = re.compile(r"^(?:其|该|此|它|这|上述|后者|前者|二者|两者|本病|本药|此病|此药)")
_DUP_WINDOW = 200
_MEDICAL = frozenset(("disease", "symptom", "anatomy", "drug", "exam", "tcm", "user"))
# Part-of-speech tags of jieba's dictionary whose words are glue, not content: conjunctions,
# adverbs, prepositions, particles, pronouns, modal and onomatopoeic words, fixed expressions
# and idioms ("总的来说", "与此同时", "不言而喻").
_FUNCTION_POS = frozenset(("c", "d", "p", "u", "r", "y", "e", "o", "ad"))
# Discourse expressions the dictionary files as fixed expressions ("l") — that class also holds
# many four-character medical phrases ("润肺止咳"), so only these are taken from it.
_DISCOURSE = (
    "也就是说", "换句话说", "换言之", "总而言之", "总的来说", "总体来说", "概括来说", "概括而言", "简而言之",
    "一般而言", "一般来说", "通常来说", "具体而言", "具体来说", "具体地说", "确切地说", "严格来说",
    "值得注意", "值得一提", "值得强调", "需要指出", "需要强调", "需要说明", "需要注意", "不难发现",
    "不难看出", "由此可见", "由此看来", "众所周知", "毫无疑问", "显而易见", "不言而喻", "综上所述",
    "如前所述", "如上所述", "正如前面所说", "前面提到", "上面提到", "事实上", "实际上", "另一方面",
    "与此同时", "从某种意义上说", "在某种程度上", "可以说", "可以看出", "可以认为", "总之", "此外",
    "进一步说", "再次说明", "再次强调", "换个角度", "归根结底", "说到底", "密切相关", "息息相关",
)
# Talk about the exam itself, not about medicine ("与题干信息矛盾", "符合题目要求", "应予排除").
_EXAM_TALK = (
    "题干", "题目", "本题", "此题", "该题", "选项", "答案", "考点", "考查", "考察", "知识点", "正确", "错误",
    "不正确", "排除", "符合", "不符", "恰当", "准确", "矛盾", "要求", "信息", "情况", "说法", "描述", "叙述",
    "表述", "相符", "吻合", "一致", "不一致", "题意", "作答", "解题", "答题", "记忆", "掌握", "熟悉", "了解",
)
# Words this frequent in general Chinese ("重点", "意义", "方向", "涉及") say nothing specific either.
_EVERYDAY_FREQ = 2500
logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _function_automaton() -> ahocorasick_rs.AhoCorasick | None:
    """Multi-character function words and everyday words of jieba's bundled dictionary (read
    from the installed package, not copied into this project), minus the built-in lexicon's
    medical terms. Built once per process (~0.3 s; jieba itself is not imported)."""
    spec = importlib.util.find_spec("jieba")
    path = os.path.join(os.path.dirname(spec.origin), "dict.txt") if spec and spec.origin else ""
    if not os.path.exists(path):  # pragma: no cover - jieba is a core dependency
        logger.warning("jieba's dictionary is not installed: function words are not masked")
        return None
    from medcot.lexicon import load_builtin

    words = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and len(parts[0]) >= 2 and (
                parts[2] in _FUNCTION_POS or int(parts[1]) >= _EVERYDAY_FREQ
            ):
                words.append(parts[0])
    lex = load_builtin()
    words = [w for w in (*words, *_DISCOURSE, *_EXAM_TALK) if w not in lex]
    return ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)


def function_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the function and discourse words in normalised ``text``.

    >>> function_spans("总的来说胰头癌")
    [(0, 4)]
    """
    auto = _function_automaton()
    if auto is None or not text:
        return []
    return [(a, b) for _i, a, b in auto.find_matches_as_indexes(text)]


@dataclass
class Substance:
    """The labels of a text's sentences and what they add up to.

    ``fractions`` are shares of the text's content characters per label (they sum to 1 when the
    text has content); ``claims`` is the number of claim sentences.
    """

    labels: list[str]
    fractions: dict[str, float]
    claims: int
    specific_rate: float  # specific novel bigrams / all bigrams of the text
    specific_per_claim: float
    evidence: list[str] = field(default_factory=list)

    def claim_mask(self) -> list[bool]:
        return [lab == "claim" for lab in self.labels]


def _strip_answers(s: str) -> str:
    return _ANSWER_STMT.sub("\x00", s)


def _is_list(raw: str, content: str, lexicon: Lexicon) -> bool:
    """A sentence of short separator-delimited pieces, or one bare term."""
    pieces = [p for p in _PIECE_SPLIT.split(raw) if p.strip()]
    if len(pieces) >= 4:
        short = sum(
            1 for p in pieces if len(p) <= 6 and not any(c in _FUNCTION for c in p)
        )
        if short >= 0.6 * len(pieces):
            return True
    if len(content) <= 8 and not any(c in _FUNCTION for c in content):
        return content in lexicon or len(content) <= 5
    return False


def analyse(
    raw_sentences: Sequence[str],
    sentences: Sequence[str],
    *,
    qo_bigrams: np.ndarray,
    vocab: Vocabulary,
    lexicon: Lexicon,
    common_df: float = 0.03,
    options: Sequence[tuple[str, str]] = (),
    q_bigrams: np.ndarray | None = None,
    has_context: bool = True,
) -> Substance:
    """Label each sentence (see the module docstring).

    Args:
        raw_sentences: the sentences as written (punctuation kept: list layout).
        sentences: their normalised content (:func:`medcot.textsim.char_normalize`).
        qo_bigrams: sorted distinct bigrams of the question and options (empty when unknown).
        vocab: document frequencies of bigrams in real explanations.
        lexicon: medical lexicon (cue and vague terms never count as specific).
        common_df: share of explanations above which a bigram is common.
        options: ``(label, normalised text)`` of each option.
        q_bigrams: sorted distinct bigrams of the question stem alone.
        has_context: whether a question or options are known (without them nothing is off topic
            or echo).

    Returns:
        A :class:`Substance`.

    >>> from medcot.lexicon import load_builtin
    >>> from medcot.rubric.vocab import Vocabulary
    >>> v = Vocabulary.from_texts(["本题考查"] * 50 + ["胆总管梗阻使胆汁淤积"])
    >>> s = analyse(["胆总管结石、黄疸", "胆总管梗阻使胆汁淤积而引起黄疸"],
    ...             ["胆总管结石黄疸", "胆总管梗阻使胆汁淤积而引起黄疸"],
    ...             qo_bigrams=np.unique(bigram_seq("黄疸见于胆总管结石")), vocab=v,
    ...             lexicon=load_builtin())
    >>> s.labels
    ['echo', 'claim']
    """
    n = len(sentences)
    labels = ["claim"] * n
    weights = [len(s) for s in sentences]
    common = max(2.0, common_df * vocab.n_docs)
    specific_sets: list[np.ndarray] = []
    anchored = [False] * n
    spec_counts = [0] * n
    echo_share = [0.0] * n
    seen: list[tuple[str, set]] = []
    said = np.empty(0, np.uint32)  # bigrams of the sentences so far
    residue = [""] * n
    named_before: set[str] = set()
    evidence: list[str] = []
    total_bigrams = 0
    total_specific = 0
    for i, (raw, s) in enumerate(zip(raw_sentences, sentences)):
        chars = set(s)
        dup_of = None
        if len(s) >= 4:
            # Against the sentences just before (a bounded window: huge texts stay linear).
            for j, (prev, pset) in enumerate(seen[-_DUP_WINDOW:], start=max(0, len(seen) - _DUP_WINDOW)):
                if prev == s or (
                    len(pset) >= 4
                    and len(chars & pset) >= 0.85 * len(chars | pset)
                ):
                    dup_of = j
                    break
        seen.append((s, chars))
        stripped = _strip_answers(s)
        content = stripped.replace("\x00", "")
        specific_sets.append(np.empty(0, np.uint32))  # replaced below for content sentences
        own = np.unique(bigram_seq(content))
        # A restatement: most of its bigrams were already said by the sentences before it.
        # A sentence that takes up an option not named before is a new point, however alike
        # its frame ("前壁心肌梗死…见于V3～V5导联(B错)" after "…V1～V3导联(A对)").
        marked = {c for m in VERDICT_MARKER.finditer(s) for c in m.group(1)}
        named = {lab for lab, t in options if t and t in content}
        new_point = bool((named | {lab for lab, _t in options if lab.lower() in marked}) - named_before)
        named_before |= named | {lab for lab, _t in options if lab.lower() in marked}
        restated = (
            dup_of is None
            and len(own) >= 8
            and len(said)
            and _members(own, said).mean() >= 0.7
        )
        said = np.union1d(said, own) if len(own) else said
        if (dup_of is not None or restated) and not new_point:
            labels[i] = "duplicate"
            evidence.append(
                f"sentence {i + 1} repeats sentence {dup_of + 1}"
                if dup_of is not None
                else f"sentence {i + 1} restates what the sentences before it said"
            )
            continue
        if len(content) < 3:
            labels[i] = "answer"
            continue
        # Cue and vague terms are masked: they never count as specific content.
        masked = list(stripped)
        novel_term = False
        for t_i, a, b in lexicon.match_indexes(stripped, normalized=True):
            cat = lexicon.entries[t_i][1]
            if cat.startswith("cue") or cat == "vague":
                masked[a:b] = "\x00" * (b - a)
            elif cat in _MEDICAL:
                novel_term = novel_term or not _all_in(
                    bigram_seq(stripped[a:b]), qo_bigrams
                )
        # So are function and discourse words ("总的来说", "与此同时", "进一步"): glue, not content.
        for a, b in function_spans(stripped):
            masked[a:b] = "\x00" * (b - a)
        text = "".join(masked)
        seq = bigram_seq(text)
        valid = ~((seq >> 16 == 0) | (seq & 0xFFFF == 0))
        all_bi = bigram_seq(content)
        total_bigrams += len(all_bi)
        in_qo = _members(seq, qo_bigrams) & valid
        df = vocab.frequency(seq)
        is_common = df >= common
        has_letters = _ascii_pair(seq)
        novel = valid & ~in_qo & ~has_letters
        known = novel & ~is_common & (df > 0)
        unseen = novel & (df == 0)
        # An unseen bigram counts only next to another unseen or specific one (inside a new term).
        run = unseen & (np.roll(unseen | known, 1) | np.roll(unseen | known, -1))
        specific = known | run
        n_spec = int(specific.sum()) + (2 if novel_term else 0)
        spec_counts[i] = n_spec
        total_specific += n_spec
        specific_sets[i] = np.unique(seq[specific])
        # What the sentence adds besides the question's words: a frame when it recurs.
        residue[i] = "".join(
            ch for ch, cov in zip(text, _char_cover(in_qo, len(text))) if not cov and ch != "\x00"
        )
        # Anchored: shares an uncommon bigram with the question (function words included:
        # "奇经八脉" is a fixed expression and still the question's subject).
        raw_seq = bigram_seq(stripped)
        raw_qo = raw_seq[_members(raw_seq, qo_bigrams)]
        anchored[i] = bool((vocab.frequency(raw_qo) < common).any())
        # Asserting an answer: the stem with exactly one option's text ("...的是磨牙后垫"), or a
        # verdict on an option named in a sentence that says something more ("过怒则伤肝(D对)").
        long_named = [lab for lab, t in options if len(t) >= 2 and t in content]
        on_stem = int(_members(seq, q_bigrams).sum()) if q_bigrams is not None else 0
        asserts = (len(long_named) == 1 and on_stem >= 2) or (
            n_spec >= 2 and any(lab.lower() in marked for lab in named)
        )
        anchored[i] = anchored[i] or asserts
        covered = _covered_chars(in_qo)
        echo_share[i] = covered / max(1, len(text) - text.count("\x00"))
        spec_share = n_spec / max(1, len(all_bi))
        if _is_list(raw, content, lexicon) and spec_share < 0.3:
            labels[i] = "list"
            evidence.append(f"sentence {i + 1} is a term list, not a claim")
        elif asserts:
            pass  # a claim
        elif (
            has_context
            and echo_share[i] >= 0.6
            and (n_spec < 2 or (n_spec < 3 and len(residue[i]) < 3))
        ):
            labels[i] = "echo"
            evidence.append(
                f"sentence {i + 1} restates the question/options ({echo_share[i]:.0%} copied)"
                " and adds nothing specific"
            )
        elif n_spec < 2:
            labels[i] = "generic"
            evidence.append(f"sentence {i + 1} adds only generic wording (no specific claim)")
    frames = collections.Counter(r for r in residue if len(r) >= 2)
    for i in range(n):
        # (A recurring frame that is itself specific is parallel analysis of the options:
        # "前壁心肌梗死特征性ECG改变见于V3～V5导联", "…下壁…见于Ⅱ、Ⅲ、aVF导联".)
        if labels[i] == "claim" and frames[residue[i]] >= 2 and spec_counts[i] <= 3:
            labels[i] = "generic"
            evidence.append(
                f"sentence {i + 1} is a template: the question's words in a recurring frame"
            )
    if has_context:
        # On topic: anchored to the question by a specific shared bigram, or sharing specific
        # content with (or referring back to) a sentence that is.
        on = list(anchored)
        for _ in range(2):
            topical = [specific_sets[j] for j in range(n) if on[j] and len(specific_sets[j])]
            pool = np.unique(np.concatenate(topical)) if topical else np.empty(0, np.uint32)
            for i in range(n):
                if on[i]:
                    continue
                shared = int(_members(specific_sets[i], pool).sum()) if len(pool) else 0
                if shared >= 2 or (i > 0 and on[i - 1] and _ANAPHOR.match(sentences[i])):
                    on[i] = True
        for i in range(n):
            if labels[i] in ("claim", "generic") and not on[i]:
                labels[i] = "off_topic"
                evidence.append(f"sentence {i + 1} is not about this question")
    total = sum(weights) or 1
    fractions = {lab: 0.0 for lab in LABELS}
    for lab, w in zip(labels, weights):
        fractions[lab] += w / total
    claims = labels.count("claim")
    claim_spec = sum(c for c, lab in zip(spec_counts, labels) if lab == "claim")
    return Substance(
        labels=labels,
        fractions=fractions,
        claims=claims,
        specific_rate=total_specific / total_bigrams if total_bigrams else 0.0,
        specific_per_claim=claim_spec / claims if claims else 0.0,
        evidence=evidence,
    )


def _all_in(values: np.ndarray, sorted_set: np.ndarray) -> bool:
    return bool(len(values)) and bool(_members(values, sorted_set).all())


def _ascii_pair(seq: np.ndarray) -> np.ndarray:
    """Bigrams of two ASCII letters (English words carry no Chinese content)."""
    hi, lo = seq >> 16, seq & 0xFFFF
    return (hi >= 0x61) & (hi <= 0x7A) & (lo >= 0x61) & (lo <= 0x7A)


def _char_cover(in_qo: np.ndarray, n_chars: int) -> np.ndarray:
    """Per character: covered by a bigram marked ``in_qo``."""
    cov = np.zeros(n_chars, dtype=bool)
    if len(in_qo):
        cov[: len(in_qo)] |= in_qo
        cov[1 : len(in_qo) + 1] |= in_qo
    return cov


def _covered_chars(in_qo: np.ndarray) -> int:
    """Characters covered by the bigrams marked ``in_qo`` (a bigram covers two characters)."""
    if not len(in_qo):
        return 0
    cov = np.zeros(len(in_qo) + 1, dtype=bool)
    cov[:-1] |= in_qo
    cov[1:] |= in_qo
    return int(cov.sum())
