"""Parsing of answer options and gold answers, and the text normalisation ingestion applies.

Chinese exam releases spell options in many ways: a list of strings, a list of ``{label, text}``
objects, a dict ``{"A": ...}``, one string with real or *literal* ``\\n`` separators, everything on
one line ("A.发热 B.咳嗽"), markers such as ``A．`` ``A、`` ``(A)`` ``（A）`` ``A:`` or ``A `` and
full-width or lower-case letters. Answers come as "C", "ABCD", "A、B", "答案：C" ... Everything is
mapped onto ``[{"label": "A", "text": ...}, ...]`` and a sorted list of upper-case labels.

Why not plain NFKC: NFKC folds full-width Chinese punctuation ("，" "：" "（") to ASCII, superscripts
("m²", "Ca²⁺") to plain digits and circled numbers ("①") to "1", which changes how prose reads and,
for superscripts, what it means. :func:`normalize_text` therefore folds only what is safe: NFC
(canonical, never changes meaning), full-width ASCII letters and digits, exotic spaces, zero-width
characters and line endings.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from medcot.errors import InputError
from medcot.jsonguard import loads as guarded_loads

logger = logging.getLogger(__name__)

__all__ = [
    "normalize_text", "parse_options", "split_embedded_options", "parse_answer", "LABELS",
    "MISSING_PLACEHOLDERS", "missing_placeholder",
]

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Whole-cell ASCII spellings of "no value" that spreadsheet / pandas / XLSX->JSON conversions leave
# behind (str(float("nan")), str(None), JSON null, Excel's #N/A). Compared exactly (after stripping
# spaces), so real text is never touched. Deliberately NOT here: "NA" and "Na" (noradrenaline /
# sodium in medical text), "none" (an English word), Chinese "无" / "不详" (legitimate option texts).
MISSING_PLACEHOLDERS: frozenset[str] = frozenset(
    {"nan", "NaN", "NAN", "-nan", "-NaN", "None", "null", "NULL", "Null", "N/A", "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>", "NaT"}
)

# Full-width letters/digits (U+FF10-FF19, FF21-FF3A, FF41-FF5A) -> ASCII. Punctuation is NOT folded.
_FOLD = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for cp in range(r[0], r[1] + 1)}
# Spaces that are not ASCII space (ideographic, no-break, thin ...) -> " ".
_FOLD.update({cp: 0x20 for cp in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2009, 0x202F, 0x205F, 0x1680)})
# Zero-width characters and the BOM carry no text.
_FOLD.update({cp: None for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
_FOLD.update({0x0D: 0x0A, 0x0B: 0x20, 0x0C: 0x20, 0x09: 0x20, 0x2028: 0x0A, 0x2029: 0x0A})

# One regex search decides whether the (slow, per-character) translate is needed at all.
_NEEDS_FOLD = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD)) + "]")
_SPACES = re.compile(r"[ ]{2,}")
_SPACE_AROUND_NL = re.compile(r" *\n *")
_MANY_NL = re.compile(r"\n{3,}")


def missing_placeholder(value: Any) -> str | None:
    """The placeholder a whole cell holds instead of a value ("nan", "None", "#N/A" ...), else None.

    Args:
        value: a raw cell.

    Returns:
        The stripped placeholder, or None when ``value`` is not a string placeholder.

    >>> missing_placeholder(" nan "), missing_placeholder("NA"), missing_placeholder("无"), missing_placeholder(None)
    ('nan', None, None, None)
    """
    if isinstance(value, str) and len(value) <= 16:
        s = value.strip()
        if s in MISSING_PLACEHOLDERS:
            return s
    return None


def normalize_text(s: Any) -> str:
    """Return ``s`` as clean text: NFC, safe full-width folding, collapsed whitespace.

    Full-width letters/digits become ASCII, exotic spaces become one space, ``\\r\\n`` becomes
    ``\\n``; runs of spaces collapse, blank-line runs shrink to one blank line, ends are stripped.
    Chinese punctuation is kept as written (see the module docstring). ``None`` gives "".

    Args:
        s: the text (non-strings are converted with ``str``).

    Returns:
        The normalised text.

    >>> normalize_text("  答案：Ｃ\\u3000（见  解析）\\r\\n")
    '答案：C （见 解析）'
    >>> normalize_text("m²")
    'm²'
    """
    if s is None:
        return ""
    if s.__class__ is str and len(s) <= _SHORT:
        return _normalize_short(s)
    return _normalize(str(s))


# Departments, question types, sources and option texts repeat across rows: cache short strings.
_SHORT = 32


def _normalize(s: str) -> str:
    text = s.replace("\r\n", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _NEEDS_FOLD.search(text):
        text = text.translate(_FOLD)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _MANY_NL.sub("\n\n", _SPACE_AROUND_NL.sub("\n", text))
    return text.strip()


_normalize_short = functools.lru_cache(maxsize=8192)(_normalize)


# ---------------------------------------------------------------------------------------------
# Option markers
# ---------------------------------------------------------------------------------------------
# Marker styles. A run of options keeps the style of its first marker, which stops "维生素B缺乏"
# or "B超" inside an option text from being read as the next label.
_PAREN = "paren"  # (A) （A） [A] 【A】
_PUNCT = "punct"  # A. A． A、 A: A： A，
_SPACE = "space"  # "A 原发病"
_BARE = "bare"  # "A原发病" — only at the start of a line, see _line_marker

_OPEN, _CLOSE = "(（[【", ")）]】"
_PUNCT_CHARS = ".．、:：，,)）"
_LETTER = r"[A-Za-z]"

_MARKER_AT = {
    _PAREN: re.compile(rf"[{re.escape(_OPEN)}]\s*({_LETTER})\s*[{re.escape(_CLOSE)}]\s*"),
    _PUNCT: re.compile(rf"({_LETTER})\s*[{re.escape(_PUNCT_CHARS)}]\s*"),
    _SPACE: re.compile(rf"({_LETTER})\s+"),
}
_LITERAL_NL = re.compile(r"\\r\\n|\\n|\\r")
# All three styles in one pattern (tried in the same order), for the common "any style" lookup.
_ANY_MARKER = re.compile(
    rf"(?:[{re.escape(_OPEN)}]\s*(?P<{_PAREN}>{_LETTER})\s*[{re.escape(_CLOSE)}]"
    rf"|(?P<{_PUNCT}>{_LETTER})\s*[{re.escape(_PUNCT_CHARS)}]"
    rf"|(?P<{_SPACE}>{_LETTER})(?=\s))\s*"
)


def _marker_at(text: str, pos: int, style: str | None = None) -> tuple[str, str, int] | None:
    """Match an option marker at ``pos``; return (label, style, end) or None."""
    if style is None:
        m = _ANY_MARKER.match(text, pos)
        if m and m.end() < len(text):
            st = m.lastgroup or _SPACE
            return m.group(st).upper(), st, m.end()
        return None
    m = _MARKER_AT[style].match(text, pos)
    if m and m.end() < len(text):
        return m.group(1).upper(), style, m.end()
    return None


def _line_marker(line: str, expected: str | None) -> tuple[str, str, int] | None:
    """Marker at the start of one line; a bare letter ("A原发病") counts only as the expected label."""
    found = _marker_at(line, 0)
    if found:
        return found
    if expected and len(line) > 1 and line[0].upper() == expected and not line[1].isascii():
        return expected, _BARE, 1
    return None


def _next_label(label: str) -> str | None:
    i = LABELS.find(label)
    return LABELS[i + 1] if 0 <= i < len(LABELS) - 1 else None


def _inline_boundary_ok(text: str, pos: int, style: str) -> bool:
    """Is ``pos`` a plausible start of a marker inside running text?"""
    if pos == 0:
        return True
    prev = text[pos - 1]
    if style == _SPACE:
        return prev.isspace()
    # "A.发热B.咳嗽" is common in scraped data: any non-ASCII-alphanumeric char may precede a marker.
    return not (prev.isascii() and prev.isalnum())


def _parse_inline(text: str, start: int = 0, *, min_count: int = 2) -> list[dict[str, str]] | None:
    """Parse "A.xx B.xx C.xx" starting at ``start``; None if fewer than ``min_count`` markers run."""
    first = _marker_at(text, start)
    if not first or first[0] != "A":
        return None
    label, style, pos = first
    found: list[tuple[str, int, int]] = [(label, start, pos)]  # (label, marker start, text start)
    while True:
        want = _next_label(found[-1][0])
        if want is None:
            break
        hit = None
        for m in _MARKER_AT[style].finditer(text, found[-1][2]):
            if m.group(1).upper() == want and _inline_boundary_ok(text, m.start(), style) and m.end() < len(text):
                hit = m
                break
        if hit is None:
            break
        found.append((want, hit.start(), hit.end()))
    if len(found) < min_count:
        return None
    out = []
    for i, (lab, _, tstart) in enumerate(found):
        tend = found[i + 1][1] if i + 1 < len(found) else len(text)
        out.append({"label": lab, "text": text[tstart:tend].strip(" ;；,，")})
    return out


def _parse_lines(lines: list[str]) -> list[dict[str, str]] | None:
    """One option per line; unmarked lines continue the previous option. None if line 1 is unmarked."""
    labels: list[str] = []
    parts: list[list[str]] = []  # each option's text pieces, joined once at the end (linear in the text)
    for line in lines:
        expected = _next_label(labels[-1]) if labels else "A"
        mk = _line_marker(line, expected)
        if mk and mk[0] not in labels:
            labels.append(mk[0])
            parts.append([line[mk[2]:].strip()])
        elif labels:
            parts[-1].append(line)
        else:
            return None
    return [{"label": lab, "text": " ".join(p for p in pieces if p).strip()} for lab, pieces in zip(labels, parts)]


# _ANY_MARKER at the start of every line, plus the rest of the line, in ONE pass over the text.
# Whitespace excludes "\n" so a match never crosses a line (as with one line at a time); the
# atomic group keeps the first alternative that matches, as _ANY_MARKER.match does; the rest must
# hold a non-space, as _marker_at requires text after the marker.
_WS = r"[^\S\n]"
_LINE_MARKERS = re.compile(
    rf"^(?>(?:[{re.escape(_OPEN)}]{_WS}*({_LETTER}){_WS}*[{re.escape(_CLOSE)}]"
    rf"|({_LETTER}){_WS}*[{re.escape(_PUNCT_CHARS)}]"
    rf"|({_LETTER})(?={_WS})){_WS}*)(\S.*)$",
    flags=re.MULTILINE,
)


def _parse_marked_lines(text: str, n_lines: int) -> list[dict[str, str]] | None:
    """Fast path of :func:`_parse_lines` for the common shape: line i starts with a marker of label i.

    Returns exactly what :func:`_parse_lines` returns for the ``n_lines`` non-blank lines of
    ``text`` when each opens a new option with labels A, B, C ... in order (no continuation,
    duplicate or gap handling needed), or None for anything else, which takes the general path.
    """
    found = _LINE_MARKERS.findall(text)
    if len(found) != n_lines or n_lines > len(LABELS):
        return None
    out = []
    for expected, (paren, punct, space, rest) in zip(LABELS, found):
        label = (paren or punct or space).upper()
        if label != expected:
            return None
        out.append({"label": label, "text": rest.strip()})
    return out


def _parse_option_string(value: str) -> list[dict[str, str]]:
    text = normalize_text(_LITERAL_NL.sub("\n", value))
    lines = [ln for ln in text.split("\n") if ln.strip()]
    parsed = None
    if len(lines) > 1:
        parsed = _parse_marked_lines(text, len(lines))
        if parsed is not None:
            return parsed
        parsed = _parse_lines(lines)
        # Lines that each hold several options ("A.x B.y\nC.z D.w") leave gaps in the labels (A, C):
        # then the inline parser over the joined lines is the better reading, if it finds more.
        if parsed is not None and [o["label"] for o in parsed] != list(LABELS[: len(parsed)]):
            inline = _parse_inline(" ".join(lines))
            if inline and len(inline) > len(parsed):
                parsed = inline
        if parsed is not None and len(parsed) < 2:
            parsed = None
    if parsed is None:
        # min_count=1 so a lone "A．发热" is reported as "found 1 option" rather than "no labels".
        parsed = _parse_inline(" ".join(lines), min_count=1)
    if parsed is None:
        raise InputError(
            f"options: could not find option labels in {_snippet(value)!r}; expected e.g. "
            "'A 原发病\\nB 出血部位', 'A.xx B.xx', '(A)xx (B)xx', a list or a {\"A\": ...} object"
        )
    return parsed


def _strip_label(key: Any) -> str | None:
    """'A', 'a', 'Ａ', '(A)', 'A.', '选项A', 'option_a' -> 'A'; anything else -> None."""
    k = normalize_text(key).strip(_OPEN + _CLOSE + _PUNCT_CHARS + " ")
    m = re.fullmatch(r"(?:选项|option[ _-]?|opt[ _-]?)?([A-Za-z])", k, flags=re.IGNORECASE)
    return m.group(1).upper() if m else None


def _from_items(items: Iterable[tuple[Any, Any]]) -> list[dict[str, str]]:
    out = []
    for key, text in items:
        label = _strip_label(key)
        if label is None:
            raise InputError(f"options: {key!r} is not an option label; expected letters A, B, C ...")
        out.append({"label": label, "text": "" if missing_placeholder(text) else normalize_text(text)})
    return out


def _from_list(value: list[Any]) -> list[dict[str, str]]:
    if all(isinstance(v, Mapping) for v in value):
        items = []
        for v in value:
            lower = {str(k).lower(): x for k, x in v.items()}
            if "label" in lower and "text" in lower:
                items.append((lower["label"], lower["text"]))
            elif "key" in lower and "value" in lower:
                items.append((lower["key"], lower["value"]))
            elif len(v) == 1:
                items.extend(v.items())
            else:
                raise InputError(
                    f"options: list item {_snippet(v)!r} has no label/text (or key/value) fields"
                )
        return _from_items(items)
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        raise InputError(f"options: a list must hold only strings or only {{label, text}} objects, got {_snippet(value)!r}")
    texts = ["" if missing_placeholder(v) else normalize_text(v) for v in value]
    # Labels come from the strings only when EVERY string starts with the next label in order;
    # otherwise texts such as "A型血" would lose their first letter.
    marked = []
    for i, t in enumerate(texts):
        mk = _marker_at(t, 0)
        if not mk or i >= len(LABELS) or mk[0] != LABELS[i]:
            marked = []
            break
        marked.append({"label": mk[0], "text": t[mk[2]:].strip()})
    if marked:
        return marked
    if len(texts) > len(LABELS):
        raise InputError(f"options: {len(texts)} options is more than the {len(LABELS)} labels A-Z")
    return [{"label": LABELS[i], "text": t} for i, t in enumerate(texts)]


def _validate(options: list[dict[str, str]], value: Any) -> list[dict[str, str]]:
    if len(options) < 2:
        raise InputError(f"options: found {len(options)} option(s) in {_snippet(value)!r}; expected at least 2")
    seen: set[str] = set()
    for o in options:
        if o["label"] in seen:
            raise InputError(f"options: label {o['label']} appears twice in {_snippet(value)!r}")
        seen.add(o["label"])
        if not o["text"]:
            raise InputError(f"options: option {o['label']} has empty text in {_snippet(value)!r}")
    return options


def _snippet(value: Any, n: int = 60) -> str:
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[: n - 1] + "…"


def parse_options(value: Any) -> list[dict[str, str]]:
    """Parse options given in any common shape into ``[{"label": "A", "text": ...}, ...]``.

    Accepted: a list of strings (labels assigned A, B, ... unless every string starts with its own
    marker "A." / "(B)" ...), a list of ``{label, text}`` or ``{key, value}`` objects, a dict
    ``{"A": ...}``, a JSON-encoded list/dict, or one string with options separated by real or
    literal ``\\n`` or all on one line. Labels become upper-case ASCII; texts are normalised.

    Args:
        value: the raw options value.

    Returns:
        The options in order, at least two, labels unique, texts non-empty.

    Raises:
        InputError: when no options can be recognised; the message says what was expected.

    >>> parse_options("A 原发病\\\\nB 出血部位")
    [{'label': 'A', 'text': '原发病'}, {'label': 'B', 'text': '出血部位'}]
    >>> [o["label"] for o in parse_options({"ａ": "发热", "b": "咳嗽"})]
    ['A', 'B']
    >>> parse_options("（A）发热（B）咳嗽")[1]
    {'label': 'B', 'text': '咳嗽'}
    """
    if value is None or (isinstance(value, float) and value != value) or missing_placeholder(value):
        raise InputError("options: missing; expected a list, a {\"A\": ...} object or a string like 'A xx\\nB yy'")
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{" and s[-1:] in "]}":
            try:
                decoded = guarded_loads(s)
            except ValueError:  # not JSON (or too deep / not valid text): read it as an option string
                decoded = None
            if isinstance(decoded, (list, dict)):
                return parse_options(decoded)
        if not s:
            raise InputError("options: empty string; expected options such as 'A xx\\nB yy'")
        return _validate(_parse_option_string(s), value)
    if isinstance(value, Mapping):
        return _validate(_from_items(value.items()), value)
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        seq = value.tolist() if hasattr(value, "tolist") else list(value)
        return _validate(_from_list(seq), value)
    raise InputError(f"options: unsupported value of type {type(value).__name__}; expected a list, an object or a string")


_EMBED_START = re.compile(rf"[{re.escape(_OPEN)}]\s*[Aa]|[Aa]")


def split_embedded_options(question: str) -> tuple[str, list[dict[str, str]]]:
    """Split options written at the end of a stem off the stem.

    The last "A" marker from which at least two consecutive options (A, B, ...) run to the end of
    the text wins, so an "A" inside the stem ("A型血") or inside an option text is not taken as
    the start.

    Args:
        question: the question text, possibly ending with its options.

    Returns:
        ``(stem, options)``; ``options`` is empty (and ``stem`` the normalised question) when no
        embedded options were found.

    >>> stem, opts = split_embedded_options("男，45岁，突发胸痛。最可能的诊断是 A.心绞痛 B.急性心肌梗死 C.主动脉夹层")
    >>> stem, [o["label"] for o in opts], opts[1]["text"]
    ('男，45岁，突发胸痛。最可能的诊断是', ['A', 'B', 'C'], '急性心肌梗死')
    """
    text = normalize_text(_LITERAL_NL.sub("\n", question or ""))
    flat = text.replace("\n", " ")
    starts = [m.start() for m in _EMBED_START.finditer(flat)]
    for pos in reversed(starts):
        if pos == 0 or not _inline_boundary_ok(flat, pos, _PUNCT):
            continue
        parsed = _parse_inline(flat, pos)
        if parsed and len(parsed) >= 2 and all(o["text"] for o in parsed):
            # ``flat`` only swapped "\n" for " ", so positions match and the stem keeps its line breaks.
            stem = text[:pos].rstrip()
            if stem:
                return stem, parsed
    return text, []


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------
_ANSWER_PREFIX = re.compile(
    r"^(?:【?(?:正确|参考|标准)?答案】?|answer|ans|key|gold)\s*(?:是|为|应为|选)?\s*[:：]?\s*",
    flags=re.IGNORECASE,
)
# A bare answer of ASCII letters ("C", "abd"), unless it spells a placeholder ("NULL") or starts
# with a word _ANSWER_PREFIX strips ("KEY", "ANSB"): those take the general path.
_PLAIN_ANSWER = re.compile(r"[A-Za-z]{1,8}")
_ANSWER_WORDS = ("answer", "ans", "key", "gold")
_ANSWER_SEP = re.compile(r"[\s、,，;；/|+&.．。和及与()（）\[\]【】\"'“”]+")


def parse_answer(value: Any, *, labels: Iterable[str] | None = None) -> list[str]:
    """Parse a gold answer into a sorted list of unique upper-case labels.

    Args:
        value: "C", "ABCD", "A、B", "A,B", "A B", "答案：C", "正确答案为C", "ａ", or a list of labels.
        labels: when given, every parsed label must be one of these.

    Returns:
        Sorted unique labels, e.g. ``["A", "C"]``.

    Raises:
        InputError: when the answer is empty, not made of option letters, or not among ``labels``.

    >>> parse_answer("答案：c、Ａ")
    ['A', 'C']
    >>> parse_answer(["B", "d"], labels="ABCDE")
    ['B', 'D']
    """
    if (
        value.__class__ is str
        and _PLAIN_ANSWER.fullmatch(value)
        and value not in MISSING_PLACEHOLDERS
        and not value.lower().startswith(_ANSWER_WORDS)
    ):
        # Fast path for the common "C" / "ABD": the general path below would return the same.
        result = sorted(set(value.upper()))
    elif value is None or (isinstance(value, float) and value != value) or missing_placeholder(value):
        raise InputError("answer: missing; expected option letters such as 'C' or 'ABD'")
    elif isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        seq = value.tolist() if hasattr(value, "tolist") else list(value)
        found: set[str] = set()
        for v in seq:
            found.update(parse_answer(v))
        if not found:
            raise InputError("answer: empty list; expected option letters such as ['A', 'C']")
        result = sorted(found)
    else:
        raw = value
        text = normalize_text(value)
        if text[:1] == "[" and text[-1:] == "]":
            try:
                decoded = guarded_loads(text)
            except ValueError:
                decoded = None
            if isinstance(decoded, list):
                return parse_answer(decoded, labels=labels)
        text = _ANSWER_PREFIX.sub("", text)
        letters = _ANSWER_SEP.sub("", text)
        if not letters:
            raise InputError(f"answer: empty in {_snippet(str(raw))!r}; expected option letters such as 'C' or 'ABD'")
        if not re.fullmatch(r"[A-Za-z]+", letters):
            raise InputError(f"answer: {_snippet(str(raw))!r} is not made of option letters; expected e.g. 'C', 'ABD', 'A、B'")
        result = sorted({c.upper() for c in letters})
    if labels is not None:
        allowed = {str(x).upper() for x in labels}
        missing = [x for x in result if x not in allowed]
        if missing:
            raise InputError(
                f"answer: {''.join(missing)} not among the options {''.join(sorted(allowed))}"
            )
    return result
