"""Pure constants of the dataset and the rubric — no heavy imports.

The rubric scorer, the CLI and the metric need the rubric dimensions and split names but not the
``datasets`` Features (importing ``datasets`` costs ~0.5 s per process), so these live here and
:mod:`medcot.schema` re-exports them: each is defined once, here; the Features are in the schema.

>>> RUBRIC_DIMENSIONS[0], CONFIG_NAMES[0]
('medical_correctness', 'default')
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Provenance of the dataset (used by the builder constants and the card)
# ---------------------------------------------------------------------------------------------
PRETTY_NAME = "Human-Verified Clinical Reasoning Dataset (MedCoT-Verified)"

CITATION = """\
@article{ding2025humanverified,
  title   = {Building a Human-Verified Clinical Reasoning Dataset via a Human-LLM Hybrid Pipeline for Trustworthy Medical AI},
  author  = {Ding and others},
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
# Configs (their Features are in medcot.schema)
# ---------------------------------------------------------------------------------------------
CONFIG_DESCRIPTIONS: dict[str, str] = {
    "default": "Canonical records: question, options, answer, expert CoT, rubric scores, metadata.",
    "qa": "Multiple-choice evaluation: question, choices, gold labels and indices.",
    "sft": "Chat fine-tuning: TRL-ready `messages` (user: question + options; assistant: CoT + final answer).",
    "prompt_completion": "Completion-only fine-tuning and RL: conversational `prompt` (user turn) and `completion` "
    "(assistant turn: CoT + final answer), plus the gold `answer` for reward functions.",
    "reasoning": "Reasoning-model format: prompt, the reasoning trace, and the final answer.",
}
CONFIG_NAMES: tuple[str, ...] = tuple(CONFIG_DESCRIPTIONS)

# A Hub repo id, namespace/name (letters, digits, '-', '_', '.'); `medcot push` and `--dataset` use it.
REPO_ID_PATTERN = r"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$"
