"""Captures are read whatever wrote them: the token call that issued an opaque token, and UTF-16 files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import Run

TOKEN = "opaque-app-token-0123456789"


def capture(grant: str) -> str:
    issued = json.dumps({"token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN})
    return (
        "POST /api/oauth/token HTTP/1.1\r\nHost: go.tallyfy.com\r\nX-Tallyfy-Client: APIClient\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        f"grant_type={grant}&client_id=3&client_secret=s&username=a%40b.c&password=p\r\n\r\n"
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{issued}\r\n\r\n"
        "GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nX-Tallyfy-Client: APIClient\r\nAccept: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\n\r\n"
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\n\r\n"
        '{"error":true,"message":"Unauthenticated."}\r\n'
    )


def findings(cli: Callable[..., Run], tmp_path: Path, grant: str) -> dict[str, list[str]]:
    path = tmp_path / "capture.http"
    path.write_text(capture(grant))
    report = cli("explain", str(path), "--format", "json").json()
    found: dict[str, list[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["check"], []).append(finding["status"])
    return found


def test_a_client_credentials_token_on_a_user_endpoint_is_the_root_cause(cli, tmp_path) -> None:
    assert "fail" in findings(cli, tmp_path, "client_credentials")["grant-type"]


def test_a_password_grant_token_is_not_blamed(cli, tmp_path) -> None:
    assert "fail" not in findings(cli, tmp_path, "password")["grant-type"]


def test_a_capture_saved_as_utf16_by_powershell_is_read(cli, tmp_path) -> None:
    path = tmp_path / "capture-utf16.http"
    path.write_bytes(capture("client_credentials").encode("utf-16"))  # with a byte-order mark, as PowerShell writes
    report = cli("explain", str(path), "--format", "json").json()
    assert "fail" in [f["status"] for f in report["findings"] if f["check"] == "grant-type"]
