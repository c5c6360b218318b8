"""The spec the package reads at run time is the compiled JSON of spec/tallyfy.openapi.yaml, never a stale one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tallyfy_diag import _spec, _spec_build

# The checkout's spec; the compiled file is read where the package is installed (the nox session installs a wheel).
SPEC = Path(__file__).resolve().parents[1] / "spec" / "tallyfy.openapi.yaml"
COMPILED = _spec._DATA_DIR / "tallyfy.openapi.json"


def test_the_committed_compiled_spec_is_what_the_spec_compiles_to() -> None:
    fresh = _spec_build.compile_spec(SPEC.read_bytes())
    committed = COMPILED.read_text(encoding="utf-8")
    assert committed == fresh, "tallyfy_diag/_data/tallyfy.openapi.json is stale: run `nox -s generate`"


def test_the_run_time_spec_is_the_packaged_yaml_and_comes_from_the_compiled_file() -> None:
    spec_bytes = _spec.spec_path().read_bytes()
    assert spec_bytes == SPEC.read_bytes()
    from_compiled = _spec.compiled_document(spec_bytes, COMPILED.read_text(encoding="utf-8"))
    assert from_compiled is not None, "the compiled spec was not used: it is stale (run `nox -s generate`)"
    assert from_compiled == _spec_build.parse_yaml(spec_bytes)
    assert _spec.load_spec() == from_compiled


def test_a_compiled_file_from_another_spec_is_not_used() -> None:
    spec_bytes = _spec.spec_path().read_bytes()
    committed = COMPILED.read_text(encoding="utf-8")
    assert _spec.compiled_document(spec_bytes + b"\n# edited\n", committed) is None


@pytest.mark.parametrize(
    "compiled_text",
    [None, "", "not json", "[]", '{"format": 1, "spec_sha256": "0", "document": {}}'],
)
def test_a_missing_or_unreadable_compiled_file_is_not_used(compiled_text: str | None) -> None:
    assert _spec.compiled_document(_spec.spec_path().read_bytes(), compiled_text) is None


def test_a_compiled_file_of_an_older_format_is_not_used() -> None:
    spec_bytes = _spec.spec_path().read_bytes()
    compiled = json.loads(_spec_build.compile_spec(spec_bytes))
    compiled["format"] = _spec_build.FORMAT_VERSION - 1
    assert _spec.compiled_document(spec_bytes, json.dumps(compiled)) is None


def test_an_edited_spec_with_a_stale_compiled_file_loads_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "tallyfy.openapi.yaml"
    text = _spec.spec_path().read_text(encoding="utf-8")
    title = _spec.load_spec()["info"]["title"]
    edited.write_text(text.replace(f"title: {title}", "title: Edited since compiled", 1), encoding="utf-8")
    monkeypatch.setattr(_spec, "spec_path", lambda: edited)
    assert _spec.load_spec.__wrapped__()["info"]["title"] == "Edited since compiled"


def test_a_spec_json_cannot_carry_faithfully_is_refused() -> None:
    with pytest.raises(ValueError, match="non-string key"):
        _spec_build.compile_spec(b"openapi: 3.1.0\npaths:\n  /me:\n    get:\n      responses:\n        200: {}\n")
    with pytest.raises(TypeError):
        _spec_build.compile_spec(b"openapi: 3.1.0\ninfo:\n  version: 2025-01-01\n")


def test_the_build_script_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "tallyfy.openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(_spec_build, "SPEC_FILE", SPEC)
    monkeypatch.setattr(_spec_build, "COMPILED_FILE", stale)
    assert _spec_build.main(["--check"]) == 1
    assert _spec_build.main([]) == 0
    assert _spec_build.main(["--check"]) == 0


def test_a_parameter_must_be_a_whole_path_segment() -> None:
    with pytest.raises(ValueError, match="whole segment"):
        _spec._split_template("/files/{id}.json")
    assert _spec._split_template("/organizations/{org}/runs") == (("", "organizations", None, "runs"), ("org",))
