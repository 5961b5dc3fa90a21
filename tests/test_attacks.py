"""The gaming-attack library (validation/attacks.py): registry, determinism, wording diversity,
stated answers, and that the misleading families really change the reasoning.

Hand-made items (written for this test) always run; the real-data checks use the first 150 usable
rows of ../shared/realdata/cmexam_val_pool.jsonl and skip when it is absent (fail in CI).
"""

from __future__ import annotations

import doctest
import json
import re

import pytest
from conftest import SHARED, _need

import validation.attacks as attacks
from medcot.answer import _BRACKET, extract_answer
from validation.attacks import ATTACKS, DESCRIPTIONS, GROUPS, RIGHT_LETTER, WORDINGS, generate, wording_share
from validation.corruptions import fold, split_sentences
from validation.run_validity import load_items

POOL = SHARED / "realdata" / "cmexam_val_pool.jsonl"


def _opts(*texts: str) -> list[dict]:
    return [{"label": "ABCDE"[i], "text": t} for i, t in enumerate(texts)]


HAND = [
    {
        "id": "h1",
        "question": "男，45岁。饮酒后突发上腹剧痛伴呕吐6小时，血淀粉酶明显升高。最可能的诊断是",
        "options": _opts("急性胃肠炎", "急性胰腺炎", "胆囊结石", "消化性溃疡穿孔", "急性心肌梗死"),
        "answer": ["B"],
        "cot": "饮酒后上腹剧痛、呕吐，血淀粉酶明显升高，是急性胰腺炎的典型表现（B对）。急性胃肠炎（A错）多有腹泻，"
        "淀粉酶不高。胆囊结石（C错）疼痛位于右上腹。消化性溃疡穿孔（D错）可见膈下游离气体。急性心肌梗死（E错）"
        "需查心电图和心肌酶。",
    },
    {
        "id": "h2",
        "question": "治疗缺铁性贫血首选的药物是",
        "options": _opts("维生素B12", "叶酸", "口服铁剂", "促红细胞生成素", "输血"),
        "answer": ["C"],
        "cot": "缺铁性贫血的治疗原则是去除病因并补充铁剂，首选口服铁剂（C对）。维生素B12（A错）和叶酸（B错）"
        "用于巨幼细胞贫血。促红细胞生成素（D错）主要用于肾性贫血。输血（E错）仅用于重度贫血。",
    },
    {
        "id": "h3",
        "question": "下列不属于甲状腺功能亢进症表现的是",
        "options": _opts("心悸", "怕热多汗", "体重减轻", "黏液性水肿", "手指震颤"),
        "answer": ["D"],
        "cot": "甲亢时代谢增高，可见心悸（A对）、怕热多汗（B对）、体重减轻（C对）、手指震颤（E对）。"
        "黏液性水肿（D错，为本题正确答案）是甲状腺功能减退症的表现。",
    },
    {
        "id": "h4",
        "question": "诊断肺结核最可靠的依据是",
        "options": _opts("胸部X线", "痰找抗酸杆菌阳性", "结核菌素试验", "血沉增快", "低热盗汗"),
        "answer": ["B"],
        "cot": "痰中找到结核分枝杆菌是确诊肺结核的主要依据，故痰找抗酸杆菌阳性最可靠。胸部X线可提示病变，"
        "结核菌素试验阳性只说明感染过，血沉增快和低热盗汗均无特异性。故选B。",
    },
    {
        "id": "h5",
        "question": "心室颤动时首选的处理是",
        "options": _opts("静脉注射利多卡因", "非同步直流电除颤", "同步电复律", "人工起搏", "静脉注射阿托品"),
        "answer": ["B"],
        "cot": "心室颤动时心脏失去有效收缩，应立即行非同步直流电除颤（B对）。同步电复律（C错）用于有R波的心律失常。"
        "利多卡因（A错）为辅助用药。人工起搏（D错）用于缓慢性心律失常，阿托品（E错）用于心动过缓。",
    },
    {
        "id": "h6",
        "question": "属于糖尿病慢性并发症的有",
        "options": _opts("糖尿病肾病", "糖尿病视网膜病变", "糖尿病酮症酸中毒", "周围神经病变", "高渗高血糖综合征"),
        "answer": ["A", "B", "D"],
        "cot": "糖尿病慢性并发症包括糖尿病肾病（A对）、糖尿病视网膜病变（B对）和周围神经病变（D对）。"
        "糖尿病酮症酸中毒（C错）和高渗高血糖综合征（E错）属于急性并发症。",
    },
]


def _replicas(items: list[dict], n: int) -> list[dict]:
    """``n`` copies of each item with distinct ids (distinct RNG streams, same content)."""
    return [dict(it, id=f"{it['id']}#{k}") for k in range(n) for it in items]


@pytest.fixture(scope="module")
def pool_items() -> list[dict]:
    items, _rejects = load_items(_need(POOL))
    return items[:150]


def test_registry_shape():
    assert len(ATTACKS) >= 22
    assert set(GROUPS) == set(ATTACKS) == set(DESCRIPTIONS)
    groups = set(GROUPS.values())
    assert 5 <= len(groups) <= 8
    for g in groups:  # leave-group-out needs every group to be a real cluster
        assert sum(v == g for v in GROUPS.values()) >= 2, g
    assert RIGHT_LETTER <= set(ATTACKS)
    assert {"stem_echo", "option_swap", "negation_flip", "bare_answer"} <= RIGHT_LETTER
    # Families that keep the whole real explanation are not "right letter without reasoning".
    assert not RIGHT_LETTER & {"pad_unrelated", "pad_boilerplate", "duplicate_paragraph", "injection"}
    assert all(DESCRIPTIONS[f] and "\n" not in DESCRIPTIONS[f] and "  " not in DESCRIPTIONS[f] for f in ATTACKS)


def test_unknown_family_is_named():
    with pytest.raises(KeyError, match="no_such_family.*stem_echo"):
        generate("no_such_family", HAND)


def test_module_doctests():
    # validation/ is outside pytest's doctest paths; run its examples here.
    res = doctest.testmod(attacks, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 25 and res.failed == 0


@pytest.mark.parametrize("family", list(ATTACKS))
def test_applies_and_deterministic(family):
    first = generate(family, HAND, seed=7)
    assert len(first) >= len(HAND) - 2, (family, len(first))
    assert all(isinstance(t, str) and t.strip() and t == fold(t) for _i, t in first)
    assert generate(family, HAND, seed=7) == first
    # Independent of iteration order and of which other items are present (except the ones that
    # borrow another item's explanation, which draw from the list).
    rev = dict(generate(family, HAND[::-1], seed=7))
    by_id = {HAND[i]["id"]: t for i, t in first}
    rev_by_id = {HAND[::-1][i]["id"]: t for i, t in rev.items()}
    if family not in {"pad_unrelated", "foreign_reasoning"}:
        assert rev_by_id == by_id


@pytest.mark.parametrize("family", list(ATTACKS))
def test_seeds_change_the_wording(family):
    per_item: dict[int, set[str]] = {}
    for seed in range(6):
        for i, t in generate(family, HAND, seed=seed):
            per_item.setdefault(i, set()).add(t)
    varied = sum(len(v) > 1 for v in per_item.values())
    assert varied >= 0.5 * len(per_item), (family, varied, len(per_item))


@pytest.mark.parametrize("family", list(ATTACKS))
def test_wording_diversity_hand_items(family):
    items = _replicas(HAND, 20)
    inst = generate(family, items, seed=13)
    share, gram = wording_share(inst, items)
    assert share <= 0.6, (family, share, gram)


@pytest.mark.parametrize("wording", WORDINGS)
def test_wording_diversity_real_items(pool_items, wording):
    shares = {}
    for family in ATTACKS:
        inst = generate(family, pool_items, seed=13, wording=wording)
        assert len(inst) >= 0.6 * len(pool_items), (family, len(inst))
        shares[family] = wording_share(inst, pool_items)
    worst = {f: s for f, s in shares.items() if s[0] > 0.6}
    assert not worst, worst


@pytest.mark.parametrize("family", ["bare_answer", "buzzword_salad", "cue_phrases", "letter_after_fluff", "injection_bare"])
def test_fit_and_eval_wordings_are_disjoint(family):
    items = _replicas(HAND, 10)
    fit = {t for _i, t in generate(family, items, seed=3, wording="fit")}
    ev = {t for _i, t in generate(family, items, seed=3, wording="eval")}
    assert fit and ev and not fit & ev
    # The halves are really different wordings, not the same frames with other letters.
    strip = lambda texts: {re.sub(r"[A-E]", "_", t) for t in texts}  # noqa: E731
    assert not strip(fit) & strip(ev)


def test_unknown_wording_is_named():
    with pytest.raises(ValueError, match="'half'.*fit"):
        generate("bare_answer", HAND, wording="half")


def _gold_rate(family: str, items: list[dict]) -> float:
    inst = generate(family, items, seed=13)
    ok = sum(
        (extract_answer(t, options=items[i]["options"], question=items[i]["question"]).labels or [])
        == sorted(items[i]["answer"])
        for i, t in inst
    )
    return ok / max(1, len(inst))


@pytest.mark.parametrize("family", sorted(RIGHT_LETTER))
def test_right_letter_families_state_the_gold_answer(family):
    assert _gold_rate(family, _replicas(HAND, 10)) >= 0.5, family


def test_right_letter_families_state_the_gold_answer_real(pool_items):
    rates = {f: _gold_rate(f, pool_items) for f in sorted(RIGHT_LETTER)}
    assert min(rates.values()) >= 0.5, rates
    assert sum(rates.values()) / len(rates) >= 0.8, rates


def test_option_swap_moves_the_option_texts_and_keeps_the_letters():
    it = HAND[0]
    for seed in range(5):
        (i, text), = generate("option_swap", [it], seed=seed)
        orig = fold(it["cot"])
        assert text != orig
        # Verdict brackets (letters and words) are exactly the original's, in the same order.
        assert [m.group(0) for m in _BRACKET.finditer(text)] == [m.group(0) for m in _BRACKET.finditer(orig)]
        # The gold text and one distractor's text traded places; nothing else moved.
        tg = "急性胰腺炎"
        back = [
            o["text"] for o in it["options"]
            if o["text"] != tg
            and text.replace(tg, "\x00").replace(o["text"], tg).replace("\x00", o["text"]) == orig
        ]
        assert len(back) == 1, text


def test_option_swap_needs_the_gold_text():
    it = dict(HAND[0], cot="本题考查急腹症的鉴别（B对）。")
    assert generate("option_swap", [it], seed=1) == []


def test_negation_flip_changes_claims_not_the_stated_answer():
    changed = verdicts_flipped = 0
    for it in HAND:
        orig = fold(it["cot"])
        orig_ans = extract_answer(orig, options=it["options"], question=it["question"]).labels
        for seed in range(8):
            for _i, text in generate("negation_flip", [it], seed=seed):
                assert text != orig
                ext = extract_answer(text, options=it["options"], question=it["question"])
                if orig_ans == sorted(it["answer"]):
                    assert ext.labels == orig_ans, (text, ext)
                brackets = [m.group(0) for m in _BRACKET.finditer(text)]
                if brackets[: len(list(_BRACKET.finditer(orig)))] != [m.group(0) for m in _BRACKET.finditer(orig)]:
                    verdicts_flipped += 1
                    assert ext.method == "conclusion", (text, ext)
                changed += 1
    assert changed >= 8 * (len(HAND) - 1)
    assert 0 < verdicts_flipped < changed / 2


def test_negation_flip_keeps_words_whole():
    # "能" inside 功能 / "为" inside 因为 are not claims.
    it = dict(HAND[0], cot="因为心功能下降，急性胰腺炎多见于饮酒后（B对）。")
    texts = {t for s in range(10) for _i, t in generate("negation_flip", [it], seed=s)}
    assert texts and all("功能" in t and "因为" in t for t in texts)


@pytest.mark.parametrize(
    "family", ["pad_unrelated", "pad_boilerplate", "duplicate_sentences", "duplicate_paragraph", "length_inflation", "injection"]
)
def test_padding_families_keep_the_real_explanation(family):
    for i, text in generate(family, HAND, seed=5):
        for s in split_sentences(HAND[i]["cot"]):
            assert s.rstrip("。") in text, (family, s)
        assert len(text) > len(fold(HAND[i]["cot"]))


def test_borrowing_families_use_another_item():
    for family in ("pad_unrelated", "foreign_reasoning"):
        for i, text in generate(family, HAND, seed=2):
            others = [fold(h["cot"])[:8] for j, h in enumerate(HAND) if j != i]
            assert any(o[:6] in text for o in others), family


def test_stem_echo_uses_stem_fragments_only():
    it = HAND[0]
    stem = fold(it["question"]) + "".join(o["text"] for o in it["options"])
    own = {fold(it["cot"])[k : k + 6] for k in range(len(fold(it["cot"])) - 5)}
    for _i, text in generate("stem_echo", _replicas([it], 10), seed=1):
        assert extract_answer(text, options=it["options"], question=it["question"]).labels in (["B"], None)
        # No 6-character run of the real explanation that is not also in the stem or options.
        assert not [w for w in own if w in text and w not in stem]


def test_cli_reports_a_missing_file(capsys):
    assert attacks.main(["--data", "/nonexistent/items.jsonl"]) == 2
    assert "items.jsonl: file not found" in capsys.readouterr().err


def test_cli_table_on_hand_items(tmp_path, capsys):
    path = tmp_path / "items.jsonl"
    rows = [
        {"question": h["question"], "options": h["options"], "answer": h["answer"], "cot": h["cot"]} for h in HAND
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert attacks.main(["--data", str(path), "--wording", "eval"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 + len(ATTACKS) and all(f"| {f} |" in "\n".join(out) for f in ATTACKS)
