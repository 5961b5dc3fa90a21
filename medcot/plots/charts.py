"""Chart primitives shared by the dataset figures and the report: one look, one way to save.

Figures are matplotlib ``Figure`` objects (no pyplot, no global state, no display needed), drawn
inside ``matplotlib.rc_context`` with :func:`medcot.plots.fonts.style`. :func:`save` writes a PNG
and reports any glyph the font could not draw, so a tofu box never goes unnoticed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcot.plots import fonts

logger = logging.getLogger(__name__)

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Width of a figure in inches at 100 dpi: 800 px, about the width the Hub shows card images at,
# so text is seen at the size it was drawn.
WIDTH = 8.0
_GLYPH_RE = re.compile(r"Glyph \d+ \((.+?)\) missing from font")


@dataclass(frozen=True)
class SavedFigure:
    """A PNG written by :func:`save`: its path, alt text, and glyphs the font lacked (should be empty)."""

    path: Path
    alt: str
    missing_glyphs: tuple[str, ...] = ()


def color(i: int) -> str:
    """The colour of series ``i``.

    >>> color(0), color(len(PALETTE))
    ('#0072B2', '#0072B2')
    """
    return PALETTE[i % len(PALETTE)]


@contextlib.contextmanager
def drawing(*, base_size: float = 11.0) -> Iterator[fonts.CJKFont]:
    """Context in which figures are drawn: matplotlib's rcParams set to the project style.

    Raises:
        MissingFontError: when no font with Chinese glyphs is installed.
    """
    matplotlib = fonts.require_matplotlib()
    font = fonts.find_cjk_font()
    with matplotlib.rc_context(fonts.style(font, base_size=base_size)):
        yield font


def new_figure(*, width: float = WIDTH, height: float = 4.5, nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A constrained-layout ``Figure`` and its axes (``subplots`` semantics)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def save(fig: Any, path: str | Path, *, alt: str) -> SavedFigure:
    """Write ``fig`` as a PNG and return what was written.

    Glyph warnings raised while drawing are collected (and logged), never lost.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path, format="png", metadata={"Software": None})
    missing = tuple(dict.fromkeys(m.group(1) for w in caught if (m := _GLYPH_RE.search(str(w.message)))))
    if missing:
        logger.warning("%s: the font cannot draw %s (drawn as boxes)", path, ", ".join(missing))
    return SavedFigure(path=path, alt=alt, missing_glyphs=missing)


def integer_axis(axis: Any) -> None:
    """Ticks at whole numbers only (counts of records or items)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def empty_note(ax: Any, text: str) -> None:
    """Say on the axes why there is nothing to draw."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True, color="#555555")


def bar_counts(
    ax: Any,
    counts: Mapping[str, int],
    *,
    title: str,
    value_label: str,
    category_label: str,
    horizontal: bool = False,
    total: int | None = None,
    bar_color: str = PALETTE[0],
) -> None:
    """Bars of ``counts`` (in the given order), each annotated with its count (and share of ``total``)."""
    labels = list(counts)
    values = [counts[k] for k in labels]
    positions = range(len(labels))
    if horizontal:
        ax.barh(positions, values, color=bar_color)
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        ax.set_xlabel(value_label)
        ax.set_ylabel(category_label)
        ax.grid(axis="y", visible=False)
    else:
        ax.bar(positions, values, color=bar_color)
        ax.set_xticks(list(positions), labels)
        ax.set_ylabel(value_label)
        ax.set_xlabel(category_label)
        ax.grid(axis="x", visible=False)
    top = max(values, default=0)
    for pos, value in zip(positions, values):
        text = f"{value:,}" + (f" ({value / total:.0%})" if total else "")
        if horizontal:
            ax.text(value + top * 0.01, pos, text, va="center", fontsize="small")
        else:
            ax.text(pos, value + top * 0.01, text, ha="center", va="bottom", fontsize="small")
    if horizontal:
        ax.set_xlim(0, top * 1.18 or 1)
        integer_axis(ax.xaxis)
    else:
        ax.set_ylim(0, top * 1.15 or 1)
        integer_axis(ax.yaxis)
    ax.set_title(title)


def radar(fig: Any, series: Mapping[str, Sequence[float | None]], *, labels: Sequence[str], title: str,
          lo: float = 1.0, hi: float = 5.0) -> Any:
    """A radar (spider) chart on ``fig``: one closed polygon per series over ``labels``.

    Missing values (None) are drawn at ``lo``. Returns the polar axes.
    """
    import numpy as np

    n = len(labels)
    angles = [2 * math.pi * i / n for i in range(n)] + [0.0]
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(lo, hi)
    ax.set_yticks(np.arange(lo, hi + 0.001, 1.0))
    ax.set_xticks(angles[:-1], list(labels))
    ax.tick_params(axis="x", pad=12)
    for i, (name, values) in enumerate(series.items()):
        vals = [lo if v is None else float(v) for v in values]
        vals.append(vals[0])
        ax.plot(angles, vals, color=color(i), linewidth=2, label=name)
        ax.fill(angles, vals, color=color(i), alpha=0.12)
    ax.set_title(title, pad=24)
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.05), frameon=False)
    return ax


def heatmap(
    ax: Any,
    values: Sequence[Sequence[float | None]],
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    scales: Sequence[tuple[float, float]],
    title: str,
    fmt: Sequence[str],
) -> None:
    """A table of numbers coloured by value, each column on its own ``(lo, hi)`` scale.

    Cells are annotated with ``format(value, fmt[j])``; a missing value is a grey "–".
    """
    import numpy as np
    from matplotlib import colormaps

    cmap = colormaps["RdYlGn"]
    n_rows, n_cols = len(row_labels), len(col_labels)
    rgba = np.ones((n_rows, n_cols, 4))
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i][j]
            if v is None:
                rgba[i, j] = (0.9, 0.9, 0.9, 1.0)
            else:
                lo, hi = scales[j]
                rgba[i, j] = cmap(0.1 + 0.8 * min(1.0, max(0.0, (v - lo) / (hi - lo))))
    ax.imshow(rgba, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(n_cols), list(col_labels))
    ax.set_yticks(range(n_rows), list(row_labels))
    ax.tick_params(axis="x", top=True, bottom=False, labeltop=True, labelbottom=False)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i][j]
            ax.text(j, i, "–" if v is None else format(v, fmt[j]), ha="center", va="center", fontsize="small")
    ax.set_title(title)
