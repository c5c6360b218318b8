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


def predict_preflight(method: str, url: str, headers: Iterable[tuple[str, str]], origin: str) -> PredictedPreflight:
    method = method.upper()
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


_MESSAGES: Final = {
    "MissingAllowOriginHeader": "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    "WildcardOriginNotAllowed": "The value of the 'Access-Control-Allow-Origin' header in the response must not"
    " be the wildcard '*' when the request's credentials mode is 'include'.",
    "MultipleAllowOriginValues": "The 'Access-Control-Allow-Origin' header contains multiple values '{}', but"
    " only one is allowed.",
    "InvalidAllowOriginValue": "The 'Access-Control-Allow-Origin' header contains the invalid value '{}'.",
    "AllowOriginMismatch": "The 'Access-Control-Allow-Origin' header has a value '{}' that is not equal to the"
    " supplied origin.",
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
}
_PREFLIGHT_PREFIX: Final = "Response to preflight request doesn't pass access control check: "


def _error(name: str, stage: Stage, parameter: str | None = None) -> CorsError:
    message = _MESSAGES[name].format(parameter or "")
    if stage == "preflight" and name not in {
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
    }:
        message = _PREFLIGHT_PREFIX + message
        name = "Preflight" + name if not name.startswith("Preflight") else name
    return CorsError(name, stage, message, parameter)


def check_access(headers: Sequence[Header], origin: str, credentials: bool) -> tuple[str, str | None] | None:
    """Fetch's CORS check in Chromium's order: the error name and its parameter, or None when allowed."""
    allow_origin = _field(headers, "access-control-allow-origin")
    if allow_origin == "*":
        if credentials:
            return "WildcardOriginNotAllowed", None
    elif allow_origin is None:
        return "MissingAllowOriginHeader", None
    elif allow_origin != origin:
        if " " in allow_origin or "," in allow_origin:
            return "MultipleAllowOriginValues", allow_origin
        if allow_origin != "null" and serialize_origin(allow_origin) is None:
            return "InvalidAllowOriginValue", allow_origin
        return "AllowOriginMismatch", allow_origin
    if credentials:
        allow_credentials = _field(headers, "access-control-allow-credentials")
        if allow_credentials != "true":
            return "InvalidAllowCredentials", allow_credentials or ""
    return None


def _allow_list(value: str | None) -> list[str] | None:
    """A comma-separated token list (Chromium drops empty items); None when an item is not a token."""
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items if all(_TOKEN.fullmatch(item) for item in items) else None


def check_preflight(
    predicted: PredictedPreflight, answer: Response, credentials: bool
) -> tuple[CorsError | None, list[str]]:
    """The first error a browser reports for this preflight answer, and every disallowed header name."""
    if 300 <= answer.status < 400:
        return _error("PreflightDisallowedRedirect", "preflight"), []
    access = check_access(answer.headers, predicted.origin, credentials)
    if access is not None:
        return _error(access[0], "preflight", access[1]), []
    if not 200 <= answer.status < 300:
        return _error("PreflightInvalidStatus", "preflight", str(answer.status)), []
    methods = _allow_list(_field(answer.headers, "access-control-allow-methods"))
    if methods is None:
        return _error("InvalidAllowMethodsPreflightResponse", "preflight"), []
    headers = _allow_list(_field(answer.headers, "access-control-allow-headers"))
    if headers is None:
        return _error("InvalidAllowHeadersPreflightResponse", "preflight"), []
    # Methods compare case-sensitively (Fetch; Chromium normalises only the request's method).
    method_allowed = (
        predicted.method in methods or predicted.method in SAFELISTED_METHODS or (not credentials and "*" in methods)
    )
    if not method_allowed:
        return _error("MethodDisallowedByPreflightResponse", "preflight", predicted.method), []
    allowed = {name.lower() for name in headers}
    if not credentials and "*" in allowed:
        # `*` covers every header except Authorization, which must be named.
        missing = ["authorization"] if "authorization" in predicted.headers and "authorization" not in allowed else []
    else:
        missing = [name for name in predicted.headers if name not in allowed]
    if missing:
        return _error("HeaderDisallowedByPreflightResponse", "preflight", missing[0]), missing
    return None, []


def check_actual(answer: Response, origin: str, credentials: bool) -> CorsError | None:
    access = check_access(answer.headers, origin, credentials)
    return _error(access[0], "actual", access[1]) if access else None


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
