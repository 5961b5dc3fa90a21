"""The report's ``index.html``: one self-contained page (inline CSS, images as ``data:`` URIs, no script).

Rendered with Jinja2 with autoescaping on: run names, ids, questions and evidence are untrusted
text (model outputs, release contents) and reach the page escaped. A Content-Security-Policy
forbids every load except inline styles and ``data:`` images, so the page makes no request.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from medcot import constants, scoring
from medcot.plots.charts import SavedFigure
from medcot.report.numbers import BREAKDOWN_KEYS

TEMPLATE = Path(__file__).with_name("report.html.j2")
CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
       margin: 0; color: #1d1d1f; background: #fafafa; line-height: 1.5; }
main { max-width: 1150px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 1.6rem; margin: 0.4em 0; } h1 .sub { font-weight: normal; color: #555; font-size: 1.1rem; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 2em; }
.meta, .note, footer { color: #555; font-size: 0.92rem; }
nav { font-size: 0.92rem; margin: 8px 0 16px; }
nav a { color: #0072B2; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.92rem; }
th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
thead th { background: #f0f4f8; }
table.num td { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .ci { display: block; color: #666; font-size: 0.8rem; }
td.pos { background: #e6f4ea; } td.neg { background: #fce8e6; }
tr.count td, tr.count th { color: #555; font-size: 0.85rem; }
figure { margin: 12px 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85rem; }
details { margin: 8px 0; } summary { cursor: pointer; color: #0072B2; }
article.item { border: 1px solid #ddd; border-left: 4px solid #D55E00; border-radius: 4px; padding: 8px 12px; margin: 10px 0; }
article.item header { margin-bottom: 4px; } .where { color: #888; font-size: 0.8rem; float: right; }
.ok { color: #137333; font-weight: bold; } .bad { color: #c5221f; font-weight: bold; }
.question { background: #f7f7f7; padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; }
table.evidence { width: 100%; } table.evidence th { width: 14em; text-align: left; font-weight: normal; }
table.evidence .en { color: #777; font-size: 0.8rem; } table.evidence td.score { width: 3.5em; text-align: right; font-weight: bold; }
table.evidence .none { color: #999; }
code { font-size: 0.85rem; background: #f3f3f3; padding: 0 3px; word-break: break-all; }
"""
# Column heads of the run and breakdown tables.
LABELS: dict[str, str] = {d.key: f"{d.zh} {d.en}" for d in constants.RUBRIC}
LABELS.update(overall="总分 overall", answer_accuracy="答案准确率 answer accuracy", char_rouge_l="字符 ROUGE-L vs reference")
SHORT: dict[str, str] = {d.key: d.zh for d in constants.RUBRIC}
SHORT.update(overall="总分", answer_accuracy="准确率", char_rouge_l="ROUGE-L")
COUNTS: tuple[tuple[str, str], ...] = (("n_rows", "rows"), ("n_scored", "scored"), ("n_missing", "missing (error)"),
                                       ("n_with_answer", "with gold answer"))
_PERCENT = frozenset({"answer_accuracy"})


def fmt(value: float | None, key: str) -> str:
    """A number as the page shows it: accuracy in percent (1 decimal), scores with 3 decimals.

    >>> fmt(0.25, "answer_accuracy"), fmt(4.12345, "overall"), fmt(None, "overall")
    ('25.0%', '4.123', '–')
    """
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if key in _PERCENT else f"{value:.3f}"


def fmt_diff(value: float | None, key: str) -> str:
    """A signed difference: percentage points for accuracy, points for scores.

    >>> fmt_diff(-0.1, "answer_accuracy"), fmt_diff(0.5, "overall")
    ('-10.0 pp', '+0.500')
    """
    if value is None:
        return "–"
    return f"{100 * value:+.1f} pp" if key in _PERCENT else f"{value:+.3f}"


def data_uri(path: Path) -> str:
    """A PNG file as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render(numbers: Mapping[str, Any], figures: Mapping[str, SavedFigure]) -> str:
    """The HTML page for ``numbers`` with ``figures`` embedded.

    Args:
        numbers: :func:`medcot.report.numbers.compute` output.
        figures: :func:`medcot.report.figures.draw_all` output.

    Returns:
        The page as a string.
    """
    import jinja2

    def figure(name: str) -> Markup:
        fig = figures[name]
        img = Markup('<figure><img src="{}" alt="{}"><figcaption>{} (<code>{}</code>)</figcaption></figure>')
        return img.format(data_uri(fig.path), fig.alt, fig.alt, fig.path.name)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        n=numbers, css=Markup(CSS), figure=figure, fmt=fmt, fmt_diff=fmt_diff,
        run_names=[r["name"] for r in numbers["runs"]],
        aggregates=scoring.AGGREGATES, labels=LABELS, short=SHORT, counts=COUNTS, breakdown_keys=BREAKDOWN_KEYS,
        breakdowns=[("department", "by_department", "By department 按科室"),
                    ("qtype", "by_question_type", "By question type 按题型")],
    )
