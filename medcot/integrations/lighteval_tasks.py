"""lighteval custom task file: ``medcot_qa_mc`` and ``medcot_cot`` with the rubric metric.

Use it with ``--custom-tasks`` (the path is ``medcot.integrations.LIGHTEVAL_TASKS``); the dataset is
read from ``$MEDCOT_DATASET`` (a built folder or a Hub repo id; default ``org/medcot``), the
generation budget of ``medcot_cot`` from ``$MEDCOT_GENERATION_SIZE`` (tokens, default 1024)::

    MEDCOT_DATASET=build/medcot lighteval accelerate "model_name=PATH" "medcot_cot|0" \\
        --custom-tasks "$(python -c 'import medcot.integrations as m; print(m.LIGHTEVAL_TASKS)')"

Offline, lighteval 0.13 fails before it reaches a custom task: building its task registry imports
every built-in task module, and one of them downloads a file at import. ``python -m
medcot.integrations.lighteval_tasks accelerate ...`` runs the same CLI with a registry that holds
only the tasks of this file (see :func:`main`). lighteval 0.13 also needs ``xxhash<4``.

The tasks are the ones of :mod:`medcot.integrations.tasks`: the loglikelihood task keeps
single-answer questions only (lighteval's ``acc`` counts a hit when the top option is any gold
option); the generative task counts a multiple-answer question only on an exact set match and
scores every chain of thought with the offline rubric (five dimensions + ``overall``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from lighteval.metrics.metrics import Metrics
from lighteval.metrics.metrics_sample import SampleLevelComputation
from lighteval.metrics.utils.metric_utils import SampleLevelMetricGrouping
from lighteval.tasks.lighteval_task import LightevalTaskConfig
from lighteval.tasks.requests import Doc, SamplingMethod

from medcot import views
from medcot.integrations import tasks

logger = logging.getLogger(__name__)

__all__ = ["TASKS_TABLE", "main", "medcot_cot", "medcot_qa_mc", "rubric_metric"]

_SPLITS = ["train", "validation", "test"]
# lighteval 0.13 generates up to the task's generation_size whatever the model's max_new_tokens say
GENERATION_SIZE_ENV = "MEDCOT_GENERATION_SIZE"
GENERATION_SIZE = int(os.environ.get(GENERATION_SIZE_ENV) or 1024)


def mc_prompt(line: dict[str, Any], task_name: str = "medcot_qa_mc") -> Doc:
    """A ``qa`` row as a lighteval multiple-choice ``Doc`` (choices are the option letters)."""
    # lighteval replaces Doc.id with the row's position; the dataset id rides along in `specific`
    return Doc(task_name=task_name, query=tasks.mc_prompt(line), choices=list(line["choice_labels"]),
               gold_index=tasks.mc_target(line), id=str(line["id"]), specific={"id": str(line["id"])})


def cot_prompt(line: dict[str, Any], task_name: str = "medcot_cot") -> Doc:
    """A canonical record as a lighteval generative ``Doc``; the record rides along in ``specific``."""
    return Doc(task_name=task_name, query=tasks.cot_prompt(line), choices=[views.assistant_text(line)],
               gold_index=0, id=str(line["id"]), specific={"id": str(line["id"]), "record": dict(line)})


class RubricScores(SampleLevelComputation):
    """Exact answer-set match, answer found, and the offline rubric of one generated chain of thought."""

    def compute(self, doc: Doc, model_response: Any, **kwargs: Any) -> dict[str, float]:
        record = (doc.specific or {})["record"]
        texts: Sequence[str] = model_response.text or [""]
        return tasks.cot_scores(record, texts[0])


rubric_metric = SampleLevelMetricGrouping(
    metric_name=list(tasks.COT_METRICS),
    higher_is_better=dict.fromkeys(tasks.COT_METRICS, True),
    category=SamplingMethod.GENERATIVE,
    sample_level_fn=RubricScores(),
    corpus_level_fn=dict.fromkeys(tasks.COT_METRICS, np.mean),
)

medcot_qa_mc = LightevalTaskConfig(
    name="medcot_qa_mc",
    prompt_function=mc_prompt,
    hf_repo=tasks.dataset_location(),
    hf_subset="qa",
    hf_filter=tasks.is_single_answer,
    hf_avail_splits=_SPLITS,
    evaluation_splits=["test"],
    few_shots_split="validation",
    few_shots_select="sequential",
    metrics=[Metrics.loglikelihood_acc],
    version=1,
)

medcot_cot = LightevalTaskConfig(
    name="medcot_cot",
    prompt_function=cot_prompt,
    hf_repo=tasks.dataset_location(),
    hf_subset="default",
    hf_avail_splits=_SPLITS,
    evaluation_splits=["test"],
    few_shots_split="validation",
    few_shots_select="sequential",
    generation_size=GENERATION_SIZE,
    stop_sequence=[],
    metrics=[rubric_metric],
    version=1,
)

TASKS_TABLE = [medcot_qa_mc, medcot_cot]


def _only_these_tasks(custom_tasks: Any = None, load_multilingual: bool = False) -> dict[str, LightevalTaskConfig]:
    # The registry of this file alone: lighteval's built-in task modules are never imported.
    return {config.name: config for config in TASKS_TABLE}


def main(argv: list[str] | None = None) -> int:
    """Run lighteval's CLI with a task registry that holds only this file's tasks (works offline).

    ``python -m medcot.integrations.lighteval_tasks accelerate "model_name=PATH" "medcot_cot|0"``;
    ``--custom-tasks`` is not needed (and is ignored).
    """
    from lighteval.__main__ import app
    from lighteval.tasks.registry import Registry

    Registry.load_all_task_configs = staticmethod(_only_these_tasks)  # type: ignore[method-assign]
    try:
        app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - typer's own exits
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
