"""Optional extras: which modules each brings, so a command that lacks one says what to install (exit 2).

`pyproject.toml`'s `[project.optional-dependencies]` lists the distributions; this lists the modules they
install, by top-level import name (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Final

SANDBOX_EXTRA: Final = "sandbox"
EXTRA_MODULES: Final = {
    SANDBOX_EXTRA: frozenset({"starlette", "uvicorn", "cryptography", "jsonschema", "referencing"}),
}


def extra_for(error: ModuleNotFoundError) -> str | None:
    """The extra that provides the module `error` could not import, if one does."""
    top = (error.name or "").partition(".")[0]
    return next((extra for extra, modules in EXTRA_MODULES.items() if top in modules), None)


def install_hint(extra: str) -> str:
    return f"python3 -m pip install 'tallyfy-diag[{extra}]'"
