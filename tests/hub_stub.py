"""A tiny local stand-in for the Hugging Face Hub HTTP API, for push and download tests.

Uploads: it answers what ``HfApi.create_repo`` + ``upload_folder`` call for dataset and Space repos
(see STACK_FACTS.md), tells the client to send every file as a regular (base64) blob, and records
what arrived: repos created, files committed (path -> bytes), commit messages, the Authorization
headers seen and any request it did not expect.

Downloads: it serves what it holds the way the Hub does for ``load_dataset("<org>/<name>", cfg)``
(also streaming), ``snapshot_download`` and ``evaluate.load("<org>/<name>")``: repo info
(``api/<type>s/<repo>/revision/<rev>``), listings (``api/<type>s/<repo>/tree/<rev>[/<path>]``,
``paths-info``) and file contents (``<type>s/<repo>/resolve/<rev>/<path>``, HEAD and GET) with
ETag and commit headers. Only ``main`` and its current commit exist; any other revision is a 404, as on the Hub.

Start it with :func:`serve`; point the client at it with ``HF_ENDPOINT``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import yaml

logger = logging.getLogger(__name__)


@dataclass
class HubState:
    """Everything the stub received."""

    repos: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # repo -> path -> content
    downloads: list[str] = field(default_factory=list)  # "<type>s/<repo>/<path>" of every file GET
    commits: list[dict] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    yaml_checked: int = 0


def _make_handler(state: HubState, lock: threading.Lock, tokens: frozenset[str] | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            logger.debug(format, *args)

        def _send(self, code: int, body: object, *, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _auth(self) -> None:
            with lock:
                state.auth_headers.append(self.headers.get("Authorization") or "")

        def _sha(self, repo: str) -> str:
            with lock:
                files = sorted(state.files.get(repo, {}).items())
            digest = hashlib.sha1(repr([(p, hashlib.sha1(b).hexdigest()) for p, b in files]).encode())
            return digest.hexdigest()

        def _entries(self, repo: str, prefix: str, *, recursive: bool) -> list[dict]:
            """Tree entries under ``prefix`` (files and folders), as ``api/.../tree`` lists them."""
            with lock:
                files = dict(state.files.get(repo, {}))
            base = prefix.strip("/")
            out: dict[str, dict] = {}
            for rel, data in sorted(files.items()):
                if base and not rel.startswith(base + "/"):
                    continue
                rest = rel[len(base) + 1:] if base else rel
                parts = rest.split("/")
                for depth in range(1, len(parts)):
                    folder = "/".join([base, *parts[:depth]] if base else parts[:depth])
                    if recursive or depth == 1:
                        out.setdefault(folder, {"type": "directory", "oid": "0" * 40, "size": 0, "path": folder})
                    if not recursive:
                        break
                if recursive or len(parts) == 1:
                    out[rel] = {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data), "path": rel}
            return list(out.values())

        def _repo_of(self, parts: list[str]) -> tuple[str, str] | None:
            """``(kind, org/name)`` of a known repo whose kind prefix is parts[0] ("datasets", "spaces", ...)."""
            if len(parts) < 3 or parts[0] not in ("datasets", "spaces", "models"):
                return None
            repo = f"{parts[1]}/{parts[2]}"
            return (parts[0], repo) if repo in state.repos else None

        def _serve_file(self, repo: str, rel: str, *, head: bool) -> None:
            with lock:
                data = state.files.get(repo, {}).get(rel)
            if data is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = f'"{hashlib.sha1(data).hexdigest()}"'
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("X-Repo-Commit", self._sha(repo))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _download(self, *, head: bool) -> None:
            self._auth()
            url = urlparse(self.path)
            path = unquote(url.path)
            query = parse_qs(url.query)
            parts = path.strip("/").split("/")
            if path == "/api/agent-harnesses":
                return self._send(200, {})
            # <kind>/<org>/<name>/resolve/<rev>/<path...>
            found = self._repo_of(parts)
            if found and len(parts) >= 6 and parts[3] == "resolve":
                kind, repo = found
                if parts[4] not in ("main", self._sha(repo)):
                    return self._send(404, {"error": f"revision {parts[4]} not found"})
                if not head:
                    with lock:
                        state.downloads.append(f"{kind}/{repo}/{'/'.join(parts[5:])}")
                return self._serve_file(repo, "/".join(parts[5:]), head=head)
            # api/<kind>/<org>/<name>[/revision/<rev> | /tree/<rev>[/<path>]]
            found = self._repo_of(parts[1:]) if parts[:1] == ["api"] else None
            if found:
                kind, repo = found
                rest = parts[4:]
                if rest and rest[0] in ("revision", "tree") and len(rest) >= 2 and rest[1] not in ("main", self._sha(repo)):
                    return self._send(404, {"error": f"revision {rest[1]} not found"})
                if not rest or rest[0] == "revision":
                    siblings = [{"rfilename": e["path"], "size": e["size"]} for e in self._entries(repo, "", recursive=True)
                                if e["type"] == "file"]
                    info = {"id": repo, "_id": repo, "sha": self._sha(repo), "private": False, "siblings": siblings,
                            "lastModified": "2026-12-03T00:00:00.000Z", "tags": [], "downloads": 0, "likes": 0}
                    if kind == "spaces":
                        info["sdk"] = "gradio"
                    return self._send(200, info)
                if rest[0] == "tree":
                    recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                    return self._send(200, self._entries(repo, "/".join(rest[2:]), recursive=recursive))
            if parts[:1] == ["api"] and len(parts) >= 4 and parts[1] in ("datasets", "spaces", "models") or (
                    len(parts) >= 4 and parts[0] in ("datasets", "spaces", "models") and parts[3] == "resolve"):
                # a repo nobody created: what the Hub answers (huggingface_hub maps it to RepositoryNotFoundError)
                return self._send(404, {"error": "Repository not found"}, headers={"X-Error-Code": "RepoNotFound"})
            with lock:
                state.unexpected.append(f"{'HEAD' if head else 'GET'} {self.path}")
            self._send(404, {"error": "not in stub"})

        def do_GET(self) -> None:
            self._download(head=False)

        def do_HEAD(self) -> None:
            self._download(head=True)

        def do_POST(self) -> None:
            self._auth()
            path = unquote(urlparse(self.path).path)
            body = self._body()
            parts = path.strip("/").split("/")
            # reads need no token
            if len(parts) >= 6 and parts[0] == "api" and parts[1] in ("datasets", "spaces") and parts[4] == "paths-info":
                repo = f"{parts[2]}/{parts[3]}"
                if repo not in state.repos:
                    return self._send(404, {"error": f"repo {repo} not found"})
                fields = parse_qs(body.decode())
                wanted = fields.get("paths", [])
                entries = {e["path"]: e for e in self._entries(repo, "", recursive=True)}
                return self._send(200, [entries[p] for p in wanted if p in entries])
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
                kind = {"space": "spaces", "model": "models"}.get(payload.get("type"), "datasets")
                return self._send(200, {"url": f"http://{self.headers['Host']}/{kind}/{repo}"})
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
            if len(parts) >= 6 and parts[0] == "api" and parts[1] in ("datasets", "spaces") and parts[4] in ("preupload", "commit"):
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


def client_env(endpoint: str, home: str | Path, *, token: str | None = None) -> dict[str, str]:
    """Environment for a subprocess that talks to the stub: its endpoint, a private HF_HOME, online."""
    env = {
        **os.environ,
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_XET", "HF_TOKEN", "HF_DATASETS_CACHE",
                "HF_MODULES_CACHE", "HF_EVALUATE_CACHE", "HF_METRICS_CACHE"):
        env.pop(key, None)
    if token is not None:
        env["HF_TOKEN"] = token
    return env


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
