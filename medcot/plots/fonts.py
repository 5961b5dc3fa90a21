"""A font with Chinese glyphs for matplotlib, found once, or a clear error saying how to get one.

Department names, question types and the rubric's dimension labels are Chinese. matplotlib's
bundled DejaVu Sans has no CJK glyphs, so without help every Chinese character is drawn as an
empty box ("tofu"). The project ships no font file; it uses, in this order:

1. the font file named by ``MEDCOT_CJK_FONT`` (``.ttf``/``.otf``/``.ttc``);
2. the first installed family of :data:`PREFERRED_FAMILIES` (Debian: ``fonts-noto-cjk`` gives
   Noto Sans CJK SC; ``fonts-wqy-microhei`` gives WenQuanYi Micro Hei);
3. any installed font whose character map covers :data:`PROBE`.

Each candidate must cover every character of :data:`PROBE`; when none does,
:class:`MissingFontError` says what to install.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcot.constants import RUBRIC
from medcot.errors import MedcotError

logger = logging.getLogger(__name__)

ENV_VAR = "MEDCOT_CJK_FONT"
# Simplified-Chinese faces first (glyph shapes as mainland exams print them), then the others.
PREFERRED_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB",
    "SimHei", "Heiti SC", "Droid Sans Fallback", "Noto Sans CJK TC", "Noto Sans CJK JP", "Arial Unicode MS",
)
# Characters every figure may draw: the dimension labels and the words of axes and titles.
PROBE = "".join(d.zh for d in RUBRIC) + "科室题型答案准确率记录数长度分布字符训练验证测试总分内外儿妇产急诊药理骨"
INSTALL_HINT = (
    "install one (Debian/Ubuntu: apt-get install fonts-noto-cjk, or fonts-wqy-microhei) "
    f"or set {ENV_VAR}=/path/to/font.ttf"
)


class MissingFontError(MedcotError):
    """No installed font can draw Chinese text."""


@dataclass(frozen=True)
class CJKFont:
    """The font figures use: its family name (for matplotlib's rcParams) and file."""

    family: str
    path: str
    index: int = 0  # face index in a .ttc collection


def require_matplotlib() -> Any:
    """Import matplotlib, or raise a :class:`MedcotError` naming the extra to install.

    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise MedcotError("figures need the 'report' extra: pip install 'medcot-verified[report]'") from exc
    return matplotlib


def missing_glyphs(path: str, text: str, *, face_index: int = 0) -> str:
    """The characters of ``text`` (whitespace aside) that the font file at ``path`` cannot draw.

    >>> from matplotlib import font_manager
    >>> missing_glyphs(font_manager.findfont("DejaVu Sans"), "Ab 医学")
    '医学'
    """
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(path, face_index=face_index).get_charmap()
    return "".join(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in charmap))


def _installed(family: str) -> tuple[str, int] | None:
    """``(file, face index)`` of an installed family, or None (matplotlib's nearest match does not count)."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if entry.name == family:
            return entry.fname, int(getattr(entry, "index", 0) or 0)
    return None


@functools.lru_cache(maxsize=4)
def _find(env_value: str | None) -> CJKFont:
    require_matplotlib()
    from matplotlib import font_manager

    if env_value:
        path = Path(env_value)
        if not path.is_file():
            raise MissingFontError(f"{ENV_VAR}={env_value}: no such font file; expected a .ttf, .otf or .ttc with Chinese glyphs")
        try:
            font_manager.fontManager.addfont(str(path))
            from matplotlib.ft2font import FT2Font

            family = FT2Font(str(path)).family_name
            lacking = missing_glyphs(str(path), PROBE)
        except (OSError, RuntimeError, ValueError) as exc:
            raise MissingFontError(f"{ENV_VAR}={env_value}: not a font file matplotlib can read ({exc})") from exc
        if lacking:
            raise MissingFontError(f"{ENV_VAR}={env_value}: font {family!r} cannot draw {lacking!r}; expected a font with Chinese glyphs")
        return CJKFont(family=family, path=str(path))
    for family in PREFERRED_FAMILIES:
        found = _installed(family)
        if found and not missing_glyphs(found[0], PROBE, face_index=found[1]):
            return CJKFont(family=family, path=found[0], index=found[1])
    seen: set[tuple[str, int]] = set()
    for entry in sorted(font_manager.fontManager.ttflist, key=lambda e: (e.name, e.fname)):
        key = (entry.fname, int(getattr(entry, "index", 0) or 0))
        if key in seen:
            continue
        seen.add(key)
        try:
            if not missing_glyphs(entry.fname, PROBE, face_index=key[1]):
                return CJKFont(family=entry.name, path=entry.fname, index=key[1])
        except (OSError, RuntimeError, ValueError):  # an unreadable system font is not ours to fix
            continue
    raise MissingFontError(f"no installed font can draw Chinese text (figures need one): {INSTALL_HINT}")


def find_cjk_font() -> CJKFont:
    """The font with Chinese glyphs figures are drawn with (see the module docstring for the order).

    Returns:
        A :class:`CJKFont`.

    Raises:
        MissingFontError: when no font covers :data:`PROBE`; the message says what to install.

    >>> font = find_cjk_font()
    >>> missing_glyphs(font.path, "医学正确性 临床价值", face_index=font.index)
    ''
    """
    font = _find(os.environ.get(ENV_VAR) or None)
    logger.debug("CJK font: %s (%s)", font.family, font.path)
    return font


def style(font: CJKFont, *, base_size: float = 11.0) -> dict[str, Any]:
    """matplotlib rcParams for the project's figures (use with ``matplotlib.rc_context``).

    DejaVu Sans stays as a per-glyph fallback for symbols a CJK face may lack.

    >>> style(CJKFont("Noto Sans CJK SC", "/x.ttc"))["font.family"]
    ['Noto Sans CJK SC', 'DejaVu Sans']
    """
    return {
        "font.family": [font.family, "DejaVu Sans"],
        "font.size": base_size,
        "axes.titlesize": base_size + 2,
        "axes.titleweight": "bold",
        "axes.labelsize": base_size + 0.5,
        "xtick.labelsize": base_size - 0.5,
        "ytick.labelsize": base_size - 0.5,
        "legend.fontsize": base_size - 0.5,
        "figure.titlesize": base_size + 3,
        "axes.unicode_minus": False,  # CJK faces often lack U+2212
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "savefig.facecolor": "white",
    }
