"""The one guard for parsing untrusted JSON: bounded nesting, valid Unicode, no dropped duplicate keys.

``json.loads`` of ``[[[[...]]]]`` 100,000 deep raises ``RecursionError`` (and values a few thousand
deep break ``marshal``, ``json.dumps`` and recursive code later). :func:`loads` parses, refuses
anything nested deeper than :data:`MAX_DEPTH` (counting the outermost value as 1), refuses lone
surrogates (:func:`medcot.textguard.surrogate_problem`), and keeps a repeated object key as
``"key (2)"`` instead of silently keeping only the last value (as a repeated CSV header is kept).
Every failure is a :class:`JSONGuardError` (a ``ValueError``) with a reason fit for a reject.

Every parse of user data in medcot goes through :func:`loads`: rows of JSON/JSONL files, JSON in
CSV/XLSX cells (options, rubric, review), prediction files and judge replies.

>>> loads('{"a": 1, "a": 2}')
{'a': 1, 'a (2)': 2}
>>> loads("[" * 100 + "]" * 100)
Traceback (most recent call last):
medcot.jsonguard.JSONGuardError: JSON nested deeper than 32 levels (limit of medcot; see README "Limits")
"""

from __future__ import annotations

import json
from typing import Any

from medcot.textguard import surrogate_problem

# Deepest nesting accepted. A canonical row needs 4 (file array > row > options list > option
# object); 32 leaves room for wrappers and nested metadata while staying far below the recursion
# limits of json, marshal and recursive processing.
MAX_DEPTH = 32


class JSONGuardError(ValueError):
    """Untrusted JSON that is invalid, too deep, or not valid Unicode; ``str()`` is the reason.

    ``decode_error`` is ``json``'s own error (line, column, message) when the text is not JSON.
    """

    def __init__(self, message: str, decode_error: json.JSONDecodeError | None = None) -> None:
        super().__init__(message)
        self.decode_error = decode_error


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Object hook: a repeated key is kept as ``key (2)``, ``key (3)``... (never silently dropped)."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    out = {}
    for k, v in pairs:
        name, n = k, 1
        while name in out:
            n += 1
            name = f"{k} ({n})"
        out[name] = v
    return out


def nesting_depth(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed value (a scalar is 0, ``[]`` is 1), counted iteratively; stops past ``limit``.

    >>> nesting_depth({"a": [1, {"b": []}]}), nesting_depth("x")
    (4, 0)
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON text with the guards above.

    Args:
        text: the JSON text (bytes are decoded as UTF-8 by ``json``).
        max_depth: deepest nesting accepted.

    Returns:
        The parsed value.

    Raises:
        JSONGuardError: invalid JSON (the message has ``json``'s reason and position), nesting
            deeper than ``max_depth``, or a lone surrogate.

    >>> loads('{"options": ["甲", "乙"]}')
    {'options': ['甲', '乙']}
    >>> loads('"\\\\ud800"')
    Traceback (most recent call last):
    medcot.jsonguard.JSONGuardError: a value holds a lone surrogate \\ud800 (not valid Unicode text)
    """
    too_deep = f"JSON nested deeper than {max_depth} levels (limit of medcot; see README \"Limits\")"
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except RecursionError:
        raise JSONGuardError(too_deep) from None
    except json.JSONDecodeError as exc:
        raise JSONGuardError(f"invalid JSON ({exc})", exc) from None
    except ValueError as exc:  # e.g. bytes in an unknown encoding
        raise JSONGuardError(f"invalid JSON ({exc})") from None
    # Only text with more than max_depth brackets can nest that deep: skip the walk otherwise.
    if isinstance(value, (dict, list)):
        opened = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
        if opened > max_depth and nesting_depth(value, limit=max_depth) > max_depth:
            raise JSONGuardError(too_deep)
    # A lone surrogate can only come from a \\u escape (UTF-8 bytes cannot encode one).
    if (b"\\u" in text if isinstance(text, bytes) else "\\u" in text):
        problem = surrogate_problem(value)
        if problem:
            raise JSONGuardError(problem)
    return value
