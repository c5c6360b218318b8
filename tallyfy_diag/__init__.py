"""tallyfy-diag: a typed Tallyfy API client, auth diagnostics, and a local sandbox that behaves like Tallyfy.

The client's entry points (`Tallyfy`, `AsyncTallyfy`, the auth strategies, ...) are importable from here; they
load on first use, so the command line starts without httpx. Everything else is in `tallyfy_diag.client`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one place the version is set: pyproject.toml reads it from here (hatch's dynamic version), so start-up
# never pays for importlib.metadata.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from tallyfy_diag.client import (
        AsyncTallyfy,
        ClientCredentials,
        DateSettings,
        PasswordGrant,
        PersonalAccessToken,
        RefreshToken,
        RetryPolicy,
        Tallyfy,
        TallyfyError,
        request_date,
    )

__all__ = [
    "AsyncTallyfy",
    "ClientCredentials",
    "DateSettings",
    "PasswordGrant",
    "PersonalAccessToken",
    "RefreshToken",
    "RetryPolicy",
    "Tallyfy",
    "TallyfyError",
    "__version__",
    "request_date",
]


# The entry points users reach for; everything else is in `tallyfy_diag.client`. A fixed list, so that looking
# up a submodule (`from tallyfy_diag import sandbox`) never loads the client.
_CLIENT_EXPORTS = frozenset(
    {
        "Tallyfy",
        "AsyncTallyfy",
        "PersonalAccessToken",
        "PasswordGrant",
        "ClientCredentials",
        "RefreshToken",
        "TallyfyError",
        "RetryPolicy",
        "DateSettings",
        "request_date",
    }
)


def __getattr__(name: str) -> Any:
    if name in _CLIENT_EXPORTS:
        return getattr(importlib.import_module("tallyfy_diag.client"), name)
    raise AttributeError(f"module 'tallyfy_diag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_CLIENT_EXPORTS])
