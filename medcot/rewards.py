"""Reward functions for reinforcement learning on the dataset (TRL ``GRPOTrainer`` signature).

A reward function takes the generated ``completions`` and the dataset columns as keyword lists
(TRL passes every column other than ``prompt`` by name, plus ``prompts``) and returns one float
per completion. Completions may be plain strings or conversational (a list of ``{"role",
"content"}`` messages); both are accepted.

- :func:`answer_reward` — 1.0 when the final answer found in the completion is exactly the gold
  answer set (``ABD`` needs A, B and D and nothing else), else 0.0. Answers are found by
  :func:`medcot.answer.extract_answer`, the extractor the rubric scorer uses.
- :func:`rubric_reward` — the offline rubric scorer's weighted mean of the five dimensions,
  rescaled from 1-5 to 0-1. :func:`make_rubric_reward` builds one with other weights.

Caveat: the offline scorer is a transparent heuristic, not an expert. How far its dimensions
track real quality is measured in the validity table of ``metric/medcot_rubric/README.md``
(section "Validity"); a policy optimised against it can learn its blind spots (length, stock
phrases, naming every option). Use it beside :func:`answer_reward`, watch the answer accuracy, and
check samples by hand.

>>> answer_reward(["……故本题选A。\\n\\n答案：A", "答案：ABD", "答案：DBA", "不知道"], answer=["ABD"] * 4)
[0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from medcot.answer import check_answer, extract_answer
from medcot.constants import RUBRIC_DIMENSIONS, RUBRIC_MAX, RUBRIC_MIN
from medcot.errors import InputError
from medcot.options import parse_answer

logger = logging.getLogger(__name__)

__all__ = ["answer_reward", "completion_text", "make_rubric_reward", "rubric_reward"]

RewardFunction = Callable[..., list[float]]


def completion_text(completion: Any) -> str:
    """The text of one completion: a string as is, a conversation's assistant turns joined.

    >>> completion_text([{"role": "assistant", "content": "答案：C"}])
    '答案：C'
    >>> completion_text("答案：C")
    '答案：C'
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence):
        turns = [m for m in completion if isinstance(m, Mapping)]
        assistant = [m for m in turns if m.get("role", "assistant") == "assistant"] or turns
        return "\n".join(str(m.get("content") or "") for m in assistant)
    raise InputError(f"completion: expected a string or a list of messages, got {type(completion).__name__}")


def _column(kwargs: Mapping[str, Any], name: str, n: int) -> list[Any]:
    values = kwargs.get(name)
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise InputError(f"{name}: expected {n} values (one per completion), got {len(values)}")
    return values


def _context(kwargs: Mapping[str, Any], n: int) -> tuple[list[str | None], list[Any]]:
    """Question stems and options per completion: explicit columns, else parsed back from the prompts."""
    from medcot.views import split_prompt

    questions = _column(kwargs, "question", n)
    options = _column(kwargs, "options", n)
    prompts = _column(kwargs, "prompts", n)
    for i, prompt in enumerate(prompts):
        if prompt is None or (questions[i] is not None and options[i] is not None):
            continue
        # a conversational prompt's user turn holds the text format_prompt wrote
        text = prompt if isinstance(prompt, str) else "\n".join(
            str(m.get("content") or "") for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"
        )
        stem, opts = split_prompt(text)
        if questions[i] is None:
            questions[i] = stem
        if options[i] is None and opts:
            options[i] = opts
    return questions, options


def _gold(value: Any, where: int) -> list[str]:
    try:
        return parse_answer(value)
    except InputError as exc:
        raise InputError(f"answer[{where}]: {exc}") from None


def answer_reward(completions: Sequence[Any], answer: Sequence[Any], **kwargs: Any) -> list[float]:
    """1.0 per completion whose final answer is exactly the gold answer set, else 0.0.

    Args:
        completions: generated texts, or conversations (lists of messages).
        answer: gold answers, one per completion (``"ABD"``, ``["A", "B", "D"]``, ``"A、B"``).
        **kwargs: other dataset columns; ``prompts`` (or ``question`` / ``options``) let option
            texts count as answers ("故选急性胰腺炎") and exception questions be read correctly.

    Returns:
        One float per completion. No answer found scores 0.0.

    >>> answer_reward([[{"role": "assistant", "content": "分析……\\n\\n答案：C"}]], answer=["C"])
    [1.0]
    >>> answer_reward(["答案：A"], answer=["ABD"])
    [0.0]
    """
    n = len(completions)
    golds = _column({"answer": answer}, "answer", n)
    questions, options = _context(kwargs, n)
    rewards = []
    for i, completion in enumerate(completions):
        found = extract_answer(completion_text(completion), options=options[i], question=questions[i])
        rewards.append(1.0 if check_answer(found.labels, _gold(golds[i], i)).correct else 0.0)
    return rewards


def _reference(kwargs: Mapping[str, Any], n: int) -> list[str | None]:
    """The expert CoT per row: a ``reference`` column, ``reasoning`` (reasoning config), ``cot``, or ``completion``.

    GRPOTrainer does not pass a dataset's ``completion`` column to reward functions; copy it into
    ``reference`` (see the README's TRL section)."""
    for name in ("reference", "reasoning", "cot", "completion"):
        if kwargs.get(name) is not None:
            return [None if v is None else completion_text(v) for v in _column(kwargs, name, n)]
    return [None] * n


def make_rubric_reward(
    *,
    weights: Mapping[str, float] | None = None,
    lexicon_paths: Sequence[str] = (),
    use_reference: bool = True,
) -> RewardFunction:
    """A reward function: the offline rubric's weighted mean of the five dimensions, scaled to 0-1.

    Args:
        weights: dimension -> non-negative weight (missing dimensions weigh 0). Default: all 1.
        lexicon_paths: user lexicon files for the scorer.
        use_reference: compare with the expert CoT when the rewards receive one (a ``reference``,
            ``reasoning`` or ``cot`` column).

    Returns:
        A function ``(completions, answer=None, **kwargs) -> list[float]`` named ``rubric_reward``
        (TRL logs rewards under the function's name).

    >>> reward = make_rubric_reward(weights={"medical_correctness": 1.0})
    >>> good, empty = reward(["出血量决定呕血或黑便（C对），出血部位（B错）。故选C。", ""], answer=["C", "C"])
    >>> 0.0 <= empty < good <= 1.0
    True
    """
    w = {d: 1.0 for d in RUBRIC_DIMENSIONS} if weights is None else dict(weights)
    unknown = sorted(set(w) - set(RUBRIC_DIMENSIONS))
    if unknown:
        raise InputError(f"weights: unknown dimension(s) {unknown}; expected some of {list(RUBRIC_DIMENSIONS)}")
    if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise InputError(f"weights: expected non-negative weights with a positive sum, got {w}")
    total = sum(w.values())
    span = RUBRIC_MAX - RUBRIC_MIN

    def rubric_reward(completions: Sequence[Any], answer: Sequence[Any] | None = None, **kwargs: Any) -> list[float]:
        from medcot.scoring import get_scorer

        n = len(completions)
        scorer = get_scorer(lexicon_paths=lexicon_paths)
        golds = _column({"answer": answer}, "answer", n)
        questions, options = _context(kwargs, n)
        refs = _reference(kwargs, n) if use_reference else [None] * n
        items = [
            {
                "prediction": completion_text(c),
                "reference": refs[i],
                "question": questions[i],
                "options": options[i],
                "answers": None if golds[i] is None else _gold(golds[i], i),
            }
            for i, c in enumerate(completions)
        ]
        out = []
        for res in scorer.score_many(items):
            mean = sum(w[d] * res.scores[d] for d in w) / total
            out.append(min(1.0, max(0.0, (mean - RUBRIC_MIN) / span)))
        return out

    return rubric_reward


rubric_reward: RewardFunction = make_rubric_reward()
rubric_reward.__doc__ = (
    "The offline rubric reward with equal weights (see :func:`make_rubric_reward` and the module caveat)."
)
