"""``medcot push``: upload a folder written by ``medcot build`` to the Hugging Face Hub.

The folder is validated first (README.md with ``configs``, every listed data file present, no
Python file, no unlisted data-looking file), then uploaded with ``HfApi.create_repo`` +
``upload_folder``. The token comes from ``HF_TOKEN`` or the user's saved login (huggingface_hub's
default lookup) and is never printed or logged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcot import card, constants
from medcot.errors import InputError, MedcotError

logger = logging.getLogger(__name__)

_REPO_RE = re.compile(constants.REPO_ID_PATTERN)
# A repo id in the card's loading examples: load_dataset("namespace/name", ...).
_CARD_REPO_RE = re.compile(r"""(load_dataset\(\s*["'])([A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*)(["'])""")
# Folders never uploaded (VCS metadata, caches).
_SKIP_DIRS = frozenset({".git", ".cache", ".huggingface"})
# Suffixes load_dataset would treat as data if a folder had no `configs`.
_DATA_SUFFIXES = frozenset({".parquet", ".arrow", ".json", ".jsonl", ".csv", ".tsv", ".txt", ".xlsx", ".gz", ".zip"})


@dataclass(frozen=True)
class PushResult:
    """What was pushed."""

    repo_id: str
    url: str
    commit: str | None
    files: tuple[str, ...]
    retargeted: tuple[str, ...] = ()  # repo ids in the card's loading examples replaced by repo_id


def check_repo_id(repo_id: str) -> str:
    """Validate ``org/name``.

    >>> check_repo_id("org/medcot")
    'org/medcot'
    """
    if not _REPO_RE.match(repo_id) or ".." in repo_id:
        raise InputError(f"--repo {repo_id!r}: expected 'namespace/name' (letters, digits, '-', '_', '.')")
    return repo_id


def folder_files(folder: str | Path) -> list[str]:
    """Validate a built folder and return the relative paths to upload (sorted).

    Args:
        folder: A folder written by ``medcot build``.

    Returns:
        Relative POSIX paths: README.md, every data file listed in the card's ``configs`` and every
        figure the card embeds (``![...](figures/x.png)``).

    Raises:
        InputError: Missing README/configs, a listed file or embedded figure missing, a ``.py``
            file, or an unlisted data-looking file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; expected the output of `medcot build`")
    listed: set[str] = set()
    for cfg, splits in card.config_files(card.read_card_data(folder)).items():
        if not splits:
            raise InputError(f"{folder / 'README.md'}: config {cfg!r} lists no data_files")
        for split, paths in splits.items():
            for rel in paths:
                if any(ch in rel for ch in "*?["):
                    raise InputError(f"{folder / 'README.md'}: config {cfg!r} split {split!r} uses a glob {rel!r}; expected explicit files")
                if not (folder / rel).is_file():
                    raise InputError(f"{folder / rel}: listed in README.md (config {cfg!r}, split {split!r}) but missing")
                listed.add(rel)
    readme = folder / "README.md"
    for rel in card.figure_links(readme.read_text(encoding="utf-8")):
        if ".." in Path(rel).parts or not (folder / rel).is_file():
            raise InputError(f"{readme}: embeds figure {rel!r}, which is not a file in {folder}; rebuild the folder")
        listed.add(rel)
    files = ["README.md"]
    for path in sorted(folder.rglob("*")):
        rel_parts = path.relative_to(folder).parts
        if not path.is_file() or _SKIP_DIRS.intersection(rel_parts):
            continue
        rel = path.relative_to(folder).as_posix()
        if path.suffix == ".py":
            raise InputError(f"{path}: Python file in the dataset folder; the Hub never runs scripts, remove it")
        if rel in listed:
            files.append(rel)
        elif rel != "README.md":
            if path.suffix.lower() in _DATA_SUFFIXES:
                raise InputError(f"{path}: data file not listed in README.md configs; remove it or rebuild")
            logger.warning("not uploading %s (not part of the build)", rel)
    return files


def retarget_card(text: str, repo_id: str) -> tuple[str, list[str]]:
    """Point the card's ``load_dataset("...")`` examples at ``repo_id``.

    Args:
        text: The card (README.md) text.
        repo_id: The repo the folder is pushed to.

    Returns:
        ``(new text, the other repo ids that were replaced)``.

    >>> retarget_card('ds = load_dataset("org/medcot", "sft")', "acme/medcot")
    ('ds = load_dataset("acme/medcot", "sft")', ['org/medcot'])
    """
    old = sorted({m.group(2) for m in _CARD_REPO_RE.finditer(text)} - {repo_id})
    return _CARD_REPO_RE.sub(lambda m: f"{m.group(1)}{repo_id}{m.group(3)}", text), old


@contextmanager
def hub_errors(repo_id: str) -> Iterator[None]:
    """Turn huggingface_hub's token and HTTP errors into one-line :class:`MedcotError` messages."""
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

    try:
        yield
    except LocalTokenNotFoundError as exc:
        raise MedcotError("no Hugging Face token: set HF_TOKEN or run `hf auth login`") from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise MedcotError(f"push to {repo_id} failed: HTTP {status}: {str(exc).splitlines()[0]}") from exc


def upload(
    folder: str | Path,
    repo_id: str,
    *,
    repo_type: str,
    files: list[str],
    commit_message: str,
    options: Mapping[str, Any],
) -> PushResult:
    """Create a repo (if needed) and upload ``files`` of ``folder``: the one upload path of the CLI.

    Args:
        folder: The local folder.
        repo_id: ``namespace/name``.
        repo_type: ``"dataset"`` or ``"space"``.
        files: Relative paths to upload.
        commit_message: Default commit message (``options["commit_message"]`` wins).
        options: ``private``, ``revision``, ``commit_message``, ``token`` and, for a Space, ``space_sdk``.

    Returns:
        A :class:`PushResult`.
    """
    from huggingface_hub import HfApi, get_token

    token, revision = options.get("token"), options.get("revision")
    if token is None and get_token() is None:
        raise MedcotError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = HfApi(token=token)
    extra = {"space_sdk": options["space_sdk"]} if options.get("space_sdk") else {}
    with hub_errors(repo_id):
        repo_url = api.create_repo(repo_id, repo_type=repo_type, exist_ok=True, private=bool(options.get("private")), **extra)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, repo_type=repo_type, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(folder), repo_id=repo_id, repo_type=repo_type, revision=revision, allow_patterns=files,
            commit_message=options.get("commit_message") or commit_message,
        )
    commit = getattr(info, "oid", None)
    logger.info("pushed %d files to %s %s (commit %s)", len(files), repo_type, repo_id, commit)
    return PushResult(repo_id=repo_id, url=str(repo_url), commit=commit, files=tuple(files))


def push(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    token: str | None = None,
) -> PushResult:
    """Create the dataset repo (if needed) and upload the validated folder.

    Args:
        folder: A folder written by ``medcot build``.
        repo_id: ``namespace/name`` on the Hub.
        private: Create the repo private (ignored when it already exists).
        revision: Branch to upload to (default ``main``; created when missing).
        commit_message: Commit message.
        token: Explicit token; ``None`` uses ``HF_TOKEN`` or the saved login.

    Returns:
        A :class:`PushResult`; ``retargeted`` lists the repo ids the card's examples named before.
    """
    from huggingface_hub import get_token

    repo_id = check_repo_id(repo_id)
    files = folder_files(folder)
    if token is None and get_token() is None:
        raise MedcotError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    # The card's loading examples name the repo the data is pushed to (the build used --repo's default).
    readme = Path(folder) / "README.md"
    text, replaced = retarget_card(readme.read_text(encoding="utf-8"), repo_id)
    if replaced:
        readme.write_text(text, encoding="utf-8")
        logger.info("card: loading examples now name %s (were %s)", repo_id, ", ".join(replaced))
    result = upload(
        folder, repo_id, repo_type="dataset", files=files,
        commit_message=f"Upload dataset ({len(files)} files) with medcot push",
        options={"private": private, "revision": revision, "commit_message": commit_message, "token": token},
    )
    return dataclasses.replace(result, retargeted=tuple(replaced))
