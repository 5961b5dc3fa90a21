"""Synthetic marking follows the data: the bundled dummy release is recognised by content."""

from __future__ import annotations

import json
import shutil

from medcot import export, synthetic
from medcot.cli import main


def test_fingerprint_file_matches_the_bundled_release(dummy_data):
    # regenerate with `python -m medcot.synthetic` after editing dummy_data/
    assert set(synthetic.fingerprints_of_release(dummy_data)) == synthetic.bundled_fingerprints()


def test_a_copy_of_the_files_is_still_synthetic(dummy_data, tmp_path):
    raw = tmp_path / "release_copy"
    raw.mkdir()
    shutil.copy(dummy_data / "train.jsonl", raw / "my_release.jsonl")  # renamed, elsewhere, one file only
    built = export.build(tmp_path / "out", data_dir=raw, verify=False)
    assert built.synthetic
    assert 0 < built.synthetic_records == built.records
    text = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text.split("## Dataset summary")[0]


def test_one_bundled_row_among_real_ones_marks_the_build(dummy_data, tmp_path):
    first = (dummy_data / "train.jsonl").read_text(encoding="utf-8").splitlines()[0]  # T001, a valid record
    ours = {"编号": "R1", "题干": "一道不在合成数据中的题目：下列哪项是正确的", "选项": "A 甲\nB 乙", "答案": "A",
            "解析": "甲正确，乙错误，故选A。"}
    raw = tmp_path / "mixed.jsonl"
    raw.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [ours, json.loads(first)]) + "\n", encoding="utf-8")
    built = export.build(tmp_path / "out", data_dir=raw, verify=False)
    assert built.synthetic and built.synthetic_records == 1 and built.records == 2


def test_other_data_is_not_synthetic_unless_flagged(tmp_path, capsys):
    raw = tmp_path / "real.jsonl"
    raw.write_text(json.dumps({"question": "一道题目？", "options": ["甲", "乙"], "answer": "A", "cot": "甲对，故选A。"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    assert not export.build(tmp_path / "a", data_dir=raw, verify=False).synthetic
    assert main(["build", "--data-dir", str(raw), "--out", str(tmp_path / "b"), "--synthetic", "--no-verify"]) == 0
    assert "--synthetic" in capsys.readouterr().out
    assert "SYNTHETIC" in (tmp_path / "b" / "README.md").read_text(encoding="utf-8")
