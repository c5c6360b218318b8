"""Facts about the Tallyfy API that the client, the sandbox and the diagnostics all rely on.

Only data lives here: the sandbox enforces these rules and the diagnostics judge clients by them, each with its
own logic, so that tests of one against the other prove something. Sources: the seed integration guide
(../shared/seed) and ../shared/reference/tallyfy-api.md.
"""

from typing import Final

# The request date rule has one home, _date_rule; these two are re-exported for the modules that read constants.
from tallyfy_diag._date_rule import REQUEST_DATE_FORMAT, RESPONSE_DATE_FORMAT

__all__ = ["REQUEST_DATE_FORMAT", "RESPONSE_DATE_FORMAT"]  # the re-exports; names defined below export anyway

# Required on every call (seed: "Requests without this header will be automatically rejected").
CLIENT_HEADER: Final = "X-Tallyfy-Client"
CLIENT_HEADER_VALUE: Final = "APIClient"
REQUEST_ID_HEADER: Final = "X-Request-Id"
ORG_ID_WEBHOOK_HEADER: Final = "X-Tallyfy-orgID"

BEARER_SCHEME: Final = "Bearer"

# Two host styles exist: the seed's (paths under /api) and the one Tallyfy's CLI and SDK use (root paths).
DEFAULT_BASE_URL: Final = "https://go.tallyfy.com/api"
ROOT_STYLE_BASE_URL: Final = "https://api.tallyfy.com"
API_PREFIX_HOSTS: Final = frozenset({"go.tallyfy.com", "staging.go.tallyfy.com"})
ROOT_PATH_HOSTS: Final = frozenset({"api.tallyfy.com"})
ACCOUNT_HOST: Final = "account.tallyfy.com"
API_PREFIX: Final = "/api"
TOKEN_PATH: Final = "/oauth/token"

GRANT_PASSWORD: Final = "password"
GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
GRANT_REFRESH_TOKEN: Final = "refresh_token"
GRANT_TYPES: Final = (GRANT_PASSWORD, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN)
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"


# Bodies the real API answers with (reference: "Errors and limits").
UNAUTHENTICATED_MESSAGE: Final = "Unauthenticated."
ENDPOINT_NOT_FOUND_CODE: Final = "ENDPOINT_NOT_FOUND"
ENDPOINT_NOT_FOUND_MESSAGE: Final = "API endpoint not found"
RESOURCE_NOT_FOUND_CODE: Final = "RESOURCE_NOT_FOUND"
RESOURCE_NOT_FOUND_MESSAGE: Final = "Resource not found"
RATE_LIMIT_CODE: Final = "RATE_LIMIT_EXCEEDED"
APP_PERMISSION_MESSAGE: Final = "You don't have application's permissions for this organization!"
VALIDATION_MESSAGE: Final = "The given data was invalid."

# The spec's per-operation flag: does the operation need a user (a client_credentials token gets 401)?
REQUIRES_USER_EXTENSION: Final = "x-requires-user"

MAX_PER_PAGE: Final = 100

# Hosts that never reach the public internet: plain http to them is a local sandbox or test, not a mistake.
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
TEST_HOST_SUFFIXES: Final = (".localhost", ".test", ".invalid", ".example")  # RFC 6761 special-use names


def is_local_host(host: str) -> bool:
    """Loopback or an RFC 6761 special-use name (the in-process sandbox is http://sandbox.test)."""
    host = host.lower().strip("[]")
    return host in LOOPBACK_HOSTS or host.startswith("127.") or host.endswith(TEST_HOST_SUFFIXES)
