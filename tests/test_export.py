"""``medcot build`` / :mod:`medcot.export`: the folder is exactly a Hub dataset repo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medcot import card, export, schema
from medcot.cli import main
from medcot.errors import InputError, MedcotError
from medcot.ingest import ingest

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "canonical_records.jsonl"  # a raw release in canonical column names, 9 rows, own splits


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_layout_is_exactly_a_hub_repo(dummy_build):
    out = dummy_build.out_dir
    files = _files(out)
    expected = ["README.md"] + sorted(
        f for splits in dummy_build.layout.values() for lay in splits.values() for f in lay.files
    )
    assert [f for f in files if not f.startswith("figures/")] == expected
    # besides the data, only the card's figures (PNG, never data-looking files)
    assert [f for f in files if f.startswith("figures/")] == sorted(dummy_build.figures)
    assert all(f.endswith(".png") for f in dummy_build.figures)
    assert not any(f.endswith(".py") for f in files)
    for cfg, splits in dummy_build.layout.items():
        for split, lay in splits.items():
            n = len(lay.files)
            assert [Path(f).name for f in lay.files] == [f"{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
            assert all(f.startswith(f"data/{cfg}/") for f in lay.files)


def test_rows_in_equals_records_plus_rejects_and_rejects_written_outside(dummy_build):
    assert dummy_build.rows_in == dummy_build.records + dummy_build.rejects
    path = dummy_build.rejects_path
    assert path is not None and path.is_file()
    assert not path.is_relative_to(dummy_build.out_dir)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == dummy_build.rejects
    for line in lines:
        reject = json.loads(line)
        assert reject["file"] and reject["reason"]


def test_parquet_schema_and_row_groups(dummy_build):
    for cfg, splits in dummy_build.layout.items():
        for lay in splits.values():
            for rel in lay.files:
                meta = pq.ParquetFile(dummy_build.out_dir / rel)
                assert meta.schema_arrow.remove_metadata() == schema.get_config(cfg).features.arrow_schema.remove_metadata()
                assert all(meta.metadata.row_group(i).num_rows <= export.ROW_GROUP_ROWS for i in range(meta.num_row_groups))


def test_load_dataset_offline_matches_written_counts(dummy_build, hf_offline):
    loaded = export.verify_folder(dummy_build.out_dir, dummy_build.counts(), cache_dir=hf_offline)
    assert loaded == dummy_build.counts()


def test_verify_catches_a_count_mismatch(dummy_build, hf_offline):
    wrong = {cfg: {split: n + 1 for split, n in splits.items()} for cfg, splits in dummy_build.counts().items()}
    with pytest.raises(MedcotError, match="does not load as written"):
        export.verify_folder(dummy_build.out_dir, {"qa": wrong["qa"]}, cache_dir=hf_offline)


def test_refuses_non_empty_out_without_overwrite(tmp_path):
    out = tmp_path / "repo"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="--overwrite"):
        export.build(out, data_dir=RECORDS, verify=False)
    assert _files(out) == ["notes.txt"]


def test_overwrite_replaces_our_files_and_keeps_others(tmp_path):
    out = tmp_path / "repo"
    first = export.export(ingest(RECORDS), out, row_group_rows=2, max_shard_bytes=1)
    assert len(first.layout["default"]["train"].files) == 3  # 5 rows in shards of 2
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main", encoding="utf-8")
    second = export.build(out, data_dir=RECORDS, verify=False, overwrite=True)
    files = _files(out)
    assert "notes.txt" in files and ".git/HEAD" in files
    data_files = [f for f in files if f.startswith("data/")]
    assert data_files == sorted(f for s in second.layout.values() for lay in s.values() for f in lay.files)
    assert all(f.endswith("-00000-of-00001.parquet") for f in data_files)  # old shards are gone


def test_sharding_splits_large_splits_and_keeps_every_row(tmp_path, hf_offline):
    result = ingest(RECORDS)
    built = export.export(result, tmp_path / "repo", row_group_rows=2, max_shard_bytes=1)
    lay = built.layout["default"]["train"]
    assert len(lay.files) == 3  # 5 rows, 2 per group, a new shard after each group
    assert sum(pq.ParquetFile(tmp_path / "repo" / f).metadata.num_rows for f in lay.files) == 5
    assert export.verify_folder(tmp_path / "repo", built.counts(), cache_dir=hf_offline) == built.counts()


def test_script_named_after_folder_is_refused(tmp_path):
    out = tmp_path / "repo"
    out.mkdir()
    (out / "repo.py").write_text("print('hi')", encoding="utf-8")
    with pytest.raises(InputError, match="loading script"):
        export.build(out, data_dir=RECORDS, verify=False, overwrite=True)
    assert (out / "repo.py").exists()


def test_out_overlapping_data_dir_is_refused(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RECORDS, raw / "train.jsonl")
    with pytest.raises(InputError, match="overlap"):
        export.build(raw / "out", data_dir=raw, verify=False)


def test_rejects_inside_out_is_refused(tmp_path):
    with pytest.raises(InputError, match="outside"):
        export.build(tmp_path / "repo", data_dir=RECORDS, rejects_path=tmp_path / "repo" / "rejects.jsonl", verify=False)


def test_not_synthetic_when_built_from_other_data(tmp_path):
    built = export.build(tmp_path / "repo", data_dir=RECORDS, verify=False)
    assert not built.synthetic
    assert "SYNTHETIC" not in (tmp_path / "repo" / "README.md").read_text(encoding="utf-8")


def test_cli_build_prints_table_and_balance(tmp_path, capsys, hf_offline):
    out = tmp_path / "repo"
    code = main(["build", "--data-dir", str(RECORDS), "--out", str(out), "--license", "cc-by-4.0"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "rows in = records + rejects: 9 = 9 + 0" in text
    assert "| default | 5 | 2 | 2 | 9 |" in text
    assert "verified" in text
    assert card.read_card_data(out)["license"] == "cc-by-4.0"
    # second build without --overwrite: one-line error, exit 2
    assert main(["build", "--data-dir", str(RECORDS), "--out", str(out), "--no-verify"]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_cli_build_bad_license_is_a_one_line_error(tmp_path, capsys):
    assert main(["build", "--data-dir", str(RECORDS), "--out", str(tmp_path / "r"), "--license", "CC BY 4.0"]) == 2
    err = capsys.readouterr().err
    assert "licence id" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_export_rows_match_views_exactly(tmp_path):
    """What lands in Parquet is views.record_to_config of each record, nothing more."""
    from medcot import views

    result = ingest(RECORDS)
    export.export(result, tmp_path / "repo")
    for cfg in schema.CONFIG_NAMES:
        for split, records in result.splits.items():
            rows = pq.read_table(tmp_path / "repo" / f"data/{cfg}/{split}-00000-of-00001.parquet").to_pylist()
            features = schema.get_config(cfg).features
            want = [features.encode_example(views.record_to_config(cfg, r)) for r in records]
            # round through Arrow once so float32 rubric scores compare equal
            assert rows == pa.Table.from_pylist(want, schema=features.arrow_schema).to_pylist(), (cfg, split)
            assert [r["id"] for r in rows] == [r["id"] for r in records]


def test_datasets_reads_declared_features_from_card(dummy_build):
    infos = datasets.info.DatasetInfosDict.from_directory(str(dummy_build.out_dir))
    assert set(infos) == set(schema.CONFIG_NAMES)
    for cfg, info in infos.items():
        assert info.features == schema.get_config(cfg).features


def test_load_without_config_name_gives_default(dummy_build, hf_offline):
    ds = datasets.load_dataset(str(dummy_build.out_dir), cache_dir=str(hf_offline))
    assert {s: ds[s].num_rows for s in ds} == dummy_build.counts()["default"]
    assert ds["train"].features == schema.DEFAULT_FEATURES


def test_row_groups_shrink_for_long_rows(tmp_path):
    records = ingest(RECORDS).splits["train"]
    writer = export.SplitWriter(config="sft", split="train", out_dir=tmp_path, row_group_bytes=1)
    writer.add(list(records))
    lay = writer.close()
    meta = pq.ParquetFile(tmp_path / lay.files[0]).metadata
    assert meta.num_row_groups == len(records) == lay.num_examples
    assert lay.files == ("data/sft/train-00000-of-00001.parquet",)
    assert not list((tmp_path / "data" / "sft").glob("*.partial"))


def test_verify_catches_a_damaged_file(tmp_path, hf_offline):
    built = export.build(tmp_path / "repo", data_dir=RECORDS, verify=False)
    victim = built.out_dir / built.layout["sft"]["train"].files[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(MedcotError, match="'sft' does not load as written"):
        export.verify_folder(built.out_dir, built.counts(), cache_dir=hf_offline)


def test_config_rows_equal_record_to_config():
    from medcot import views

    records = list(ingest(RECORDS).records())
    rows = views.config_rows(schema.CONFIG_NAMES, records)
    for name in schema.CONFIG_NAMES:
        want = [views.record_to_config(name, r) for r in records]
        got = rows[name]
        if name == "default":  # the records themselves; Arrow reads only the schema's keys
            got = [{k: r.get(k) for k in schema.DEFAULT_FEATURES} for r in got]
        assert got == want, name


def test_parquet_thread_writes_the_same_bytes_as_inline(tmp_path):
    records = list(ingest(RECORDS).records())
    inline = export.SplitWriter(config="sft", split="train", out_dir=tmp_path / "a", row_group_rows=2)
    thread = export.ParquetThread(max_pending=1)
    threaded = export.SplitWriter(config="sft", split="train", out_dir=tmp_path / "b", row_group_rows=2,
                                  max_shard_bytes=1, thread=thread)
    inline.max_shard_bytes = 1  # several shards, so opens and closes are queued too
    inline.add(records)
    threaded.add(records)
    a, b = inline.close(), threaded.close()
    thread.shutdown()
    assert a.files == b.files and len(a.files) > 1
    for rel in a.files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_parquet_thread_raises_the_writers_error():
    thread = export.ParquetThread()

    def boom() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):  # from submit (if already done) or drain
        thread.submit(boom)
        thread.drain()
    thread.shutdown()


def test_seed_option_sets_the_seeded_split_and_the_card_quotes_it(tmp_path, hf_offline):
    # 40 synthetic rows with no split column: every record goes through the seeded split.
    rows = [
        {"question": f"（合成示例）第{i}题：下列哪项是正确的", "options": "A 甲\nB 乙\nC 丙\nD 丁",
         "answer": "ABCD"[i % 4], "explanation": f"（合成示例）第{i}题的解析，逐项分析后得出结论。"}
        for i in range(40)
    ]
    raw = tmp_path / "release.jsonl"
    raw.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    membership = {}
    for seed in (1, 2):
        out = tmp_path / f"out{seed}"
        assert main(["build", "--data-dir", str(raw), "--out", str(out), "--seed", str(seed), "--no-verify"]) == 0
        text = (out / "README.md").read_text(encoding="utf-8")
        assert f"seed {seed})" in text and "no split of its own" in text
        membership[seed] = {
            split: sorted(pq.read_table(out / "data" / "default" / f"{split}-00000-of-00001.parquet").column("id").to_pylist())
            for split in ("train", "validation", "test")
        }
    assert membership[1] != membership[2]
    assert sorted(sum(membership[1].values(), [])) == sorted(sum(membership[2].values(), []))
