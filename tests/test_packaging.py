"""A client-only install: the client needs no web server; commands that do say which extra to install (exit 2).

The extra's modules are made unimportable in a child interpreter (`sys.modules[name] = None` makes `import name`
raise ModuleNotFoundError), which is what a plain `pip install tallyfy-diag` looks like to the code.
`nox -s client_only` checks the same in a real fresh venv.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tallyfy_diag._extras import EXTRA_MODULES, SANDBOX_EXTRA

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BLOCK_EXTRA = "import sys\nfor name in {modules!r}:\n    sys.modules[name] = None\n"


def name_of(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def run_without_extra(code: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    prelude = BLOCK_EXTRA.format(modules=sorted(EXTRA_MODULES[SANDBOX_EXTRA]))
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=60, input=stdin, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [["doctor", "--sandbox"], ["sandbox", "--port", "0"], ["cors", "--sandbox"], ["webhook", "listen", "--port", "0"]],
)
def test_a_command_that_needs_the_sandbox_extra_says_so_and_exits_2(argv):
    done = run_without_extra(f"from tallyfy_diag.cli import main\nsys.exit(main({argv!r}))")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: this command needs the 'sandbox' extra (")
    assert line.endswith("python3 -m pip install 'tallyfy-diag[sandbox]'")
    assert "Traceback" not in done.stderr


def test_commands_without_a_server_still_work_without_the_extra():
    done = run_without_extra("from tallyfy_diag.cli import main\nsys.exit(main(['token', '-']))", stdin="not-a-jwt")
    assert "extra" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert run_without_extra("from tallyfy_diag.cli import main\nmain(['--help'])").returncode == 0


def test_the_client_and_its_facade_work_without_the_extra():
    code = """
import httpx
from tallyfy_diag import PersonalAccessToken, Tallyfy

def answer(request):
    return httpx.Response(200, json={"data": {"id": 1, "email": "ann@example.com", "first_name": "Ann"}})

with Tallyfy(PersonalAccessToken("t" * 40), org_id="org", transport=httpx.MockTransport(answer)) as tf:
    print(tf.identity.get_me().email)
print(sorted(m for m in MODULES if sys.modules.get(m) is not None))
""".replace("MODULES", repr(sorted(EXTRA_MODULES[SANDBOX_EXTRA])))
    done = run_without_extra(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ann@example.com", "[]"]


def test_the_server_stack_is_an_extra_and_not_a_dependency():
    core = {name_of(r) for r in PYPROJECT["project"]["dependencies"]}
    extra = PYPROJECT["project"]["optional-dependencies"][SANDBOX_EXTRA]
    assert core == {"httpx", "attrs", "python-dateutil", "pyyaml", "sniffio"}
    assert {name_of(r) for r in extra} == {"starlette", "uvicorn", "cryptography", "jsonschema"}
    # The dev groups repeat the extra (a group cannot name the project's own extra): the same pins, exactly.
    for group in ("tests", "typecheck"):
        entries = [e for e in PYPROJECT["dependency-groups"][group] if isinstance(e, str)]
        assert [e for e in entries if name_of(e) in {name_of(r) for r in extra}] == extra, group


def test_the_extras_module_list_matches_what_the_extra_installs():
    distributions = {module: {d.lower() for d in dists} for module, dists in packages_distributions().items()}
    brought = {"starlette", "uvicorn", "cryptography", "jsonschema", "referencing"}
    for module in EXTRA_MODULES[SANDBOX_EXTRA]:
        assert distributions.get(module, set()) & brought, module
    assert {"starlette", "uvicorn", "cryptography", "jsonschema"} <= EXTRA_MODULES[SANDBOX_EXTRA]
