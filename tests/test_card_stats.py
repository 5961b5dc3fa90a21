"""``StatsAccumulator.add_many`` (the export's fast path) equals ``add`` record by record.

Counters (and their first-seen order, which breaks ``most_common`` ties), rubric sums to the last
float bit, counts and lengths must all be identical, whatever mix of missing, partial and empty
rubrics the records carry.
"""

from __future__ import annotations

import random

import pytest

from medcot import schema
from medcot.card import StatsAccumulator

KEYS = (*schema.RUBRIC_DIMENSIONS, "overall")


def _record(rng: random.Random, i: int) -> dict:
    kind = rng.randrange(5)
    if kind == 0:
        rubric = None
    elif kind == 1:
        rubric = {}
    elif kind == 2:
        rubric = {k: None for k in KEYS}
    else:
        rubric = {k: (None if rng.random() < 0.3 else rng.choice([1.0, 2.5, 3.3333, 4.1, 5.0, 1.7])) for k in KEYS if rng.random() < 0.9}
    return {
        "id": f"q{i}", "question": "问" * rng.randrange(1, 50), "cot": "因" * rng.randrange(1, 90),
        "options": [{"label": "A", "text": "甲"}] * rng.randrange(2, 6), "answer": ["A", "B"][: rng.randrange(1, 3)],
        "department": rng.choice([None, "内科", "外科", ""]), "question_type": rng.choice([None, "A1", "X"]),
        "source": rng.choice([None, "CMExam"]), "rubric": rubric, "review": rng.choice([None, {"status": "ok"}]),
    }


@pytest.mark.parametrize("seed", range(5))
def test_add_many_equals_add(seed: int) -> None:
    rng = random.Random(seed)
    records = [_record(rng, i) for i in range(400)]
    one, many = StatsAccumulator(), StatsAccumulator()
    for r in records:
        one.add(r, split="train")
    for start in range(0, len(records), 37):
        many.add_many(records[start:start + 37], split="train")
    assert one == many
    assert list(one.departments) == list(many.departments)
    assert {k: one.rubric_sums[k].hex() for k in one.rubric_sums} == {k: many.rubric_sums[k].hex() for k in many.rubric_sums}
    assert one.result() == many.result()
    assert 0 < many.with_rubric < len(records)


def test_add_many_without_rubrics_adds_no_sums() -> None:
    acc = StatsAccumulator()
    acc.add_many([{"question": "问", "cot": "因", "options": [], "answer": ["A"], "rubric": None}] * 3, split="test")
    assert acc.with_rubric == 0 and not acc.rubric_sums and not acc.rubric_counts
    assert acc.result()["rubric_means"] == {}
