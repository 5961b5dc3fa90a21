"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, for judge tests.

It answers ``POST /v1/chat/completions`` with a judge-style JSON verdict and is scripted by directives
written inside the graded prediction (the text between the judge prompt's fence markers):

- ``[[score:N]]``  every dimension gets N (1-5); otherwise scores are a deterministic hash of the text;
- ``[[fault:NAME]]`` where NAME is one of :data:`FAULTS`. ``*_once`` faults hit only the first call for
  a given prompt (counted per first user message, so re-asks and retries of the same item count
  together); ``*_always`` faults hit every call.

It counts calls (total and per prompt), optionally sleeps ``latency`` seconds per call, and remembers
the Authorization headers it saw so tests can check what the client sent.

Run standalone (the judge benchmark does): ``python tests/fake_openai_server.py --latency 0.05``
prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

DIMENSIONS = ("medical_correctness", "reasoning_structure", "information_sufficiency",
              "terminology_clarity", "clinical_value")
FENCE_START = "<<<MEDCOT_PREDICTION_START>>>"
FENCE_END = "<<<MEDCOT_PREDICTION_END>>>"
FAULTS = (
    "malformed_once", "malformed_always", "out_of_range_once", "fenced", "prose",
    "http429_once", "http500_once", "http500_always", "http400", "slow_once", "slow_always",
    "drop_connection_once", "no_logprobs",
    # hostile reply shapes (issue 12): each must end as a parsed score or a recorded failure for its row
    "content_int", "content_list", "content_parts_junk", "empty_body", "nested_body", "nested_content",
    "html_body", "choices_int", "no_choices", "message_null", "drip",
)
# How deep the nested_* faults nest, and how long the drip fault waits between two bytes.
NEST_DEPTH = 100_000
DRIP_SECONDS = 0.05
_SCORE = re.compile(r"\[\[score:([0-9]+)\]\]")
_FAULT = re.compile(r"\[\[fault:([a-z0-9_]+)\]\]")


def prediction_of(body: dict[str, Any]) -> str:
    """The fenced prediction inside the first user message ('' when absent)."""
    for msg in body.get("messages", []):
        if msg.get("role") == "user":
            text = msg.get("content") or ""
            start, end = text.find(FENCE_START), text.rfind(FENCE_END)
            if 0 <= start < end:
                return text[start + len(FENCE_START): end].strip()
            return ""
    return ""


def verdict_for(prediction: str) -> dict[str, Any]:
    """The judge answer the server gives for a prediction (tests recompute it to check results)."""
    m = _SCORE.search(prediction)
    if m:
        scores = {d: int(m.group(1)) for d in DIMENSIONS}
    else:
        digest = hashlib.sha256(prediction.encode("utf-8")).digest()
        scores = {d: 1 + digest[i] % 5 for i, d in enumerate(DIMENSIONS)}
    return {"scores": scores, "rationales": {d: f"理由 {d}" for d in DIMENSIONS}}


def digit_distribution(d: int) -> dict[int, float]:
    """Probabilities the server reports for a score token d: 0.6 on d, 0.2 on each neighbour in 1-5."""
    return {k: p for k, p in ((d, 0.6), (d - 1, 0.2), (d + 1, 0.2)) if 1 <= k <= 5}


def logprob_tokens(content: str) -> list[dict[str, Any]]:
    """Split a reply into tokens (each digit its own token) with OpenAI-style logprobs."""
    out = []
    for piece in re.split(r"([0-9])", content):
        if not piece:
            continue
        if piece.isdigit() and 1 <= int(piece) <= 5:
            dist = digit_distribution(int(piece))
            top = [{"token": str(k), "logprob": math.log(p), "bytes": None} for k, p in dist.items()]
            top.append({"token": '"', "logprob": math.log(0.05), "bytes": None})  # a non-digit alternative
            out.append({"token": piece, "logprob": math.log(0.6), "bytes": None, "top_logprobs": top})
        else:
            out.append({"token": piece, "logprob": 0.0, "bytes": None, "top_logprobs": []})
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent connects must not overflow the listen backlog


class FakeOpenAIServer:
    """Threaded fake endpoint; use as a context manager.

    Args:
        latency: seconds each call sleeps before answering.
        slow_seconds: how long ``slow_*`` faults sleep (set above the client's timeout).
        retry_after: value of the ``Retry-After`` header sent with 429s.
    """

    def __init__(self, *, latency: float = 0.0, slow_seconds: float = 2.0, retry_after: str = "0",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.calls = 0
        self.calls_by_prompt: dict[str, int] = {}
        self.auth_headers: set[str] = set()
        self.models: set[str] = set()
        self.temperatures: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(raw or b"{}")
                server._handle(self, body)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                      raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to do

            def _drip(self, status: int, data: bytes) -> None:
                """Headers at once, then the body one byte every DRIP_SECONDS (each read sees progress)."""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.flush()
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        time.sleep(DRIP_SECONDS)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

        self._httpd = _Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------------
    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        prompt_key = ""
        for msg in body.get("messages", []):
            if msg.get("role") == "user":
                prompt_key = hashlib.sha256((msg.get("content") or "").encode("utf-8")).hexdigest()
                break
        with self.lock:
            self.calls += 1
            nth = self.calls_by_prompt.get(prompt_key, 0) + 1
            self.calls_by_prompt[prompt_key] = nth
            self.auth_headers.add(handler.headers.get("Authorization", ""))
            self.models.add(body.get("model"))
            self.temperatures.append(body.get("temperature"))
        if self.latency:
            time.sleep(self.latency)
        prediction = prediction_of(body)
        faults = set(_FAULT.findall(prediction))
        first = nth == 1

        def has(name: str) -> bool:
            return f"{name}_always" in faults or (f"{name}_once" in faults and first) or name in faults

        if has("slow"):
            time.sleep(self.slow_seconds)
        if has("drop_connection"):
            handler.close_connection = True
            try:
                handler.connection.shutdown(2)
            except OSError:
                pass
            return
        if has("http429"):
            handler._send(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                          {"Retry-After": self.retry_after})
            return
        if has("http500"):
            handler._send(500, {"error": {"message": "internal error", "type": "server_error"}})
            return
        if "http400" in faults:
            handler._send(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
            return
        raw_bodies = {"empty_body": b"", "html_body": b"<html><body>502 Bad Gateway</body></html>",
                      "nested_body": b"[" * NEST_DEPTH + b"]" * NEST_DEPTH}
        for name, raw in raw_bodies.items():
            if name in faults:
                handler._send(200, None, raw=raw)
                return
        if "choices_int" in faults or "no_choices" in faults:
            handler._send(200, {"id": "x", "object": "chat.completion", "model": "fake",
                                "choices": 5 if "choices_int" in faults else []})
            return
        verdict = verdict_for(prediction)
        if has("out_of_range"):
            verdict["scores"]["clinical_value"] = 7
        content = json.dumps(verdict, ensure_ascii=False)
        if has("malformed"):
            content = '{"scores": {"medical_correctness": 5, 这不是JSON'
        elif "fenced" in faults:
            content = f"```json\n{content}\n```"
        elif "prose" in faults:
            content = f"好的，以下是评分：\n{content}\n以上。"
        message: Any = {"role": "assistant", "content": content}
        if "content_int" in faults:
            message["content"] = 5
        elif "content_list" in faults:  # OpenAI content parts: valid, the text is the verdict
            message["content"] = [{"type": "text", "text": content[:10]}, {"type": "text", "text": content[10:]}]
        elif "content_parts_junk" in faults:
            message["content"] = [1, {"type": "image"}, None]
        elif "nested_content" in faults:
            message["content"] = '{"scores": ' + '{"a": ' * NEST_DEPTH + "1" + "}" * NEST_DEPTH + "}"
        elif "message_null" in faults:
            message = None
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": message}
        if body.get("logprobs") and "no_logprobs" not in faults:
            choice["logprobs"] = {"content": logprob_tokens(content)}
        reply = {
            "id": f"chatcmpl-{nth}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [choice],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        if "drip" in faults:
            handler._drip(200, json.dumps(reply, ensure_ascii=False).encode("utf-8"))
            return
        handler._send(200, reply)

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset_counts(self) -> None:
        with self.lock:
            self.calls = 0
            self.calls_by_prompt.clear()

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(latency=args.latency, port=args.port)
    print(f"PORT {server.port}", flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
