"""`doctor --sandbox --scenario NAME`: each scenario reproduces one documented failure end to end.

A scenario is a sandbox configuration (a name in `tallyfy_diag.sandbox.SCENARIOS`, given as a string so the
diagnostics never import the sandbox) plus the client-side mistake the doctor is handed. Data only: the CLI
starts the sandbox and turns a scenario into `DoctorSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

import attrs

Grant = Literal["password", "client_credentials", "token", "expired-token", "none"]


@attrs.frozen
class DoctorScenario:
    description: str
    sandbox_scenario: str = "default"
    grant: Grant = "password"
    """How the client authenticates: a grant, a ready token (`token`), an expired one, or nothing."""
    client_header: str | None = "APIClient"
    authorization: str = "Bearer {token}"
    """How the client writes the Authorization value."""
    token_body: Literal["form", "json"] = "form"
    token_path: str | None = None
    """The client's token URL, as a path on the sandbox's host (None: the base URL's /oauth/token)."""
    grant_type_value: str | None = None
    """What the client writes in grant_type (None: the grant's own name)."""
    omitted_parameter: str | None = None
    """A parameter the client leaves out of the token request."""
    wrong_password: bool = False
    wrong_client_secret: bool = False
    root_paths: bool = False
    """The client drops the /api prefix from the base URL."""
    token_suffix: str = ""
    """Appended to the token as the client's configuration holds it (a trailing newline from a file)."""
    origin: bool = False
    """The call comes from a browser page at the sandbox's demo origin."""
    with_credentials: bool = False
    burst: int = 0
    """Calls the client fires in a loop before the doctor looks."""
    day_first_deadline: bool = False
    """The client sends a task deadline as ISO 8601 (what `isoformat()` gives)."""


DOCTOR_SCENARIOS: Final[Mapping[str, DoctorScenario]] = MappingProxyType(
    {
        "default": DoctorScenario("A correctly configured client against a sandbox that behaves like Tallyfy."),
        "application-token": DoctorScenario(
            "The client uses the client_credentials grant: an application token, refused by user endpoints.",
            grant="client_credentials",
        ),
        "expired-token": DoctorScenario("The client sends an access token that has expired.", grant="expired-token"),
        "missing-client-header": DoctorScenario(
            "The client omits X-Tallyfy-Client: the sandbox answers 404 'API endpoint not found'.",
            client_header=None,
        ),
        "missing-client-header-401": DoctorScenario(
            "The client omits X-Tallyfy-Client and the server answers 401 instead of 404.",
            sandbox_scenario="header-401",
            client_header=None,
        ),
        "malformed-auth-header": DoctorScenario(
            "The client writes two spaces between Bearer and the token.", authorization="Bearer  {token}"
        ),
        "token-trailing-newline": DoctorScenario(
            "The token comes from an environment variable that ends in a newline.", grant="token", token_suffix="\n"
        ),
        "wrong-token-request": DoctorScenario(
            "The client sends the token request as JSON instead of a form.", token_body="json"
        ),
        "wrong-token-url": DoctorScenario(
            "The client posts the token request to /oauth/token, without /api (as a docs sample shows): 404.",
            token_path="/oauth/token",
        ),
        "wrong-grant-type": DoctorScenario(
            "The client sends grant_type=client_credential, a typo for client_credentials: unsupported_grant_type.",
            grant="client_credentials",
            grant_type_value="client_credential",
        ),
        "missing-token-parameter": DoctorScenario(
            "The client's password-grant request leaves out client_secret: invalid_request.",
            omitted_parameter="client_secret",
        ),
        "wrong-credentials": DoctorScenario("The client sends a wrong password.", wrong_password=True),
        "wrong-client-secret": DoctorScenario(
            "The client sends a wrong client secret (invalid_client).", wrong_client_secret=True
        ),
        "wrong-base-url": DoctorScenario("The client's base URL lacks the /api prefix.", root_paths=True),
        "rate-limited": DoctorScenario(
            "The client polls in a loop and hits the rate limit.", sandbox_scenario="rate-limited", burst=6
        ),
        "clock-skew": DoctorScenario(
            "The server's clock runs 10 minutes ahead of the client's.", sandbox_scenario="clock-skew"
        ),
        "short-token-ttl": DoctorScenario(
            "Tokens live 60 seconds: the client must refresh.", sandbox_scenario="short-token-ttl"
        ),
        "dates": DoctorScenario(
            "The client sends a task deadline day-first (YYYY-DD-MM, as an older Tallyfy guide said).",
            day_first_deadline=True,
        ),
        "cors-not-allowed": DoctorScenario(
            "A browser page calls an API that allows no origins (like Tallyfy).", origin=True
        ),
        "cors-allowed": DoctorScenario(
            "A browser page calls an API configured for its origin.",
            sandbox_scenario="cors-allowed",
            origin=True,
            with_credentials=True,
        ),
        "cors-missing-client-header": DoctorScenario(
            "The preflight answer allows Authorization but not X-Tallyfy-Client.",
            sandbox_scenario="cors-missing-client-header",
            origin=True,
        ),
        "cors-wildcard-credentials": DoctorScenario(
            "The server answers Allow-Origin: * to a page that sends credentials.",
            sandbox_scenario="cors-wildcard-credentials",
            origin=True,
            with_credentials=True,
        ),
        "cors-options-401": DoctorScenario(
            "The server's auth runs before CORS: preflights get 401.", sandbox_scenario="cors-options-401", origin=True
        ),
        "cors-no-origin-on-error": DoctorScenario(
            "Error responses lack Access-Control-Allow-Origin, hiding the real 401 from the page.",
            sandbox_scenario="cors-no-origin-on-error",
            origin=True,
        ),
    }
)
