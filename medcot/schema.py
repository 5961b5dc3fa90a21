"""The one definition of the dataset's records: rubric dimensions, configs and their Features.

The builder (`medcot_verified.py`), the Hub export, the dataset card and the tests all read
their schema from here; nothing else may spell out a Features object. The pure constants (rubric
dimensions, splits, config names, provenance) are defined in :mod:`medcot.constants`, which does
not import ``datasets``, and re-exported here unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import datasets

# The pure constants are defined in medcot.constants (light: no `datasets` import) and re-exported.
from medcot.constants import (  # noqa: F401
    PRETTY_NAME,
    CITATION,
    HOMEPAGE,
    PAPER_URL,
    DESCRIPTION,
    DEFAULT_DATA_LICENSE,
    CODE_LICENSE,
    RUBRIC_MIN,
    RUBRIC_MAX,
    RubricDimension,
    RUBRIC,
    RUBRIC_DIMENSIONS,
    SPLITS,
    DEFAULT_SPLIT_RATIOS,
    DEFAULT_SPLIT_SEED,
    SINGLE_CHOICE,
    MULTIPLE_CHOICE,
    CONFIG_DESCRIPTIONS,
    CONFIG_NAMES,
)

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

# Prompt/completion (TRL conversational format): SFTTrainer trains on the completion only;
# GRPOTrainer generates from the prompt and hands `answer` to the reward functions.
_TURN = datasets.List({"role": _str, "content": _str})
PROMPT_COMPLETION_FEATURES = datasets.Features(
    {
        "id": _str,
        "prompt": _TURN,  # one user turn: instruction + question + options
        "completion": _TURN,  # one assistant turn: CoT + final answer line
        "answer": _str,  # labels joined, e.g. "C" or "ABD"
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


_CONFIG_FEATURES: dict[str, datasets.Features] = {
    "default": DEFAULT_FEATURES,
    "qa": QA_FEATURES,
    "sft": SFT_FEATURES,
    "prompt_completion": PROMPT_COMPLETION_FEATURES,
    "reasoning": REASONING_FEATURES,
}
CONFIGS: tuple[ConfigSpec, ...] = tuple(
    ConfigSpec(name, _CONFIG_FEATURES[name], CONFIG_DESCRIPTIONS[name]) for name in CONFIG_NAMES
)


def get_config(name: str) -> ConfigSpec:
    """Return the :class:`ConfigSpec` called ``name``.

    >>> get_config("qa").name
    'qa'
    """
    for spec in CONFIGS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown config {name!r}; expected one of {', '.join(CONFIG_NAMES)}")
