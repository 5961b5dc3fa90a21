"""Crash-safe on-disk cache of judge answers: one JSON file per key.

A key is the sha256 of (prompt version, model, rendered messages, temperature, extra generation
options). Files are written to a temporary name in the same folder and moved into place with
``os.replace`` (atomic on POSIX and Windows), so a process crash mid-write leaves either the old state
or a stray ``*.tmp`` file — never a half-written entry under a real name. An unreadable or malformed entry
(e.g. truncated by a disk-full or a copy) is logged, ignored and recomputed, never fatal.

Only successful answers are cached: failures are retried on the next run. No credential is ever part
of a key or an entry.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
_counter = itertools.count()


def cache_key(*, prompt_version: str, model: str, messages: list[dict[str, str]], temperature: float,
              extra: dict[str, Any] | None = None) -> str:
    """The sha256 hex digest identifying one judge request.

    Args:
        prompt_version: :data:`medcot.judge.prompt.PROMPT_VERSION`.
        model: the judge model name.
        messages: the rendered chat messages.
        temperature: sampling temperature.
        extra: other options that change the answer (e.g. logprobs), JSON-serialisable.

    Returns:
        64 hex characters.

    >>> k = cache_key(prompt_version="v1", model="m", messages=[{"role": "user", "content": "x"}], temperature=0.0)
    >>> len(k), k == cache_key(prompt_version="v1", model="m", messages=[{"role": "user", "content": "x"}],
    ...                        temperature=0.0)
    (64, True)
    """
    payload = {"prompt_version": prompt_version, "model": model, "messages": messages,
               "temperature": float(temperature), "extra": extra or {}}
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgeCache:
    """A folder of ``<key[:2]>/<key>.json`` entries.

    >>> import tempfile
    >>> c = JudgeCache(tempfile.mkdtemp())
    >>> c.put("ab" * 32, {"scores": {"x": 3}})
    >>> c.get("ab" * 32)["scores"]
    {'x': 3}
    >>> c.get("cd" * 32) is None
    True
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached entry, or None when absent or unreadable (a corrupt entry is ignored)."""
        path = self.path(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("judge cache: cannot read %s (%s); recomputing", path, exc)
            return None
        except UnicodeDecodeError:
            logger.warning("judge cache: corrupt entry %s ignored; recomputing", path)
            return None
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            logger.warning("judge cache: corrupt entry %s ignored; recomputing", path)
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("format") != CACHE_FORMAT:
            logger.warning("judge cache: malformed entry %s ignored; recomputing", path)
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Write ``entry`` atomically (temporary file + ``os.replace``).

        No fsync: it cost ~15 ms per entry here and serialised the event loop (bench/bench_judge.py),
        and it is not needed for correctness — after a power loss an entry can at worst be empty or
        truncated, which :meth:`get` treats as absent and the judge recomputes.
        """
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({**entry, "key": key, "format": CACHE_FORMAT}, ensure_ascii=False, sort_keys=True)
        # unique per process and call (cheaper than mkstemp's random retries); "x" refuses to clobber
        tmp = path.parent / f".{key[:16]}.{os.getpid()}.{threading.get_ident()}.{next(_counter)}.tmp"
        try:
            with open(tmp, "x", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
