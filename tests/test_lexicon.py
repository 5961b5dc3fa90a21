"""Built-in lexicon and user lexicon files (THUOCL via the ../shared fixture)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from medcot.errors import InputError
from medcot.lexicon import MEDICAL_CATEGORIES, Lexicon, load_builtin, read_lexicon_file


def test_builtin_has_every_category() -> None:
    lex = load_builtin()
    assert 800 <= len(lex) <= 3000
    for cat in (*MEDICAL_CATEGORIES, "vague"):
        assert len(lex.terms(cat)) >= 40, cat
    cue_subs = {c for c in lex.categories.values() if c.startswith("cue:")}
    assert cue_subs == {
        "cue:basis",
        "cue:differential",
        "cue:management",
        "cue:safety",
        "cue:prognosis",
    }
    # Single characters would match inside every word.
    assert all(len(t) >= 2 for t in lex.terms())


def test_longest_non_overlapping_matches() -> None:
    lex = load_builtin()
    found = [
        (m.term, m.category)
        for m in lex.find("急性心肌梗死患者首选再灌注治疗，鉴别诊断包括主动脉夹层")
    ]
    assert ("急性心肌梗死", "disease") in found
    assert ("心肌梗死", "disease") not in found  # inside the longer match
    assert ("鉴别诊断", "cue:differential") in found
    assert ("主动脉夹层", "disease") in found
    spans = [(m.start, m.end) for m in lex.find("急性心肌梗死鉴别诊断")]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def _leftmost_longest(terms: set[str], text: str) -> list[tuple[int, int, str]]:
    """Reference: scan left to right; at each position take the longest term starting there."""
    out, i = [], 0
    longest = max(map(len, terms))
    while i < len(text):
        hit = next(
            (text[i : i + n] for n in range(longest, 0, -1) if text[i : i + n] in terms),
            None,
        )
        if hit:
            out.append((i, i + len(hit), hit))
            i += len(hit)
        else:
            i += 1
    return out


@pytest.mark.parametrize(
    ("terms", "text"),
    [
        # pyahocorasick 2.3's iter_long returned nothing for the first
        # (WojciechMula/pyahocorasick#133); the others are neighbouring cases of that bug.
        (["知识产权", "国家知识产权局"], "国家知识产权"),
        (["bc", "abcdefg"], "abcdxbc"),
        (["ab", "abcabd"], "zzabcabdzz"),
        (["血小板", "血小板减少性紫癜", "减少"], "特发性血小板减少性紫"),
    ],
)
def test_leftmost_longest_known_misses(terms: list[str], text: str) -> None:
    lex = Lexicon([(t, "user") for t in terms])
    got = [(m.start, m.end, m.term) for m in lex.find(text)]
    assert got == _leftmost_longest(set(terms), text)
    assert got  # every case has at least one match


@pytest.mark.parametrize(
    ("text", "term"),
    [("特发性血小板减少", "血小板"), ("急性肾小球", "肾小球"), ("是病毒性", "毒性")],
)
def test_builtin_finds_term_inside_unfinished_longer_term(text: str, term: str) -> None:
    # Each text is the start of a longer built-in term (特发性血小板减少性紫癜, ...) that is cut
    # off; the shorter term inside must still be found (pyahocorasick's iter_long missed it).
    assert term in [m.term for m in load_builtin().find(text)]


def test_leftmost_longest_matches_reference_on_random_texts() -> None:
    import random

    rng = random.Random(7)
    for _ in range(300):
        alphabet = "肝硬化癌症"[: rng.randint(2, 5)]
        terms = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 5)))
            for _ in range(rng.randint(1, 8))
        }
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        lex = Lexicon([(t, "user") for t in sorted(terms)])
        got = [(m.start, m.end, m.term) for m in lex.find(text)]
        assert got == _leftmost_longest(terms, text), (sorted(terms), text)


def test_vague_words_detected() -> None:
    lex = load_builtin()
    assert lex.count("这个东西会导致那个病和一些问题")["vague"] == 3


def test_fullwidth_text_matches() -> None:
    assert [m.term for m in load_builtin().find("查ＨＢｓＡｇ")] == ["hbsag"]


def test_read_lexicon_file_formats(tmp_path: Path) -> None:
    f = tmp_path / "u.txt"
    f.write_text(
        "\ufeff肺栓塞\t321\n# 注释\n\n肝\n肾小管酸中毒\tdisease\n", encoding="utf-8"
    )
    assert read_lexicon_file(f) == [("肺栓塞", "user"), ("肾小管酸中毒", "disease")]


def test_bad_lexicon_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_lexicon_file(tmp_path / "missing.txt")
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("肝硬化".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_lexicon_file(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="no terms"):
        read_lexicon_file(empty)


def test_user_lexicon_does_not_override_builtin(tmp_path: Path) -> None:
    f = tmp_path / "u.txt"
    f.write_text("肝硬化\tsomething\n新词汇\n", encoding="utf-8")
    lex = Lexicon.from_files(f)
    assert lex.categories["肝硬化"] == "disease"
    assert lex.categories["新词汇"] == "user"


def test_thuocl_loads_and_changes_coverage(
    thuocl_path: Path, realdata_path: Path
) -> None:
    assert len(read_lexicon_file(thuocl_path)) == 18749
    user = Lexicon.from_files(thuocl_path)
    builtin = load_builtin()
    assert len(user) > len(builtin) + 15000
    texts = []
    for line in realdata_path.read_text(encoding="utf-8").splitlines()[:200]:
        cot = json.loads(line)["Explanation"]
        if isinstance(cot, str) and cot != "nan":
            texts.append(cot)
    base = sum(builtin.coverage(t) for t in texts) / len(texts)
    more = sum(user.coverage(t) for t in texts) / len(texts)
    assert more > base + 0.05, (base, more)
