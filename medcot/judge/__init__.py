"""Optional LLM-judge backend for the five-dimension rubric (any OpenAI-compatible endpoint).

Needs the ``judge`` extra (``pip install 'medcot[judge]'``). The submodules import the ``openai`` SDK
lazily, so ``import medcot.judge`` works without it and fails with a clear message only when called.

>>> from medcot.judge import PROMPT_VERSION
>>> PROMPT_VERSION.startswith("medcot-judge-")
True
"""

from __future__ import annotations

import logging

from medcot.judge.client import JudgeResult, ajudge_many, judge_many
from medcot.judge.prompt import PROMPT_VERSION, descriptors_markdown, render_messages

logger = logging.getLogger(__name__)

__all__ = ["PROMPT_VERSION", "JudgeResult", "ajudge_many", "descriptors_markdown", "judge_many", "render_messages"]
