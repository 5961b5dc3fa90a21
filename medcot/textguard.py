"""The one guard between untrusted bytes and medcot's text: encoding choice, decoding, lone surrogates.

Raw releases and prediction files arrive as bytes in whatever encoding their tool wrote.
:func:`detect_encoding` picks how to decode them: a byte-order mark wins (UTF-8, UTF-16); then
UTF-8; else the legacy Chinese encodings GB18030 (Simplified) and Big5 (Traditional). Most byte
strings are valid in both of those, so when both decode, ``charset_normalizer`` (a well-kept
detector with Chinese character statistics) must prefer one clearly; otherwise the file is refused
with a message naming ``--encoding``. An explicit ``encoding`` skips detection.

Text can also be broken after decoding: a JSON escape ``"\\ud800"`` yields a lone UTF-16 surrogate,
a Python ``str`` that cannot be encoded as UTF-8, so it would break hashing and Parquet writing far
from the file that held it. :func:`surrogate_problem` finds one anywhere in a parsed value (keys
included), so a reader can reject that row with its file and line.

>>> detect_encoding("答案：C".encode("utf-8"), "a.csv")
'utf-8'
>>> surrogate_problem({"cot": "\\ud800"})
"field 'cot' holds a lone surrogate \\\\ud800 (not valid Unicode text)"
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Mapping
from os import PathLike
from typing import Any, Union

from medcot.errors import InputError

logger = logging.getLogger(__name__)

PathName = Union[str, "PathLike[str]"]

# How much clearer (in charset_normalizer's "chaos" ratio, 0 = clean) the winner of GB18030 vs Big5
# must be. Chinese text read in the wrong one of them is full of rare characters and odd symbols.
_CHAOS_MARGIN = 0.02
# The legacy Chinese encodings tried after UTF-8, and how a message names them.
LEGACY_CHINESE = {"gb18030": "GB18030 (Simplified Chinese)", "big5": "Big5 (Traditional Chinese)"}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def check_encoding_name(encoding: str) -> str:
    """The canonical codec name of ``encoding`` (as ``--encoding`` takes it).

    Raises:
        InputError: the name is not a text encoding Python knows.

    >>> check_encoding_name("BIG5"), check_encoding_name("utf8")
    ('big5', 'utf-8')
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise InputError(f"--encoding: unknown encoding {encoding!r}; expected e.g. utf-8, gb18030, big5, utf-16") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"--encoding: {encoding!r} is not a text encoding; expected e.g. utf-8, gb18030, big5")
    return info.name


def _decodes(sample: bytes, encoding: str, *, truncated: bool) -> bool:
    """Whether ``sample`` is valid ``encoding``; a truncated sample may end mid-character."""
    try:
        sample.decode(encoding)
        return True
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(sample) - 4:
            try:
                sample[: exc.start].decode(encoding)
                return True
            except UnicodeDecodeError:
                return False
        return False


def _mostly_utf8(sample: bytes) -> bool:
    """More than half of the non-ASCII lines decode as UTF-8: a UTF-8 file with a few bad lines."""
    lines = [ln for ln in sample.split(b"\n")[:-1] if not ln.isascii()]
    ok = 0
    for ln in lines:
        try:
            ln.decode("utf-8")
            ok += 1
        except UnicodeDecodeError:
            pass
    return bool(lines) and ok * 2 > len(lines)


def _looks_binary(sample: bytes) -> bool:
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return b"\x00" in sample or controls > max(2, len(sample) // 100)


def _pick_legacy(sample: bytes, candidates: list[str]) -> str | None:
    """Of GB18030 and Big5 (both decode the sample), the one the detector clearly prefers, else None."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a core dependency
        return None
    chaos: dict[str, float] = {}
    for enc in candidates:
        matches = from_bytes(sample, cp_isolation=[enc], threshold=1.0, explain=False)
        best = matches.best()
        chaos[enc] = best.chaos if best is not None else 1.0
    ranked = sorted(chaos, key=lambda e: chaos[e])
    if len(ranked) >= 2 and chaos[ranked[1]] - chaos[ranked[0]] < _CHAOS_MARGIN:
        return None
    return ranked[0]


def detect_encoding(sample: bytes, path: PathName, *, encoding: str | None = None, truncated: bool = False) -> str:
    """The encoding to decode a text file with, from its first bytes.

    Args:
        sample: the file's first bytes (up to 64 KiB is plenty).
        path: the file, for messages.
        encoding: an explicit choice (``--encoding``): returned as given (canonical name), except
            that a UTF-8 BOM turns ``utf-8`` into ``utf-8-sig``.
        truncated: ``sample`` is a prefix of a longer file (it may end mid-character).

    Returns:
        A codec name: ``utf-8-sig``, ``utf-16``, ``utf-8``, ``gb18030``, ``big5`` or the explicit one.

    Raises:
        InputError: binary data; bytes valid in no supported encoding; or bytes valid in both
            GB18030 and Big5 with no clear winner (the message names ``--encoding``).

    >>> detect_encoding("问题,答案\\n患者发热咳嗽，胸片示右下肺实变。".encode("gb18030"), "a.csv")
    'gb18030'
    >>> detect_encoding("問題,答案\\n患者發熱咳嗽，胸片示右下肺實變，診斷為肺炎。".encode("big5"), "a.csv")
    'big5'
    >>> detect_encoding(b"abc", "a.csv", encoding="Big5")
    'big5'
    """
    if encoding is not None:
        name = check_encoding_name(encoding)
        return "utf-8-sig" if name == "utf-8" and sample.startswith(codecs.BOM_UTF8) else name
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    if _looks_binary(sample):
        raise InputError(f"{path}: looks like binary data, not text; expected UTF-8, GB18030 or Big5 text")
    if _decodes(sample, "utf-8", truncated=truncated):
        return "utf-8"
    candidates = [enc for enc in LEGACY_CHINESE if _decodes(sample, enc, truncated=truncated)]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        chosen = _pick_legacy(sample, candidates)
        if chosen is not None:
            return chosen
        names = " and ".join(LEGACY_CHINESE[e] for e in candidates)
        raise InputError(
            f"{path}: not UTF-8, and the bytes read as both {names}; medcot cannot tell which — "
            "pass --encoding gb18030 or --encoding big5 (or re-save the file as UTF-8)"
        )
    # Mostly UTF-8 with a few bad lines: the bad lines become rejects (JSONL) or a precise error.
    if _mostly_utf8(sample):
        return "utf-8"
    raise InputError(f"{path}: not UTF-8, GB18030 or Big5 text (undecodable bytes); re-save it as UTF-8 "
                     "or name its encoding with --encoding")


def _first_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` as ``\\udXXX``, else None (cheap when there is none).

    >>> _first_surrogate("ok"), _first_surrogate("a\\udfffb")
    (None, '\\\\udfff')
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return f"\\u{ord(text[exc.start]):04x}"


def surrogate_problem(value: Any, *, where: str = "") -> str | None:
    """Why ``value`` (a parsed row: dicts, lists, strings) is not valid Unicode text, else None.

    Walks iteratively (no recursion, whatever the nesting) over keys and values.

    Args:
        value: the parsed value.
        where: the field name to report for a bare string.

    Returns:
        ``"field 'x' holds a lone surrogate \\ud800 (not valid Unicode text)"`` or None.

    >>> surrogate_problem(["ok", {"k": ["\\udc80"]}]) is not None, surrogate_problem({"k": ["fine"]})
    (True, None)
    """
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack:
        name, v = stack.pop()
        if isinstance(v, str):
            bad = _first_surrogate(v)
            if bad:
                label = f"field {name!r}" if name else "a value"
                return f"{label} holds a lone surrogate {bad} (not valid Unicode text)"
        elif isinstance(v, Mapping):
            for k, item in v.items():
                if isinstance(k, str) and _first_surrogate(k):
                    return f"a column name holds a lone surrogate {_first_surrogate(k)} (not valid Unicode text)"
                stack.append((name or str(k), item))
        elif isinstance(v, (list, tuple)):
            stack.extend((name, item) for item in v)
    return None


def decode_text(data: bytes, encoding: str, *, path: PathName, what: str = "file") -> str:
    """``data`` decoded strictly, or an :class:`InputError` naming the file and the byte offset.

    >>> decode_text(b"\\xff", "utf-8", path="a.json")
    Traceback (most recent call last):
    medcot.errors.InputError: a.json: bytes at offset 0 of the file are not valid utf-8 (invalid start byte); re-save it as UTF-8 or name its encoding with --encoding
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: bytes at offset {exc.start} of the {what} are not valid {encoding} ({exc.reason}); "
            "re-save it as UTF-8 or name its encoding with --encoding"
        ) from None
