"""The spec the package reads at run time is the compiled JSON of spec/tallyfy.openapi.yaml, never a stale one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tallyfy_diag import _spec, _spec_build

# The checkout's spec; the compiled file is read where the package is installed (the nox session installs a wheel).
SPEC = Path(__file__).resolve().parents[1] / "spec" / "tallyfy.openapi.yaml"
COMPILED = _spec._DATA_DIR / "tallyfy.openapi.json"


def _clear_caches() -> None:
    _spec.clear_caches()


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    _clear_caches()
    yield
    _clear_caches()


def test_the_committed_compiled_spec_is_what_the_spec_compiles_to() -> None:
    fresh = _spec_build.compile_spec(SPEC.read_bytes())
    committed = COMPILED.read_text(encoding="utf-8")
    assert committed == fresh, "tallyfy_diag/_data/tallyfy.openapi.json is stale: run `nox -s generate`"


def test_the_run_time_spec_is_the_packaged_yaml_and_comes_from_the_compiled_file() -> None:
    spec_bytes = _spec.spec_path().read_bytes()
    assert spec_bytes == SPEC.read_bytes()
    parts = _spec.compiled_parts(spec_bytes, COMPILED.read_text(encoding="utf-8"))
    assert parts is not None, "the compiled spec was not used: it is stale (run `nox -s generate`)"
    rows, document_text = parts
    from_yaml = _spec_build.parse_yaml(spec_bytes)
    assert json.loads(document_text) == from_yaml
    assert rows == _spec_build.operation_rows(from_yaml)
    assert _spec.load_spec() == from_yaml
    loaded = {(op.operation_id, op.method, op.path_template, op.tag, op.requires_user) for op in _spec.operations()}
    assert loaded == {tuple(row) for row in rows}
    assert len(_spec.operations()) == len(rows)


def test_the_index_carries_what_the_document_says() -> None:
    rows = _spec_build.operation_rows(
        {
            "paths": {
                "/me": {"get": {"operationId": "get_me", "tags": ["identity"], "x-requires-user": True}},
                "/oauth/token": {
                    "parameters": [],
                    "post": {"operationId": "issue_token", "tags": ["auth"], "x-requires-user": False},
                },
                "/things": {"delete": {"operationId": "drop"}},
            }
        }
    )
    assert rows == [
        ["get_me", "GET", "/me", "identity", True],
        ["issue_token", "POST", "/oauth/token", "auth", False],
        ["drop", "DELETE", "/things", "default", True],
    ]


def test_a_compiled_file_from_another_spec_is_not_used() -> None:
    spec_bytes = _spec.spec_path().read_bytes()
    committed = COMPILED.read_text(encoding="utf-8")
    assert _spec.compiled_parts(spec_bytes + b"\n# edited\n", committed) is None


def _header(**changes: object) -> str:
    header = json.loads(COMPILED.read_text(encoding="utf-8").partition("\n")[0])
    header.update(changes)
    return json.dumps(header)


@pytest.mark.parametrize(
    "compiled_text",
    [
        None,
        "",
        "not json",
        "[]\n{}",
        '{"format": 2, "spec_sha256": "0", "operations": []}\n{}',
        pytest.param("header only", id="header-without-document"),
    ],
)
def test_a_missing_or_unreadable_compiled_file_is_not_used(compiled_text: str | None) -> None:
    if compiled_text == "header only":
        compiled_text = _header() + "\n"
    assert _spec.compiled_parts(_spec.spec_path().read_bytes(), compiled_text) is None


def test_a_compiled_file_of_another_format_is_not_used() -> None:
    document_line = COMPILED.read_text(encoding="utf-8").partition("\n")[2]
    stale = _header(format=_spec_build.FORMAT_VERSION - 1) + "\n" + document_line
    assert _spec.compiled_parts(_spec.spec_path().read_bytes(), stale) is None


def test_an_edited_spec_with_a_stale_compiled_file_loads_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    edited = tmp_path / "tallyfy.openapi.yaml"
    text = _spec.spec_path().read_text(encoding="utf-8")
    edited.write_text(
        text.replace("title: Tallyfy API", "title: Edited since compiled", 1).replace(
            "operationId: get_me", "operationId: get_me_edited", 1
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(_spec, "spec_path", lambda: edited)
    assert _spec.load_spec()["info"]["title"] == "Edited since compiled"
    assert _spec.operation_by_id("get_me_edited").path_template == "/me"


def test_a_spec_json_cannot_carry_faithfully_is_refused() -> None:
    with pytest.raises(ValueError, match="non-string key"):
        _spec_build.compile_spec(
            b"openapi: 3.1.0\npaths:\n  /me:\n    get:\n      operationId: get_me\n      responses:\n        200: {}\n"
        )
    with pytest.raises(TypeError):
        _spec_build.compile_spec(b"openapi: 3.1.0\ninfo:\n  version: 2025-01-01\n")


def test_the_build_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
