"""What came back (or did not): `rate-limit`, `connectivity`, `clock-skew`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from tallyfy_diag._constants import RATE_LIMIT_CODE
from tallyfy_diag._http_rules import retry_after_seconds
from tallyfy_diag.diagnostics._evidence import Evidence
from tallyfy_diag.diagnostics._references import rfc
from tallyfy_diag.diagnostics._registry import REGISTRY, Verdict, failed, passed, skipped, warned

# ------------------------------------------------------------------------------------------------ rate-limit

LOW_REMAINING: Final = 5


@REGISTRY.register("rate-limit", "429 Too Many Requests and Retry-After", rfc(6585, "4"))
def rate_limit(evidence: Evidence) -> Verdict:
    response = evidence.response
    if response is None:
        return skipped("no response captured")
    remaining = response.header("x-ratelimit-remaining")
    limit = response.header("x-ratelimit-limit")
    facts: dict[str, Any] = {"limit": limit, "remaining": remaining}
    if response.status == 429:
        seconds = retry_after_seconds(response.header("retry-after"), response.date or evidence.now)
        wait = int(seconds) if seconds is not None else None
        facts["retry_after_s"] = wait
        when = f"wait {wait} s (Retry-After)" if wait is not None else "no usable Retry-After: wait a minute"
        code = f"; code {RATE_LIMIT_CODE}" if RATE_LIMIT_CODE in response.text else ""
        return failed(
            f"429 rate-limited: {when}",
            "Not an auth failure. Tallyfy limits requests per organization (about 100 a minute and 1,000 an hour"
            f" per the API support notes; 600 a minute per user per the docs){code}.",
            "Honour Retry-After (seconds or an HTTP date), back off with jitter, and spread batch jobs.",
            **facts,
        )
    if remaining is not None and remaining.strip().isdigit() and int(remaining) <= LOW_REMAINING:
        return warned(
            f"{remaining} request(s) left in this rate-limit window",
            "The next calls may get 429.",
            "Slow down until the window resets.",
            **facts,
        )
    return passed(f"not rate-limited ({response.status})", **facts)


# ---------------------------------------------------------------------------------------------- connectivity

_FAILURE_TEXT: Final = {
    "dns": ("the host name does not resolve", "Check the base URL's host (go.tallyfy.com or api.tallyfy.com) and DNS."),
    "connect": ("the connection was refused or unreachable", "Check the host, port, proxy and firewall."),
    "tls": (
        "the TLS handshake failed (certificate or protocol)",
        "Use https with the real host name; behind an intercepting proxy, trust its CA (never disable verification).",
    ),
    "timeout": ("the call timed out", "Check the network path; retry idempotent calls with backoff."),
    "protocol": ("the server broke the HTTP protocol", "Check for a proxy between you and Tallyfy."),
    "blocked": (
        "the browser blocked the call (no HTTP status reached the page)",
        "Usually CORS: see cors-preflight.",
    ),
    "other": ("the call failed before an HTTP answer", "See the detail."),
}


@REGISTRY.register("connectivity", "Network, TLS and non-JSON answers", rfc(9110, "15.6"))
def connectivity(evidence: Evidence) -> Verdict:
    exchange = evidence.exchange
    if exchange is None:
        return skipped("no request in the evidence")
    if exchange.failure is not None:
        text, fix = _FAILURE_TEXT[exchange.failure.kind]
        return failed(text, exchange.failure.message, fix, kind=exchange.failure.kind)
    response = exchange.response
    if response is None:
        return skipped("no response captured (offline)")
    if response.status in (502, 503, 504):
        return failed(
            f"{response.status}: a gateway could not reach the API",
            "Tallyfy or a proxy in between is failing.",
            "Retry GET calls later with backoff; report the X-Request-Id if it lasts.",
            status=response.status,
        )
    if not response.body.strip():
        return passed(f"answer {response.status} with an empty body")
    if response.looks_like_html:
        return failed(
            f"{response.status} answered with an HTML page, not JSON",
            "A web page instead of the API: a wrong base URL (the web app), a proxy or captive portal, or a"
            " login-page redirect because the call did not send Accept: application/json.",
            "Call the API host (go.tallyfy.com/api or api.tallyfy.com) with Accept: application/json.",
            status=response.status,
        )
    if response.json() is None:
        media = response.media_type or "no content type"
        return failed(
            f"{response.status} answered with a body that is not JSON ({media})",
            "Truncated, compressed without a Content-Encoding, or not from the API.",
            "Check the base URL and any proxy.",
            status=response.status,
        )
    return passed(f"JSON answer ({response.status})")


# ------------------------------------------------------------------------------------------------ clock-skew

SKEW_WARN: Final = timedelta(seconds=60)
SKEW_FAIL: Final = timedelta(minutes=5)


@REGISTRY.register("clock-skew", "Local clock against the server's Date", rfc(9110, "6.6.1"))
def clock_skew(evidence: Evidence) -> Verdict:
    exchange = evidence.exchange
    server = exchange.response.date if exchange and exchange.response else None
    local = (exchange.received_at or exchange.sent_at) if exchange else None
    source = "the response Date header"
    if server is None or local is None:
        token = evidence.token
        issued = token.time_claim("iat") if token else None
        if issued is None or issued - evidence.now <= SKEW_WARN:
            return skipped("no server Date with a local timestamp to compare")
        # A token cannot be issued in the future: the issuer's clock is ahead of ours.
        server, local, source = issued, evidence.now, "the token's iat (issued-at) claim"
    skew = local - server
    seconds = round(skew.total_seconds())
    facts: dict[str, Any] = {"skew_s": seconds, "measured_from": source}
    direction = "ahead of" if seconds > 0 else "behind"
    fix = "Synchronise the clock with NTP; meanwhile judge token expiry by the server's Date, not the local clock."
    if abs(skew) > SKEW_FAIL:
        return failed(
            f"the local clock is {abs(seconds)} s {direction} the server",
            "Expiry decisions made locally (refresh ahead of exp) go wrong: tokens look valid when the server"
            " already refuses them, or look expired too early.",
            fix,
            **facts,
        )
    if abs(skew) > SKEW_WARN:
        return warned(f"the local clock is {abs(seconds)} s {direction} the server", "", fix, **facts)
    return passed(f"clocks agree within {max(abs(seconds), 1)} s", **facts)
