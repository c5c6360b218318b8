"""tallyfy-diag: a typed Tallyfy API client, auth diagnostics, and a local sandbox that behaves like Tallyfy.

The client's public names (`Tallyfy`, `AsyncTallyfy`, the auth strategies, the errors, ...) are importable from
here and from `tallyfy_diag.client`; they load on first use, so the command line starts without httpx.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("tallyfy-diag")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from tallyfy_diag.client import *  # noqa: F403


def __getattr__(name: str) -> Any:
    client = importlib.import_module("tallyfy_diag.client")
    if name in client.__all__:
        return getattr(client, name)
    raise AttributeError(f"module 'tallyfy_diag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *importlib.import_module("tallyfy_diag.client").__all__])
