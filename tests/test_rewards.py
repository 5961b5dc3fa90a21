"""GRPO-style reward functions (medcot.rewards) on hand-made and built prompt_completion rows."""

from __future__ import annotations

import pytest
from conftest import built_rows

from medcot import rewards, views
from medcot.errors import InputError




def test_exact_set_match_not_any_overlap():
    gold = ["ABD"] * 5
    got = rewards.answer_reward(["答案：A", "答案：ABD", "答案：DBA", "答案：ABCD", "无法判断"], answer=gold)
    assert got == [0.0, 1.0, 1.0, 0.0, 0.0]


def test_conversational_completions_and_list_gold():
    completions = [[{"role": "assistant", "content": "……（C对）。\n\n答案：C"}], [{"role": "assistant", "content": "答案：B"}]]
    assert rewards.answer_reward(completions, answer=[["C"], "c"]) == [1.0, 0.0]


def test_option_text_answer_needs_the_prompt():
    prompt = views.format_prompt("上腹痛伴血淀粉酶升高，最可能的诊断是", [
        {"label": "A", "text": "急性胃炎"}, {"label": "B", "text": "急性胰腺炎"}])
    completion = "血淀粉酶升高提示胰腺炎，故选急性胰腺炎。"
    assert rewards.answer_reward([completion], answer=["B"]) == [0.0]  # no letter, no options: not found
    assert rewards.answer_reward([completion], answer=["B"], prompts=[[{"role": "user", "content": prompt}]]) == [1.0]


def test_bad_inputs_name_the_problem():
    with pytest.raises(InputError, match="answer: expected 2 values"):
        rewards.answer_reward(["答案：A", "答案：B"], answer=["A"])
    with pytest.raises(InputError, match=r"answer\[0\]"):
        rewards.answer_reward(["答案：A"], answer=["不知道"])
    with pytest.raises(InputError, match="unknown dimension"):
        rewards.make_rubric_reward(weights={"fluency": 1.0})
    with pytest.raises(InputError, match="positive sum"):
        rewards.make_rubric_reward(weights={"clinical_value": 0.0})


def test_gold_completions_of_the_build_earn_full_answer_reward(dummy_build):
    for split in ("train", "validation", "test"):
        rows = built_rows(dummy_build, "prompt_completion", split)
        assert rows
        got = rewards.answer_reward([r["completion"] for r in rows], answer=[r["answer"] for r in rows],
                                    prompts=[r["prompt"] for r in rows])
        assert got == [1.0] * len(rows), split


def test_rubric_reward_range_order_and_name(dummy_build):
    rows = built_rows(dummy_build, "prompt_completion", "test")
    n = len(rows)
    gold = [r["completion"] for r in rows]
    kwargs = {"answer": [r["answer"] for r in rows], "prompts": [r["prompt"] for r in rows], "completion": gold}
    good = rewards.rubric_reward(gold, **kwargs)
    empty = rewards.rubric_reward([""] * n, **kwargs)
    assert rewards.rubric_reward.__name__ == "rubric_reward"
    assert all(0.0 <= x <= 1.0 for x in good + empty)
    assert all(e < g for e, g in zip(empty, good))
    # one dimension only: still in range, and a different function from the equal-weight default
    single = rewards.make_rubric_reward(weights={"terminology_clarity": 2.0})(gold, **kwargs)
    assert len(single) == n and all(0.0 <= x <= 1.0 for x in single)
