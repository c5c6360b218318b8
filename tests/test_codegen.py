"""generated/ is exactly what the pinned generator makes from spec/: the drift check itself is tested here."""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tallyfy_diag._spec_build import parse_yaml

ROOT = Path(__file__).resolve().parent.parent


@functools.cache  # nox refuses to register the same sessions twice
def load_noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("project_noxfile", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    if shutil.which("openapi-python-client", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("openapi-python-client is not installed beside this Python (install the 'generate' group)")
    return load_noxfile()


def generate(noxfile: ModuleType, spec: Path, into: Path) -> Path:
    bin_dir = str(Path(sys.executable).parent)
    return noxfile.generate_client(lambda command: noxfile.run_with_path(command, bin_dir), into, spec)


def test_tree_differences_names_new_missing_and_changed_files(tmp_path: Path) -> None:
    noxfile = load_noxfile()
    expected, actual = tmp_path / "expected", tmp_path / "actual"
    for top in (expected, actual):
        (top / "api").mkdir(parents=True)
        (top / "same.py").write_text("x = 1\n")
    (expected / "api" / "changed.py").write_text("a = 1\n")
    (actual / "api" / "changed.py").write_text("a = 2\n")
    (expected / "gone.py").write_text("")
    (actual / "api" / "new_endpoint.py").write_text("")
    assert noxfile.tree_differences(expected, actual) == [
        "changed: api/changed.py",
        "new: api/new_endpoint.py",
        "missing: gone.py",
    ]


def generate_everything(noxfile: ModuleType, spec: Path, into: Path) -> dict[Path, Path]:
    bin_dir = str(Path(sys.executable).parent)
    return noxfile.generate_all(lambda command: noxfile.run_with_path(command, bin_dir), into, spec)


def test_generated_code_matches_the_spec_and_every_unregenerated_change_is_named(
    noxfile: ModuleType, tmp_path: Path
) -> None:
    """One generation (each takes seconds) of the spec with three changes made without regenerating: a changed
    summary, a new model property and a new operation. The drift check names exactly the files they change, so
    generated/, the facade and the migration page match the committed spec everywhere else; and the new
    operation reaches the facade and the migration page by regenerating alone."""
    text = noxfile.SPEC.read_text()
    marker = "summary: Get the current user"
    assert text.count(marker) == 1
    # The build's parser (libyaml when present: the pure-Python loader takes seconds here).
    document = parse_yaml(text.replace(marker, "summary: Who am I, changed without regenerating").encode())
    document["components"]["schemas"]["Organization"]["properties"]["plan"] = {
        "type": "string",
        "description": "The organization's plan (added without regenerating).",
    }
    get_me = document["paths"]["/me"]["get"]
    document["paths"]["/me/profile"] = {
        "get": {
            **get_me,
            "operationId": "get_my_profile",
            "summary": "Added without regenerating",
            "x-sdk-methods": ["get_current_user_profile"],
        }
    }
    # Written as JSON (YAML's subset, so every step reads it as before): the generator parses a .json spec with
    # json.loads instead of its pure-Python YAML parser (about 2 s). Only if JSON carries the document unchanged
    # (no dates, no non-string keys) is that the same input as the YAML would be.
    spec = tmp_path / "tallyfy.openapi.json"
    spec.write_text(json.dumps(document, indent=1))
    assert json.loads(spec.read_text()) == document
    outputs = generate_everything(noxfile, spec, tmp_path / "out")
    assert set(outputs) == {ROOT / "generated" / "tallyfy_client", noxfile.FACADE, noxfile.MIGRATION_PAGE}
    assert sorted(noxfile.drift(outputs)) == sorted(
        [
            "changed: generated/tallyfy_client/api/identity/get_me.py",
            "changed: generated/tallyfy_client/models/organization.py",
            "new: generated/tallyfy_client/api/identity/get_my_profile.py",
            "changed: tallyfy_diag/client/_resources.py",
            "changed: docs/migration-from-official-sdk.md",
        ]
    )
    facade = outputs[noxfile.FACADE].read_text()
    assert facade.count("def get_my_profile(self, *, org: str | None = None) -> User:") == 0  # /me takes no org
    assert facade.count("def get_my_profile(self) -> User:") == 2  # sync and async
    assert "`GET /me/profile` (operation `get_my_profile`)" in facade
    assert "| `sdk.get_current_user_profile(...)` | `tf.identity.get_my_profile(...)` |" in (
        outputs[noxfile.MIGRATION_PAGE].read_text()
    )


def test_drift_names_a_changed_or_missing_single_file(tmp_path: Path) -> None:
    noxfile = load_noxfile()
    fresh = tmp_path / "fresh.py"
    fresh.write_text("x = 1\n")
    assert noxfile.drift({noxfile.FACADE: fresh}) == ["changed: tallyfy_diag/client/_resources.py"]
    assert noxfile.drift({ROOT / "docs" / "nowhere.md": fresh}) == ["missing: docs/nowhere.md"]
    assert noxfile.drift({noxfile.FACADE: noxfile.FACADE}) == []


def test_the_facade_is_stamped() -> None:
    assert (
        (ROOT / "tallyfy_diag" / "client" / "_resources.py")
        .read_text()
        .startswith("# Generated by tallyfy_diag._codegen.facade from spec/tallyfy.openapi.yaml")
    )


def test_every_generated_file_is_stamped_and_the_package_is_typed() -> None:
    package = ROOT / "generated" / "tallyfy_client"
    sources = list(package.rglob("*.py"))
    assert sources
    unstamped = [str(p) for p in sources if not p.read_text().startswith("# Generated by openapi-python-client")]
    assert unstamped == []
    assert (package / "py.typed").is_file()
