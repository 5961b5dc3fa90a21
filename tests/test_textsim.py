"""Character-level similarity: identities, bounds, punctuation handling and long inputs."""

from __future__ import annotations

import random

import pytest

from medcot.textsim import char_normalize, chrf, ngram_overlap, ngram_overlaps, rouge_l

A = "上消化道出血表现为呕血还是便血主要取决于出血的速度和出血量的多少。"
B = "甲状腺肿大伴震颤及血管杂音是甲状腺功能亢进症的临床表现。"


def test_identical_is_one() -> None:
    assert rouge_l(A, A).f == 1.0
    assert chrf(A, A) == 1.0
    assert all(v.f == 1.0 for v in ngram_overlaps(A, A, max_n=4).values())


def test_disjoint_is_zero() -> None:
    assert rouge_l("肝硬化", "肾结石").f == 0.0
    assert chrf("肝硬化", "肾结石") == 0.0
    assert ngram_overlap("肝硬化", "肾结石", n=1).f == 0.0


def test_empty_inputs() -> None:
    assert rouge_l("", A).f == 0.0
    assert rouge_l("。，", A).recall == 0.0
    assert chrf(A, "") == 0.0
    assert ngram_overlap("", "", n=2).f == 0.0


def test_whitespace_and_punctuation_ignored_consistently() -> None:
    spaced = " ".join(A).replace("。", "！")
    assert rouge_l(spaced, A).f == 1.0
    assert chrf(spaced, A) == 1.0
    assert char_normalize("（Ａ对）") == char_normalize("(a对)") == "a对"


def test_scores_are_bounded_and_ordered() -> None:
    partial = A[: len(A) // 2]
    r = rouge_l(partial, A)
    assert r.precision == 1.0 and 0.0 < r.recall < 1.0 and 0.0 < r.f < 1.0
    assert 0.0 < chrf(partial, A) < 1.0
    assert rouge_l(A, B).f < rouge_l(partial, A).f


def test_ngram_overlap_is_clipped() -> None:
    # "肝肝肝" shares only one "肝" with "肝硬化": clipped counts, precision 1/3.
    assert ngram_overlap("肝肝肝", "肝硬化", n=1).precision == pytest.approx(1 / 3)


def test_long_texts_work_without_recursion() -> None:
    rng = random.Random(0)
    chars = "心肝脾肺肾胃肠血气阴阳寒热虚实痰湿瘀毒"
    long_a = "".join(rng.choice(chars) for _ in range(6000))
    long_b = "".join(rng.choice(chars) for _ in range(5000))
    assert rouge_l(long_a, long_a).f == 1.0
    r = rouge_l(long_a, long_b)
    assert 0.0 < r.f < 1.0
    assert 0.0 < chrf(long_a, long_b) < 1.0


def test_rouge_l_symmetry_of_f() -> None:
    assert rouge_l(A, B).f == pytest.approx(rouge_l(B, A).f)


def test_invalid_order() -> None:
    with pytest.raises(ValueError):
        ngram_overlap(A, B, n=0)
