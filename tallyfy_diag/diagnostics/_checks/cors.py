"""`cors-preflight`: what a browser at an origin would do with this call (see `_cors.py` for the rules)."""

from __future__ import annotations

from typing import Any, Final

from tallyfy_diag._constants import CLIENT_HEADER, REQUEST_ID_HEADER
from tallyfy_diag.diagnostics import _cors
from tallyfy_diag.diagnostics._checks._common import show_url
from tallyfy_diag.diagnostics._evidence import Evidence, Request, Response
from tallyfy_diag.diagnostics._references import FETCH_CORS_PROTOCOL
from tallyfy_diag.diagnostics._registry import REGISTRY, Status, Verdict, passed, skipped

_PROXY: Final = (
    "Tallyfy's API is not known to allow third-party origins: the robust fix is to call it from your own"
    " server (a small proxy) and keep the token out of the browser."
)
_FIXES: Final = {
    "MissingAllowOriginHeader": "The server must send Access-Control-Allow-Origin: {origin} on the preflight and on"
    " every response, errors (401, 429, 5xx) included. " + _PROXY,
    "WildcardOriginNotAllowed": "With credentials, reflect the exact origin instead of `*` (plus Vary: Origin), or"
    " call without credentials: a bearer token needs no cookies (fetch credentials 'same-origin').",
    "MultipleAllowOriginValues": "Send ONE origin: reflect the request's Origin when several are allowed (and add"
    " Vary: Origin).",
    "InvalidAllowOriginValue": "Send the exact serialized origin, such as {origin}.",
    "AllowOriginMismatch": "Allow-Origin must equal the page's origin {origin} exactly: scheme, host, port, no"
    " trailing slash, no path.",
    "InvalidAllowCredentials": "Send Access-Control-Allow-Credentials: true (lowercase, exactly) when credentials"
    " are included, or stop including them.",
    "PreflightInvalidStatus": "Answer OPTIONS preflights with 2xx BEFORE authentication runs: a preflight never"
    " carries Authorization or cookies.",
    "PreflightDisallowedRedirect": "The preflight URL must answer directly: use the final https URL.",
    "InvalidAllowMethodsPreflightResponse": "Access-Control-Allow-Methods must be a comma-separated list of methods.",
    "InvalidAllowHeadersPreflightResponse": "Access-Control-Allow-Headers must be a comma-separated list of names.",
    "MethodDisallowedByPreflightResponse": "List {parameter} in Access-Control-Allow-Methods (upper case: the"
    " comparison is case-sensitive).",
    "HeaderDisallowedByPreflightResponse": "List {missing} in Access-Control-Allow-Headers by name: `*` is a"
    " literal `*` when credentials are included, and the Fetch standard never lets it cover Authorization.",
    "AuthorizationCoveredByWildcard": "List Authorization in Access-Control-Allow-Headers by name: Chromium still"
    " lets `*` cover it (with this deprecation issue), but the Fetch standard does not, and browsers that enforce"
    " it refuse the call.",
}
_EXPOSE_FIX: Final = (
    "Expose the headers the page needs: Access-Control-Expose-Headers: X-Request-Id, WWW-Authenticate,"
    " Retry-After, X-RateLimit-Remaining; add Vary: Origin when reflecting the origin."
)
# Response headers a Tallyfy integration needs to read from a script.
_WANTED_RESPONSE_HEADERS: Final = (
    REQUEST_ID_HEADER.lower(),
    "www-authenticate",
    "retry-after",
    "x-ratelimit-remaining",
)


def _origin(evidence: Evidence) -> tuple[str | None, str | None]:
    """(serialized origin, a note when the given origin had to be normalised)."""
    given = evidence.origin
    if given is None and evidence.request is not None:
        given = evidence.request.header("origin")
    if given is None and evidence.preflight is not None:
        given = evidence.preflight.request.header("origin")
    if given is None:
        return None, None
    serialized = _cors.serialize_origin(given)
    if serialized is None:
        return None, f"{given[:80]!r} is not an origin (scheme://host[:port])"
    note = None if serialized == given.strip() else f"origin {given.strip()[:80]!r} read as {serialized!r}"
    return serialized, note


def _script_request(evidence: Evidence) -> tuple[str, str, list[tuple[str, str]]] | None:
    """(method, url, headers) of the call the page's script makes."""
    request: Request | None = evidence.request
    if request is not None and not request.is_preflight:
        return request.method, request.url, [(h.name, h.value) for h in request.headers]
    preflight = evidence.preflight.request if evidence.preflight else request
    if preflight is None:
        return None
    method = preflight.header("access-control-request-method") or "GET"
    names = [name.strip() for name in (preflight.header("access-control-request-headers") or "").split(",")]
    # The preflight names the headers but not their values: any value makes them non-safelisted here.
    return method, preflight.url, [(name, "\x00") for name in names if name]


def _cors_fields(response: Response) -> dict[str, str]:
    """The answer's headers that CORS reads (for the report: what the server said)."""
    shown: dict[str, str] = {}
    for header in response.headers:
        name = header.name.strip().lower()
        if name.startswith("access-control-") or name == "vary":
            shown[name] = f"{shown[name]}, {header.value.strip()}" if name in shown else header.value.strip()
    return shown


def _fix(error: _cors.CorsError, origin: str, missing: list[str]) -> str:
    preflight_only = {"PreflightInvalidStatus", "PreflightDisallowedRedirect"}
    key = error.name if error.name in preflight_only else error.name.removeprefix("Preflight")
    return _FIXES.get(key, "Fix the server's CORS headers.").format(
        origin=origin, parameter=error.parameter, missing=", ".join(missing) or error.parameter
    )


def _rejected(
    error: _cors.CorsError, rules: list[_cors.RuleVerdict], evidence: Evidence, sends: str, facts: dict[str, Any]
) -> Verdict:
    """The verdict for a call the browser refuses: DevTools' words, why the page cannot see more, the fix."""
    origin = facts["origin"]
    missing = [name for rule in rules if rule.devtools is error for name in rule.missing]
    facts["fetch"] = "rejected"
    if missing:
        # Chromium's message names one of them, in an order of its own: list them all.
        facts["disallowed_headers"] = missing
    facts["cors_error"] = error.name
    facts["stage"] = error.stage
    # Word for word what Chromium prints in the console (tests/browser compares the two).
    facts["devtools_message"] = (
        f"Access to fetch at '{facts['preflight']['url']}' from origin '{origin}' has been blocked by CORS policy:"
        f" {error.message}"
    )
    actual = evidence.response if evidence.request is not None and not evidence.request.is_preflight else None
    hidden_status = ""
    if error.stage == "actual" and actual is not None and actual.status >= 400:
        hidden_status = (
            f" The server answered {actual.status}, but the page only sees 'TypeError: Failed to fetch':"
            " error responses need Access-Control-Allow-Origin too."
        )
    preflight_answer = evidence.preflight.response if evidence.preflight else None
    if error.name == "PreflightInvalidStatus" and preflight_answer is not None:
        hidden_status = f" The preflight got {preflight_answer.status}."
    detail = f"{sends} DevTools: {error.message}{hidden_status}"
    if missing and CLIENT_HEADER.lower() in missing:
        detail += f" Every Tallyfy call sends {CLIENT_HEADER}, so it must be allowed."
    return Verdict(Status.FAIL, f"{error.name}: {error.message}"[:200], detail, _fix(error, origin, missing), facts)


def _response_warnings(actual: Response, credentials: bool, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(warning, fix) about an allowed response: headers the page cannot read, a reflected origin without Vary."""
    readable, hidden = _cors.readable_headers(actual, credentials)
    facts["readable_response_headers"] = readable
    warnings = []
    wanted_hidden = [name for name in hidden if name in _WANTED_RESPONSE_HEADERS]
    if wanted_hidden:
        facts["hidden_response_headers"] = wanted_hidden
        warnings.append(
            (f"the page cannot read {', '.join(wanted_hidden)} (not in Access-Control-Expose-Headers)", _EXPOSE_FIX)
        )
    allow_origin = _cors.allow_origin_value(actual)
    vary = (actual.combined("vary") or "").lower()
    if allow_origin not in (None, "*") and "origin" not in vary and "*" not in vary:
        warnings.append(
            ("the origin is reflected without Vary: Origin (a cache may serve it to another origin)", _EXPOSE_FIX)
        )
    return warnings


@REGISTRY.register("cors-preflight", "Browser CORS: preflight and response headers", FETCH_CORS_PROTOCOL)
def cors_preflight(evidence: Evidence) -> Verdict:
    origin, note = _origin(evidence)
    if origin is None:
        return skipped(note or "no browser origin given (use --origin ORIGIN)")
    call = _script_request(evidence)
    if call is None:
        return skipped("no request in the evidence")
    method, url, headers = call
    if _cors.same_origin(url, origin):
        return passed(f"same origin ({origin}): CORS does not apply")
    credentials = evidence.with_credentials
    predicted = _cors.predict_preflight(method, url, headers, origin)
    preflight_facts: dict[str, Any] = {
        "needed": predicted.needed,
        "method": "OPTIONS" if predicted.needed else None,
        "url": show_url(url),
        "headers": dict(predicted.request_headers()) if predicted.needed else {},
        "reasons": list(predicted.reasons),
    }
    facts: dict[str, Any] = {
        "origin": origin,
        "method": predicted.method,
        "credentials": "include" if credentials else "same-origin",
        "preflight": preflight_facts,
    }
    sends = (
        f"A browser at {origin} first sends OPTIONS {show_url(url)} with "
        + ", ".join(f"{name}: {value}" for name, value in predicted.request_headers())
        + f" ({'; '.join(predicted.reasons)})."
        if predicted.needed
        else f"A browser at {origin} sends no preflight (a simple request)."
    )
    notes = [note] if note else []
    rules: list[_cors.RuleVerdict] = []
    preflight_answer = evidence.preflight.response if evidence.preflight else None
    if predicted.needed and preflight_answer is not None:
        rules += _cors.preflight_rules(predicted, preflight_answer, credentials)
        preflight_facts["status"] = preflight_answer.status
        preflight_facts["answer_headers"] = _cors_fields(preflight_answer)
    actual = evidence.response if evidence.request is not None and not evidence.request.is_preflight else None
    if actual is not None:
        rules += _cors.actual_rules(actual, origin, credentials)
        facts["response"] = {"status": actual.status, "answer_headers": _cors_fields(actual)}
    facts["rules"] = [
        {
            "stage": rule.stage,
            "rule": rule.rule,
            "outcome": rule.outcome,
            "explanation": rule.explanation,
            **({"devtools": rule.devtools.name} if rule.devtools else {}),
        }
        for rule in rules
    ]
    error = _cors.browser_error(rules)
    if error is not None:
        return _rejected(error, rules, evidence, sends, facts)
    failure = evidence.exchange.failure if evidence.exchange is not None else None
    if actual is not None:
        facts["fetch"] = "resolved"
    else:
        facts["fetch"] = "no answer" if failure is not None else "allowed by the preflight"
    warnings: list[tuple[str, str]] = [
        (f"{rule.devtools.name}: {rule.devtools.message}", _FIXES[rule.devtools.name])
        for rule in rules
        if rule.outcome == "warn" and rule.devtools is not None
    ]
    if actual is not None:
        warnings += _response_warnings(actual, credentials, facts)
    if predicted.needed and preflight_answer is None:
        if actual is None:
            return skipped(
                "no preflight answer captured", sends + " Run `tallyfy-diag cors --origin` to ask the server."
            )
        warnings.append(
            (
                "the preflight answer was not captured, so only the response was judged",
                "Capture the preflight too (the OPTIONS entry in DevTools), or run `tallyfy-diag cors`.",
            )
        )
    if warnings:
        title, fix = warnings[0]
        return Verdict(
            Status.WARN,
            (title[0].upper() + title[1:])[:200],
            sends + " " + "; ".join([text for text, _ in warnings[1:]] + notes),
            fix,
            facts,
        )
    if actual is None and failure is not None:
        what = f"the preflight allows {predicted.method}; the call got no HTTP answer ({failure.kind})"
    elif actual is None:
        what = f"the preflight allows {predicted.method} (the call itself was not sent)"
    else:
        what = "preflight and response allow it" if predicted.needed else "the response allows it"
    return passed(
        f"a browser at {origin} may make this call: {what}", sends + (" " + notes[0] if notes else ""), **facts
    )
