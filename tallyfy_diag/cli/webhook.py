"""`tallyfy-diag webhook listen`: receive Tallyfy webhooks locally, check each against the spec, print it.

One line per delivery on stdout: the inferred event, the `X-Tallyfy-orgID` header, process and task names,
and DUPLICATE / MALFORMED flags. Every delivery is answered 200 at once (Tallyfy never retries). Guest links
and form values are never printed. Ctrl-C (or SIGTERM) stops it with exit 0.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

from tallyfy_diag.cli._exit import ExitCode, UsageError
from tallyfy_diag.cli._foreground import serve_until_interrupted

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8766


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "webhook",
        help="receive Tallyfy webhooks locally and check them",
        description="Tools for Tallyfy webhooks (process launch and completion, task completion).",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", parser_class=type(parser))
    listen = actions.add_parser(
        "listen",
        help="run a local receiver that validates, prints and de-duplicates deliveries",
        description=(
            "Serve a webhook receiver: each delivery is checked against the spec and printed as one line "
            "(event, X-Tallyfy-orgID, process and task names), duplicates and malformed deliveries are "
            "flagged, and every delivery is answered 200 at once. Ctrl-C stops it (exit 0)."
        ),
    )
    listen.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    listen.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port, 0 for any free one (default {DEFAULT_PORT})"
    )
    listen.set_defaults(handler=run_listen)
    parser.set_defaults(handler=_need_action(parser))


def _need_action(parser: argparse.ArgumentParser) -> Any:
    def handler(_args: argparse.Namespace) -> int:
        raise UsageError(f"{parser.prog}: choose an action: listen (see --help)")

    return handler


def is_loopback(host: str) -> bool:
    """Only this machine can connect: localhost or a loopback address (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def run_listen(args: argparse.Namespace) -> int:
    # Bad usage is told before the listener's imports (the web server and the payload schemas take most of a
    # second), so a mistyped option is answered at once.
    if not args.host.strip():
        # An empty host binds every interface; say so instead of doing it silently.
        raise UsageError(f"--host must not be empty (default {DEFAULT_HOST}; 0.0.0.0 means every interface)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")

    from tallyfy_diag.webhooks import WebhookListener  # noqa: PLC0415 - keeps --help fast

    if not is_loopback(args.host):
        print(
            f"webhook: warning: --host {args.host} is not a loopback address: anyone who can reach this machine "
            "can send deliveries to it (use 127.0.0.1 unless Tallyfy must reach it directly)",
            file=sys.stderr,
        )
    listener = WebhookListener(args.host, args.port, out=sys.stdout)
    try:
        listener.start()
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    try:
        print(f"webhook: listening on {listener.url} - point the webhook URL here; Ctrl-C stops", file=sys.stderr)
        serve_until_interrupted(listener)
    except KeyboardInterrupt:  # Ctrl-C a moment after the message, before the foreground loop took over
        listener.stop()
    print(f"webhook: stopped after {len(listener.receiver.deliveries)} deliveries", file=sys.stderr)
    return ExitCode.OK
