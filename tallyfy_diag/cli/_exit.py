"""The command's exit codes: documented in the README, decided here only."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Nothing failed."""
    FINDINGS = 1
    """At least one check failed."""
    USAGE = 2
    """Bad usage or unreadable input; one line on stderr explains it."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C."""
    INTERNAL = 70
    """A bug in tallyfy-diag (sysexits EX_SOFTWARE); set TALLYFY_DIAG_DEBUG=1 to see the traceback."""


class UsageError(Exception):
    """Bad usage or unreadable input: the message is printed as one line and the exit code is USAGE."""
