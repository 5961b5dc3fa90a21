"""Exceptions shared by every part of medcot.

The CLI turns any :class:`MedcotError` into a one-line message and exit code 2, so
raise these (never bare exceptions) for problems caused by the user's input.
"""

from __future__ import annotations


class MedcotError(Exception):
    """Base class for errors caused by user input or configuration."""


class InputError(MedcotError, ValueError):
    """A file, record or argument the user supplied is malformed.

    The message must name the file (and line / record when known) and say what was expected.
    """
