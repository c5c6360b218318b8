"""tallyfy-diag: a typed Tallyfy API client, auth diagnostics, and a local sandbox that behaves like Tallyfy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tallyfy-diag")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
