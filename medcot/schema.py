"""The one definition of the dataset's records: rubric dimensions, configs and their Features.

The builder (`medcot_verified.py`), the Hub export, the dataset card and the tests all read
their schema from here; nothing else may spell out a Features object.
"""

from __future__ import annotations

from dataclasses import dataclass

import datasets

# ---------------------------------------------------------------------------------------------
# Provenance of the dataset (used by the builder constants and the card)
# ---------------------------------------------------------------------------------------------
PRETTY_NAME = "Human-Verified Clinical Reasoning Dataset (MedCoT-Verified)"

CITATION = """\
@article{ding2025humanverified,
  title   = {Building a Human-Verified Clinical Reasoning Dataset via a Human-LLM Hybrid Pipeline for Trustworthy Medical AI},
  author  = {Ding and others},  % first author's surname as cited in DESIGN.md; full list on arXiv
  journal = {arXiv preprint arXiv:2505.06912},
  year    = {2025},
  url     = {https://arxiv.org/abs/2505.06912}
}
"""

HOMEPAGE = "https://medbench.opencompass.org.cn/community/data-station"
PAPER_URL = "https://arxiv.org/abs/2505.06912"

DESCRIPTION = (
    "31,247 Chinese medical examination questions, each with its answer and an expert-validated "
    "chain-of-thought (CoT) explanation. LLM-written rationales were scored by medical experts on a "
    "five-dimension rubric (medical correctness, reasoning structure, information sufficiency, "
    "terminology clarity, clinical value) and revised until consensus."
)

# The release does not publish a data licence; the card says so unless `medcot build --license` sets one.
DEFAULT_DATA_LICENSE = "unknown"
CODE_LICENSE = "apache-2.0"

# ---------------------------------------------------------------------------------------------
# Rubric
# ---------------------------------------------------------------------------------------------
RUBRIC_MIN, RUBRIC_MAX = 1, 5


@dataclass(frozen=True)
class RubricDimension:
    key: str
    zh: str
    en: str
    five_means: str


RUBRIC: tuple[RubricDimension, ...] = (
    RubricDimension(
        "medical_correctness", "医学正确性", "Medical correctness",
        "every medical statement and the final answer are correct",
    ),
    RubricDimension(
        "reasoning_structure", "推理结构", "Reasoning structure",
        "ordered steps from the stem's evidence to an explicit conclusion; options weighed; "
        "no circularity or repetition",
    ),
    RubricDimension(
        "information_sufficiency", "信息充分性", "Information sufficiency",
        "uses the stem's key findings and enough knowledge to justify the answer and exclude "
        "distractors; not padded",
    ),
    RubricDimension(
        "terminology_clarity", "术语清晰度", "Terminology clarity",
        "standard medical terms, used correctly and consistently; abbreviations explained; readable",
    ),
    RubricDimension(
        "clinical_value", "临床价值", "Clinical value",
        "ties to practice: diagnostic basis, differential diagnosis, management, pitfalls and safety",
    ),
)
RUBRIC_DIMENSIONS: tuple[str, ...] = tuple(d.key for d in RUBRIC)

# ---------------------------------------------------------------------------------------------
# Splits and question types
# ---------------------------------------------------------------------------------------------
SPLITS: tuple[str, ...] = ("train", "validation", "test")
# Used only when the release carries no split of its own (documented in the card).
DEFAULT_SPLIT_RATIOS: tuple[float, float, float] = (0.8, 0.1, 0.1)
DEFAULT_SPLIT_SEED = 20250511

SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"

# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------
_str = datasets.Value("string")
_f32 = datasets.Value("float32")
_i32 = datasets.Value("int32")

OPTION = {"label": _str, "text": _str}
RUBRIC_FEATURE = {**{k: _f32 for k in RUBRIC_DIMENSIONS}, "overall": _f32}
REVIEW_FEATURE = {"status": _str, "rounds": _i32, "reviewers": _i32}

# Canonical record (the `default` config). Nullable fields are None when the release lacks them.
DEFAULT_FEATURES = datasets.Features(
    {
        "id": _str,  # the release's own id, else a content hash (stable across runs)
        "question": _str,
        "options": datasets.List(OPTION),  # ordered, labels "A".."Z"
        "answer": datasets.List(_str),  # gold labels, sorted; >1 for multiple-answer questions
        "cot": _str,  # the expert-validated chain-of-thought explanation
        "question_type": _str,  # the release's own type (e.g. "A1"), else single_choice/multiple_choice
        "department": _str,  # nullable
        "source": _str,  # nullable
        "rubric": RUBRIC_FEATURE,  # nullable struct; each dimension 1-5, nullable
        "review": REVIEW_FEATURE,  # nullable struct
        "extra": _str,  # nullable: JSON object of source columns no alias matched (nothing is dropped)
    }
)

# Multiple-choice evaluation (BigBIO-QA-like).
QA_FEATURES = datasets.Features(
    {
        "id": _str,
        "question": _str,
        "choices": datasets.List(_str),  # option texts, in label order
        "choice_labels": datasets.List(_str),  # "A", "B", ...
        "answer": datasets.List(_str),  # gold labels
        "answer_idx": datasets.List(_i32),  # indices into choices
        "question_type": _str,
        "department": _str,
    }
)

# Chat fine-tuning (TRL conversational format): user = question + options, assistant = CoT + answer.
SFT_FEATURES = datasets.Features(
    {
        "id": _str,
        "messages": datasets.List({"role": _str, "content": _str}),
    }
)

# Reasoning-model format: prompt, separate reasoning trace, and the final answer string.
REASONING_FEATURES = datasets.Features(
    {
        "id": _str,
        "prompt": _str,
        "reasoning": _str,
        "answer": _str,  # labels joined, e.g. "C" or "ABD"
    }
)


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    features: datasets.Features
    description: str


CONFIGS: tuple[ConfigSpec, ...] = (
    ConfigSpec("default", DEFAULT_FEATURES, "Canonical records: question, options, answer, expert CoT, rubric scores, metadata."),
    ConfigSpec("qa", QA_FEATURES, "Multiple-choice evaluation: question, choices, gold labels and indices."),
    ConfigSpec("sft", SFT_FEATURES, "Chat fine-tuning: TRL-ready `messages` (user: question + options; assistant: CoT + final answer)."),
    ConfigSpec("reasoning", REASONING_FEATURES, "Reasoning-model format: prompt, the reasoning trace, and the final answer."),
)
CONFIG_NAMES: tuple[str, ...] = tuple(c.name for c in CONFIGS)


def get_config(name: str) -> ConfigSpec:
    """Return the :class:`ConfigSpec` called ``name``.

    >>> get_config("qa").name
    'qa'
    """
    for spec in CONFIGS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown config {name!r}; expected one of {', '.join(CONFIG_NAMES)}")
