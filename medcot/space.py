"""``medcot push-metric``: assemble the metric's Hugging Face Space folder and upload it.

A Space for an ``evaluate`` metric holds ``<name>.py`` (the module ``evaluate.load("org/<name>")``
fetches from ``spaces/org/<name>/resolve/main/<name>.py``), ``README.md`` (the metric card, with the
YAML a gradio Space and evaluate's listing read), ``app.py`` (the gradio app) and
``requirements.txt``. The Space's build sees only ``requirements.txt``, so it must install the
package from somewhere public: a released version (default ``medcot-verified==<this version>``) or a
VCS URL given as ``--package-spec "medcot-verified @ git+https://host/org/repo@tag"``. The module's
``medcot`` imports carry the same spec in ``# From:`` comments, which evaluate's loader puts into its
install hint for a user who lacks the package.

The sources come from ``metric/medcot_rubric/`` (package data ``medcot/metric_space``, so this works
from an installed wheel too).
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from medcot import __version__
from medcot.errors import InputError, MedcotError
from medcot.push import PushResult, check_repo_id, upload

logger = logging.getLogger(__name__)

DIST_NAME = "medcot-verified"
MODULE_NAME = "medcot_rubric"
SOURCE_DIR = Path(__file__).resolve().parent / "metric_space"
SPACE_FILES = ("README.md", "app.py", "requirements.txt")  # + <name>.py
# Placeholders in the card that become the target repo id and the install spec.
CARD_REPO_PLACEHOLDER = "ORG/medcot_rubric"
CARD_INSTALL_PLACEHOLDER = "pip install medcot-verified"
# A `from medcot... import ...` / `import medcot...` line, with or without a `# From:` comment.
_MEDCOT_IMPORT_RE = re.compile(r"^((?:from|import)\s+medcot(?:\.\w+)*\b[^#\n]*?)\s*(?:#\s+From:[^\n]*)?$", re.MULTILINE)


def default_package_spec() -> str:
    """The released distribution at this package's version.

    >>> default_package_spec() == f"medcot-verified=={__version__}"
    True
    """
    return f"{DIST_NAME}=={__version__}"


def check_package_spec(spec: str) -> str:
    """Validate a pip requirement for the Space: the distribution, from an index or a remote URL.

    Args:
        spec: A PEP 508 requirement naming ``medcot-verified``.

    Returns:
        The spec, stripped.

    Raises:
        InputError: Not a requirement, another distribution, or a local file.

    >>> check_package_spec("medcot-verified @ git+https://example.org/acme/medcot-verified@v0.2.0")
    'medcot-verified @ git+https://example.org/acme/medcot-verified@v0.2.0'
    >>> check_package_spec("./medcot-0.1.0-py3-none-any.whl")
    Traceback (most recent call last):
    ...
    medcot.errors.InputError: --package-spec './medcot-0.1.0-py3-none-any.whl': not a pip requirement; expected e.g. 'medcot-verified==0.2.0' or 'medcot-verified @ git+https://host/org/repo@tag'
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    value = spec.strip()
    expected = f"expected e.g. '{DIST_NAME}=={__version__}' or '{DIST_NAME} @ git+https://host/org/repo@tag'"
    if not value or any(ch in value for ch in "\r\n\t#"):
        raise InputError(f"--package-spec {spec!r}: empty, or a line break, tab or '#' in it; {expected}")
    try:
        req = Requirement(value)
    except InvalidRequirement:
        raise InputError(f"--package-spec {spec!r}: not a pip requirement; {expected}") from None
    if canonicalize_name(req.name) != DIST_NAME:
        raise InputError(f"--package-spec {spec!r}: names {req.name!r}, not the distribution {DIST_NAME!r}; {expected}")
    if req.url and not re.match(r"^(git\+|hg\+|svn\+|bzr\+)?https://", req.url):
        raise InputError(
            f"--package-spec {spec!r}: {req.url!r} is not a remote https URL; a Space's build only sees "
            f"requirements.txt, never local files; {expected}"
        )
    return value


def module_source(text: str, package_spec: str) -> str:
    """The metric module with ``# From: <package_spec>`` on every ``medcot`` import line.

    >>> print(module_source("import evaluate\\nfrom medcot import scoring  # From: old\\n", "medcot-verified==9"))
    import evaluate
    from medcot import scoring  # From: medcot-verified==9
    <BLANKLINE>
    """
    out, n = _MEDCOT_IMPORT_RE.subn(lambda m: f"{m.group(1).rstrip()}  # From: {package_spec}", text)
    if n == 0:
        raise MedcotError("the metric module imports nothing from medcot; cannot point its imports at the package")
    return out


def requirements_text(package_spec: str) -> str:
    """The Space's ``requirements.txt``: the package (it brings evaluate and datasets along).

    >>> print(requirements_text("medcot-verified==0.2.0"), end="")
    # The Space's build installs only what is listed here (it sees no other file of the repo):
    # the package the metric module imports; it brings evaluate and datasets along.
    medcot-verified==0.2.0
    """
    return (
        "# The Space's build installs only what is listed here (it sees no other file of the repo):\n"
        "# the package the metric module imports; it brings evaluate and datasets along.\n"
        f"{package_spec}\n"
    )


def assemble_space(
    out_dir: str | Path,
    *,
    repo_id: str = CARD_REPO_PLACEHOLDER,
    package_spec: str | None = None,
) -> list[str]:
    """Write the Space folder for ``repo_id`` into ``out_dir`` (created; must be empty).

    Args:
        out_dir: Target folder.
        repo_id: The Space's repo id; its name part becomes the module's file name.
        package_spec: pip requirement for ``requirements.txt`` and the ``# From:`` comments
            (default: :func:`default_package_spec`).

    Returns:
        The relative paths written, sorted.
    """
    repo_id = check_repo_id(repo_id)
    spec = check_package_spec(package_spec or default_package_spec())
    name = repo_id.split("/", 1)[1]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise InputError(f"--repo {repo_id!r}: the name {name!r} must be a Python identifier (evaluate imports {name}.py)")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: not empty; the Space folder is assembled into an empty folder")
    if not (SOURCE_DIR / f"{MODULE_NAME}.py").is_file():
        raise MedcotError(f"{SOURCE_DIR}: the metric's sources are missing from this install")
    out.mkdir(parents=True, exist_ok=True)
    module = module_source((SOURCE_DIR / f"{MODULE_NAME}.py").read_text(encoding="utf-8"), spec)
    app = (SOURCE_DIR / "app.py").read_text(encoding="utf-8")
    module_line = f'MODULE_FILE = "{MODULE_NAME}.py"'
    if module_line not in app:
        raise MedcotError(f"{SOURCE_DIR / 'app.py'}: expected the line {module_line!r}")
    card = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
    card = card.replace(CARD_REPO_PLACEHOLDER, repo_id).replace(CARD_INSTALL_PLACEHOLDER, f'pip install "{spec}"')
    files = {
        f"{name}.py": module,
        "app.py": module_source(app.replace(module_line, f'MODULE_FILE = "{name}.py"'), spec),
        "README.md": card,
        "requirements.txt": requirements_text(spec),
    }
    for rel, text in files.items():
        (out / rel).write_text(text, encoding="utf-8")
    logger.info("assembled the Space for %s in %s (package %s)", repo_id, out, spec)
    return sorted(files)


def push_metric(
    repo_id: str,
    *,
    package_spec: str | None = None,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    token: str | None = None,
) -> PushResult:
    """Assemble the Space folder and upload it as a gradio Space.

    Args:
        repo_id: ``namespace/medcot_rubric`` (any identifier as name).
        package_spec: pip requirement the Space installs (default: :func:`default_package_spec`).
        private: Create the Space private (ignored when it exists).
        revision: Branch to upload to (default ``main``).
        commit_message: Commit message.
        token: Explicit token; ``None`` uses ``HF_TOKEN`` or the saved login.

    Returns:
        A :class:`medcot.push.PushResult`.
    """
    repo_id = check_repo_id(repo_id)
    with tempfile.TemporaryDirectory(prefix="medcot-space-") as tmp:
        folder = Path(tmp) / "space"
        files = assemble_space(folder, repo_id=repo_id, package_spec=package_spec)
        return upload(
            folder, repo_id, repo_type="space", files=files,
            commit_message=f"Upload the metric Space ({len(files)} files) with medcot push-metric",
            options={"private": private, "revision": revision, "commit_message": commit_message, "token": token,
                     "space_sdk": "gradio"},
        )
