"""`doctor` and `cors` against servers that misbehave on the wire: each run finishes in bounded time with a
documented exit code and one report, never a traceback, and reports exactly the requests the server saw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tallyfy_diag.cli import main

from ._server import CANARY_JWT, CANARY_PASSWORD, CANARY_REFRESH, bounded, fault_server

# Short enough that the hanging and dripping faults cost little; the bound is what is under test, and a
# command that ignored --timeout would still run into MARGIN (or hang until `bounded` gives up).
TIMEOUT = 0.25
MARGIN = 10.0
FAULTS = [
    "hang",
    "drip",
    "truncated",
    "reset",
    "garbage",
    "invalid_json",
    "unexpected_2xx",
    "html_5xx",
    "rate_limited",
    "redirect_loop",
    "endless",
]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str], limit: float) -> tuple[int, dict[str, Any], str]:
    code, error, elapsed = bounded(lambda: main(args), limit=limit)
    assert error is None, repr(error)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert elapsed < limit
    return code, json.loads(captured.out), captured.out + captured.err


def assert_no_canary(text: str) -> None:
    for canary in (CANARY_JWT, CANARY_REFRESH, CANARY_PASSWORD):
        assert canary not in text


@pytest.mark.parametrize("fault", FAULTS)
def test_doctor_is_bounded_whatever_the_server_does(fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    with fault_server({"/api/": fault}) as server:
        args = ["doctor", "--base-url", server.url + "/api", "--token", CANARY_JWT]
        code, report, text = run_cli([*args, "--timeout", str(TIMEOUT), "--format", "json"], capsys, MARGIN)
        assert report["requests_made"] == len(server.seen) >= 1
    # A 202 with JSON is a success to the checks; every other fault fails one.
    assert code == (0 if fault == "unexpected_2xx" else 1)
    assert_no_canary(text)


@pytest.mark.parametrize("fault", FAULTS)
def test_cors_is_bounded_whatever_the_server_does(fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    with fault_server({"/api/": fault}) as server:
        args = [
            "cors",
            "--base-url",
            server.url + "/api",
            "--origin",
            "http://localhost:3000",
            "--token",
            CANARY_JWT,
        ]
        code, report, text = run_cli([*args, "--timeout", str(TIMEOUT), "--format", "json"], capsys, MARGIN)
        assert report["requests_made"] == len(server.seen) >= 1
    assert code == 1
    assert_no_canary(text)


@pytest.mark.parametrize("fault", ["hang", "drip", "reset"])
def test_doctor_with_a_broken_token_endpoint_is_bounded(
    fault: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "TALLYFY_CLIENT_ID": "1",
        "TALLYFY_CLIENT_SECRET": "client-secret-canary",
        "TALLYFY_USERNAME": "user@example.com",
        "TALLYFY_PASSWORD": CANARY_PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    with fault_server({"/api/oauth/token": fault, "/api/": "ok"}) as server:
        args = ["doctor", "--base-url", server.url + "/api", "--timeout", str(TIMEOUT), "--format", "json"]
        code, report, text = run_cli(args, capsys, MARGIN * 3)
        assert report["requests_made"] == len(server.seen) >= 1
    assert code == 1
    assert_no_canary(text)
    assert "client-secret-canary" not in text
