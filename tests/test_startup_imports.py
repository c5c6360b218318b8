"""Commands import only what they use: a fresh interpreter runs each command and reports what got loaded.

Start-up time is measured by benchmarks/startup.py; this pins the imports that keep it low, so that a new
top-level import of something heavy fails here with its name rather than slowing every command silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tallyfy_diag.sandbox import Sandbox

REPORT_MODULES = """
import contextlib, io, json, sys
from tallyfy_diag.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as done:
        code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
CURL = (
    "curl https://go.tallyfy.com/api/me -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' "
    "-H 'Authorization: Bearer abc'\n"
)


def loaded_by(*arguments: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", REPORT_MODULES, *arguments], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(done.stdout)
    return result["code"], set(result["modules"])


def heavy(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in prefixes or name.startswith(prefixes))


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def test_help_loads_no_library() -> None:
    code, modules = loaded_by("--help")
    assert code == 0
    assert heavy(modules, "attr", "attrs", "httpx", "yaml", "tallyfy_diag.sandbox", "tallyfy_diag.diagnostics") == []
    assert "importlib.metadata" not in modules


def test_explain_on_a_curl_file_loads_neither_yaml_nor_the_sandbox_nor_httpx(tmp_path: Path) -> None:
    capture = tmp_path / "call.sh"
    capture.write_text(CURL)
    code, modules = loaded_by("explain", str(capture))
    assert code in (0, 1)
    assert "tallyfy_diag.diagnostics" in modules
    assert heavy(modules, "yaml", "httpx", "tallyfy_diag.sandbox", "tallyfy_diag.client") == []
    assert "importlib.metadata" not in modules
    # A capture with no response has no date to read, and the report is not JUnit.
    assert heavy(modules, "email", "xml") == []
    # Only the command that runs is built.
    assert heavy(modules, "tallyfy_diag.cli.doctor", "tallyfy_diag.cli.proxy", "tallyfy_diag.cli.sandbox") == []


def test_a_live_doctor_loads_no_sandbox_and_no_yaml(running: Sandbox) -> None:
    code, modules = loaded_by("doctor", "--base-url", running.base_url, "--token", running.mint_access_token())
    assert code in (0, 1)
    assert "tallyfy_diag.diagnostics._doctor" in modules
    assert heavy(modules, "yaml", "starlette", "uvicorn", "jsonschema", "tallyfy_diag.sandbox") == []
    # It checks the auth flow, not the typed client: neither the generated package nor the facade.
    assert heavy(modules, "tallyfy_client", "tallyfy_diag.client._client", "tallyfy_diag.client._resources") == []
