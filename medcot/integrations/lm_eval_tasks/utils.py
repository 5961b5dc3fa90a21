"""Functions the lm-evaluation-harness task YAML files in this folder name with ``!function utils.<name>``.

lm-eval loads this file by path, so it only re-exports :mod:`medcot.integrations.tasks` (the
logic, shared with the lighteval tasks) and adapts it to lm-eval's call conventions.
"""

from __future__ import annotations

from typing import Any

from medcot.integrations.tasks import (  # noqa: F401  (named by the YAML files)
    answer_set_filter,
    cot_docs,
    cot_prompt,
    cot_scores,
    cot_target,
    mc_docs,
    mc_prompt,
    mc_target,
)


def cot_process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    """lm-eval ``process_results``: ``results[0]`` is the filtered generation (an ``AnswerSet``)."""
    return cot_scores(doc, results[0])
