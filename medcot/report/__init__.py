"""``medcot report``: compare scored runs in one self-contained HTML page with PNG figures.

:func:`build_report` reads the runs (:mod:`medcot.report.runs`), computes every number
(:mod:`medcot.report.numbers`), draws the figures from those numbers
(:mod:`medcot.report.figures`) and writes ``index.html`` (:mod:`medcot.report.page`), the PNGs and,
on request, ``report.json`` into one folder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcot.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["ReportResult", "build_report"]


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote."""

    out_dir: Path
    html: Path
    figures: tuple[Path, ...]
    json: Path | None
    numbers: dict[str, Any]
    missing_glyphs: dict[str, tuple[str, ...]]  # per figure, characters the font could not draw (should be empty)


def build_report(
    runs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    labels: Sequence[str] = (),
    dataset: str | Path | None = None,
    split: str = "test",
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    worst: int = 5,
    write_json: bool = False,
) -> ReportResult:
    """Write the comparison report of ``runs`` into ``out_dir``.

    Args:
        runs: ``medcot score`` outputs (or predictions files, scored here with the offline scorer).
        out_dir: Folder for ``index.html``, the PNGs, ``runs/`` (predictions scored here) and ``report.json``.
        labels: Display names of the runs, in order (default: from the file names).
        dataset: Built dataset folder or raw release joined on id (department, question type, question).
        split: Split of ``dataset`` the runs were made on.
        bootstrap: Bootstrap resamples for the intervals (0 = none).
        seed: Seed of the bootstrap.
        confidence: Coverage of the intervals.
        worst: Lowest-scored items listed per run.
        write_json: Also write ``report.json`` with the numbers behind every figure and table.

    Returns:
        A :class:`ReportResult`.

    Raises:
        InputError: bad options or a malformed run file (naming file and line).
        MissingFontError: no font with Chinese glyphs is installed.

    >>> import json, os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "a.jsonl")
    >>> _ = open(p, "w").write(json.dumps({"id": "q1", "prediction": "因为甲，故选A", "answer": "A"}) + "\\n")
    >>> res = build_report([p], os.path.join(d, "rep"), bootstrap=0)
    >>> res.html.name, res.numbers["runs"][0]["means"]["answer_accuracy"], sorted(os.listdir(os.path.join(d, "rep", "runs")))
    ('index.html', 1.0, ['a.scores.jsonl'])
    """
    from medcot.plots import fonts

    if bootstrap < 0:
        raise InputError(f"--bootstrap {bootstrap}: expected 0 (no intervals) or a positive number of resamples")
    if not 0 < confidence < 1:
        raise InputError(f"--confidence {confidence}: expected a number between 0 and 1")
    if worst < 0:
        raise InputError(f"--worst {worst}: expected 0 or more")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    fonts.require_matplotlib()
    fonts.find_cjk_font()  # fail before any scoring when the figures cannot be drawn
    from medcot.report import figures, numbers, page, runs as runs_mod

    out.mkdir(parents=True, exist_ok=True)
    loaded = runs_mod.load_runs(runs, out_dir=out, labels=labels, dataset=dataset, split=split)
    nums = numbers.compute(loaded, bootstrap=bootstrap, seed=seed, confidence=confidence, worst=worst,
                           dataset=None if dataset is None else str(dataset), split=split)
    figs = figures.draw_all(nums, out)
    nums["figures"] = {name: fig.path.name for name, fig in figs.items()}
    html = out / "index.html"
    html.write_text(page.render(nums, figs), encoding="utf-8")
    json_path = None
    if write_json:
        json_path = out / "report.json"
        json_path.write_text(json.dumps(nums, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    logger.info("wrote %s (%d figures)", html, len(figs))
    return ReportResult(out_dir=out, html=html, figures=tuple(f.path for f in figs.values()), json=json_path, numbers=nums,
                        missing_glyphs={name: f.missing_glyphs for name, f in figs.items()})
