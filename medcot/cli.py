"""The ``medcot`` command line.

Each group of verbs lives in its own module under :mod:`medcot.commands` and registers itself on
the shared Typer app; this file only assembles them and turns user errors into one-line messages.
"""

from __future__ import annotations

import sys

import typer

from medcot.errors import MedcotError

app = typer.Typer(
    name="medcot",
    help="Build, publish and score the Human-Verified Clinical Reasoning Dataset (Chinese medical CoT).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from medcot.commands import data, evaluation, score, validate

    for module in (validate, data, score, evaluation):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medcot`` console script; returns the exit code."""
    try:
        app(args=argv, standalone_mode=False)
    except MedcotError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
