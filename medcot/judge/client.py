"""Asynchronous LLM-judge calls against any OpenAI-compatible chat-completions endpoint.

Design:
- the official ``openai`` SDK (``AsyncOpenAI``) with its own retries switched off; retries are ours and
  bounded: timeouts, connection errors, 429 (honouring ``Retry-After`` / ``retry-after-ms``) and 5xx,
  with exponential backoff and jitter drawn from a per-item RNG seeded by ``(seed, item index)`` so a
  run's schedule does not depend on task interleaving;
- an unusable reply (not JSON, missing dimension, score outside 1-5, a ``content`` that is not text,
  an empty or undecodable HTTP body, JSON nested too deep) is re-asked a bounded number of times; if
  it never parses the item is *missing* with the error — never a default score. Whatever the server
  sends, each item ends as a parsed score or a recorded failure: one result per item, always;
- ``timeout`` bounds every network step of a request (connect, each read), and the request as a whole
  is cut at twice it, at least 10 s (:func:`whole_request_seconds`; connect to last byte), so a
  server that trickles its reply byte by byte cannot outlast it; ``deadline`` (optional) bounds one
  item's retries and re-asks together. Without it the worst case per item is
  ``whole_request_seconds(timeout) * (max_retries + 1) * (max_reasks + 1)`` plus the backoff waits;
- bounded concurrency with an ``asyncio.Semaphore``; an optional tqdm progress bar;
- every successful answer is written to the on-disk cache (:mod:`medcot.judge.cache`) as soon as it
  arrives, so an interrupted run resumes and a rerun costs zero calls.

The API key is read from the environment variable named by ``api_key_env``. When it is unset and the
endpoint is on this machine (localhost / 127.0.0.1 / ::1) a placeholder key is used, since local
servers (vLLM, Ollama, ...) ignore it. The key is never logged, cached, or put into a result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import inspect
import logging
import os
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

from medcot.errors import InputError
from medcot.judge.cache import JudgeCache, cache_key
from medcot.judge.prompt import (
    PROMPT_VERSION,
    ParseError,
    parse_reply,
    reask_messages,
    render_messages,
    weighted_scores,
)
from medcot.schema import RUBRIC_DIMENSIONS

logger = logging.getLogger(__name__)

# A whole request may take this many times ``timeout``, and at least WHOLE_REQUEST_MIN seconds: room
# for queueing and a long reply on a busy machine, while a slow-drip server (each read in time, the
# reply never done) is still cut.
WHOLE_REQUEST_FACTOR = 2.0
WHOLE_REQUEST_MIN = 10.0


def whole_request_seconds(timeout: float) -> float:
    """Seconds after which one request is cut, whatever its progress.

    >>> whole_request_seconds(60), whole_request_seconds(0.5)
    (120.0, 10.0)
    """
    return max(WHOLE_REQUEST_FACTOR * timeout, WHOLE_REQUEST_MIN)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_LOCAL_PLACEHOLDER_KEY = "sk-local-placeholder"  # local servers ignore the key; never a real secret


@dataclass
class JudgeResult:
    """The judge's verdict on one item.

    ``scores`` maps every dimension to a float 1-5, or to None when the item is missing; ``error``
    then says why. ``overall`` is the mean of the five scores (None unless all five are present).
    With ``logprobs=True``, ``scores`` are probability-weighted (G-Eval style) where the endpoint
    returned log-probabilities for the score token, ``int_scores`` keep the integers the judge wrote
    and ``weighted`` lists the dimensions that were weighted.
    """

    scores: dict[str, float | None]
    overall: float | None
    rationales: dict[str, str]
    error: str | None = None
    id: str | None = None
    cached: bool = False
    calls: int = 0
    model: str | None = None
    prompt_version: str = PROMPT_VERSION
    int_scores: dict[str, int] | None = None
    weighted: list[str] = field(default_factory=list)

    @classmethod
    def missing(cls, error: str, *, id: str | None = None, calls: int = 0, model: str | None = None) -> JudgeResult:
        """A result with no scores and the reason.

        >>> JudgeResult.missing("HTTP 500").scores["clinical_value"] is None
        True
        """
        return cls({k: None for k in RUBRIC_DIMENSIONS}, None, {k: "" for k in RUBRIC_DIMENSIONS},
                   error=error, id=id, calls=calls, model=model)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return asdict(self)


def _scores_result(scores: Mapping[str, int], rationales: Mapping[str, str], *,
                   weighted: Mapping[str, float] | None = None, **kw: Any) -> JudgeResult:
    weighted = dict(weighted or {})
    floats = {k: float(weighted.get(k, scores[k])) for k in RUBRIC_DIMENSIONS}
    overall = round(sum(floats.values()) / len(floats), 4)
    return JudgeResult(floats, overall, dict(rationales), int_scores={k: int(scores[k]) for k in RUBRIC_DIMENSIONS},
                       weighted=[k for k in RUBRIC_DIMENSIONS if k in weighted], **kw)


def resolve_api_key(api_key_env: str, base_url: str) -> str:
    """Read the API key from ``os.environ[api_key_env]``; a placeholder for a local endpoint.

    Raises:
        InputError: the variable is unset and the endpoint is not on this machine.

    >>> resolve_api_key("MEDCOT_SURELY_UNSET_VAR", "http://127.0.0.1:8000/v1").startswith("sk-")
    True
    """
    key = os.environ.get(api_key_env)
    if key:
        return key
    host = (urlparse(base_url).hostname or "").lower()
    if host in LOCAL_HOSTS:
        return _LOCAL_PLACEHOLDER_KEY
    raise InputError(
        f"judge: environment variable {api_key_env} is not set; the endpoint {base_url} needs an API key "
        f"(export {api_key_env}=... or name another variable with --judge-api-key-env / api_key_env=)"
    )


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The server's requested wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    >>> retry_after_seconds({"retry-after": "2"}), retry_after_seconds({"retry-after-ms": "150"})
    (2.0, 0.15)
    >>> retry_after_seconds({}) is None
    True
    """
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return max(0.0, float(lower["retry-after-ms"]) / 1000.0)
    except ValueError:
        pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def backoff_delay(attempt: int, rng: random.Random, *, base: float, cap: float,
                  retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    Exponential ``base * 2**attempt`` capped at ``cap``, times a jitter factor in [0.5, 1.0) from
    ``rng``; a server's ``Retry-After`` wins when longer (still capped at ``4 * cap``).

    >>> import random
    >>> backoff_delay(3, random.Random(0), base=0.5, cap=2.0) <= 2.0
    True
    >>> backoff_delay(0, random.Random(0), base=0.5, cap=2.0, retry_after=3.0)
    3.0
    """
    delay = min(cap, base * (2**attempt)) * (0.5 + 0.5 * rng.random())
    if retry_after is not None:
        delay = max(delay, min(retry_after, 4 * cap))
    return delay


@dataclass
class JudgeOptions:
    """Options of one judged run (see :func:`judge_many`)."""

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    cache_dir: str | os.PathLike[str] | None = None
    temperature: float = 0.0
    max_tokens: int | None = 1024
    timeout: float = 60.0
    max_retries: int = 4
    max_reasks: int = 2
    deadline: float | None = None
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    seed: int = 0
    progress: bool = False
    logprobs: bool = False
    top_logprobs: int = 5
    extra_body: dict[str, Any] = field(default_factory=dict)


def _item_fields(item: Any, index: int) -> dict[str, Any]:
    if isinstance(item, str):
        return {"prediction": item}
    if not isinstance(item, Mapping):
        raise InputError(f"judge: item {index} is {type(item).__name__}; expected a dict with a 'prediction' key")
    prediction = item.get("prediction")
    if not isinstance(prediction, str):
        raise InputError(f"judge: item {index} field 'prediction' must be a string, got {type(prediction).__name__}")
    answers = item.get("answers", item.get("answer"))
    return {"prediction": prediction, "question": item.get("question"), "options": item.get("options"),
            "answers": answers, "reference": item.get("reference"),
            "id": None if item.get("id") is None else str(item.get("id"))}


def _classify(exc: BaseException) -> tuple[bool, str, float | None]:
    """(retryable, short description, retry-after seconds) of an SDK exception."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return True, "timeout", None
    if isinstance(exc, openai.APIConnectionError):
        return True, f"connection error: {exc.__class__.__name__}", None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        headers = dict(exc.response.headers) if exc.response is not None else {}
        if status == 429:
            return True, "HTTP 429 rate limited", retry_after_seconds(headers)
        if status >= 500:
            return True, f"HTTP {status}", retry_after_seconds(headers)
        return False, f"HTTP {status}: {str(exc.message)[:200]}", None
    return False, f"{exc.__class__.__name__}: {str(exc)[:200]}", None


class _BadReply(Exception):
    """The server answered, but not with a usable chat completion (re-asked like an unparseable reply)."""

    def __init__(self, reason: str, calls: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.calls = calls


def _text_of(content: Any) -> str:
    """A reply's ``message.content`` as text: a string, or the text parts of a content-part list.

    Raises:
        _BadReply: content that is neither (an int, an object, a list without text parts).

    >>> _text_of([{"type": "text", "text": "{"}, {"type": "text", "text": "}"}])
    '{}'
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") if isinstance(p, Mapping) else getattr(p, "text", None) for p in content]
        if parts and all(isinstance(t, str) for t in parts):
            return "".join(parts)
    raise _BadReply(f"reply content is {type(content).__name__}, expected text")


def _reply_parts(resp: Any) -> tuple[str | None, Any]:
    """``(content, logprob tokens)`` of a chat completion whose body may have any shape.

    The SDK builds response objects without validating them, so every attribute is untrusted.
    """
    try:
        choices = resp.choices
        choice = choices[0] if isinstance(choices, list) and choices else None
        if choice is None:
            raise _BadReply("reply has no choices")
        message = getattr(choice, "message", None)
        content = getattr(message, "content", None) if message is not None else None
        logprobs = getattr(choice, "logprobs", None)
        tokens = getattr(logprobs, "content", None) if logprobs is not None else None
    except _BadReply:
        raise
    except Exception as exc:  # noqa: BLE001 - any shape of body: a bad reply, never a crash
        raise _BadReply(f"malformed reply body ({type(exc).__name__})") from None
    return (None if content is None else _text_of(content)), tokens


class _Runner:
    def __init__(self, opts: JudgeOptions, client: Any, cache: JudgeCache | None) -> None:
        self.opts = opts
        self.client = client
        self.cache = cache
        self.sem = asyncio.Semaphore(max(1, opts.concurrency))

    async def _request(self, messages: list[dict[str, str]]) -> Any:
        """One HTTP request, cut at :func:`whole_request_seconds` (a slow-drip body cannot outlast it)."""
        o = self.opts
        try:
            return await asyncio.wait_for(self.client.chat.completions.create(
                model=o.model, messages=messages, temperature=o.temperature,
                max_tokens=o.max_tokens, timeout=o.timeout,
                **({"logprobs": True, "top_logprobs": o.top_logprobs} if o.logprobs else {}),
                **({"extra_body": o.extra_body} if o.extra_body else {}),
            ), timeout=whole_request_seconds(o.timeout))
        except asyncio.TimeoutError:
            raise _Timeout() from None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, UnicodeError) as exc:
            # The SDK decoding an empty, non-JSON or absurdly nested body (JSONDecodeError is a ValueError).
            raise _BadReply(f"undecodable HTTP body ({type(exc).__name__})") from None

    async def _complete(self, messages: list[dict[str, str]], rng: random.Random,
                        tally: list[int]) -> tuple[str | None, Any, int]:
        """One chat completion with bounded transport retries; returns (content, logprob tokens, calls).

        ``tally[0]`` counts calls as they are made (read after a deadline cancels this coroutine).
        """
        import openai

        o = self.opts
        calls = 0
        last = ""
        for attempt in range(o.max_retries + 1):
            calls += 1
            tally[0] += 1
            try:
                resp = await self._request(messages)
                content, tokens = _reply_parts(resp)
                return content, tokens, calls
            except _BadReply as exc:
                raise _BadReply(exc.reason, calls) from None
            except (openai.OpenAIError, _Timeout) as exc:  # anything else is a bug and propagates
                retryable, last, retry_after = (True, "timeout (whole request)", None) if isinstance(exc, _Timeout) \
                    else _classify(exc)
                if not retryable or attempt == o.max_retries:
                    raise _CallFailed(f"{last} after {calls} call(s)", calls) from None
                delay = backoff_delay(attempt, rng, base=o.backoff_base, cap=o.backoff_cap, retry_after=retry_after)
                logger.debug("judge: %s; retry %d in %.2fs", last, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise _CallFailed(f"{last} after {calls} call(s)", calls)  # pragma: no cover - loop always returns/raises

    async def judge_one(self, index: int, fields: dict[str, Any]) -> JudgeResult:
        o = self.opts
        item_id = fields.pop("id")
        messages = render_messages(**fields)
        key = cache_key(prompt_version=PROMPT_VERSION, model=o.model, messages=messages,
                        temperature=o.temperature,
                        extra={"max_tokens": o.max_tokens, **o.extra_body,
                               **({"logprobs": o.top_logprobs} if o.logprobs else {})})
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    return _scores_result(hit["scores"], hit["rationales"], weighted=hit.get("weighted"),
                                          id=item_id, cached=True, model=o.model)
                except (KeyError, TypeError, ValueError, AttributeError):
                    logger.warning("judge cache: entry %s lacks valid scores; recomputing", key[:16])
        tally = [0]
        async with self.sem:
            if o.deadline is None:
                return await self._judge_calls(index, item_id, messages, key, tally)
            try:
                return await asyncio.wait_for(self._judge_calls(index, item_id, messages, key, tally), o.deadline)
            except asyncio.TimeoutError:
                return JudgeResult.missing(f"deadline of {o.deadline:g}s per item exceeded after {tally[0]} call(s)",
                                           id=item_id, calls=tally[0], model=o.model)

    async def _judge_calls(self, index: int, item_id: str | None, messages: list[dict[str, str]], key: str,
                           tally: list[int]) -> JudgeResult:
        """Ask (and re-ask) until a reply parses; every path returns one result."""
        o = self.opts
        rng = random.Random(f"{o.seed}:{index}")
        calls = 0
        convo = messages
        error = ""
        for reask in range(o.max_reasks + 1):
            try:
                content, tokens, n = await self._complete(convo, rng, tally)
            except _CallFailed as exc:
                return JudgeResult.missing(str(exc), id=item_id, calls=calls + exc.calls, model=o.model)
            except _BadReply as exc:  # a malformed body: nothing to quote back, ask the same again
                calls += exc.calls
                error = exc.reason
                logger.debug("judge: item %d unusable reply (%s); re-ask %d", index, error, reask + 1)
                continue
            calls += n
            try:
                scores, rationales = parse_reply(content)
            except ParseError as exc:
                error = str(exc)
                logger.debug("judge: item %d unusable reply (%s); re-ask %d", index, error, reask + 1)
                convo = reask_messages(messages, content or "", error)
                continue
            weighted = weighted_scores(content or "", tokens) if o.logprobs else {}
            if self.cache is not None:  # file creation costs ~1 ms here: keep it off the event loop
                await asyncio.to_thread(self.cache.put, key, {
                    "prompt_version": PROMPT_VERSION, "model": o.model, "scores": scores,
                    "rationales": rationales, "weighted": weighted})
            return _scores_result(scores, rationales, weighted=weighted, id=item_id, calls=calls, model=o.model)
        return JudgeResult.missing(f"unparseable reply after {o.max_reasks + 1} attempt(s): {error}",
                                   id=item_id, calls=calls, model=o.model)


class _Timeout(Exception):
    """The whole request took longer than :func:`whole_request_seconds` of the timeout."""


class _CallFailed(Exception):
    def __init__(self, message: str, calls: int) -> None:
        super().__init__(message)
        self.calls = calls


async def ajudge_many(items: Iterable[Any], *, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY",
                      concurrency: int = 8, cache_dir: str | os.PathLike[str] | None = None,
                      temperature: float = 0.0, max_tokens: int | None = 1024, timeout: float = 60.0,
                      max_retries: int = 4, max_reasks: int = 2, backoff_base: float = 0.5,
                      backoff_cap: float = 20.0, seed: int = 0, progress: bool = False,
                      logprobs: bool = False, top_logprobs: int = 5,
                      extra_body: dict[str, Any] | None = None, deadline: float | None = None) -> list[JudgeResult]:
    """Async form of :func:`judge_many` (use it from code that already runs an event loop)."""
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("the judge backend needs the 'judge' extra: pip install 'medcot[judge]'") from exc
    if concurrency < 1:
        raise InputError(f"judge: concurrency must be >= 1, got {concurrency}")
    if not timeout > 0:
        raise InputError(f"judge: timeout must be > 0 seconds, got {timeout}")
    if deadline is not None and not deadline > 0:
        raise InputError(f"judge: deadline must be > 0 seconds, got {deadline}")
    opts = JudgeOptions(base_url=base_url, model=model, api_key_env=api_key_env, concurrency=concurrency,
                        cache_dir=cache_dir, temperature=temperature, max_tokens=max_tokens, timeout=timeout,
                        max_retries=max_retries, max_reasks=max_reasks, backoff_base=backoff_base,
                        backoff_cap=backoff_cap, seed=seed, progress=progress, logprobs=logprobs,
                        top_logprobs=top_logprobs, extra_body=dict(extra_body or {}), deadline=deadline)
    fields = [_item_fields(item, i) for i, item in enumerate(items)]
    cache = JudgeCache(cache_dir) if cache_dir is not None else None
    client = openai.AsyncOpenAI(base_url=base_url, api_key=resolve_api_key(api_key_env, base_url),
                                max_retries=0, timeout=timeout)
    runner = _Runner(opts, client, cache)
    results: list[JudgeResult | None] = [None] * len(fields)

    async def run(i: int) -> None:
        results[i] = await runner.judge_one(i, dict(fields[i]))

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(fields), desc=f"judge {model}", unit="item")
    tasks = [asyncio.create_task(run(i)) for i in range(len(fields))]
    try:
        for fut in asyncio.as_completed(tasks):
            await fut
            if bar is not None:
                bar.update(1)
    finally:
        for t in tasks:
            t.cancel()  # no-op for finished tasks; stops the rest if one raised
        await asyncio.gather(*tasks, return_exceptions=True)
        if bar is not None:
            bar.close()
        await client.close()
    out = [r for r in results if r is not None]
    assert len(out) == len(fields)  # every item yields exactly one result
    n_missing = sum(r.error is not None for r in out)
    if n_missing:
        logger.warning("judge: %d of %d item(s) missing (see JudgeResult.error)", n_missing, len(out))
    return out


def judge_many(items: Sequence[Any], *, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY",
               concurrency: int = 8, cache_dir: str | os.PathLike[str] | None = None,
               **options: Any) -> list[JudgeResult]:
    """Judge many predictions with an LLM through an OpenAI-compatible endpoint.

    Args:
        items: dicts with ``prediction`` (required) and optionally ``question``, ``options``,
            ``answers`` (or ``answer``), ``reference`` and ``id``; a bare string is a prediction.
        base_url: the endpoint, e.g. ``http://127.0.0.1:8000/v1`` (vLLM, SGLang, Ollama, hosted APIs).
        model: the judge model name.
        api_key_env: name of the environment variable holding the key (never the key itself).
        concurrency: maximum requests in flight.
        cache_dir: folder of the on-disk cache (None: no cache).
        **options: ``temperature`` (0.0), ``max_tokens`` (1024), ``timeout`` seconds per network step of a request (60; the whole request is cut at twice it, at least 10 s),
            ``max_retries`` for timeouts/429/5xx (4), ``max_reasks`` for unusable replies (2),
            ``deadline`` seconds for one item, all calls together (None: unbounded beyond
            ``whole_request_seconds(timeout) * (max_retries + 1) * (max_reasks + 1)`` plus backoff),
            ``backoff_base`` (0.5 s), ``backoff_cap`` (20 s), ``seed`` of the jitter (0),
            ``progress`` (False), ``logprobs`` (False: when True, ask for ``top_logprobs`` (5) and
            return probability-weighted scores, G-Eval style, where the endpoint supports it),
            ``extra_body`` (dict sent with every request).

    Returns:
        One :class:`JudgeResult` per item, in input order. A failed item has all scores None and
        ``error`` set; it is never given a default score.

    Called from synchronous code this runs its own event loop. Called while an event loop is already
    running in this thread (e.g. a notebook), it runs the loop in a worker thread and blocks until
    done; async code should ``await ajudge_many(...)`` instead.

    >>> judge_many([], base_url="http://127.0.0.1:9/v1", model="m")
    []
    """
    allowed = set(inspect.signature(ajudge_many).parameters) - {"items"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InputError(f"judge: unknown option(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(sorted(allowed))}")
    coro_kwargs = dict(base_url=base_url, model=model, api_key_env=api_key_env, concurrency=concurrency,
                       cache_dir=cache_dir, **options)
    items = list(items)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(ajudge_many(items, **coro_kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(ajudge_many(items, **coro_kwargs))).result()
