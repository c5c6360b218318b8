"""`tallyfy-diag cors`: the command against real sandboxes over loopback HTTP, its usage errors, its formats,
and the simulator details the browser tests (tests/browser) found."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tallyfy_diag.diagnostics import Header, Response, cors
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

from .conftest import DATA, Run

ORIGIN = "http://localhost:3000"
CALL = "the page's call"
ERROR = "an error response"


@pytest.fixture(scope="module")
def allowed() -> Iterator[Sandbox]:
    """One sandbox that allows ORIGIN, for the tests that do not need a scenario of their own."""
    with Sandbox(SandboxConfig(scenario="cors-allowed")) as sandbox:
        yield sandbox


def finding(run: Run, label_start: str) -> dict[str, Any]:
    """What cors-preflight found on one exchange (the report has one finding per check, listing each)."""
    (check,) = [item for item in run.json()["findings"] if item["check"] == "cors-preflight"]
    listed = check["evidence"].get("exchanges") or [{**check, "exchange": check["evidence"].get("exchange", "")}]
    found: list[dict[str, Any]] = [
        {**item, "evidence": {**item["evidence"], "exchange": item["exchange"]}}
        for item in listed
        if item["exchange"].startswith(label_start)
    ]
    assert len(found) == 1, run.out
    return found[0]


def verdict(item: dict[str, Any]) -> tuple[str, str | None]:
    return item["status"], item["evidence"].get("cors_error")


SCENARIOS = [
    # scenario, extra arguments, the page's call, the error response
    ("default", (), ("fail", "PreflightMissingAllowOriginHeader"), ("fail", "PreflightMissingAllowOriginHeader")),
    ("cors-allowed", (), ("pass", None), ("pass", None)),
    ("cors-allowed", ("--with-credentials",), ("pass", None), ("pass", None)),
    (
        "cors-missing-client-header",
        (),
        ("fail", "HeaderDisallowedByPreflightResponse"),
        ("fail", "HeaderDisallowedByPreflightResponse"),
    ),
    ("cors-wildcard-credentials", (), ("pass", None), ("pass", None)),
    (
        "cors-wildcard-credentials",
        ("--with-credentials",),
        ("fail", "PreflightWildcardOriginNotAllowed"),
        ("fail", "PreflightWildcardOriginNotAllowed"),
    ),
    ("cors-wildcard-origin", (), ("pass", None), ("pass", None)),
    ("cors-options-401", (), ("fail", "PreflightInvalidStatus"), ("fail", "PreflightInvalidStatus")),
    ("cors-no-origin-on-error", (), ("pass", None), ("fail", "MissingAllowOriginHeader")),
    ("cors-allow-headers-wildcard", (), ("warn", None), ("warn", None)),
    (
        "cors-allow-headers-wildcard",
        ("--with-credentials",),
        ("fail", "HeaderDisallowedByPreflightResponse"),
        ("fail", "HeaderDisallowedByPreflightResponse"),
    ),
    ("cors-methods-without-put", (), ("pass", None), ("pass", None)),
    ("cors-methods-without-put", ("--method", "PUT"), ("fail", "MethodDisallowedByPreflightResponse"), ("pass", None)),
    (
        "cors-origin-trailing-slash",
        (),
        ("fail", "PreflightAllowOriginMismatch"),
        ("fail", "PreflightAllowOriginMismatch"),
    ),
    ("cors-no-expose-headers", (), ("warn", None), ("warn", None)),
]


@pytest.mark.parametrize(("scenario", "extra", "call", "error"), SCENARIOS)
def test_every_cors_scenario_end_to_end(
    cli: Callable[..., Run],
    scenario: str,
    extra: tuple[str, ...],
    call: tuple[str, str | None],
    error: tuple[str, str | None],
) -> None:
    run = cli("cors", "--sandbox", "--scenario", scenario, *extra, "--format", "json")
    assert (verdict(finding(run, CALL)), verdict(finding(run, ERROR))) == (call, error)
    assert run.code == (1 if "fail" in (call[0], error[0]) else 0)
    report = run.json()
    assert (report["version"], report["mode"], report["target"]["sandbox"]) == (1, "cors", scenario)
    assert report["requests_made"] == 3


def test_a_warning_names_what_the_script_cannot_read(cli: Callable[..., Run]) -> None:
    run = cli("cors", "--sandbox", "--scenario", "cors-no-expose-headers", "--format", "json")
    call, error = finding(run, CALL), finding(run, ERROR)
    assert call["evidence"]["hidden_response_headers"] == ["x-request-id"]
    assert set(error["evidence"]["hidden_response_headers"]) == {"x-request-id", "www-authenticate"}
    assert "content-type" in error["evidence"]["readable_response_headers"]
    assert "cannot read" in call["title"]


def test_authorization_covered_by_a_wildcard_is_a_warning_with_the_devtools_issue_name(
    cli: Callable[..., Run],
) -> None:
    run = cli("cors", "--sandbox", "--scenario", "cors-allow-headers-wildcard", "--format", "json")
    call = finding(run, CALL)
    assert call["title"].startswith("AuthorizationCoveredByWildcard: Authorization will not be covered")
    assert call["evidence"]["fetch"] == "resolved"
    assert "Authorization" in call["fix"]


def test_the_human_report_reads_like_devtools(cli: Callable[..., Run]) -> None:
    run = cli("cors", "--sandbox", "--scenario", "cors-missing-client-header", "--color", "never")
    assert run.code == 1
    out = run.out
    assert "Preflight: OPTIONS http://127.0.0.1:" in out
    assert "Access-Control-Request-Headers: authorization,x-tallyfy-client" in out
    assert "access-control-allow-headers: Accept, Authorization, Content-Type" in out
    assert "fail  preflight  Access-Control-Allow-Headers" in out
    assert "[HeaderDisallowedByPreflightResponse]" in out
    assert "fetch() rejects: TypeError: Failed to fetch" in out
    assert (
        f"DevTools: Access to fetch at '{out.split('Preflight: OPTIONS ')[1].split(' ')[0]}' from origin '{ORIGIN}'"
        " has been blocked by CORS policy: Request header field x-tallyfy-client is not allowed" in out
    )
    assert "Preflight: the same as above" in out  # the error probe reuses the cached preflight
    assert out.rstrip().endswith("3 request(s) made")


def test_a_put_is_judged_by_its_preflight_and_never_sent(cli: Callable[..., Run]) -> None:
    run = cli(
        "cors", "--sandbox", "--scenario", "cors-allowed", "--method", "put", "--path", "/organizations/{org}/runs/x"
    )
    assert "method=PUT" in run.out
    assert "not sent: PUT is not safe" in run.out
    assert "fetch() gets past the preflight; the call itself was not sent" in run.out
    assert "Access-Control-Request-Headers: authorization,content-type,x-tallyfy-client" in run.out
    # The PUT's preflight, the error probe's own preflight (a GET), the error probe: never the PUT itself.
    assert run.out.rstrip().endswith("3 request(s) made")
    assert run.code == 0


def test_without_a_token_only_the_preflight_and_the_error_are_asked(cli: Callable[..., Run], allowed: Sandbox) -> None:
    run = cli("cors", "--origin", ORIGIN, "--base-url", allowed.base_url, "--format", "json")
    report = run.json()
    assert report["requests_made"] == 2
    assert report["target"]["token"] == "none"
    assert "(not sent: no token)" in finding(run, CALL)["evidence"]["exchange"]
    assert verdict(finding(run, ERROR)) == ("pass", None)


def test_headers_can_be_added_replaced_and_removed(cli: Callable[..., Run], allowed: Sandbox) -> None:
    base = ("cors", "--origin", ORIGIN, "--base-url", allowed.base_url, "--format", "json")
    run = cli(*base, "--header", "X-Tallyfy-Client:", "--header", "X-Trace: 1")
    assert finding(run, CALL)["evidence"]["preflight"]["headers"]["Access-Control-Request-Headers"] == (
        "authorization,x-trace"
    )
    simple = cli(*base, "--header", "Authorization:", "-H", "X-Tallyfy-Client:", "--token", "t0ken-value-123")
    call = finding(simple, CALL)
    assert call["evidence"]["preflight"]["needed"] is False
    assert simple.json()["requests_made"] == 2  # no preflight: the call and the error probe
    assert "the response allows it" in call["title"]


def test_a_server_that_cannot_be_reached_is_a_connectivity_failure(cli: Callable[..., Run]) -> None:
    with socket.socket() as held:  # bound, never listening: connections are refused, and no one else gets it
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        run = cli("cors", "--origin", ORIGIN, "--base-url", f"http://127.0.0.1:{port}/api", "--format", "json")
    assert run.code == 1
    report = run.json()
    assert [(item["check"], item["status"]) for item in report["findings"]] == [("connectivity", "fail")]
    assert report["requests_made"] == 1
    assert "Traceback" not in run.err


def test_the_origin_is_serialized_like_a_browser_does(cli: Callable[..., Run], allowed: Sandbox) -> None:
    run = cli("cors", "--origin", "HTTP://LOCALHOST:3000/", "--base-url", allowed.base_url, "--format", "json")
    assert run.json()["target"]["origin"] == ORIGIN
    assert run.code == 0


@pytest.mark.parametrize("source", ["flag", "stdin", "environment"])
@pytest.mark.parametrize("output_format", ["human", "json", "junit", "markdown"])
def test_the_token_never_appears_in_any_format(
    cli: Callable[..., Run],
    allowed: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    output_format: str,
) -> None:
    token = allowed.mint_access_token()
    base = ("cors", "--origin", ORIGIN, "--base-url", allowed.base_url, "--format", output_format)
    if source == "flag":
        run = cli(*base, "--token", token)
    elif source == "stdin":
        run = cli(*base, "--token", "-", stdin=token + "\n")
    else:
        monkeypatch.setenv("TALLYFY_API_TOKEN", token)
        run = cli(*base)
    assert run.code == 0, run.out
    for part in (token, *token.split(".")):
        assert part not in run.out
        assert part not in run.err
    if output_format == "junit":
        assert ET.fromstring(run.out.split("\n", 1)[1]).tag == "testsuites"


def test_the_report_can_go_to_a_file(cli: Callable[..., Run], allowed: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "cors.txt"
    run = cli("cors", "--origin", ORIGIN, "--base-url", allowed.base_url, "--output", str(target))
    assert (run.code, run.out) == (0, "")
    text = target.read_text(encoding="utf-8")
    assert text.startswith(f"A page at {ORIGIN} calls GET ")
    assert "PASS  cors-preflight" in text
    unwritable = cli("cors", "--origin", ORIGIN, "--base-url", allowed.base_url, "-o", str(tmp_path / "no" / "x"))
    assert unwritable.code == 2
    assert unwritable.err.startswith("error: cannot write")


def test_listing_scenarios_and_checks(cli: Callable[..., Run]) -> None:
    scenarios = cli("cors", "--list-scenarios")
    names = [line.split()[0] for line in scenarios.out.splitlines()]
    assert {"cors-allowed", "cors-origin-trailing-slash", "cors-no-expose-headers"} <= set(names)
    assert "cors-preflight" in cli("cors", "--list-checks").out


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (("--base-url", "http://127.0.0.1:9/api"), "", "--origin is required"),
        (("--origin", "localhost:3000", "--base-url", "http://127.0.0.1:9/api"), "", "is not an origin"),
        (("--origin", ORIGIN), "", "--base-url (or TALLYFY_BASE_URL) is required"),
        (("--sandbox", "--base-url", "http://127.0.0.1:9/api"), "", "exclusive"),
        (("--origin", ORIGIN, "--scenario", "cors-allowed"), "", "--scenario needs --sandbox"),
        (("--sandbox", "--scenario", "nope"), "", "unknown scenario 'nope'"),
        (("--sandbox", "--header", "X-Tallyfy-Client APIClient"), "", "--header wants 'Name: value'"),
        (("--sandbox", "--header", "Origin: https://evil.example"), "", "a browser sets this header itself"),
        (("--sandbox", "--header", "X-A: b\x01"), "", "control characters"),
        (("--sandbox", "--method", "TRACE"), "", "fetch() refuses it"),
        (("--sandbox", "--method", "GE T"), "", "is not an HTTP method"),
        (("--sandbox", "--path", "me"), "", "--path must start with /"),
        (("--sandbox", "--path", "/me\r\nX-Injected: y"), "", "--path must not contain spaces or control"),
        (("--sandbox", "--path", "/me x"), "", "--path must not contain spaces or control"),
        (("--origin", ORIGIN, "--base-url", "http://[::1/api"), "", "--base-url is not a parseable URL"),
        (("--origin", ORIGIN, "--base-url", "ftp://127.0.0.1:9/api"), "", "--base-url must be http(s)"),
        (("--origin", ORIGIN, "--base-url", "http://127.0.0.1:9/a\r\npi"), "", "--base-url must not contain spaces"),
        (("--sandbox", "--check", "no-such-check"), "", "unknown check id no-such-check"),
        (("--sandbox", "--token", "-"), "", "no token on stdin"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    cli: Callable[..., Run], arguments: tuple[str, ...], stdin: str, message: str
) -> None:
    run = cli("cors", *arguments, stdin=stdin)
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert message in run.err


@pytest.mark.parametrize("command", ["cors", "doctor"])
@pytest.mark.parametrize("seconds", ["inf", "1e309", "nan", "-1", "0", "1e12", "ten"])
def test_a_timeout_must_be_a_finite_positive_number_of_seconds(
    cli: Callable[..., Run], command: str, seconds: str
) -> None:
    # Parsed before anything is sent: the base URL is never contacted.
    run = cli(command, "--base-url", "http://127.0.0.1:9/api", "--origin", ORIGIN, "--timeout", seconds)
    assert (run.code, run.out) == (2, "")
    assert run.err.count("\n") == 1
    assert "argument --timeout: must be a number of seconds above 0" in run.err


def test_a_base_url_from_the_environment_is_checked_under_its_name(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLYFY_BASE_URL", "http://[::1/api")
    run = cli("cors", "--origin", ORIGIN)
    assert (run.code, run.out) == (2, "")
    assert "TALLYFY_BASE_URL is not a parseable URL" in run.err


def test_a_path_with_a_secret_is_never_echoed(cli: Callable[..., Run]) -> None:
    run = cli("cors", "--sandbox", "--path", "/me?api_key=s3cr3t-value x")
    assert run.code == 2
    assert "s3cr3t" not in run.err


@pytest.mark.parametrize(
    "origin", ["notanorigin", "http://x/path", "https://app.example/?q=1", "https://a@app.example"]
)
@pytest.mark.parametrize(
    "command",
    [
        ("cors", "--base-url", "http://127.0.0.1:9/api"),
        ("explain", str(DATA / "good_get.sh")),
        ("doctor", "--base-url", "http://127.0.0.1:9/api", "--token", "x"),
        ("doctor", "--sandbox"),
    ],
)
def test_an_invalid_origin_is_bad_usage_in_every_command(
    cli: Callable[..., Run], command: tuple[str, ...], origin: str
) -> None:
    run = cli(*command, "--origin", origin)
    assert (run.code, run.out) == (2, "")
    assert run.err.count("\n") == 1
    assert "--origin" in run.err
    assert "https://app.example.com" in run.err


def test_a_trailing_slash_on_an_origin_is_dropped(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("cors_ok.har")), "--origin", "http://localhost:3000/", "--format", "json")
    assert run.json()["target"]["origin"] == "http://localhost:3000"


def test_the_base_url_may_come_from_the_environment(
    cli: Callable[..., Run], allowed: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLYFY_BASE_URL", allowed.base_url)
    run = cli("cors", "--origin", ORIGIN, "--format", "json")
    assert run.json()["target"]["base_url"] == allowed.base_url


# ------------------------------------------------------------------- simulator details found by the browser


@pytest.mark.parametrize(
    ("given", "sent"),
    [("get", "GET"), ("Put", "PUT"), ("delete", "DELETE"), ("patch", "patch"), ("PATCH", "PATCH"), ("Foo", "Foo")],
)
def test_fetch_upper_cases_only_the_six_standard_methods(given: str, sent: str) -> None:
    assert cors.normalize_method(given) == sent
    assert cors.predict_preflight(given, "https://api.example.test/me", [], ORIGIN).method == sent


def test_origin_errors_carry_chromiums_hint() -> None:
    answer = Response(204, headers=(Header("Access-Control-Allow-Origin", ORIGIN + "/"),))
    predicted = cors.predict_preflight("GET", "https://api.example.test/me", [("X-Tallyfy-Client", "a")], ORIGIN)
    error, _ = cors.check_preflight(predicted, answer, credentials=False)
    assert error is not None
    assert error.message == (
        "Response to preflight request doesn't pass access control check: The 'Access-Control-Allow-Origin' header"
        f" has a value '{ORIGIN}/' that is not equal to the supplied origin. Have the server send the header with a"
        " valid value."
    )


def test_the_first_error_follows_chromiums_order_not_the_display_order() -> None:
    # Both lists are checked: an unparsable Allow-Headers is reported before a disallowed method.
    answer = Response(
        204,
        headers=(
            Header("Access-Control-Allow-Origin", ORIGIN),
            Header("Access-Control-Allow-Methods", "GET"),
            Header("Access-Control-Allow-Headers", "x;y"),
        ),
    )
    predicted = cors.predict_preflight("PUT", "https://api.example.test/me", [("X-Tallyfy-Client", "a")], ORIGIN)
    rules = cors.preflight_rules(predicted, answer, credentials=False)
    assert [rule.outcome for rule in rules] == ["pass", "pass", "fail", "fail"]
    error = cors.browser_error(rules)
    assert error is not None
    assert error.name == "InvalidAllowHeadersPreflightResponse"
