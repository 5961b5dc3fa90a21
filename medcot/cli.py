"""The ``medcot`` command line.

Each group of verbs lives in its own module under :mod:`medcot.commands` and registers itself on
the shared Typer app; this file only assembles them and owns the one error boundary of the CLI
(:func:`main`): whatever a command raises ends as a message and an exit code, never a traceback.

Exit codes: 0 success; 2 bad input or usage (a :class:`~medcot.errors.MedcotError`, a Click/Typer
usage error with Click's usage message, an unreadable/unwritable file); 130 interrupted; 1 an
internal error (a bug: one line asking to report it; ``MEDCOT_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Sequence

import typer

from medcot.errors import MedcotError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="medcot",
    help="Build, publish and score the Human-Verified Clinical Reasoning Dataset (Chinese medical CoT).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from medcot.commands import data, evaluation, integrations, report, score, validate

    for module in (validate, data, score, evaluation, report, integrations):
        module.register(app)


_register_commands()


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Click's exception base classes: typer >= 0.24 vendors its own Click, older typer uses the package."""
    types: list[type[BaseException]] = []
    try:
        from typer._click.exceptions import ClickException as vendored

        types.append(vendored)
    except ImportError:  # typer that uses the click package
        pass
    try:
        import click

        types.append(click.ClickException)
    except ImportError:  # pragma: no cover - typer without the click package
        pass
    return tuple(types)


def _abort_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        types.append(click.exceptions.Abort)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


_CLICK_ERRORS = _click_exception_types()
_ABORTS = _abort_types()


def _os_error_message(exc: OSError) -> str:
    """``path: reason`` for an OS-level failure (missing file, permission, full disk ...).

    >>> _os_error_message(FileNotFoundError(2, "No such file or directory", "x.jsonl"))
    'x.jsonl: No such file or directory'
    """
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason}" if where else reason


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medcot`` console script: run one command and return its exit code.

    The error boundary of the whole CLI. Nothing raised below it reaches the user as a traceback.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        0 on success; 2 for bad input, a usage error or an OS-level file problem (one message on
        stderr); 130 when interrupted; 1 for an internal error (a one-line report request).

    >>> main(["no-such-command"])  # Click's usage message goes to stderr
    2
    """
    try:
        rv = app(args=list(argv) if argv is not None else None, prog_name="medcot", standalone_mode=False)
    except MedcotError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return EXIT_INPUT
    except _CLICK_ERRORS as exc:  # usage errors: Click's own message ("Usage: ... Error: ..."), exit 2
        exc.show()  # type: ignore[attr-defined]
        return EXIT_INPUT
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (*_ABORTS, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # `medcot validate ... | head`: the reader went away
            _silence_stdout()
            return EXIT_INTERNAL
        typer.secho(f"error: {_os_error_message(exc)}", fg=typer.colors.RED, err=True)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug is reported, not dumped
        if os.environ.get("MEDCOT_DEBUG"):
            raise
        logger.debug("internal error", exc_info=True)
        message = str(exc).splitlines()[0][:300] if str(exc) else ""
        typer.secho(
            f"internal error: {type(exc).__name__}: {message} — this is a bug in medcot; please report it "
            "(set MEDCOT_DEBUG=1 to see the traceback)",
            fg=typer.colors.RED, err=True,
        )
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) else EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout already gone
        pass


if __name__ == "__main__":
    sys.exit(main())
