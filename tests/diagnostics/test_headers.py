"""The header checks, rule by rule: client-header, accept-header and every auth-header cause."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tallyfy_diag.diagnostics import REGISTRY, Evidence, Exchange, Header, Request, explain

from .conftest import TOKENS

NOW = datetime.now(tz=UTC)
TOKEN = TOKENS["user"]()
URL = "https://go.tallyfy.com/api/me"


def judge(check: str, *headers: Header, url: str = URL, method: str = "GET", body: bytes = b"") -> tuple[str, str, str]:
    request = Request(method, url, headers=tuple(headers), body=body)
    finding = REGISTRY[check].run(Evidence(now=NOW, exchange=Exchange(request)))
    return str(finding.status), finding.title, finding.detail


def authorization(value: str, source: str | None = None) -> Header:
    return Header("Authorization", value, source)


@pytest.mark.parametrize(
    ("value", "status", "phrase"),
    [
        (f"Bearer {TOKEN}", "pass", "one field, one space"),
        (f"bearer {TOKEN}", "warn", "Laravel's bearerToken()"),
        (f"Bearer  {TOKEN}", "fail", "2 spaces after `Bearer`"),
        (f"Bearer\t{TOKEN}", "fail", "TAB"),
        (TOKEN, "fail", "no scheme"),
        (f"Bearer{TOKEN}", "fail", "no space between `Bearer` and the token"),
        (f"Token {TOKEN}", "fail", "wrong scheme `Token`"),
        (f"JWT {TOKEN}", "fail", "wrong scheme `JWT`"),
        (f'Bearer "{TOKEN}"', "fail", "wrapped in quotes"),
        (f"Bearer Bearer {TOKEN}", "fail", "scheme is written twice"),
        ("Bearer <token>", "fail", "placeholder text `<token>`"),
        ("Bearer YOUR_ACCESS_TOKEN", "fail", "placeholder text `YOUR_ACCESS_TOKEN`"),
        ("Bearer {{access_token}}", "fail", "placeholder text"),
        ("Bearer null", "fail", "placeholder text `null`"),
        (f"Bearer {TOKEN},", "fail", "ends with `,`"),
        (f"Bearer {TOKEN};", "fail", "ends with `;`"),
        (f"Bearer {TOKEN}\n", "fail", "U+000A LINE FEED"),
        (f"Bearer {TOKEN}\r\n", "fail", "U+000D CARRIAGE RETURN"),
        (f"Bearer {TOKEN[:20]}\x00{TOKEN[20:]}", "fail", "U+0000"),
        (f"Bearer {TOKEN} ", "warn", "trailing whitespace"),
        (f"Bearer {TOKEN[:30]}\u00a0{TOKEN[30:]}", "fail", "U+00A0 NO-BREAK SPACE"),
        (f"Bearer {TOKEN[:30]}\u200b{TOKEN[30:]}", "fail", "U+200B ZERO WIDTH SPACE"),
        (f"Bearer {TOKEN[:30]} {TOKEN[30:]}", "fail", "contains a space"),
        ("Bearer", "fail", "no token after it"),
        ("", "fail", "empty"),
        (f"Basic {TOKEN}", "fail", "wrong scheme `Basic`"),
        # A short opaque token sent bare is missing its scheme just like a bare JWT, not 'wrong scheme'.
        ("opaque-token-1234", "fail", "no scheme: the value is a bare token"),
        ("a1b2/c3+d4==", "fail", "no scheme: the value is a bare token"),
        ("Basic", "fail", "wrong scheme `Basic`"),
    ],
)
def test_authorization_values(value: str, status: str, phrase: str) -> None:
    got_status, title, detail = judge("auth-header", authorization(value))
    assert got_status == status
    assert phrase in title + " " + detail


def test_a_trailing_newline_names_where_the_value_came_from() -> None:
    _, _, detail = judge(
        "auth-header", authorization(f"Bearer {TOKEN}\n", source="environment variable TALLYFY_API_TOKEN")
    )
    assert "environment variable TALLYFY_API_TOKEN" in detail
    assert TOKEN not in detail


def test_two_authorization_fields_fail() -> None:
    status, title, _ = judge("auth-header", authorization(f"Bearer {TOKEN}"), authorization(f"Bearer {TOKEN}"))
    assert status == "fail"
    assert "2 Authorization fields" in title


def test_a_token_in_the_query_instead_of_the_header() -> None:
    status, title, _ = judge("auth-header", url=f"{URL}?access_token={TOKEN}")
    assert status == "fail"
    assert "query parameter `access_token`" in title


def test_a_token_in_the_query_and_the_header() -> None:
    status, title, detail = judge("auth-header", authorization(f"Bearer {TOKEN}"), url=f"{URL}?access_token=x")
    assert status == "fail"
    assert "RFC 6750 §2 allows one method" in title + detail


def test_no_authorization_at_all() -> None:
    assert judge("auth-header")[:2] == ("fail", "Authorization header missing")


def test_the_token_endpoint_is_not_judged_for_a_bearer_token() -> None:
    status, _, _ = judge("auth-header", url="https://go.tallyfy.com/api/oauth/token", method="POST")
    assert status == "skip"


def test_a_shell_variable_in_single_quotes_is_sent_literally() -> None:
    report = explain(b"curl https://go.tallyfy.com/api/me -H 'Authorization: Bearer $TOKEN'", only=["auth-header"])
    (finding,) = report.findings
    assert finding.status == "fail"
    assert "single quotes" in finding.title + finding.detail


def test_a_shell_variable_in_double_quotes_is_not_judged_offline() -> None:
    report = explain(
        b'curl https://go.tallyfy.com/api/me -H "Authorization: Bearer $TOKEN"',
        only=["auth-header", "token-format"],
    )
    by_check = {finding.check: finding for finding in report.findings}
    assert by_check["auth-header"].status == "pass"
    assert "$TOKEN" in by_check["auth-header"].detail
    assert by_check["token-format"].status == "skip"
    assert "tallyfy-diag token -" in by_check["token-format"].detail


@pytest.mark.parametrize(
    ("headers", "status", "phrase"),
    [
        ([Header("X-Tallyfy-Client", "APIClient")], "pass", "APIClient"),
        ([Header("x-tallyfy-client", "APIClient")], "pass", "APIClient"),
        ([], "fail", "header missing"),
        ([Header("X-Tallyfy-Client", "")], "fail", "empty"),
        ([Header("X-Tallyfy-Client", "APIClient"), Header("X-Tallyfy-Client", "APIClient")], "fail", "sent 2 times"),
        ([Header("X-Tallyfy-Client", "APIClient, APIClient")], "fail", "sent 2 times"),
        ([Header("X-Tallyfy-Client", "APIClient\n")], "fail", "LINE FEED"),
        ([Header("X-Tallyfy-Client", "TallyfySDK")], "warn", "not 'APIClient'"),
        ([Header("X-Tallyfy-Client", "apiclient")], "warn", "not 'APIClient'"),
        ([Header("X-Tallyfy-Client", "APIClient ")], "warn", "whitespace"),
        ([Header("X_Tallyfy_Client", "APIClient")], "fail", "misspelled as X_Tallyfy_Client"),
        ([Header("X-Tallyfy-Cilent", "APIClient")], "fail", "misspelled"),
    ],
)
def test_client_header(headers: list[Header], status: str, phrase: str) -> None:
    got_status, title, _ = judge("client-header", *headers)
    assert (got_status, phrase in title) == (status, True), title


def test_a_missing_client_header_on_the_token_call_only_warns() -> None:
    status, _, _ = judge("client-header", url="https://go.tallyfy.com/api/oauth/token", method="POST")
    assert status == "warn"


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/json", "pass"),
        ("application/json, text/plain, */*", "pass"),
        ("application/vnd.api+json", "pass"),
        ("*/*", "warn"),
        ("text/html, application/json;q=0.5", "warn"),
        ("text/html", "fail"),
        ("application/json;q=0", "fail"),
    ],
)
def test_accept_header(accept: str, status: str) -> None:
    assert judge("accept-header", Header("Accept", accept))[0] == status


def test_no_accept_header_warns() -> None:
    assert judge("accept-header")[0] == "warn"
