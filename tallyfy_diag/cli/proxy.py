"""`tallyfy-diag proxy`: a local reverse proxy that judges a real application's Tallyfy traffic as it passes.

One line per exchange on stdout (method, the spec's path template, status, time) and the findings of those
that fail; `--format jsonl` writes JSON records instead. Ctrl-C (or SIGTERM) stops it: a summary on stderr (a
`summary` record in jsonl), exit 0 when no exchange failed, 1 when one did. Bad options exit 2.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallyfy_diag.cli._exit import ExitCode, UsageError
from tallyfy_diag.cli._foreground import serve_until_interrupted
from tallyfy_diag.cli._report_options import MAX_TIMEOUT_SECONDS, check_usable_url, list_checks, timeout_seconds

if TYPE_CHECKING:
    from tallyfy_diag.proxy import Judged

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8767
SANDBOX = "sandbox"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}

DESCRIPTION = """\
Serve a local reverse proxy in front of the Tallyfy API (or the embedded sandbox) and judge every exchange
as it passes: the same checks as `explain` and `doctor` (by the same ids), plus the spec (spec-operation: no
such operation or method; spec-request: parameters and body; spec-response: the answer's status and shape).

Point your application's base URL at http://HOST:PORT/api, or at http://HOST:PORT for the root style of
api.tallyfy.com: either reaches the upstream's base URL. Requests go out unchanged and answers come back
unchanged (status, headers, body; large downloads stream through); the proxy adds no header of its own, CORS
headers included, so a browser application sees the API's own CORS answers. Secrets pass through to the
upstream but never reach the terminal, the JSONL or a recording.
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "proxy",
        help="judge a real application's Tallyfy traffic as it passes through a local proxy",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 no exchange failed, 1 one did, 2 bad usage.",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL|sandbox",
        help="the API base URL to forward to (https://go.tallyfy.com/api or https://api.tallyfy.com), or"
        " `sandbox` to run the embedded sandbox behind the proxy",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port, 0 for any free one (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="write the traffic, scrubbed, to FILE when the proxy stops: .har (HAR 1.2) or .yaml (a VCR cassette)",
    )
    parser.add_argument("--format", choices=("human", "jsonl"), default="human", help="human (default) or jsonl")
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=60.0,
        metavar="SECONDS",
        help=f"per upstream request, 0 < SECONDS <= {MAX_TIMEOUT_SECONDS} (default 60)",
    )
    parser.add_argument("--check", action="append", default=[], metavar="ID", help="run only this check (repeatable)")
    parser.add_argument("--skip", action="append", default=[], metavar="ID", help="do not run this check (repeatable)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour (human)")
    parser.add_argument("--list-checks", action="store_true", help="list the check ids, then exit")
    sandbox = parser.add_argument_group("with --upstream sandbox")
    sandbox.add_argument("--scenario", metavar="NAME", help="a sandbox scenario (see `tallyfy-diag sandbox --help`)")
    sandbox.add_argument(
        "--credentials-out",
        type=Path,
        metavar="FILE",
        help="write the sandbox's base URL (through the proxy) and demo credentials as JSON to FILE (mode 0600)",
    )
    parser.set_defaults(handler=run_proxy)


def _validate(args: argparse.Namespace) -> None:
    if args.upstream is None:
        raise UsageError("--upstream is required: the API base URL (https://go.tallyfy.com/api) or `sandbox`")
    if not args.host.strip():
        raise UsageError(f"--host must not be empty (default {DEFAULT_HOST})")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    if args.upstream != SANDBOX:
        check_usable_url(args.upstream, "--upstream")
        if "://" not in args.upstream:
            raise UsageError("--upstream needs a scheme: https://go.tallyfy.com/api, or `sandbox`")
        if args.scenario or args.credentials_out:
            raise UsageError("--scenario and --credentials-out need --upstream sandbox")
    if args.scenario:
        from tallyfy_diag.sandbox import SCENARIOS  # noqa: PLC0415 - fast --help

        if args.scenario not in SCENARIOS:
            raise UsageError(f"unknown scenario {args.scenario!r}; known: {', '.join(SCENARIOS)}")


class _Printer:
    """Writes each verdict as it comes (from the judging thread), serialised."""

    def __init__(self, output_format: str, colour: bool) -> None:
        self._format = output_format
        self._colour = colour
        self._lock = threading.Lock()

    def __call__(self, judged: Judged) -> None:
        from tallyfy_diag.proxy._output import write_judged  # noqa: PLC0415

        with self._lock:
            write_judged(judged, sys.stdout, self._format, colour=self._colour)


def _list_checks() -> int:
    from tallyfy_diag.proxy._judge import SPEC_CHECK_TITLES  # noqa: PLC0415

    list_checks()
    width = max(len(check) for check in SPEC_CHECK_TITLES)
    for check, title in SPEC_CHECK_TITLES.items():
        print(f"{check.ljust(width)}  {title}  [the OpenAPI spec]")
    return ExitCode.OK


def run_proxy(args: argparse.Namespace) -> int:
    if args.list_checks:
        return _list_checks()
    _validate(args)
    from tallyfy_diag.diagnostics import use_colour  # noqa: PLC0415 - keeps --help fast
    from tallyfy_diag.proxy import Proxy, Recorder, RecordingError  # noqa: PLC0415
    from tallyfy_diag.proxy._judge import UnknownCheckError  # noqa: PLC0415
    from tallyfy_diag.proxy._output import summary_record, summary_text  # noqa: PLC0415

    # The judging thread holds the GIL for a few milliseconds per exchange; hand it back to the forwarding
    # thread sooner than the default 5 ms, or a request arriving meanwhile waits that long.
    sys.setswitchinterval(0.0005)
    recorder = None
    if args.record is not None:
        try:
            recorder = Recorder(args.record)
        except RecordingError as error:
            raise UsageError(str(error)) from None
    sandbox = None
    if args.upstream == SANDBOX:
        from tallyfy_diag.sandbox import Sandbox, SandboxConfig  # noqa: PLC0415

        sandbox = Sandbox(SandboxConfig(scenario=args.scenario or "default"))
        sandbox.start()
        upstream = sandbox.base_url
    else:
        upstream = args.upstream.strip()
    try:
        try:
            proxy = Proxy(
                upstream,
                host=args.host,
                port=args.port,
                timeout=args.timeout,
                on_judged=_Printer(args.format, use_colour(sys.stdout, args.color)),
                recorder=recorder,
                only=args.check,
                skip=args.skip,
            )
        except UnknownCheckError as error:
            raise UsageError(str(error)) from None
        try:
            proxy.start()
        except OSError as error:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
        try:
            _announce(args, proxy.base_url, proxy.root_url, sandbox)
        except BaseException:
            proxy.stop()
            raise
        serve_until_interrupted(proxy)
    finally:
        if sandbox is not None:
            sandbox.stop()
    summary = proxy.stats
    if args.format == "jsonl":
        print(summary_record(summary), flush=True)
    print(summary_text(summary), file=sys.stderr)
    if recorder is not None:
        kept = f" ({recorder.dropped} exchanges beyond the limit not kept)" if recorder.dropped else ""
        print(f"proxy: recorded to {args.record}{kept}", file=sys.stderr)
    return ExitCode.FINDINGS if summary.exit_code else ExitCode.OK


def _announce(args: argparse.Namespace, base_url: str, root_url: str, sandbox: Any) -> None:
    from tallyfy_diag._redact import redact_url  # noqa: PLC0415

    if args.host not in _LOOPBACK:
        print(f"warning: the proxy listens on {args.host}, beyond this machine", file=sys.stderr)
    target = "the embedded sandbox" if sandbox is not None else redact_url(args.upstream)
    if sandbox is not None and args.credentials_out is not None:
        import json  # noqa: PLC0415

        from tallyfy_diag.cli.sandbox import _write_private  # noqa: PLC0415 - one way to write a secret file

        line = json.dumps({"base_url": base_url, **sandbox.credentials.to_dict()}, separators=(",", ":"))
        _write_private(args.credentials_out, line)
    print(
        f"proxy: {base_url} (or {root_url} for root-style paths) -> {target}; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
