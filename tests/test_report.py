"""``medcot report`` on the dummy build: two runs (expert CoTs vs the same CoTs cut to a third).

The numbers on the page are recomputed here from the per-item score files with plain Python
(not through medcot.report), and the page is opened in headless Chromium.
"""

from __future__ import annotations

import json
import os
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

from medcot.cli import main  # noqa: E402
from medcot.constants import RUBRIC, RUBRIC_DIMENSIONS  # noqa: E402

MEANS = (*RUBRIC_DIMENSIONS, "overall", "answer_accuracy", "char_rouge_l")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = ("radar.png", "paired_differences.png", "by_department.png", "by_question_type.png",
           "distributions.png", "length_vs_overall.png")


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _test_records(build: Path) -> list[dict]:
    import pyarrow.parquet as pq

    rows = []
    for shard in sorted((build / "data" / "default").glob("test-*.parquet")):
        rows.extend(pq.read_table(shard).to_pylist())
    return rows


@pytest.fixture(scope="module")
def two_runs(dummy_build, tmp_path_factory):
    """Score expert CoTs and truncated CoTs of the test split with `medcot score`, then report them."""
    base = tmp_path_factory.mktemp("report")
    build = dummy_build.out_dir
    records = _test_records(build)
    runs = {}
    for name, cut in (("expert", lambda s: s), ("truncated", lambda s: s[: len(s) // 3])):
        preds = base / f"{name}.predictions.jsonl"
        preds.write_text("".join(json.dumps({"id": r["id"], "prediction": cut(r["cot"])}, ensure_ascii=False) + "\n"
                                 for r in records), encoding="utf-8")
        out = base / f"{name}.scores.jsonl"
        assert main(["score", str(preds), "--dataset", str(build), "--output", str(out), "--quiet", "--json"]) == 0
        runs[name] = out
    report_dir = base / "report"
    args = ["report", str(runs["expert"]), str(runs["truncated"]), "--dataset", str(build), "--out", str(report_dir),
            "--bootstrap", "400", "--seed", "7", "--json"]
    assert main(args) == 0
    return {"dir": report_dir, "runs": runs, "build": build, "records": records, "base": base, "args": args}


class _Cells(HTMLParser):
    """Every element carrying data-* attributes, with its own text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict] = []
        self._stack: list[dict | None] = []
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.srcs.append(a.get("src", ""))
        cell = {"tag": tag, **a, "text": ""} if any(k.startswith("data-") for k in a) else None
        if cell is not None:
            self.cells.append(cell)
        if tag not in ("img", "meta", "br", "link", "input"):
            self._stack.append(cell)

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        for cell in reversed(self._stack):
            if cell is not None:
                cell["text"] += data
                break


def _page(report_dir: Path) -> _Cells:
    parser = _Cells()
    parser.feed((report_dir / "index.html").read_text(encoding="utf-8"))
    return parser


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def _recompute_means(rows: list[dict]) -> dict:
    ok = [r for r in rows if r["error"] is None]
    out = {k: _mean([r[k] for r in ok]) for k in (*RUBRIC_DIMENSIONS, "overall", "char_rouge_l")}
    out["answer_accuracy"] = _mean([float(r["answer_correct"]) for r in rows if r["answer_correct"] is not None])
    return out


def _shown(value: float, key: str) -> str:
    return f"{100 * value:.1f}%" if key == "answer_accuracy" else f"{value:.3f}"


def test_report_writes_page_figures_and_json(two_runs):
    d = two_runs["dir"]
    assert (d / "index.html").is_file() and (d / "report.json").is_file()
    for name in FIGURES:
        data = (d / name).read_bytes()
        assert data[:8] == PNG_MAGIC, name
    numbers = json.loads((d / "report.json").read_text(encoding="utf-8"))
    assert numbers["format"] == "medcot-report"
    assert set(numbers["figures"].values()) == set(FIGURES)
    assert [r["name"] for r in numbers["runs"]] == ["expert", "truncated"]
    assert numbers["settings"] == {"bootstrap": 400, "seed": 7, "confidence": 0.95, "worst": 5,
                                   "dataset": str(two_runs["build"]), "split": "test", "method": "percentile"}


def test_page_is_self_contained(two_runs):
    html = (two_runs["dir"] / "index.html").read_text(encoding="utf-8")
    page = _page(two_runs["dir"])
    assert len(page.srcs) == len(FIGURES) and all(s.startswith("data:image/png;base64,") for s in page.srcs)
    assert "script" not in page.tags and "link" not in page.tags
    assert "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html  # the CSP forbids any load but inline styles and data: images


def test_html_numbers_equal_the_per_item_files(two_runs):
    page = _page(two_runs["dir"])
    rows = {name: _read_jsonl(path) for name, path in two_runs["runs"].items()}
    seen = 0
    for name, run_rows in rows.items():
        want = _recompute_means(run_rows)
        for key in MEANS:
            [cell] = [c for c in page.cells if c.get("data-run") == name and c.get("data-key") == key and c.get("data-stat") == "mean"]
            assert float(cell["data-value"]) == pytest.approx(want[key], abs=1e-9), (name, key)
            assert cell["text"].strip() == _shown(want[key], key)
            seen += 1
            [ci] = [c for c in page.cells if c.get("data-run") == name and c.get("data-key") == key and c.get("data-stat") == "ci"]
            assert float(ci["data-lo"]) <= want[key] + 1e-9 <= float(ci["data-hi"]) + 2e-9
        counts = {c["data-key"]: int(c["data-value"]) for c in page.cells if c.get("data-run") == name and c.get("data-stat") == "count"}
        assert counts["n_rows"] == len(run_rows)
        assert counts["n_scored"] == sum(r["error"] is None and r["overall"] is not None for r in run_rows)
    assert seen == 2 * len(MEANS)
    # paired differences: truncated - expert on the shared ids
    a = {r["id"]: r for r in rows["expert"] if r["error"] is None}
    b = {r["id"]: r for r in rows["truncated"] if r["error"] is None}
    ids = sorted(set(a) & set(b))
    for key in (*RUBRIC_DIMENSIONS, "overall"):
        want = statistics.fmean(b[i][key] - a[i][key] for i in ids)
        [cell] = [c for c in page.cells if c.get("data-pair") == "truncated|expert" and c.get("data-key") == key and c.get("data-stat") == "diff"]
        assert float(cell["data-value"]) == pytest.approx(want, abs=1e-9)
        assert cell["text"].strip() == f"{want:+.3f}"
    [n_pairs] = [c for c in page.cells if c.get("data-pair") == "truncated|expert" and c.get("data-key") == "n_pairs"]
    assert int(n_pairs["data-value"]) == len(ids) == len(two_runs["records"])


def _table(html: str, table: str, run: str) -> dict[str, dict[str, dict]]:
    """``{group: {key: cell}}`` of one breakdown table of the page."""
    start = html.index(f'data-breakdown="{table}" data-run="{run}"')
    sub = _Cells()
    sub.feed(html[html.rindex("<table", 0, start): html.index("</table>", start)])
    out: dict[str, dict[str, dict]] = {}
    for c in sub.cells:
        if "data-group" in c:
            out.setdefault(c["data-group"], {})[c["data-key"]] = c
    return out


def test_breakdowns_equal_a_join_with_the_dataset(two_runs):
    html = (two_runs["dir"] / "index.html").read_text(encoding="utf-8")
    by_id = {r["id"]: r for r in two_runs["records"]}
    for name, path in two_runs["runs"].items():
        for table, field in (("by_department", "department"), ("by_question_type", "question_type")):
            groups: dict[str, list[dict]] = {}
            for row in _read_jsonl(path):
                groups.setdefault(by_id[row["id"]][field] or "(unknown)", []).append(row)
            shown = _table(html, table, name)
            assert set(shown) == set(groups) and len(groups) >= 2
            for group, rows in groups.items():
                want = _recompute_means(rows)
                assert int(shown[group]["n"]["data-value"]) == len(rows)
                for key in ("answer_accuracy", *RUBRIC_DIMENSIONS, "overall"):
                    assert float(shown[group][key]["data-value"]) == pytest.approx(want[key], abs=1e-9), (name, group, key)
                    assert shown[group][key]["text"].strip() == _shown(want[key], key)


def test_bootstrap_is_seeded(two_runs, tmp_path):
    first = json.loads((two_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    args = list(two_runs["args"])
    args[args.index("--out") + 1] = str(tmp_path / "again")
    assert main(args) == 0
    again = json.loads((tmp_path / "again" / "report.json").read_text(encoding="utf-8"))
    assert again["runs"] == first["runs"] and again["paired"] == first["paired"]
    args[args.index("--seed") + 1] = "8"
    args[args.index("--out") + 1] = str(tmp_path / "other")
    assert main(args) == 0
    other = json.loads((tmp_path / "other" / "report.json").read_text(encoding="utf-8"))
    assert other["runs"][0]["means"] == first["runs"][0]["means"]
    assert other["runs"][0]["ci"] != first["runs"][0]["ci"]


def test_truncated_cots_lose_on_the_paired_comparison(two_runs):
    numbers = json.loads((two_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    [pair] = numbers["paired"]
    assert (pair["a"], pair["b"]) == ("expert", "truncated")
    assert pair["diff"]["overall"] < 0 and pair["ci"]["overall"][1] < 0
    assert pair["overall_better"] + pair["overall_tied"] + pair["overall_worse"] == pair["n_pairs"]


def test_figure_numbers_match_the_json(two_runs):
    numbers = json.loads((two_runs["dir"] / "report.json").read_text(encoding="utf-8"))
    for name, path in two_runs["runs"].items():
        rows = [r for r in _read_jsonl(path) if r["error"] is None]
        dist = numbers["distributions"]["runs"][name]
        for key in (*RUBRIC_DIMENSIONS, "overall"):
            assert sum(dist[key]) == sum(r[key] is not None for r in rows)
        points = numbers["length_vs_overall"][name]["points"]
        assert sorted((p["id"], p["chars"]) for p in points) == sorted((r["id"], r["prediction_chars"]) for r in rows)
        worst = numbers["worst"][name]
        want = sorted(rows, key=lambda r: (r["overall"], r["id"]))[:5]
        assert [w["id"] for w in worst] == [r["id"] for r in want]
        assert all(set(w["evidence"]) <= set(RUBRIC_DIMENSIONS) and w["question"] for w in worst)


def test_figures_draw_every_chinese_glyph(two_runs, tmp_path):
    from medcot.report import build_report

    res = build_report(list(two_runs["runs"].values()), tmp_path / "r", dataset=two_runs["build"], bootstrap=0)
    assert res.missing_glyphs and not any(res.missing_glyphs.values()), res.missing_glyphs
    # every dimension label is on the page too
    html = res.html.read_text(encoding="utf-8")
    assert all(d.zh in html for d in RUBRIC)


def test_report_in_headless_chromium(two_runs):
    import browser

    shot_dir = Path(os.environ.get("MEDCOT_SCREENSHOT_DIR") or two_runs["base"])
    check = browser.open_page((two_runs["dir"] / "index.html").resolve().as_uri(), screenshot=shot_dir / "report.png")
    assert check.console_errors == [], check.console
    assert check.failed == []
    assert check.requests and all(r.startswith(("file:", "data:image/png")) for r in check.requests), check.requests
    assert len(check.images) == len(FIGURES)
    assert all(i["complete"] and i["width"] > 300 and i["height"] > 200 for i in check.images), check.images
    assert check.title.startswith("medcot report")
    assert (shot_dir / "report.png").read_bytes()[:8] == PNG_MAGIC


def test_untrusted_text_is_escaped(tmp_path):
    row = {"index": 0, "id": "<script>alert(1)</script>", **{d: 2.0 for d in RUBRIC_DIMENSIONS}, "overall": 2.0,
           "extracted_answer": ["A"], "answer_correct": False, "gold_answer": ["B"], "char_rouge_l": None,
           "evidence": {"medical_correctness": ['<img src="https://example.invalid/x.png">']}, "backend": "heuristic",
           "error": None, "prediction_chars": 12}
    run = tmp_path / "evil.jsonl"
    run.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert main(["report", str(run), "--out", str(tmp_path / "r"), "--bootstrap", "0", "--label", "<b>x</b>"]) == 0
    page = _page(tmp_path / "r")
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "script" not in page.tags and "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert all(s.startswith("data:") for s in page.srcs)
    assert "&lt;script&gt;" in html and "example.invalid" in html and 'src="https://' not in html


def test_predictions_file_is_scored_here(two_runs, tmp_path, capsys):
    preds = two_runs["base"] / "expert.predictions.jsonl"
    out = tmp_path / "r"
    assert main(["report", str(preds), str(two_runs["runs"]["expert"]), "--dataset", str(two_runs["build"]),
                 "--out", str(out), "--bootstrap", "0", "--json", "--label", "fresh"]) == 0
    scored = out / "runs" / "fresh.scores.jsonl"
    assert scored.is_file()
    numbers = json.loads((out / "report.json").read_text(encoding="utf-8"))
    fresh, given = numbers["runs"]
    assert fresh["scored_here"] and not given["scored_here"] and given["name"] == "expert"
    assert fresh["means"] == given["means"]  # the same predictions, scored the same way
    assert numbers["paired"][0]["diff"]["overall"] == 0.0


@pytest.mark.parametrize("line, message", [
    ('{"index": 0, "id": "a", "medical_correctness": 3, "reasoning_structure": 1, "information_sufficiency": 1, '
     '"terminology_clarity": 1, "clinical_value": 1, "overall": "high", "evidence": {}, "backend": "heuristic"}', "expected a number"),
    ('{"id": "a", "overall": 3}', "not a `medcot score` output line"),
    ('{"index": 0, "id": "a", "medical_correctness": 9, "reasoning_structure": 1, "information_sufficiency": 1, '
     '"terminology_clarity": 1, "clinical_value": 1, "overall": 1, "evidence": {}, "backend": "heuristic"}', "between 1 and 5"),
    ("{not json", "bad.jsonl:"),
])
def test_malformed_run_is_one_line_exit_2(tmp_path, capsys, line, message):
    ok = {"index": 0, "id": "z", **{d: 3.0 for d in RUBRIC_DIMENSIONS}, "overall": 3.0, "evidence": {}, "backend": "heuristic"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ok) + "\n" + line + "\n", encoding="utf-8")
    assert main(["report", str(bad), "--out", str(tmp_path / "r"), "--bootstrap", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_repeated_id_is_refused(tmp_path, capsys):
    row = {"index": 0, "id": "z", **{d: 3.0 for d in RUBRIC_DIMENSIONS}, "overall": 3.0, "evidence": {}, "backend": "heuristic"}
    run = tmp_path / "dup.jsonl"
    run.write_text((json.dumps(row) + "\n") * 2, encoding="utf-8")
    assert main(["report", str(run), "--out", str(tmp_path / "r")]) == 2
    assert "repeats line 1" in capsys.readouterr().err


def test_no_cjk_font_fails_clearly(tmp_path, capsys, monkeypatch):
    from matplotlib import font_manager

    from medcot.plots import fonts

    dejavu = font_manager.findfont("DejaVu Sans")
    monkeypatch.setenv(fonts.ENV_VAR, dejavu)
    fonts._find.cache_clear()
    try:
        run = tmp_path / "a.jsonl"
        run.write_text(json.dumps({"id": "a", "prediction": "故选A"}) + "\n", encoding="utf-8")
        assert main(["report", str(run), "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert "cannot draw" in err and "Chinese" in err
        monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.ttf"))
        assert main(["report", str(run), "--out", str(tmp_path / "r")]) == 2
        assert "no such font file" in capsys.readouterr().err
        # nothing installed that covers Chinese: the message says what to install
        monkeypatch.delenv(fonts.ENV_VAR)
        monkeypatch.setattr(font_manager.fontManager, "ttflist",
                            [f for f in font_manager.fontManager.ttflist if f.fname == dejavu])
        fonts._find.cache_clear()
        with pytest.raises(fonts.MissingFontError, match="fonts-noto-cjk"):
            fonts.find_cjk_font()
    finally:
        fonts._find.cache_clear()


def test_a_run_with_nothing_scored_still_reports(two_runs, tmp_path):
    bad = tmp_path / "empty_preds.jsonl"
    bad.write_text('{"id": "x1", "prediction": null}\n{"id": "x2", "prediction": null}\n', encoding="utf-8")
    out = tmp_path / "r"
    assert main(["report", str(bad), str(two_runs["runs"]["expert"]), "--out", str(out), "--bootstrap", "50", "--json"]) == 0
    numbers = json.loads((out / "report.json").read_text(encoding="utf-8"))
    empty = numbers["runs"][0]
    assert (empty["n_rows"], empty["n_scored"], empty["n_missing"]) == (2, 0, 2)
    assert empty["means"]["overall"] is None and numbers["worst"]["empty_preds"] == []
    assert numbers["paired"][0]["n_pairs"] == 0
    [cell] = [c for c in _page(out).cells if c.get("data-run") == "empty_preds" and c.get("data-key") == "overall"
              and c.get("data-stat") == "mean"]
    assert cell["text"].strip() == "–"
