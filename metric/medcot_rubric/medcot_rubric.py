# Copyright the medcot-verified developers. Licensed under the Apache License, Version 2.0.
"""MedCoT rubric: score Chinese medical chain-of-thought on the five-dimension expert rubric.

A thin `evaluate` wrapper around :mod:`medcot.scoring` (distribution ``medcot-verified``, import name
``medcot``); all logic lives there.
"""

from __future__ import annotations

import logging

import datasets
import evaluate

# The `# From:` comments name the distribution that provides `medcot`: evaluate's loader puts that
# spec in its install hint when the package is missing (`medcot push-metric --package-spec` rewrites it).
from medcot import scoring  # From: medcot-verified
from medcot.errors import InputError  # From: medcot-verified
from medcot.schema import CITATION, PAPER_URL, RUBRIC, RUBRIC_DIMENSIONS  # From: medcot-verified

logger = logging.getLogger(__name__)

_CITATION = CITATION

_DESCRIPTION = """\
Scores a model's chain-of-thought (CoT) explanation of a Chinese medical exam question on the five
dimensions experts used to verify the Human-Verified Clinical Reasoning Dataset (Ding et al., 2025):
""" + "\n".join(f"- {d.key} ({d.zh}): 5 = {d.five_means}" for d in RUBRIC) + """

Each dimension is a 1-5 score (higher is better). The default backend is a deterministic offline
heuristic (no model download, CPU, per-dimension evidence); backend="judge" asks any
OpenAI-compatible LLM endpoint with an anchored Chinese rubric prompt. The metric also reports
final-answer accuracy (answer extracted from the CoT vs. the gold labels) and character-level
ROUGE-L against the reference CoT (no word segmenter needed for Chinese).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): the chain-of-thought explanations to score.
    references (`list` of `str`, optional): reference (expert) CoT per prediction; use "" for a row
        without one. When omitted entirely, no row has a reference.
    questions (`list` of `str`, optional): the question stem per prediction.
    options (`list`, optional): the options per prediction, each as a list of {"label", "text"}, a dict
        {"A": "..."}, a list of strings, or one string such as "A 原发病\\nB 出血部位".
    answers (`list`, optional): the gold answer per prediction: "B", "AB", "A、B" or ["A", "B"].
        Context lists (questions / options / answers) cover ALL rows, also after `add_batch`.
    return_per_sample (`bool`, default False): also return `per_sample`, one dict per row with the five
        scores, overall, extracted_answer (None = no answer found), answer_correct, gold_answer,
        char_rouge_l, evidence and error.
    bootstrap (`bool`, default False): add percentile bootstrap confidence intervals.
    n_resamples (`int`, default 1000): bootstrap resamples.
    seed (`int`, default 0): seed of the bootstrap's numpy Generator (same seed, same intervals).
    confidence (`float`, default 0.95): coverage of the intervals.
    lexicon_paths (`list` of `str`, optional): user medical lexicon files (one term per line) that
        extend the built-in lexicon of the offline scorer.
    calibration (`str`, optional): path of a calibration file written by `medcot calibrate`; maps the
        offline scorer's signals onto the experts' scale.
    backend (`str`, optional): "heuristic" (default) or "judge" (default when loaded with
        config_name="judge").
    judge_base_url, judge_model (`str`): the OpenAI-compatible endpoint and model (judge only).
    judge_api_key_env (`str`, default "OPENAI_API_KEY"): environment variable holding the key.
    judge_concurrency (`int`, default 8): concurrent judge requests.
    judge_cache_dir (`str`, optional): on-disk cache so reruns cost no calls.
    judge_timeout (`float`, optional), judge_max_retries (`int`, optional): per-request timeout in
        seconds and retries on timeouts / 429 / 5xx (the judge's defaults when None).

Returns:
    medical_correctness, reasoning_structure, information_sufficiency, terminology_clarity,
    clinical_value, overall (`float` in [1, 5], mean over scored rows; None if none was scored),
    answer_accuracy (`float` in [0, 1] over rows with a gold answer; a CoT with no recognisable final
        answer counts as wrong; None if no row has gold),
    char_rouge_l (`float` in [0, 1] over rows with a reference; None if none has one),
    n_rows, n_scored, n_missing (rows without scores, e.g. judge failures — never counted as 0),
    n_invalid, n_with_answer, n_with_reference, backend,
    confidence_intervals ({name: [low, high]}) and bootstrap (settings) when bootstrap=True,
    per_sample (`list` of `dict`) when return_per_sample=True.

Examples:

    >>> medcot_rubric = evaluate.load("medcot_rubric")
    >>> cot = ("患者突发胸痛伴ST段抬高，心肌酶升高，符合急性心肌梗死的诊断依据。"
    ...        "主动脉夹层多为撕裂样痛且双上肢血压不等，可排除。故选B。")
    >>> results = medcot_rubric.compute(
    ...     predictions=[cot, "选A"],
    ...     references=[cot, ""],
    ...     questions=["男，60岁，突发胸痛2小时。最可能的诊断是"] * 2,
    ...     options=[{"A": "主动脉夹层", "B": "急性心肌梗死"}, ["主动脉夹层", "急性心肌梗死"]],
    ...     answers=["B", ["B"]],
    ... )
    >>> results["answer_accuracy"], results["n_with_reference"], results["char_rouge_l"]
    (0.5, 1, 1.0)
    >>> all(1.0 <= results[d] <= 5.0 for d in ["overall", "medical_correctness", "clinical_value"])
    True

    Per-sample scores with evidence, and seeded bootstrap intervals:

    >>> results = medcot_rubric.compute(predictions=[cot, "选A"], answers=["B", "B"],
    ...                                 return_per_sample=True, bootstrap=True, n_resamples=200, seed=7)
    >>> row = results["per_sample"][0]
    >>> row["extracted_answer"], row["answer_correct"], sorted(row["evidence"]) == sorted(RUBRIC_DIMENSIONS)
    (['B'], True, True)
    >>> results["per_sample"][0]["overall"] > results["per_sample"][1]["overall"]
    True
    >>> ci = results["confidence_intervals"]["answer_accuracy"]
    >>> ci[0] <= results["answer_accuracy"] <= ci[1]
    True
"""


def _check_batch(predictions, references):
    """Clear errors before evaluate's Arrow writer sees the batch; missing references become ""."""
    if predictions is None:
        return predictions, references
    if isinstance(predictions, (str, bytes, dict)):
        raise InputError(f"predictions must be a list of strings, got {type(predictions).__name__}")
    predictions = list(predictions)
    for i, p in enumerate(predictions):
        if not isinstance(p, str):
            raise InputError(f"predictions[{i}] must be a string, got {type(p).__name__}")
    if references is None:
        return predictions, [""] * len(predictions)
    if isinstance(references, (str, bytes, dict)):
        raise InputError(f"references must be a list of strings, got {type(references).__name__}")
    references = list(references)
    if len(references) != len(predictions):
        raise InputError(
            f"references has {len(references)} entries but there are {len(predictions)} predictions"
        )
    out = []
    for i, r in enumerate(references):
        if r is None:
            r = ""
        if not isinstance(r, str):
            raise InputError(f"references[{i}] must be a string (or \"\" for none), got {type(r).__name__}")
        out.append(r)
    return predictions, out


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MedcotRubric(evaluate.Metric):
    """Five-dimension rubric for Chinese medical chain-of-thought (offline heuristic or LLM judge)."""

    def _info(self):
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # references are a required feature of evaluate, but "" (or omitting them) means "none".
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            homepage=PAPER_URL,
            codebase_urls=[],
            reference_urls=[PAPER_URL],
            license="apache-2.0",
        )

    # evaluate requires every features[0] key; let references be optional and fail early and clearly.
    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch of predictions (and optional references; "" or omitted = none).

        Context (questions / options / answers) is passed to `compute` for all rows at once.
        """
        predictions, references = _check_batch(predictions, references)
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Add one prediction (and optional reference; "" or omitted = none)."""
        if prediction is not None and not isinstance(prediction, str):
            raise InputError(f"prediction must be a string, got {type(prediction).__name__}")
        if reference is not None and not isinstance(reference, str):
            raise InputError(f"reference must be a string (or \"\" for none), got {type(reference).__name__}")
        if prediction is not None and reference is None:
            reference = ""
        return super().add(prediction=prediction, reference=reference, **kwargs)

    def _compute(
        self,
        predictions,
        references,
        questions=None,
        options=None,
        answers=None,
        ids=None,
        return_per_sample=False,
        bootstrap=False,
        n_resamples=1000,
        seed=0,
        confidence=0.95,
        lexicon_paths=None,
        calibration=None,
        backend=None,
        judge_base_url=None,
        judge_model=None,
        judge_api_key_env="OPENAI_API_KEY",
        judge_concurrency=8,
        judge_cache_dir=None,
        judge_timeout=None,
        judge_max_retries=None,
    ):
        if backend is None:
            backend = "judge" if self.config_name == "judge" else "heuristic"
        if isinstance(lexicon_paths, str):
            lexicon_paths = [lexicon_paths]
        judge_options = None
        if backend == "judge":
            judge_options = {
                "base_url": judge_base_url,
                "model": judge_model,
                "api_key_env": judge_api_key_env,
                "concurrency": judge_concurrency,
                "cache_dir": judge_cache_dir,
                "timeout": judge_timeout,
                "max_retries": judge_max_retries,
            }
        rows, summary = scoring.score_batch(
            list(predictions),
            references=[r or None for r in references],
            questions=questions,
            options=options,
            answers=answers,
            ids=ids,
            backend=backend,
            lexicon_paths=tuple(lexicon_paths or ()),
            calibration=calibration,
            judge_options=judge_options,
            bootstrap=int(n_resamples) if bootstrap else 0,
            seed=seed,
            confidence=confidence,
        )
        result = summary.to_dict()
        if return_per_sample:
            result["per_sample"] = [r.to_dict() for r in rows]
        return result


__all__ = ["MedcotRubric", "RUBRIC_DIMENSIONS"]
