"""Gaming attacks on real expert explanations, for measuring whether the offline rubric scorer
can be beaten by text that is not well-formed, question-specific reasoning (issue 9).

Same contract as :mod:`validation.corruptions`: every attack is a pure function
``fn(item, items, rng, **_) -> str | None`` of a canonical item (``id``, ``question``,
``options``, ``answer``, ``cot``), all items (for "another question's explanation") and a seeded
``random.Random``; it returns the gamed text (NFKC-folded, as the scorer folds) or ``None`` when it
does not apply. Nothing from the data is stored here: every text is built from the item at run time.

Each family is generated compositionally. Its wording — fillers, headings, connectives, list
separators, sentence frames, answer-statement frames, order, counts, cut points — is drawn at random
from the pools in ``validation/attack_pools/zh.json`` (written for this project), so that a rule
matching one wording of a family does not match the family.

Exports: :data:`ATTACKS` (32 families), :data:`GROUPS` (family -> one of 7 groups, for
leave-group-out fitting), :data:`RIGHT_LETTER` (families that state the gold letter without
reasoning that supports it: correctness must drop), :data:`DESCRIPTIONS` (one line per family) and
:func:`generate` (one RNG per (seed, family, item id), as ``validation.run_validity`` does).
``generate(..., wording="fit" | "eval")`` draws every pool from one of two disjoint halves (even /
odd entries), so a scorer fitted on one half's wordings can be measured on wordings it never saw
even inside a family; ``"all"`` (default) uses the whole pools.

Wording diversity. *share*: the fraction of a family's instances that contain its most frequent
wording 4-gram (:func:`wording_share`) — four consecutive units (a CJK character, a mark, or a whole
Latin word) none of which comes from the item: runs of 2+ characters found in the stem, the option
texts or the explanation, and the option letters, are masked first (:func:`wording_grams`).
*skeletons*: distinct texts left once the item material is collapsed (:func:`skeleton`). Families
that only edit the real explanation (duplicate_sentences, option_swap, negation_flip) have almost
no wording of their own — nothing for a wording rule to match. *gold*: fraction of instances in which
``medcot.answer.extract_answer`` finds exactly the gold labels. First 150 usable items of
``../shared/realdata/cmexam_val_pool.jsonl``, seed 13
(``python -m validation.attacks --data ../shared/realdata/cmexam_val_pool.jsonl``):

    family                   group       applies  share (top 4-gram)  skeletons  gold
    stem_echo                echo        150/150  0.13 ('综上所述')       150/150  0.87
    template_sentences       echo        150/150  0.25 ('是本题的')       150/150  0.89
    stem_paraphrase          echo        150/150  0.10 ('要求判断')       150/150  0.93
    gold_restate             echo        150/150  0.15 ('题干要求')       150/150  0.96
    heading_skeleton         echo        150/150  0.20 ('题干分析')       150/150  0.86
    buzzword_salad           salad       150/150  0.22 ('必须了解')       150/150  0.90
    buzzword_salad_entities  salad       150/150  0.18 ('上应关注')       150/150  0.90
    relation_salad           salad       150/150  0.18 ('危险因素')       150/150  0.86
    cue_phrases              salad       150/150  0.27 ('以下几点')       150/150  0.90
    mixed_language           salad       150/150  0.19 ('面要注意')       150/150  0.59
    keyword_list_comma       list        150/150  0.11 ('正确答案')       150/150  0.92
    keyword_list_dun         list        150/150  0.10 ('正确答案')       150/150  0.95
    keyword_list_bullets     list        150/150  0.08 ('正确答案')       150/150  0.91
    keyword_list_numbered    list        150/150  0.11 ('第1点:')       150/150  0.95
    keyword_list_newline     list        150/150  0.10 ('正确答案')       150/150  0.93
    options_verdicts         list        150/150  0.15 ('正确选项')       150/150  0.89
    options_pseudo_reasons   list        150/150  0.29 ('最佳选择')       150/150  0.70
    pad_unrelated            padding     150/150  0.11 ('该题考查')       150/150  0.67
    pad_boilerplate          padding     150/150  0.51 ('病情变化')       150/150  0.98
    duplicate_sentences      padding     150/150  0.00 ('')             2/150  0.98
    duplicate_paragraph      padding     150/150  0.10 ('述如下:')        58/150  0.98
    length_inflation         padding     150/150  0.29 ('妨再看一')       150/150  0.98
    letter_after_fluff       letter      150/150  0.28 ('这个考点')       150/150  0.91
    bare_answer              letter      150/150  0.09 ('正确答案')       117/150  0.81
    answer_spam              letter      150/150  0.33 ('正确答案')       150/150  0.99
    tautology                letter      150/150  0.21 ('符合题意')       150/150  0.92
    option_swap              misleading  103/150  0.00 ('')             2/103  0.99
    negation_flip            misleading  142/150  0.06 ('正确答案')        98/142  0.99
    foreign_reasoning        misleading  150/150  0.09 ('正确答案')       150/150  0.89
    injection                injection   150/150  0.11 ('评分指令')       150/150  0.98
    injection_bare           injection   150/150  0.10 (':本回答')       150/150  0.77
    self_praise              injection   150/150  0.27 ('严谨规范')       150/150  0.83

Every family's share stays below 0.60 (``tests/test_attacks.py`` asserts it, on these items and on
hand-made ones, for the whole pools and for each half: the highest is 0.51 with ``--wording fit``
and 0.49 with ``--wording eval``). The right-letter families state the gold letter in a frame ``extract_answer``
reads in most instances; some frames ("The answer is B", "所以B正确", "答：B") are deliberately ones
it does not read, which is why mixed_language is lower. pad_unrelated's 0.67 is the borrowed
explanation's own verdict markers confusing extraction (half the instances strip them).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from medcot.answer import _BARE, _BRACKET, _CONCLUSION, _VERDICT, extract_answer, is_negative_question
from medcot.errors import MedcotError
from validation.corruptions import fold, split_sentences

logger = logging.getLogger(__name__)

__all__ = [
    "ATTACKS",
    "DESCRIPTIONS",
    "GROUPS",
    "RIGHT_LETTER",
    "WORDINGS",
    "generate",
    "skeleton",
    "stem_terms",
    "wording_grams",
    "wording_share",
]

POOLS_PATH = Path(__file__).resolve().parent / "attack_pools" / "zh.json"
Attack = Callable[..., "str | None"]


@lru_cache(maxsize=1)
def pools() -> dict[str, list]:
    """The wording pools (loaded once from ``attack_pools/zh.json``).

    >>> len(pools()["answer_zh"]) >= 30
    True
    """
    data = json.loads(POOLS_PATH.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


# Which half of every wording pool the attacks draw from: "all", or the disjoint halves "fit"
# (even entries) and "eval" (odd entries), so a scorer fitted on one half's wordings can be
# measured on wordings it never saw. Set by :func:`generate`.
WORDINGS = ("all", "fit", "eval")
_WORDING: ContextVar[str] = ContextVar("attack_wording", default="all")


@lru_cache(maxsize=None)
def _pool(name: str, wording: str) -> list:
    full = pools()[name]
    if wording == "all" or len(full) < 4:
        return full
    return full[0::2] if wording == "fit" else full[1::2]


def _p(name: str) -> list:
    return _pool(name, _WORDING.get())


# ---------------------------------------------------------------- item helpers

# The item the docstring examples use (made up for them).
EXAMPLE: dict = {
    "id": "example",
    "question": "甲状腺肿大的病因",
    "options": [{"label": "A", "text": "碘缺乏"}, {"label": "B", "text": "感染"}],
    "answer": ["A"],
    "cot": "碘缺乏是单纯性甲状腺肿的主要病因（A对）。感染（B错）少见。",
}

# Function words and exam phrasing that never belong to a stem *entity*; longest first so "不属于"
# wins over "属于".
_STOPS = sorted(
    {
        "下列", "以下", "哪项", "哪一项", "哪种", "哪个", "哪些", "什么", "不属于", "属于", "不是", "的是",
        "最常见", "常见", "最可能", "可能", "首先", "考虑", "应该", "应", "是", "的", "和", "与", "及", "或",
        "为", "在", "有", "时", "其", "中", "最", "不", "可", "见于", "除", "外", "患者", "男性", "女性",
        "男", "女", "岁", "错误", "正确", "说法", "描述", "叙述", "选项", "一般", "主要", "通常", "多",
        "正确的是", "错误的是", "以下哪项", "了", "被", "将", "对", "由", "于", "等", "者",
    },
    key=len,
    reverse=True,
)
_STOP_RX = re.compile("|".join(map(re.escape, _STOPS)) + r"|[\s\W\d_]+")


def _gold_texts(item: dict) -> list[str]:
    gold = set(item["answer"])
    return [fold(o["text"]) for o in item["options"] if o["label"] in gold]


def _labels(item: dict) -> list[str]:
    return [o["label"] for o in item["options"]]


def stem_terms(item: dict) -> list[str]:
    """Candidate entities of an item: stem chunks between function words, and option texts.

    Chunks longer than 8 characters are cut into near-equal pieces; the order is the text order
    (callers shuffle or sample with their own RNG).

    Args:
        item: canonical item.

    Returns:
        Distinct terms of 2+ characters.

    >>> stem_terms({"question": "下列哪项是甲状腺肿大的病因", "options": [{"label": "A", "text": "碘缺乏"}]})
    ['甲状腺肿大', '病因', '碘缺乏']
    """
    out: list[str] = []
    for chunk in _STOP_RX.split(fold(item.get("question", ""))):
        if len(chunk) < 2:
            continue
        # Long chunks are cut into near-equal pieces of at most 6 characters.
        n = -(-len(chunk) // 6) if len(chunk) > 8 else 1
        step = -(-len(chunk) // n)
        out += [chunk[i : i + step] for i in range(0, len(chunk), step) if len(chunk[i : i + step]) >= 2]
    for o in item.get("options", []):
        t = fold(o["text"]).strip(" 。.,;")
        if 2 <= len(t) <= 16:
            out.append(t)
        elif len(t) > 16:
            out.append(t[:8])
    seen: set[str] = set()
    return [t for t in out if not (t in seen or seen.add(t))]


def _terms(item: dict, rng: random.Random, lo: int = 3, hi: int = 8) -> list[str]:
    terms = stem_terms(item)
    if not terms:
        return []
    k = min(len(terms), rng.randint(lo, hi))
    return rng.sample(terms, k)


def _letters_str(item: dict, rng: random.Random) -> str:
    gold = sorted(item["answer"])
    if len(gold) == 1:
        return gold[0]
    return rng.choice(["", "、", ",", ""]).join(gold)


def _fill(frame: str, rng: random.Random, **values: str) -> str:
    for key, val in values.items():
        frame = frame.replace("{" + key + "}", val)
    return frame


def answer_frame(item: dict, rng: random.Random, *, pool: str = "answer_zh") -> str:
    """A statement of the gold answer in a frame drawn from ``pool``.

    >>> answer_frame({"answer": ["B"]}, random.Random(1)).count("B") >= 1
    True
    """
    letters = _letters_str(item, rng)
    return _fill(rng.choice(_p(pool)), rng, L=letters)


def _readable_answer(item: dict, rng: random.Random) -> str:
    """An answer frame that ``extract_answer`` reads as the gold answer (a few draws; the last kept)."""
    for _i in range(12):
        frame = answer_frame(item, rng)
        ext = extract_answer(frame, options=item.get("options"), question=item.get("question"))
        if ext.labels == sorted(item["answer"]):
            break
    return frame


def _any_answer(item: dict, rng: random.Random, *, en: float = 0.0) -> str:
    if rng.random() < en:
        return answer_frame(item, rng, pool=rng.choice(["answer_en", "answer_mixed"]))
    return answer_frame(item, rng)


def _end(s: str, rng: random.Random) -> str:
    s = s.rstrip("，,、 ")
    return s if s and s[-1] in "。.!?:：;；\n" else s + rng.choice(["。", "。", "。", "；", "！", "."])


def _comma(rng: random.Random) -> str:
    return rng.choice(["，", "，", ",", "、", " ", "；"])


def _fluff_sentence(rng: random.Random) -> str:
    if rng.random() < 0.55:
        s = rng.choice(_p("fluff_subjects")) + rng.choice(_p("fluff_predicates"))
    else:
        s = rng.choice(_p("fluff_standalone"))
    return _end(s, rng)


def _fluff(rng: random.Random, lo: int = 2, hi: int = 5) -> str:
    sents = [_fluff_sentence(rng) for _ in range(rng.randint(lo, hi))]
    return _joiner(rng).join(sents)


def _joiner(rng: random.Random) -> str:
    return rng.choice(["", "", "", "\n", " "])


def _buzz_cue(rng: random.Random) -> str:
    b, b2 = rng.sample(_p("buzzwords"), 2)
    return _fill(rng.choice(_p("cue_frames")), rng, B=b, B2=b2)


def _connective(rng: random.Random) -> str:
    return rng.choice(_p("connectives")) + rng.choice(["，", "，", ",", "：", ""])


def _place(body: str, answer: str, rng: random.Random) -> str:
    """Answer statement at the end (mostly), the start, or both."""
    r = rng.random()
    sep = _joiner(rng)
    if r < 0.7:
        return body + sep + answer
    if r < 0.85:
        return answer + sep + body
    return answer + sep + body + sep + answer


def _other_item(item: dict, items: Sequence[dict], rng: random.Random) -> dict | None:
    if len(items) < 2:
        return None
    for _ in range(30):
        other = items[rng.randrange(len(items))]
        if other["id"] != item["id"] and fold(other["cot"]) != fold(item["cot"]):
            return other
    return None


def _strip_verdicts(text: str) -> str:
    """Remove verdict brackets ("(C对)") and conclusions ("故选C") — letters of another question."""
    text = _BRACKET.sub(lambda m: "" if _VERDICT.search(m.group(1)) else m.group(0), text)
    sents = [s for s in split_sentences(text) if not (_CONCLUSION.search(s) or _BARE.search(s))]
    return "".join(sents)


# ---------------------------------------------------------------- echo group


def stem_echo(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Stem and option fragments (random cut points) joined by connectives, then the right letter.

    >>> it = {"id": "1", "question": "可出现甲状腺肿大伴震颤的是", "answer": ["B"],
    ...       "options": [{"label": "A", "text": "单纯性甲状腺肿"}, {"label": "B", "text": "甲亢"}], "cot": "x"}
    >>> "B" in stem_echo(it, [it], random.Random(0))
    True
    """
    opts = [fold(o["text"]) for o in item["options"]]
    if rng.random() < 0.25:  # options echoed with their letters ("A急性胃炎")
        opts = [o["label"] + rng.choice(["", ".", "、"]) + t for o, t in zip(item["options"], opts)]
    if rng.random() < 0.3:
        rng.shuffle(opts)
    source = fold(item["question"]) + "".join(opts)
    source = re.sub(r"[\s。，,、:：;；?？!！()（）]+", "", source)
    if len(source) < 6:
        return None
    lo = rng.randint(2, 4)
    hi = lo + rng.randint(1, 5)
    pieces, i = [], 0
    while i < len(source):
        n = rng.randint(lo, hi)
        pieces.append(source[i : i + n])
        i += n
    if rng.random() < 0.4:
        pieces = [p for p in pieces if rng.random() > 0.25] or pieces
    if rng.random() < 0.25:  # fragments out of order, not only the stem read left to right
        rng.shuffle(pieces)
    sep = rng.choice(["、", "、", "，", ",", " ", "；", ""])
    n_sent = rng.randint(1, min(4, len(pieces)))
    cuts = sorted(rng.sample(range(1, len(pieces)), n_sent - 1)) if n_sent > 1 else []
    groups = [pieces[a:b] for a, b in zip([0, *cuts], [*cuts, len(pieces)])]
    sents = [_connective(rng) + sep.join(g) + rng.choice(["。", "。", "；", "."]) for g in groups]
    if rng.random() < 0.3:
        sents.insert(rng.randrange(1, len(sents) + 1), _connective(rng) + "。")
    if rng.random() < 0.6:
        bs = rng.sample(_p("buzzwords"), rng.randint(2, 4))
        tail = _fill(rng.choice(["{X}均需考虑", "{X}都要注意", "需结合{X}", "{X}不可忽视", "兼顾{X}", "{X}需综合分析"]), rng, X="、".join(bs))
        sents.append(_end(_connective(rng) + tail, rng))
    return fold("".join(sents) + answer_frame(item, rng))


def template_sentences(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """"<stem term>与本题密切相关。"-like frames over stem terms, then the answer.

    >>> "碘缺乏" in template_sentences(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    terms = _terms(item, rng, 2, 7)
    if not terms:
        return None
    k = rng.randint(2, 6)
    frames = rng.sample(_p("templates"), min(k, len(_p("templates"))))
    sents = [_fill(rng.choice(frames), rng, T=t) for t in terms]
    return fold(_place(_joiner(rng).join(sents), answer_frame(item, rng), rng))


def stem_paraphrase(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The question restated ("本题问的是<stem>"), maybe the gold option text named, then the letter.

    >>> "甲状腺肿大的病因" in stem_paraphrase(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    q = fold(item["question"]).strip().rstrip("。?？:：")
    if not q:
        return None
    parts = [_fill(rng.choice(_p("stem_frames")), rng, Q=q) + _comma(rng)]
    if rng.random() < 0.5:
        parts.append(_fill(rng.choice(_p("gold_frames")), rng, G="、".join(_gold_texts(item))))
    if rng.random() < 0.3:
        parts.append(_fluff_sentence(rng))
    parts.append(answer_frame(item, rng))
    return fold("".join(parts))


def gold_restate(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The gold option's text asserted again and again ("<gold>符合题意。") with stem terms, then the letter.

    >>> gold_restate(EXAMPLE, [EXAMPLE], random.Random(0)).count("碘缺乏") >= 1
    True
    """
    gold = "、".join(_gold_texts(item))
    if not gold:
        return None
    sents = [_fill(f, rng, G=gold) for f in rng.sample(_p("gold_frames"), rng.randint(1, 4))]
    for t in _terms(item, rng, 0, 3):
        if t != gold:
            sents.insert(rng.randrange(len(sents) + 1), _end(t + _comma(rng) + gold, rng))
    return fold(_place(_joiner(rng).join(sents), answer_frame(item, rng), rng))


def heading_skeleton(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Section headings (【题干分析】 / Step 1: ...) filled with stem terms and bare option lines.

    >>> "A" in heading_skeleton(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    terms = _terms(item, rng, 2, 6)
    if not terms:
        return None
    heads = rng.sample(_p("sections"), rng.randint(2, 4))
    nl = rng.choice(["\n", "\n", " ", ""])
    blocks = []
    for j, h in enumerate(heads):
        if j == 1 and rng.random() < 0.6:
            body = nl.join(f"{o['label']}{rng.choice(['.', '、', ':', '项'])}{fold(o['text'])}" for o in item["options"])
        else:
            chunk = terms[j::len(heads)] or terms[:1]
            body = _end(rng.choice(["、", "，", " ", "；"]).join(chunk), rng)
        blocks.append(h + nl + body)
    blocks.append(rng.choice(_p("sections")) + nl + answer_frame(item, rng))
    return fold(("\n" if nl else "").join(blocks))


# ---------------------------------------------------------------- salad group


def buzzword_salad(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Clinical buzzwords in cue frames with no claim attached, no stem entities; then the letter.

    >>> "C" in buzzword_salad({"answer": ["C"]}, [], random.Random(0))
    True
    """
    cues = [_buzz_cue(rng) for _ in range(rng.randint(3, 8))]
    if rng.random() < 0.5:
        body = _connective(rng) + _comma(rng).join(cues)
        body = _end(body, rng)
    else:
        body = _joiner(rng).join(_end(rng.choice(["", _connective(rng)]) + c, rng) for c in cues)
    return fold(_place(body, answer_frame(item, rng), rng))


def buzzword_salad_entities(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Buzzword cue frames with the stem's entities mixed in ("<entity>的鉴别诊断需考虑"); then the letter.

    >>> "A" in buzzword_salad_entities(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    terms = _terms(item, rng, 2, 6)
    if len(terms) < 2:
        return None
    parts = []
    for t in terms:
        t2 = rng.choice([x for x in terms if x != t])
        b, b2 = rng.sample(_p("buzzwords"), 2)
        parts.append(_fill(rng.choice(_p("entity_frames")), rng, T=t, T2=t2, B=b, B2=b2))
        if rng.random() < 0.35:
            parts.append(_buzz_cue(rng))
    if rng.random() < 0.5:
        body = _end(_connective(rng) + _comma(rng).join(parts), rng)
    else:
        body = _joiner(rng).join(_end(p, rng) for p in parts)
    return fold(_place(body, answer_frame(item, rng), rng))


def relation_salad(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Well-formed sentences with predicates linking random pairs of stem/option entities
    ("<A>可导致<B>", "<A>需与<B>相鉴别") — grammatical, on topic, and reasoning about nothing.

    >>> out = relation_salad(EXAMPLE, [EXAMPLE], random.Random(0))
    >>> "A" in out and ("碘缺乏" in out or "感染" in out or "病因" in out)
    True
    """
    terms = stem_terms(item)
    if len(terms) < 2:
        return None
    sents = []
    for _i in range(rng.randint(2, 6)):
        a, b = rng.sample(terms, 2)
        s = _fill(rng.choice(_p("relations")), rng, A=a, B=b)
        if rng.random() < 0.3:
            s = _connective(rng) + s
        sents.append(_end(s, rng))
    return fold(_place(_joiner(rng).join(sents), answer_frame(item, rng), rng))


def cue_phrases(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Cue phrases with nothing after them ("鉴别诊断需考虑。", "诊断依据如下：") around the answer.

    >>> "D" in cue_phrases({"answer": ["D"]}, [], random.Random(0))
    True
    """
    cues = []
    for _i in range(rng.randint(3, 8)):
        if rng.random() < 0.7:
            cues.append(rng.choice(_p("buzzwords")) + rng.choice(_p("cue_tails")))
        else:
            cues.append(rng.choice(_p("cue_standalone")))
    cues.insert(rng.randrange(len(cues) + 1), answer_frame(item, rng))
    if rng.random() < 0.4:
        cues.append(answer_frame(item, rng))
    return fold(rng.choice(["", "\n", "\n", " "]).join(cues))


def mixed_language(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """English (or Chinese-English) buzzwords and stem terms in frames, then "Therefore the answer is B".

    >>> "A" in mixed_language(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    terms = _terms(item, rng, 1, 5) or ["this question"]
    sents = []
    for _i in range(rng.randint(2, 6)):
        t, t2 = rng.choice(terms), rng.choice(terms)
        b, b2 = rng.sample(_p("buzz_en"), 2)
        sents.append(_fill(rng.choice(_p("frames_en")), rng, T=t, T2=t2, B=b, B2=b2))
    r = rng.random()
    pool = "answer_en" if r < 0.3 else "answer_mixed" if r < 0.7 else "answer_zh"
    return fold(_place(rng.choice([" ", "\n", ""]).join(sents), answer_frame(item, rng, pool=pool), rng))


# ---------------------------------------------------------------- list group


def _list_body(terms: list[str], rng: random.Random, layout: str) -> str:
    if layout == "comma":
        return rng.choice(["，", ",", ", ", "，", " , ", "; ", "；"]).join(terms)
    if layout == "dun":
        return "、".join(terms)
    if layout == "bullets":
        mark = rng.choice(["-", "•", "*", "·", "▪", "○", "◆", "→", "—", "+", "√", "►"])
        return "\n".join(mark + rng.choice([" ", "", " "]) + t for t in terms)
    if layout == "numbered":
        cn, circ = "一二三四五六七八九十", "①②③④⑤⑥⑦⑧⑨⑩"
        fmt = rng.choice(["{n}. ", "{n}、", "({n})", "（{n}）", "{c}", "{n})", "第{n}点：", "[{n}]", "{z}、", "({z})", "{n}.", "#{n} "])
        sep = rng.choice(["\n", "\n", " ", "；", ""])
        return sep.join(fmt.format(n=j + 1, c=circ[j % 10], z=cn[j % 10]) + t for j, t in enumerate(terms))
    if layout == "newline":
        end = rng.choice(["", "", "。", "；", ","])
        return rng.choice(["\n", "\n\n"]).join(t + end for t in terms)
    raise ValueError(f"layout {layout!r}; expected comma, dun, bullets, numbered or newline")


def _keyword_list(item: dict, rng: random.Random, layout: str) -> str | None:
    """Optional filler heading, stem/option terms in ``layout``, then an answer frame.

    >>> out = _keyword_list(EXAMPLE, random.Random(0), "dun")
    >>> "、" in out and "A" in out
    True
    """
    terms = _terms(item, rng, 3, 9)
    if len(terms) < 2:
        return None
    body = _list_body(terms, rng, layout)
    head = rng.choice(_p("headings")) if rng.random() < 0.75 else ""
    hsep = rng.choice(["\n", "", " "]) if head else ""
    tail_sep = rng.choice(["\n", "\n", "。", " ", ""])
    text = head + hsep + body + tail_sep + answer_frame(item, rng)
    if rng.random() < 0.15:
        text = answer_frame(item, rng) + "\n" + head + hsep + body
    return fold(text)


def _list_attack(layout: str, what: str) -> Attack:
    def attack(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
        return _keyword_list(item, rng, layout)

    attack.__name__ = attack.__qualname__ = f"keyword_list_{layout}"
    attack.__doc__ = f"Optional filler heading, stem/option terms {what}, then an answer frame."
    return attack


keyword_list_comma = _list_attack("comma", "as a comma list")
keyword_list_dun = _list_attack("dun", "joined by 、")
keyword_list_bullets = _list_attack("bullets", "as a bullet list (-, •, *, · ...)")
keyword_list_numbered = _list_attack("numbered", "as a numbered list (1. / 1、 / (1) / ① / 一、 ...)")
keyword_list_newline = _list_attack("newline", "one per line")


def options_verdicts(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The options copied verbatim with verdicts (A. xxx 错误; B. xxx 正确) but no reasons.

    For an exception question ("除...外", "不属于") the gold options get the 错 verdicts, as real
    explanations mark them.

    >>> "碘缺乏" in options_verdicts(EXAMPLE, [EXAMPLE], random.Random(0))
    True
    """
    opts = list(item["options"])
    if len(opts) < 2:
        return None
    if rng.random() < 0.3:
        rng.shuffle(opts)
    neg_q = is_negative_question(fold(item["question"]))
    gold = set(item["answer"])
    layout = rng.randrange(7)
    # Bracket layouts use the verdict words the CMExam house style uses; prose layouts any of them.
    pos_pool = ["对", "正确"] if layout == 1 else _p("verdict_pos")
    neg_pool = ["错", "错误"] if layout == 1 else _p("verdict_neg")
    pos, neg = rng.choice(pos_pool), rng.choice(neg_pool)
    lines = []
    for o in opts:
        lab, txt = o["label"], fold(o["text"])
        v = pos if (lab in gold) != neg_q else neg
        lines.append(
            [
                f"{lab}. {txt} {v}",
                f"{txt}({lab}{v})",
                f"{lab}项{txt}:{v}",
                f"| {lab} | {txt} | {v} |",
                f"{lab}、{txt}——{v}",
                f"选项{lab}({txt}){v}",
                f"{lab}: {txt} -> {v}",
            ][layout]
        )
    sep = "\n" if layout == 3 else rng.choice(["；", "\n", "。", " ", "，"])
    body = sep.join(lines)
    if layout == 3:
        body = rng.choice(["| 选项 | 内容 | 判断 |\n|---|---|---|\n", "| 选项 | 内容 | 结论 |\n|---|---|---|\n", ""]) + body
    if rng.random() < 0.4:
        body = rng.choice(_p("headings")) + "\n" + body
    if layout != 1 or rng.random() < 0.5:
        body = body + rng.choice(["\n", "。", " "]) + answer_frame(item, rng)
    return fold(body)


def options_pseudo_reasons(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Every option discussed with a generic pseudo-reason ("与题干不符", "符合题干描述") in the
    option-by-option shape of real explanations, but with nothing specific to the option.

    >>> out = options_pseudo_reasons(EXAMPLE, [EXAMPLE], random.Random(0))
    >>> "碘缺乏" in out and "感染" in out
    True
    """
    opts = list(item["options"])
    if len(opts) < 2:
        return None
    neg_q = is_negative_question(fold(item["question"]))
    gold = set(item["answer"])
    frames = rng.sample(_p("pseudo_frames"), rng.randint(1, 3))
    pos_v, neg_v = rng.choice([("对", "错"), ("正确", "错误"), ("√", "×")])
    order = opts if rng.random() < 0.6 else sorted(opts, key=lambda o: o["label"] not in gold)
    sents = []
    for o in order:
        is_gold = o["label"] in gold
        # In an exception question the answer is the statement that is wrong.
        reason = rng.choice(_p("pseudo_pos") if is_gold else _p("pseudo_neg"))
        verdict = pos_v if is_gold != neg_q else neg_v
        sents.append(_fill(rng.choice(frames), rng, L=o["label"], T=fold(o["text"]), R=reason, V=verdict))
    body = _joiner(rng).join(sents)
    if rng.random() < 0.3:
        body = _fluff_sentence(rng) + body
    return fold(body + (answer_frame(item, rng) if rng.random() < 0.7 else ""))


# ---------------------------------------------------------------- padding group


def pad_unrelated(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The real explanation followed, preceded or interleaved by another question's explanation.

    >>> a = {"id": "a", "cot": "甲病因为碘缺乏。"}
    >>> b = {"id": "b", "cot": "乙病首选手术。"}
    >>> sorted(pad_unrelated(a, [a, b], random.Random(0)).split("。"))
    ['', '乙病首选手术', '甲病因为碘缺乏']
    """
    other = _other_item(item, items, rng)
    if other is None:
        return None
    own = split_sentences(item["cot"])
    pad_text = fold(other["cot"])
    if rng.random() < 0.5:
        pad_text = _strip_verdicts(pad_text) or pad_text
    pad = split_sentences(pad_text)
    r = rng.random()
    if r < 0.5:
        out = own + pad
    elif r < 0.75:
        out = pad + own
    else:
        out = list(own)
        for s in pad:
            out.insert(rng.randrange(len(out) + 1), s)
    return fold("".join(s if s[-1] in "。!?;\n" else s + "。" for s in out))


def _boiler_sentence(rng: random.Random) -> str:
    s = rng.choice(_p("boiler_modals")) + rng.choice(_p("boiler_actions"))
    if rng.random() < 0.7:
        s = rng.choice(_p("boiler_prefixes")) + rng.choice(["，", "", ",", "，", "，一般"]) + s
    if rng.random() < 0.3:
        s += rng.choice(["，", "，同时", "，并且", "；此外", "，还要", "，另外"]) + rng.choice(_p("boiler_actions"))
    return _end(s, rng)


def pad_boilerplate(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The real explanation padded with fluent generic clinical boilerplate of comparable length.

    >>> out = pad_boilerplate({"cot": "甲病因为碘缺乏。"}, [], random.Random(0))
    >>> "甲病因为碘缺乏。" in out and len(out) > 12
    True
    """
    own = split_sentences(item["cot"])
    if not own:
        return None
    target = sum(map(len, own)) * rng.uniform(0.6, 1.4)
    pad, total = [], 0
    while total < target:
        s = _boiler_sentence(rng)
        pad.append(s)
        total += len(s)
    r = rng.random()
    if r < 0.4:
        out = own + pad
    elif r < 0.6:
        out = pad + own
    else:
        out = list(own)
        for s in pad:
            out.insert(rng.randrange(len(out) + 1), s)
    return fold("".join(out))


def duplicate_sentences(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Some sentences of the real explanation duplicated, next to themselves or elsewhere.

    >>> duplicate_sentences({"cot": "甲。乙。"}, [], random.Random(0)).count("。")
    3
    """
    sents = split_sentences(item["cot"])
    if not sents:
        return None
    sents = [s if s[-1] in "。!?;\n" else s + "。" for s in sents]
    k = rng.randint(1, max(1, (len(sents) + 1) // 2))
    out = list(sents)
    for s in rng.sample(sents, min(k, len(sents))):
        for _i in range(rng.choice([1, 1, 2])):
            if rng.random() < 0.5:
                out.insert(out.index(s) + 1, s)
            else:
                out.insert(rng.randrange(len(out) + 1), s)
    return fold("".join(out))


def duplicate_paragraph(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The whole explanation repeated 2-3 times, with optional connectors between the copies.

    >>> duplicate_paragraph({"cot": "甲病因为碘缺乏。"}, [], random.Random(0)).count("甲病") >= 2
    True
    """
    text = fold(item["cot"]).strip()
    if not text:
        return None
    n = rng.choice([2, 2, 3])
    out = text
    for _i in range(n - 1):
        out += rng.choice(_p("repeat_connectors")) + text
    return fold(out)


def length_inflation(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The real text inflated 2-3x with hedges ("也就是说，", "值得注意的是，") and restatements.

    >>> len(length_inflation({"cot": "甲病因为碘缺乏。乙病首选手术。"}, [], random.Random(0))) > 30
    True
    """
    sents = split_sentences(item["cot"])
    if not sents:
        return None
    base = sum(map(len, sents))
    target = base * rng.uniform(2.0, 3.0)
    out = [s if s[-1] in "。!?;\n" else s + "。" for s in sents]
    total, guard = base, 0
    while total < target and guard < 200:
        guard += 1
        j = rng.randrange(len(sents))
        src = _strip_verdicts(sents[j]).rstrip("。!?;\n") or sents[j].rstrip("。!?;\n")
        clauses = [c for c in re.split(r"[,;:，；：]", src) if c]
        if rng.random() < 0.5 and len(clauses) > 1:
            a = rng.randrange(len(clauses))
            src = ",".join(clauses[a : a + rng.randint(1, len(clauses) - a)])
        add = rng.choice(_p("hedges")) + src + rng.choice(["。", "。", "；", "。"])
        pos = rng.randrange(len(out) + 1)
        out.insert(pos, add)
        total += len(add)
    return fold("".join(out))


# ---------------------------------------------------------------- letter group


def letter_after_fluff(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Content-free exam talk ("这道题考查的知识点很重要……"), then the right letter.

    >>> "E" in letter_after_fluff({"answer": ["E"]}, [], random.Random(0))
    True
    """
    return fold(_place(_fluff(rng, 2, 6), answer_frame(item, rng), rng))


def bare_answer(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Just the answer in a frame, optionally with one generic sentence.

    >>> "A" in bare_answer({"answer": ["A"]}, [], random.Random(0))
    True
    """
    ans = _any_answer(item, rng, en=0.1)
    r = rng.random()
    if r < 0.5:
        return fold(ans)
    s = _fluff_sentence(rng) if rng.random() < 0.6 else _boiler_sentence(rng)
    return fold(s + _joiner(rng) + ans if r < 0.8 else ans + _joiner(rng) + s)


def answer_spam(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The right answer stated again and again in different frames, maybe around one stem term.

    >>> answer_spam({"answer": ["B"], "question": "", "options": []}, [], random.Random(0)).count("B") >= 3
    True
    """
    frames = [_any_answer(item, rng, en=0.1) for _ in range(rng.randint(3, 7))]
    terms = _terms(item, rng, 0, 2)
    for t in terms:
        frames.insert(rng.randrange(len(frames) + 1), _end(t, rng))
    return fold(rng.choice(["", "\n", " ", ""]).join(frames))


def tautology(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Circular "reasons" ("B正确，因为B是对的。", "排除A、C、D，剩下B。") plus an answer frame.

    >>> it = {"answer": ["B"], "options": [{"label": "A", "text": "x"}, {"label": "B", "text": "y"}]}
    >>> "B" in tautology(it, [], random.Random(0))
    True
    """
    gold = sorted(item["answer"])
    others = [lab for lab in _labels(item) if lab not in gold]
    if not others:
        return None
    letters = _letters_str(item, rng)
    sents = [
        _fill(f, rng, L=letters, O=rng.choice(["、", "", ","]).join(others))
        for f in rng.sample(_p("tautologies"), rng.randint(1, 3))
    ]
    if rng.random() < 0.4:
        sents.insert(0, _fluff_sentence(rng))
    return fold(_place(_joiner(rng).join(sents), answer_frame(item, rng), rng))


# ---------------------------------------------------------------- misleading group


def option_swap(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """The gold option's text and a distractor's text swapped in the real explanation; letters kept.

    The reasoning then argues for the distractor while every letter (verdict markers, "故选B") still
    names the gold answer. When the distractor's text does not occur, the gold text is only
    replaced by it. None when the gold text does not occur, or for multi-answer items.

    >>> it = {"id": "1", "question": "q", "answer": ["B"], "cot": "首先考虑急性胰腺炎（B对）。急性胃炎（A错）无反跳痛。",
    ...       "options": [{"label": "A", "text": "急性胃炎"}, {"label": "B", "text": "急性胰腺炎"}]}
    >>> option_swap(it, [it], random.Random(0))
    '首先考虑急性胃炎(B对)。急性胰腺炎(A错)无反跳痛。'
    """
    if len(item["answer"]) != 1:
        return None
    text = fold(item["cot"])
    gold = item["answer"][0]
    texts = {o["label"]: fold(o["text"]).strip() for o in item["options"]}
    tg = texts.get(gold, "")
    if len(tg) < 2 or tg not in text:
        return None
    cands = [
        lab for lab, t in texts.items()
        if lab != gold and len(t) >= 2 and t not in tg and tg not in t
    ]
    if not cands:
        return None
    present = [lab for lab in cands if texts[lab] in text]
    lab = rng.choice(present or cands)
    tw = texts[lab]
    new = text.replace(tg, "\x00").replace(tw, tg).replace("\x00", tw)
    return new if new != text else None


@lru_cache(maxsize=None)
def _negation_rules(wording: str) -> list[tuple[re.Pattern, str]]:
    return [(re.compile(a), b) for a, b in _pool("negation_rules", wording)]


def _negation_spans(s: str, protected: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, replacement) claim flips in ``s``, longer matches first."""
    cands = []
    for rx, rep in _negation_rules(_WORDING.get()):
        for m in rx.finditer(s):
            if not any(a < m.end() and m.start() < b for a, b in protected):
                cands.append((m.start(), m.end(), rep))
    cands.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    out: list[tuple[int, int, str]] = []
    for c in cands:
        if not out or c[0] >= out[-1][1]:
            out.append(c)
    return out


_VERDICT_FLIP = {"对": "错", "错": "对", "正确": "错误", "错误": "正确", "不正确": "正确", "√": "×", "×": "√"}


def _flip_verdict_words(bracket: str, gold: set[str]) -> str:
    """Flip the verdict words that follow a gold letter inside one bracket ("(B对AC错)" -> "(B错AC错)").

    >>> _flip_verdict_words("(B对AC错)", {"B"})
    '(B错AC错)'
    """
    if not _VERDICT.search(bracket):
        return bracket

    def one(m: re.Match) -> str:
        if set(m.group(1)) & gold:
            return m.group(0)[: m.start(2) - m.start(0)] + _VERDICT_FLIP[m.group(2)] + m.group(0)[m.end(2) - m.start(0) :]
        return m.group(0)

    return _VERDICT.sub(one, bracket)


def negation_flip(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Key claims negated (是首选 -> 不是首选, 常见 -> 罕见, 升高 -> 降低), the letters kept right.

    Claims in the sentences about the gold option (its text or its verdict letter) are flipped
    first; sometimes claims elsewhere too. Option texts stay. Mostly the verdict brackets stay, so
    the stated answer is unchanged; in a quarter of the instances the gold option's own verdict is
    flipped as well ("(B对)" -> "(B错)") and a conclusion ("故选B") appended to keep the letter right.

    >>> it = {"id": "1", "question": "q", "answer": ["B"], "cot": "急性胰腺炎为首选诊断（B对）。急性胃炎无反跳痛（A错）。",
    ...       "options": [{"label": "A", "text": "急性胃炎"}, {"label": "B", "text": "急性胰腺炎"}]}
    >>> out = negation_flip(it, [it], random.Random(0))
    >>> out != fold(it["cot"]) and "(B对)" in out
    True
    """
    sents = split_sentences(item["cot"])
    if not sents:
        return None
    gold = set(item["answer"])
    gtexts = [t for t in _gold_texts(item) if len(t) >= 2]
    otexts = [fold(o["text"]) for o in item["options"] if len(fold(o["text"])) >= 2]

    def about_gold(s: str) -> bool:
        if any(t in s for t in gtexts):
            return True
        for b in _BRACKET.finditer(s):
            m = _VERDICT.search(b.group(1))
            if m and set(re.findall(r"[A-H]", m.group(1))) & gold:
                return True
        return False

    def flip(s: str, p: float) -> str:
        # Verdict brackets ("(B对)") and option texts stay intact: only prose claims flip.
        protected = [m.span() for m in _BRACKET.finditer(s)]
        for t in otexts:
            protected += [m.span() for m in re.finditer(re.escape(t), s)]
        out, last = [], 0
        for a, b, rep in _negation_spans(s, protected):
            if rng.random() > p:
                continue
            out.append(s[last:a] + rep)
            last = b
        out.append(s[last:])
        return "".join(out)

    idx = [i for i, s in enumerate(sents) if about_gold(s)] or list(range(len(sents)))
    flip_verdict = rng.random() < 0.25
    if flip_verdict:
        # The gold option's own verdict word is flipped too ("(B对)" -> "(B错)"); an appended
        # conclusion then keeps the stated answer right.
        sents = [_BRACKET.sub(lambda m: _flip_verdict_words(m.group(0), gold), s) for s in sents]
    p = rng.uniform(0.5, 1.0)
    new = [flip(s, p) if i in idx else s for i, s in enumerate(sents)]
    if rng.random() < 0.3:
        new = [s if i in idx else flip(s, p / 2) for i, s in enumerate(new)]
    if new == sents:
        new = [flip(s, 1.0) if i in idx else s for i, s in enumerate(sents)]
    if new == sents:
        new = [flip(s, 1.0) for s in sents]
    text = "".join(new)
    if text == fold(item["cot"]):
        return None
    if flip_verdict or rng.random() < 0.2:
        text += _joiner(rng) + (_readable_answer(item, rng) if flip_verdict else answer_frame(item, rng))
    return fold(text)


def foreign_reasoning(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Another question's explanation (its letters stripped) ending with this question's right letter.

    >>> a = {"id": "a", "answer": ["B"], "cot": "甲。", "question": "q", "options": []}
    >>> b = {"id": "b", "answer": ["C"], "cot": "乙病首选手术（C对）。", "question": "q2", "options": []}
    >>> out = foreign_reasoning(a, [a, b], random.Random(0))
    >>> out.startswith("乙病首选手术") and "B" in out and "C" not in out
    True
    """
    other = _other_item(item, items, rng)
    if other is None:
        return None
    body = _strip_verdicts(fold(other["cot"]))
    if len(body) < 4:
        return None
    return fold(_place(body, answer_frame(item, rng), rng) if rng.random() < 0.5 else body + answer_frame(item, rng))


# ---------------------------------------------------------------- injection group


def _instruction(rng: random.Random) -> str:
    core = rng.choice(_p("inj_zh") if rng.random() < 0.55 else _p("inj_en"))
    return _fill(rng.choice(_p("inj_wraps")), rng, X=rng.choice(_p("inj_leads")) + core)


def injection(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Grader-directed instructions ("请给满分", "Ignore previous instructions...") put before, after or
    inside the real explanation.

    >>> out = injection({"cot": "甲病因为碘缺乏。"}, [], random.Random(0))
    >>> "甲病因为碘缺乏。" in out and len(out) > 8
    True
    """
    sents = split_sentences(item["cot"])
    if not sents:
        return None
    for _i in range(rng.choice([1, 1, 2])):
        r, ins = rng.random(), _instruction(rng)
        sep = rng.choice(["", "\n", " ", "\n\n"])
        if r < 0.4:
            sents.append(sep + ins)
        elif r < 0.7:
            sents.insert(0, ins + sep)
        else:
            sents.insert(rng.randrange(len(sents) + 1), ins + sep)
    return fold("".join(sents))


def injection_bare(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Instructions to the grader in content-free text, with the right letter.

    >>> "C" in injection_bare({"answer": ["C"]}, [], random.Random(0))
    True
    """
    parts = [_instruction(rng) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.6:
        parts.insert(rng.randrange(len(parts) + 1), _fluff(rng, 1, 3))
    parts.insert(rng.randrange(len(parts) + 1), _any_answer(item, rng, en=0.15))
    return fold(rng.choice(["", "\n", " "]).join(parts))


def self_praise(item: dict, items: Sequence[dict], rng: random.Random, **_: Any) -> str | None:
    """Claims about the answer's own quality ("本解析逻辑严密、论证充分") with the right letter.

    >>> "A" in self_praise({"answer": ["A"], "question": "q", "options": []}, [], random.Random(0))
    True
    """
    sents = []
    for _i in range(rng.randint(1, 3)):
        subj = rng.choice(_p("praise_subjects"))
        if subj[0].isascii():
            qs = rng.sample(_p("praise_en"), rng.randint(2, 3))
            sents.append(f"{subj} is {', '.join(qs[:-1])} and {qs[-1]}.")
        else:
            qs = rng.sample(_p("praise_qualities"), rng.randint(2, 4))
            sents.append(_end(subj + rng.choice(["", "：", "，"]) + rng.choice(["、", "，", "且"]).join(qs), rng))
    terms = _terms(item, rng, 0, 3)
    if terms and rng.random() < 0.5:
        sents.insert(0, _end(rng.choice(["本题涉及", "围绕", "关于", ""]) + "、".join(terms), rng))
    return fold(_place(_joiner(rng).join(sents), answer_frame(item, rng), rng))


# ---------------------------------------------------------------- registry

ATTACKS: dict[str, Attack] = {
    "stem_echo": stem_echo,
    "template_sentences": template_sentences,
    "stem_paraphrase": stem_paraphrase,
    "gold_restate": gold_restate,
    "heading_skeleton": heading_skeleton,
    "buzzword_salad": buzzword_salad,
    "buzzword_salad_entities": buzzword_salad_entities,
    "relation_salad": relation_salad,
    "cue_phrases": cue_phrases,
    "mixed_language": mixed_language,
    "keyword_list_comma": keyword_list_comma,
    "keyword_list_dun": keyword_list_dun,
    "keyword_list_bullets": keyword_list_bullets,
    "keyword_list_numbered": keyword_list_numbered,
    "keyword_list_newline": keyword_list_newline,
    "options_verdicts": options_verdicts,
    "options_pseudo_reasons": options_pseudo_reasons,
    "pad_unrelated": pad_unrelated,
    "pad_boilerplate": pad_boilerplate,
    "duplicate_sentences": duplicate_sentences,
    "duplicate_paragraph": duplicate_paragraph,
    "length_inflation": length_inflation,
    "letter_after_fluff": letter_after_fluff,
    "bare_answer": bare_answer,
    "answer_spam": answer_spam,
    "tautology": tautology,
    "option_swap": option_swap,
    "negation_flip": negation_flip,
    "foreign_reasoning": foreign_reasoning,
    "injection": injection,
    "injection_bare": injection_bare,
    "self_praise": self_praise,
}

GROUPS: dict[str, str] = {
    **dict.fromkeys(["stem_echo", "template_sentences", "stem_paraphrase", "gold_restate", "heading_skeleton"], "echo"),
    **dict.fromkeys(
        ["buzzword_salad", "buzzword_salad_entities", "relation_salad", "cue_phrases", "mixed_language"], "salad"
    ),
    **dict.fromkeys(
        ["keyword_list_comma", "keyword_list_dun", "keyword_list_bullets", "keyword_list_numbered",
         "keyword_list_newline", "options_verdicts", "options_pseudo_reasons"],
        "list",
    ),
    **dict.fromkeys(
        ["pad_unrelated", "pad_boilerplate", "duplicate_sentences", "duplicate_paragraph", "length_inflation"],
        "padding",
    ),
    **dict.fromkeys(["letter_after_fluff", "bare_answer", "answer_spam", "tautology"], "letter"),
    **dict.fromkeys(["option_swap", "negation_flip", "foreign_reasoning"], "misleading"),
    **dict.fromkeys(["injection", "injection_bare", "self_praise"], "injection"),
}

# The text states the gold letter, but its reasoning does not support it: correctness must drop.
RIGHT_LETTER: frozenset[str] = frozenset(
    name for name, g in GROUPS.items() if g in {"echo", "salad", "list", "letter", "misleading"}
) | {"injection_bare", "self_praise"}

# One line per family: the first paragraph of its docstring.
DESCRIPTIONS: dict[str, str] = {
    name: " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split()) for name, fn in ATTACKS.items()
}


def generate(
    family: str, items: Sequence[dict], *, seed: int = 13, wording: str = "all", **kwargs: Any
) -> list[tuple[int, str]]:
    """Instances of one family: ``(index into items, gamed text)`` for every item it applies to.

    One RNG per (seed, family, item id), seeded with ``zlib.crc32`` like ``validation.run_validity``,
    so a result never depends on iteration order or on the other items' draws.

    Args:
        family: a key of :data:`ATTACKS`.
        items: canonical items.
        seed: the seed.
        wording: ``"all"`` the whole wording pools; ``"fit"`` / ``"eval"`` their disjoint halves
            (fit a scorer on one, measure on the other: in-family but unseen wordings).
        **kwargs: passed to the attack (none of the built-in ones needs any).

    Returns:
        The instances, in item order.

    Raises:
        KeyError: unknown family (the message lists the known ones).
        ValueError: unknown ``wording``.

    >>> it = {"id": "x", "question": "q", "options": [], "answer": ["B"], "cot": "甲。"}
    >>> generate("bare_answer", [it], seed=1) == generate("bare_answer", [it], seed=1)
    True
    """
    if family not in ATTACKS:
        raise KeyError(f"unknown attack family {family!r}; expected one of {', '.join(ATTACKS)}")
    if wording not in WORDINGS:
        raise ValueError(f"wording {wording!r}; expected one of {', '.join(WORDINGS)}")
    fn = ATTACKS[family]
    out = []
    token = _WORDING.set(wording)
    try:
        for i, it in enumerate(items):
            rng = random.Random(zlib.crc32(f"{seed}:{family}:{it['id']}".encode()))
            text = fn(it, items, rng, **kwargs)
            if text is not None and text.strip():
                out.append((i, text))
    finally:
        _WORDING.reset(token)
    return out


# ---------------------------------------------------------------- diversity measurement

_WORDING_CHARS = re.compile(r"[\W_]", re.UNICODE)
# A unit is a whole Latin word or one other non-space character ("tion" is not English wording).
_UNIT = re.compile(r"[A-Za-z]{2,}|\S")


def _mask_item(text: str, item: dict, *, extra: Sequence[str] = ()) -> str:
    """Replace every run of 2+ characters that occurs in the item's own text by NUL; letters too."""
    src = "\x01".join(
        [fold(item.get("question", "")), fold(item.get("cot", "")), *(fold(o["text"]) for o in item.get("options", [])), *extra]
    )
    out, i, n = [], 0, len(text)
    while i < n:
        j = i + 1
        while j <= n and text[i:j] in src:
            j += 1
        if j - 1 - i >= 2:
            out.append("\x00" * (j - 1 - i))
            i = j - 1
        else:
            out.append(text[i])
            i += 1
    return re.sub(r"[A-Ha-h]", "\x00", "".join(out))


def wording_grams(text: str, item: dict) -> set[str]:
    """The wording 4-grams of a gamed text: runs of 4 units (a unit is a CJK character, a mark, or
    a whole Latin word; spaces are dropped) with no unit taken from the item, and at least one unit
    that is not punctuation (punctuation-only runs are layout, not wording).

    >>> it = {"question": "甲状腺肿大", "cot": "", "options": []}
    >>> sorted(wording_grams("甲状腺肿大与本题相关。答案B", it))
    ['与本题相', '关。答案', '本题相关', '相关。答', '题相关。']
    """
    units = _UNIT.findall(_mask_item(text, item))
    grams = set()
    for k in range(len(units) - 3):
        g = units[k : k + 4]
        if "\x00" in g or all(_WORDING_CHARS.fullmatch(u) for u in g):
            continue
        grams.add("".join(g) if not any(u.isascii() and u.isalpha() for u in g) else " ".join(g))
    return grams


def wording_share(instances: Sequence[tuple[int, str]], items: Sequence[dict]) -> tuple[float, str]:
    """Share of instances containing the family's most frequent wording 4-gram, and that 4-gram.

    Args:
        instances: ``(index, text)`` pairs from :func:`generate`.
        items: the items the indices refer to.

    Returns:
        ``(share, gram)``; ``(0.0, "")`` when there are no wording 4-grams at all.

    >>> items = [{"question": "q", "cot": "", "options": []}] * 2
    >>> wording_share([(0, "本题答案B"), (1, "故选B")], items)
    (0.5, '本题答案')
    """
    counts: Counter[str] = Counter()
    for i, text in instances:
        counts.update(wording_grams(text, items[i]))
    if not counts or not instances:
        return 0.0, ""
    gram, c = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return c / len(instances), gram


def skeleton(text: str, item: dict) -> str:
    """The text with item material (runs of 2+ characters from the item, option letters) collapsed
    to one ``_`` per run: what is left is the family's wording and layout.

    >>> skeleton("甲状腺肿大与本题相关。答案B", {"question": "甲状腺肿大", "cot": "", "options": []})
    '_与本题相关。答案_'
    """
    return re.sub("\x00+", "_", _mask_item(text, item))


def main(argv: Sequence[str] | None = None) -> int:
    """Print per-family coverage, wording share and gold-extraction rate (the docstring's figures)."""
    from validation.run_validity import load_items

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="JSONL of exam items (CMExam keys)")
    ap.add_argument("--n", type=int, default=150, help="first N usable items")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--wording", choices=WORDINGS, default="all", help="which half of the wording pools")
    args = ap.parse_args(argv)
    try:
        items, _rej = load_items(args.data)
    except MedcotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    items = items[: args.n]
    print("| family | group | applies | wording share (top 4-gram) | distinct skeletons | gold extracted |")
    print("|---|---|---|---|---|---|")
    for fam in ATTACKS:
        inst = generate(fam, items, seed=args.seed, wording=args.wording)
        share, gram = wording_share(inst, items)
        ok = sum(
            (extract_answer(t, options=items[i]["options"], question=items[i]["question"]).labels or [])
            == sorted(items[i]["answer"])
            for i, t in inst
        )
        skel = len({skeleton(t, items[i]) for i, t in inst})
        print(
            f"| {fam} | {GROUPS[fam]} | {len(inst)}/{len(items)} | {share:.2f} ({gram!r}) |"
            f" {skel}/{len(inst)} | {ok / max(1, len(inst)):.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
