"""Token checks: `token-format`, `token-expiry`, `grant-type`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Final

from tallyfy_diag._constants import GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD
from tallyfy_diag._spec import operations
from tallyfy_diag.diagnostics._checks._common import is_api_call, operation_for
from tallyfy_diag.diagnostics._evidence import Evidence, TokenKind, TokenView
from tallyfy_diag.diagnostics._references import GRANT_TYPES, rfc
from tallyfy_diag.diagnostics._registry import REGISTRY, Verdict, failed, passed, skipped, warned

EXPIRY_LEEWAY: Final = timedelta(seconds=30)
"""Tolerance for clocks that disagree a little (RFC 7519 §4.1.4 allows 'some small leeway')."""
EXPIRING_SOON: Final = timedelta(minutes=5)
_TIME_CLAIMS: Final = ("exp", "nbf", "iat")


def _no_token(evidence: Evidence) -> Verdict:
    if evidence.token_note:
        return skipped("no token to judge", evidence.token_note)
    return skipped("no bearer token in the evidence")


def _duration(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _unusable_time_claims(token: TokenView) -> list[str]:
    """Time claims that are present but no date (`true`, a string, NaN, 1e300): absent is another matter."""
    claims = token.claims or {}
    return [name for name in _TIME_CLAIMS if name in claims and token.time_claim(name) is None]


# ---------------------------------------------------------------------------------------------- token-format

_TOKEN68: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
MIN_BEARER_LENGTH: Final = 32
"""Shorter than any bearer token a real service issues (Tallyfy's JWTs run to several hundred characters)."""


def _opaque(token: TokenView, facts: dict[str, str]) -> Verdict:
    """Not a JWT: Tallyfy never issues such an access token, so this never passes; garbage fails outright."""
    if not _TOKEN68.fullmatch(token.raw) or len(token.raw) < MIN_BEARER_LENGTH:
        shape = "characters a bearer token cannot hold" if not _TOKEN68.fullmatch(token.raw) else "too short"
        return failed(
            f"not an access token: {len(token.raw)} characters, {shape}",
            "Tallyfy's access tokens are JWTs (three base64url parts joined by dots, several hundred characters);"
            " this value is neither that nor any token shape (RFC 6750 §2.1 b64token).",
            "Set the access_token from Tallyfy (Settings > Integrations > REST API, or the token endpoint's"
            " response), not a placeholder, an id or a password.",
            length=len(token.raw),
            **facts,
        )
    return warned(
        "opaque token (not a JWT): not what Tallyfy issues, claim checks skipped",
        "Tallyfy issues JWTs (Laravel Passport); an opaque value may be a proxy's or another service's token.",
        "Check that this is the access_token Tallyfy issued (a JWT: three dot-separated parts).",
        length=len(token.raw),
        **facts,
    )


@REGISTRY.register("token-format", "Access token structure", rfc(7519, "3"))
def token_format(evidence: Evidence) -> Verdict:
    token = evidence.token
    if token is None:
        return _no_token(evidence)
    facts = {"token": token.fingerprint, "kind": str(token.kind)}
    if token.kind is TokenKind.EMPTY:
        return failed("the token is empty", "An unset variable or a failed token request.", **facts)
    if token.kind is TokenKind.REFRESH_TOKEN:
        return failed(
            "this is a refresh token (def50200...), not an access token",
            "Refresh tokens are opaque encrypted strings for the token endpoint only.",
            "Send the `access_token` from the token response; use the refresh token only with"
            " grant_type=refresh_token.",
            **facts,
        )
    if token.kind is TokenKind.MALFORMED_JWT:
        return failed(
            f"the token looks like a JWT but does not decode: {token.problem}",
            "Truncated when copied, wrapped across lines, or corrupted; Tallyfy's tokens are complete JWTs of"
            " several hundred characters.",
            "Copy the whole access_token again (or request a new one).",
            length=len(token.raw),
            **facts,
        )
    if token.kind is TokenKind.OPAQUE:
        return _opaque(token, facts)
    header = token.header or {}
    algorithm = header.get("alg")
    if algorithm in (None, "none"):
        return warned(
            f"JWT with alg={algorithm!r}: an unsigned token",
            "Tallyfy signs its tokens (RS256); an unsigned JWT was not issued by Tallyfy.",
            "Use a token issued by Tallyfy's token endpoint.",
            **facts,
        )
    names = ", ".join(sorted(token.claims or {}))
    return passed(f"JWT ({algorithm}), claims: {names}", claims=token.safe_claims(), **facts)


# ---------------------------------------------------------------------------------------------- token-expiry


def judgement_time(evidence: Evidence) -> tuple[datetime, str]:
    """When to judge a token: the server's clock if the answer says, else when it was sent, else now."""
    response = evidence.response
    if response is not None and response.date is not None:
        return response.date, "the server's clock (response Date header)"
    exchange = evidence.exchange
    if exchange is not None and exchange.sent_at is not None:
        return exchange.sent_at, "the time the request was sent"
    return evidence.now, "the current time"


def issued_lifetime(evidence: Evidence, token: TokenView) -> tuple[datetime, int] | None:
    """When the token was issued and its `expires_in`, from the token response in the capture (RFC 6749 §5.1)."""
    candidates = [*evidence.history]
    if evidence.exchange is not None:
        candidates.append(evidence.exchange)
    for exchange in reversed(candidates):
        response = exchange.response
        body = response.json() if response is not None else None
        if not isinstance(body, dict) or body.get("access_token") != token.raw:
            continue
        lifetime = body.get("expires_in")
        issued = (response.date if response else None) or exchange.sent_at
        if isinstance(lifetime, int) and not isinstance(lifetime, bool) and issued is not None:
            return issued, lifetime
    return None


@REGISTRY.register("token-expiry", "Access token lifetime", rfc(7519, "4.1.4"))
def token_expiry(evidence: Evidence) -> Verdict:
    token = evidence.token
    if token is None:
        return _no_token(evidence)
    now, clock = judgement_time(evidence)
    facts: dict[str, Any] = {"token": token.fingerprint, "judged_at": _stamp(now), "clock": clock}
    fix = (
        "Refresh before expiry (grant_type=refresh_token) or request a new token; read `expires_in` or `exp`"
        " rather than assuming a lifetime (Tallyfy's documented lifetimes range from 1 hour to 6 months)."
    )
    unusable = _unusable_time_claims(token)
    if unusable:
        names = " and ".join(unusable)
        return failed(
            f"{names} {'is not a NumericDate' if len(unusable) == 1 else 'are not NumericDates'} (RFC 7519 §2)",
            "A NumericDate is a JSON number of seconds since 1970-01-01 UTC within a representable date; a boolean,"
            " a string, NaN or an astronomically large number is not one, and a server rejects the token.",
            "Use a token issued by Tallyfy's token endpoint; if you mint tokens, write integer seconds.",
            **{name: repr((token.claims or {})[name])[:40] for name in unusable},
            **facts,
        )
    expires = token.time_claim("exp")
    not_before = token.time_claim("nbf")
    if expires is None:
        issued = issued_lifetime(evidence, token)
        if issued is not None:
            expires = issued[0] + timedelta(seconds=issued[1])
            facts["expires_in"] = issued[1]
    if token.kind is not TokenKind.JWT and expires is None:
        return skipped(f"cannot tell when a {token.kind} token expires", "No JWT `exp` and no token response.")
    if not_before is not None and now + EXPIRY_LEEWAY < not_before:
        return failed(
            f"token not valid yet: nbf is {_duration(not_before - now)} after {clock}",
            "A token is refused before its `nbf` time. Either the issuer's clock or yours is off (see clock-skew).",
            "Synchronise the clock (NTP); a freshly issued token should be valid at once.",
            nbf=_stamp(not_before),
            **facts,
        )
    if expires is None:
        return warned(
            "the JWT has no exp claim: its lifetime is unknown",
            "Without `exp` a client cannot refresh ahead of time.",
            fix,
            **facts,
        )
    facts["exp"] = _stamp(expires)
    # Shift `now`, never the claim: a valid exp near datetime's limit (year 9999) would overflow.
    if now - EXPIRY_LEEWAY >= expires:
        return failed(
            f"token expired {_duration(now - expires)} before {clock}",
            f'It expired at {_stamp(expires)}; an expired token gets 401 (WWW-Authenticate: error="invalid_token").',
            fix,
            **facts,
        )
    if now + EXPIRING_SOON >= expires:
        return warned(
            f"token expires within {_duration(EXPIRING_SOON)} (at {_stamp(expires)})",
            f"Judged against {clock}.",
            fix,
            **facts,
        )
    return passed(f"token valid for {_duration(expires - now)} more (judged against {clock})", **facts)


# ------------------------------------------------------------------------------------------------ grant-type

_GRANT_FIX: Final = (
    "Get a user token: the password grant (grant_type=password with the user's username and password), or, for a"
    " third-party application, POST /applications/{org}/users/{email}/token. RFC 9700 says the password grant"
    " MUST NOT be used in general; Tallyfy requires it for user context, so keep those credentials server-side."
)
_GRANT_REF: Final = GRANT_TYPES


def _application_only_operations() -> str:
    names = [operation.operation_id for operation in operations() if not operation.requires_user]
    return ", ".join(sorted(names))


def _issuing_grant(evidence: Evidence, token: TokenView) -> str | None:
    """The grant_type of the token request, earlier in this capture, whose answer issued this token."""
    for exchange in reversed(evidence.history):
        response = exchange.response
        if response is None or not exchange.request.is_token_request:
            continue
        body = response.json()
        if isinstance(body, dict) and body.get("access_token") == token.raw:
            grants = exchange.request.parameters().get("grant_type", [])
            return grants[0] if len(grants) == 1 else None
    return None


@REGISTRY.register("grant-type", "Grant type against the operation's needs", _GRANT_REF)
def grant_type(evidence: Evidence) -> Verdict:
    token = evidence.token
    if token is None:
        return _no_token(evidence)
    application = token.is_application_token
    if application is None:
        # An opaque token tells nothing by itself, but the capture may hold the token call that issued it.
        grant = _issuing_grant(evidence, token)
        if grant is None:
            return skipped(f"a {token.kind} token has no claims to tell its grant type")
        application = grant == GRANT_CLIENT_CREDENTIALS
    facts: dict[str, Any] = {
        "token": token.fingerprint,
        "grant": GRANT_CLIENT_CREDENTIALS if application else f"{GRANT_PASSWORD} (user)",
        "client_id": (token.claims or {}).get("aud"),
    }
    request = evidence.request
    if not application:
        return passed("user token (sub is set): user context available", **facts)
    if request is None or not is_api_call(request):
        return warned(
            "application token (client_credentials, empty sub): no user context",
            "It works only on operations that need no user (" + _application_only_operations() + ");"
            " /me, processes and tasks answer 401.",
            _GRANT_FIX,
            **facts,
        )
    operation = operation_for(request, evidence.base_url)
    response = evidence.response
    if operation is None:
        if response is not None and response.status == 401:
            return failed(
                "application token got 401 on an operation this tool does not know",
                "Most of the API needs a user; an application token (empty sub) carries none.",
                _GRANT_FIX,
                **facts,
            )
        return warned(
            "application token on an operation this tool does not know",
            "Most of the API needs a user; an application token (empty sub) carries none.",
            _GRANT_FIX,
            **facts,
        )
    facts["operation"] = operation.operation_id
    if operation.requires_user:
        return failed(
            f"application token on {operation.operation_id}, which needs a user",
            "The token came from the client_credentials grant (empty sub), and the spec marks"
            f" {operation.method} {operation.path_template} `x-requires-user: true`: the answer is 401"
            " 'Unauthenticated.' however valid the token is.",
            _GRANT_FIX,
            **facts,
        )
    return passed(f"application token is enough for {operation.operation_id} (needs no user)", **facts)
