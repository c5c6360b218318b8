"""The CORS simulator against the server configurations issue 7 lists, with Chromium's error names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tallyfy_diag.diagnostics import REGISTRY, Evidence, Exchange, Header, Request, Response, cors

ORIGIN = "http://localhost:3000"
URL = "https://api.example.test/api/me"
SCRIPT_HEADERS = (Header("Authorization", "Bearer abc.def.ghi"), Header("X-Tallyfy-Client", "APIClient"))
GOOD_PREFLIGHT = (
    ("Access-Control-Allow-Origin", ORIGIN),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE"),
    ("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, X-Tallyfy-Client"),
)
GOOD_RESPONSE = (
    ("Access-Control-Allow-Origin", ORIGIN),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Request-Id, WWW-Authenticate, Retry-After, X-RateLimit-Remaining"),
    ("Vary", "Origin"),
    ("X-Request-Id", "r1"),
)


def answer(status: int, headers: tuple[tuple[str, str], ...]) -> Response:
    return Response(status, headers=tuple(Header(name, value) for name, value in headers), body=b"{}")


def judge(
    preflight: tuple[int, tuple[tuple[str, str], ...]] | None,
    response: tuple[int, tuple[tuple[str, str], ...]] | None,
    *,
    method: str = "GET",
    credentials: bool = False,
    headers: tuple[Header, ...] = SCRIPT_HEADERS,
) -> tuple[str, str, dict[str, Any]]:
    request = Request(method, URL, headers=headers)
    preflight_exchange = None
    if preflight is not None:
        preflight_request = Request("OPTIONS", URL, headers=(Header("Access-Control-Request-Method", method),))
        preflight_exchange = Exchange(preflight_request, answer(*preflight))
    evidence = Evidence(
        now=datetime.now(tz=UTC),
        exchange=Exchange(request, answer(*response) if response else None),
        origin=ORIGIN,
        with_credentials=credentials,
        preflight=preflight_exchange,
    )
    finding = REGISTRY["cors-preflight"].run(evidence)
    return str(finding.status), finding.title, dict(finding.evidence)


def replaced(headers: tuple[tuple[str, str], ...], name: str, value: str | None) -> tuple[tuple[str, str], ...]:
    kept = tuple((n, v) for n, v in headers if n.lower() != name.lower())
    return kept if value is None else (*kept, (name, value))


@pytest.mark.parametrize(
    ("name", "preflight", "response", "credentials", "method", "expected"),
    [
        ("origin allowed", (204, GOOD_PREFLIGHT), (200, GOOD_RESPONSE), True, "GET", None),
        ("origin not allowed", (204, ()), None, False, "GET", "PreflightMissingAllowOriginHeader"),
        (
            "wildcard without credentials",
            (
                204,
                (
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Headers", "authorization, x-tallyfy-client"),
                ),
            ),
            (200, (("Access-Control-Allow-Origin", "*"),)),
            False,
            "GET",
            None,
        ),
        (
            "wildcard with credentials",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Origin", "*")),
            None,
            True,
            "GET",
            "PreflightWildcardOriginNotAllowed",
        ),
        (
            "allow-headers without x-tallyfy-client",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Headers", "Authorization")),
            None,
            True,
            "GET",
            "HeaderDisallowedByPreflightResponse",
        ),
        (
            "allow-headers * is literal with credentials",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Headers", "*, Authorization")),
            None,
            True,
            "GET",
            "HeaderDisallowedByPreflightResponse",
        ),
        ("401 on OPTIONS", (401, GOOD_PREFLIGHT), None, True, "GET", "PreflightInvalidStatus"),
        ("401 on OPTIONS without CORS headers", (401, ()), None, True, "GET", "PreflightMissingAllowOriginHeader"),
        (
            "no Allow-Origin on the 401",
            (204, GOOD_PREFLIGHT),
            (401, (("WWW-Authenticate", "Bearer"),)),
            True,
            "GET",
            "MissingAllowOriginHeader",
        ),
        (
            "allow-methods without PUT",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Methods", "GET, POST")),
            None,
            True,
            "PUT",
            "MethodDisallowedByPreflightResponse",
        ),
        (
            "methods compare case-sensitively",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Methods", "get, put")),
            None,
            True,
            "PUT",
            "MethodDisallowedByPreflightResponse",
        ),
        (
            "trailing slash in the allowed origin",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Origin", ORIGIN + "/")),
            None,
            True,
            "GET",
            "PreflightAllowOriginMismatch",
        ),
        (
            "two origins",
            (204, (*GOOD_PREFLIGHT, ("Access-Control-Allow-Origin", "https://other.test"))),
            None,
            True,
            "GET",
            "PreflightMultipleAllowOriginValues",
        ),
        (
            "credentials not exactly true",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Credentials", "True")),
            None,
            True,
            "GET",
            "PreflightInvalidAllowCredentials",
        ),
        (
            "a preflight that redirects",
            (301, (("Location", "https://api.example.test/api/me/"),)),
            None,
            False,
            "GET",
            "PreflightDisallowedRedirect",
        ),
        (
            "an unparsable method list",
            (204, replaced(GOOD_PREFLIGHT, "Access-Control-Allow-Methods", "GET; PUT")),
            None,
            True,
            "PUT",
            "InvalidAllowMethodsPreflightResponse",
        ),
    ],
)
def test_server_configurations(
    name: str,
    preflight: tuple[int, tuple[tuple[str, str], ...]],
    response: tuple[int, tuple[tuple[str, str], ...]] | None,
    credentials: bool,
    method: str,
    expected: str | None,
) -> None:
    status, title, evidence = judge(preflight, response, method=method, credentials=credentials)
    if expected is None:
        assert status == "pass", title
    else:
        assert (status, evidence["cors_error"]) == ("fail", expected), title
        assert title.startswith(expected)


def test_allow_headers_star_covers_authorization_in_chromium_with_a_deprecation_warning() -> None:
    # Fetch says `*` never covers Authorization, but Chromium still allows it (tests/browser shows it), so the
    # verdict is a warning named like the DevTools issue, not a failure the browser would contradict.
    status, title, evidence = judge(
        (204, (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "*"))),
        (200, (("Access-Control-Allow-Origin", "*"),)),
    )
    assert status == "warn"
    assert title.startswith("AuthorizationCoveredByWildcard: Authorization will not be covered")
    assert "cors_error" not in evidence
    assert [rule["outcome"] for rule in evidence["rules"] if rule["rule"] == "Access-Control-Allow-Headers"] == ["warn"]


def test_a_response_header_the_page_cannot_read() -> None:
    status, title, evidence = judge(
        (204, GOOD_PREFLIGHT), (200, replaced(GOOD_RESPONSE, "Access-Control-Expose-Headers", None)), credentials=True
    )
    assert status == "warn"
    assert evidence["hidden_response_headers"] == ["x-request-id"]
    assert "cannot read x-request-id" in title


def test_a_reflected_origin_without_vary_warns() -> None:
    status, title, _ = judge((204, GOOD_PREFLIGHT), (200, replaced(GOOD_RESPONSE, "Vary", None)), credentials=True)
    assert (status, "Vary: Origin" in title) == ("warn", True)


def test_the_predicted_preflight_names_sorted_lowercase_headers() -> None:
    predicted = cors.predict_preflight(
        "put",
        URL,
        [("X-Tallyfy-Client", "APIClient"), ("Authorization", "Bearer x"), ("Accept", "application/json")],
        ORIGIN,
    )
    assert predicted.needed
    assert predicted.request_headers() == [
        ("Origin", ORIGIN),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "authorization,x-tallyfy-client"),
    ]


@pytest.mark.parametrize(
    ("method", "headers", "needed"),
    [
        ("GET", [("Accept", "application/json")], False),
        ("POST", [("Content-Type", "application/x-www-form-urlencoded")], False),
        ("POST", [("Content-Type", "application/json")], True),
        ("DELETE", [], True),
        ("GET", [("Accept", "a" * 129)], True),
        ("GET", [("Content-Language", "x" * 120)] * 9, True),  # each safelisted, over 1024 bytes together
        ("GET", [("User-Agent", "x"), ("Sec-Fetch-Mode", "cors"), ("Origin", ORIGIN)], False),  # set by the browser
    ],
)
def test_when_a_preflight_is_needed(method: str, headers: list[tuple[str, str]], needed: bool) -> None:
    assert cors.predict_preflight(method, URL, headers, ORIGIN).needed is needed


def test_a_simple_request_is_judged_on_its_response_alone() -> None:
    status, _, evidence = judge(None, (200, ()), headers=(Header("Accept", "application/json"),))
    assert (status, evidence["cors_error"]) == ("fail", "MissingAllowOriginHeader")


def test_same_origin_needs_no_cors() -> None:
    finding = REGISTRY["cors-preflight"].run(
        Evidence(now=datetime.now(tz=UTC), exchange=Exchange(Request("GET", ORIGIN + "/api/me")), origin=ORIGIN + "/")
    )
    assert finding.status == "pass"
    assert "same origin" in finding.title


def test_without_an_origin_the_check_skips() -> None:
    finding = REGISTRY["cors-preflight"].run(Evidence(now=datetime.now(tz=UTC), exchange=Exchange(Request("GET", URL))))
    assert finding.status == "skip"
    assert "--origin" in finding.title
