"""Token checks (format, expiry, grant type) and the `tallyfy-diag token` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from tallyfy_diag.diagnostics import REGISTRY, Evidence, Exchange, Finding, Header, Request, Response, TokenView
from tallyfy_diag.diagnostics._checks.dates import judge_date

from .conftest import TOKENS, Run, make_jwt, passport_claims

NOW = datetime.now(tz=UTC)


def run_check(check: str, token: str, exchange: Exchange | None = None, history: tuple[Exchange, ...] = ()) -> Finding:
    return REGISTRY[check].run(Evidence(now=NOW, token=TokenView.parse(token), exchange=exchange, history=history))


@pytest.mark.parametrize(
    ("token", "status", "phrase"),
    [
        (TOKENS["user"](), "pass", "JWT (RS256)"),
        ("opaque-token-value-1234567890-abcdefghijklmnop", "warn", "not what Tallyfy issues"),
        ("garbage", "fail", "not an access token: 7 characters, too short"),
        ("not a token at all", "fail", "characters a bearer token cannot hold"),
        ("12345", "fail", "too short"),
        ("def50200" + "ab" * 40, "fail", "refresh token"),
        ("", "fail", "empty"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0", "fail", "2 dot-separated segments"),
        ("eyJhbGciOiJSUzI1NiJ9.e$J9.sig", "fail", "outside base64url"),
        ("eyJhbGciOiJSUzI1NiJ9.WzFd.sig", "fail", "not an object"),
        (make_jwt({"sub": "1"}, header={"alg": "none"}), "warn", "unsigned"),
    ],
)
def test_token_format(token: str, status: str, phrase: str) -> None:
    finding = run_check("token-format", token)
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


@pytest.mark.parametrize(
    ("claims", "status", "phrase"),
    [
        (passport_claims(), "pass", "valid for"),
        (passport_claims(ttl=3600, issued_ago=3600 - 120), "warn", "expires within"),
        (passport_claims(ttl=3600, issued_ago=3600 + 10), "warn", "expires within"),  # inside the leeway
        (passport_claims(ttl=3600, issued_ago=7200), "fail", "expired 60 min before"),
        (passport_claims(issued_ago=-600), "fail", "not valid yet"),
        ({"sub": "1"}, "warn", "no exp claim"),
    ],
)
def test_token_expiry(claims: dict[str, Any], status: str, phrase: str) -> None:
    finding = run_check("token-expiry", make_jwt(claims))
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


@pytest.mark.parametrize(
    ("claims", "title"),
    [
        ({"exp": True}, "exp is not a NumericDate (RFC 7519 §2)"),
        ({"exp": 1e300}, "exp is not a NumericDate (RFC 7519 §2)"),  # beyond any datetime
        ({"exp": "x"}, "exp is not a NumericDate (RFC 7519 §2)"),
        ({"exp": float("nan")}, "exp is not a NumericDate (RFC 7519 §2)"),
        ({"nbf": "x", "exp": float("inf")}, "exp and nbf are not NumericDates (RFC 7519 §2)"),
        (passport_claims(iat=False), "iat is not a NumericDate (RFC 7519 §2)"),
    ],
)
def test_a_present_but_invalid_time_claim_fails_rather_than_counting_as_missing(
    claims: dict[str, Any], title: str
) -> None:
    finding = run_check("token-expiry", make_jwt(claims))
    assert (str(finding.status), finding.title) == ("fail", title)


@pytest.mark.parametrize(
    ("claims", "status"),
    [({"exp": 253402300799}, "pass"), ({"exp": 4102444800, "nbf": -62135596800}, "pass")],
)
def test_time_claims_at_the_edges_of_the_calendar_are_judged_without_overflow(
    claims: dict[str, Any], status: str
) -> None:
    assert str(run_check("token-expiry", make_jwt(claims)).status) == status


def test_expiry_is_judged_at_the_servers_date_when_the_capture_has_one() -> None:
    token = make_jwt(passport_claims(ttl=3600, issued_ago=7200))  # expired an hour ago
    then = format_datetime(NOW - timedelta(hours=1, minutes=30), usegmt=True)
    response = Response(200, headers=(Header("Date", then),))
    finding = run_check("token-expiry", token, Exchange(Request("GET", "https://go.tallyfy.com/api/me"), response))
    assert finding.status == "pass"
    assert "server's clock" in finding.title


def test_an_opaque_token_expires_by_the_token_responses_expires_in() -> None:
    token = "opaque-token-value-1234567890"
    issued = Exchange(
        Request("POST", "https://go.tallyfy.com/api/oauth/token"),
        Response(200, body=json.dumps({"access_token": token, "expires_in": 60}).encode()),
        sent_at=NOW - timedelta(minutes=10),
    )
    finding = run_check("token-expiry", token, history=(issued,))
    assert finding.status == "fail"
    assert finding.evidence["expires_in"] == 60


def me() -> Exchange:
    return Exchange(Request("GET", "https://go.tallyfy.com/api/me"))


@pytest.mark.parametrize(
    ("kind", "url", "status", "phrase"),
    [
        ("app", "https://go.tallyfy.com/api/me", "fail", "needs a user"),
        ("app", "https://api.tallyfy.com/organizations/" + "a" * 32 + "/checklists", "pass", "list_blueprints"),
        ("app", "https://go.tallyfy.com/api/organizations/" + "a" * 32 + "/runs", "fail", "list_processes"),
        ("app", "https://go.tallyfy.com/api/organizations/" + "a" * 32 + "/no-such-thing", "warn", "does not know"),
        ("app", "http://127.0.0.1:8123/me", "fail", "get_me"),
        ("user", "https://go.tallyfy.com/api/me", "pass", "user token"),
    ],
)
def test_grant_type(kind: str, url: str, status: str, phrase: str) -> None:
    finding = run_check("grant-type", TOKENS[kind](), Exchange(Request("GET", url)))
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


def test_grant_type_with_a_configured_base_path() -> None:
    evidence = Evidence(
        now=NOW,
        token=TokenView.parse(TOKENS["app"]()),
        exchange=Exchange(Request("GET", "http://127.0.0.1:9/tallyfy/me")),
        base_url="http://127.0.0.1:9/tallyfy",
    )
    assert REGISTRY["grant-type"].run(evidence).evidence["operation"] == "get_me"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("2023-15-05 14:30:00", "fail"),
        ("2023-05-15 14:30:00", "pass"),
        ("2023-05-06 14:30:00", "warn"),
        ("2023-05-05 14:30:00", "pass"),
        ("2023-05-15T14:30:00Z", "pass"),
        ("2023-05-15T14:30:00.000+02:00", "pass"),
        ("2023-05-15T14:30:00", "fail"),
        ("2023-5-15 14:30:00", "fail"),
        ("2023-05-15 14:30:00Z", "fail"),
        ("2023-31-02 10:00:00", "fail"),
        ("2023-15-05 25:00:00", "fail"),
        ("2023-15-05", "warn"),
        ("15/05/2023", "fail"),
    ],
)
def test_request_dates(value: str, status: str) -> None:
    verdict = judge_date(value)
    assert verdict is not None
    assert str(verdict[0]) == status, verdict[1]


def test_a_refused_date_gets_its_accepted_equivalent() -> None:
    without_zone = judge_date("2023-05-15T14:30:00")
    assert without_zone is not None
    assert "'2023-05-15 14:30:00'" in without_zone[1]
    day_first = judge_date("2023-15-05 12:30:00")
    assert day_first is not None
    assert "'2023-05-15 12:30:00'" in day_first[1]


# ----------------------------------------------------------------------------------------------- the command


def test_token_from_stdin_is_judged_and_never_printed(cli: Callable[..., Run]) -> None:
    token = TOKENS["user"]()
    for output_format in ("human", "json", "junit", "markdown"):
        run = cli("token", "-", "--format", output_format, stdin=token + "\n")
        assert run.code == 0, run.err
        assert token not in run.out + run.err
        assert token.split(".")[2] not in run.out
        assert TokenView.parse(token).fingerprint in run.out


def test_token_report_lists_claims_without_personal_data(cli: Callable[..., Run]) -> None:
    token = make_jwt(passport_claims(email="ann@example.com", name="Ann Example"))
    report = cli("token", "--format", "json", stdin=token).json()
    assert report["mode"] == "token"
    assert [finding["check"] for finding in report["findings"]] == [
        "token-format",
        "token-expiry",
        "grant-type",
        "clock-skew",
    ]
    claims = report["findings"][0]["evidence"]["claims"]
    assert claims["sub"] == "(set: user token)"
    assert claims["email"] == "(present)"
    assert "ann@example.com" not in json.dumps(report)
    assert "Ann Example" not in json.dumps(report)


def test_an_expired_token_fails(cli: Callable[..., Run]) -> None:
    run = cli("token", "--format", "json", stdin=TOKENS["expired"]())
    assert run.code == 1
    assert run.statuses("token-expiry") == ["fail"]


def test_the_token_command_fails_a_boolean_exp(cli: Callable[..., Run]) -> None:
    run = cli("token", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOnRydWV9.xx")
    assert run.code == 1
    assert "FAIL  token-expiry  exp is not a NumericDate (RFC 7519 §2)" in run.out


def test_an_application_token_is_named(cli: Callable[..., Run]) -> None:
    run = cli("token", "--format", "json", stdin=TOKENS["app"]())
    assert run.statuses("grant-type") == ["warn"]
    assert "client_credentials" in run.json()["findings"][2]["title"]


def test_a_positional_token_and_a_pasted_header_line_work(cli: Callable[..., Run]) -> None:
    token = TOKENS["user"]()
    assert cli("token", token, "--format", "json").code == 0
    run = cli("token", "--format", "json", stdin=f"Authorization: Bearer {token}")
    assert run.json()["target"]["token"] == TokenView.parse(token).fingerprint


@pytest.mark.parametrize(("stdin", "message"), [("", "no token given"), ("a\nb\n", "several lines")])
def test_bad_token_input_is_one_line_and_exit_2(cli: Callable[..., Run], stdin: str, message: str) -> None:
    run = cli("token", "-", stdin=stdin)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert message in run.err


def test_token_mode_honours_check_and_skip(cli: Callable[..., Run]) -> None:
    token = TOKENS["expired"]()
    assert cli("token", "--skip", "token-expiry", "--format", "json", stdin=token).code == 0
    run = cli("token", "--check", "client-header", "--format", "json", stdin=token)
    assert run.statuses("client-header") == ["skip"]


@pytest.mark.parametrize("value", ["garbage", "not a token at all"])
def test_garbage_in_the_token_variable_fails_token_format(cli: Callable[..., Run], value: str) -> None:
    run = cli("token", "--format", "json", "-", stdin=value)
    assert run.code == 1
    assert run.statuses("token-format") == ["fail"]
