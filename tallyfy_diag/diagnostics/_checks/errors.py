"""Error answers explained: `oauth-error` (RFC 6749 §5.2) and `unauthenticated` (401, from all the evidence)."""

from __future__ import annotations

import re
from typing import Any, Final

from tallyfy_diag._constants import GRANT_TYPES, UNAUTHENTICATED_MESSAGE
from tallyfy_diag._http_rules import OAUTH_ERRORS
from tallyfy_diag._redact import redact_text
from tallyfy_diag.diagnostics._evidence import Evidence, Request
from tallyfy_diag.diagnostics._references import TROUBLESHOOTING, rfc
from tallyfy_diag.diagnostics._registry import (
    REGISTRY,
    Status,
    Verdict,
    failed,
    passed,
    skipped,
)

# ----------------------------------------------------------------------------------------------- oauth-error


def oauth_error_code(evidence: Evidence) -> str | None:
    response = evidence.response
    body = response.json() if response is not None else None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return None


def _refine(code: str, request: Request | None) -> str:
    """A more precise cause when the request shows it."""
    if request is None:
        return ""
    parameters = request.parameters()
    if code == "unsupported_grant_type":
        if request.json() is not None:
            return " Here the body IS JSON."
        grants = parameters.get("grant_type", [])
        if len(grants) == 1 and grants[0] not in GRANT_TYPES:
            # The form was read: the value itself is the problem (a typo, or a grant Tallyfy does not offer).
            return f" Here the body is a form and grant_type is {grants[0][:40]!r}, not a grant Tallyfy knows."
    if code == "invalid_client":
        ids = parameters.get("client_id", [])
        if ids and not ids[0].strip().isdigit():
            return " Here client_id is not numeric."
    if code == "invalid_request":
        grant = parameters.get("grant_type")
        if not grant:
            return " Here grant_type is missing."
    return ""


@REGISTRY.register("oauth-error", "OAuth error response explained", rfc(6749, "5.2"))
def oauth_error(evidence: Evidence) -> Verdict:
    response = evidence.response
    if response is None:
        return skipped("no response captured")
    code = oauth_error_code(evidence)
    request = evidence.request
    if code is None:
        body = response.json()
        if request is not None and request.is_token_request and 200 <= response.status < 300:
            if isinstance(body, dict) and body.get("access_token"):
                lifetime = body.get("expires_in")
                return passed(
                    f"token issued ({body.get('token_type', 'Bearer')}, expires_in {lifetime})",
                    expires_in=lifetime if isinstance(lifetime, int) else None,
                )
            return failed("the token endpoint answered without an access_token", "", "Check the token URL.")
        if request is not None and request.is_token_request and response.status >= 400:
            return failed(
                f"the token endpoint answered {response.status} without an OAuth error",
                "The request never reached the OAuth server: a wrong URL, a missing X-Tallyfy-Client, or a proxy"
                " (see endpoint-not-found and client-header).",
                "Fix the token URL and headers first.",
                status=response.status,
            )
        return skipped("no OAuth error in the response")
    body = response.json() or {}
    rule = OAUTH_ERRORS.get(code)
    cause, fix = (rule.cause, rule.fix) if rule else ("a non-standard error code", "Read the description and hint.")
    description = body.get("error_description") or body.get("message")
    hint = body.get("hint")
    detail = f"Cause: {cause}.{_refine(code, request)}"
    facts: dict[str, Any] = {"error": code, "status": response.status}
    if isinstance(description, str):
        detail += f" Server: {redact_text(description)[:300]!r}."
        facts["error_description"] = redact_text(description)[:300]
    if isinstance(hint, str) and hint:
        detail += f" Hint: {redact_text(hint)[:300]!r}."
        facts["hint"] = redact_text(hint)[:300]
    return failed(f"{response.status} {code}", detail, fix, **facts)


# ------------------------------------------------------------------------------------------- unauthenticated

# Linear time on hostile headers: a name starts only where a run of name characters starts, and a quoted value
# runs to its closing quote or the end of the header (it cannot fail, so it is never rescanned).
_CHALLENGE_PARAM: Final = re.compile(
    r'(?<![A-Za-z0-9_\-])([A-Za-z0-9_\-]++)\s*+=\s*+("(?:[^"\\]|\\[\s\S])*+"?|[^,\s]*+)'
)


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    """The scheme and auth-params of a WWW-Authenticate challenge (RFC 9110 §11.6.1), leniently."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for name, raw in _CHALLENGE_PARAM.findall(rest):
        quoted = raw.startswith('"')
        params[name.lower()] = (
            raw[1 : -1 if len(raw) > 1 and raw.endswith('"') else None].replace('\\"', '"') if quoted else raw
        )
    return scheme, params


# The checks that can explain a 401, in the order a root cause is looked for (Tallyfy's troubleshooting: headers first).
ROOT_CAUSE_ORDER: Final = (
    "redirect",
    "auth-header",
    "client-header",
    "token-format",
    "token-expiry",
    "grant-type",
    "base-url",
)


@REGISTRY.register("unauthenticated", "401 Unauthenticated: the root cause", TROUBLESHOOTING)
def unauthenticated(evidence: Evidence) -> Verdict:
    response = evidence.response
    request = evidence.request
    if response is None or request is None:
        return skipped("no response captured")
    if request.is_preflight:
        return skipped("a CORS preflight carries no credentials (see cors-preflight)")
    if response.status != 401:
        if 200 <= response.status < 300 and request.header("authorization"):
            return passed(f"authenticated ({response.status})")
        return skipped(f"not a 401 ({response.status})")
    challenge = response.combined("www-authenticate")
    facts: dict[str, Any] = {"status": 401}
    notes: list[str] = []
    invalid_token_at: int | None = None
    if challenge:
        scheme, params = parse_challenge(challenge)
        facts["www_authenticate"] = {"scheme": scheme, **{k: redact_text(v)[:200] for k, v in params.items()}}
        if params.get("error") == "invalid_token":
            invalid_token_at = len(notes)
            notes.append(_invalid_token_note(None))
        elif "error" not in params:
            notes.append(
                "The challenge names no error: the server saw NO credentials (RFC 6750 §3.1), so look for a"
                " missing or stripped Authorization header (a proxy, a redirect)."
            )
    else:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
        notes.append(
            "No WWW-Authenticate header (RFC 9110 §15.5.2 requires one)"
            + (f"; the body says {message!r}." if message == UNAUTHENTICATED_MESSAGE else ".")
        )
    for trial in evidence.isolation:
        if trial.status is not None and 200 <= trial.status < 300:
            facts["fixed_by"] = trial.change
            facts["root_cause"] = trial.cause
            if invalid_token_at is not None:
                notes[invalid_token_at] = _invalid_token_note(trial.cause)
            return failed(
                f"401 root cause ({trial.cause}): confirmed, '{trial.change}' turns it into {trial.status}",
                " ".join(notes),
                trial.fix or _fix_for(trial.cause, evidence),
                **facts,
            )
    if request.is_token_request:
        code = oauth_error_code(evidence)
        if code is None:
            return failed(
                "401 from the token endpoint without an OAuth error",
                "The request did not reach the OAuth server: look for a missing X-Tallyfy-Client or a proxy. "
                + " ".join(notes),
                "Send X-Tallyfy-Client: APIClient on the token request too.",
                **facts,
            )
        cause, fix, _ = OAUTH_ERRORS.get(code, OAUTH_ERRORS["invalid_client"])
        return failed(f"401 from the token endpoint: {code}", f"Cause: {cause}. " + " ".join(notes), fix, **facts)
    causes = []
    for check_id in ROOT_CAUSE_ORDER:
        finding = REGISTRY[check_id].run(evidence)
        if finding.status is Status.FAIL:
            causes.append(finding)
    if causes:
        root = causes[0]
        facts["root_cause"] = root.check
        if invalid_token_at is not None:
            notes[invalid_token_at] = _invalid_token_note(root.check)
        facts["other_causes"] = [cause.check for cause in causes[1:]]
        also = "; also: " + "; ".join(f"{c.check}: {c.title}" for c in causes[1:]) if causes[1:] else ""
        return failed(f"401 root cause ({root.check}): {root.title}", " ".join(notes) + also, root.fix, **facts)
    return failed(
        "401 with no client-side cause found: the token is probably revoked or the credentials wrong",
        " ".join(notes) + " Tallyfy's troubleshooting steps: verify client id, client secret, username and password.",
        "Request a new token with credentials you have just verified (log in to Tallyfy with them).",
        **facts,
    )


_INVALID_TOKEN_CAUSES: Final = {
    "grant-type": "the token is valid, but an application token (client_credentials grant) has no user and this"
    " endpoint needs one",
    "token-expiry": "the token has expired",
    "token-format": "the token is malformed",
    "auth-header": "the Authorization header does not carry the token cleanly",
    "credentials": "the token is no longer accepted (revoked, or issued for other credentials)",
}


def _invalid_token_note(cause: str | None) -> str:
    """What error="invalid_token" means here: the cause the evidence supports, or the possible ones."""
    reason = _INVALID_TOKEN_CAUSES.get(cause or "", "expired, revoked or malformed")
    return f'The server saw a token and refused it (error="invalid_token": {reason}).'


def _fix_for(check_id: str, evidence: Evidence) -> str:
    if check_id not in REGISTRY or check_id == "unauthenticated":
        return "Apply the change that fixed it to your client."
    return REGISTRY[check_id].run(evidence).fix or "Apply the change that fixed it to your client."
