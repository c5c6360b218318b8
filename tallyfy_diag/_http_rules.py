"""Rules of HTTP and OAuth that the client and the diagnostics both apply, decided once.

- `OAUTH_ERRORS`: the RFC 6749 §5.2 error codes, each with its usual cause in Tallyfy's terms, the fix a report
  gives (`fix`) and the clause the client's exception gives (`next_step`);
- `parse_http_date` and `retry_after_seconds`: RFC 9110 §5.6.7 dates and §10.2.3 `Retry-After`;
- `transport_failure_kind`: what kind of network failure an exception is (DNS, refused, TLS, timeout, ...).

Data and pure functions on strings and exceptions only: no httpx import (exceptions are recognised by their
class names), no logic of the client's or the sandbox's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final, Literal, NamedTuple


class OAuthErrorRule(NamedTuple):
    cause: str
    """What usually makes the server answer this code, in Tallyfy's terms."""
    fix: str
    """What to change, as a report's sentence."""
    next_step: str
    """The same, as the clause a client exception ends with (`... | next: <next_step>`)."""


OAUTH_ERRORS: Final[Mapping[str, OAuthErrorRule]] = MappingProxyType(
    {
        "invalid_request": OAuthErrorRule(
            "a required parameter is missing, repeated or malformed, or the body is not form-urlencoded",
            "Send every parameter the grant needs, once, as application/x-www-form-urlencoded.",
            "a token-request field is missing or repeated, or the body is not form-urlencoded",
        ),
        "invalid_client": OAuthErrorRule(
            "client authentication failed: a wrong client_id or client_secret, a non-numeric client_id, or the"
            " credentials sent in two places",
            "Copy the client id (a number) and secret again from Tallyfy; send them once (body or Basic).",
            "check the client id (numeric) and client secret (TALLYFY_CLIENT_ID, TALLYFY_CLIENT_SECRET)",
        ),
        "invalid_grant": OAuthErrorRule(
            "the username/password is wrong, or the refresh token is expired, revoked, already used or another"
            " client's",
            "Check the user's email and password (log in to Tallyfy with them); for refresh, use the newest refresh"
            " token or authenticate again.",
            "check the username and password, or sign in again: the refresh token is expired, revoked or belongs"
            " to another client",
        ),
        "unauthorized_client": OAuthErrorRule(
            "this client may not use this grant type",
            "Ask Tallyfy support to enable the grant for the client, or use a grant it has.",
            "this client may not use this grant: ask Tallyfy Support to enable it",
        ),
        "unsupported_grant_type": OAuthErrorRule(
            "the server does not know the grant_type it received, most often because the body was JSON and it saw"
            " no grant_type at all",
            "Send a form-urlencoded body with grant_type=password, client_credentials or refresh_token.",
            "send grant_type (password, client_credentials or refresh_token) in a form-urlencoded body",
        ),
        "invalid_scope": OAuthErrorRule(
            "the requested scope is unknown", "Omit scope, or send scope=*.", "request scope '*' or no scope"
        ),
        "access_denied": OAuthErrorRule(
            "the user or server refused the request", "Check the user's access.", "check the user's access"
        ),
        "server_error": OAuthErrorRule(
            "the authorization server failed",
            "Retry later; report the X-Request-Id if it persists.",
            "retry later; report the X-Request-Id if it persists",
        ),
        "temporarily_unavailable": OAuthErrorRule(
            "the authorization server is overloaded", "Retry later.", "retry later"
        ),
    }
)


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 9110 §5.6.7 date (any of its three forms) as an aware UTC datetime, or None."""
    if not value or not value.strip():
        return None
    # Imported on first use: email.utils (with socket) is a tenth of `explain`'s start-up, and most captures
    # carry no date to read.
    from email.utils import parsedate_to_datetime  # noqa: PLC0415

    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_DELAY_SECONDS: Final = re.compile(r"\d{1,12}(?:\.\d{1,6})?")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds, or an HTTP date measured
    against `now` (the response's own `Date` where there is one); never negative; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)
    moment = parse_http_date(text)
    if moment is None:
        return None
    return max(0.0, (moment - now).total_seconds())


TransportFailureKind = Literal["dns", "connect", "tls", "timeout", "protocol", "blocked", "other"]
TRANSPORT_FAILURE_KINDS: Final[tuple[TransportFailureKind, ...]] = (
    "dns",
    "connect",
    "tls",
    "timeout",
    "protocol",
    "blocked",
    "other",
)
"""`blocked` is a browser's: the capture shows no status because CORS or the network stopped the call."""
_DNS_WORDS: Final = ("name or service", "nodename", "getaddrinfo", "name resolution", "no address associated")
_TLS_WORDS: Final = ("ssl", "certificate", "tls")


def transport_failure_kind(error: BaseException) -> TransportFailureKind:
    """The kind of a failed request's exception (httpx's or the standard library's), by class and message."""
    names = {cls.__name__ for cls in type(error).__mro__}
    cause = error.__cause__ or error.__context__
    text = f"{error} {cause or ''}".lower()
    if names & {"TimeoutException", "TimeoutError"}:
        return "timeout"
    if names & {"ConnectError", "ConnectionError", "OSError", "NetworkError"}:
        if any(word in text for word in _DNS_WORDS):
            return "dns"
        if "SSLError" in {cls.__name__ for cls in type(cause).__mro__} or any(word in text for word in _TLS_WORDS):
            return "tls"
        return "connect"
    if names & {"ProtocolError", "RemoteProtocolError", "LocalProtocolError"}:
        return "protocol"
    return "other"
