"""Errors that the command line turns into exit codes (SPEC §7)."""


class AosError(Exception):
    """Base class for errors shown to the user without a traceback."""

    exit_code = 1


class DataRefused(AosError):
    """The data were refused (validation): exit code 1.

    The message must name the file, the column (where there is one) and the reason,
    and must never echo a personal identifier.
    """

    exit_code = 1


class UsageError(AosError):
    """Bad usage (missing file, bad month, bad option value): exit code 2."""

    exit_code = 2


class Busy(AosError):
    """Another process is writing the database or the output directory: exit code 4."""

    exit_code = 4
