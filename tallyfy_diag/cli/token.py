"""`tallyfy-diag token [TOKEN|-]`: decode and judge an access token; the token itself is never printed."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from tallyfy_diag.cli._exit import UsageError
from tallyfy_diag.cli._report_options import add_report_options, emit, list_checks

DESCRIPTION = """\
Decode an access token WITHOUT verifying its signature and judge it: JWT structure, expiry (exp, nbf), the
grant type it came from (an empty `sub` is an application token, which most endpoints refuse) and its
claims, without personal data. The report shows the token only as a SHA-256 fingerprint.

Pass the token on stdin (`printf %s "$TOKEN" | tallyfy-diag token -`) or type it at the hidden prompt:
a TOKEN argument works but lands in your shell history and the process list.
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "token", help="decode and judge an access token (never prints it)", description=DESCRIPTION
    )
    parser.add_argument(
        "token",
        nargs="?",
        metavar="TOKEN",
        help="- (the default) reads stdin or prompts; a literal token is less safe (shell history)",
    )
    add_report_options(parser)
    parser.set_defaults(handler=handle)


MAX_TOKEN_CHARACTERS = 1_000_000
"""Far above any access token (a few KB); input beyond it is refused before it is all in memory."""


def _read_token(argument: str | None) -> tuple[str, str]:
    """(text, where it came from)."""
    if argument not in (None, "-"):
        return argument, "command-line argument"
    if sys.stdin is None:
        raise UsageError("no token: pass it on stdin")
    if sys.stdin.isatty():
        try:
            return getpass.getpass("Access token (input hidden): "), "prompt"
        except EOFError:
            raise UsageError("no token given") from None
    text = sys.stdin.read(MAX_TOKEN_CHARACTERS + 1)  # bounded: a pipe may never end
    if len(text) > MAX_TOKEN_CHARACTERS:
        raise UsageError(f"the input on stdin is longer than {MAX_TOKEN_CHARACTERS:,} characters: not a token")
    return text, "stdin"


def handle(args: argparse.Namespace) -> int:
    if args.list_checks:
        return list_checks()
    from tallyfy_diag.diagnostics import InputError, UnknownCheckError, judge_token  # noqa: PLC0415 - fast --help

    text, source = _read_token(args.token)
    try:
        report = judge_token(text, source=source, only=args.check, skip=args.skip)
    except InputError as error:
        raise UsageError(str(error)) from None
    except UnknownCheckError as error:
        raise UsageError(str(error)) from None
    return emit(report, args)
