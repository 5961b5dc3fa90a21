"""The evaluation tasks, independent of any framework: documents, prompts, answer sets, per-item scores.

Two tasks, shared by the lm-evaluation-harness task folder (:mod:`medcot.integrations.lm_eval_tasks`)
and the lighteval task file (:mod:`medcot.integrations.lighteval_tasks`):

- ``medcot_qa_mc`` — loglikelihood multiple choice over the ``qa`` config, **single-answer questions
  only**. The frameworks' multiple-choice scoring counts a hit when the top option is *any* gold
  option, which would give full marks for picking A on a gold-ABD question, so multiple-answer
  questions are left out (:func:`mc_docs` logs how many).
- ``medcot_cot`` — generation over every question of the ``default`` config with the dataset's own
  prompt (step-by-step reasoning, then a final ``答案：X`` line). :func:`answer_set` extracts the
  final answer as a sorted letter string; a question counts only on an exact set match. Each
  generated CoT is also scored by the offline rubric (five dimensions + overall) against the expert
  CoT.

>>> doc = {"id": "q1", "question": "可引起代谢性酸中毒的有", "options": [{"label": "A", "text": "糖尿病酮症"},
...        {"label": "B", "text": "严重腹泻"}, {"label": "C", "text": "剧烈呕吐"}, {"label": "D", "text": "乳酸堆积"}],
...        "answer": ["A", "B", "D"], "cot": "呕吐致碱中毒（C错）。", "question_type": "X型题"}
>>> answer_set("……\\n答案：DBA", doc)
'ABD'
>>> cot_scores(doc, "答案：A")["acc"], cot_scores(doc, "答案：ABD")["acc"]
(0.0, 1.0)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from medcot import views
from medcot.answer import check_answer, extract_answer
from medcot.constants import RUBRIC_DIMENSIONS
from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "AnswerSet",
    "COT_METRICS",
    "DATASET_ENV",
    "DEFAULT_DATASET",
    "MC_INSTRUCTION",
    "TASK_NAMES",
    "answer_set",
    "cot_docs",
    "cot_prompt",
    "cot_scores",
    "dataset_location",
    "is_single_answer",
    "mc_docs",
    "mc_prompt",
    "task_counts",
]

TASK_NAMES: tuple[str, ...] = ("medcot_qa_mc", "medcot_cot")
# Where the tasks read the dataset from: the task's metadata `dataset`, else this variable, else the Hub id.
DATASET_ENV = "MEDCOT_DATASET"
DEFAULT_DATASET = "org/medcot"
# What `medcot_cot` reports per question (means over questions): exact set match, whether an answer
# was found at all, then the offline rubric's five dimensions and overall (1-5).
COT_METRICS: tuple[str, ...] = ("acc", "answer_found", *RUBRIC_DIMENSIONS, "overall")
MC_INSTRUCTION = "以下是一道医学考试单项选择题，请直接给出正确答案的选项字母。"
MC_ANSWER_CUE = "答案："


def dataset_location(dataset: str | os.PathLike[str] | None = None) -> str:
    """The dataset the tasks load: ``dataset``, else ``$MEDCOT_DATASET``, else ``org/medcot``.

    >>> dataset_location("build/medcot")
    'build/medcot'
    """
    return str(dataset or os.environ.get(DATASET_ENV) or DEFAULT_DATASET)


def _load(config: str, dataset: str | os.PathLike[str] | None) -> Any:
    import datasets

    where = dataset_location(dataset)
    try:
        return datasets.load_dataset(where, config)
    except FileNotFoundError as exc:
        raise InputError(
            f"{where}: dataset not found ({exc}); pass a built folder or a Hub repo id as the task "
            f"metadata `dataset` or in ${DATASET_ENV}"
        ) from None


def is_single_answer(doc: Mapping[str, Any]) -> bool:
    """True when exactly one option is right and the question type does not allow several.

    >>> is_single_answer({"answer": ["B"], "question_type": "A1"}), is_single_answer({"answer": ["B"], "question_type": "X型题"})
    (True, False)
    """
    return len(doc["answer"]) == 1 and not views.is_multi(doc)


def mc_docs(dataset: str | os.PathLike[str] | None = None, **_: Any) -> Any:
    """The ``qa`` config with multiple-answer questions removed (a ``DatasetDict``); logs the count.

    Args:
        dataset: a built folder or Hub repo id (see :func:`dataset_location`).
        **_: other task metadata (lm-eval passes the model arguments too), ignored.

    Returns:
        ``datasets.DatasetDict`` of single-answer ``qa`` rows per split.
    """
    dd = _load("qa", dataset)
    out = {}
    for split, ds in dd.items():
        kept = ds.filter(is_single_answer)
        if kept.num_rows != ds.num_rows:
            logger.warning("medcot_qa_mc: %s split: %d of %d questions are multiple-answer and left out",
                           split, ds.num_rows - kept.num_rows, ds.num_rows)
        out[split] = kept
    return type(dd)(out)


def cot_docs(dataset: str | os.PathLike[str] | None = None, **_: Any) -> Any:
    """The ``default`` config (every question, with options, gold answer and expert CoT).

    Args:
        dataset: a built folder or Hub repo id (see :func:`dataset_location`).
        **_: other task metadata, ignored.

    Returns:
        ``datasets.DatasetDict`` of canonical records per split.
    """
    return _load("default", dataset)


def mc_prompt(doc: Mapping[str, Any]) -> str:
    """The loglikelihood prompt: a short instruction, the stem, the options, then ``答案：``.

    >>> print(mc_prompt({"question": "发热最常见的病因是", "choices": ["感染", "肿瘤"], "choice_labels": ["A", "B"]}))
    以下是一道医学考试单项选择题，请直接给出正确答案的选项字母。
    <BLANKLINE>
    发热最常见的病因是
    <BLANKLINE>
    A. 感染
    B. 肿瘤
    <BLANKLINE>
    答案：
    """
    options = "\n".join(f"{label}. {text}" for label, text in zip(doc["choice_labels"], doc["choices"]))
    return f"{MC_INSTRUCTION}\n\n{doc['question'].strip()}\n\n{options}\n\n{MC_ANSWER_CUE}"


def mc_target(doc: Mapping[str, Any]) -> int:
    """The index of the one gold option (docs from :func:`mc_docs` have exactly one).

    >>> mc_target({"id": "q", "answer_idx": [2]})
    2
    """
    if len(doc["answer_idx"]) != 1:
        raise InputError(f"medcot_qa_mc: question {doc.get('id')!r} has {len(doc['answer_idx'])} gold options; "
                         "expected one (use mc_docs, which leaves multiple-answer questions out)")
    return int(doc["answer_idx"][0])


def cot_prompt(doc: Mapping[str, Any]) -> str:
    """The generative prompt: the dataset's own (``views.record_prompt``), which asks for reasoning and ``答案：X``.

    >>> cot_prompt({"question": "问", "options": [{"label": "A", "text": "甲"}], "answer": ["A"],
    ...             "question_type": "A1"}).endswith("A. 甲")
    True
    """
    return views.record_prompt(doc)


def cot_target(doc: Mapping[str, Any]) -> str:
    """The gold answer as the filter writes answers: sorted letters joined (``"ABD"``)."""
    return "".join(sorted(doc["answer"]))


def answer_set(text: str | None, doc: Mapping[str, Any]) -> str | None:
    """The final answer of a generation as sorted letters (``"ABD"``), or None when none is found.

    Uses :func:`medcot.answer.extract_answer` with the question's options and stem, the
    extraction the rubric scorer uses.

    >>> answer_set("故选C。", {"question": "问", "options": [{"label": "C", "text": "丙"}]})
    'C'
    >>> answer_set("不确定", {"question": "问", "options": []}) is None
    True
    """
    found = extract_answer(text or "", options=doc.get("options"), question=doc.get("question"))
    return None if found.labels is None else "".join(sorted(found.labels))


class AnswerSet(str):
    """A final answer as sorted letters (``"ABD"``; ``""`` when none was found) that keeps its source text.

    lm-eval logs a filtered response with ``str()``, so ``--log_samples`` shows the letter set,
    while ``process_results`` still reaches the whole chain of thought (``.text``) for the rubric.

    >>> a = AnswerSet.of("……故选B、A。")
    >>> a, a.text, a.found
    ('AB', '……故选B、A。', True)
    """

    text: str

    @classmethod
    def of(cls, text: str | None, doc: Mapping[str, Any] | None = None) -> "AnswerSet":
        """Extract the answer set of ``text`` (with the options and stem of ``doc`` when given)."""
        letters = answer_set(text, doc or {})
        out = cls(letters or "")
        out.text = text or ""
        return out

    @property
    def found(self) -> bool:
        return bool(self)


def answer_set_filter(resps: Sequence[Sequence[str]], docs: Sequence[Mapping[str, Any]]) -> list[list[AnswerSet]]:
    """An lm-eval ``custom`` filter: every response becomes its :class:`AnswerSet`.

    >>> answer_set_filter([["答案：BA", "不知道"]], [{"question": "问", "options": []}])
    [['AB', '']]
    """
    return [[AnswerSet.of(r, doc) for r in doc_resps] for doc_resps, doc in zip(resps, docs)]


def cot_scores(doc: Mapping[str, Any], generation: Any) -> dict[str, float]:
    """Per-question scores of one generation: exact set match, answer found, rubric dimensions, overall.

    Args:
        doc: a canonical record (``default`` config).
        generation: the generated text, or its :class:`AnswerSet` (the filter's output).

    Returns:
        ``{metric: value}`` for every name in :data:`COT_METRICS`.
    """
    from medcot.scoring import get_scorer

    found = generation if isinstance(generation, AnswerSet) else AnswerSet.of(
        None if generation is None else str(generation), doc)
    text, answer = found.text, (str(found) if found.found else None)
    check = check_answer(None if answer is None else list(answer), doc["answer"])
    res = get_scorer().score(text, reference=doc.get("cot"), question=doc.get("question"),
                             options=doc.get("options"), answers=doc["answer"])
    out = {"acc": 1.0 if check.correct else 0.0, "answer_found": 0.0 if answer is None else 1.0}
    out.update({d: float(res.scores[d]) for d in RUBRIC_DIMENSIONS})
    out["overall"] = float(res.overall)
    return out


def task_counts(dataset: str | os.PathLike[str], *, splits: Sequence[str] = ("train", "validation", "test")) -> dict[str, dict[str, int]]:
    """Per split: questions ``medcot_cot`` evaluates, ``medcot_qa_mc`` keeps, and multiple-answer ones it leaves out.

    Args:
        dataset: a built folder, raw release or Hub repo id.
        splits: the splits to count (missing ones are skipped).

    Returns:
        ``{split: {"medcot_cot": n, "medcot_qa_mc": n, "multi_answer_excluded": n}}``.
    """
    from medcot.scoring import dataset_records

    out: dict[str, dict[str, int]] = {}
    error: InputError | None = None
    for split in splits:
        try:
            records = dataset_records(dataset, split)
        except InputError as exc:  # a split the dataset does not have
            error = exc
            continue
        single = sum(is_single_answer(r) for r in records)
        out[split] = {"medcot_cot": len(records), "medcot_qa_mc": single, "multi_answer_excluded": len(records) - single}
    if not out and error is not None:
        raise error
    return out
