"""The offline scorer against the gaming families of validation/attacks.py (issue 9).

Every family is generated (seeded, the ``eval`` half of the wording pools: wordings the learned
gate was not fitted on) on real explanations and the real explanation must win: its overall score
above the gamed text's for the same question. On the real CMExam sample when ../shared is there,
on the project's own style samples otherwise. negation_flip is the exception the metric card
documents: a flipped medical claim that names no option cannot be seen without medical knowledge;
its test only asserts that flips touching the options' verdicts are caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medcot.rubric import RubricScorer
from validation.attacks import ATTACKS, RIGHT_LETTER, generate
from validation.run_validity import load_items

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "realdata" / "cmexam_val_sample.jsonl"
STYLE = REPO / "tests" / "data" / "style_samples.jsonl"
SEED = 21  # neither the fitting seed (7) nor the measuring seed (13)
# Share of pairs the real explanation must win, per family (paired, so stricter than AUROC
# would need to be for the same separation only when scores vary little between items).
WIN = 0.9
WIN_CORRECTNESS = 0.85
# Families the offline scorer cannot fully judge (documented in the metric card).
KNOWLEDGE = {"negation_flip"}
# An argument for a distractor is only seen through verdicts and polarity phrases; measured
# 0.89 paired wins on these 150 rows (the card reports its AUROC): the test holds that line.
WIN_BY_FAMILY = {"option_swap": 0.85}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    if SAMPLE.exists():
        its, _ = load_items(SAMPLE)
        return its[:150]
    its, _ = load_items(STYLE)
    return its


@pytest.fixture(scope="module")
def scorer() -> RubricScorer:
    return RubricScorer()


@pytest.fixture(scope="module")
def real_scores(items, scorer) -> list:
    return scorer.score_many(
        [{"prediction": it["cot"], "question": it["question"], "options": it["options"],
          "answers": it["answer"]} for it in items]
    )


def _pairs(family, items, scorer, real_scores):
    inst = generate(family, items, seed=SEED, wording="eval")
    gamed = scorer.score_many(
        [{"prediction": t, "question": items[i]["question"], "options": items[i]["options"],
          "answers": items[i]["answer"]} for i, t in inst]
    )
    return [(real_scores[i], g) for (i, _t), g in zip(inst, gamed)]


@pytest.mark.parametrize("family", sorted(set(ATTACKS) - KNOWLEDGE))
def test_real_explanation_beats_gaming(family, items, scorer, real_scores):
    pairs = _pairs(family, items, scorer, real_scores)
    assert pairs, f"{family}: no instance generated"
    wins = sum(1 for r, g in pairs if r.overall > g.overall) / len(pairs)
    need = WIN_BY_FAMILY.get(family, WIN)
    assert wins >= need, f"{family}: real explanation wins {wins:.0%} of {len(pairs)} pairs"
    if family in RIGHT_LETTER:
        won = [
            r.scores["medical_correctness"] > g.scores["medical_correctness"] for r, g in pairs
        ]
        rate = sum(won) / len(won)
        assert rate >= WIN_CORRECTNESS, f"{family}: correctness wins {rate:.0%}"


def test_negation_flips_of_verdicts_are_caught(items, scorer, real_scores):
    """Flips that reach the options' own verdicts ("(B对)" -> "(B错)") contradict the stated
    answer and lose correctness; flips of other claims are a documented blind spot."""
    pairs = _pairs("negation_flip", items, scorer, real_scores)
    verdict_flips = [
        (r, g)
        for r, g in pairs
        if g.signals.get("stance_gold_against", 0) > r.signals.get("stance_gold_against", 0)
    ]
    assert verdict_flips, "no negation flip touched an option's verdict"
    caught = sum(
        g.scores["medical_correctness"] < r.scores["medical_correctness"] for r, g in verdict_flips
    ) / len(verdict_flips)
    assert caught >= 0.8, f"{caught:.0%} of {len(verdict_flips)} verdict flips lower correctness"


def test_gaming_evidence_says_why(scorer):
    """A user sees why a gamed text got no credit."""
    q = "可出现甲状腺肿大伴震颤及血管杂音的是"
    opts = "A 单纯性甲状腺肿\nB 甲状腺功能亢进症\nC 甲状腺腺瘤\nD 甲状腺癌\nE 慢性淋巴细胞性甲状腺炎"
    gamed = ("首先，可出现甲状腺、肿大伴震颤及、血管杂音的是、单纯性甲状腺、肿甲状腺功能、亢进症甲状腺、"
             "腺瘤甲状腺癌、慢性淋巴细胞、性甲状腺炎。其次，。因此，综上所述，鉴别诊断、治疗原则、禁忌证均需考虑，"
             "故本题选B。")
    r = scorer.score(gamed, question=q, options=opts, answers="B")
    assert r.overall < 2.0 and r.scores["medical_correctness"] < 2.5
    text = " ".join(e for es in r.evidence.values() for e in es)
    assert "sentence 1" in text and ("term list" in text or "restates" in text)
    assert r.version.startswith("medcot-offline-2+gate-")
