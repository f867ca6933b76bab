"""The errors that stop a whole command, each with its exit code: 2 means nothing could run.

Problems with one input (a broken transcript, a bad CRM row) are not errors: they are `models.Problem`s, reported
and skipped, and they make the exit code 1.
"""
from __future__ import annotations


class WinlossError(Exception):
    """Stops the command; the CLI prints the message on one line and exits with `exit_code`."""

    exit_code = 2


class ConfigError(WinlossError):
    """A setting that cannot be used (winloss.toml, CLI flags, the codebook): nothing has been done yet."""
