"""`doctor --sandbox --scenario NAME`: each scenario reproduces one documented failure end to end.

The names and what they mean are `tallyfy_diag._scenarios.SCENARIOS` (one vocabulary for doctor, cors and sandbox). Here
each name becomes a sandbox behaviour (a server scenario's name, as a string: the diagnostics never import the
sandbox) plus the client the doctor plays: its credentials and its `ClientHabits`, the way it writes calls. A
live run uses `DOCUMENTED_HABITS`; the CLI starts the sandbox and turns a scenario into `DoctorSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

import attrs

from tallyfy_diag._constants import CLIENT_HEADER_VALUE
from tallyfy_diag._scenarios import SERVER_SCENARIOS

Grant = Literal["password", "client_credentials", "token", "expired-token", "none"]


@attrs.frozen
class ClientHabits:
    """How a client writes its calls; the defaults are what Tallyfy documents (and what a live run sends)."""

    client_header: str | None = CLIENT_HEADER_VALUE
    authorization: str = "Bearer {token}"
    """How the client writes the Authorization value."""
    token_body: Literal["form", "json"] = "form"
    grant_type_value: str | None = None
    """What the client writes in grant_type for its configured grant (None: the grant's own name)."""
    omitted_parameter: str | None = None
    """A parameter the client leaves out of its token requests."""
    burst: int = 0
    """Calls the client fires in a loop before the doctor looks."""
    day_first_deadline: bool = False
    """The client sends a task deadline day-first (an older text of the guide); the live doctor never writes."""


DOCUMENTED_HABITS: Final = ClientHabits()


@attrs.frozen
class DoctorScenario:
    sandbox_scenario: str = "default"
    grant: Grant = "password"
    """How the client authenticates: a grant, a ready token (`token`), an expired one, or nothing."""
    habits: ClientHabits = DOCUMENTED_HABITS
    token_path: str | None = None
    """The client's token URL, as a path on the sandbox's host (None: the base URL's /oauth/token)."""
    wrong_password: bool = False
    wrong_client_secret: bool = False
    root_paths: bool = False
    """The client drops the /api prefix from the base URL."""
    token_suffix: str = ""
    """Appended to the token as the client's configuration holds it (a trailing newline from a file)."""
    origin: bool = False
    """The call comes from a browser page at the sandbox's demo origin."""
    with_credentials: bool = False


def _server(name: str, habits: ClientHabits = DOCUMENTED_HABITS, *, with_credentials: bool = False) -> DoctorScenario:
    """A server scenario, with the client that exposes it (a browser page for the CORS ones)."""
    return DoctorScenario(
        sandbox_scenario=name, habits=habits, origin=name.startswith("cors-"), with_credentials=with_credentials
    )


DOCTOR_SCENARIOS: Final[Mapping[str, DoctorScenario]] = MappingProxyType(
    {
        **{name: _server(name) for name in SERVER_SCENARIOS},
        "default": DoctorScenario(),
        "cors-allowed": _server("cors-allowed", with_credentials=True),
        "cors-wildcard-credentials": _server("cors-wildcard-credentials", with_credentials=True),
        "missing-client-header-401": _server("missing-client-header-401", ClientHabits(client_header=None)),
        "rate-limited": _server("rate-limited", ClientHabits(burst=6)),
        "application-token": DoctorScenario(grant="client_credentials"),
        "expired-token": DoctorScenario(grant="expired-token"),
        "missing-client-header": DoctorScenario(habits=ClientHabits(client_header=None)),
        "malformed-auth-header": DoctorScenario(habits=ClientHabits(authorization="Bearer  {token}")),
        "token-trailing-newline": DoctorScenario(grant="token", token_suffix="\n"),
        "wrong-token-request": DoctorScenario(habits=ClientHabits(token_body="json")),
        "wrong-token-url": DoctorScenario(token_path="/oauth/token"),
        "wrong-grant-type": DoctorScenario(
            grant="client_credentials", habits=ClientHabits(grant_type_value="client_credential")
        ),
        "missing-token-parameter": DoctorScenario(habits=ClientHabits(omitted_parameter="client_secret")),
        "wrong-credentials": DoctorScenario(wrong_password=True),
        "wrong-client-secret": DoctorScenario(wrong_client_secret=True),
        "wrong-base-url": DoctorScenario(root_paths=True),
        "dates": DoctorScenario(habits=ClientHabits(day_first_deadline=True)),
        "cors-not-allowed": DoctorScenario(origin=True),
    }
)
"""Every scenario of the vocabulary (`SCENARIOS`), in its order."""
