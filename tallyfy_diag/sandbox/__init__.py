"""A local server that behaves like Tallyfy by the documented rules (the project's stand-in for Tallyfy).

It enforces SERVER rules only and shares nothing with the diagnostics but constants, so testing one against
the other proves something. Run it with `tallyfy-diag sandbox`, or from Python::

    with Sandbox() as sandbox:
        sandbox.base_url, sandbox.credentials

The server stack (Starlette, uvicorn, cryptography) is imported on first use of a name below, so that reading
`SCENARIOS` (the CLI's --help) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tallyfy_diag._lazy import lazy_exports
from tallyfy_diag.sandbox._config import SCENARIOS, CorsFault, SandboxConfig, Scenario

if TYPE_CHECKING:
    from tallyfy_diag.sandbox._app import SandboxApp, create_app
    from tallyfy_diag.sandbox._credentials import SandboxCredentials
    from tallyfy_diag.sandbox._server import Sandbox

_LAZY = {
    "Sandbox": "tallyfy_diag.sandbox._server",
    "SandboxApp": "tallyfy_diag.sandbox._app",
    "create_app": "tallyfy_diag.sandbox._app",
    "SandboxCredentials": "tallyfy_diag.sandbox._credentials",
}

__all__ = [
    "SCENARIOS",
    "CorsFault",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxCredentials",
    "Scenario",
    "create_app",
]


__getattr__ = lazy_exports(__name__, _LAZY)
