"""The Tallyfy client: the generated `tallyfy_client`, made safe and pleasant (see `_client` for what it adds).

from tallyfy_diag.client import PasswordGrant, Tallyfy

with Tallyfy(PasswordGrant(client_id, client_secret, username, password), org_id=org) as tf:
    page = tf.blueprints.list(per_page=20)              # one typed Page[Blueprint], with its pagination
    for blueprint in tf.blueprints.iter():              # every page
        print(blueprint.title)
    raw = tf.with_raw_response(tf.identity.get_me)      # the parsed User and its httpx.Response
"""

from typing import TYPE_CHECKING, Final

from tallyfy_diag._lazy import lazy_exports
from tallyfy_diag.client._auth import (
    AuthStrategy,
    ClientCredentials,
    FileTokenStore,
    PasswordGrant,
    PersonalAccessToken,
    RefreshToken,
    TallyfyAuth,
    Token,
    TokenStore,
    jwt_claims,
)
from tallyfy_diag.client._config import (
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_ORG_ID,
    ENV_PASSWORD,
    ENV_USERNAME,
    Settings,
    normalize_base_url,
    settings_from_env,
)
from tallyfy_diag.client._dates import DateSettings, parse_response_date, request_date
from tallyfy_diag.client._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    EndpointNotFoundError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ServerError,
    TallyfyError,
    TLSError,
    TransportError,
    UnexpectedResponseError,
    UserContextRequiredError,
    ValidationError,
    error_from_response,
)
from tallyfy_diag.client._pagination import Page
from tallyfy_diag.client._retry import RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from tallyfy_diag.client._client import DEFAULT_TIMEOUT, AsyncTallyfy, Tallyfy
    from tallyfy_diag.client._facade import RawResponse

# The entry points bring the generated client and its every operation and model (hundreds of milliseconds):
# they load on first use, so a command that needs only a setting or an error class (doctor, cors) starts fast.
_CLIENT: Final = "tallyfy_diag.client._client"
__getattr__ = lazy_exports(
    __name__,
    {
        "DEFAULT_TIMEOUT": _CLIENT,
        "AsyncTallyfy": _CLIENT,
        "Tallyfy": _CLIENT,
        "RawResponse": "tallyfy_diag.client._facade",
    },
)


__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_API_TOKEN",
    "ENV_BASE_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_ORG_ID",
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "APIError",
    "AsyncTallyfy",
    "AuthStrategy",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentials",
    "ConfigurationError",
    "ConnectError",
    "ConnectionLostError",
    "DateSettings",
    "EndpointNotFoundError",
    "FileTokenStore",
    "NotFoundError",
    "OAuthError",
    "Page",
    "PasswordGrant",
    "PermissionDeniedError",
    "PersonalAccessToken",
    "ProtocolError",
    "RateLimitError",
    "RawResponse",
    "RedirectError",
    "RefreshToken",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "Settings",
    "TLSError",
    "Tallyfy",
    "TallyfyAuth",
    "TallyfyError",
    "Token",
    "TokenStore",
    "TransportError",
    "UnexpectedResponseError",
    "UserContextRequiredError",
    "ValidationError",
    "error_from_response",
    "jwt_claims",
    "normalize_base_url",
    "parse_response_date",
    "parse_retry_after",
    "request_date",
    "settings_from_env",
]
