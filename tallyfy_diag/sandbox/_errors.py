"""Every error the sandbox answers with, shaped like Tallyfy's (or league/oauth2-server's) bodies.

Handlers raise `ApiError`; the app turns it into a JSON response. The bodies come from the reference
("Errors and limits") and the spec's `Error`, `ValidationError` and `OAuthError` schemas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tallyfy_diag._constants import (
    BEARER_SCHEME,
    ENDPOINT_NOT_FOUND_CODE,
    ENDPOINT_NOT_FOUND_MESSAGE,
    RATE_LIMIT_CODE,
    RESOURCE_NOT_FOUND_CODE,
    RESOURCE_NOT_FOUND_MESSAGE,
    UNAUTHENTICATED_MESSAGE,
    VALIDATION_MESSAGE,
)

NOT_A_MEMBER_MESSAGE = "You are not a member of this organization."
RATE_LIMIT_MESSAGE = "You've reached the limit of requests. Please try again later."


class ApiError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})


def endpoint_not_found() -> ApiError:
    return ApiError(404, {"error": True, "message": ENDPOINT_NOT_FOUND_MESSAGE, "code": ENDPOINT_NOT_FOUND_CODE})


def resource_not_found() -> ApiError:
    return ApiError(404, {"error": True, "message": RESOURCE_NOT_FOUND_MESSAGE, "code": RESOURCE_NOT_FOUND_CODE})


def unauthenticated(*, token_presented: bool) -> ApiError:
    """401; per RFC 6750 section 3.1 the challenge names `invalid_token` only when credentials came."""
    challenge = f'{BEARER_SCHEME} error="invalid_token"' if token_presented else BEARER_SCHEME
    return ApiError(401, {"error": True, "message": UNAUTHENTICATED_MESSAGE}, {"WWW-Authenticate": challenge})


def malformed_authorization() -> ApiError:
    """401 for an Authorization field sent more than once: RFC 6750 section 3.1's `invalid_request`."""
    return ApiError(
        401,
        {"error": True, "message": UNAUTHENTICATED_MESSAGE},
        {"WWW-Authenticate": f'{BEARER_SCHEME} error="invalid_request"'},
    )


def forbidden(message: str) -> ApiError:
    return ApiError(403, {"error": True, "message": message})


def method_not_allowed(allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        {"error": True, "message": "The method is not supported for this route.", "code": "METHOD_NOT_ALLOWED"},
        {"Allow": ", ".join(allowed)},
    )


def payload_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        {"error": True, "message": f"The request body is larger than {limit} bytes.", "code": "PAYLOAD_TOO_LARGE"},
    )


def invalid(errors: Mapping[str, list[str]]) -> ApiError:
    """422 in Laravel's shape, each field naming what is wrong with it."""
    return ApiError(422, {"message": VALIDATION_MESSAGE, "errors": dict(errors)})


def rate_limited(*, retry_after: int, limit: int) -> ApiError:
    return ApiError(
        429,
        {"message": RATE_LIMIT_MESSAGE, "code": RATE_LIMIT_CODE},
        {"Retry-After": str(retry_after), "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"},
    )


def server_error() -> ApiError:
    return ApiError(500, {"error": True, "message": "Server Error"})


# league/oauth2-server's OAuthServerException factories, as Passport sends them (error_description
# plus the older `message` copy, and `hint` when there is one).
_INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, "
    "includes a parameter more than once, or is otherwise malformed."
)


def _oauth(error: str, description: str, status: int, hint: str | None = None) -> ApiError:
    body: dict[str, Any] = {"error": error, "error_description": description}
    if hint is not None:
        body["hint"] = hint
    body["message"] = description
    return ApiError(status, body)


def oauth_unsupported_grant_type() -> ApiError:
    return _oauth(
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server.",
        400,
        "Check that all required parameters have been provided",
    )


def oauth_invalid_request(parameter: str, hint: str | None = None) -> ApiError:
    return _oauth("invalid_request", _INVALID_REQUEST, 400, hint or f"Check the `{parameter}` parameter")


def oauth_invalid_client(authorization_header: str | None) -> ApiError:
    error = _oauth("invalid_client", "Client authentication failed", 401)
    # RFC 6749 section 5.2: challenge in the scheme the client tried, only when it sent Authorization.
    if authorization_header:
        scheme = "Bearer" if authorization_header.startswith("Bearer") else "Basic"
        error.headers["WWW-Authenticate"] = f'{scheme} realm="OAuth"'
    return error


def oauth_unauthorized_client() -> ApiError:
    return _oauth(
        "unauthorized_client", "The authenticated client is not authorized to use this authorization grant type.", 400
    )


def oauth_invalid_credentials() -> ApiError:
    return _oauth("invalid_grant", "The user credentials were incorrect.", 400)


def oauth_invalid_refresh_token(hint: str) -> ApiError:
    return _oauth("invalid_grant", "The refresh token is invalid.", 400, hint)


def oauth_invalid_scope(scope: str) -> ApiError:
    return _oauth(
        "invalid_scope", "The requested scope is invalid, unknown, or malformed", 400, f"Check the `{scope}` scope"
    )
