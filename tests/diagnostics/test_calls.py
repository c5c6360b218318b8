"""Checks on where a call goes and what came back: base-url, token-request, oauth-error, unauthenticated,
endpoint-not-found, org-context, redirect, rate-limit, refresh-token, connectivity."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from tallyfy_diag.diagnostics import (
    REGISTRY,
    Evidence,
    Exchange,
    Finding,
    Header,
    IsolationTrial,
    Request,
    Response,
    TokenView,
    TransportFailure,
)

from .conftest import TOKENS

NOW = datetime.now(tz=UTC)
ORG = "5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a"
GOOD = (Header("X-Tallyfy-Client", "APIClient"), Header("Accept", "application/json"))
FORM = Header("Content-Type", "application/x-www-form-urlencoded")
TOKEN_URL = "https://go.tallyfy.com/api/oauth/token"


def bearer(kind: str = "user") -> Header:
    return Header("Authorization", f"Bearer {TOKENS[kind]()}")


def respond(status: int, body: object = None, *headers: tuple[str, str]) -> Response:
    raw = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else (body or b"")
    return Response(status, headers=tuple(Header(n, v) for n, v in headers), body=raw)


def run(
    check: str,
    request: Request,
    response: Response | None = None,
    *,
    history: tuple[Exchange, ...] = (),
    **context: Any,
) -> Finding:
    token = None
    value = request.header("authorization")
    if value and value.startswith("Bearer "):
        token = TokenView.parse(value.split(" ", 1)[1])
    evidence = Evidence(
        now=NOW,
        exchange=Exchange(request, response),
        token=token,
        history=history,
        **context,
    )
    return REGISTRY[check].run(evidence)


@pytest.mark.parametrize(
    ("url", "status", "phrase"),
    [
        ("https://go.tallyfy.com/api/me", "pass", "URL shape is right"),
        ("https://api.tallyfy.com/me", "pass", "URL shape is right"),
        ("http://127.0.0.1:8000/me", "warn", "127.0.0.1 without the /api prefix"),
        ("http://127.0.0.1:8000/api/me", "pass", "URL shape is right"),
        ("http://127.0.0.1:9/me", "warn", "a local sandbox, like go.tallyfy.com, serves the API under /api"),
        ("http://go.tallyfy.com/api/me", "fail", "plain http://"),
        ("https://go.tallyfy.com/me", "fail", "serves the API under /api"),
        ("https://go.tallyfy.com/api//me", "fail", "doubled slash"),
        ("https://api.tallyfy.com/api/me", "fail", "root paths"),
        ("https://tallyfy.com/api/me", "fail", "not the API host"),
        ("https://account.tallyfy.com/me", "fail", "OAuth only"),
        ("https://proxy.example.com/tallyfy/me", "warn", "not a Tallyfy API host"),
        ("ftp://go.tallyfy.com/api/me", "fail", "scheme 'ftp'"),
    ],
)
def test_base_url(url: str, status: str, phrase: str) -> None:
    finding = run("base-url", Request("GET", url, headers=GOOD))
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


def token_call(body: str, *headers: Header, method: str = "POST", url: str = TOKEN_URL) -> Request:
    return Request(method, url, headers=(*GOOD, *headers), body=body.encode())


@pytest.mark.parametrize(
    ("request_", "status", "phrase"),
    [
        (token_call("grant_type=client_credentials&client_id=3&client_secret=abc", FORM), "pass", "client_credentials"),
        (
            token_call("grant_type=refresh_token&refresh_token=def5&client_id=3&client_secret=x", FORM),
            "pass",
            "refresh",
        ),
        (token_call("grant_type=password&client_id=3&client_secret=x", FORM), "fail", "needs username, password"),
        (token_call("client_id=3&client_secret=x", FORM), "fail", "no grant_type"),
        (token_call("grant_type=implicit&client_id=3", FORM), "fail", "unknown grant_type"),
        (token_call("grant_type=client_credentials&client_id=abc&client_secret=x", FORM), "fail", "not numeric"),
        (token_call("grant_type=client_credentials&client_id=3&client_id=3&client_secret=x", FORM), "fail", "repeated"),
        (token_call("grant_type=client_credentials&client_id=3&client_secret=a+b", FORM), "fail", "literal `+`"),
        (
            token_call("grant_type=client_credentials&client_id=3&client_secret=a%2Bb", FORM),
            "pass",
            "client_credentials",
        ),
        (
            token_call("grant_type=client_credentials&client_id=3&client_secret=a%zz", FORM),
            "fail",
            "not followed by two hex",
        ),
        (token_call("grant_type=client_credentials&client_id=3&client_secret=x"), "fail", "no Content-Type"),
        (
            token_call(
                "grant_type=client_credentials&client_id=3&client_secret=x", Header("Content-Type", "text/plain")
            ),
            "fail",
            "Content-Type text/plain",
        ),
        (
            token_call("", method="GET", url=TOKEN_URL + "?grant_type=password&password=x"),
            "fail",
            "GET instead of POST",
        ),
        (
            token_call(
                "grant_type=client_credentials",
                FORM,
                Header("Authorization", "Basic " + base64.b64encode(b"3:s").decode()),
            ),
            "pass",
            "client_credentials",
        ),
        (
            token_call(
                "grant_type=client_credentials&client_secret=s",
                FORM,
                Header("Authorization", "Basic " + base64.b64encode(b"3:s").decode()),
            ),
            "fail",
            "client credentials sent twice",
        ),
        (
            token_call("grant_type=client_credentials", FORM, Header("Authorization", "Basic !!!")),
            "fail",
            "not valid base64",
        ),
        (
            token_call(
                "grant_type=client_credentials&client_id=3&client_secret=x",
                FORM,
                url="http://go.tallyfy.com/api/oauth/token",
            ),
            "fail",
            "not https",
        ),
        (
            token_call(
                "grant_type=client_credentials&client_id=3&client_secret=x",
                FORM,
                url="https://go.tallyfy.com/oauth/token",
            ),
            "warn",
            "one docs sample",
        ),
        (
            token_call(
                "grant_type=client_credentials&client_id=3&client_secret=x",
                FORM,
                url="https://go.tallyfy.com/api/token",
            ),
            "fail",
            "wrong endpoint",
        ),
        (
            token_call("grant_type=password&username=a&password=p+q&client_id=3&client_secret=x", FORM),
            "warn",
            "`password`",
        ),
    ],
)
def test_token_request(request_: Request, status: str, phrase: str) -> None:
    finding = run("token-request", request_)
    assert (str(finding.status), phrase in finding.title + finding.detail) == (status, True), finding


def test_oauth_error_refines_the_cause_with_the_request() -> None:
    request = token_call('{"grant_type": "password"}', Header("Content-Type", "application/json"))
    finding = run("oauth-error", request, respond(400, {"error": "unsupported_grant_type", "hint": "Check grant_type"}))
    assert finding.status == "fail"
    assert "Here the body IS JSON" in finding.detail
    assert finding.evidence["hint"] == "Check grant_type"


def test_oauth_error_on_a_non_numeric_client_id() -> None:
    request = token_call("grant_type=client_credentials&client_id=abc&client_secret=x", FORM)
    finding = run("oauth-error", request, respond(401, {"error": "invalid_client"}))
    assert "client_id is not numeric" in finding.detail


@pytest.mark.parametrize(
    ("headers", "challenge", "root"),
    [
        ((bearer(),), None, None),  # no X-Tallyfy-Client
        ((Header("Accept", "application/json"), bearer()), None, "client-header"),
        ((*GOOD, Header("Authorization", f"Bearer  {TOKENS['user']()}")), None, "auth-header"),
        ((*GOOD, bearer("expired")), 'Bearer error="invalid_token"', "token-expiry"),
        ((*GOOD, bearer("app")), None, "grant-type"),
        ((*GOOD, bearer("truncated")), None, "token-format"),
    ],
)
def test_unauthenticated_names_the_first_root_cause(
    headers: tuple[Header, ...], challenge: str | None, root: str | None
) -> None:
    extra = (("WWW-Authenticate", challenge),) if challenge else ()
    request = Request("GET", "https://go.tallyfy.com/api/me", headers=headers)
    finding = run("unauthenticated", request, respond(401, {"message": "Unauthenticated."}, *extra))
    assert finding.status == "fail"
    # Without X-Tallyfy-Client (the first case) the header is the root cause, whatever else is right.
    assert finding.evidence["root_cause"] == (root or "client-header")


def test_unauthenticated_with_no_cause_blames_the_credentials() -> None:
    request = Request("GET", "https://go.tallyfy.com/api/me", headers=(*GOOD, bearer()))
    finding = run(
        "unauthenticated", request, respond(401, {"message": "Unauthenticated."}, ("WWW-Authenticate", "Bearer"))
    )
    assert "no client-side cause" in finding.title
    assert "saw NO credentials" in finding.detail
    assert finding.evidence["www_authenticate"] == {"scheme": "Bearer"}


def test_unauthenticated_prefers_a_confirmed_isolation() -> None:
    request = Request("GET", "https://go.tallyfy.com/api/me", headers=(*GOOD, bearer("app")))
    trials = (
        IsolationTrial("add X-Tallyfy-Client", "client-header", 401),
        IsolationTrial("use a user token", "grant-type", 200),
    )
    finding = run("unauthenticated", request, respond(401, {}), isolation=trials)
    assert finding.evidence["fixed_by"] == "use a user token"
    assert "confirmed" in finding.title


@pytest.mark.parametrize(
    ("path", "headers", "response", "status", "phrase"),
    [
        ("/api/me", (bearer(),), respond(404, {"code": "ENDPOINT_NOT_FOUND"}), "fail", "root cause X-Tallyfy-Client"),
        ("/me", (*GOOD, bearer()), respond(404, {"code": "ENDPOINT_NOT_FOUND"}), "fail", "wrong base URL"),
        (
            "/api/blueprints",
            (*GOOD, bearer()),
            respond(404, {"message": "API endpoint not found"}),
            "fail",
            "not a known",
        ),
        ("/api/me", (*GOOD, bearer()), respond(404, {"code": "ENDPOINT_NOT_FOUND"}), "fail", "known path"),
        (
            f"/api/organizations/{ORG}/runs/{ORG}",
            (*GOOD, bearer()),
            respond(404, {"code": "RESOURCE_NOT_FOUND"}),
            "warn",
            "object does not",
        ),
        ("/api/me", (*GOOD, bearer()), respond(405, {}), "fail", "405"),
        ("/api/blueprints", (*GOOD, bearer()), None, "warn", "not an operation"),
        ("/api/me", (*GOOD, bearer()), None, "pass", "known operation"),
    ],
)
def test_endpoint_not_found(
    path: str, headers: tuple[Header, ...], response: Response | None, status: str, phrase: str
) -> None:
    finding = run("endpoint-not-found", Request("GET", "https://go.tallyfy.com" + path, headers=headers), response)
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


@pytest.mark.parametrize(
    ("org", "response", "context", "status", "phrase"),
    [
        (ORG, None, {}, "pass", "well-formed"),
        ("{org}", None, {}, "fail", "placeholder"),
        ("YOUR_ORG_ID", None, {}, "fail", "placeholder"),
        (ORG.upper(), None, {}, "warn", "uppercase"),
        ("1234", None, {}, "warn", "is 4 characters"),
        (ORG, respond(403, {"message": "Forbidden"}), {}, "fail", "403 in this organization"),
        (ORG, None, {"memberships": ("0" * 32,)}, "fail", "not a member"),
    ],
)
def test_org_context(org: str, response: Response | None, context: dict[str, Any], status: str, phrase: str) -> None:
    url = f"https://go.tallyfy.com/api/organizations/{org}/checklists"
    finding = run("org-context", Request("GET", url, headers=GOOD), response, **context)
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title


def test_redirect_of_a_post_to_another_host() -> None:
    response = respond(302, None, ("Location", "https://login.example.com/login"))
    finding = run("redirect", Request("POST", TOKEN_URL, headers=GOOD), response)
    assert finding.status == "fail"
    for phrase in ("becomes a GET", "Authorization is stripped", "login page"):
        assert phrase in finding.detail


def test_redirect_that_dropped_authorization_shows_on_the_next_call() -> None:
    first = Exchange(
        Request("GET", "http://go.tallyfy.com/api/me", headers=(bearer(),)),
        respond(301, None, ("Location", "https://go.tallyfy.com/api/me")),
    )
    finding = run(
        "redirect", Request("GET", "https://go.tallyfy.com/api/me", headers=GOOD), respond(401, {}), history=(first,)
    )
    assert (finding.status, finding.title) == ("fail", "Authorization dropped by a redirect")


def test_rate_limit_with_an_http_date_retry_after() -> None:
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    finding = run(
        "rate-limit", Request("GET", "https://go.tallyfy.com/api/me"), respond(429, {}, ("Retry-After", later))
    )
    assert finding.status == "fail"
    assert 85 <= finding.evidence["retry_after_s"] <= 90


def test_rate_limit_nearly_used_up_warns() -> None:
    response = respond(200, {}, ("X-RateLimit-Remaining", "2"))
    assert run("rate-limit", Request("GET", "https://go.tallyfy.com/api/me"), response).status == "warn"


def test_refresh_token_holding_an_access_token() -> None:
    body = f"grant_type=refresh_token&refresh_token={TOKENS['user']()}&client_id=3&client_secret=x"
    finding = run("refresh-token", token_call(body, FORM))
    assert (finding.status, "holds an access token" in finding.title) == ("fail", True)


def test_no_refresh_token_from_a_password_grant_warns() -> None:
    request = token_call("grant_type=password&username=a&password=b&client_id=3&client_secret=x", FORM)
    finding = run("refresh-token", request, respond(200, {"access_token": "x", "expires_in": 60}))
    assert (finding.status, finding.title) == ("warn", "no refresh token from a password grant")


@pytest.mark.parametrize(
    ("failure", "response", "status", "phrase"),
    [
        (TransportFailure("dns", "x"), None, "fail", "does not resolve"),
        (TransportFailure("tls", "x"), None, "fail", "TLS"),
        (TransportFailure("timeout", "x"), None, "fail", "timed out"),
        (None, respond(502, b"Bad gateway"), "fail", "gateway"),
        (None, respond(200, b"not json", ("Content-Type", "text/plain")), "fail", "not JSON"),
        (None, respond(204, b""), "pass", "empty body"),
    ],
)
def test_connectivity(failure: TransportFailure | None, response: Response | None, status: str, phrase: str) -> None:
    evidence = Evidence(now=NOW, exchange=Exchange(Request("GET", "https://go.tallyfy.com/api/me"), response, failure))
    finding = REGISTRY["connectivity"].run(evidence)
    assert (str(finding.status), phrase in finding.title) == (status, True), finding.title
