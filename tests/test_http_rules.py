"""The rules the client and the diagnostics share (`tallyfy_diag._http_rules`), and proof both read them."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tallyfy_diag._http_rules import OAUTH_ERRORS, parse_http_date, retry_after_seconds, transport_failure_kind
from tallyfy_diag.client import _errors as client_errors
from tallyfy_diag.diagnostics._checks import errors as check_errors

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("Sunday, 30-Nov-26 12:01:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Sun Nov 30 12:00:30 2026", 30.0),  # asctime
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("9" * 40, None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_http_dates_are_utc_or_none() -> None:
    assert parse_http_date("Sun, 30 Nov 2026 12:00:00 GMT") == NOW
    assert parse_http_date("not a date") is None


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connect"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "protocol"),
        (socket.gaierror(-2, "Name or service not known"), "dns"),
        (ssl.SSLError(1, "[SSL] wrong version number"), "tls"),
        (ValueError("odd"), "other"),
    ],
)
def test_transport_failure_kinds(error: Exception, kind: str) -> None:
    assert transport_failure_kind(error) == kind


def test_the_client_and_the_checks_read_the_one_oauth_table() -> None:
    assert "OAUTH_ERRORS" not in vars(check_errors) or check_errors.OAUTH_ERRORS is OAUTH_ERRORS
    assert not any(name.startswith("_OAUTH") for name in vars(client_errors))
    assert set(OAUTH_ERRORS) >= {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }


def test_a_client_oauth_error_says_the_shared_next_step() -> None:
    request = httpx.Request("POST", "https://go.tallyfy.com/api/oauth/token")
    response = httpx.Response(400, json={"error": "invalid_grant"}, request=request)
    error = client_errors.error_from_response(response)
    assert error.next_step == OAUTH_ERRORS["invalid_grant"].next_step
