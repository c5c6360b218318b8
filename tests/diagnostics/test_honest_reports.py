"""Reports that never mislead: a crashing check is an error (strict in tests, marked for users, exit 70),
the report counts checks the same way in every format, and every reference is a public URL."""

from __future__ import annotations

import ast
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import tallyfy_diag
from tallyfy_diag.cli import build_parser
from tallyfy_diag.diagnostics import REGISTRY, Evidence, Status, Verdict, explain
from tallyfy_diag.diagnostics._references import is_public_reference
from tallyfy_diag.diagnostics._registry import STRICT_CHECKS_VARIABLE

from .conftest import DATA, Run, render_fixture


class InjectedBug(RuntimeError):
    pass


@pytest.fixture
def broken_connectivity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connectivity check raises on every call, as a bug in it would."""

    def crash(evidence: Evidence) -> Verdict:
        raise InjectedBug("boom")

    check = REGISTRY["connectivity"]
    monkeypatch.setitem(REGISTRY._checks, "connectivity", attrs.evolve(check, function=crash))


@pytest.fixture
def user_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STRICT_CHECKS_VARIABLE)


@pytest.mark.usefixtures("broken_connectivity")
def test_a_crashing_check_fails_a_strict_run() -> None:
    with pytest.raises(InjectedBug):
        explain(render_fixture("good_get.sh").encode())


@pytest.mark.usefixtures("broken_connectivity")
def test_a_crashing_check_fails_the_strict_doctor_run(cli: Callable[..., Run]) -> None:
    run = cli("doctor", "--sandbox")
    assert run.code == 70
    assert "internal error (InjectedBug)" in run.err


@pytest.mark.usefixtures("broken_connectivity", "user_mode")
def test_a_crashing_check_is_an_error_in_every_format(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    path = str(capture_file("good_get.sh"))
    report = cli("explain", path, "--format", "json")
    assert report.code == 70
    (crashed,) = [finding for finding in report.json()["findings"] if finding["status"] == "error"]
    assert crashed["check"] == "connectivity"
    assert "InjectedBug" in crashed["title"]
    assert report.json()["summary"]["error"] == 1

    human = cli("explain", path)
    assert human.code == 70
    assert re.search(r"^ERROR  connectivity\s+this check crashed", human.out, re.MULTILINE)
    assert "1 error, 0 fail" in human.out

    junit = ET.fromstring(cli("explain", path, "--format", "junit").out)
    assert junit.get("errors") == "1"
    errored = [case.get("name") for case in junit.iter("testcase") if case.find("error") is not None]
    assert errored == ["connectivity"]

    markdown = cli("explain", path, "--format", "markdown").out
    assert "| ERROR | `connectivity` |" in markdown


@pytest.mark.usefixtures("broken_connectivity", "user_mode")
def test_a_crashing_check_makes_the_sandbox_doctor_exit_70(cli: Callable[..., Run]) -> None:
    run = cli("doctor", "--sandbox", "--format", "json")
    assert run.code == 70
    assert run.statuses("connectivity") == ["error"]
    assert run.statuses("auth-header") == ["pass"]  # the other checks ran normally


def _status_lines(human: str) -> list[str]:
    return [line for line in human.splitlines() if re.match(r"(ERROR|FAIL|WARN|PASS|SKIP) ", line)]


@pytest.mark.parametrize("fixture", ["cassette.yaml", "cors_ok.har", "clock_skewed.har", "app_token_401.http"])
def test_every_format_counts_the_same_checks(
    cli: Callable[..., Run], capture_file: Callable[..., Path], fixture: str
) -> None:
    path = str(capture_file(fixture))
    document = cli("explain", path, "--format", "json").json()
    findings, summary = document["findings"], document["summary"]
    checks = [finding["check"] for finding in findings]
    assert len(checks) == len(set(checks)), "one finding per check"
    assert sum(summary.values()) == len(findings)

    human = cli("explain", path).out
    lines = _status_lines(human)
    assert len(lines) == len(findings)
    for status in ("fail", "warn", "pass", "skip"):
        assert sum(line.lower().startswith(status) for line in lines) == summary[status]
    assert f"{len(findings)} checks: " in human

    junit = ET.fromstring(cli("explain", path, "--format", "junit").out)
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == (
        str(len(findings)),
        str(summary["fail"]),
        str(summary["skip"]),
    )
    markdown = cli("explain", path, "--format", "markdown").out
    rows = [line for line in markdown.splitlines() if re.match(r"\| (ERROR|FAIL|WARN|PASS|SKIP) \|", line)]
    assert len(rows) == len(findings)


def test_a_check_on_several_exchanges_keeps_each_exchange_in_its_finding(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    findings = cli("explain", str(capture_file("cassette.yaml")), "--format", "json").json()["findings"]
    (client_header,) = [finding for finding in findings if finding["check"] == "client-header"]
    listed = client_header["evidence"]["exchanges"]
    assert [item["exchange"].split()[0] for item in listed] == ["#1", "#2"]
    assert all(item["status"] == "pass" for item in listed)


# ------------------------------------------------------------------------------------------------ references


def test_every_registered_reference_is_a_public_url() -> None:
    for check in REGISTRY.checks():
        assert is_public_reference(check.reference), check.id


@pytest.mark.parametrize(
    "url",
    [
        'seed "Required headers"',
        "http://tallyfy.com/products/pro/integrations/open-api/",
        "https://example.com/rfc",
        "https://tallyfy.com.evil.example/x",
        "https://www.rfc-editor.org/rfc/rfc6750 #section-2",
    ],
)
def test_a_reference_that_is_not_public_is_refused(url: str) -> None:
    assert not is_public_reference(url)
    with pytest.raises(ValueError, match="public https URL"):
        Verdict(Status.FAIL, "title", reference=url)


def test_every_finding_of_every_fixture_cites_a_public_url(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    cited = set()
    for fixture in sorted(path.name for path in DATA.iterdir() if path.is_file()):
        run = cli("explain", str(capture_file(fixture)), "--format", "json")
        assert run.code in (0, 1), (fixture, run.err)
        cited |= {finding["reference"] for finding in run.json()["findings"]}
    assert cited
    assert [url for url in cited if not is_public_reference(url)] == []


# ------------------------------------------------------------------------------------------------- no "seed"

PACKAGE = Path(tallyfy_diag.__file__).parent
SEED = re.compile(r"\bseed", re.IGNORECASE)


def _user_strings(path: Path) -> list[str]:
    """String literals of a module except docstrings (those are for developers, like comments)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    # Attribute docstrings (a string right after an assignment) document code too.
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            for before, after in itertools.pairwise(statements):
                if isinstance(before, ast.Assign | ast.AnnAssign) and isinstance(after, ast.Expr):
                    docstrings.add(id(after.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("package", ["diagnostics", "cli", "client"])
def test_no_user_facing_string_mentions_the_seed(package: str) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): [text for text in _user_strings(path) if SEED.search(text)]
        for path in sorted((PACKAGE / package).rglob("*.py"))
    }
    # The sandbox command's hidden, deprecated --seed alias is the one exception (no help text shows it).
    offenders["cli/sandbox.py"] = [
        text for text in offenders.get("cli/sandbox.py", []) if text not in ("--seed", "seed")
    ]
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_listing_mentions_the_seed(cli: Callable[..., Run]) -> None:
    shown = [build_parser().format_help(), cli("explain", "--list-checks").out, cli("doctor", "--list-scenarios").out]
    assert all(shown)
    assert [text[:200] for text in shown if SEED.search(text)] == []


def test_no_subcommand_help_mentions_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command in ("doctor", "explain", "token", "cors", "sandbox", "webhook"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        help_text = capsys.readouterr().out
        assert help_text
        assert not SEED.search(help_text), command


def test_a_reference_is_never_cut_across_lines(cli: Callable[..., Run]) -> None:
    out = cli("doctor", "--sandbox", "--scenario", "application-token").out
    references = [line.split("ref: ", 1)[1] for line in out.splitlines() if "ref: " in line]
    assert references
    assert all(is_public_reference(reference) for reference in references)
