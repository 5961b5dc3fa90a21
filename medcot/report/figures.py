"""The PNG figures of ``medcot report``, drawn from the numbers of :func:`medcot.report.numbers.compute`.

Each function takes the numbers (never the raw items), so a figure shows exactly what
``report.json`` holds. Labels are bilingual where a reader may need either (``医学正确性`` with
``Medical correctness``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from medcot import constants
from medcot.plots import charts

# Width of the report's figures in inches (1,100 px at 100 dpi; the page column is 1,150 px).
REPORT_WIDTH = 11.0
# Heat-map column heads: two short lines each, so seven columns fit side by side.
_SHORT = {"answer_accuracy": "准确率\naccuracy", "overall": "总分\noverall"}
_SHORT.update({d.key: f"{d.zh[:2]}\n{d.zh[2:]}" for d in constants.RUBRIC})


def _dim_label(key: str) -> str:
    """``医学正确性`` + newline + ``Medical correctness``; ``总分`` + ``overall`` for overall."""
    for d in constants.RUBRIC:
        if d.key == key:
            return f"{d.zh}\n{d.en}"
    return _SHORT.get(key, key)


def radar(numbers: Mapping[str, Any], path: Path) -> charts.SavedFigure:
    """Mean score of the five dimensions per run."""
    dims = constants.RUBRIC_DIMENSIONS
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.5, 6.2), layout="constrained")
    series = {r["name"]: [r["means"].get(d) for d in dims] for r in numbers["runs"]}
    charts.radar(fig, series, labels=[_dim_label(d) for d in dims], title="五维评分均值 Mean score per dimension (1-5)")
    return charts.save(fig, path, alt="Radar chart: mean score of the five rubric dimensions per run")


def breakdown(numbers: Mapping[str, Any], path: Path, *, key: str, title: str, what: str) -> charts.SavedFigure:
    """One heat-map table per run: groups x (accuracy, five dimensions, overall)."""
    from medcot.report.numbers import BREAKDOWN_KEYS

    block = numbers[key]
    groups, runs = block["groups"], list(block["runs"])
    ncols = min(2, len(runs))
    nrows = math.ceil(len(runs) / ncols)
    height = max(2.6, 0.34 * len(groups) + 1.9) * nrows
    fig, axes = charts.new_figure(width=REPORT_WIDTH if ncols > 1 else 6.5, height=height, nrows=nrows, ncols=ncols, squeeze=False)
    scales = [(0.0, 1.0)] + [(1.0, 5.0)] * (len(BREAKDOWN_KEYS) - 1)
    fmt = [".0%"] + [".2f"] * (len(BREAKDOWN_KEYS) - 1)
    for idx, name in enumerate(runs):
        ax = axes[idx // ncols][idx % ncols]
        cells = block["runs"][name]
        values = [[cells[g].get(k) for k in BREAKDOWN_KEYS] for g in groups]
        rows = [f"{g} (n={cells[g]['n']})" for g in groups]
        charts.heatmap(ax, values, row_labels=rows, col_labels=[_SHORT[k] for k in BREAKDOWN_KEYS], scales=scales,
                       title=name, fmt=fmt)
        ax.set_ylabel(what)
    for idx in range(len(runs), nrows * ncols):
        axes[idx // ncols][idx % ncols].set_axis_off()
    fig.suptitle(f"{title}（准确率 0-100%，评分 1-5；颜色越绿越好）")
    return charts.save(fig, path, alt=f"Answer accuracy and rubric means {title} per run")


def distributions(numbers: Mapping[str, Any], path: Path) -> charts.SavedFigure:
    """Histogram of every dimension and of overall, runs side by side."""
    from medcot.report.numbers import DISTRIBUTION_KEYS

    import numpy as np

    bins = np.asarray(numbers["distributions"]["bins"])
    per_run = numbers["distributions"]["runs"]
    fig, axes = charts.new_figure(width=REPORT_WIDTH, height=6.6, nrows=2, ncols=3, sharex=True)
    names = list(per_run)
    width = np.diff(bins)
    for ax, key in zip(axes.flat, DISTRIBUTION_KEYS):
        k = len(names)
        for i, name in enumerate(names):
            counts = per_run[name][key]
            ax.bar(bins[:-1] + width * i / k, counts, width=width / k * 0.92, align="edge", color=charts.color(i), label=name)
        ax.set_title(_dim_label(key).replace("\n", " "), fontsize="medium")
        ax.set_xlim(1, 5)
        ax.set_xticks([1, 2, 3, 4, 5])
        ax.grid(axis="x", visible=False)
        charts.integer_axis(ax.yaxis)
    for ax in axes[1]:
        ax.set_xlabel("评分 score")
    for ax in axes[:, 0]:
        ax.set_ylabel("条目数 items")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(names), 4), frameon=False)
    fig.suptitle("评分分布 Score distributions (bins of 0.25)")
    return charts.save(fig, path, alt="Histograms of the five dimension scores and overall, per run")


def length_vs_overall(numbers: Mapping[str, Any], path: Path) -> charts.SavedFigure:
    """Scatter of the prediction's length (characters) against the overall score, one colour per run."""
    fig, ax = charts.new_figure(width=8.5, height=5.0)
    drawn = 0
    for i, (name, block) in enumerate(numbers["length_vs_overall"].items()):
        pts = block["points"]
        if not pts:
            continue
        rho = block["spearman"]
        label = f"{name} (n={block['n']}, Spearman ρ={'–' if rho is None else f'{rho:.2f}'})"
        # Many points: smaller and fainter, so dense regions still show their density.
        crowd = min(1.0, 300 / len(pts))
        ax.scatter([p["chars"] for p in pts], [p["overall"] for p in pts], s=max(3.0, 28 * crowd),
                   alpha=max(0.06, 0.75 * crowd), linewidths=0, color=charts.color(i), label=label)
        drawn += 1
    if not drawn:
        charts.empty_note(ax, "no item records its prediction length (prediction_chars): re-run medcot score")
    else:
        ax.set_xlabel("CoT 长度（字符）CoT length (characters)")
        ax.set_ylabel("总分 overall (1-5)")
        ax.set_ylim(1, 5.1)
        ax.set_xlim(left=0)
        for handle in ax.legend(frameon=False, loc="lower right").legend_handles:
            handle.set_alpha(1.0)  # the legend shows the colour, not the crowd's transparency
            handle.set_sizes([30])
    ax.set_title("CoT 长度与总分 CoT length vs overall score")
    return charts.save(fig, path, alt="Scatter plot of CoT length against overall score per run")


def paired(numbers: Mapping[str, Any], path: Path) -> charts.SavedFigure:
    """Mean paired difference (b - a) per aggregate with its bootstrap interval, one row per aggregate."""
    from medcot.report.numbers import BREAKDOWN_KEYS

    pairs = numbers["paired"]
    keys = list(BREAKDOWN_KEYS)
    fig, ax = charts.new_figure(width=8.5, height=1.2 + 0.55 * len(keys) + 0.25 * len(pairs) * len(keys) / 2)
    if not pairs:
        charts.empty_note(ax, "one run only: nothing to pair")
    k = len(pairs)
    order = [r["name"] for r in numbers["runs"]]
    for i, pair in enumerate(pairs):
        ys, xs, lo, hi = [], [], [], []
        for j, key in enumerate(keys):
            d = pair["diff"].get(key)
            if d is None:
                continue
            ys.append(j + (i - (k - 1) / 2) * 0.22)
            xs.append(d)
            ci = (pair["ci"] or {}).get(key)
            lo.append(d - ci[0] if ci else 0.0)
            hi.append(ci[1] - d if ci else 0.0)
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=charts.color(order.index(pair["b"])), capsize=3,
                    label=f"{pair['b']} − {pair['a']} (n={pair['n_pairs']} paired ids)")
    if pairs:
        ax.axvline(0, color="#444444", linewidth=1)
        ax.set_yticks(range(len(keys)), [_dim_label(kk).replace("\n", " ") for kk in keys])
        ax.invert_yaxis()
        ax.set_xlabel("配对差均值 mean paired difference (accuracy: fraction; scores: points)")
        ax.grid(axis="y", visible=False)
        fig.legend(*ax.get_legend_handles_labels(), frameon=False, loc="outside lower center")
    ax.set_title("配对差异 Paired differences with bootstrap intervals")
    return charts.save(fig, path, alt="Forest plot of mean paired differences between runs with bootstrap intervals")


def draw_all(numbers: Mapping[str, Any], out_dir: Path) -> dict[str, charts.SavedFigure]:
    """Every report figure, written into ``out_dir``; ``{name: SavedFigure}`` in page order."""
    with charts.drawing():
        figs = {
            "radar": radar(numbers, out_dir / "radar.png"),
            "paired": paired(numbers, out_dir / "paired_differences.png"),
            "by_department": breakdown(numbers, out_dir / "by_department.png", key="by_department", title="按科室 By department", what="科室 department"),
            "by_question_type": breakdown(numbers, out_dir / "by_question_type.png", key="by_question_type", title="按题型 By question type", what="题型 question type"),
            "distributions": distributions(numbers, out_dir / "distributions.png"),
            "length_vs_overall": length_vs_overall(numbers, out_dir / "length_vs_overall.png"),
        }
    return figs
