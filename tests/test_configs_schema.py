"""BigBIO-style checks of EVERY config, from the builder and from the exported Hub folder.

Each config of ``schema.CONFIGS`` is loaded twice -- through ``medcot_verified.MedCoTVerified`` and
through ``datasets.load_dataset(<built folder>, cfg)`` -- and checked against the schema: features,
unique ids, answers among the options, non-empty CoT, well-formed ``sft`` messages, equal row counts.
Also unit tests of :mod:`medcot.views` over hand-made canonical records (tests/data/).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pytest
from conftest import load_builder_module

from medcot import schema, views

DATA = Path(__file__).parent / "data"
SOURCES = ("builder", "export")


def _canonical_records() -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "canonical_records.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row.pop("split")
    return rows


# ---------------------------------------------------------------------------------------------
# views: pure functions
# ---------------------------------------------------------------------------------------------
def test_every_config_has_a_view_with_the_schema_keys():
    for record in _canonical_records():
        for spec in schema.CONFIGS:
            row = views.record_to_config(spec.name, record)
            assert list(row) == list(spec.features), spec.name
            spec.features.encode_example(row)  # types fit the schema


def test_unknown_config_is_rejected():
    with pytest.raises(KeyError, match="unknown config"):
        views.record_to_config("bigbio_qa", _canonical_records()[0])


VIEW_CASES = json.loads((DATA / "views_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", VIEW_CASES, ids=[c["name"] for c in VIEW_CASES])
def test_view_cases(case):
    record = case["record"]
    assert views.is_multi(record) is case["multi"]
    sft = views.record_to_config("sft", record)
    user, assistant = sft["messages"]
    assert user["content"] == case["prompt"]
    assert assistant["content"] == case["assistant"]
    reasoning = views.record_to_config("reasoning", record)
    assert reasoning["prompt"] == case["prompt"]
    assert reasoning["answer"] == case["answer"]


def test_prompt_lists_every_option_once_in_order():
    for record in _canonical_records():
        prompt = views.record_prompt(record)
        lines = [ln for ln in prompt.splitlines() if re.match(r"^[A-Z]\. ", ln)]
        assert lines == [f"{o['label']}. {o['text']}" for o in record["options"]]
        assert record["question"].strip() in prompt


def test_qa_answer_idx_points_at_gold_labels():
    for record in _canonical_records():
        qa = views.to_qa(record)
        assert [qa["choice_labels"][i] for i in qa["answer_idx"]] == record["answer"]


# ---------------------------------------------------------------------------------------------
# every config, from the builder and from the exported folder
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def builder_datasets(tmp_path_factory, dummy_data):
    module = load_builder_module()
    cache = tmp_path_factory.mktemp("builder_cache")
    out = {}
    for name in schema.CONFIG_NAMES:
        builder = module.MedCoTVerified(config_name=name, cache_dir=str(cache))
        builder.download_and_prepare()
        out[name] = builder.as_dataset()
    return out


@pytest.fixture(scope="module")
def export_datasets(dummy_build, tmp_path_factory):
    cache = tmp_path_factory.mktemp("export_cache")
    return {
        name: datasets.load_dataset(str(dummy_build.out_dir), name, cache_dir=str(cache))
        for name in schema.CONFIG_NAMES
    }


@pytest.fixture(params=SOURCES)
def loaded(request, builder_datasets, export_datasets):
    return builder_datasets if request.param == "builder" else export_datasets


def _rows(dsdict):
    for split in dsdict:
        yield from dsdict[split]


@pytest.mark.parametrize("cfg", schema.CONFIG_NAMES)
def test_features_equal_schema(loaded, cfg):
    for split, ds in loaded[cfg].items():
        assert ds.features == schema.get_config(cfg).features, (cfg, split)


@pytest.mark.parametrize("cfg", schema.CONFIG_NAMES)
def test_ids_unique_across_splits(loaded, cfg):
    ids = [row["id"] for row in _rows(loaded[cfg])]
    assert ids and len(ids) == len(set(ids))
    assert all(ids)


@pytest.mark.parametrize("cfg", schema.CONFIG_NAMES)
def test_answers_among_options_and_cot_non_empty(loaded, cfg):
    for row in _rows(loaded[cfg]):
        if cfg == "default":
            labels = [o["label"] for o in row["options"]]
            assert labels == [chr(ord("A") + i) for i in range(len(labels))], row["id"]
            assert row["answer"] and set(row["answer"]) <= set(labels), row["id"]
            assert row["answer"] == sorted(set(row["answer"]))
            assert row["cot"].strip() and row["question"].strip()
            assert all(o["text"].strip() for o in row["options"]), row["id"]
        elif cfg == "qa":
            assert len(row["choices"]) == len(row["choice_labels"]) >= 2
            assert row["answer"] and set(row["answer"]) <= set(row["choice_labels"]), row["id"]
            assert [row["choice_labels"][i] for i in row["answer_idx"]] == row["answer"]
        elif cfg == "reasoning":
            assert row["reasoning"].strip() and row["prompt"].strip()
            assert re.fullmatch(r"[A-Z]+", row["answer"]), row["id"]
        elif cfg == "sft":
            pass  # test_sft_messages_well_formed
        elif cfg == "prompt_completion":
            pass  # test_prompt_completion_matches_sft
        else:  # pragma: no cover - a new config needs its own checks here
            pytest.fail(f"no BigBIO checks for new config {cfg!r}")


def test_prompt_completion_matches_sft(loaded):
    """Same two turns as ``sft``, split into prompt and completion, with the gold answer beside them."""
    sft = {row["id"]: row["messages"] for row in _rows(loaded["sft"])}
    default = {row["id"]: row for row in _rows(loaded["default"])}
    rows = list(_rows(loaded["prompt_completion"]))
    assert len(rows) == len(sft)
    for row in rows:
        assert row["prompt"] + row["completion"] == sft[row["id"]], row["id"]
        assert row["answer"] == "".join(default[row["id"]]["answer"])
        question, options = views.split_prompt(row["prompt"][0]["content"])
        assert options == default[row["id"]]["options"], row["id"]
        assert question == default[row["id"]]["question"].strip(), row["id"]


def test_sft_messages_well_formed(loaded):
    default = {row["id"]: row for row in _rows(loaded["default"])}
    for row in _rows(loaded["sft"]):
        messages = row["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"], row["id"]
        assert all(m["content"].strip() for m in messages)
        gold = default[row["id"]]
        final = views.format_final_answer(gold["answer"])
        assert messages[1]["content"].endswith("\n\n" + final), row["id"]
        assert messages[1]["content"].count(final) >= 1
        for option in gold["options"]:
            assert f"{option['label']}. {option['text']}" in messages[0]["content"]


def test_row_counts_equal_across_configs(loaded):
    counts = {cfg: {split: ds.num_rows for split, ds in loaded[cfg].items()} for cfg in schema.CONFIG_NAMES}
    assert len({json.dumps(c, sort_keys=True) for c in counts.values()}) == 1, counts


@pytest.mark.parametrize("cfg", schema.CONFIG_NAMES)
def test_builder_and_export_agree_row_for_row(builder_datasets, export_datasets, cfg):
    b, e = builder_datasets[cfg], export_datasets[cfg]
    assert list(b) == list(e)
    for split in b:
        assert b[split].to_list() == e[split].to_list(), (cfg, split)


@pytest.mark.parametrize("cfg", schema.CONFIG_NAMES)
def test_streaming_load_offline(dummy_build, hf_offline, cfg):
    streamed = datasets.load_dataset(str(dummy_build.out_dir), cfg, streaming=True, cache_dir=str(hf_offline))
    want = dummy_build.counts()[cfg]
    assert sorted(streamed) == sorted(want)
    for split, ds in streamed.items():
        assert ds.features == schema.get_config(cfg).features
        assert sum(1 for _ in ds) == want[split]
