"""The offline, deterministic five-dimension rubric scorer (see :mod:`medcot.rubric.scorer`).

One module per signal family:

- :mod:`~medcot.rubric.scorer` — :class:`RubricScorer`: answer, relevance, lexicon, structure,
  sufficiency, terminology and clinical signals, the caps, and the parallel drivers;
- :mod:`~medcot.rubric.substance` — which sentences are claims about this question (credit is
  only given for those) and which are echo, lists, cue phrases, boilerplate, off-topic or
  duplicated;
- :mod:`~medcot.rubric.stance` — whether the text argues *for* the answer it states: the stance
  taken on each option's content;
- :mod:`~medcot.rubric.gate` — the learned aggregation (a small logistic model, JSON artefact)
  that turns the signals into the probability that a text is genuine reasoning.
"""

from medcot.rubric.scorer import RubricResult, RubricScorer, score

__all__ = ["RubricResult", "RubricScorer", "score"]
