"""Figures of a dataset's make-up, for its card and for ``medcot stats DIR --figures``.

Drawn from the card's :class:`medcot.card.StatsAccumulator`, so every bar is a number the card's
statistics tables also give. Each figure is 800 px wide, about the width the Hub shows a card image
at, so labels are seen at the size they were drawn.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from medcot import constants
from medcot.plots import charts

logger = logging.getLogger(__name__)

# The most frequent departments drawn one bar each; the rest are summed into one "other" bar.
TOP_DEPARTMENTS = 20
# Every file :func:`draw_dataset_figures` may write (a rebuild with --overwrite replaces exactly these).
FIGURE_FILES: tuple[str, ...] = ("splits.png", "departments.png", "question_types.png", "lengths.png", "rubric.png")
_SPLIT_ZH = {"train": "训练 train", "validation": "验证 validation", "test": "测试 test"}


def _top(counts: dict[str, int], n: int) -> dict[str, int]:
    """The ``n`` largest counts (in the given order) and the rest summed as ``其他 other (k)``.

    >>> _top({"a": 5, "b": 3, "c": 1, "d": 1}, 2)
    {'a': 5, 'b': 3, '其他 other (2)': 2}
    """
    items = list(counts.items())
    if len(items) <= n + 1:
        return dict(items)
    head, rest = items[:n], items[n:]
    return {**dict(head), f"其他 other ({len(rest)})": sum(v for _, v in rest)}


def splits(acc: Any, path: Path) -> charts.SavedFigure:
    """Records per split."""
    counts = {_SPLIT_ZH.get(k, k): v for k, v in acc.per_split.items()}
    fig, ax = charts.new_figure(height=3.6)
    charts.bar_counts(ax, counts, title="各划分记录数 Records per split", value_label="记录数 records",
                      category_label="划分 split", total=acc.records)
    return charts.save(fig, path, alt="Records per split")


def departments(acc: Any, path: Path) -> charts.SavedFigure:
    """Records per department, most frequent first."""
    counts = _top(dict(acc.departments.most_common()), TOP_DEPARTMENTS)
    fig, ax = charts.new_figure(height=max(3.0, 0.32 * len(counts) + 1.3))
    charts.bar_counts(ax, counts, title="各科室记录数 Records per department", value_label="记录数 records",
                      category_label="科室 department", horizontal=True, total=acc.records)
    return charts.save(fig, path, alt="Records per department")


def question_types(acc: Any, path: Path) -> charts.SavedFigure:
    """Records per question type."""
    counts = _top(dict(acc.question_types.most_common()), TOP_DEPARTMENTS)
    fig, ax = charts.new_figure(height=max(2.6, 0.4 * len(counts) + 1.3))
    charts.bar_counts(ax, counts, title="各题型记录数 Records per question type", value_label="记录数 records",
                      category_label="题型 question type", horizontal=True, total=acc.records, bar_color=charts.PALETTE[2])
    return charts.save(fig, path, alt="Records per question type")


def lengths(acc: Any, path: Path) -> charts.SavedFigure:
    """Histograms of CoT and question lengths (characters), with the medians marked."""
    import numpy as np

    fig, axes = charts.new_figure(height=3.8, ncols=2)
    for ax, values, title, i in ((axes[0], acc.cot_lengths, "CoT 长度 CoT length", 0),
                                 (axes[1], acc.question_lengths, "题干长度 Question length", 2)):
        if not values:
            charts.empty_note(ax, f"{title}: no records")
            continue
        arr = np.asarray(values)
        top = max(int(np.percentile(arr, 99)), 1)
        bins = np.linspace(0, top, 26) if top >= 25 else np.arange(0, top + 2)
        ax.hist(np.clip(arr, 0, top), bins=bins, color=charts.color(i))
        med = float(np.median(arr))
        ax.axvline(med, color="#333333", linestyle="--", linewidth=1)
        ax.text(med, ax.get_ylim()[1] * 0.95, f" 中位数 median {med:g}", va="top", fontsize="small")
        ax.set_title(title)
        ax.set_xlabel("字符 characters" + (" (>p99 in last bin)" if arr.max() > top else ""))
        ax.set_ylabel("记录数 records")
        ax.grid(axis="x", visible=False)
        charts.integer_axis(ax.yaxis)
    return charts.save(fig, path, alt="Distributions of CoT and question lengths in characters")


def rubric(acc: Any, path: Path) -> charts.SavedFigure:
    """Distribution of each expert rubric score (and overall) over the records that have them."""
    import numpy as np

    keys = (*constants.RUBRIC_DIMENSIONS, "overall")
    fig, axes = charts.new_figure(height=5.8, nrows=2, ncols=3, sharex=True)
    edges = np.arange(0.75, 5.26, 0.5)  # half-point bins centred on 1, 1.5, ..., 5
    for ax, key in zip(axes.flat, keys):
        pairs = [(v, n) for (k, v), n in acc.rubric_values.items() if k == key]
        dim = next((d for d in constants.RUBRIC if d.key == key), None)
        zh, en = (dim.zh, dim.en) if dim else ("总分", "overall")
        n = sum(c for _, c in pairs)
        ax.set_title(f"{zh} (n={n:,})\n{en}", fontsize="medium")
        if not n:
            charts.empty_note(ax, "无评分 no scores")
            continue
        counts, _ = np.histogram([v for v, _ in pairs], bins=edges, weights=[c for _, c in pairs])
        ax.bar((edges[:-1] + edges[1:]) / 2, counts, width=0.42, color=charts.color(0 if dim else 5))
        charts.integer_axis(ax.yaxis)
        ax.set_xticks([1, 2, 3, 4, 5])
        ax.grid(axis="x", visible=False)
    for ax in axes[1]:
        ax.set_xlabel("专家评分 expert score")
    for ax in axes[:, 0]:
        ax.set_ylabel("记录数 records")
    fig.suptitle(f"专家评分分布 Expert rubric scores ({acc.with_rubric:,} of {acc.records:,} records have them)")
    return charts.save(fig, path, alt="Distributions of the expert rubric scores per dimension")


def draw_dataset_figures(acc: Any, out_dir: str | Path) -> list[charts.SavedFigure]:
    """Write the make-up figures of a dataset into ``out_dir``.

    Args:
        acc: The :class:`medcot.card.StatsAccumulator` of the dataset's ``default`` config.
        out_dir: Folder for the PNGs (a build puts them in ``<repo>/figures``).

    Returns:
        The figures written, in card order; ``rubric.png`` only when some record has rubric scores.

    Raises:
        MedcotError: matplotlib missing, or no font with Chinese glyphs (:mod:`medcot.plots.fonts`).

    >>> from medcot.card import StatsAccumulator
    >>> import tempfile
    >>> acc = StatsAccumulator()
    >>> acc.add({"answer": ["A"], "options": [1, 2], "cot": "因为甲", "question": "问题", "department": "内科",
    ...          "question_type": "A1", "source": None, "rubric": None, "review": None}, split="train")
    >>> [f.path.name for f in draw_dataset_figures(acc, tempfile.mkdtemp())]
    ['splits.png', 'departments.png', 'question_types.png', 'lengths.png']
    """
    out = Path(out_dir)
    with charts.drawing():
        figs = [
            splits(acc, out / "splits.png"),
            departments(acc, out / "departments.png"),
            question_types(acc, out / "question_types.png"),
            lengths(acc, out / "lengths.png"),
        ]
        if acc.with_rubric:
            figs.append(rubric(acc, out / "rubric.png"))
    logger.info("wrote %d dataset figures to %s", len(figs), out)
    return figs
