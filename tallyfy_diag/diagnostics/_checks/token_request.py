"""The token endpoint: `token-request` (how the token was asked for) and `refresh-token`."""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from typing import Any, Final
from urllib.parse import unquote_plus

from tallyfy_diag._constants import (
    ACCOUNT_HOST,
    API_PREFIX_HOSTS,
    FORM_CONTENT_TYPE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
    TOKEN_PATH,
)
from tallyfy_diag._redact import is_sensitive_field
from tallyfy_diag.diagnostics._checks._common import is_loopback, show_url
from tallyfy_diag.diagnostics._evidence import Evidence, Request
from tallyfy_diag.diagnostics._references import PASSWORD_GRANT, TOKEN_REFRESH
from tallyfy_diag.diagnostics._registry import REGISTRY, Status, Verdict, passed, skipped

_REQUIRED: Final = {
    GRANT_PASSWORD: ("username", "password", "client_id", "client_secret"),
    GRANT_CLIENT_CREDENTIALS: ("client_id", "client_secret"),
    GRANT_REFRESH_TOKEN: ("refresh_token", "client_id", "client_secret"),
    "authorization_code": ("code", "redirect_uri", "client_id", "client_secret"),
}
_CLIENT_FIELDS: Final = ("client_id", "client_secret")
_DOCUMENTED_TOKEN_URL: Final = "https://go.tallyfy.com/api/oauth/token"
_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def basic_credentials(request: Request) -> tuple[str, str] | str | None:
    """(client_id, client_secret) from HTTP Basic, None without it, or a string saying why it is unreadable."""
    for value in request.header_values("authorization"):
        scheme, _, encoded = value.strip().partition(" ")
        if scheme.lower() != "basic":
            continue
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return "the Basic credentials are not valid base64 of UTF-8 text"
        if ":" not in decoded:
            return "the Basic credentials have no `:` between client id and secret"
        client_id, _, secret = decoded.partition(":")
        # RFC 6749 §2.3.1: both are form-urlencoded before base64.
        return unquote_plus(client_id), unquote_plus(secret)
    return None


def _grant(request: Request) -> str | None:
    values = request.parameters().get("grant_type")
    return values[0].strip() if values else None


def _url_problems(request: Request) -> list[tuple[Status, str]]:
    parts = request.parts
    if parts is None:
        return [(Status.FAIL, "the token URL cannot be parsed")]
    problems: list[tuple[Status, str]] = []
    host = parts.hostname or ""
    path = parts.path
    if parts.scheme != "https" and not is_loopback(host):
        problems.append((Status.FAIL, "the token URL is not https: credentials would travel in clear text"))
    if not path.rstrip("/").endswith(TOKEN_PATH):
        problems.append((Status.FAIL, f"wrong endpoint {path or '/'}: the token endpoint is {_DOCUMENTED_TOKEN_URL}"))
    elif path.endswith("/"):
        problems.append(
            (Status.WARN, "a trailing slash after /oauth/token (some servers redirect it, dropping the body)")
        )
    if "//" in path:
        problems.append((Status.FAIL, "a doubled slash in the token URL"))
    if host in API_PREFIX_HOSTS and path.rstrip("/") == TOKEN_PATH:
        problems.append(
            (Status.WARN, f"{host}{TOKEN_PATH} appears in one docs sample only; the guide uses {_DOCUMENTED_TOKEN_URL}")
        )
    if host == ACCOUNT_HOST:
        problems.append(
            (Status.WARN, f"{ACCOUNT_HOST} is for third-party OAuth apps; the guide uses {_DOCUMENTED_TOKEN_URL}")
        )
    secrets_in_query = [name for name, _ in request.query() if is_sensitive_field(name)]
    if secrets_in_query:
        problems.append(
            (Status.FAIL, f"credentials in the URL query ({', '.join(secrets_in_query)}): they end up in logs")
        )
    return problems


def _body_problems(request: Request) -> list[tuple[Status, str]]:
    problems: list[tuple[Status, str]] = []
    media = request.media_type
    body_json = request.json()
    if media == "application/json" or body_json is not None:
        problems.append(
            (
                Status.FAIL,
                "the body is JSON: the token endpoint takes application/x-www-form-urlencoded (RFC 6749 §4.3.2);"
                " Tallyfy answers 400 (the server never sees grant_type: unsupported_grant_type)",
            )
        )
    elif media is None and request.body.strip():
        problems.append((Status.FAIL, f"no Content-Type: send `Content-Type: {FORM_CONTENT_TYPE}`"))
    elif media is not None and media != FORM_CONTENT_TYPE:
        problems.append((Status.FAIL, f"Content-Type {media}: the token endpoint takes {FORM_CONTENT_TYPE}"))
    if not request.body_known:
        return problems
    if body_json is None:
        counts = Counter(unquote_plus(name) for name, _ in request.raw_form())
        repeated = sorted(name for name, count in counts.items() if count > 1)
        if repeated:
            problems.append(
                (Status.FAIL, f"repeated parameter(s) {', '.join(repeated)}: invalid_request (RFC 6749 §3.1)")
            )
        for raw_name, raw_value in request.raw_form():
            name = unquote_plus(raw_name)
            if _PERCENT.search(raw_value):
                problems.append((Status.FAIL, f"`{name}` has a `%` not followed by two hex digits (not encoded)"))
            if "+" in raw_value and name in {"client_secret", "username", "refresh_token"}:
                problems.append(
                    (
                        Status.FAIL,
                        f"a literal `+` in `{name}` arrives as a space in a form body; encode it as %2B",
                    )
                )
            elif "+" in raw_value and name == "password":
                problems.append(
                    (Status.WARN, "a literal `+` in `password` arrives as a space; if the password has a +, send %2B")
                )
    return problems


def _parameter_problems(request: Request) -> tuple[list[tuple[Status, str]], dict[str, Any]]:
    problems: list[tuple[Status, str]] = []
    parameters = request.parameters()
    facts: dict[str, Any] = {"parameters": sorted(parameters)}
    grant = _grant(request)
    facts["grant_type"] = grant
    basic = basic_credentials(request)
    if isinstance(basic, str):
        problems.append((Status.FAIL, basic))
        basic = None
    if grant is None:
        problems.append((Status.FAIL, "no grant_type parameter"))
        return problems, facts
    if grant not in _REQUIRED:
        problems.append(
            (
                Status.FAIL,
                f"unknown grant_type {grant[:40]!r}: use {GRANT_PASSWORD}, {GRANT_CLIENT_CREDENTIALS}"
                f" or {GRANT_REFRESH_TOKEN}",
            )
        )
        return problems, facts
    required = [name for name in _REQUIRED[grant] if not (basic and name in _CLIENT_FIELDS)]
    missing = [name for name in required if not any(value.strip() for value in parameters.get(name, []))]
    if missing:
        problems.append((Status.FAIL, f"grant_type={grant} needs {', '.join(missing)} (missing or empty)"))
    client_ids = list(parameters.get("client_id", []))
    if basic:
        client_ids.append(basic[0])
        if "client_secret" in parameters:
            problems.append(
                (
                    Status.FAIL,
                    "client credentials sent twice (HTTP Basic and client_secret in the body): RFC 6749 §2.3 allows"
                    " one method",
                )
            )
    for client_id in client_ids:
        if client_id.strip() and not client_id.strip().isdigit():
            problems.append(
                (Status.FAIL, "client_id is not numeric: Tallyfy's client ids are numbers (else 401 invalid_client)")
            )
            break
    facts["client_id"] = client_ids[0] if client_ids and client_ids[0].strip().isdigit() else None
    facts["client_auth"] = "basic" if basic else "body"
    return problems, facts


def _example_body(request: Request) -> str:
    """A well-formed body for the grant this request meant (the password grant when that is unclear)."""
    grants = request.parameters().get("grant_type", [])
    grant = grants[0].strip() if len(grants) == 1 else ""
    if grant not in _REQUIRED or grant == "authorization_code":
        grant = GRANT_PASSWORD
    values = {"client_id": "<number>"}
    return "&".join([f"grant_type={grant}"] + [f"{name}={values.get(name, '...')}" for name in _REQUIRED[grant]])


@REGISTRY.register(
    "token-request",
    "Token request: URL, method, encoding, parameters",
    PASSWORD_GRANT,
)
def token_request(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None or not request.is_token_request:
        return skipped("not a token request")
    problems: list[tuple[Status, str]] = []
    if request.method.upper() != "POST":
        problems.append(
            (Status.FAIL, f"{request.method.upper()} instead of POST (RFC 6749 §3.2): credentials end up in the URL")
        )
    problems += _url_problems(request)
    problems += _body_problems(request)
    parameter_problems, facts = _parameter_problems(request)
    problems += parameter_problems
    facts["url"] = show_url(request.url)
    fix = (
        f"POST {_DOCUMENTED_TOKEN_URL} with Content-Type: {FORM_CONTENT_TYPE} and a form body such as"
        f" {_example_body(request)} (each value percent-encoded)."
    )
    failures = [text for status, text in problems if status is Status.FAIL]
    warnings = [text for status, text in problems if status is Status.WARN]
    confirmed = [
        f"confirmed: '{trial.change}' gets a token ({trial.status})"
        for trial in evidence.isolation
        if trial.cause == "token-request" and trial.status is not None and 200 <= trial.status < 300
    ]
    if failures:
        return Verdict(Status.FAIL, failures[0], "; ".join(failures[1:] + warnings + confirmed), fix, facts)
    if warnings:
        return Verdict(Status.WARN, warnings[0], "; ".join(warnings[1:]), fix, facts)
    return passed(f"well-formed {facts['grant_type']} token request", **facts)


# ---------------------------------------------------------------------------------------------- refresh-token


@REGISTRY.register("refresh-token", "Refresh tokens: issued, sent, accepted", TOKEN_REFRESH)
def refresh_token(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None or not request.is_token_request:
        return skipped("not a token request")
    grant = _grant(request)
    response = evidence.response
    sent = request.parameters().get("refresh_token", [])
    if grant == GRANT_REFRESH_TOKEN and sent and sent[0].startswith("eyJ"):
        return Verdict(
            Status.FAIL,
            "the refresh_token parameter holds an access token (a JWT)",
            "Refresh tokens are opaque strings (def50200...) from the `refresh_token` field of the token response.",
            "Send the stored refresh_token, not the access_token.",
        )
    body = response.json() if response is not None else None
    if response is None:
        return skipped("no token response captured")
    if 200 <= response.status < 300 and isinstance(body, dict):
        issued = bool(body.get("refresh_token"))
        if grant == GRANT_PASSWORD and not issued:
            return Verdict(
                Status.WARN,
                "no refresh token from a password grant",
                "Without one the integration must send the user's password again when the access token expires.",
                "Check that the client may use the refresh_token grant; store the refresh_token when one comes.",
            )
        if grant == GRANT_CLIENT_CREDENTIALS:
            return passed("client_credentials issues no refresh token (request a new token when it expires)")
        if grant == GRANT_REFRESH_TOKEN:
            if not issued:
                return Verdict(Status.WARN, "the refresh answer has no new refresh token", "", "Keep the old one.")
            return passed("refreshed: store the NEW refresh token, the old one is revoked")
        return passed("a refresh token was issued" if issued else "token issued")
    if grant == GRANT_REFRESH_TOKEN and response.status >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        causes = {
            "invalid_grant": "the refresh token expired, was revoked, was already used (each refresh returns a"
            " new one and revokes the old), or belongs to another client",
            "invalid_request": "the refresh_token parameter is missing or malformed",
            "invalid_client": "the client id or secret sent with the refresh is wrong",
        }
        return Verdict(
            Status.FAIL,
            f"refresh failed ({error or response.status})",
            causes.get(str(error), "the server refused the refresh"),
            "Use the newest refresh token with the same client; if it still fails, authenticate again"
            " (password grant). Retry a 401 once after a refresh, never in a loop.",
        )
    return skipped(f"not a refresh ({grant or 'no grant_type'})")
