"""The diagnostics judge client mistakes and share only constants and spec data with the sandbox: they never
import it (otherwise testing one against the other proves nothing)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import tallyfy_diag.diagnostics

PACKAGE = Path(tallyfy_diag.diagnostics.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_diagnostics_module_imports_the_sandbox() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(name for name in imported_modules(path) if "sandbox" in name)
        for path in PACKAGE.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_the_diagnostics_loads_neither_sandbox_nor_client() -> None:
    code = (
        "import sys, tallyfy_diag.diagnostics\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tallyfy_diag.sandbox', 'tallyfy_diag.client'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
