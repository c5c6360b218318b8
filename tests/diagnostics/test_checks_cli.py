"""Every check id fails on a capture with its problem and passes on a capture without it, through
`tallyfy-diag explain` (the real command line, JSON report)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tallyfy_diag.diagnostics import CATALOGUE

from .conftest import Run

ORIGIN = "http://localhost:3000"

# (check id, fixture, extra arguments, expected status, a phrase the finding's title must contain)
EXAMPLES = [
    ("client-header", "missing_client_header.sh", (), "fail", "X-Tallyfy-Client header missing"),
    ("client-header", "good_get.sh", (), "pass", "X-Tallyfy-Client: APIClient"),
    ("accept-header", "accept_html.sh", (), "fail", "Accept excludes JSON"),
    ("accept-header", "good_get.sh", (), "pass", "application/json"),
    ("auth-header", "two_spaces.sh", (), "fail", "2 spaces after `Bearer`"),
    ("auth-header", "good_get.sh", (), "pass", "one field, one space"),
    ("token-format", "truncated_token.sh", (), "fail", "does not decode"),
    ("token-format", "good_get.sh", (), "pass", "JWT (RS256)"),
    ("token-expiry", "expired_token.sh", (), "fail", "token expired"),
    ("token-expiry", "good_get.sh", (), "pass", "token valid for"),
    ("grant-type", "app_token_me.sh", (), "fail", "application token on get_me, which needs a user"),
    ("grant-type", "good_get.sh", (), "pass", "user token"),
    ("base-url", "mixed_base_url.sh", (), "fail", "api.tallyfy.com has root paths"),
    ("base-url", "good_get.sh", (), "pass", "URL shape is right"),
    ("token-request", "token_json.sh", (), "fail", "the body is JSON"),
    ("token-request", "token_form.sh", (), "pass", "well-formed password token request"),
    ("oauth-error", "token_invalid_request.http", (), "fail", "400 invalid_request"),
    ("oauth-error", "token_issued.http", (), "pass", "token issued"),
    ("unauthenticated", "app_token_401.http", (), "fail", "401 root cause (grant-type)"),
    ("unauthenticated", "me_200.http", (), "pass", "authenticated (200)"),
    ("endpoint-not-found", "endpoint_not_found.http", (), "fail", "root cause X-Tallyfy-Client"),
    ("endpoint-not-found", "me_200.http", (), "pass", "answered 200"),
    ("org-context", "app_permission_403.http", (), "fail", "no permission in this organization"),
    ("org-context", "good_get.sh", (), "pass", "well-formed"),
    ("cors-preflight", "cors_options_401.har", ("--origin", ORIGIN), "fail", "PreflightInvalidStatus"),
    ("cors-preflight", "cors_ok.har", ("--origin", ORIGIN, "--with-credentials"), "pass", "may make this call"),
    ("date-format", "iso_deadline.sh", (), "pass", "ISO 8601 with a time zone"),
    ("date-format", "seed_deadline.sh", (), "fail", "day-first"),
    ("redirect", "http_redirect.http", (), "fail", "301 redirect"),
    ("redirect", "me_200.http", (), "pass", "no redirect"),
    ("clock-skew", "clock_skewed.har", (), "fail", "600 s behind the server"),
    ("clock-skew", "clock_synced.har", (), "pass", "clocks agree"),
    ("rate-limit", "rate_limited.http", (), "fail", "wait 37 s"),
    ("rate-limit", "me_200.http", (), "pass", "not rate-limited"),
    ("refresh-token", "refresh_invalid_grant.http", (), "fail", "refresh failed (invalid_grant)"),
    ("refresh-token", "token_issued.http", (), "pass", "refresh token was issued"),
    ("connectivity", "html_answer.http", (), "fail", "HTML page"),
    ("connectivity", "me_200.http", (), "pass", "JSON answer"),
]


def test_every_check_has_a_failing_and_a_passing_example() -> None:
    covered = {(check, status) for check, _, _, status, _ in EXAMPLES}
    assert {(check, status) for check in CATALOGUE for status in ("fail", "pass")} <= covered


@pytest.mark.parametrize(
    ("check", "fixture", "extra", "status", "phrase"),
    EXAMPLES,
    ids=[f"{check}-{status}" for check, _, _, status, _ in EXAMPLES],
)
def test_check_through_explain(
    cli: Callable[..., Run],
    capture_file: Callable[..., Path],
    check: str,
    fixture: str,
    extra: tuple[str, ...],
    status: str,
    phrase: str,
) -> None:
    run = cli("explain", str(capture_file(fixture)), "--check", check, "--format", "json", *extra)
    report = run.json()
    findings = [finding for finding in report["findings"] if finding["check"] == check]
    assert [finding["status"] for finding in findings] == [status], findings
    assert phrase in findings[0]["title"], findings[0]
    assert {finding["check"] for finding in report["findings"]} == {check}
    assert run.code == (1 if status == "fail" else 0)


def test_a_failure_carries_detail_fix_and_reference(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    report = cli("explain", str(capture_file("app_token_401.http")), "--format", "json").json()
    for finding in report["findings"]:
        assert finding["reference"], finding
        if finding["status"] == "fail":
            assert finding["fix"], finding


def test_the_good_call_passes_every_applicable_check(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    run = cli("explain", str(capture_file("good_get.sh")), "--format", "json")
    assert run.code == 0
    assert {finding["status"] for finding in run.json()["findings"]} == {"pass", "skip"}


def test_skip_suppresses_a_check(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    path = str(capture_file("missing_client_header.sh"))
    assert cli("explain", path, "--format", "json").code == 1
    run = cli("explain", path, "--skip", "client-header", "--format", "json")
    assert "client-header" not in {finding["check"] for finding in run.json()["findings"]}
    assert run.code == 0


def test_an_unknown_check_id_is_bad_usage(cli: Callable[..., Run], capture_file: Callable[..., Path]) -> None:
    run = cli("explain", str(capture_file("good_get.sh")), "--check", "no-such-check")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "unknown check id no-such-check" in run.err


def test_the_cassette_is_read_and_the_app_token_named(
    cli: Callable[..., Run], capture_file: Callable[..., Path]
) -> None:
    run = cli("explain", str(capture_file("cassette.yaml")), "--format", "json")
    report = run.json()
    assert report["target"]["format"] == "vcr"
    unauthenticated = [f for f in report["findings"] if f["check"] == "unauthenticated"]
    assert [f["status"] for f in unauthenticated] == ["fail"]
    assert unauthenticated[0]["evidence"]["root_cause"] == "grant-type"
    assert unauthenticated[0]["evidence"]["exchange"] == "#2 GET /api/me"
    # One finding per check: grant-type fails on /me and lists every exchange it judged.
    (grant,) = [f for f in report["findings"] if f["check"] == "grant-type"]
    assert grant["status"] == "fail"
    per_exchange = {item["exchange"].split()[0]: item["status"] for item in grant["evidence"]["exchanges"]}
    assert per_exchange["#1"] == "warn"  # the token call itself: an application token is on its way
