"""The dataset card's figures: written by `medcot build` and `medcot stats --figures`, embedded with
relative links, never swept in as data, and shown when the card's Markdown is rendered in a browser."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from medcot import card, export  # noqa: E402
from medcot.cli import main  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED = ["figures/splits.png", "figures/departments.png", "figures/question_types.png", "figures/lengths.png",
            "figures/rubric.png"]  # the dummy release has rubric scores on some records


def _readme(folder: Path) -> str:
    return (folder / "README.md").read_text(encoding="utf-8")


def test_build_writes_and_embeds_the_figures(dummy_build):
    out = dummy_build.out_dir
    assert dummy_build.figures == EXPECTED and dummy_build.figures_note is None
    links = card.figure_links(_readme(out))
    assert links == EXPECTED
    for rel in links:
        data = (out / rel).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000, rel
    # the figures sit in the statistics section, before its tables
    text = _readme(out)
    assert text.index("## Statistics") < text.index("![Records per split](figures/splits.png)") < text.index("| statistic | value |")


def test_figures_draw_every_glyph_and_match_the_card_counts(dummy_build, tmp_path):
    from medcot.plots.dataset import draw_dataset_figures

    acc = card.accumulate_folder(dummy_build.out_dir)
    saved = draw_dataset_figures(acc, tmp_path)
    assert [f.path.name for f in saved] == [Path(p).name for p in EXPECTED]
    assert all(f.missing_glyphs == () for f in saved), [f.missing_glyphs for f in saved]
    # drawn from the same accumulator as the card's statistics
    assert acc.result() == dummy_build.stats
    assert sum(n for (k, _), n in acc.rubric_values.items() if k == "overall") == acc.rubric_counts["overall"]


def test_configs_do_not_sweep_the_figures_in(dummy_build, hf_offline, tmp_path):
    import datasets
    import pyarrow.parquet as pq

    out = dummy_build.out_dir
    for cfg, splits in dummy_build.layout.items():
        ds = datasets.load_dataset(str(out), cfg, cache_dir=str(tmp_path / "cache"))
        assert set(ds) == set(splits)
        for split, lay in splits.items():
            want = [row for f in lay.files for row in pq.read_table(out / f).to_pylist()]
            got = ds[split].to_list()
            assert got == want, (cfg, split)  # the same rows, no image rows or columns added
            assert "image" not in ds[split].column_names


def test_no_figures_option_and_overwrite(tmp_path, capsys):
    out = tmp_path / "medcot"
    assert main(["build", "--out", str(out), "--no-verify"]) == 0
    assert "figures: 5 PNGs under figures/" in capsys.readouterr().out
    (out / "figures" / "logo.png").write_bytes(PNG_MAGIC)  # not medcot's: kept by --overwrite
    assert main(["build", "--out", str(out), "--no-verify", "--overwrite", "--no-figures"]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["logo.png"]
    assert card.figure_links(_readme(out)) == []


def test_stats_figures_cli(dummy_build, tmp_path, capsys):
    assert main(["stats", str(dummy_build.out_dir), "--figures", "--figures-dir", str(tmp_path / "f"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [Path(p).name for p in data["figures"]] == [Path(p).name for p in EXPECTED]
    for name in data["figures"]:
        assert Path(name).read_bytes()[:8] == PNG_MAGIC
    # without --figures-dir they go where the card links them, and are the same pictures the build drew
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(dummy_build.out_dir, copy)
    for p in (copy / "figures").iterdir():
        p.unlink()
    assert main(["stats", str(copy), "--figures"]) == 0
    assert [f"figures/{p.name}" for p in sorted((copy / "figures").iterdir())] == sorted(EXPECTED)
    for rel in EXPECTED:
        assert (copy / rel).read_bytes() == (dummy_build.out_dir / rel).read_bytes()


def test_missing_font_is_clear(tmp_path, capsys, monkeypatch):
    from medcot.plots import fonts

    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "none.otf"))
    fonts._find.cache_clear()
    try:
        # asked for: one line, exit 2, before anything is written
        assert main(["build", "--out", str(tmp_path / "a"), "--figures", "--no-verify"]) == 2
        err = capsys.readouterr().err
        assert "no such font file" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "a").exists()
        # by default: the build goes on, says why the card has no figures
        assert main(["build", "--out", str(tmp_path / "b"), "--no-verify"]) == 0
        assert "note: the card has no figures" in capsys.readouterr().out
        assert card.figure_links(_readme(tmp_path / "b")) == [] and not (tmp_path / "b" / "figures").exists()
    finally:
        fonts._find.cache_clear()


# ---------------------------------------------------------------------------------------------
# The card as the Hub shows it: Markdown rendered to HTML, images resolved relative to the repo
# ---------------------------------------------------------------------------------------------
def render_card_html(folder: Path) -> str:
    """README.md without its YAML front matter, rendered by markdown-it-py (CommonMark + tables)."""
    from markdown_it import MarkdownIt

    text = _readme(folder)
    assert text.startswith("---\n")
    body = text.split("\n---\n", 1)[1]
    html = MarkdownIt("commonmark").enable("table").render(body)
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>card</title>'
            '<link rel="icon" href="data:,">'
            '<style>body{font-family:"Noto Sans CJK SC",sans-serif;max-width:820px;margin:auto}'
            'img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>'
            f"</head><body>{html}</body></html>")


class _Handler(http.server.SimpleHTTPRequestHandler):
    page = b""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/card.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.page)))
            self.end_headers()
            self.wfile.write(self.page)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def test_rendered_card_shows_the_figures_in_chromium(dummy_build, tmp_path):
    import browser

    browser.require_browser()
    html = render_card_html(dummy_build.out_dir)
    assert html.count("<img ") == len(EXPECTED)
    handler = functools.partial(type("H", (_Handler,), {"page": html.encode("utf-8")}), directory=str(dummy_build.out_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        shot_dir = Path(os.environ.get("MEDCOT_SCREENSHOT_DIR") or tmp_path)
        check = browser.open_page(f"http://127.0.0.1:{server.server_address[1]}/card.html", screenshot=shot_dir / "card.png")
    finally:
        server.shutdown()
        server.server_close()
    assert check.console_errors == [], check.console
    assert check.failed == []
    assert len(check.images) == len(EXPECTED)
    assert all(i["complete"] and i["width"] == 800 and i["height"] > 200 for i in check.images), check.images
    assert sorted(i["src"].split("/", 3)[-1] for i in check.images) == sorted(EXPECTED)
    assert (shot_dir / "card.png").read_bytes()[:8] == PNG_MAGIC


def test_export_rejects_a_bad_figure_path():
    with pytest.raises(ValueError, match="figures/"):
        card.render_figures([("../x.png", "x")])
    assert export.card_figures(card.StatsAccumulator(), Path("/nonexistent"), figures=False)[0] == []
