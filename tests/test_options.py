"""Option / answer parsing and text normalisation, driven by tests/data/*_cases.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medcot.errors import InputError
from medcot.options import normalize_text, parse_answer, parse_options, split_embedded_options

DATA = Path(__file__).parent / "data"


def _cases(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


OPTION_CASES = _cases("options_cases.jsonl")
ANSWER_CASES = _cases("answer_cases.jsonl")


def _pairs(options: list[dict]) -> list[list[str]]:
    return [[o["label"], o["text"]] for o in options]


@pytest.mark.parametrize("case", [c for c in OPTION_CASES if c["kind"] == "options"], ids=lambda c: c["id"])
def test_parse_options(case: dict) -> None:
    if "error" in case:
        with pytest.raises(InputError, match=case["error"]):
            parse_options(case["input"])
    else:
        assert _pairs(parse_options(case["input"])) == case["expected"]


@pytest.mark.parametrize("case", [c for c in OPTION_CASES if c["kind"] == "embedded"], ids=lambda c: c["id"])
def test_split_embedded_options(case: dict) -> None:
    stem, options = split_embedded_options(case["input"])
    assert stem == case["stem"]
    assert _pairs(options) == case["expected"]


@pytest.mark.parametrize("case", ANSWER_CASES, ids=lambda c: c["id"])
def test_parse_answer(case: dict) -> None:
    if "error" in case:
        with pytest.raises(InputError, match=case["error"]):
            parse_answer(case["input"], labels=case["labels"])
    else:
        assert parse_answer(case["input"], labels=case["labels"]) == case["expected"]


def test_case_files_cover_the_brief() -> None:
    # Guard against the case files silently shrinking.
    assert len(OPTION_CASES) >= 40 and len(ANSWER_CASES) >= 25
    assert any("error" in c for c in OPTION_CASES) and any("error" in c for c in ANSWER_CASES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ａｂｃ１２３", "Abc123"),  # full-width letters and digits fold
        ("发热，咳嗽：（见上）", "发热，咳嗽：（见上）"),  # Chinese punctuation kept
        ("a\u3000\u00a0 b", "a b"),  # exotic spaces collapse
        ("x\u200by", "xy"),  # zero-width removed
        ("第一步\r\n\r\n\r\n\r\n第二步", "第一步\n\n第二步"),  # blank-line runs shrink
        ("①②", "①②"),  # circled numbers are not turned into digits
        ("e\u0301", "\u00e9"),  # NFC composes
        (None, ""),
    ],
)
def test_normalize_text(raw: str | None, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_normalize_is_idempotent() -> None:
    for case in OPTION_CASES:
        if isinstance(case["input"], str):
            once = normalize_text(case["input"])
            assert normalize_text(once) == once


def test_random_input_only_ever_raises_input_error() -> None:
    """Seeded fuzzing: garbage gives InputError or well-formed output, never another exception."""
    import random

    rng = random.Random(1)
    alphabet = "ABCDEabcdeＡＢ .．、:：()（）[]【】\n\\n发热咳嗽；,，0123"
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        try:
            options = parse_options(s)
        except InputError:
            pass
        else:
            labels = [o["label"] for o in options]
            assert len(labels) == len(set(labels)) >= 2 and all(len(x) == 1 and x.isupper() for x in labels)
            assert all(o["text"] and o["text"] == normalize_text(o["text"]) for o in options)
        try:
            answer = parse_answer(s)
        except InputError:
            pass
        else:
            assert answer == sorted(set(answer)) and all(a.isupper() for a in answer)
        stem, embedded = split_embedded_options(s)
        assert not embedded or (stem and len(embedded) >= 2)


# ---------------------------------------------------------------------------------------------
# Fast paths (issue 5) must return exactly what the general parsers return.
# ---------------------------------------------------------------------------------------------
_MARKERS = ["{L} ", "{L}.", "{L}．", "{L}、", "{L}：", "({L})", "（{L}）", "{L}", "{l}.", "{L} .", "【{L}】", "{L})", "{L}  "]
_TEXTS = ["原发病", "B超检查", "维生素B缺乏", "A型血", " 发热 ", "", "Ｃ反应蛋白", "x", "IgA", "  ", ".", "(B)", "Ａ．", "\u3000y"]


def _option_strings(n: int, seed: int = 5) -> list[str]:
    import random

    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        labels = list("ABCDEF")[: rnd.randint(1, 6)]
        if rnd.random() < 0.2:
            rnd.shuffle(labels)
        parts = [(rnd.choice(_MARKERS) if rnd.random() < 0.9 else "").format(L=x, l=x.lower()) + rnd.choice(_TEXTS) for x in labels]
        out.append(rnd.choice(["\n", "\\n", "\r\n", "\n\n", " "]).join(parts))
    return out


@pytest.mark.parametrize("value", [c["input"] for c in OPTION_CASES if c["kind"] == "options" and isinstance(c["input"], str)]
                         + _option_strings(300))
def test_marked_lines_fast_path_equals_general_line_parser(value: str) -> None:
    from medcot import options

    text = options.normalize_text(options._LITERAL_NL.sub("\n", value))
    lines = [ln for ln in text.split("\n") if ln.strip()]
    fast = options._parse_marked_lines(text, len(lines))
    if fast is not None:  # when the fast path answers, it must agree with the general one
        assert fast == options._parse_lines(lines)
        assert [o["label"] for o in fast] == list(options.LABELS[: len(fast)])


def test_marked_lines_fast_path_is_taken_for_the_common_shape() -> None:
    from medcot import options

    text = "A 原发病\nB．出血部位\n(C) 出血量"
    assert options._parse_marked_lines(text, 3) == [
        {"label": "A", "text": "原发病"}, {"label": "B", "text": "出血部位"}, {"label": "C", "text": "出血量"}]
    assert options._parse_marked_lines("A 甲\nC 乙", 2) is None  # a gap: general path
    assert options._parse_marked_lines("A .\nB 乙", 2) is None  # the marker eats the whole line


@pytest.mark.parametrize("value", ["C", "c", "ABD", "dba", "NULL", "None", "nan", "NaT", "KEY", "ANSB", "answer", "Gold",
                                   "ABCDEFGH", "AA", "Z", "kEyA"])
def test_plain_answer_fast_path_equals_general_path(value: str) -> None:
    from medcot import options

    def general(v: str) -> object:
        try:  # the regex cascade of parse_answer's general string path
            text = options._ANSWER_PREFIX.sub("", options.normalize_text(v))
            letters = options._ANSWER_SEP.sub("", text)
            if options.missing_placeholder(v) or not letters:
                return "error"
            return sorted({c.upper() for c in letters})
        except InputError:
            return "error"

    try:
        got: object = parse_answer(value)
    except InputError:
        got = "error"
    assert got == general(value)
