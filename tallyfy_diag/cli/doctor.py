"""`tallyfy-diag doctor`: probe the API cheaply and name the root cause of what fails; `--sandbox` runs the
same diagnosis against a local sandbox, optionally reproducing a documented failure (`--scenario`)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

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
    from tallyfy_diag.diagnostics._doctor import Credential, DoctorSettings
    from tallyfy_diag.diagnostics._scenarios import DoctorScenario
    from tallyfy_diag.sandbox import Sandbox

DESCRIPTION = """\
Diagnose a Tallyfy API integration live: a handful of cheap requests (the report says how many), judged by
the same checks as `explain`. On a 401 the doctor resends an idempotent GET changing one thing at a time and
reports which change fixes it.

Credentials, first match: --token (or TALLYFY_API_TOKEN); else client id and secret (--client-id,
--client-secret or TALLYFY_CLIENT_ID, TALLYFY_CLIENT_SECRET) with, for a user token, --username or
TALLYFY_USERNAME and a password from TALLYFY_PASSWORD, --password-stdin or a hidden prompt (never a flag).

`tallyfy-diag doctor --sandbox` starts a local sandbox that behaves like Tallyfy and diagnoses it;
`--scenario NAME` reproduces a documented failure (--list-scenarios).
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="diagnose live (or against a local sandbox with --sandbox)", description=DESCRIPTION
    )
    sandbox = parser.add_argument_group("sandbox")
    sandbox.add_argument("--sandbox", action="store_true", help="start a local sandbox and diagnose it")
    sandbox.add_argument("--scenario", metavar="NAME", help="with --sandbox: reproduce a documented failure")
    sandbox.add_argument("--list-scenarios", action="store_true", help="list the scenarios, then exit")
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", metavar="URL", help="default: TALLYFY_BASE_URL or https://go.tallyfy.com/api")
    target.add_argument("--token-url", metavar="URL", help="default: {base-url}/oauth/token")
    target.add_argument("--org", metavar="ORG", help="organization id (default: TALLYFY_ORG_ID)")
    target.add_argument(
        "--origin", metavar="ORIGIN", help=f"also check CORS for a browser page at ORIGIN: {ORIGIN_HELP}"
    )
    target.add_argument("--with-credentials", action="store_true", help="the page's calls include credentials")
    target.add_argument("--timeout", type=timeout_seconds, default=10.0, metavar="SECONDS", help=TIMEOUT_HELP)
    credentials = parser.add_argument_group("credentials")
    credentials.add_argument("--token", metavar="TOKEN", help="an access token; - reads it from stdin (safer)")
    credentials.add_argument("--client-id", metavar="ID")
    credentials.add_argument("--client-secret", metavar="SECRET", help="prefer TALLYFY_CLIENT_SECRET")
    credentials.add_argument("--username", metavar="EMAIL")
    credentials.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    credentials.add_argument(
        "--grant", choices=("auto", "password", "client_credentials"), default="auto", help="default: auto"
    )
    add_report_options(parser)
    parser.set_defaults(handler=handle)


def _stdin_line(what: str) -> str:
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UsageError(f"no {what} on stdin")
    return line.removesuffix("\n").removesuffix("\r")  # the pipe's newline, not the value's


def _from(flag: str | None, flag_name: str, variable: str) -> Credential | None:
    from tallyfy_diag.diagnostics._doctor import Credential  # noqa: PLC0415 - fast --help

    if flag is not None:
        return Credential(flag, flag_name)
    value = os.environ.get(variable)
    if value is not None and value.strip():
        return Credential(value, f"environment variable {variable}")
    return None


def check_complete_credentials(args: argparse.Namespace, token: Credential | None, username: Credential | None) -> None:
    """Half a credential is bad usage, not an 'Authorization header missing' finding; the client's settings
    decide what is complete, so the doctor and the client agree."""
    from tallyfy_diag.client import (  # noqa: PLC0415 - fast --help
        ENV_API_TOKEN,
        ENV_CLIENT_ID,
        ENV_CLIENT_SECRET,
        ENV_PASSWORD,
        ENV_USERNAME,
        ConfigurationError,
        settings_from_env,
    )

    if token is not None:
        return
    if args.grant == "password" and username is None:
        raise UsageError(f"--grant password needs a username: --username or {ENV_USERNAME}")
    flags = {ENV_CLIENT_ID: "--client-id", ENV_CLIENT_SECRET: "--client-secret", ENV_USERNAME: "--username"}
    given = {
        ENV_CLIENT_ID: _from(args.client_id, "--client-id", ENV_CLIENT_ID),
        ENV_CLIENT_SECRET: _from(args.client_secret, "--client-secret", ENV_CLIENT_SECRET),
        ENV_USERNAME: username,
    }
    environ = {name: credential.value for name, credential in given.items() if credential is not None}
    if username is not None:
        environ[ENV_PASSWORD] = "(asked for next)"  # a username always gets a password or a usage error
    try:
        settings_from_env(environ)
    except ConfigurationError as error:
        message = error.summary
        for variable, flag in flags.items():
            message = message.replace(variable, f"{flag} (or {variable})")
        raise UsageError(f"incomplete credentials: {message}; or give a token (--token or {ENV_API_TOKEN})") from None


def _live_settings(args: argparse.Namespace) -> DoctorSettings:
    from tallyfy_diag._constants import DEFAULT_BASE_URL  # noqa: PLC0415 - fast --help
    from tallyfy_diag.client import (  # noqa: PLC0415
        ENV_API_TOKEN,
        ENV_BASE_URL,
        ENV_CLIENT_ID,
        ENV_CLIENT_SECRET,
        ENV_ORG_ID,
        ENV_PASSWORD,
        ENV_USERNAME,
    )
    from tallyfy_diag.diagnostics._doctor import Credential, DoctorSettings  # noqa: PLC0415

    origin = parse_origin(args.origin) if args.origin else None
    if args.token == "-" and args.password_stdin:
        raise UsageError("--token - and --password-stdin both want stdin; give one of them another way")
    token = (
        Credential(_stdin_line("token"), "stdin") if args.token == "-" else _from(args.token, "--token", ENV_API_TOKEN)
    )
    username = _from(args.username, "--username", ENV_USERNAME)
    check_complete_credentials(args, token, username)
    base_url = args.base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    check_usable_url(base_url, "--base-url" if args.base_url else ENV_BASE_URL)
    if args.token_url:
        check_usable_url(args.token_url, "--token-url")
    password = None
    if username is not None and token is None:
        if args.password_stdin:
            password = Credential(_stdin_line("password"), "stdin")
        elif os.environ.get(ENV_PASSWORD):
            password = Credential(os.environ[ENV_PASSWORD], f"environment variable {ENV_PASSWORD}")
        elif sys.stdin is not None and sys.stdin.isatty():
            password = Credential(getpass.getpass(f"Password for {username.value} (input hidden): "), "prompt")
        else:
            raise UsageError(f"no password for {username.value}: set {ENV_PASSWORD} or use --password-stdin")
    return DoctorSettings(
        base_url=base_url,
        token_url=args.token_url,
        token=token,
        client_id=_from(args.client_id, "--client-id", ENV_CLIENT_ID),
        client_secret=_from(args.client_secret, "--client-secret", ENV_CLIENT_SECRET),
        username=username,
        password=password,
        grant=args.grant,
        org_id=args.org or os.environ.get(ENV_ORG_ID) or None,
        origin=origin,
        with_credentials=args.with_credentials,
        timeout=args.timeout,
    )


def sandbox_settings(scenario: DoctorScenario, sandbox: Sandbox, origin: str | None) -> DoctorSettings:
    """What a client with this scenario's mistake would be configured with, against this sandbox."""
    from tallyfy_diag.diagnostics._doctor import Credential, DoctorSettings  # noqa: PLC0415

    credentials = sandbox.credentials
    given = "the sandbox"
    token = None
    if scenario.grant == "token":
        token = Credential(
            sandbox.mint_access_token() + scenario.token_suffix, "environment variable TALLYFY_API_TOKEN"
        )
    elif scenario.grant == "expired-token":
        token = Credential(sandbox.mint_access_token(ttl=-120), "environment variable TALLYFY_API_TOKEN")
    password = credentials.password + ("-wrong" if scenario.wrong_password else "")
    return DoctorSettings(
        base_url=sandbox.root_url if scenario.root_paths else sandbox.base_url,
        token_url=sandbox.root_url + scenario.token_path if scenario.token_path else None,
        token=token,
        client_id=Credential(credentials.client_id, given),
        client_secret=Credential(credentials.client_secret + ("-wrong" if scenario.wrong_client_secret else ""), given),
        username=Credential(credentials.username, given),
        password=Credential(password, given),
        grant="client_credentials" if scenario.grant == "client_credentials" else "auto",
        org_id=credentials.org_id,
        origin=origin,
        with_credentials=scenario.with_credentials,
        client_header=scenario.client_header,
        authorization=scenario.authorization,
        token_body=scenario.token_body,
        grant_type_value=scenario.grant_type_value,
        omitted_parameter=scenario.omitted_parameter,
        burst=scenario.burst,
        day_first_deadline=scenario.day_first_deadline,
    )


def _list_scenarios() -> int:
    from tallyfy_diag.diagnostics._scenarios import DOCTOR_SCENARIOS  # noqa: PLC0415 - fast --help

    width = max(len(name) for name in DOCTOR_SCENARIOS)
    for name, scenario in DOCTOR_SCENARIOS.items():
        print(f"{name.ljust(width)}  {scenario.description}")
    return 0


def _run_sandbox(args: argparse.Namespace) -> int:
    from tallyfy_diag.diagnostics import UnknownCheckError  # noqa: PLC0415 - fast --help
    from tallyfy_diag.diagnostics._doctor import run_doctor  # noqa: PLC0415
    from tallyfy_diag.diagnostics._scenarios import DOCTOR_SCENARIOS  # noqa: PLC0415
    from tallyfy_diag.sandbox import Sandbox, SandboxConfig  # noqa: PLC0415
    from tallyfy_diag.sandbox._config import DEMO_ORIGIN  # noqa: PLC0415

    name = args.scenario or "default"
    scenario = DOCTOR_SCENARIOS.get(name)
    if scenario is None:
        raise UsageError(f"unknown scenario {name!r}; known: {', '.join(DOCTOR_SCENARIOS)}")
    origin = parse_origin(args.origin) if args.origin else (DEMO_ORIGIN if scenario.origin else None)
    with Sandbox(SandboxConfig(scenario=scenario.sandbox_scenario)) as sandbox:
        settings = sandbox_settings(scenario, sandbox, origin)
        try:
            report = run_doctor(settings, only=args.check, skip=args.skip, target={"sandbox": True, "scenario": name})
        except UnknownCheckError as error:
            raise UsageError(str(error)) from None
    return emit(report, args)


def handle(args: argparse.Namespace) -> int:
    if args.list_checks:
        return list_checks()
    if args.list_scenarios:
        return _list_scenarios()
    if args.scenario and not args.sandbox:
        raise UsageError("--scenario needs --sandbox")
    if args.sandbox:
        # The sandbox brings its own target and credentials: a live setting would be silently ignored.
        live = {
            "--org": args.org,
            "--base-url": args.base_url,
            "--token-url": args.token_url,
            "--token": args.token,
            "--client-id": args.client_id,
            "--client-secret": args.client_secret,
            "--username": args.username,
            "--password-stdin": args.password_stdin,
            "--grant": args.grant != "auto",
        }
        given = [flag for flag, value in live.items() if value]
        if given:
            raise UsageError(
                f"{', '.join(given)} cannot be used with --sandbox (it brings its own org and credentials)"
            )
        return _run_sandbox(args)
    from tallyfy_diag.diagnostics import UnknownCheckError  # noqa: PLC0415 - fast --help
    from tallyfy_diag.diagnostics._doctor import run_doctor  # noqa: PLC0415

    settings = _live_settings(args)
    try:
        report = run_doctor(settings, only=args.check, skip=args.skip)
    except UnknownCheckError as error:
        raise UsageError(str(error)) from None
    return emit(report, args)
