"""The report formats: the versioned JSON schema, JUnit XML, the markdown support bundle, the human text."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tallyfy_diag.diagnostics import CATALOGUE, TokenView, use_colour

from .conftest import Run

ORG = "5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a"


def test_json_is_exactly_the_versioned_schema(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    report = cli("explain", str(capture_file("app_token_401.http")), "--format", "json").json()
    assert list(report) == ["version", "mode", "target", "requests_made", "findings", "summary"]
    assert (report["version"], report["mode"], report["requests_made"]) == (1, "explain", 0)
    for finding in report["findings"]:
        assert list(finding) == ["check", "status", "title", "detail", "fix", "reference", "evidence"]
        assert finding["check"] in CATALOGUE
        assert finding["status"] in {"pass", "warn", "fail", "skip", "error"}
        assert isinstance(finding["evidence"], dict)
    assert list(report["summary"]) == ["pass", "warn", "fail", "skip", "error"]
    assert sum(report["summary"].values()) == len(report["findings"])
    assert report["summary"]["fail"] == 2


def test_junit_is_xml_with_one_case_per_finding(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("app_token_401.http")), "--format", "junit")
    assert run.code == 1
    root = ET.fromstring(run.out)
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(CATALOGUE)
    failed = [case.get("name", "") for case in cases if case.find("failure") is not None]
    assert sorted(failed) == ["grant-type", "unauthenticated"]
    assert root.get("failures") == "2"
    assert len([case for case in cases if case.find("skipped") is not None]) == int(root.get("skipped", "-1"))


def test_junit_stays_well_formed_with_control_characters_in_the_input(cli: Callable[..., Run], tmp_path: Path) -> None:
    capture = tmp_path / "odd.http"
    capture.write_bytes(b"GET /api/me HTTP/1.1\nHost: go.tallyfy.com\nX-Tallyfy-Client: A\x01\x1b[31mB\n\n")
    run = cli("explain", str(capture), "--format", "junit")
    ET.fromstring(run.out)
    assert "\x1b" not in run.out


def test_markdown_bundle_has_no_secrets_or_identifiers(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    path = capture_file("endpoint_not_found.http")
    token = next(line.split("Bearer ", 1)[1] for line in path.read_text().splitlines() if "Bearer" in line)
    run = cli("explain", str(path), "--format", "markdown")
    assert run.out.startswith("# tallyfy-diag support bundle")
    assert token not in run.out
    assert ORG not in run.out
    assert "/organizations/{id}/runs" in run.out
    assert TokenView.parse(token).fingerprint in run.out
    assert "API endpoint not found" in run.out  # the body excerpt, redacted but kept
    assert "## Errors, failures and warnings" in run.out


def test_markdown_replaces_email_addresses(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("me_200.http")), "--format", "markdown")
    assert "ann@example.com" not in run.out
    assert "{email}" in run.out


def test_human_report_groups_by_status_and_counts(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("app_token_401.http")))
    lines = [line for line in run.out.splitlines() if line[:4] in {"FAIL", "WARN", "PASS", "SKIP"}]
    order = [line[:4] for line in lines]
    assert order == sorted(order, key=["FAIL", "WARN", "PASS", "SKIP"].index)
    assert "2 fail, 0 warn," in run.out
    assert "0 request(s) made" in run.out
    assert "\x1b[" not in run.out  # not a terminal: no colour


def test_colour_only_when_asked_or_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Terminal()) is True
    assert use_colour(io.StringIO()) is False
    assert use_colour(io.StringIO(), "always") is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Terminal()) is False
    assert use_colour(Terminal(), "always") is True


def test_colour_always_colours_the_status(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("app_token_401.http")), "--color", "always")
    assert "\x1b[1;31mFAIL\x1b[0m" in run.out


def test_output_to_a_file(cli: Callable[..., Run], capture_file: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    run = cli("explain", str(capture_file("me_200.http")), "--format", "junit", "--output", str(target))
    assert (run.code, run.out) == (0, "")
    ET.fromstring(target.read_text())


def test_list_checks(cli: Callable[..., Run]) -> None:
    run = cli("explain", "--list-checks")
    assert run.code == 0
    assert [line.split()[0] for line in run.out.splitlines()] == list(CATALOGUE)


def test_a_missing_file_is_one_line_and_exit_2(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("explain", str(tmp_path / "nope.txt"))
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "cannot read" in run.err


def test_explain_reads_stdin(cli: Callable[..., Run]) -> None:
    run = cli(
        "explain", "-", "--format", "json", stdin="curl https://go.tallyfy.com/api/me -H 'X-Tallyfy-Client: APIClient'"
    )
    assert run.json()["target"]["input"] == "-"
    assert run.statuses("auth-header") == ["fail"]
