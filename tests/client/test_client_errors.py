"""The one status→exception mapping, and what every error says (and never says)."""

from __future__ import annotations

import pickle
import ssl

import httpx
import pytest
from client_helpers import CANARY_PASSWORD, CANARY_SECRET, make_jwt

from tallyfy_diag.client import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    EndpointNotFoundError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ServerError,
    TLSError,
    UserContextRequiredError,
    ValidationError,
    error_from_response,
)
from tallyfy_diag.client._errors import APP_ONLY_TOKEN_EXTENSION, error_from_transport

URL = "https://go.tallyfy.com/api/organizations/abc/checklists"
LEAKY_TOKEN = make_jwt("1001", 2_000_000_000, marker="leak")


def answer(status: int, body: object = None, *, headers: dict[str, str] | None = None, app_only: bool = False):
    request = httpx.Request("GET", URL, headers={"Authorization": f"Bearer {LEAKY_TOKEN}"})
    if app_only:
        request.extensions[APP_ONLY_TOKEN_EXTENSION] = True
    kwargs = {"json": body} if body is not None else {}
    return httpx.Response(status, request=request, headers={"X-Request-Id": "rid-42", **(headers or {})}, **kwargs)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (302, None, RedirectError),
        (400, {"message": "Bad"}, BadRequestError),
        (401, {"message": "Unauthenticated."}, AuthenticationError),
        (403, {"error": True, "message": "Forbidden"}, PermissionDeniedError),
        (404, {"error": True, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND"}, NotFoundError),
        (
            404,
            {"error": True, "message": "API endpoint not found", "code": "ENDPOINT_NOT_FOUND"},
            EndpointNotFoundError,
        ),
        (409, {"message": "Conflict"}, APIError),
        (422, {"message": "The given data was invalid.", "errors": {"deadline": ["bad"]}}, ValidationError),
        (429, {"message": "slow down", "code": "RATE_LIMIT_EXCEEDED"}, RateLimitError),
        (500, {"message": "boom"}, ServerError),
        (503, None, ServerError),
        (400, {"error": "invalid_grant", "error_description": "nope"}, OAuthError),
        (401, {"error": "invalid_client", "error_description": "Client authentication failed"}, OAuthError),
    ],
)
def test_each_status_maps_to_its_exception(status, body, expected):
    error = error_from_response(answer(status, body))
    assert type(error) is expected
    assert error.status == status
    assert error.method == "GET"
    assert error.url == URL
    assert error.request_id == "rid-42"
    assert error.next_step
    assert "\n" not in str(error)


def test_endpoint_not_found_says_check_client_header_and_base_url():
    error = error_from_response(
        answer(404, {"error": True, "code": "ENDPOINT_NOT_FOUND", "message": "API endpoint not found"})
    )
    assert "X-Tallyfy-Client" in error.next_step
    assert "base URL" in error.next_step


def test_resource_not_found_does_not_blame_the_header_first():
    error = error_from_response(
        answer(404, {"error": True, "code": "RESOURCE_NOT_FOUND", "message": "Resource not found"})
    )
    assert type(error) is NotFoundError
    assert error.next_step.startswith("check the id")


def test_validation_error_carries_field_errors():
    body = {
        "message": "The given data was invalid.",
        "errors": {"deadline": ["The deadline does not match the format Y-d-m H:i:s."], "name": ["required"]},
    }
    error = error_from_response(answer(422, body))
    assert isinstance(error, ValidationError)
    assert error.field_errors == {
        "deadline": ["The deadline does not match the format Y-d-m H:i:s."],
        "name": ["required"],
    }
    assert "deadline: The deadline does not match" in error.next_step
    assert "name: required" in str(error)


@pytest.mark.parametrize(("header", "expected"), [("30", 30.0), ("0", 0.0), (None, None), ("soon", None)])
def test_rate_limit_error_carries_retry_after(header, expected):
    headers = {"Retry-After": header} if header is not None else {}
    error = error_from_response(answer(429, {"message": "x"}, headers=headers))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == expected


def test_oauth_error_carries_code_description_and_hint():
    body = {
        "error": "invalid_request",
        "error_description": "The request is missing a required parameter",
        "hint": "Check the `username` parameter",
        "message": "x",
    }
    error = error_from_response(answer(400, body))
    assert isinstance(error, OAuthError)
    assert isinstance(error, AuthenticationError)
    assert (error.error, error.error_description, error.hint) == (
        "invalid_request",
        "The request is missing a required parameter",
        "Check the `username` parameter",
    )
    assert "Check the `username` parameter" in error.next_step


def test_401_for_an_app_only_token_names_the_cause_and_the_fix():
    error = error_from_response(answer(401, {"message": "Unauthenticated."}, app_only=True))
    assert isinstance(error, UserContextRequiredError)
    assert "password" in error.next_step.lower()
    assert "client_credentials" in str(error)


def test_403_for_an_application_names_the_org():
    error = error_from_response(
        answer(403, {"error": True, "message": "You don't have application's permissions for this organization!"})
    )
    assert "organization" in error.next_step


def test_no_secret_in_str_or_repr_of_errors():
    body = {
        "message": f"bad password {CANARY_PASSWORD}",
        "access_token": LEAKY_TOKEN,
        "errors": {"password": [f"{CANARY_PASSWORD} is wrong"], "x": [CANARY_SECRET]},
    }
    request = httpx.Request("POST", f"{URL}?access_token={LEAKY_TOKEN}&client_secret={CANARY_SECRET}")
    response = httpx.Response(422, json=body, request=request)
    error = error_from_response(response, secrets=[CANARY_PASSWORD, CANARY_SECRET])
    for text in (
        str(error),
        repr(error),
        error.next_step,
        error.url or "",
        error.body_excerpt or "",
        repr(error.field_errors),
    ):
        assert LEAKY_TOKEN not in text
        assert CANARY_PASSWORD not in text
        assert CANARY_SECRET not in text


def test_body_excerpt_is_short():
    error = error_from_response(answer(500, {"message": "x" * 5000}))
    excerpt = error.body_excerpt or ""
    assert excerpt.startswith('{"message": "xxxxxxxx')
    assert excerpt.endswith("…")  # cut, and says so
    assert len(excerpt) <= 200


def test_transport_errors_are_classified():
    request = httpx.Request("GET", URL)
    assert isinstance(error_from_transport(request, httpx.ConnectTimeout("slow")), RequestTimeoutError)
    assert isinstance(error_from_transport(request, httpx.ReadTimeout("slow")), RequestTimeoutError)
    assert isinstance(error_from_transport(request, httpx.ConnectError("refused")), ConnectError)
    tls = httpx.ConnectError("handshake")
    tls.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert isinstance(error_from_transport(request, tls), TLSError)
    error = error_from_transport(request, httpx.ConnectError("[Errno 111] Connection refused"))
    assert error.status is None
    assert error.url == URL
    assert "go.tallyfy.com" in str(error)


def test_errors_survive_pickling_without_their_response():
    body = {"message": "The given data was invalid.", "errors": {"deadline": ["bad"]}}
    error = error_from_response(answer(422, body))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ValidationError
    assert str(copy) == str(error)
    assert copy.field_errors == {"deadline": ["bad"]}
    assert copy.response is None
