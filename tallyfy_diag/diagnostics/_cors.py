"""A CORS simulator that follows the WHATWG Fetch standard the way Chromium implements it.

Pure functions: from a request a script makes and the page's origin, predict the preflight a browser sends
(Fetch §4.8 "CORS-preflight fetch"), then judge the server's preflight answer and actual answer (Fetch §4.9
"CORS check", Chromium's `cors::CheckAccess` and `PreflightResult`). Errors carry Chromium's `CorsError` names,
so a verdict reads like DevTools. The `cors-preflight` check and the `cors` command share these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final, Literal

import attrs

from tallyfy_diag.diagnostics._evidence import Header, Response, split_url

SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
# fetch() upper-cases these six and sends any other method exactly as the script wrote it (Fetch "normalize").
_NORMALIZED_METHODS: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE", "TRACK"})
# Fetch "forbidden request-header" names, plus what browsers add themselves (never the script's doing).
_FORBIDDEN_HEADERS: Final = frozenset(
    {
        "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method",
        "connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
        "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via",
        "user-agent", "priority", "upgrade-insecure-requests", "cache-control", "pragma",
    }
)  # fmt: skip
_FORBIDDEN_PREFIXES: Final = ("proxy-", "sec-", ":")
SAFELISTED_RESPONSE_HEADERS: Final = frozenset(
    {"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}
)
_SAFE_CONTENT_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_UNSAFE_HEADER_BYTES: Final = frozenset('"():<>?@[\\]{}\x7f') | {chr(c) for c in range(0x20) if c != 0x09}
_LANGUAGE_VALUE: Final = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_RANGE_VALUE: Final = re.compile(r"bytes=\d*-\d*")
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
SAFELIST_VALUE_LIMIT: Final = 1024

Stage = Literal["preflight", "actual"]
Outcome = Literal["pass", "warn", "fail"]


@attrs.frozen
class PredictedPreflight:
    """The OPTIONS request a browser sends before the actual one (or why it sends none)."""

    needed: bool
    url: str
    origin: str
    method: str
    headers: tuple[str, ...]
    """`Access-Control-Request-Headers` names: lowercase, sorted, the non-safelisted ones only."""
    reasons: tuple[str, ...]

    def request_headers(self) -> list[tuple[str, str]]:
        fields = [("Origin", self.origin), ("Access-Control-Request-Method", self.method)]
        if self.headers:
            fields.append(("Access-Control-Request-Headers", ",".join(self.headers)))
        return fields


@attrs.frozen
class CorsError:
    name: str
    """Chromium's CorsError name, as DevTools shows it (`PreflightMissingAllowOriginHeader`, ...)."""
    stage: Stage
    message: str
    parameter: str | None = None


@attrs.frozen
class RuleVerdict:
    """One Fetch rule applied to one answer, as DevTools would judge it."""

    stage: Stage
    rule: str
    """What the rule looks at: `HTTP status`, `Access-Control-Allow-Origin`, ..."""
    outcome: Outcome
    explanation: str
    devtools: CorsError | None = None
    """For a failure, the error a browser reports; for a warning, the DevTools issue."""
    missing: tuple[str, ...] = ()
    """Request header names the preflight answer does not allow."""


def serialize_origin(url: str) -> str | None:
    """The ASCII serialization of a URL's origin (`https://app.example.com:8443`), or None."""
    parts = split_url(url.strip())
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def is_script_header(name: str) -> bool:
    """Whether a script could have set this header (not forbidden, not added by the browser itself)."""
    lowered = name.strip().lower()
    return lowered not in _FORBIDDEN_HEADERS and not lowered.startswith(_FORBIDDEN_PREFIXES)


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header" (value rules included)."""
    lowered = name.strip().lower()
    if len(value.encode("utf-8", "surrogatepass")) > 128:
        return False
    if lowered == "accept":
        return not any(character in _UNSAFE_HEADER_BYTES for character in value)
    if lowered in {"accept-language", "content-language"}:
        return bool(_LANGUAGE_VALUE.fullmatch(value))
    if lowered == "content-type":
        if any(character in _UNSAFE_HEADER_BYTES for character in value):
            return False
        return value.split(";", 1)[0].strip().lower() in _SAFE_CONTENT_TYPES
    if lowered == "range":
        return bool(_RANGE_VALUE.fullmatch(value.strip())) and value.strip() != "bytes=-"
    return False


def unsafe_header_names(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Fetch "CORS-unsafe request-header names": lowercase, sorted, deduplicated."""
    unsafe: set[str] = set()
    safelisted: list[tuple[str, str]] = []
    for name, value in headers:
        if not is_script_header(name):
            continue
        if is_safelisted_request_header(name, value):
            safelisted.append((name.strip().lower(), value))
        else:
            unsafe.add(name.strip().lower())
    if sum(len(value) for _, value in safelisted) > SAFELIST_VALUE_LIMIT:
        unsafe |= {name for name, _ in safelisted}
    return tuple(sorted(unsafe))


def normalize_method(method: str) -> str:
    """The method fetch() sends: `get` becomes `GET`, but `patch` stays `patch` (and fails `PATCH` in a preflight)."""
    method = method.strip()
    return method.upper() if method.upper() in _NORMALIZED_METHODS else method


def predict_preflight(method: str, url: str, headers: Iterable[tuple[str, str]], origin: str) -> PredictedPreflight:
    method = normalize_method(method)
    names = unsafe_header_names(headers)
    reasons = []
    if method not in SAFELISTED_METHODS:
        reasons.append(f"{method} is not a CORS-safelisted method (GET, HEAD, POST)")
    if names:
        reasons.append(f"non-safelisted request headers: {', '.join(names)}")
    return PredictedPreflight(bool(reasons), url, origin, method, names, tuple(reasons))


def same_origin(url: str, origin: str) -> bool:
    return serialize_origin(url) == origin


def _field(headers: Sequence[Header], name: str) -> str | None:
    values = [header.value for header in headers if header.name.strip().lower() == name]
    return ", ".join(value.strip() for value in values) if values else None


_VALID_VALUE_HINT: Final = " Have the server send the header with a valid value."
# Chromium's wording (services/network/public/cpp/cors/cors_error_status.cc), checked against Chromium's console
# by tests/browser.
_MESSAGES: Final = {
    "MissingAllowOriginHeader": "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    "WildcardOriginNotAllowed": "The value of the 'Access-Control-Allow-Origin' header in the response must not"
    " be the wildcard '*' when the request's credentials mode is 'include'.",
    "MultipleAllowOriginValues": "The 'Access-Control-Allow-Origin' header contains multiple values '{}', but"
    " only one is allowed." + _VALID_VALUE_HINT,
    "InvalidAllowOriginValue": "The 'Access-Control-Allow-Origin' header contains the invalid value '{}'."
    + _VALID_VALUE_HINT,
    "AllowOriginMismatch": "The 'Access-Control-Allow-Origin' header has a value '{}' that is not equal to the"
    " supplied origin." + _VALID_VALUE_HINT,
    "InvalidAllowCredentials": "The value of the 'Access-Control-Allow-Credentials' header in the response is"
    " '{}' which must be 'true' when the request's credentials mode is 'include'.",
    "PreflightInvalidStatus": "It does not have HTTP ok status.",
    "PreflightDisallowedRedirect": "Redirect is not allowed for a preflight request.",
    "InvalidAllowMethodsPreflightResponse": "Cannot parse Access-Control-Allow-Methods response header field in"
    " preflight response.",
    "InvalidAllowHeadersPreflightResponse": "Cannot parse Access-Control-Allow-Headers response header field in"
    " preflight response.",
    "MethodDisallowedByPreflightResponse": "Method {} is not allowed by Access-Control-Allow-Methods in preflight"
    " response.",
    "HeaderDisallowedByPreflightResponse": "Request header field {} is not allowed by Access-Control-Allow-Headers"
    " in preflight response.",
    # A DevTools issue, not an error: Chromium still lets `*` cover Authorization (the Fetch standard does not).
    "AuthorizationCoveredByWildcard": "Authorization will not be covered by the wildcard symbol (*) in CORS"
    " Access-Control-Allow-Headers handling.",
}
_PREFLIGHT_PREFIX: Final = "Response to preflight request doesn't pass access control check: "
_UNPREFIXED: Final = frozenset(
    {
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
        "AuthorizationCoveredByWildcard",
    }
)
# The order Chromium checks a preflight answer in, so the first failure is the one DevTools shows: redirect, the
# CORS check (origin, then credentials), ok status, parsing both lists, then the method and the headers.
_PREFLIGHT_ORDER: Final = (
    ("PreflightDisallowedRedirect",),
    (
        "PreflightMissingAllowOriginHeader",
        "PreflightWildcardOriginNotAllowed",
        "PreflightMultipleAllowOriginValues",
        "PreflightInvalidAllowOriginValue",
        "PreflightAllowOriginMismatch",
    ),
    ("PreflightInvalidAllowCredentials",),
    ("PreflightInvalidStatus",),
    ("InvalidAllowMethodsPreflightResponse",),
    ("InvalidAllowHeadersPreflightResponse",),
    ("MethodDisallowedByPreflightResponse",),
    ("HeaderDisallowedByPreflightResponse",),
)


def _error(name: str, stage: Stage, parameter: str | None = None) -> CorsError:
    message = _MESSAGES[name].format(parameter or "")
    if stage == "preflight" and name not in _UNPREFIXED:
        message = _PREFLIGHT_PREFIX + message
        name = "Preflight" + name if not name.startswith("Preflight") else name
    return CorsError(name, stage, message, parameter)


def _rank(error: CorsError) -> tuple[int, int]:
    if error.stage == "actual":
        return 1, 0
    return 0, next(index for index, names in enumerate(_PREFLIGHT_ORDER) if error.name in names)


def browser_error(rules: Iterable[RuleVerdict]) -> CorsError | None:
    """The one error DevTools shows: the preflight's first failure in Chromium's order, else the response's."""
    errors = [rule.devtools for rule in rules if rule.outcome == "fail" and rule.devtools is not None]
    return min(errors, key=_rank) if errors else None


def _origin_rules(headers: Sequence[Header], origin: str, credentials: bool, stage: Stage) -> list[RuleVerdict]:
    """Fetch's CORS check (§4.9): Access-Control-Allow-Origin, then -Credentials when credentials are included."""
    name = "Access-Control-Allow-Origin"
    allow_origin = _field(headers, name.lower())
    problem: tuple[str, str | None] | None = None
    if allow_origin is None:
        problem = "MissingAllowOriginHeader", None
    elif allow_origin == "*":
        if credentials:
            problem = "WildcardOriginNotAllowed", None
    elif allow_origin != origin:
        if " " in allow_origin or "," in allow_origin:
            problem = "MultipleAllowOriginValues", allow_origin
        elif allow_origin != "null" and serialize_origin(allow_origin) is None:
            problem = "InvalidAllowOriginValue", allow_origin
        else:
            problem = "AllowOriginMismatch", allow_origin
    if problem is None:
        explanation = (
            "'*' allows any origin (credentials are not included)" if allow_origin == "*" else f"'{origin}' matches"
        )
        rules = [RuleVerdict(stage, name, "pass", explanation)]
    else:
        error = _error(problem[0], stage, problem[1])
        rules = [RuleVerdict(stage, name, "fail", error.message, error)]
    if credentials:
        name = "Access-Control-Allow-Credentials"
        allow_credentials = _field(headers, name.lower())
        if allow_credentials == "true":
            rules.append(RuleVerdict(stage, name, "pass", "'true' (credentials are included)"))
        else:
            error = _error("InvalidAllowCredentials", stage, allow_credentials or "")
            rules.append(RuleVerdict(stage, name, "fail", error.message, error))
    return rules


def _allow_list(value: str | None) -> list[str] | None:
    """A comma-separated token list (Chromium drops empty items); None when an item is not a token."""
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items if all(_TOKEN.fullmatch(item) for item in items) else None


def _failed(
    stage: Stage, rule: str, name: str, parameter: str | None = None, missing: tuple[str, ...] = ()
) -> RuleVerdict:
    error = _error(name, stage, parameter)
    return RuleVerdict(stage, rule, "fail", error.message, error, missing)


def _methods_rule(method: str, answer: Response, credentials: bool) -> RuleVerdict:
    rule = "Access-Control-Allow-Methods"
    methods = _allow_list(_field(answer.headers, rule.lower()))
    if methods is None:
        return _failed("preflight", rule, "InvalidAllowMethodsPreflightResponse")
    # Compared case-sensitively (Fetch; Chromium normalises only the request's method).
    if method in SAFELISTED_METHODS:
        return RuleVerdict("preflight", rule, "pass", f"{method} is CORS-safelisted, so always allowed")
    if method in methods:
        return RuleVerdict("preflight", rule, "pass", f"{method} is listed")
    if not credentials and "*" in methods:
        return RuleVerdict("preflight", rule, "pass", "'*' allows any method (credentials are not included)")
    return _failed("preflight", rule, "MethodDisallowedByPreflightResponse", method)


def _headers_rule(requested: tuple[str, ...], answer: Response, credentials: bool) -> RuleVerdict:
    rule = "Access-Control-Allow-Headers"
    names = _allow_list(_field(answer.headers, rule.lower()))
    if names is None:
        return _failed("preflight", rule, "InvalidAllowHeadersPreflightResponse")
    allowed = {name.lower() for name in names}
    if not credentials and "*" in allowed:
        if "authorization" in requested and "authorization" not in allowed:
            # Fetch says `*` never covers Authorization; Chromium (checked in tests/browser) still lets it through
            # with a deprecation issue, so a page works in Chromium today and fails where the standard is enforced.
            issue = _error("AuthorizationCoveredByWildcard", "preflight")
            return RuleVerdict("preflight", rule, "warn", issue.message, issue, ("authorization",))
        return RuleVerdict("preflight", rule, "pass", "'*' allows any header (credentials are not included)")
    missing = tuple(name for name in requested if name not in allowed)
    if missing:
        return _failed("preflight", rule, "HeaderDisallowedByPreflightResponse", missing[0], missing)
    if not requested:
        return RuleVerdict("preflight", rule, "pass", "no non-safelisted header requested")
    return RuleVerdict("preflight", rule, "pass", f"{', '.join(requested)} listed")


def preflight_rules(predicted: PredictedPreflight, answer: Response, credentials: bool) -> list[RuleVerdict]:
    """Every rule a browser applies to a preflight answer, each judged on its own (Fetch §4.8 step 7)."""
    if 300 <= answer.status < 400:
        status = _failed("preflight", "HTTP status", "PreflightDisallowedRedirect", str(answer.status))
    elif not 200 <= answer.status < 300:
        status = _failed("preflight", "HTTP status", "PreflightInvalidStatus", str(answer.status))
    else:
        status = RuleVerdict("preflight", "HTTP status", "pass", f"{answer.status} is an ok status")
    return [
        status,
        *_origin_rules(answer.headers, predicted.origin, credentials, "preflight"),
        _methods_rule(predicted.method, answer, credentials),
        _headers_rule(predicted.headers, answer, credentials),
    ]


def actual_rules(answer: Response, origin: str, credentials: bool) -> list[RuleVerdict]:
    """The CORS check a browser applies to the actual response, whatever its status (Fetch §4.9)."""
    return _origin_rules(answer.headers, origin, credentials, "actual")


def check_preflight(
    predicted: PredictedPreflight, answer: Response, credentials: bool
) -> tuple[CorsError | None, list[str]]:
    """The first error a browser reports for this preflight answer, and every disallowed header name."""
    rules = preflight_rules(predicted, answer, credentials)
    error = browser_error(rules)
    missing = [name for rule in rules if rule.devtools is error for name in rule.missing] if error else []
    return error, missing


def check_actual(answer: Response, origin: str, credentials: bool) -> CorsError | None:
    return browser_error(actual_rules(answer, origin, credentials))


def readable_headers(answer: Response, credentials: bool) -> tuple[list[str], list[str]]:
    """(readable, hidden): which response header names a script can read with `response.headers.get`."""
    exposed = {item.lower() for item in _allow_list(_field(answer.headers, "access-control-expose-headers")) or []}
    readable: list[str] = []
    hidden: list[str] = []
    for header in answer.headers:
        name = header.name.strip().lower()
        if name in {"set-cookie", "set-cookie2"} or name in readable or name in hidden:
            continue
        if name in SAFELISTED_RESPONSE_HEADERS or name in exposed or (not credentials and "*" in exposed):
            readable.append(name)
        else:
            hidden.append(name)
    return readable, hidden


def allow_origin_value(answer: Response) -> str | None:
    return _field(answer.headers, "access-control-allow-origin")
