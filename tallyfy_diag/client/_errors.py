"""The client's exceptions, and the one function that turns an HTTP response into one of them.

Exception tree::

    TallyfyError                      everything this client raises
    ├── ConfigurationError            bad settings (also a ValueError): raised before any request
    ├── TransportError                no usable HTTP response
    │   ├── ConnectError              DNS, refused, proxy: the host was not reached
    │   ├── RequestTimeoutError       connect/read/write/pool timeout, or the call's overall `deadline`
    │   ├── TLSError                  certificate or handshake failure
    │   ├── ConnectionLostError       the host was reached, then the connection broke (reset mid-body)
    │   └── ProtocolError             the host answered, but not with valid HTTP (truncated, garbled)
    └── APIError                      the server answered with something other than success
        ├── UnexpectedResponseError   a success status or body the API reference does not document
        ├── RedirectError             3xx: the base URL is probably wrong
        ├── BadRequestError           400
        ├── AuthenticationError       401
        │   ├── UserContextRequiredError   an application token on an operation that needs a user
        │   └── OAuthError            the token endpoint refused (RFC 6749 §5.2 code, description, hint)
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        │   └── EndpointNotFoundError ENDPOINT_NOT_FOUND: wrong path, base URL style or X-Tallyfy-Client
        ├── ValidationError           422, with `field_errors`
        ├── RateLimitError            429, with `retry_after` (seconds, or None)
        └── ServerError               5xx

Every error carries `method`, `url` (redacted), `status` (None when nothing was received), `request_id`
(`X-Request-Id`), `body_excerpt` (redacted, short) and `next_step` (one line on what to do next). `str()` is
one line built only from those redacted fields; the `response` attribute (not part of `str()`/`repr()`) is
there for callers who need more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import httpx

from tallyfy_diag import _constants as c
from tallyfy_diag import _json
from tallyfy_diag._http_rules import OAUTH_ERRORS, transport_failure_kind
from tallyfy_diag._redact import redact_body, redact_text, redact_url
from tallyfy_diag.client._retry import retry_after_of

# Set by the auth flow on requests it authorised with an application-only (client_credentials) token, so
# that the mapping below can name the real cause of a 401.
APP_ONLY_TOKEN_EXTENSION: Final = "tallyfy_diag.app_only_token"
# Set by the auth flow on the token requests it sends on behalf of a call (retried on their own terms).
TOKEN_REQUEST_EXTENSION: Final = "tallyfy_diag.token_request"

_EXCERPT_CHARS: Final = 200
_BASE_URL_HINT: Final = (
    f"check the {c.CLIENT_HEADER}: {c.CLIENT_HEADER_VALUE} header and the base URL "
    f"({c.DEFAULT_BASE_URL}, or {c.ROOT_STYLE_BASE_URL} without {c.API_PREFIX})"
)
USE_PASSWORD_GRANT: Final = (
    "this operation needs a user, and a client_credentials token carries none: use PasswordGrant "
    "(grant_type=password) or a user's personal access token"
)


class TallyfyError(Exception):
    """Base of every exception this client raises."""

    def __init__(
        self,
        summary: str,
        *,
        next_step: str,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        body_excerpt: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.summary = summary
        self.next_step = next_step
        self.method = method
        self.url = redact_url(url) if url else None
        self.status = status
        self.request_id = request_id
        self.body_excerpt = body_excerpt
        self.response = response
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [self.summary]
        if self.method and self.url:
            where = f"{self.method} {self.url}"
            parts.append(f"{where} -> {self.status}" if self.status is not None else where)
        if self.request_id:
            parts.append(f"{c.REQUEST_ID_HEADER}: {self.request_id}")
        if self.body_excerpt:
            parts.append(f"body: {self.body_excerpt}")
        parts.append(f"next: {self.next_step}")
        return " | ".join(parts)

    def __str__(self) -> str:
        return self._line()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, url={self.url!r}, "
            f"request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat pickle's default `cls(*args)` (multiprocessing, pytest-xdist);
        # the live response stays behind.
        return (_restore, (type(self), {**self.__dict__, "response": None}))


def _restore(cls: type[TallyfyError], state: dict[str, Any]) -> TallyfyError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._line())
    return error


class ConfigurationError(TallyfyError, ValueError):
    """Settings that cannot work; raised before anything is sent."""

    def __init__(self, summary: str, *, next_step: str) -> None:
        super().__init__(summary, next_step=next_step)


class TransportError(TallyfyError):
    """The request got no HTTP response."""


class ConnectError(TransportError):
    pass


class RequestTimeoutError(TransportError):
    pass


class TLSError(TransportError):
    pass


class ConnectionLostError(TransportError):
    """The host accepted the connection, then it broke before the response was complete."""


class ProtocolError(TransportError):
    """The host answered with something that is not valid HTTP (a truncated or garbled message)."""


class APIError(TallyfyError):
    """The server answered, and not with success."""


class UnexpectedResponseError(APIError):
    """A status or body the API reference does not document for this operation (`response` keeps it all)."""


class RedirectError(APIError):
    pass


class BadRequestError(APIError):
    pass


class AuthenticationError(APIError):
    pass


class UserContextRequiredError(AuthenticationError):
    """An application-only token used where a user is needed (status is None when caught before sending)."""


class OAuthError(AuthenticationError):
    """The token endpoint refused: `error` is the RFC 6749 §5.2 code."""

    def __init__(
        self, summary: str, *, error: str, error_description: str | None, hint: str | None, **kwargs: Any
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.hint = hint
        super().__init__(summary, **kwargs)


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class EndpointNotFoundError(NotFoundError):
    pass


class ValidationError(APIError):
    """422: `field_errors` maps each field to its messages."""

    def __init__(self, summary: str, *, field_errors: Mapping[str, list[str]], **kwargs: Any) -> None:
        self.field_errors = dict(field_errors)
        super().__init__(summary, **kwargs)


class RateLimitError(APIError):
    """429: `retry_after` is how long the server asked to wait, in seconds (None when it did not say)."""

    def __init__(self, summary: str, *, retry_after: float | None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(summary, **kwargs)


class ServerError(APIError):
    pass


def _body_json(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = _json.loads(response.content)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _excerpt(response: httpx.Response, secrets: Iterable[str]) -> str | None:
    text = response.content.decode("utf-8", "replace")
    if not text.strip():
        return None
    redacted = redact_text(redact_body(text, response.headers.get("content-type", "")), secrets)
    flat = " ".join(redacted.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1] + "…"


def _text(value: Any, secrets: Iterable[str]) -> str | None:
    return redact_text(value, secrets) if isinstance(value, str) and value else None


def _field_errors(body: Mapping[str, Any], secrets: Iterable[str]) -> dict[str, list[str]]:
    errors = body.get("errors")
    if not isinstance(errors, Mapping):
        return {}
    found: dict[str, list[str]] = {}
    for field, messages in errors.items():
        listed = messages if isinstance(messages, list) else [messages]
        found[str(field)] = [redact_text(str(message), secrets) for message in listed]
    return found


def _common(response: httpx.Response, secrets: tuple[str, ...]) -> dict[str, Any]:
    """The redacted fields every error built from a response carries (the response itself kept aside)."""
    request = response.request
    return {
        "method": request.method,
        "url": redact_text(str(request.url), secrets),
        "status": response.status_code,
        "request_id": response.headers.get(c.REQUEST_ID_HEADER),
        "body_excerpt": _excerpt(response, secrets),
        "response": response,
    }


def unexpected_response(
    response: httpx.Response, problem: str, *, secrets: Iterable[str] = ()
) -> UnexpectedResponseError:
    """A success the client cannot use (undocumented status, body that is not the documented JSON)."""
    return UnexpectedResponseError(
        f"unexpected response: {problem}",
        next_step="the server is not answering as the API reference documents: check the base URL points at "
        f"the Tallyfy API, not a proxy or web page; if it does, give Tallyfy Support the {c.REQUEST_ID_HEADER}",
        **_common(response, tuple(secrets)),
    )


def error_from_response(response: httpx.Response, *, secrets: Iterable[str] = ()) -> APIError:
    """THE status→exception mapping. `response` must be read; `secrets` are redacted wherever they appear."""
    secrets = tuple(secrets)
    request = response.request
    status = response.status_code
    body = _body_json(response)
    message = _text(body.get("message"), secrets)
    common = _common(response, secrets)
    oauth_code = body.get("error")
    if status == 429:
        retry_after = retry_after_of(response)
        wait = f"wait {retry_after:g}s, then retry" if retry_after is not None else "wait, then retry"
        return RateLimitError(
            "rate limited", retry_after=retry_after, next_step=f"{wait}; send fewer requests", **common
        )
    if status >= 500:
        return ServerError(
            f"Tallyfy server error {status}",
            next_step=f"retry later; if it persists give Tallyfy Support the {c.REQUEST_ID_HEADER}",
            **common,
        )
    if isinstance(oauth_code, str):
        # RFC 6749 §5.2 error bodies have a string `error`; Tallyfy's own errors use `"error": true`.
        description = _text(body.get("error_description"), secrets) or message
        hint = _text(body.get("hint"), secrets)
        rule = OAUTH_ERRORS.get(oauth_code)
        step = rule.next_step if rule else "check the token request against the grant's required fields"
        return OAuthError(
            f"token request refused: {oauth_code}" + (f" ({description})" if description else ""),
            error=oauth_code,
            error_description=description,
            hint=hint,
            next_step=step + (f"; server hint: {hint}" if hint else ""),
            **common,
        )
    if 300 <= status < 400:
        location = redact_url(response.headers.get("location", "")) or "elsewhere"
        return RedirectError(
            f"unexpected redirect to {location}",
            next_step=f"use the API's own base URL; redirects drop Authorization across hosts ({_BASE_URL_HINT})",
            **common,
        )
    if status == 401:
        if request.extensions.get(APP_ONLY_TOKEN_EXTENSION):
            return UserContextRequiredError(
                "a client_credentials token was refused: the operation needs a user",
                next_step=USE_PASSWORD_GRANT,
                **common,
            )
        return AuthenticationError(
            message or "unauthenticated",
            next_step="the token is missing, malformed, expired or revoked: sign in again, and send "
            f"{c.CLIENT_HEADER}: {c.CLIENT_HEADER_VALUE}",
            **common,
        )
    if status == 403:
        app_refused = message == c.APP_PERMISSION_MESSAGE
        return PermissionDeniedError(
            message or "permission denied",
            next_step="this application is not enabled for that organization: check the org id"
            if app_refused
            else "the user or application may not do this in this organization: check the org id and role",
            **common,
        )
    if status == 404:
        if body.get("code") == c.ENDPOINT_NOT_FOUND_CODE:
            return EndpointNotFoundError(message or c.ENDPOINT_NOT_FOUND_MESSAGE, next_step=_BASE_URL_HINT, **common)
        return NotFoundError(
            message or "not found",
            next_step="check the id and that it belongs to this organization; if the path itself is wrong, "
            + _BASE_URL_HINT,
            **common,
        )
    if status == 422:
        field_errors = _field_errors(body, secrets)
        listed = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in field_errors.items())
        return ValidationError(
            message or c.VALIDATION_MESSAGE,
            field_errors=field_errors,
            next_step=f"fix these fields: {listed}" if listed else "fix the request body or query",
            **common,
        )
    if status == 400:
        return BadRequestError(
            message or "bad request", next_step="fix the request body, parameters or content type", **common
        )
    if status < 300:
        return unexpected_response(response, f"status {status} where an error was expected", secrets=secrets)
    return APIError(
        message or f"unexpected status {status}",
        next_step="check the method, path and body against the API reference",
        **common,
    )


def error_from_transport(
    request: httpx.Request, error: httpx.TransportError, *, deadline: float | None = None
) -> TransportError:
    """A transport failure as a TransportError (the original stays as `__cause__`). `deadline` is the call's
    overall limit in seconds when that is what ran out."""
    common: dict[str, Any] = {"method": request.method, "url": str(request.url)}
    host = request.url.host
    if deadline is not None:
        return RequestTimeoutError(
            f"the call did not finish within its {deadline:g}s deadline (retries and token requests included)",
            next_step="retry later, or raise deadline= if the server is just slow",
            **common,
        )
    kind = transport_failure_kind(error)
    if kind == "timeout":
        return RequestTimeoutError(
            f"timed out ({type(error).__name__})",
            next_step="retry later, or raise timeout= if the server is just slow",
            **common,
        )
    if kind == "tls":
        return TLSError(
            "TLS handshake or certificate verification failed",
            next_step="check the system clock, the CA bundle (verify=) and any intercepting proxy",
            **common,
        )
    detail = f"{type(error).__name__}: {redact_text(str(error))[:_EXCERPT_CHARS]}"
    if isinstance(error, httpx.ProtocolError | httpx.DecodingError):
        return ProtocolError(
            f"{host} answered, but not with valid HTTP ({detail})",
            next_step="check that the base URL points at the Tallyfy API and that no proxy rewrites responses",
            **common,
        )
    if isinstance(error, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return ConnectionLostError(
            f"the connection to {host} broke before the response was complete ({detail})",
            next_step="retry; if it keeps happening, check proxies and load balancers between you and the API",
            **common,
        )
    return ConnectError(
        f"could not reach {host} ({detail})",
        next_step="check the base URL, DNS, network and proxy settings",
        **common,
    )
