"""Errors the CLI turns into one-line messages with exit code 2."""


class UsageError(Exception):
    """Bad arguments or an unreadable input: reported in one line, exit code 2."""
