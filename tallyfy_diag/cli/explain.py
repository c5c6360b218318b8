"""`tallyfy-diag explain FILE|-`: diagnose a captured call offline (never touches the network)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tallyfy_diag.cli._exit import UsageError
from tallyfy_diag.cli._report_options import ORIGIN_HELP, add_report_options, emit, list_checks, parse_origin

DESCRIPTION = """\
Diagnose a failing Tallyfy API call from what you captured, offline. FILE (or - for stdin) holds what
DevTools copies (Chrome or Firefox: "Copy as cURL" for bash or cmd, "Copy as PowerShell", "Copy as fetch",
"Copy as fetch (Node.js)"), a HAR file, a Postman Collection v2.1 export, an HTTPie command line, a raw HTTP
request (optionally followed by its response) or a VCR.py cassette; --input-format auto (the default)
detects which. For a browser capture the page's origin is read from it (Origin or referrer) and CORS is
judged without --origin. Every check that applies runs on each exchange; the report has one line per check.
"""

INPUT_FORMATS = (
    "auto",
    "curl",
    "curl-cmd",
    "powershell",
    "fetch",
    "fetch-nodejs",
    "httpie",
    "http",
    "har",
    "postman",
    "vcr",
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="diagnose a captured call offline (curl, PowerShell, fetch, HAR, Postman, HTTPie, raw HTTP, VCR)",
        description=DESCRIPTION,
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="the capture to read; - reads stdin")
    parser.add_argument("--origin", metavar="ORIGIN", help=f"judge CORS for a browser page at ORIGIN: {ORIGIN_HELP}")
    parser.add_argument(
        "--with-credentials",
        action="store_true",
        help="the browser call includes credentials (fetch credentials: 'include')",
    )
    parser.add_argument("--base-url", metavar="URL", help="the base URL the client is configured with")
    parser.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        default="auto",
        help="what FILE holds (default auto: detected); --format chooses the report's format",
    )
    add_report_options(parser)
    parser.set_defaults(handler=handle)


def _read(file: str, limit: int) -> bytes:
    """At most `limit` bytes: a larger input is refused before it is all in memory (a pipe may never end)."""
    try:
        if file == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(file).open("rb") as stream:
                data = stream.read(limit + 1)
    except OSError as error:
        raise UsageError(f"cannot read {file}: {error.strerror or type(error).__name__}") from None
    if len(data) > limit:
        raise UsageError(f"{file}: the input is larger than {limit // 1_000_000} MB")
    return data


def handle(args: argparse.Namespace) -> int:
    if args.list_checks:
        return list_checks()
    if args.file is None:
        raise UsageError("explain needs a FILE (or - for stdin)")
    from tallyfy_diag.diagnostics import InputError, UnknownCheckError, explain  # noqa: PLC0415 - fast --help
    from tallyfy_diag.diagnostics._parsers import MAX_INPUT_BYTES  # noqa: PLC0415

    origin = parse_origin(args.origin) if args.origin else None
    data = _read(args.file, MAX_INPUT_BYTES)
    try:
        report = explain(
            data,
            name=args.file,
            origin=origin,
            with_credentials=args.with_credentials,
            base_url=args.base_url,
            only=args.check,
            skip=args.skip,
            input_format=args.input_format,
        )
    except InputError as error:
        raise UsageError(f"{args.file}: {error}") from None
    except UnknownCheckError as error:
        raise UsageError(str(error)) from None
    return emit(report, args)
