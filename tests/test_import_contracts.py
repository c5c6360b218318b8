"""The layering is enforced by a tool: `lint-imports` checks every contract in pyproject.toml
([tool.importlinter]) against the real import graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_import_contract_is_kept() -> None:
    done = lint_imports()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "4 kept, 0 broken" in done.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    """The tool reads the real graph: a contract the code breaks (the command line imports the diagnostics)."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["tallyfy_diag"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "cli without diagnostics"\ntype = "forbidden"\n'
        'source_modules = ["tallyfy_diag.cli"]\nforbidden_modules = ["tallyfy_diag.diagnostics"]\n'
    )
    done = lint_imports("--config", str(config))
    assert done.returncode == 1
    assert "cli without diagnostics BROKEN" in done.stdout
