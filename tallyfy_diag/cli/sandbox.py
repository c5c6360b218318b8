"""`tallyfy-diag sandbox`: run a local server that behaves like Tallyfy, for trying an integration offline.

It prints ONE JSON line on stdout - `base_url` and the demo credentials - once the server accepts
connections, and writes the same JSON to `--credentials-out FILE` (mode 0600: it holds secrets) before that
line appears. Request logs go to stderr with secrets redacted.

Ctrl-C (or SIGTERM) stops the server cleanly and the command exits 0: stopping is how a server is meant
to end, not a failure. Bad options exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallyfy_diag._redact import redact_text
from tallyfy_diag._scenarios import SERVER_SCENARIOS, listing, unknown_scenario
from tallyfy_diag.cli._exit import ExitCode, UsageError
from tallyfy_diag.cli._foreground import serve_until_interrupted

if TYPE_CHECKING:
    from tallyfy_diag.sandbox._config import SandboxConfig

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _server_scenario(name: str) -> str:
    """An argparse `type=`: a server scenario's name, else the one-line reason (a client mistake names doctor)."""
    if name not in SERVER_SCENARIOS:
        raise argparse.ArgumentTypeError(unknown_scenario(name, SERVER_SCENARIOS, "sandbox"))
    return name


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run a local server that behaves like Tallyfy",
        description=(
            "Serve a local stand-in for the Tallyfy API (under /api) with demo data and credentials. "
            "Prints one JSON line (base_url and credentials) on stdout; Ctrl-C stops it (exit 0)."
        ),
        epilog="Scenarios: --list-scenarios. A client mistake (tallyfy-diag doctor --list-scenarios) is reproduced"
        " by `doctor --sandbox --scenario NAME`.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port, 0 for any free one (default {DEFAULT_PORT})"
    )
    parser.add_argument("--token-ttl", type=int, metavar="SECONDS", help="access token lifetime (default 3600)")
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser calls from ORIGIN, e.g. http://localhost:3000 (repeatable; default none)",
    )
    parser.add_argument(
        "--scenario",
        type=_server_scenario,
        default="default",
        metavar="NAME",
        help="switch on a documented trap (--list-scenarios)",
    )
    parser.add_argument("--list-scenarios", action="store_true", help="list the scenarios, then exit")
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="POST webhooks here on process launch, task and process completion (e.g. `tallyfy-diag webhook listen`)",
    )
    parser.add_argument(
        "--demo-data",
        type=int,
        dest="seed",
        default=1,
        metavar="NUMBER",
        help="which set of demo data and credentials to serve: the same number, the same data (default 1)",
    )
    # The option's former name, kept working for existing scripts but no longer shown.
    parser.add_argument("--seed", type=int, dest="seed", help=argparse.SUPPRESS)
    parser.add_argument("--credentials-out", type=Path, metavar="FILE", help="also write the JSON to FILE (mode 0600)")
    parser.set_defaults(handler=run_sandbox)


def _config(args: argparse.Namespace) -> SandboxConfig:
    from tallyfy_diag.sandbox._config import SandboxConfig  # noqa: PLC0415 - keeps --help fast

    if not args.host.strip():
        # An empty host binds every interface, serving the demo credentials beyond this machine.
        raise UsageError(f"--host must not be empty (default {DEFAULT_HOST})")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    options: dict[str, Any] = {
        "seed": args.seed,
        "cors_origins": tuple(args.cors_origin),
        "scenario": args.scenario,
    }
    if args.token_ttl is not None:
        options["token_ttl"] = args.token_ttl
    if args.webhook_url is not None:
        options["webhook_url"] = args.webhook_url

    try:
        return SandboxConfig(**options)
    except ValueError as error:
        raise UsageError(
            str(error)
            .replace("token_ttl", "--token-ttl")
            .replace("cors_origins", "--cors-origin")
            .replace("webhook_url", "--webhook-url")
        ) from None


def _write_private(path: Path, text: str) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            # An existing file keeps its old mode on open: tighten it before the secrets go in.
            os.fchmod(stream.fileno(), 0o600)
            stream.write(text + "\n")
    except OSError as error:
        raise UsageError(f"cannot write --credentials-out {path}: {error.strerror}") from None


@contextmanager
def _logging_to_stderr(secrets: list[str]) -> Iterator[None]:
    import logging  # noqa: PLC0415 - keeps --help fast

    class _RedactingFormatter(logging.Formatter):
        """Log lines (tracebacks included) with the sandbox's secrets and anything token-shaped removed."""

        def __init__(self, secrets: list[str]) -> None:
            super().__init__("sandbox: %(message)s")
            self._secrets = secrets

        def format(self, record: logging.LogRecord) -> str:
            return redact_text(super().format(record), self._secrets)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(secrets))
    loggers = [logging.getLogger(name) for name in ("tallyfy_diag.sandbox", "uvicorn.error")]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def run_sandbox(args: argparse.Namespace) -> int:
    if getattr(args, "list_scenarios", False):
        print(listing(SERVER_SCENARIOS), end="")
        return ExitCode.OK
    import json  # noqa: PLC0415 - keeps --help fast

    from tallyfy_diag.sandbox._signing import prepare_signing_key  # noqa: PLC0415

    config = _config(args)
    prepare_signing_key(config.seed)  # generated in the background while the server stack is imported
    from tallyfy_diag.sandbox import Sandbox  # noqa: PLC0415

    sandbox = Sandbox(config, host=args.host, port=args.port)
    credentials = sandbox.credentials
    secrets = [credentials.client_secret, credentials.password, credentials.app_client_secret]
    with _logging_to_stderr(secrets):
        try:
            sandbox.start()
        except OSError as error:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
        try:
            line = json.dumps({"base_url": sandbox.base_url, **credentials.to_dict()}, separators=(",", ":"))
            if args.credentials_out is not None:
                _write_private(args.credentials_out, line)
            if args.host not in _LOOPBACK:
                print(f"warning: serving demo credentials on {args.host}, beyond this machine", file=sys.stderr)
            print(line, flush=True)
            print(f"sandbox: serving {sandbox.base_url} (scenario {config.scenario}); Ctrl-C stops", file=sys.stderr)
        except BaseException:
            sandbox.stop()
            raise
        serve_until_interrupted(sandbox)
    print("sandbox: stopped", file=sys.stderr)
    return ExitCode.OK
