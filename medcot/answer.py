"""Final-answer extraction from Chinese chain-of-thought explanations.

Three kinds of evidence are recognised, strongest first:

1. an explicit conclusion — "故选C", "答案为：C", "正确答案是A、B", "本题选D", "应选 B 项", "选C",
   or the same with an option's *text* instead of its letter ("故选急性肝炎");
2. an inline verdict that designates the answer — "（B错，为本题正确答案）";
3. inline per-option verdicts as real exam explanations write them — "（C对）", "（B对AC错）",
   "（E对ABCD错）". For a question that asks for the exception ("除哪项外", "不会见于", "错误的是")
   the options marked 错 are the answer; otherwise those marked 对. When only 错 verdicts exist and
   they cover every option but one, the remaining option is the answer. An option "以上都是" /
   "A+B+C+D" is the answer when every other option is marked 对; in a single-answer exception
   question where 错 (or 对) marks every option but one, the odd one out is the answer;
4. as a weak last resort (no conclusion, no verdicts, not an exception question): the one option
   whose text the last substantive sentence names ("最可能的诊断是急性胰腺炎").

Full-width letters and punctuation are folded first (NFKC). The result says *how* the answer was
found (``method``) and shows the matched span (``evidence``); ``labels is None`` means "no answer
found", which is different from a wrong answer.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

logger = logging.getLogger(__name__)

__all__ = [
    "AnswerCheck",
    "Extraction",
    "check_answer",
    "extract_answer",
    "is_negative_question",
]

_L = "A-H"  # option letters recognised in prose (exam questions rarely go beyond E)

# Explicit conclusion: a trigger, then a letter group. The letter must not be followed by an ASCII
# letter ("本题是B族维生素" is not an answer; "B族" fails the lookahead below only through 族, so
# we also require what follows to be a boundary, "项", or a verdict word).
_TRIGGER = r"(?:正确答案|最佳答案|本题答案|参考答案|答案|故本题|本题|因此|所以|综上所述|综上|故而|故|应当|应|宜|当)"
# Conclusions may use lower-case letters ("答案是c"); inline verdict markers never do.
_LETTERS = r"([A-Ha-h](?:\s*(?:、|,|和|及|与|/|以及)?\s*[A-Ha-h])*)"
_AFTER = r"(?=$|[\s。.,;!?)\]、]|项|选项|为|是|正确|对|均|都)"
_CONCLUSION = re.compile(
    rf"{_TRIGGER}[^。;!?\n]{{0,6}}?(?:选择|选|为|是)\s*:?\s*(?:选项|答案)?\s*(?<![A-Za-z]){_LETTERS}{_AFTER}",
)
# A bare "选C" / "答案C" / "答案:C" anywhere.
_BARE = re.compile(
    rf"(?:选(?<![A-Za-z]选)|答案\s*:?)\s*(?:选项)?\s*(?<![A-Za-z]){_LETTERS}{_AFTER}"
)
# Conclusion followed by option text ("故选急性肝炎", "答案是胰头癌").
# Written out as one flat alternation whose every branch starts with a literal: the regex engine
# then jumps between candidate first characters instead of trying each branch at every position
# (~3x faster; the same matches as "(?:(?:正确答案|...|答案)\s*(?:应|应当)?(?:为|是)|(?:故本题|...)...)").
_CONCLUSION_TEXT = re.compile(
    "(?:"
    + "|".join(
        [
            rf"{t}\s*(?:应|应当)?(?:为|是)"
            for t in ("正确答案", "最佳答案", "本题答案", "答案")
        ]
        + [
            rf"{t}[^。;!?\n]{{0,4}}?选择?"
            for t in ("故本题", "本题", "故", "应当", "应", "所以", "因此", "综上")
        ]
    )
    + r")\s*:?\s*([^。;!?\n()]{2,40})"
)
# Inline verdicts inside brackets: "(C对)", "(B对AC错)", "(B错,为本题正确答案)".
_BRACKET = re.compile(r"[(\[【]([^()\[\]【】]{1,40})[)\]】]")
_VERDICT = re.compile(
    rf"(?<![A-Za-z])([{_L}](?:[、,]?[{_L}])*)\s*(?:项|选项)?\s*(正确|不正确|错误|对|错|√|×)"
)
_DESIGNATED = re.compile(
    r"本题的?(?:正确)?(?:答案|选项)|为正确(?:答案|选项)|当选|为本题所选|即为答案"
)
# "A项正确" / "选项B错误" written outside brackets.
_PROSE_VERDICT = re.compile(
    # The letter comes first (its "not after a letter" check is a lookbehind behind it) so the
    # regex engine can scan for the first character instead of trying every position.
    rf"(?:选项\s*([{_L}])|([{_L}])(?<![A-Za-z][{_L}])\s*项)(?:说法|描述|叙述)?\s*(正确|错误|不正确)"
)

_NEGATIVE_Q = re.compile(
    r"除了?(?:哪|何|下列|以下)|除.{0,16}?外[^又]{0,24}?(?:均|都|皆|全部|其余|其他)"
    r"|不[会属是包宜能应符常正出见经存含需必可]|错误|有误|无关|例外|不恰当|不妥|不对|哪项不|非.{0,4}所致"
)
# The ask is the stem's last sentence: case stems say "手指不能伸直" long before the question.
_Q_BREAK = re.compile(r"[。!?]")
_POS = {"对", "正确", "√"}
_NEG = {"错", "错误", "不正确", "×"}
_SPLIT_LETTERS = re.compile(r"[A-H]")
_SENT_SPAN = re.compile(r"[^。!?;\n]+")
# Study hints appended to exam explanations ("掌握“牙槽骨”知识点", "以最新教材和大纲为准").
_STUDY_HINT = re.compile(
    r"(?:掌握|熟悉|了解|记忆).{0,40}(?:知识点|考点)|以最新.{0,10}为准"
)
# Option texts that mean "all of the above" (normalised: no punctuation, lower case).
_ALL_OF_ABOVE = re.compile(
    r"以上(?:都|均|皆|全|全部)?(?:是|对|正确|都是|均是|都对|均对|均正确|都正确)|以上全部|全部都是"
)
# Asks that expect several answers ("错误的有", "不包括哪些").
_LETTERS_ONLY = re.compile(r"[a-h]{2,8}")
_MULTI_ASK = re.compile(r"有$|哪些|几项")
_CONTENT = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    # NFKC is idempotent; skipping already-normal text saves the copy on the hot path.
    if not text:
        return ""
    return (
        text
        if unicodedata.is_normalized("NFKC", text)
        else unicodedata.normalize("NFKC", text)
    )


def _letters(group: str) -> list[str]:
    return sorted(set(_SPLIT_LETTERS.findall(group.upper())))


def _span(text: str, start: int, end: int, pad: int = 12) -> str:
    return text[max(0, start - pad) : min(len(text), end + pad)].replace("\n", " ")


@lru_cache(maxsize=1024)
def is_negative_question(question: str | None) -> bool:
    """Whether a question asks for the exception / the wrong statement.

    >>> is_negative_question("黄疸伴胆囊增大不会见于")
    True
    >>> is_negative_question("下列脊椎病变，除哪项外，脊椎叩痛常为阳性")
    True
    >>> is_negative_question("可出现甲状腺肿大伴震颤及血管杂音的是")
    False
    """
    if not question:
        return False
    return bool(_NEGATIVE_Q.search(_ask(question)))


@lru_cache(maxsize=1024)
def _ask(question: str | None) -> str:
    """The asking part of a stem: the end of its last sentence, brackets and spaces trimmed."""
    if not question:
        return ""
    # split, not a "...$" regex: an end-anchored search is quadratic on long case stems.
    pieces = [p for p in _Q_BREAK.split(_fold(question)) if p.strip("() ")]
    return pieces[-1][-40:].rstrip("() :") if pieces else ""


@dataclass(frozen=True)
class Extraction:
    """The answer found in a text.

    ``labels`` is ``None`` when no answer was found. ``method`` is one of "conclusion",
    "option_text", "designated", "verdicts", "elimination", "option_named" or "none". ``verdicts`` lists every
    inline per-option verdict seen (label -> True for 对, False for 错), whatever was chosen;
    ``position`` is where an explicit conclusion starts in the NFKC-folded text.
    """

    labels: list[str] | None
    method: str
    evidence: str
    verdicts: dict[str, bool] = field(default_factory=dict)
    position: int = (
        -1
    )  # start offset of the chosen conclusion in the NFKC-folded text (-1: none)

    @property
    def found(self) -> bool:
        return self.labels is not None


@dataclass(frozen=True)
class AnswerCheck:
    """Extracted labels compared with gold labels (exact set match; overlap in ``jaccard``)."""

    correct: bool | None
    jaccard: float | None
    missing: list[str]
    extra: list[str]


def _option_pairs(options: Sequence | None) -> list[tuple[str, str]]:
    if isinstance(options, tuple):
        return _option_pairs_cached(options)
    return _option_pairs_uncached(options)


@lru_cache(maxsize=1024)
def _option_pairs_cached(options: tuple) -> list[tuple[str, str]]:
    return _option_pairs_uncached(options)


def _option_pairs_uncached(options: Sequence | None) -> list[tuple[str, str]]:
    out = []
    for o in options or ():
        if isinstance(o, dict):
            lab, txt = (
                str(o.get("label", "")).strip().upper(),
                str(o.get("text", "") or ""),
            )
        else:
            lab, txt = str(o[0]).strip().upper(), str(o[1] or "")
        norm = _CONTENT.sub("", _fold(txt).lower())
        if lab:
            out.append((lab, norm))
    return out


def _match_option_text(span: str, options: list[tuple[str, str]]) -> list[str]:
    s = _CONTENT.sub("", span.lower())
    hits = [
        (lab, t)
        for lab, t in options
        if len(t) >= 2 and (s.startswith(t) or (len(t) >= 4 and t in s[: len(t) + 6]))
    ]
    if not hits:
        return []
    # The longest option text wins ("急性肝炎" over "肝炎"); several equally long hits are all named.
    best = max(len(t) for _, t in hits)
    return sorted({lab for lab, t in hits if len(t) == best})


def extract_answer(
    text: str | None,
    *,
    options: Sequence | None = None,
    question: str | None = None,
) -> Extraction:
    """Find the final answer in a Chinese explanation.

    Args:
        text: the explanation / chain of thought.
        options: canonical options (``[{"label", "text"}, ...]`` or ``(label, text)`` pairs) —
            enables answers written as option text and the elimination rule.
        question: the stem — tells whether the question asks for the exception.

    Returns:
        An :class:`Extraction` (``labels is None`` when nothing was found).

    >>> extract_answer("……综上，故选Ｃ。").labels
    ['C']
    >>> extract_answer("正确答案是A、B。").labels
    ['A', 'B']
    >>> extract_answer("胰头癌（C对）可致黄疸；急性肝炎（B错，为本题正确答案）少见。").labels
    ['B']
    >>> extract_answer("本题无从判断。").labels is None
    True
    """
    t = _fold(text or "")
    if not t.strip():
        return Extraction(None, "none", "empty")
    opts = _option_pairs(options)

    # 1. explicit conclusions: the last one wins (a model may revise itself mid-way).
    found: list[tuple[int, list[str], str, str]] = []
    for m in _CONCLUSION.finditer(t):
        found.append(
            (
                m.start(),
                _letters(m.group(1)),
                "conclusion",
                _span(t, m.start(), m.end()),
            )
        )
    # Substring pre-checks skip regex scans that cannot match (cheap on long texts).
    if not found and ("选" in t or "答案" in t):
        for m in _BARE.finditer(t):
            found.append(
                (
                    m.start(),
                    _letters(m.group(1)),
                    "conclusion",
                    _span(t, m.start(), m.end()),
                )
            )
    if opts and ("选" in t or "答案" in t):
        for m in _CONCLUSION_TEXT.finditer(t):
            labs = _match_option_text(m.group(1), opts)
            if labs:
                found.append(
                    (m.start(), labs, "option_text", _span(t, m.start(), m.end(), 0))
                )

    # Inline verdicts are collected either way: the scorer uses them for consistency checks.
    verdicts: dict[str, bool] = {}
    designated: list[tuple[list[str], str]] = []
    verdict_spans: list[str] = []
    for b in _BRACKET.finditer(t):
        inner = b.group(1)
        vs = list(_VERDICT.finditer(inner))
        if not vs:
            continue
        verdict_spans.append(_span(t, b.start(), b.end(), 8))
        for v in vs:
            ok = v.group(2) in _POS
            for lab in _letters(v.group(1)):
                verdicts[lab] = ok
        if _DESIGNATED.search(inner):
            designated.append(
                (_letters(vs[0].group(1)), _span(t, b.start(), b.end(), 8))
            )
    for m in _PROSE_VERDICT.finditer(t) if "项" in t else ():
        lab = m.group(1) or m.group(2)
        verdicts.setdefault(lab, m.group(3) == "正确")
        verdict_spans.append(_span(t, m.start(), m.end(), 8))

    if found:
        pos, labs, method, ev = max(found, key=lambda x: x[0])
        return Extraction(labs, method, ev, verdicts, pos)
    if designated:
        labs, ev = designated[-1]
        return Extraction(labs, "designated", ev, verdicts)
    if verdicts:
        pos = sorted(k for k, v in verdicts.items() if v)
        neg = sorted(k for k, v in verdicts.items() if not v)
        ev = "; ".join(verdict_spans[:4])
        labels = [lab for lab, _ in opts] if opts else []
        rest = [lab for lab in labels if lab not in verdicts]
        negative = is_negative_question(question)
        # "以上都是": every other option marked 对 designates the catch-all option.
        every = [lab for lab, txt in opts if _ALL_OF_ABOVE.fullmatch(txt)]
        # "A+B+C+D" / "ABCD": an option that is the combination of the options marked 对.
        combo = [
            lab
            for lab, txt in opts
            if _LETTERS_ONLY.fullmatch(txt) and _letters(txt) == pos and len(pos) >= 2
        ]
        if not negative and len(combo) == 1 and combo[0] not in verdicts:
            return Extraction(combo, "verdicts", ev, verdicts)
        if (
            not negative
            and len(every) == 1
            and every[0] not in verdicts
            and pos
            and set(pos) | set(every) == set(labels)
        ):
            return Extraction(every, "verdicts", ev, verdicts)
        if negative and neg:
            # A single-answer "which is NOT" question where 错 marks all options but one:
            # the writer used 错 for "not the answer", so the odd one out is the answer.
            odd = pos if len(pos) == 1 else rest
            if (
                len(neg) >= 3
                and len(odd) == 1
                and len(neg) + 1 == len(labels)
                and not _MULTI_ASK.search(_ask(question))
            ):
                return Extraction(odd, "elimination", ev, verdicts)
            return Extraction(neg, "verdicts", ev, verdicts)
        if negative and len(pos) >= 3 and len(rest) == 1:
            # "which is NOT": every option but one marked 对 (true) -> the unmarked one.
            return Extraction(rest, "elimination", ev, verdicts)
        if pos:
            return Extraction(pos, "verdicts", ev, verdicts)
        if len(rest) == 1:
            return Extraction(rest, "elimination", ev, verdicts)
    elif opts and not is_negative_question(question):
        named = _named_in_last_sentence(t, opts)
        if named is not None:
            return Extraction(named[0], "option_named", named[1], verdicts)
    return Extraction(None, "none", "no answer statement found", verdicts)


def _named_in_last_sentence(
    t: str, opts: list[tuple[str, str]]
) -> tuple[list[str], str] | None:
    """The one option whose text the last substantive sentence names ("最可能的诊断是急性胰腺炎").

    A weak signal, used only when the text has no conclusion and no verdicts and the question is
    not an exception question (there the last sentence usually restates a true distractor).
    Study hints ("掌握“牙槽骨”知识点") are skipped; the sentence must name exactly one option
    (an option text inside a longer named option text does not count).
    """
    for m in reversed(list(_SENT_SPAN.finditer(t))):
        sent = m.group(0)
        if _STUDY_HINT.search(sent):
            continue
        s = _CONTENT.sub("", sent.lower())
        if not s:
            continue
        hits = [
            (lab, tx)
            for lab, tx in opts
            if len(tx) >= 2 and tx in s and not _ALL_OF_ABOVE.fullmatch(tx)
        ]
        hits = [h for h in hits if not any(h[1] != o[1] and h[1] in o[1] for o in hits)]
        if len(hits) == 1:
            return [hits[0][0]], _span(t, m.start(), m.end(), 0)
        return None
    return None


def check_answer(
    labels: Sequence[str] | None, gold: Sequence[str] | None
) -> AnswerCheck:
    """Compare extracted labels with gold labels (multi-answer aware).

    Args:
        labels: extracted labels (``None`` = no answer found).
        gold: gold labels (``None`` or empty = unknown).

    Returns:
        :class:`AnswerCheck`; ``correct`` is None when either side is unknown, else an exact
        set match; ``jaccard`` measures partial overlap.

    >>> check_answer(["A", "B"], ["A", "B", "D"])
    AnswerCheck(correct=False, jaccard=0.6666666666666666, missing=['D'], extra=[])
    >>> check_answer(None, ["C"]).correct is None
    True
    """
    if labels is None or not gold:
        return AnswerCheck(None, None, [], [])
    a = {x.upper() for x in labels}
    g = {x.upper() for x in gold}
    union = a | g
    return AnswerCheck(
        a == g, len(a & g) / len(union) if union else None, sorted(g - a), sorted(a - g)
    )
