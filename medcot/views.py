"""Derived configs (``qa``, ``sft``, ``prompt_completion``, ``reasoning``) computed from canonical records.

Every function here is pure: it takes one canonical record (a dict whose keys are
``schema.DEFAULT_FEATURES``) and returns one row of a derived config. The builder
(``medcot_verified.py``) and the Hub export (:mod:`medcot.export`) both call
:func:`record_to_config`, so the two can never disagree.

The prompt is written in Chinese, like the questions: an instruction that says whether one or
several answers are expected, the question stem, then one ``"A. text"`` line per option. The
final answer line is ``"答案：C"`` (labels concatenated for multi-answer questions, ``"答案：ABD"``),
the form Chinese exam explanations and MedBench-style graders use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from medcot import schema

logger = logging.getLogger(__name__)

# The instruction line of every prompt; the two variants differ only in how many answers to pick.
INSTRUCTION_SINGLE = "以下是一道医学考试单项选择题，请逐步分析后给出唯一正确答案。最后一行按“答案：X”的格式作答，X为所选选项的字母。"
INSTRUCTION_MULTI = "以下是一道医学考试多项选择题，正确答案可能有多个，请逐步分析后给出全部正确答案。最后一行按“答案：X”的格式作答，X为全部正确选项的字母，按字母顺序连写。"
FINAL_ANSWER_PREFIX = "答案："

# Release question types that mean "several answers may be right" even when the gold has one label.
# X型题 is the multiple-answer item type of Chinese medical licensing exams.
_ANSWER_LINE = re.compile(r"(?:正确)?答案\s*[:：]\s*([A-Z]+)")
_MULTI_TYPES = frozenset({schema.MULTIPLE_CHOICE, "X", "X型题", "多选", "多选题", "多项选择题"})


def format_prompt(question: str, options: Sequence[Mapping[str, str]], *, multi: bool = False) -> str:
    """Return the user prompt: instruction, question stem, one ``"A. text"`` line per option.

    Args:
        question: The question stem.
        options: Ordered ``{"label", "text"}`` dicts.
        multi: True when several answers may be correct (changes the instruction).

    Returns:
        The prompt text.

    >>> print(format_prompt("发热最常见的病因是", [{"label": "A", "text": "感染"}, {"label": "B", "text": "肿瘤"}]))
    以下是一道医学考试单项选择题，请逐步分析后给出唯一正确答案。最后一行按“答案：X”的格式作答，X为所选选项的字母。
    <BLANKLINE>
    发热最常见的病因是
    <BLANKLINE>
    A. 感染
    B. 肿瘤
    """
    instruction = INSTRUCTION_MULTI if multi else INSTRUCTION_SINGLE
    lines = "\n".join(f"{o['label']}. {o['text']}" for o in options)
    return f"{instruction}\n\n{question.strip()}\n\n{lines}"


def format_final_answer(labels: Iterable[str]) -> str:
    """Return the final answer line, e.g. ``"答案：C"`` or ``"答案：ABD"``.

    Args:
        labels: Gold labels (already sorted in canonical records).

    Returns:
        The answer line.

    >>> format_final_answer(["C"])
    '答案：C'
    >>> format_final_answer(["A", "B", "D"])
    '答案：ABD'
    """
    return FINAL_ANSWER_PREFIX + "".join(labels)


def is_multi(record: Mapping[str, Any]) -> bool:
    """Whether the record's question may have several correct answers.

    >>> is_multi({"answer": ["A", "C"], "question_type": "single_choice"})
    True
    >>> is_multi({"answer": ["B"], "question_type": "X型题"})
    True
    >>> is_multi({"answer": ["B"], "question_type": "A1"})
    False
    """
    return len(record["answer"]) > 1 or (record.get("question_type") or "") in _MULTI_TYPES


def record_prompt(record: Mapping[str, Any]) -> str:
    """The prompt of a canonical record (see :func:`format_prompt`)."""
    return format_prompt(record["question"], record["options"], multi=is_multi(record))


def cot_body(cot: str, labels: Sequence[str]) -> str:
    """The CoT without surrounding whitespace and without a last line that repeats the gold answer.

    Only an exact repeat (``"答案：C"`` / ``"答案: C"`` for gold ``["C"]``) is removed, so an
    explanation that ends in a different answer is never hidden.

    >>> cot_body("因为甲。\\n答案：A\\n", ["A"])
    '因为甲。'
    >>> cot_body("因为甲。\\n答案：B", ["A"])
    '因为甲。\\n答案：B'
    """
    text = cot.strip()
    head, _, last = text.rpartition("\n")
    match = _ANSWER_LINE.fullmatch(last.strip())
    if head and match and match.group(1) == "".join(labels):
        return head.rstrip()
    return text


def assistant_text(record: Mapping[str, Any]) -> str:
    """The assistant turn: the expert CoT, a blank line, then the final answer line.

    >>> assistant_text({"cot": "发热多由感染引起。 ", "answer": ["A"]})
    '发热多由感染引起。\\n\\n答案：A'
    """
    return f"{cot_body(record['cot'], record['answer'])}\n\n{format_final_answer(record['answer'])}"


def to_default(record: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical record itself, restricted to the schema's keys (a shallow copy)."""
    return {key: record.get(key) for key in schema.DEFAULT_FEATURES}


def to_qa(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``qa`` row: choices and labels in option order, gold labels and their indices.

    >>> row = to_qa({"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"},
    ...     {"label": "B", "text": "乙"}], "answer": ["B"], "question_type": "A1", "department": None})
    >>> row["choices"], row["answer_idx"]
    (['甲', '乙'], [1])
    """
    labels = [o["label"] for o in record["options"]]
    index = {label: i for i, label in enumerate(labels)}
    return {
        "id": record["id"],
        "question": record["question"],
        "choices": [o["text"] for o in record["options"]],
        "choice_labels": labels,
        "answer": list(record["answer"]),
        # A label missing from the options is an ingest bug: fail loudly rather than write -1.
        "answer_idx": [index[a] for a in record["answer"]],
        "question_type": record.get("question_type"),
        "department": record.get("department"),
    }


def to_sft(record: Mapping[str, Any]) -> dict[str, Any]:
    """An ``sft`` row: TRL conversational ``messages`` (user prompt, assistant CoT + answer line).

    >>> row = to_sft({"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}],
    ...     "answer": ["A"], "cot": "因为甲。", "question_type": "A1"})
    >>> [m["role"] for m in row["messages"]], row["messages"][1]["content"]
    (['user', 'assistant'], '因为甲。\\n\\n答案：A')
    """
    return {
        "id": record["id"],
        "messages": [
            {"role": "user", "content": record_prompt(record)},
            {"role": "assistant", "content": assistant_text(record)},
        ],
    }


def to_prompt_completion(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``prompt_completion`` row: one user turn, one assistant turn (TRL conversational prompt/completion).

    ``SFTTrainer`` computes the loss on the completion only; ``GRPOTrainer`` generates from the
    prompt and passes ``answer`` to reward functions such as :func:`medcot.rewards.answer_reward`.

    >>> row = to_prompt_completion({"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}],
    ...     "answer": ["A"], "cot": "因为甲。", "question_type": "A1"})
    >>> row["prompt"][0]["role"], row["completion"], row["answer"]
    ('user', [{'role': 'assistant', 'content': '因为甲。\\n\\n答案：A'}], 'A')
    """
    return _prompt_completion_row(record["id"], record_prompt(record), assistant_text(record), "".join(record["answer"]))


def _prompt_completion_row(rid: str, prompt: str, completion: str, answer: str) -> dict[str, Any]:
    return {
        "id": rid,
        "prompt": [{"role": "user", "content": prompt}],
        "completion": [{"role": "assistant", "content": completion}],
        "answer": answer,
    }


_OPTION_LINE = re.compile(r"([A-Z])\. (.*)")


def split_prompt(prompt: str) -> tuple[str, list[dict[str, str]]]:
    """The question stem and options of a prompt written by :func:`format_prompt` (its inverse).

    Reward functions see only the prompt; this gives the rubric scorer the stem and the options
    back. A text not in that layout comes back whole as the stem, with no options.

    Args:
        prompt: A prompt from the ``sft``, ``prompt_completion`` or ``reasoning`` config.

    Returns:
        ``(question, options)``.

    >>> split_prompt(format_prompt("发热最常见的病因是", [{"label": "A", "text": "感染"}, {"label": "B", "text": "肿瘤"}]))
    ('发热最常见的病因是', [{'label': 'A', 'text': '感染'}, {'label': 'B', 'text': '肿瘤'}])
    >>> split_prompt("随便一句话")
    ('随便一句话', [])
    """
    parts = prompt.strip().split("\n\n")
    if len(parts) < 3 or parts[0] not in (INSTRUCTION_SINGLE, INSTRUCTION_MULTI):
        return prompt.strip(), []
    matches = [_OPTION_LINE.fullmatch(line) for line in parts[-1].split("\n")]
    if not all(matches):
        return prompt.strip(), []
    options = [{"label": m.group(1), "text": m.group(2)} for m in matches if m]
    return "\n\n".join(parts[1:-1]), options


def to_reasoning(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``reasoning`` row: prompt, the reasoning trace (the CoT) and the joined answer labels.

    >>> row = to_reasoning({"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"},
    ...     {"label": "B", "text": "乙"}], "answer": ["A", "B"], "cot": " 都对。", "question_type": None})
    >>> row["reasoning"], row["answer"], row["prompt"].startswith("以下是一道医学考试多项选择题")
    ('都对。', 'AB', True)
    """
    return {
        "id": record["id"],
        "prompt": record_prompt(record),
        "reasoning": cot_body(record["cot"], record["answer"]),
        "answer": "".join(record["answer"]),
    }


VIEWS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "default": to_default,
    "qa": to_qa,
    "sft": to_sft,
    "prompt_completion": to_prompt_completion,
    "reasoning": to_reasoning,
}
# Every config of the schema must have a view (and nothing else may): checked at import.
if set(VIEWS) != set(schema.CONFIG_NAMES):  # pragma: no cover - a programming error
    raise RuntimeError(f"views {sorted(VIEWS)} do not match schema.CONFIGS {sorted(schema.CONFIG_NAMES)}")


def record_to_config(name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a canonical record into one row of config ``name`` (keys = that config's features).

    Args:
        name: A config name from ``schema.CONFIGS``.
        record: A canonical record.

    Returns:
        The row.

    >>> rec = {"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}],
    ...        "answer": ["A"], "cot": "因为甲。", "question_type": "A1"}
    >>> sorted(record_to_config("reasoning", rec))
    ['answer', 'id', 'prompt', 'reasoning']
    """
    schema.get_config(name)  # raises KeyError naming the valid configs
    return VIEWS[name](record)


def config_rows(names: Sequence[str], records: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Rows of several configs for a batch of records, each derived piece computed once.

    Equal to ``{name: [record_to_config(name, r) for r in records]}``, except that ``default``
    rows are the records themselves (Arrow's ``from_pylist(..., schema=...)`` reads only the
    schema's keys, so the copy :func:`to_default` makes is not needed), and the prompt, CoT body
    and joined answer are built once per record and shared by ``sft`` and ``reasoning``.

    Args:
        names: Config names from ``schema.CONFIGS``.
        records: Canonical records.

    Returns:
        ``{name: rows}``.

    >>> rec = {"id": "q1", "question": "问", "options": [{"label": "A", "text": "甲"}],
    ...        "answer": ["A"], "cot": "因为甲。", "question_type": "A1"}
    >>> rows = config_rows(["sft", "reasoning"], [rec])
    >>> rows["sft"] == [to_sft(rec)], rows["reasoning"] == [to_reasoning(rec)]
    (True, True)
    """
    for name in names:
        schema.get_config(name)  # raises KeyError naming the valid configs
    out: dict[str, list[Any]] = {}
    shared = None
    if {"sft", "prompt_completion", "reasoning"} & set(names):
        # (prompt, cot body, joined answer) per record: the costly part of both views.
        shared = [
            (record_prompt(r), cot_body(r["cot"], r["answer"]), "".join(r["answer"])) for r in records
        ]
    for name in names:
        if name == "default":
            out[name] = list(records)
        elif name == "sft" and shared is not None:
            out[name] = [
                {
                    "id": r["id"],
                    "messages": [
                        {"role": "user", "content": prompt},
                        {"role": "assistant", "content": f"{body}\n\n{FINAL_ANSWER_PREFIX}{answer}"},
                    ],
                }
                for r, (prompt, body, answer) in zip(records, shared)
            ]
        elif name == "prompt_completion" and shared is not None:
            out[name] = [
                _prompt_completion_row(r["id"], prompt, f"{body}\n\n{FINAL_ANSWER_PREFIX}{answer}", answer)
                for r, (prompt, body, answer) in zip(records, shared)
            ]
        elif name == "reasoning" and shared is not None:
            out[name] = [
                {"id": r["id"], "prompt": prompt, "reasoning": body, "answer": answer}
                for r, (prompt, body, answer) in zip(records, shared)
            ]
        else:
            view = VIEWS[name]
            out[name] = [view(r) for r in records]
    return out


def iter_config_rows(name: str, records: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield :func:`record_to_config` rows of ``name`` for ``records`` (lazily)."""
    view = VIEWS[schema.get_config(name).name]
    for record in records:
        yield view(record)
