"""`tallyfy-diag doctor`: every sandbox scenario diagnosed end to end over real HTTP, the live mode against a
sandbox on loopback, credentials and their provenance, isolation, and the request budget."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tallyfy_diag.diagnostics._references import is_public_reference
from tallyfy_diag.diagnostics._scenarios import DOCTOR_SCENARIOS
from tallyfy_diag.sandbox import Sandbox

from .conftest import Run

# scenario: (checks that fail, the root cause some finding names, a check id and a phrase of its title)
EXPECTED: dict[str, tuple[set[str], str | None, tuple[str, str] | None]] = {
    "default": (set(), None, None),
    "application-token": (
        {"grant-type", "unauthenticated"},
        "grant-type",
        ("unauthenticated", "'use a user token (password grant)' turns it into 200"),
    ),
    "expired-token": ({"token-expiry", "unauthenticated"}, "token-expiry", ("token-expiry", "token expired")),
    "missing-client-header": (
        {"client-header", "endpoint-not-found", "oauth-error"},
        "client-header",
        ("endpoint-not-found", "root cause client-header, confirmed"),
    ),
    "missing-client-header-401": (
        {"client-header", "unauthenticated", "oauth-error"},
        "client-header",
        ("unauthenticated", "401 root cause (client-header): confirmed"),
    ),
    "malformed-auth-header": (
        {"auth-header", "unauthenticated"},
        "auth-header",
        ("auth-header", "2 spaces after `Bearer`"),
    ),
    "token-trailing-newline": ({"auth-header"}, None, ("auth-header", "U+000A LINE FEED")),
    "wrong-token-request": ({"token-request", "oauth-error"}, None, ("oauth-error", "unsupported_grant_type")),
    "wrong-token-url": (
        {"endpoint-not-found", "oauth-error"},
        "base-url",
        ("endpoint-not-found", "'add the /api prefix to the token URL' turns it into 200"),
    ),
    "wrong-grant-type": (
        {"token-request", "oauth-error", "grant-type", "unauthenticated"},
        "grant-type",
        ("token-request", "unknown grant_type 'client_credential'"),
    ),
    "missing-token-parameter": (
        {"token-request", "oauth-error"},
        None,
        ("token-request", "grant_type=password needs client_secret"),
    ),
    "wrong-credentials": ({"oauth-error"}, None, ("oauth-error", "invalid_grant")),
    "wrong-client-secret": ({"oauth-error", "unauthenticated"}, None, ("oauth-error", "401 invalid_client")),
    "wrong-base-url": (
        {"endpoint-not-found", "oauth-error"},
        "base-url",
        ("endpoint-not-found", "'add the /api prefix' turns it into 200"),
    ),
    "rate-limited": ({"rate-limit"}, None, ("rate-limit", "429 rate-limited: wait")),
    "clock-skew": ({"clock-skew"}, None, ("clock-skew", "behind the server")),
    "short-token-ttl": (set(), None, ("token-expiry", "expires within")),
    "dates": ({"date-format"}, None, ("date-format", "day-first")),
    "cors-not-allowed": ({"cors-preflight"}, None, ("cors-preflight", "PreflightMissingAllowOriginHeader")),
    "cors-allowed": (set(), None, ("cors-preflight", "may make this call")),
    "cors-missing-client-header": (
        {"cors-preflight"},
        None,
        ("cors-preflight", "HeaderDisallowedByPreflightResponse: Request header field x-tallyfy-client"),
    ),
    "cors-wildcard-credentials": ({"cors-preflight"}, None, ("cors-preflight", "PreflightWildcardOriginNotAllowed")),
    "cors-options-401": ({"cors-preflight"}, None, ("cors-preflight", "PreflightInvalidStatus")),
    "cors-no-origin-on-error": ({"cors-preflight"}, None, ("cors-preflight", "MissingAllowOriginHeader")),
    # A page that sends no credentials may use a wildcard origin; the doctor's page only GETs (PUT is not asked).
    "cors-wildcard-origin": (set(), None, ("cors-preflight", "may make this call")),
    "cors-allow-headers-wildcard": (set(), None, ("cors-preflight", "AuthorizationCoveredByWildcard")),
    "cors-methods-without-put": (set(), None, ("cors-preflight", "may make this call")),
    "cors-origin-trailing-slash": ({"cors-preflight"}, None, ("cors-preflight", "PreflightAllowOriginMismatch")),
    "cors-no-expose-headers": (set(), None, ("cors-preflight", "cannot read www-authenticate, x-request-id")),
    "unavailable": ({"oauth-error", "connectivity"}, None, ("connectivity", "503")),
}
BUDGET = 8
"""The most requests any scenario may take (Tallyfy allows about 100 a minute per organization)."""


def test_every_scenario_has_an_expectation() -> None:
    assert set(EXPECTED) == set(DOCTOR_SCENARIOS)


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario_is_diagnosed_end_to_end(cli: Callable[..., Run], scenario: str) -> None:
    failing, root, phrase = EXPECTED[scenario]
    run = cli("doctor", "--sandbox", "--scenario", scenario, "--format", "json")
    report = run.json()
    assert report["mode"] == "doctor"
    assert report["target"]["scenario"] == scenario
    assert {f["check"] for f in report["findings"] if f["status"] == "fail"} == failing
    assert run.code == (1 if failing else 0)
    assert 1 <= report["requests_made"] <= BUDGET
    if root is not None:
        assert root in {f["evidence"].get("root_cause") for f in report["findings"]}
    if phrase is not None:
        check, text = phrase
        (found,) = [f for f in report["findings"] if f["check"] == check]
        titles = [found["title"], *(item["title"] for item in found["evidence"].get("exchanges", []))]
        assert any(text in title for title in titles), titles
    # Users can open every reference, and never meet the word "seed".
    assert all(is_public_reference(f["reference"]) for f in report["findings"])
    assert "seed" not in run.out.lower()


def test_the_main_job_command_exits_0(cli: Callable[..., Run]) -> None:
    run = cli("doctor", "--sandbox")
    assert run.code == 0, run.out
    assert "0 fail" in run.out
    assert "4 request(s) made" in run.out


def test_the_newline_is_traced_to_its_environment_variable(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--sandbox", "--scenario", "token-trailing-newline", "--format", "json").json()
    (finding,) = [f for f in report["findings"] if f["check"] == "auth-header" and f["status"] == "fail"]
    assert "environment variable TALLYFY_API_TOKEN" in finding["detail"]


def failures(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == check and f["status"] == "fail"]


def test_a_wrong_token_url_is_fixed_to_the_seed_token_endpoint(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--sandbox", "--scenario", "wrong-token-url", "--format", "json").json()
    (finding,) = failures(report, "endpoint-not-found")
    assert finding["evidence"]["path"] == "/oauth/token"
    assert "https://go.tallyfy.com/api/oauth/token" in finding["fix"]
    (oauth,) = failures(report, "oauth-error")
    assert "without an OAuth error" in oauth["title"]
    # Isolation found the right URL, so the rest of the setup was diagnosed with the token it got.
    assert {f["check"] for f in report["findings"] if f["status"] == "pass"} >= {"grant-type", "unauthenticated"}


def test_a_missing_token_parameter_is_named_by_the_request_and_the_server(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--sandbox", "--scenario", "missing-token-parameter", "--format", "json").json()
    (request,) = failures(report, "token-request")
    assert "confirmed: 'send the missing client_secret' gets a token (200)" in request["detail"]
    (oauth,) = failures(report, "oauth-error")
    assert (oauth["evidence"]["error"], oauth["evidence"]["hint"]) == (
        "invalid_request",
        "Check the `client_secret` parameter",
    )


def test_a_misspelt_grant_type_is_unsupported_and_its_spelling_fixes_it(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--sandbox", "--scenario", "wrong-grant-type", "--format", "json").json()
    assert report["target"]["credentials"].startswith("client credentials")
    (request,) = failures(report, "token-request")
    assert "confirmed: 'send grant_type=client_credentials' gets a token (200)" in request["detail"]
    assert request["evidence"]["grant_type"] == "client_credential"
    (oauth,) = failures(report, "oauth-error")
    assert oauth["title"] == "400 unsupported_grant_type"
    assert "grant_type=password, client_credentials or refresh_token" in oauth["fix"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def live_environment(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, **overrides: str) -> None:
    credentials = sandbox.credentials
    values = {
        "TALLYFY_BASE_URL": sandbox.base_url,
        "TALLYFY_CLIENT_ID": credentials.client_id,
        "TALLYFY_CLIENT_SECRET": credentials.client_secret,
        "TALLYFY_USERNAME": credentials.username,
        "TALLYFY_PASSWORD": credentials.password,
        "TALLYFY_ORG_ID": credentials.org_id,
        **overrides,
    }
    for name, value in values.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def test_live_doctor_with_the_environment(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox)
    run = cli("doctor", "--format", "json")
    report = run.json()
    assert run.code == 0, [f for f in report["findings"] if f["status"] == "fail"]
    assert report["target"]["credentials"] == "password grant (username from environment variable TALLYFY_USERNAME)"
    assert report["requests_made"] == 4


def test_live_doctor_reads_the_password_from_stdin(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox, TALLYFY_PASSWORD="")
    run = cli("doctor", "--password-stdin", "--format", "json", stdin=sandbox.credentials.password + "\n")
    assert run.code == 0


def test_live_doctor_without_a_password_is_bad_usage(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox, TALLYFY_PASSWORD="")
    run = cli("doctor")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "--password-stdin" in run.err


def test_live_doctor_with_a_token_from_stdin_and_an_origin(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox, TALLYFY_USERNAME="", TALLYFY_PASSWORD="")
    token = sandbox.mint_access_token()
    run = cli("doctor", "--token", "-", "--origin", "http://localhost:3000", "--format", "json", stdin=token + "\n")
    report = run.json()
    assert report["target"]["credentials"] == "token from stdin"
    cors = [f for f in report["findings"] if f["check"] == "cors-preflight"]
    # The default sandbox allows no origin, like Tallyfy: a browser page cannot call it.
    assert [f["evidence"]["cors_error"] for f in cors] == ["PreflightMissingAllowOriginHeader"]


def test_an_application_token_is_isolated_with_a_user_token(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox)
    run = cli("doctor", "--grant", "client_credentials", "--format", "json")
    (finding,) = [f for f in run.json()["findings"] if f["check"] == "unauthenticated" and f["status"] == "fail"]
    assert finding["evidence"]["fixed_by"] == "use a user token (password grant)"


def test_a_live_token_url_without_the_api_prefix_is_isolated(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox
) -> None:
    live_environment(monkeypatch, sandbox)
    run = cli("doctor", "--token-url", sandbox.root_url + "/oauth/token", "--format", "json")
    (finding,) = failures(run.json(), "endpoint-not-found")
    assert finding["evidence"]["fixed_by"] == "add the /api prefix to the token URL"
    assert sandbox.base_url + "/oauth/token" in finding["fix"]


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port bound but never listening: connections are refused, and nothing else can take it meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port: int = held.getsockname()[1]
        yield port


def test_a_refused_connection_is_a_connectivity_failure(cli: Callable[..., Run], refused_port: int) -> None:
    run = cli("doctor", "--base-url", f"http://127.0.0.1:{refused_port}/api", "--token", "abc", "--format", "json")
    report = run.json()
    assert run.code == 1
    (finding,) = [f for f in report["findings"] if f["check"] == "connectivity"]
    assert (finding["status"], finding["evidence"]["kind"]) == ("fail", "connect")
    assert report["requests_made"] == 1


def test_a_base_url_without_a_scheme_is_judged_without_sending(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--base-url", "go.tallyfy.com/api", "--token", "abc", "--format", "json").json()
    assert report["requests_made"] == 0
    assert [f["status"] for f in report["findings"] if f["check"] == "base-url"] == ["fail"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--scenario", "default"), "--scenario needs --sandbox"),
        (("--sandbox", "--scenario", "nope"), "unknown scenario 'nope'"),
        (("--sandbox", "--check", "nope"), "unknown check id nope"),
        (("--token", "-", "--password-stdin"), "both want stdin"),
        (("--timeout", "0"), "argument --timeout: must be a number of seconds above 0"),
        (("--sandbox", "--timeout", "inf"), "argument --timeout: must be a number of seconds above 0"),
        (("--sandbox", "--org", "other-org"), "--org cannot be used with --sandbox"),
        (("--sandbox", "--token", "x", "--base-url", "https://go.tallyfy.com/api"), "--base-url, --token cannot"),
    ],
)
def test_bad_doctor_usage(cli: Callable[..., Run], arguments: tuple[str, ...], message: str) -> None:
    run = cli("doctor", *arguments)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert message in run.err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--base-url", "http://[::1", "--token", "x"), "--base-url is not a parseable URL"),
        (("--base-url", "ftp://x/api", "--token", "x"), "--base-url must be http(s), not ftp://"),
        (("--base-url", "http://127.0.0.1:9/a\r\npi", "--token", "x"), "--base-url must not contain spaces"),
        (("--token-url", "http://127.0.0.1:9/oauth /token", "--token", "x"), "--token-url must not contain spaces"),
        (("--base-url", "http://127.0.0.1:9/api?x=1", "--token", "x"), "must not carry a query or fragment"),
        (("--base-url", "http://127.0.0.1:9/api#me", "--token", "x"), "must not carry a query or fragment"),
        (("--base-url", "https:///api", "--token", "x"), "--base-url has no host"),
        (("--token-url", "ftp://x/oauth/token", "--token", "x"), "--token-url must be http(s)"),
        (("--grant", "password", "--client-id", "1", "--client-secret", "x"), "--grant password needs a username"),
        (("--client-id", "1"), "incomplete credentials: --client-secret (or TALLYFY_CLIENT_SECRET) is not set"),
        (("--client-secret", "x"), "incomplete credentials: --client-id (or TALLYFY_CLIENT_ID) is not set"),
        (("--username", "a@example.test", "--client-id", "1"), "password grant needs --client-secret"),
    ],
)
def test_unusable_input_is_bad_usage_not_a_finding(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, arguments: tuple[str, ...], message: str
) -> None:
    for name in ("API_TOKEN", "CLIENT_ID", "CLIENT_SECRET", "USERNAME", "BASE_URL", "ORG_ID"):
        monkeypatch.delenv(f"TALLYFY_{name}", raising=False)
    monkeypatch.setenv("TALLYFY_PASSWORD", "never-sent")
    run = cli("doctor", *arguments)
    assert (run.code, run.out) == (2, "")
    assert run.err.count("\n") == 1
    assert message in run.err


@pytest.mark.parametrize(
    ("base_url", "failing"),
    [("go.tallyfy.com/api", "base-url"), ("http://127.0.0.1:{port}", "endpoint-not-found")],
)
def test_usable_but_wrong_base_urls_are_still_diagnosed(
    cli: Callable[..., Run], sandbox: Sandbox, base_url: str, failing: str
) -> None:
    port = sandbox.base_url.split(":")[2].split("/")[0]
    run = cli(
        "doctor", "--base-url", base_url.format(port=port), "--token", sandbox.mint_access_token(), "--format", "json"
    )
    assert run.code == 1
    failed = {f["check"] for f in run.json()["findings"] if f["status"] == "fail"}
    assert failing in failed
    assert "auth-header" not in failed


def test_list_scenarios(cli: Callable[..., Run]) -> None:
    run = cli("doctor", "--list-scenarios")
    assert [line.split()[0] for line in run.out.splitlines()] == list(DOCTOR_SCENARIOS)


def test_check_and_skip_filter_the_doctor(cli: Callable[..., Run]) -> None:
    report: dict[str, Any] = cli(
        "doctor", "--sandbox", "--scenario", "expired-token", "--check", "token-expiry", "--format", "json"
    ).json()
    assert {f["check"] for f in report["findings"]} == {"token-expiry"}
    run = cli(
        "doctor", "--sandbox", "--scenario", "expired-token", "--skip", "token-expiry", "--skip", "unauthenticated"
    )
    assert run.code == 0


def test_without_credentials_the_doctor_says_what_to_set_and_sends_nothing(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_request(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the doctor sent a request without credentials")

    monkeypatch.setattr(httpx.Client, "send", no_request)
    for extra in ((), ("--base-url", "http://127.0.0.1:9/api"), ("--origin", "https://app.example.com")):
        run = cli("doctor", *extra)
        assert run.code == 2
        assert run.out == ""
        assert run.err.count("\n") == 1
        for named in ("TALLYFY_API_TOKEN", "TALLYFY_CLIENT_ID", "TALLYFY_CLIENT_SECRET", "doctor --sandbox"):
            assert named in run.err


def test_the_application_token_401_names_the_grant_type_not_expiry(cli: Callable[..., Run]) -> None:
    report = cli("doctor", "--sandbox", "--scenario", "application-token", "--format", "json").json()
    (finding,) = failures(report, "unauthenticated")
    assert "client_credentials grant" in finding["detail"]
    assert "expired" not in finding["detail"]
    assert "revoked" not in finding["detail"]
