"""Options every diagnosing command shares (--format, --check, --skip, --color, --output, and how --origin,
--timeout and a target URL are read), decided once.

Import-light on purpose: `register()` functions call `add_report_options` while `tallyfy-diag --help` builds
its parser, so the diagnostics package is imported only inside `emit`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tallyfy_diag.cli._exit import UsageError

if TYPE_CHECKING:
    from tallyfy_diag.diagnostics import Report

FORMATS = ("human", "json", "junit", "markdown")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report")
    group.add_argument(
        "--format",
        choices=FORMATS,
        default="human",
        help="human (default), json (versioned schema), junit (CI) or markdown (a support bundle with no secrets)",
    )
    group.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="run only this check (repeatable); ids: tallyfy-diag explain --list-checks",
    )
    group.add_argument("--skip", action="append", default=[], metavar="ID", help="do not run this check (repeatable)")
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour in the human report: auto (a terminal without NO_COLOR), always, never",
    )
    group.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    group.add_argument(
        "--list-checks", action="store_true", help="list the check ids and what each looks at, then exit"
    )


ORIGIN_HELP = "scheme://host[:port] as a browser sends it; a trailing / is dropped, any other path is refused"


def parse_origin(value: str) -> str:
    """The origin a browser would send for a page at `value`; a non-origin is bad usage, never ignored.

    A trailing slash is accepted (it is how an address bar shows the page) and dropped; a path, query,
    fragment or user info means the value is a page URL, not an origin, and the user must say which origin.
    """
    from tallyfy_diag._redact import redact_url  # noqa: PLC0415 - keeps --help fast
    from tallyfy_diag.diagnostics._cors import serialize_origin  # noqa: PLC0415
    from tallyfy_diag.diagnostics._evidence import split_url  # noqa: PLC0415

    text = value.strip()
    parts = split_url(text)
    origin = serialize_origin(text) if "://" in text else None
    problem = None
    if parts is None or origin is None:
        problem = "is not an origin"
    elif parts.path not in ("", "/") or parts.query or parts.fragment or "?" in text or "#" in text:
        problem = "has a path, query or fragment: an origin is only scheme://host[:port]"
    elif parts.username is not None or parts.password is not None:
        problem = "carries user info: an origin is only scheme://host[:port]"
    if problem is not None or origin is None:
        raise UsageError(f"--origin {redact_url(value)[:80]!r} {problem}, like https://app.example.com")
    return origin


MAX_TIMEOUT_SECONDS = 86_400
"""A day: far beyond any useful wait, and far below what the OS socket timeout overflows on (about 1e10)."""
TIMEOUT_HELP = f"per request, 0 < SECONDS <= {MAX_TIMEOUT_SECONDS} (default 10)"


def timeout_seconds(text: str) -> float:
    """An argparse `type=` for --timeout: a finite number of seconds above zero, at most a day.

    inf, nan and 1e309 parse as floats, but a socket overflows on them (or never times out): bad usage."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0  # refused just below, with the same message
    if not (0 < seconds <= MAX_TIMEOUT_SECONDS):  # also false for nan
        # argparse prefixes the option: "argument --timeout: ..."
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS}, not {text[:20]!r}"
        )
    return seconds


def check_usable_url(url: str, name: str) -> None:
    """Refuse a URL nothing can be sent to. Shapes that CAN be sent (plain http, a missing /api, even a missing
    scheme, which the base-url check names) are left for the diagnosis: they are findings, not bad usage."""
    from tallyfy_diag.diagnostics._evidence import split_url  # noqa: PLC0415 - fast --help

    text = url.strip()
    if any(character.isspace() or not character.isprintable() for character in text):
        raise UsageError(f"{name} must not contain spaces or control characters (percent-encode them)")
    parts = split_url(text)
    if parts is None:
        raise UsageError(f"{name} is not a parseable URL (an unbalanced [ or ]?)")
    if "://" not in url:
        return
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{name} must be http(s), not {parts.scheme}://")
    if not parts.hostname:
        raise UsageError(f"{name} has no host: use https://go.tallyfy.com/api")
    if parts.query or parts.fragment:
        raise UsageError(f"{name} must not carry a query or fragment (paths are appended to it)")
    if "@" in parts.netloc:
        # httpx would turn it into Basic auth over the Bearer header, and log it; never echo it.
        raise UsageError(f"{name} must not contain a user name or password: pass credentials as options")


def list_checks() -> int:
    from tallyfy_diag.diagnostics import REGISTRY  # noqa: PLC0415 - keeps --help fast

    width = max(len(check_id) for check_id in REGISTRY.ids())
    for check in REGISTRY.checks():
        print(f"{check.id.ljust(width)}  {check.title}  [{check.reference}]")
    return 0


def emit(report: Report, args: argparse.Namespace, *, preamble: str = "") -> int:
    """Render the report as asked, write it, and return the exit code (1 when a check failed).

    `preamble` goes before a human report only (the machine formats stay exactly the report)."""
    from tallyfy_diag.diagnostics import render, use_colour, write  # noqa: PLC0415 - keeps --help fast

    lead = preamble + "\n" if preamble and args.format == "human" else ""
    if args.output:
        text = lead + render(report, args.format, colour=args.color == "always")
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {args.output}: {error.strerror or type(error).__name__}") from None
    else:
        text = lead + render(report, args.format, colour=use_colour(sys.stdout, args.color))
        write(text, sys.stdout)
    return report.exit_code
