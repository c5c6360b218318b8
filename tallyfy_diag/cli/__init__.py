"""The `tallyfy-diag` command.

Each subcommand lives in its own module with a `register(subparsers)` function; that module imports nothing
heavy at import time, so `tallyfy-diag --help` starts fast.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence

from tallyfy_diag import __version__
from tallyfy_diag._extras import extra_for, install_hint
from tallyfy_diag._redact import REDACTED, redact_message
from tallyfy_diag.cli._exit import ExitCode, UsageError

# Subcommand modules, in the order --help lists them.
_COMMAND_MODULES: tuple[str, ...] = ("doctor", "explain", "token", "cors", "sandbox", "webhook", "proxy", "cassettes")

Handler = Callable[[argparse.Namespace], int]


# A value argparse quotes in its messages ('...' or "..." as repr() writes it).
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*+'|\"(?:[^\"\\]|\\.)*+\"")
_UNRECOGNIZED = "unrecognized arguments: "


def _parser_words(parser: argparse.ArgumentParser) -> Iterator[str]:
    """What a parser itself defines (option strings, choices, command names): safe to repeat in a message."""
    for action in parser._actions:
        yield from action.option_strings
        if action.choices is not None:
            yield from (str(choice) for choice in action.choices)


def _redacted_usage(message: str, known: set[str]) -> str:
    """argparse's message with every value the user typed replaced: `--password=SECRET` must not come back
    as "ignored explicit argument 'SECRET'". Option names and the parser's own choices stay."""
    if message.startswith(_UNRECOGNIZED):
        words = message[len(_UNRECOGNIZED) :].split(" ")
        shown = [word.split("=", 1)[0] + ("=" + REDACTED if "=" in word else "") for word in words]
        shown = [word if word.startswith("-") else REDACTED for word in shown]
        return _UNRECOGNIZED + " ".join(shown)
    return _QUOTED.sub(lambda match: match.group(0) if match.group(0)[1:-1] in known else f"'{REDACTED}'", message)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line (no usage dump) with the documented exit code, echoing
    none of the values it was given."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = _redacted_usage(message, set(_parser_words(self)))
        raise UsageError(f"{self.prog}: {message} (see --help)")


class _Version(argparse.Action):
    """--version, looked up only when asked for (reading package metadata slows every start-up)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"tallyfy-diag {__version__}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` one command registered: what parsing a command needs (its
    module imported, its options defined), where the top-level help and errors need them all."""
    parser = _Parser(
        prog="tallyfy-diag",
        description=(
            "Diagnose Tallyfy API integrations: why a call fails and how to fix it. "
            "`doctor` probes the live API with your credentials; `doctor --sandbox` runs the same diagnosis against"
            " a local sandbox that behaves like Tallyfy, with no credentials and no network."
        ),
        epilog="Exit codes: 0 no failure, 1 at least one check failed, 2 bad usage or unreadable input, "
        "70 internal error, 130 interrupted.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES if only is None else (only,):
        module = importlib.import_module(f"tallyfy_diag.cli.{name}")
        module.register(subparsers)
    return parser


@functools.cache
def _shared_parser(only: str | None = None) -> argparse.ArgumentParser:
    """`build_parser(only)`, once per process. `main` is also called in-process, many times over (scripts, the
    pytest plugin's users, the test suite), and building the parser costs more than many a run: argparse keeps
    no per-run state in a parser (each parse fills a new namespace; repeatable options copy their default)."""
    return build_parser(only)


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named first, if any: its parser alone then parses the arguments (argparse takes a command
    only as the first word after any top-level options, and this command line has none but --help and
    --version, which are read by the whole parser)."""
    return argv[0] if argv and argv[0] in _COMMAND_MODULES else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it)."""
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        parser = _shared_parser(_command_word(words))
        args = parser.parse_args(words)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return ExitCode.USAGE
        return handler(args)
    except UsageError as error:
        # Commands word their own usage errors; a URL with userinfo or a `token=...` in one still goes.
        print(f"error: {redact_message(str(error))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last resort: exit 70, never a traceback
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
            # The traceback on request, still redacted; the exit code stays 70 (an uncaught exception exits
            # 1, which reads as "a check failed").
            print(redact_message(traceback.format_exc()), file=sys.stderr)
            return ExitCode.INTERNAL
        # Never a traceback for users; the exception type says where to look without echoing data.
        print(
            f"error: internal error ({type(error).__name__}); rerun with TALLYFY_DIAG_DEBUG=1 and report it",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


def run() -> None:
    code = main()
    # The interpreter's last garbage collection walks every object the run made: about 50 ms after
    # `doctor --sandbox`, an eighth of the command. Everything a command writes is written and closed by now, so
    # nothing needs that pass; frozen objects are skipped by it (atexit handlers and the flush of stdout/stderr
    # still run).
    gc.freeze()
    sys.exit(code)
