"""The dataset card: its YAML agrees with the data, its prose is generated from the data."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from medcot import card, export, schema
from medcot.cli import main
from medcot.errors import InputError
from medcot.ingest import ingest

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "canonical_records.jsonl"


def _front_matter(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_yaml_configs_match_files_on_disk(dummy_build):
    out = dummy_build.out_dir
    meta = _front_matter(out)
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == set(schema.CONFIG_NAMES)
    assert [name for name, c in configs.items() if c.get("default")] == ["default"]
    assert MetadataConfigs.from_dataset_card_data(DatasetCard.load(out / "README.md").data).get_default_config_name() == "default"
    listed = set()
    for name, files in card.config_files(card.read_card_data(out)).items():
        assert list(files) == list(dummy_build.layout[name])
        for split, paths in files.items():
            assert paths == list(dummy_build.layout[name][split].files)
            listed.update(paths)
            rows = sum(pq.ParquetFile(out / p).metadata.num_rows for p in paths)
            assert rows == dummy_build.counts()[name][split]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.parquet")}
    assert listed == on_disk  # nothing unlisted would be swept in, nothing listed is missing


def test_dataset_info_round_trips_through_datasets(dummy_build):
    infos = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(dummy_build.out_dir / "README.md").data)
    assert set(infos) == set(schema.CONFIG_NAMES)
    for name, info in infos.items():
        assert info.features == schema.get_config(name).features
        assert {s: info.splits[s].num_examples for s in info.splits} == dummy_build.counts()[name]
        assert info.dataset_size == sum(info.splits[s].num_bytes for s in info.splits) > 0
        files = [dummy_build.out_dir / f for lay in dummy_build.layout[name].values() for f in lay.files]
        assert info.download_size == sum(f.stat().st_size for f in files)


def test_metadata_fields(dummy_build):
    meta = _front_matter(dummy_build.out_dir)
    assert meta["language"] == ["zh"]
    assert meta["license"] == "unknown"
    assert meta["size_categories"] == [card.size_category(dummy_build.records)]
    assert {"question-answering", "text-generation"} <= set(meta["task_categories"])
    assert "multiple-choice-qa" in meta["task_ids"]
    assert {"medical", "chinese", "chain-of-thought"} <= set(meta["tags"])
    assert meta["pretty_name"]


def test_synthetic_dummy_build_says_so_loudly(dummy_build):
    assert dummy_build.synthetic
    text = (dummy_build.out_dir / "README.md").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    assert "SYNTHETIC" in body.split("## Dataset summary")[0]  # before anything else
    assert "synthetic" in _front_matter(dummy_build.out_dir)["tags"]
    assert "SYNTHETIC" in _front_matter(dummy_build.out_dir)["pretty_name"]


def test_prose_is_generated_from_the_data(dummy_build):
    text = (dummy_build.out_dir / "README.md").read_text(encoding="utf-8")
    counts = dummy_build.counts()
    for name in schema.CONFIG_NAMES:
        row = "| " + name + " | " + " | ".join(f"{n:,}" for n in counts[name].values()) + f" | {sum(counts[name].values()):,} |"
        assert row in text
        assert f'load_dataset("org/medcot", "{name}")' in text
        for field in schema.get_config(name).features:
            assert f"| `{field}` |" in text
    for dim in schema.RUBRIC:
        assert f"| `{dim.key}` | {dim.zh} |" in text
    assert f"rows and {dummy_build.rejects:,} rejected" in text or f"{dummy_build.rejects:,} rejected" in text
    assert schema.CITATION.strip().splitlines()[0] in text
    assert "Not for clinical decisions" in text
    assert "publishes no data licence" in text


def test_license_option_sets_yaml_and_prose(tmp_path):
    built = export.build(tmp_path / "repo", data_dir=RECORDS, license_id="CC-BY-NC-4.0", verify=False)
    meta = _front_matter(built.out_dir)
    assert meta["license"] == "cc-by-nc-4.0"
    assert "`license: cc-by-nc-4.0` was set" in (built.out_dir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["CC BY 4.0", "", "mit; rm -rf", "-x"])
def test_bad_license_ids_are_input_errors(bad):
    with pytest.raises(InputError, match="licence id"):
        card.check_license(bad)


def test_statistics_of_folder_equal_statistics_of_records(tmp_path):
    result = ingest(RECORDS)
    export.export(result, tmp_path / "repo")
    assert card.statistics_from_folder(tmp_path / "repo") == card.compute_statistics(result.splits)


def test_statistics_values(tmp_path):
    stats = card.compute_statistics(ingest(RECORDS).splits)
    assert stats["records"] == 9
    assert stats["per_split"] == {"train": 5, "validation": 2, "test": 2}
    assert stats["multi_answer"] == 2
    assert stats["with_rubric"] == 3  # syn-003 has partial scores: still counted
    assert stats["with_review"] == 2
    assert stats["departments"]["急诊科"] == 3 and stats["departments"]["(unknown)"] == 1
    assert stats["rubric_means"]["medical_correctness"] == pytest.approx((5 + 5 + 4) / 3, abs=1e-3)
    assert stats["rubric_means"]["reasoning_structure"] == pytest.approx(4.0)
    assert stats["option_counts"] == {"4": 4, "5": 5}
    assert stats["cot_length"]["min"] <= stats["cot_length"]["median"] <= stats["cot_length"]["max"]


def test_markdown_cells_are_escaped(tmp_path):
    built = export.export(ingest(RECORDS), tmp_path / "repo")
    text = (built.out_dir / "README.md").read_text(encoding="utf-8")
    assert "| 儿科\\|肾内 |" in text


def test_stats_cli_reuses_card_statistics(dummy_build, capsys):
    assert main(["stats", str(dummy_build.out_dir)]) == 0
    out = capsys.readouterr().out
    assert card.render_counts(dummy_build.counts()) in out
    assert card.render_statistics(card.statistics_from_folder(dummy_build.out_dir)) in out
    assert main(["stats", str(dummy_build.out_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == dummy_build.counts()
    assert data["statistics"]["records"] == dummy_build.records


def test_report_on_a_dataset_folder_points_to_stats(dummy_build, tmp_path, capsys):
    # `medcot report` was an alias of `stats`; it now compares scored runs
    assert main(["report", str(dummy_build.out_dir), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "medcot stats" in err and len(err.strip().splitlines()) == 1


def test_stats_cli_on_a_folder_without_card_is_a_one_line_error(tmp_path, capsys):
    assert main(["stats", str(tmp_path)]) == 2
    assert "README.md" in capsys.readouterr().err


def test_size_categories():
    assert [card.size_category(n) for n in (0, 999, 1000, 31247, 100_000, 2_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M",
    ]


def test_synthetic_flag_marks_any_build(tmp_path, capsys):
    out = tmp_path / "repo"
    assert main(["build", "--data-dir", str(RECORDS), "--out", str(out), "--synthetic", "--no-verify"]) == 0
    assert "SYNTHETIC" in _front_matter(out)["pretty_name"]
    assert "WARNING: SYNTHETIC DUMMY DATA" in (out / "README.md").read_text(encoding="utf-8")


def test_add_many_equals_add_record_by_record():
    from medcot.ingest import ingest

    records = list(ingest(Path(__file__).parent / "data" / "canonical_records.jsonl").records())
    one, many = card.StatsAccumulator(), card.StatsAccumulator()
    for r in records:
        one.add(r, split="train")
    many.add_many(records[:4], split="train")
    many.add_many(records[4:], split="train")
    assert one == many
    assert one.result() == many.result()
