"""A tiny local stand-in for the Hugging Face Hub HTTP API, for push tests.

It answers just what ``HfApi.create_repo`` + ``upload_folder`` call (see STACK_FACTS.md), tells
the client to send every file as a regular (base64) blob, and records what arrived: repos created,
files committed (path -> bytes), commit messages, the Authorization headers seen and any request
it did not expect. Start it with :func:`serve`; point the client at it with ``HF_ENDPOINT``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

import yaml

logger = logging.getLogger(__name__)


@dataclass
class HubState:
    """Everything the stub received."""

    repos: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # repo -> path -> content
    commits: list[dict] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    yaml_checked: int = 0


def _make_handler(state: HubState, lock: threading.Lock, tokens: frozenset[str] | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            logger.debug(format, *args)

        def _send(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _auth(self) -> None:
            with lock:
                state.auth_headers.append(self.headers.get("Authorization") or "")

        def do_GET(self) -> None:
            self._auth()
            path = urlparse(self.path).path
            if path == "/api/agent-harnesses":
                return self._send(200, {})
            with lock:
                state.unexpected.append(f"GET {self.path}")
            self._send(404, {"error": "not in stub"})

        def do_POST(self) -> None:
            self._auth()
            path = unquote(urlparse(self.path).path)
            body = self._body()
            parts = path.strip("/").split("/")
            auth = self.headers.get("Authorization") or ""
            token_ok = auth.startswith("Bearer ") and (tokens is None or auth[len("Bearer "):] in tokens)
            if path != "/api/validate-yaml" and not token_ok:
                return self._send(401, {"error": "Invalid credentials in Authorization header"})
            if path == "/api/repos/create":
                payload = json.loads(body)
                repo = f"{payload.get('organization')}/{payload['name']}"
                with lock:
                    state.repos[repo] = payload
                    state.files.setdefault(repo, {})
                return self._send(200, {"url": f"http://{self.headers['Host']}/datasets/{repo}"})
            if path == "/api/validate-yaml":
                content = json.loads(body)["content"]
                with lock:
                    state.yaml_checked += 1
                try:
                    meta = yaml.safe_load(content.split("---", 2)[1]) if content.startswith("---") else {}
                except (yaml.YAMLError, IndexError) as exc:
                    return self._send(400, {"errors": [{"message": f"bad yaml: {exc}"}]})
                if not isinstance(meta, dict):
                    return self._send(400, {"errors": [{"message": "metadata is not a mapping"}]})
                return self._send(200, {"errors": [], "warnings": []})
            if len(parts) >= 6 and parts[:2] == ["api", "datasets"] and parts[4] in ("preupload", "commit"):
                repo = f"{parts[2]}/{parts[3]}"
                if repo not in state.repos:
                    return self._send(404, {"error": f"repo {repo} not found"})
                if parts[4] == "preupload":
                    files = json.loads(body)["files"]
                    return self._send(
                        200,
                        {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]},
                    )
                lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                with lock:
                    for item in lines:
                        if item["key"] == "header":
                            state.commits.append({"repo": repo, "revision": "/".join(parts[5:]), **item["value"]})
                        elif item["key"] == "file":
                            value = item["value"]
                            content = value["content"]
                            raw = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
                            state.files[repo][value["path"]] = raw
                        else:
                            state.unexpected.append(f"commit op {item['key']}")
                return self._send(200, {"commitUrl": f"http://{self.headers['Host']}/datasets/{repo}/commit/{'0' * 40}", "commitOid": "0" * 40})
            with lock:
                state.unexpected.append(f"POST {self.path}")
            self._send(404, {"error": "not in stub"})

    return Handler


@contextmanager
def serve(*, tokens: frozenset[str] | None = None) -> Iterator[tuple[str, HubState]]:
    """Run the stub on 127.0.0.1 (free port) in a thread; yield ``(endpoint_url, state)``.

    Writes need a ``Bearer`` token (any, or one of ``tokens`` when given), else HTTP 401.
    """
    state = HubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state, threading.Lock(), tokens))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
