"""tallyfy-diag: a typed Tallyfy API client, auth diagnostics, and a local sandbox that behaves like Tallyfy.

The client's entry points (`Tallyfy`, `AsyncTallyfy`, the auth strategies, ...) are importable from here; they
load on first use, so the command line starts without httpx. Everything else is in `tallyfy_diag.client`.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any


@functools.cache
def _version() -> str:
    """The installed version, read on first use: importlib.metadata costs the command line's start-up ~50 ms."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("tallyfy-diag")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


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
    if name == "__version__":
        return _version()
    if name in _CLIENT_EXPORTS:
        return getattr(importlib.import_module("tallyfy_diag.client"), name)
    raise AttributeError(f"module 'tallyfy_diag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_CLIENT_EXPORTS, "__version__"])
