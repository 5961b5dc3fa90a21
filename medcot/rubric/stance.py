"""Does the text argue for the answer it states? The stance it takes on each option's content.

A right letter after reasoning that supports another option is not a correct explanation. Every
place where an option's *text* is named is read with what stands right after (or before) it:

- a verdict marker ("出血量(C对)", normalised "出血量c对") — its letters must be this option's
  label, otherwise the marker sits on the wrong option's content (a *mismatch*);
- a polarity phrase ("是首选", "为本题正确答案", "不是首选", "并非", "可排除").

The expected stance of a gold option is *for* (+) and of a distractor *against* (−); in a question
that asks for the exception ("不会见于", "除…外") the expectation is reversed, as exam
explanations mark the exception "错". What this cannot see: a wrong medical claim that names no
option, or an argument written without the options' words.

Works on normalised text (:func:`medcot.textsim.char_normalize`: no punctuation, lower case).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["VERDICT_MARKER", "Stance", "option_stance"]

VERDICT_MARKER = re.compile(r"([a-h]{1,5})(?:项|选项)?(正确|不正确|错误|对|错)")
_FOR_AFTER = re.compile(
    r"(?:是|为|乃|即|属)?(?:本题)?的?(?:正确答案|正确选项|正确|首选|最佳|最常见|最主要|最多见|"
    r"最可能|最有效|当选|符合题意|符合)"
)
_AGAINST_AFTER = re.compile(
    r"(?:则|也|均|都)?(?:不是|并非|不属于|不符合|不会|不能|不宜|不可|不应|无关|少见|罕见|禁用|慎用|"
    r"错误|不正确|可排除|排除|除外|不选)"
)
_DESIGNATED = re.compile(r"(?:为|是)?本题的?(?:正确)?(?:答案|选项)|为正确(?:答案|选项)|当选")
_AGAINST_BEFORE = re.compile(r"(?:不是|并非|排除|而非|非|不选|除外|不考虑)$")
_POSITIVE = {"对", "正确"}


@dataclass(frozen=True)
class Stance:
    """Option mentions by what they say, against what the gold answer needs.

    ``gold_for`` / ``gold_against`` count the mentions that bear on the gold answer: a gold
    option's text read with the expected stance (or the opposite, or under another option's
    verdict), and a gold verdict marker placed on a distractor's text (against). ``other_*``
    are the same for distractors.
    """

    gold_named: bool
    gold_for: int
    gold_against: int
    other_for: int
    other_against: int

    @property
    def contradicts(self) -> bool:
        """The text argues against its answer: more against than for, on the gold answer or
        over all mentions.

        >>> Stance(True, 1, 2, 3, 0).contradicts, Stance(True, 3, 0, 2, 1).contradicts
        (True, False)
        """
        return self.gold_against > self.gold_for or (
            self.gold_against + self.other_against > self.gold_for + self.other_for
        )


def _mentions(text: str, options: Sequence[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, label) of option texts in ``text``, longer texts first."""
    taken = [False] * (len(text) + 1)
    out = []
    for lab, t in sorted(options, key=lambda o: -len(o[1])):
        if len(t) < 2:
            continue
        start = text.find(t)
        while start >= 0:
            end = start + len(t)
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                out.append((start, end, lab))
            start = text.find(t, end)
    return sorted(out)


def option_stance(
    text: str,
    options: Sequence[tuple[str, str]],
    gold: Sequence[str],
    *,
    negative_question: bool = False,
) -> Stance:
    """Read the stance the normalised ``text`` takes on each option it names.

    Args:
        text: normalised prediction, its sentences joined by line breaks.
        options: ``(label, normalised text)`` per option, labels upper case.
        gold: the gold labels.
        negative_question: the question asks for the exception.

    Returns:
        A :class:`Stance`.

    >>> opts = [("B", "出血部位"), ("C", "出血量")]
    >>> option_stance("主要取决于出血量c对而出血部位b错", opts, ["C"])
    Stance(gold_named=True, gold_for=1, gold_against=0, other_for=1, other_against=0)
    >>> option_stance("主要取决于出血部位c对而出血量b错", opts, ["C"]).contradicts
    True
    >>> option_stance("出血量不是决定因素", opts, ["C"]).gold_against
    1
    >>> option_stance("首先考虑出血部位所致c对", opts, ["C"]).contradicts
    True
    """
    gold_set = {g.upper() for g in gold}
    gold_letters = {g.lower() for g in gold_set}
    counts = {"gold_for": 0, "gold_against": 0, "other_for": 0, "other_against": 0}
    mentions = _mentions(text, options)
    gold_named = any(lab in gold_set for _s, _e, lab in mentions)

    def tally(lab: str, said_for: bool, designated: bool = False) -> None:
        is_gold = lab in gold_set
        expect_for = True if designated else is_gold != negative_question
        side = "gold" if is_gold else "other"
        counts[f"{side}_{'for' if said_for == expect_for else 'against'}"] += 1

    # 1. Verdict markers close the stretch of text that argues them ("首先考虑腰椎间盘突出症(D对)"):
    #    the options named in that stretch are the ones the verdict is about.
    judged: set[int] = set()
    prev_end = 0
    for m in VERDICT_MARKER.finditer(text):
        letters = set(m.group(1))
        # The stretch stays inside the marker's sentence (sentences are joined by line breaks).
        start_at = max(prev_end, m.start() - 60, text.rfind("\n", 0, m.start()) + 1)
        stretch = [x for x in mentions if start_at <= x[0] and x[1] <= m.start()]
        prev_end = m.end()
        if not stretch:
            continue
        said_for = m.group(2) in _POSITIVE
        designated = bool(_DESIGNATED.match(text, m.end()))
        own = [x for x in stretch if x[2].lower() in letters]
        if own:
            for start, _end, lab in own:
                judged.add(start)
                negated = bool(_AGAINST_BEFORE.search(text[max(0, start - 4) : start]))
                # "的不是带状疱疹(D对)": the claim denies its own verdict.
                tally(lab, (said_for or designated) != negated, designated)
            continue
        # The verdict sits on other options' content: against those options, and against the
        # gold answer when a misplaced letter is a gold one. A verdict on several letters
        # ("因此B、D错误") sums up the options and is no one option's verdict.
        start, end, lab = stretch[-1]
        if len(letters) > 1 or m.start() - end > 30:
            continue
        judged.add(start)
        counts[f"{'gold' if lab in gold_set else 'other'}_against"] += 1
        if lab not in gold_set and letters & gold_letters:
            counts["gold_against"] += 1
    # 2. Other mentions: a polarity phrase right after or before the option's text.
    for start, end, lab in mentions:
        if start in judged:
            continue
        after = text[end : end + 12]
        if _AGAINST_AFTER.match(after) or _AGAINST_BEFORE.search(text[max(0, start - 4) : start]):
            tally(lab, False)
        elif _FOR_AFTER.match(after):
            tally(lab, True)
    return Stance(gold_named, **counts)
