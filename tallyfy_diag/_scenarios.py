"""One vocabulary of scenarios for `doctor --sandbox`, `cors --sandbox` and `sandbox`: a name means the same
documented failure wherever it is typed, and `--list-scenarios` on each command lists from here.

Pure data, cheap to import (the command line lists it while building `--help`). Two kinds of name:
- server scenarios switch on a sandbox behaviour (`tallyfy_diag.sandbox.SCENARIOS` implements each one);
  every command accepts them, and `doctor` pairs each with the client that exposes it;
- client scenarios reproduce an integrator's mistake against a well-behaved server
  (`tallyfy_diag.diagnostics._scenarios` gives each its client habits); only `doctor` runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

SERVER_SCENARIOS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "default": "Behaves like Tallyfy is documented to: no CORS origins allowed.",
        "cors-allowed": "CORS set up right for the demo origin (credentials, X-Tallyfy-Client, exposed headers).",
        "cors-missing-client-header": "Preflights allow Authorization but not X-Tallyfy-Client.",
        "cors-wildcard-credentials": "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials.",
        "cors-options-401": "Auth runs before CORS: preflights (OPTIONS, no credentials) get 401.",
        "cors-no-origin-on-error": "Error responses lack Access-Control-Allow-Origin, hiding the real status.",
        "cors-wildcard-origin": "Access-Control-Allow-Origin: * for every origin, without credentials.",
        "cors-allow-headers-wildcard": "Preflights answer Access-Control-Allow-Headers: *, which never covers"
        " Authorization.",
        "cors-methods-without-put": "Preflights leave PUT out of Access-Control-Allow-Methods.",
        "cors-origin-trailing-slash": "The allowed origin is echoed with a trailing slash, which matches no page.",
        "cors-no-expose-headers": "No Access-Control-Expose-Headers: scripts cannot read X-Request-Id and friends.",
        "missing-client-header-401": "A request without X-Tallyfy-Client gets 401 instead of 404 ENDPOINT_NOT_FOUND.",
        "rate-limited": "A few requests per minute per organization, then 429 with Retry-After.",
        "clock-skew": "The server's clock (its Date header) runs 10 minutes ahead of the client's.",
        "short-token-ttl": "Access tokens live 60 seconds: the client must refresh.",
        "unavailable": "A deployment hiccup: the next API requests get 503 with Retry-After, then normal service.",
    }
)

CLIENT_SCENARIOS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "application-token": "The client uses the client_credentials grant: an application token, refused by user"
        " endpoints.",
        "expired-token": "The client sends an access token that has expired.",
        "missing-client-header": "The client omits X-Tallyfy-Client: the server answers 404 'API endpoint not found'.",
        "malformed-auth-header": "The client writes two spaces between Bearer and the token.",
        "token-trailing-newline": "The token comes from an environment variable that ends in a newline.",
        "wrong-token-request": "The client sends the token request as JSON instead of a form.",
        "wrong-token-url": "The client posts the token request to /oauth/token, without /api (as a docs sample shows).",
        "wrong-grant-type": "The client sends grant_type=client_credential, a typo: unsupported_grant_type.",
        "missing-token-parameter": "The client's password-grant request leaves out client_secret: invalid_request.",
        "wrong-credentials": "The client sends a wrong password.",
        "wrong-client-secret": "The client sends a wrong client secret (invalid_client).",
        "wrong-base-url": "The client's base URL lacks the /api prefix.",
        "dates": "The client writes a task deadline day-first (YYYY-DD-MM, from an older text of the guide).",
        "cors-not-allowed": "A browser page calls an API that allows no origins (like Tallyfy).",
    }
)

SCENARIOS: Final[Mapping[str, str]] = MappingProxyType({**SERVER_SCENARIOS, **CLIENT_SCENARIOS})
"""Every name, in listing order: the server scenarios first."""


def listing(names: Iterable[str]) -> str:
    """`name  description` lines for `--list-scenarios`."""
    chosen = list(names)
    width = max(len(name) for name in chosen)
    return "\n".join(f"{name.ljust(width)}  {SCENARIOS[name]}" for name in chosen) + "\n"


def unknown_scenario(name: str, accepted: Iterable[str], command: str) -> str:
    """The one-line usage error for a scenario name the command does not run."""
    if name in CLIENT_SCENARIOS and command != "doctor":
        return (
            f"scenario {name!r} is a client mistake, which only the doctor reproduces:"
            f" tallyfy-diag doctor --sandbox --scenario {name}"
        )
    return f"unknown scenario {name[:40]!r}; see tallyfy-diag {command} --list-scenarios ({', '.join(accepted)})"
