"""Fuzzing the input boundary: hypothesis properties in-process, and a seeded hostile corpus through the CLI.

Properties (issue 12):
- whatever the bytes, reading raises only :class:`InputError` (a one-line message), never anything else;
- when ingestion succeeds, rows in = records + rejects, and rows in = the non-blank rows written;
- ``medcot validate`` / ``build`` / ``score`` exit 0 or 2, never print a traceback, stay under the time
  and memory bounds, and when they exit 0 their books balance (rejects report lines, one score line
  per input row) — see ``tests/hostile_run.py``.

Budget: the CI profile runs in a few minutes. ``MEDCOT_FUZZ=long`` runs many more hypothesis examples
and the whole 450-case corpus (``MEDCOT_FUZZ_SEED`` picks the corpus seed; default 12).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from medcot.errors import InputError  # noqa: E402
from medcot.ingest import ingest, iter_rows  # noqa: E402
from medcot.jsonguard import JSONGuardError, loads  # noqa: E402
from medcot.options import parse_answer, parse_options  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_files import FAMILIES, generate  # noqa: E402
from hostile_run import BAD, run_corpus, table  # noqa: E402

LONG = os.environ.get("MEDCOT_FUZZ", "").lower() == "long"
SEED = int(os.environ.get("MEDCOT_FUZZ_SEED", "12"))
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PROFILE = settings.get_profile("long" if LONG else "ci")

# Any code point, lone surrogates included (hypothesis leaves them out of text() by default).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(ANY_CHAR, max_size=40)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(ANY_CHAR, max_size=8), inner, max_size=4), max_leaves=20)
FIELDS = ["id", "question", "options", "answer", "cot", "department", "split", "rubric", "review", "题干", "选项",
          "答案", "解析", "__header__", "__sheet__", "A", "B"]
ROWS = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, min_size=0, max_size=8)
GOOD = {"question": "成人正常血钾浓度的下限是", "options": "A 2.5\nB 3.5", "answer": "B", "cot": "正常血钾3.5～5.5。"}


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


@PROFILE
@given(rows=st.lists(ROWS, min_size=1, max_size=12), blanks=st.integers(0, 3))
def test_any_json_rows_balance_or_fail_cleanly(tmp_path_factory, rows, blanks):
    folder = tmp_path_factory.mktemp("rows")
    lines = [json.dumps(GOOD, ensure_ascii=True)] + [json.dumps(r, ensure_ascii=True) for r in rows]
    body = ("\n" * (1 + blanks)).join(lines) + "\n"
    path = _write(folder, "r.jsonl", body.encode("utf-8"))
    result = ingest(path, processes=1)
    assert result.rows_in == len(lines) == result.n_records + len(result.rejects)
    assert result.n_records >= 1  # the good row is never lost
    ids = [r["id"] for r in result.records()]
    assert len(ids) == len(set(ids))


@PROFILE
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".jsonl", ".json", ".csv", ".tsv", ".xlsx", ".parquet"]))
def test_any_bytes_raise_only_input_errors(tmp_path_factory, data, suffix):
    path = _write(tmp_path_factory.mktemp("bytes"), "f" + suffix, data)
    try:
        result = ingest(path, processes=1)
    except InputError as exc:
        assert "\n" not in str(exc).strip() and str(path) in str(exc)
        return
    assert result.rows_in == result.n_records + len(result.rejects)


@PROFILE
@given(prefix=st.binary(max_size=200), cut=st.integers(0, 5000))
def test_mutated_prediction_files_raise_only_input_errors(tmp_path_factory, prefix, cut):
    body = prefix + b"\n".join(json.dumps({"prediction": "故选A", "id": i}).encode() for i in range(50))
    path = _write(tmp_path_factory.mktemp("preds"), "p.jsonl", body[:cut])
    try:
        rows = list(iter_rows(path))
    except InputError:
        return
    assert all(isinstance(r, dict) for _, r in rows)


@PROFILE
@given(text=st.text(ANY_CHAR, max_size=200) | st.builds(lambda n, k: ("[" if k else '{"a":') * n, st.integers(0, 3000),
                                                        st.booleans()))
def test_json_guard_raises_only_its_own_error(text):
    try:
        loads(text)
    except JSONGuardError:
        pass


@PROFILE
@given(value=JSON_VALUES)
def test_option_and_answer_parsers_raise_only_input_errors(value):
    for fn in (parse_options, parse_answer):
        try:
            fn(value)
        except InputError:
            pass


@PROFILE
@given(text=st.text(ANY_CHAR, max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v)))
def test_judge_reply_parser_raises_only_parse_errors(text):
    pytest.importorskip("pydantic")
    from medcot.judge.prompt import ParseError, parse_reply

    try:
        parse_reply(text)
    except ParseError:
        pass


def test_seeded_hostile_corpus_through_the_cli(tmp_path):
    """Every family of ``hostile_files``: 2 cases each in CI (25 with MEDCOT_FUZZ=long), as real processes."""
    pytest.importorskip("psutil")
    per_family = 25 if LONG else 2
    cases = generate(SEED, per_family)
    assert {c.family for c in cases} == set(FAMILIES)
    outcomes = run_corpus(cases, jobs=2, timeout=60.0, max_rss_mb=2048.0, root=tmp_path)
    bad = [o for o in outcomes if o.verdict in BAD]
    assert not bad, table(outcomes) + "\n" + "\n".join(f"{o.verdict}: {o.case} {o.argv}: {o.detail}" for o in bad)
