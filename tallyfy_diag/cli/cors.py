"""`tallyfy-diag cors`: would a browser page at ORIGIN be allowed to make this call? Asks the server the way
Chromium would and words every verdict like DevTools; `--sandbox` asks a local sandbox instead."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from tallyfy_diag._scenarios import SERVER_SCENARIOS, listing, unknown_scenario
from tallyfy_diag.cli._exit import UsageError
from tallyfy_diag.cli._report_options import (
    ORIGIN_HELP,
    TIMEOUT_HELP,
    add_report_options,
    check_usable_url,
    emit,
    list_checks,
    parse_origin,
    timeout_seconds,
)

if TYPE_CHECKING:
    from tallyfy_diag.diagnostics import Report

DESCRIPTION = """\
Predict what a browser does with a Tallyfy call made by a page at ORIGIN: the preflight it sends (or that it
needs none), the server's answer, and a verdict per Fetch rule named like Chromium's CORS errors
(PreflightMissingAllowOriginHeader, HeaderDisallowedByPreflightResponse, ...). The page's call sends what every
Tallyfy call sends (Accept, X-Tallyfy-Client, Authorization: Bearer); --header adds or replaces headers.

The call itself is sent only when it is safe to repeat (GET, HEAD) and a token is given (--token, - reads it
from stdin, or TALLYFY_API_TOKEN). An error response is always probed (a GET with an invalid token): without
Access-Control-Allow-Origin on errors, a page sees 'Failed to fetch' instead of the 401. The report says which
response headers (X-Request-Id, WWW-Authenticate, Retry-After, X-RateLimit-Remaining) a script can read.

`--sandbox` starts a local sandbox (origin default: its demo origin); `--scenario cors-...` switches on a CORS
misconfiguration (--list-scenarios).
"""
_HEADER_HELP = "a header the page's script sends, 'Name: value' (repeatable); 'Name:' removes a default one"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cors",
        help="would a browser page at ORIGIN be allowed to make this call?",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call = parser.add_argument_group("the page's call")
    call.add_argument("--origin", metavar="ORIGIN", help=f"the page's origin (required): {ORIGIN_HELP}")
    call.add_argument("--base-url", metavar="URL", help="the API base URL (default: TALLYFY_BASE_URL)")
    call.add_argument("--method", default="GET", metavar="METHOD", help="default GET")
    call.add_argument("--path", default="/me", metavar="PATH", help="under the base URL (default /me)")
    call.add_argument(
        "--with-credentials", action="store_true", help="the page calls fetch() with credentials: 'include'"
    )
    call.add_argument("--header", "-H", action="append", default=[], metavar="'NAME: VALUE'", help=_HEADER_HELP)
    call.add_argument("--token", metavar="TOKEN", help="an access token; - reads it from stdin (safer)")
    call.add_argument("--timeout", type=timeout_seconds, default=10.0, metavar="SECONDS", help=TIMEOUT_HELP)
    sandbox = parser.add_argument_group("sandbox")
    sandbox.add_argument("--sandbox", action="store_true", help="start a local sandbox and ask it")
    sandbox.add_argument("--scenario", metavar="NAME", help="with --sandbox: a sandbox scenario, such as cors-allowed")
    sandbox.add_argument("--list-scenarios", action="store_true", help="list the sandbox scenarios, then exit")
    add_report_options(parser)
    parser.set_defaults(handler=handle)


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` as (name, value); a bad one is a usage error that never echoes the value."""
    from tallyfy_diag.diagnostics._cors import is_script_header  # noqa: PLC0415 - fast --help

    name, colon, value = text.partition(":")
    name = name.strip()
    if not colon or not name or any(c.isspace() or not c.isprintable() or not c.isascii() for c in name):
        # Never echoed: the value may be a secret.
        raise UsageError("--header wants 'Name: value' (a header name, a colon, then the value)")
    if not is_script_header(name):
        raise UsageError(f"--header {name}: a browser sets this header itself; a script cannot")
    if any(not character.isprintable() and character != "\t" for character in value):
        raise UsageError(f"--header {name}: the value has control characters")
    return name, value


def check_path(path: str) -> None:
    """A path httpx can put on a request line: it starts with / and has no spaces or control characters.
    Never echoed: a query string in it may hold a secret."""
    if not path.startswith("/"):
        raise UsageError("--path must start with / (it goes under the base URL), like /me")
    if any(character.isspace() or not character.isprintable() for character in path):
        raise UsageError("--path must not contain spaces or control characters (percent-encode them)")


def _origin(args: argparse.Namespace, default: str | None) -> str:
    given = args.origin or default
    if not given:
        raise UsageError("--origin is required: the origin of the page that makes the call")
    return parse_origin(given)


def _method(text: str) -> str:
    from tallyfy_diag.diagnostics._cors import FORBIDDEN_METHODS, normalize_method  # noqa: PLC0415

    method = normalize_method(text)
    if not method or not method.isascii() or any(not c.isalnum() and c not in "!#$%&'*+-.^_`|~" for c in method):
        raise UsageError(f"--method {text[:20]!r} is not an HTTP method")
    if method.upper() in FORBIDDEN_METHODS:
        raise UsageError(f"--method {method}: fetch() refuses it before sending anything")
    return method


def _token(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The token and where it came from (never echoed)."""
    from tallyfy_diag.client import ENV_API_TOKEN  # noqa: PLC0415 - fast --help

    if args.token == "-":
        line = sys.stdin.readline() if sys.stdin is not None else ""
        token = line.removesuffix("\n").removesuffix("\r").strip()
        if not token:
            raise UsageError("--token -: no token on stdin")
        return token, "stdin"
    if args.token is not None:
        return (args.token.strip() or None), "--token"
    value = os.environ.get(ENV_API_TOKEN, "").strip()
    return (value, f"environment variable {ENV_API_TOKEN}") if value else (None, None)


def _list_scenarios() -> int:
    print(listing(SERVER_SCENARIOS), end="")
    return 0


def _emit(report: Report, args: argparse.Namespace) -> int:
    """The report; in the human format, first what the browser sends and what it makes of each answer."""
    if args.format != "human":
        return emit(report, args)
    from tallyfy_diag.diagnostics._cors_probe import describe  # noqa: PLC0415 - fast --help

    return emit(report, args, preamble=describe(report))


def _run(
    args: argparse.Namespace,
    *,
    base_url: str,
    origin: str,
    method: str,
    path: str,
    token: str | None,
    source: str | None,
    target: dict[str, Any] | None,
) -> Report:
    """Probe as a browser would and judge the answers: the same for the sandbox and a live API."""
    from tallyfy_diag.diagnostics import UnknownCheckError  # noqa: PLC0415 - fast --help
    from tallyfy_diag.diagnostics._cors_probe import CorsSettings, run_cors  # noqa: PLC0415

    settings = CorsSettings(
        base_url=base_url,
        origin=origin,
        method=method,
        path=path,
        with_credentials=args.with_credentials,
        token=token,
        token_source=source,
        headers=tuple(parse_header(text) for text in args.header),
        timeout=args.timeout,
    )
    try:
        return run_cors(settings, only=args.check, skip=args.skip, target=target)
    except UnknownCheckError as error:
        raise UsageError(str(error)) from None


def handle(args: argparse.Namespace) -> int:
    if args.list_checks:
        return list_checks()
    if args.list_scenarios:
        return _list_scenarios()
    if args.scenario and not args.sandbox:
        raise UsageError("--scenario needs --sandbox")
    if args.sandbox and args.base_url:
        raise UsageError("--sandbox and --base-url are exclusive: the sandbox has its own URL")
    check_path(args.path)
    method = _method(args.method)
    token, source = _token(args)
    if args.sandbox:
        scenario = args.scenario or "default"
        if scenario not in SERVER_SCENARIOS:
            raise UsageError(unknown_scenario(scenario, SERVER_SCENARIOS, "cors"))
        from tallyfy_diag.sandbox import Sandbox, SandboxConfig  # noqa: PLC0415 - fast --help
        from tallyfy_diag.sandbox._config import DEMO_ORIGIN  # noqa: PLC0415

        origin = _origin(args, DEMO_ORIGIN)
        with Sandbox(SandboxConfig(scenario=scenario)) as sandbox:
            if token is None:
                token, source = sandbox.mint_access_token(), "the sandbox"
            path = args.path.replace("{org}", sandbox.credentials.org_id)
            report = _run(
                args,
                base_url=sandbox.base_url,
                origin=origin,
                method=method,
                path=path,
                token=token,
                source=source,
                target={"sandbox": scenario},
            )
        return _emit(report, args)
    from tallyfy_diag.client import ENV_BASE_URL  # noqa: PLC0415 - fast --help

    base_url = args.base_url or os.environ.get(ENV_BASE_URL, "").strip()
    if not base_url:
        raise UsageError(f"--base-url (or {ENV_BASE_URL}) is required, or use --sandbox")
    check_usable_url(base_url, "--base-url" if args.base_url else ENV_BASE_URL)
    report = _run(
        args,
        base_url=base_url,
        origin=_origin(args, None),
        method=method,
        path=args.path,
        token=token,
        source=source,
        target=None,
    )
    return _emit(report, args)
