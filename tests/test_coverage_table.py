"""docs/coverage.md is generated from the spec, the sandbox and the tests; it must match what they say now."""

from __future__ import annotations

from pathlib import Path

from tallyfy_diag import _coverage
from tallyfy_diag._spec import operations

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_coverage_table_is_current() -> None:
    committed = (ROOT / _coverage.TABLE).read_text(encoding="utf-8")
    assert committed == _coverage.render(_coverage.build_rows(ROOT)), (
        "docs/coverage.md is stale: run `python -m tallyfy_diag._coverage`"
    )


def test_the_table_lists_every_operation_once() -> None:
    table = _coverage.render(_coverage.build_rows(ROOT))
    for operation in operations():
        assert table.count(f"| `{operation.operation_id}` |") == 1, operation.operation_id


def test_tests_are_found_by_their_imports_and_wire_rows(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "sub").mkdir(parents=True)
    (tests / "sub" / "test_a.py").write_text(
        "from tallyfy_client.api.users import list_users, get_user as fetch\n"
        "from tallyfy_client.api.tags.create_tag import sync\n"
        "from tallyfy_client.models import get_me\n"
    )
    (tests / "test_wire.py").write_text(
        "from tallyfy_client.api.guests import list_guests\nCASES = [WireCase('search', 'GET', '/x')]\n"
    )
    known = {"list_users", "get_user", "create_tag", "get_me", "search", "list_guests"}

    by_operation, wired = _coverage.scan_tests(tests, known)

    assert wired == {"search"}
    assert by_operation["list_users"] == by_operation["get_user"] == {"tests/sub/test_a.py"}
    assert by_operation["create_tag"] == {"tests/sub/test_a.py"}
    assert by_operation["get_me"] == set(), "a model import is not an operation"
    assert by_operation["list_guests"] == set(), "the wire-test file counts in its own column"


def test_check_mode_fails_on_a_stale_table(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # the table is built from the working directory (the checkout)
    (tmp_path / "tests").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "coverage.md").write_text("old\n")

    assert _coverage.main(["--check"]) == 1
    assert "docs/coverage.md is stale" in capsys.readouterr().err
    assert _coverage.main([]) == 0
    assert _coverage.main(["--check"]) == 0
    assert _coverage.main(["--bogus"]) == 2


def test_the_sources_column_is_the_spec_provenance() -> None:
    table = _coverage.render(_coverage.build_rows(ROOT))
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines() if line.startswith("| `")}
    assert "| DOC, CLI, SDK, N8N |" in rows["get_process_task"]
    assert "| *unverified* |" in rows["get_step_capture"]
    assert "| DOC |" in rows["get_process_custom_fields"]
