"""Controlled corruptions of real explanations, for measuring the rubric scorer's validity.

Every corruption is a pure function of (item, all items, a seeded ``random.Random``) and returns the
corrupted text, or ``None`` when it does not apply to the item (e.g. truncating a one-sentence
explanation changes nothing). Texts are NFKC-folded first; the scorer folds the same way, so folding
never changes a score.

- ``answer_flip``: the verdict is moved to a wrong option: inside verdict markers ("(C对)") and
  explicit conclusions ("故选C") the gold letter and a randomly chosen wrong letter are swapped
  (so the markers stay internally consistent); an answer written as option text has the two option
  texts swapped. Applies only when the original's extracted answer is the gold answer.
- ``wrong_question``: the explanation of another, randomly chosen question.
- ``truncate``: only the first sentence.
- ``shuffle``: the sentences in a random different order (needs >= 3 sentences).
- ``vague_terms``: medical terms replaced by vague words. Terms come from an EXTERNAL list
  (THUOCL medical, 3+ characters, read from ../shared when present) plus the question's option
  texts — not from the scorer's built-in lexicon, so the test is not circular. The vague phrases
  below are this harness's own; some naturally overlap with the scorer's list.
- ``padding``: irrelevant, non-medical filler sentences inserted at random positions until the text
  is about twice as long.
"""

from __future__ import annotations

import logging
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ahocorasick_rs

from medcot.answer import _BARE, _BRACKET, _CONCLUSION, _VERDICT, extract_answer

logger = logging.getLogger(__name__)

__all__ = ["CORRUPTIONS", "TARGETS", "build_term_automaton", "fold", "split_sentences"]

_SENT = re.compile(r"[^。!?;\n]+[。!?;\n]*")
_VAGUE_PHRASES = (
    "这个东西",
    "某种情况",
    "那个病",
    "一些问题",
    "某个部位",
    "那种药",
    "这种表现",
    "某种东西",
    "那个指标",
    "某些因素",
)
_FILLER = (
    "今天天气不错，适合出去散步。",
    "很多人喜欢在周末去公园放松一下心情。",
    "学习的时候要注意劳逸结合，保持良好的作息。",
    "考试前一天晚上最好早点睡觉。",
    "图书馆里总是很安静，大家都在认真看书。",
    "这道题目看起来有点长，需要耐心读完。",
    "做题时可以先把题干从头到尾读一遍。",
    "复习资料要按章节整理好，方便查找。",
    "喝一杯热茶可以让人精神一些。",
    "老师常说细节决定成败。",
    "平时多做练习题会有帮助。",
    "窗外的树叶在风中轻轻摇动。",
)

# Which dimensions each corruption is meant to move (the harness checks they move most).
TARGETS: dict[str, tuple[str, ...]] = {
    "answer_flip": ("medical_correctness",),
    "wrong_question": ("medical_correctness", "information_sufficiency"),
    "truncate": ("information_sufficiency",),
    "shuffle": ("reasoning_structure",),
    "vague_terms": ("terminology_clarity",),
    "padding": ("information_sufficiency",),
}


def fold(text: str) -> str:
    """NFKC-fold ``text`` (what the scorer does before matching).

    >>> fold("（Ｃ对）")
    '(C对)'
    """
    return unicodedata.normalize("NFKC", text or "")


def split_sentences(text: str) -> list[str]:
    """Split into sentences keeping their end punctuation.

    >>> split_sentences("甲。乙！丙")
    ['甲。', '乙!', '丙']
    """
    return [s for s in _SENT.findall(fold(text)) if s.strip()]


def build_term_automaton(terms: Sequence[str]) -> ahocorasick_rs.AhoCorasick:
    """Aho-Corasick automaton over ``terms`` (leftmost-longest matches, for replacement).

    >>> build_term_automaton(["胰头癌", "黄疸"]).find_matches_as_indexes("胰头癌致黄疸")
    [(0, 0, 3), (1, 4, 6)]
    """
    return ahocorasick_rs.AhoCorasick(
        list(terms), matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
    )


def load_external_terms(path: str | Path | None, *, min_len: int = 3) -> list[str]:
    """Terms from a THUOCL-style file (``term\\tfreq``), at least ``min_len`` characters.

    Args:
        path: the file; a missing path gives [] (the corruption then uses option texts only).
        min_len: shortest term kept.

    Returns:
        The terms, NFKC-folded.

    >>> load_external_terms(None)
    []
    """
    if not path or not Path(path).exists():
        return []
    out = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        t = line.split("\t", 1)[0].strip()
        if len(t) >= min_len:
            out.append(fold(t))
    return out


def _rewrite_spans(text: str, spans: list[tuple[int, int]], rewrite: Callable[[str], str]) -> str:
    """Replace each span (sorted; a span overlapping an earlier kept one is skipped) by ``rewrite(segment)``.

    >>> _rewrite_spans("abcdef", [(3, 5), (0, 2), (1, 4)], str.upper)
    'ABcDEf'
    """
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(rewrite(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def _swap_letters(text: str, a: str, b: str) -> str:
    table = str.maketrans({a: b, b: a})
    spans: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(text):
        if _VERDICT.search(m.group(1)):
            spans.append(m.span())
    for rx in (_CONCLUSION, _BARE):
        for m in rx.finditer(text):
            spans.append(m.span(1))
    return _rewrite_spans(text, spans, lambda segment: segment.translate(table))


def answer_flip(
    item: dict, items: Sequence[dict], rng: random.Random, **_: Any
) -> str | None:
    """Move the verdict to a wrong option (letters swapped inside verdict markers and conclusions).

    Args:
        item: canonical item (``question``, ``options``, ``answer``, ``cot``, ``id``).
        items: all items (unused here; same signature for every corruption).
        rng: seeded random generator.

    Returns:
        The corrupted text, or None when the original's extracted answer is not the gold answer.

    >>> it = {"id": "1", "question": "q", "answer": ["C"], "cot": "出血量（C对），出血部位（B错）。",
    ...       "options": [{"label": "B", "text": "出血部位"}, {"label": "C", "text": "出血量"}]}
    >>> answer_flip(it, [it], random.Random(0))
    '出血量(B对),出血部位(C错)。'
    """
    text = fold(item["cot"])
    gold = item["answer"]
    labels = [o["label"] for o in item["options"]]
    ext = extract_answer(text, options=item["options"], question=item["question"])
    if ext.labels is None or sorted(ext.labels) != sorted(gold):
        return None
    wrong = [lab for lab in labels if lab not in gold]
    if not wrong:
        return None
    g, w = rng.choice(sorted(gold)), rng.choice(wrong)
    new = _swap_letters(text, g, w)
    if ext.method == "option_text" or new == text:
        tg = next(fold(o["text"]) for o in item["options"] if o["label"] == g)
        tw = next(fold(o["text"]) for o in item["options"] if o["label"] == w)
        if tg and tw and tg in new:
            new = new.replace(tg, "\x00").replace(tw, tg).replace("\x00", tw)
    check = extract_answer(new, options=item["options"], question=item["question"])
    if check.labels is None or sorted(check.labels) == sorted(gold):
        return None
    return new


def wrong_question(
    item: dict, items: Sequence[dict], rng: random.Random, **_: Any
) -> str | None:
    """The explanation of another randomly chosen item (None when there is no other).

    >>> a, b = {"id": "a", "cot": "甲。"}, {"id": "b", "cot": "乙。"}
    >>> wrong_question(a, [a, b], random.Random(0))
    '乙。'
    """
    if len(items) < 2:
        return None
    while True:
        other = items[rng.randrange(len(items))]
        if other["id"] != item["id"] and other["cot"] != item["cot"]:
            return fold(other["cot"])


def truncate(
    item: dict, items: Sequence[dict], rng: random.Random, **_: Any
) -> str | None:
    """Only the first sentence (None for one-sentence explanations).

    >>> truncate({"cot": "本题考查黄疸。胰头癌（C对）。"}, [], random.Random(0))
    '本题考查黄疸。'
    """
    sents = split_sentences(item["cot"])
    return sents[0] if len(sents) >= 2 else None


def shuffle(
    item: dict, items: Sequence[dict], rng: random.Random, **_: Any
) -> str | None:
    """Sentences in a random different order (None below three sentences).

    >>> shuffle({"cot": "甲。乙。丙。"}, [], random.Random(1)) != "甲。乙。丙。"
    True
    """
    sents = split_sentences(item["cot"])
    if len(sents) < 3:
        return None
    order = list(range(len(sents)))
    for _ in range(10):
        rng.shuffle(order)
        if order != sorted(order):
            break
    # Sentence-final punctuation stays with its sentence; make sure the text still ends cleanly.
    return "".join(
        sents[i] if sents[i][-1] in "。!?;\n" else sents[i] + "。" for i in order
    )


def vague_terms(
    item: dict,
    items: Sequence[dict],
    rng: random.Random,
    *,
    automaton: ahocorasick_rs.AhoCorasick | None = None,
    **_: Any,
) -> str | None:
    """Medical terms (external list via ``automaton`` + option texts) replaced by vague phrases.

    >>> it = {"cot": "胰头癌压迫胆总管。", "options": [{"label": "A", "text": "胰头癌"}]}
    >>> vague_terms(it, [it], random.Random(0)).endswith("压迫胆总管。")
    True
    """
    text = fold(item["cot"])
    terms = {fold(o["text"]) for o in item["options"] if len(fold(o["text"])) >= 2}
    spans: list[tuple[int, int]] = []
    if automaton is not None:
        spans += [(start, end) for _i, start, end in automaton.find_matches_as_indexes(text)]
    for t in terms:
        for m in re.finditer(re.escape(t), text):
            spans.append(m.span())
    if not spans:
        return None
    new = _rewrite_spans(text, spans, lambda _segment: rng.choice(_VAGUE_PHRASES))
    return new if new != text else None


def padding(
    item: dict, items: Sequence[dict], rng: random.Random, **_: Any
) -> str | None:
    """Irrelevant filler sentences inserted at random positions until the text doubles.

    >>> len(padding({"cot": "胰头癌可致黄疸。"}, [], random.Random(0))) >= 16
    True
    """
    sents = split_sentences(item["cot"])
    if not sents:
        return None
    target = 2 * sum(len(s) for s in sents)
    total = sum(len(s) for s in sents)
    while total < target:
        f = rng.choice(_FILLER)
        sents.insert(rng.randrange(len(sents) + 1), f)
        total += len(f)
    return "".join(sents)


CORRUPTIONS: dict[str, Callable[..., str | None]] = {
    "answer_flip": answer_flip,
    "wrong_question": wrong_question,
    "truncate": truncate,
    "shuffle": shuffle,
    "vague_terms": vague_terms,
    "padding": padding,
}
