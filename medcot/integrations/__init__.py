"""Integrations with the tools people already use to evaluate, train and compare models.

| module / folder | for |
|---|---|
| :mod:`~medcot.integrations.tasks` | the two tasks, framework-free: documents, prompts, answer sets, per-item scores |
| ``lm_eval_tasks/`` | lm-evaluation-harness task folder (``--include_path``): ``medcot_qa_mc``, ``medcot_cot`` |
| :mod:`~medcot.integrations.lighteval_tasks` | lighteval custom task file (``--custom-tasks``): the same two tasks + rubric metric |
| :mod:`~medcot.integrations.opencompass` | ``medcot export --format opencompass``: flat JSONL per option count and answer kind + config snippet |
| :mod:`~medcot.integrations.logs` | reading what the frameworks wrote (lm-eval ``--log_samples``, lighteval details) for ``medcot score`` |
| :mod:`~medcot.integrations.columnar` | ``score_columns``: batched scoring for ``Dataset.map(batched=True)`` and Ray Data ``map_batches`` |

TRL reward functions live in :mod:`medcot.rewards`. None of these modules imports a framework at
import time; each framework is an optional extra (``pip install "medcot-verified[eval]"`` / ``[train]``).

>>> LM_EVAL_TASKS.name, (LM_EVAL_TASKS / "medcot_cot.yaml").is_file()
('lm_eval_tasks', True)
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
# The lm-eval task folder: `lm_eval --include_path <this> --tasks medcot_cot`.
LM_EVAL_TASKS = HERE / "lm_eval_tasks"
# The lighteval custom task file: `lighteval accelerate ... --custom-tasks <this>`.
LIGHTEVAL_TASKS = HERE / "lighteval_tasks.py"

__all__ = ["HERE", "LIGHTEVAL_TASKS", "LM_EVAL_TASKS"]
