"""The `tallyfy-diag` command.

Each subcommand lives in its own module with a `register(subparsers)` function; that module imports nothing
heavy at import time, so `tallyfy-diag --help` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from tallyfy_diag import __version__
from tallyfy_diag._extras import extra_for, install_hint
from tallyfy_diag.cli._exit import ExitCode, UsageError

# Subcommand modules, in the order --help lists them.
_COMMAND_MODULES: tuple[str, ...] = ("doctor", "explain", "token", "cors", "sandbox", "webhook")

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line (no usage dump) with the documented exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tallyfy-diag",
        description=(
            "Diagnose Tallyfy API integrations: why a call fails and how to fix it. "
            "Runs against a local sandbox that behaves like Tallyfy by default."
        ),
        epilog="Exit codes: 0 no failure, 1 at least one check failed, 2 bad usage or unreadable input, "
        "70 internal error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"tallyfy-diag {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"tallyfy_diag.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return ExitCode.USAGE
        return handler(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:
        # A command whose optional extra is not installed: bad set-up, not a bug in tallyfy-diag.
        extra = extra_for(error) if isinstance(error, ModuleNotFoundError) else None
        if extra is not None:
            print(
                f"error: this command needs the '{extra}' extra ({getattr(error, 'name', None)} is not "
                f"installed): {install_hint(extra)}",
                file=sys.stderr,
            )
            return ExitCode.USAGE
        if os.environ.get("TALLYFY_DIAG_DEBUG"):
            raise
        # Never a traceback for users; the exception type says where to look without echoing data.
        print(
            f"error: internal error ({type(error).__name__}); rerun with TALLYFY_DIAG_DEBUG=1 and report it",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


def run() -> None:
    sys.exit(main())
