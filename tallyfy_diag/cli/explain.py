"""`tallyfy-diag explain FILE|-`: diagnose a captured call offline (never touches the network)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tallyfy_diag.cli._exit import UsageError
from tallyfy_diag.cli._report_options import ORIGIN_HELP, add_report_options, emit, list_checks, parse_origin

DESCRIPTION = """\
Diagnose a failing Tallyfy API call from what you captured, offline. FILE (or - for stdin) holds a curl
command line, a raw HTTP request (optionally followed by its response), a HAR file exported from browser
DevTools, or a VCR.py cassette. Every check that applies runs on each exchange.
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain", help="diagnose a captured call offline (curl, raw HTTP, HAR, VCR cassette)", description=DESCRIPTION
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="the capture to read; - reads stdin")
    parser.add_argument("--origin", metavar="ORIGIN", help=f"judge CORS for a browser page at ORIGIN: {ORIGIN_HELP}")
    parser.add_argument(
        "--with-credentials",
        action="store_true",
        help="the browser call includes credentials (fetch credentials: 'include')",
    )
    parser.add_argument("--base-url", metavar="URL", help="the base URL the client is configured with")
    add_report_options(parser)
    parser.set_defaults(handler=handle)


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {file}: {error.strerror or type(error).__name__}") from None


def handle(args: argparse.Namespace) -> int:
    if args.list_checks:
        return list_checks()
    if args.file is None:
        raise UsageError("explain needs a FILE (or - for stdin)")
    from tallyfy_diag.diagnostics import InputError, UnknownCheckError, explain  # noqa: PLC0415 - fast --help

    origin = parse_origin(args.origin) if args.origin else None
    data = _read(args.file)
    try:
        report = explain(
            data,
            name=args.file,
            origin=origin,
            with_credentials=args.with_credentials,
            base_url=args.base_url,
            only=args.check,
            skip=args.skip,
        )
    except InputError as error:
        raise UsageError(f"{args.file}: {error}") from None
    except UnknownCheckError as error:
        raise UsageError(str(error)) from None
    return emit(report, args)
