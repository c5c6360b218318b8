"""`tallyfy-diag cors` against headless Chromium: for every server configuration, the command's verdict must be
what the browser does.

A page on origin A (127.0.0.1, one port) calls servers on other origins (127.0.0.1, other ports) with fetch(),
sending exactly the headers the command models (X-Tallyfy-Client, Authorization, ...). Each configuration gets
its own server: a real `Sandbox` with a CORS scenario (the issue's configurations), or a stub that answers with
fixed headers (edge cases of the Fetch rules). One Chromium launch runs every probe. Then the command runs with
`--format json` against the same server and must agree on each call: fetch() resolved or rejected, the error
Chromium printed (word for word), and which response headers the script could read.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest
from _harness import BrowserOutcome, Probe, find_chromium, page_server, run_in_chromium

import tallyfy_diag.cli
from tallyfy_diag.diagnostics._cors_probe import CorsSettings, script_headers
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

# What a Tallyfy page wants to read from a response (and one CORS-safelisted header, always readable).
READ_HEADERS = ("x-request-id", "www-authenticate", "retry-after", "x-ratelimit-remaining", "content-type")
UNKNOWN_RUN = "0" * 32
STUB_TOKEN = "stub-token-5f2c9a71"


@attrs.frozen
class Stub:
    """A server that answers every preflight and every call with fixed headers; `{origin}` is the caller's."""

    preflight: tuple[tuple[str, str], ...]
    response: tuple[tuple[str, str], ...] = (("Access-Control-Allow-Origin", "{origin}"),)
    preflight_status: int = 204


@attrs.frozen
class Case:
    name: str
    expect: str | None
    """The CORS error Chromium reports for the page's call, or None when fetch() resolves."""
    scenario: str | None = None
    """A sandbox scenario; the page's origin is added to the sandbox's allowed origins unless `allow_page` is off."""
    stub: Stub | None = None
    allow_page: bool = True
    method: str = "GET"
    credentials: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    """`--header` changes to the page's call."""
    expect_error_probe: str | None = None
    """For sandbox cases: the CORS error for a call with an invalid token (the command's error probe)."""


def allow_origin(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Origin", value)


def allow_headers(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Headers", value)


def allow_methods(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Methods", value)


def allow_credentials(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Credentials", value)


def expose_headers(value: str) -> tuple[str, str]:
    return ("Access-Control-Expose-Headers", value)


OK = allow_origin("{origin}")
STAR = allow_origin("*")
CREDENTIALS = allow_credentials("true")
NAMED_HEADERS = allow_headers("authorization, x-tallyfy-client")
REQUEST_ID = ("X-Request-Id", "r1")
SIMPLE = (("Authorization", ""), ("X-Tallyfy-Client", ""))
"""`--header` changes that leave a call with safelisted headers only: no preflight."""

SANDBOX_CASES = (
    Case("origin allowed", None, "cors-allowed", credentials=True),
    Case("origin allowed, PUT", None, "cors-allowed", method="PUT", credentials=True),
    Case(
        "origin not allowed",
        "PreflightMissingAllowOriginHeader",
        "cors-allowed",
        allow_page=False,
        expect_error_probe="PreflightMissingAllowOriginHeader",
    ),
    Case("wildcard origin without credentials", None, "cors-wildcard-origin"),
    Case(
        "wildcard origin with credentials",
        "PreflightWildcardOriginNotAllowed",
        "cors-wildcard-origin",
        credentials=True,
        expect_error_probe="PreflightWildcardOriginNotAllowed",
    ),
    Case(
        "wildcard origin and Allow-Credentials: true",
        "PreflightWildcardOriginNotAllowed",
        "cors-wildcard-credentials",
        credentials=True,
        expect_error_probe="PreflightWildcardOriginNotAllowed",
    ),
    Case(
        "Allow-Headers without x-tallyfy-client",
        "HeaderDisallowedByPreflightResponse",
        "cors-missing-client-header",
        expect_error_probe="HeaderDisallowedByPreflightResponse",
    ),
    Case("Allow-Headers * with Authorization", None, "cors-allow-headers-wildcard"),
    Case(
        "Allow-Headers * with Authorization and credentials",
        "HeaderDisallowedByPreflightResponse",
        "cors-allow-headers-wildcard",
        credentials=True,
        expect_error_probe="HeaderDisallowedByPreflightResponse",
    ),
    Case(
        "401 on OPTIONS",
        "PreflightInvalidStatus",
        "cors-options-401",
        credentials=True,
        expect_error_probe="PreflightInvalidStatus",
    ),
    Case(
        "no Allow-Origin on a 401",
        None,
        "cors-no-origin-on-error",
        credentials=True,
        expect_error_probe="MissingAllowOriginHeader",
    ),
    Case(
        "Allow-Methods without PUT",
        "MethodDisallowedByPreflightResponse",
        "cors-methods-without-put",
        method="PUT",
        credentials=True,
    ),
    Case(
        "trailing slash in the allowed origin",
        "PreflightAllowOriginMismatch",
        "cors-origin-trailing-slash",
        credentials=True,
        expect_error_probe="PreflightAllowOriginMismatch",
    ),
    Case("no Expose-Headers", None, "cors-no-expose-headers", credentials=True),
)

STUB_CASES = (
    Case("two Allow-Origin fields", "PreflightMultipleAllowOriginValues", stub=Stub((OK, OK, NAMED_HEADERS))),
    Case(
        "two origins in one field",
        "PreflightMultipleAllowOriginValues",
        stub=Stub((allow_origin("{origin}, {origin}"), NAMED_HEADERS)),
    ),
    Case("empty Allow-Origin", "PreflightInvalidAllowOriginValue", stub=Stub((allow_origin(""), NAMED_HEADERS))),
    Case("Allow-Origin null", "PreflightAllowOriginMismatch", stub=Stub((allow_origin("null"), NAMED_HEADERS))),
    Case(
        "Allow-Origin in upper case",
        "PreflightAllowOriginMismatch",
        stub=Stub((allow_origin("HTTP://127.0.0.1:1"), NAMED_HEADERS)),
    ),
    Case("Allow-Origin with spaces around it", None, stub=Stub((allow_origin("  {origin}  "), NAMED_HEADERS))),
    Case(
        "Allow-Credentials: True",
        "PreflightInvalidAllowCredentials",
        credentials=True,
        stub=Stub((OK, NAMED_HEADERS, allow_credentials("True")), (OK, CREDENTIALS)),
    ),
    Case(
        "Allow-Credentials twice",
        "PreflightInvalidAllowCredentials",
        credentials=True,
        stub=Stub((OK, NAMED_HEADERS, CREDENTIALS, CREDENTIALS), (OK, CREDENTIALS)),
    ),
    Case(
        "credentials, but not allowed on the response",
        "InvalidAllowCredentials",
        credentials=True,
        stub=Stub((OK, NAMED_HEADERS, CREDENTIALS), (OK,)),
    ),
    Case(
        "wildcard origin on the response only",
        "WildcardOriginNotAllowed",
        credentials=True,
        stub=Stub((OK, NAMED_HEADERS, CREDENTIALS), (STAR, CREDENTIALS)),
    ),
    Case(
        "Allow-Headers '*, Authorization' with credentials",
        "HeaderDisallowedByPreflightResponse",
        credentials=True,
        stub=Stub((OK, CREDENTIALS, allow_headers("*, Authorization")), (OK, CREDENTIALS)),
    ),
    Case("Allow-Headers in other cases", None, stub=Stub((OK, allow_headers("AUTHORIZATION, X-Tallyfy-Client")))),
    Case(
        "Allow-Headers over two fields",
        None,
        stub=Stub((OK, allow_headers("authorization"), allow_headers("x-tallyfy-client"))),
    ),
    Case("Allow-Headers with empty items", None, stub=Stub((OK, allow_headers(",authorization,,x-tallyfy-client,")))),
    Case(
        "Allow-Headers naming neither header",
        "HeaderDisallowedByPreflightResponse",
        stub=Stub((OK, allow_headers("x-other"))),
    ),
    Case(
        "a preflight that redirects",
        "PreflightDisallowedRedirect",
        stub=Stub((OK, NAMED_HEADERS, ("Location", "/elsewhere")), preflight_status=301),
    ),
    Case(
        "a 500 preflight without CORS headers",
        "PreflightMissingAllowOriginHeader",
        stub=Stub((NAMED_HEADERS,), preflight_status=500),
    ),
    Case("a 200 preflight", None, stub=Stub((OK, NAMED_HEADERS), preflight_status=200)),
    Case(
        "Allow-Methods that cannot be parsed, for a GET",
        "InvalidAllowMethodsPreflightResponse",
        stub=Stub((OK, NAMED_HEADERS, allow_methods("GET; PUT"))),
    ),
    Case(
        "Allow-Methods in lower case",
        "MethodDisallowedByPreflightResponse",
        method="PUT",
        stub=Stub((OK, allow_headers("authorization, content-type, x-tallyfy-client"), allow_methods("get, put"))),
    ),
    Case(
        "Allow-Methods * without credentials",
        None,
        method="DELETE",
        stub=Stub((OK, allow_headers("authorization, content-type, x-tallyfy-client"), allow_methods("*"))),
    ),
    Case(
        "Allow-Methods * with credentials",
        "MethodDisallowedByPreflightResponse",
        method="DELETE",
        credentials=True,
        stub=Stub(
            (OK, CREDENTIALS, allow_headers("authorization, content-type, x-tallyfy-client"), allow_methods("*")),
            (OK, CREDENTIALS),
        ),
    ),
    Case(
        "a lower-case patch is sent as written",
        "MethodDisallowedByPreflightResponse",
        method="patch",
        stub=Stub((OK, allow_headers("authorization, content-type, x-tallyfy-client"), allow_methods("PATCH"))),
    ),
    Case(
        "Allow-Headers * without Authorization in the call",
        None,
        headers=(("Authorization", ""),),
        stub=Stub((OK, allow_headers("*"))),
    ),
    Case(
        "Expose-Headers * without credentials",
        None,
        stub=Stub((STAR, NAMED_HEADERS), (STAR, expose_headers("*"), REQUEST_ID, ("WWW-Authenticate", "Bearer"))),
    ),
    Case(
        "Expose-Headers * with credentials",
        None,
        credentials=True,
        stub=Stub((OK, CREDENTIALS, NAMED_HEADERS), (OK, CREDENTIALS, expose_headers("*"), REQUEST_ID)),
    ),
    Case("a simple request without Allow-Origin", "MissingAllowOriginHeader", headers=SIMPLE, stub=Stub((OK,), ())),
    Case("a simple request, allowed", None, headers=SIMPLE, stub=Stub((), (OK, REQUEST_ID))),
)
CASES = SANDBOX_CASES + STUB_CASES


def _stub_server(stub: Stub) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status: int, headers: tuple[tuple[str, str], ...]) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"" if self.command in {"OPTIONS", "HEAD"} else b"{}"
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value.replace("{origin}", self.headers.get("Origin") or ""))
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:
            self.answer(stub.preflight_status, stub.preflight)

        def do_GET(self) -> None:
            self.answer(200, stub.response)

        do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_patch = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return  # Chromium drops idle connections when it stops

    return Server(("127.0.0.1", 0), Handler)


@attrs.frozen
class Target:
    """Where a case's calls go, and what the page saw there."""

    base_url: str
    path: str
    token: str
    call: BrowserOutcome
    error_probe: BrowserOutcome | None


@attrs.frozen
class BrowserRun:
    origin: str
    """The page's origin."""
    targets: dict[str, Target]


def _settings(case: Case, base_url: str, path: str, origin: str, token: str) -> CorsSettings:
    return CorsSettings(
        base_url=base_url,
        origin=origin,
        method=case.method,
        path=path,
        with_credentials=case.credentials,
        token=token,
        headers=case.headers,
    )


def _probe(name: str, settings: CorsSettings, token: str | None, method: str) -> Probe:
    """The fetch() a page makes: exactly the headers the command models for this call."""
    headers = {header.name: header.value for header in script_headers(attrs.evolve(settings, method=method), token)}
    return Probe(
        name=name,
        url=settings.url,
        method=method,
        headers=headers,
        credentials=settings.with_credentials,
        body=None if method in {"GET", "HEAD"} else "{}",
        read_headers=READ_HEADERS,
    )


MISSING_CHROMIUM = "Chromium not found (chromium or google-chrome on PATH, or $CHROME_BIN); .ci/run installs it"


def chromium_or_skip(found: str | None, ci: bool) -> str:
    """The browser to drive; without one a developer's run skips, but CI fails: there a skip would hide that
    the verdicts were never checked against a real browser."""
    if found is not None:
        return found
    if ci:
        pytest.fail(f"{MISSING_CHROMIUM} (CI=true: a missing browser fails the run)")
    pytest.skip(MISSING_CHROMIUM)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip(find_chromium(), running_in_ci())


def test_without_a_browser_ci_fails_and_a_developer_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        chromium_or_skip(None, ci=True)
    with pytest.raises(pytest.skip.Exception):
        chromium_or_skip(None, ci=False)
    assert chromium_or_skip("/usr/bin/chromium", ci=True) == "/usr/bin/chromium"
    monkeypatch.setenv("CI", "true")
    assert running_in_ci()
    monkeypatch.setenv("CI", "")
    assert not running_in_ci()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[BrowserRun]:
    """Every case's server, started; one Chromium run over all of them; what the page saw per case."""
    with ExitStack() as stack:
        page = stack.enter_context(page_server())
        places: dict[str, tuple[str, str, str]] = {}
        probes: list[Probe] = []
        for case in CASES:
            if case.stub is not None:
                server = _stub_server(case.stub)
                stack.callback(server.server_close)
                stack.callback(server.shutdown)
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
                base_url, path, token = f"http://127.0.0.1:{server.server_address[1]}/api", "/me", STUB_TOKEN
            else:
                assert case.scenario is not None
                origins = (page.origin,) if case.allow_page else ()
                sandbox = stack.enter_context(Sandbox(SandboxConfig(scenario=case.scenario, cors_origins=origins)))
                path = (
                    "/me" if case.method == "GET" else f"/organizations/{sandbox.credentials.org_id}/runs/{UNKNOWN_RUN}"
                )
                base_url, token = sandbox.base_url, sandbox.mint_access_token()
            places[case.name] = (base_url, path, token)
            settings = _settings(case, base_url, path, page.origin, token)
            probes.append(_probe(f"{case.name}: call", settings, token, case.method))
            if case.scenario is not None:
                probes.append(_probe(f"{case.name}: error", settings, None, "GET"))
        seen = {outcome.name: outcome for outcome in run_in_chromium(chromium, page, probes)}
        yield BrowserRun(
            page.origin,
            {
                name: Target(base_url, path, token, seen[f"{name}: call"], seen.get(f"{name}: error"))
                for name, (base_url, path, token) in places.items()
            },
        )


@pytest.fixture
def cors_command(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, dict[str, Any]]]:
    """`tallyfy-diag cors ... --format json`, in-process: (exit code, report)."""

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        with redirect_stdout(out):
            code = tallyfy_diag.cli.main(["cors", *args, "--format", "json"])
        return code, json.loads(out.getvalue())

    return run


def _finding(report: dict[str, Any], label_start: str) -> dict[str, Any]:
    """What cors-preflight found on one exchange (one finding per check lists each exchange it judged)."""
    (check,) = [finding for finding in report["findings"] if finding["check"] == "cors-preflight"]
    listed = check["evidence"].get("exchanges") or [{**check, "exchange": check["evidence"].get("exchange", "")}]
    found = [
        {**item, "evidence": {**item["evidence"], "exchange": item["exchange"]}}
        for item in listed
        if item["exchange"].startswith(label_start)
    ]
    assert len(found) == 1, [item["title"] for item in listed]
    return found[0]


def assert_agree(browser: BrowserOutcome, finding: dict[str, Any], expected: str | None) -> None:
    """The command's verdict on one call is what Chromium did with it."""
    facts = finding["evidence"]
    assert browser.ok is (finding["status"] != "fail"), (browser, finding["title"])
    if not browser.ok:
        assert browser.error == "TypeError: Failed to fetch"
        assert facts["fetch"] == "rejected"
        # DevTools wording, word for word: Chromium's console line is the command's message. With several
        # headers missing Chromium names one of them in an order of its own (neither sorted nor as sent).
        message = facts["devtools_message"]
        missing = facts.get("disallowed_headers", [])
        accepted = {message} | {message.replace(f"field {missing[0]} ", f"field {name} ") for name in missing}
        assert browser.console in accepted
    if "readable_response_headers" in facts:
        predicted = {name for name in READ_HEADERS if name in facts["readable_response_headers"]}
        assert browser.readable_names() == predicted
    assert facts.get("cors_error") == expected, finding["title"]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_command_agrees_with_chromium(
    case: Case, browser: BrowserRun, cors_command: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    target = browser.targets[case.name]
    arguments = [
        "--origin",
        browser.origin,
        "--base-url",
        target.base_url,
        "--path",
        target.path,
        "--method",
        case.method,
    ]
    arguments += ["--token", target.token, *(["--with-credentials"] if case.credentials else [])]
    for name, value in case.headers:
        arguments += ["--header", f"{name}: {value}"]
    code, report = cors_command(*arguments)
    assert (report["version"], report["mode"]) == (1, "cors")
    call = _finding(report, "the page's call")
    assert_agree(target.call, call, case.expect)
    if target.error_probe is not None:
        assert_agree(target.error_probe, _finding(report, "an error response"), case.expect_error_probe)
    failed = any(finding["status"] == "fail" for finding in report["findings"])
    assert code == (1 if failed else 0)
    assert target.token not in json.dumps(report)


def test_what_a_script_can_read_depends_on_expose_headers(browser: BrowserRun) -> None:
    # The agreement test compares readable headers only where the command saw the response; pin the browser
    # facts it rests on, so that a page that could read nothing would not pass unnoticed.
    exposed = browser.targets["origin allowed"].error_probe
    hidden = browser.targets["no Expose-Headers"].error_probe
    assert exposed is not None
    assert hidden is not None
    assert exposed.readable_names() == {"x-request-id", "www-authenticate", "content-type"}
    assert hidden.readable_names() == {"content-type"}
