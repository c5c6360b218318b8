"""oauth-error names the actual cause of unsupported_grant_type: a JSON body, or a grant_type nobody knows."""

from __future__ import annotations

import pytest

REQUEST = "POST /api/oauth/token HTTP/1.1\r\nHost: go.tallyfy.com\r\nX-Tallyfy-Client: APIClient\r\n"
ANSWER = (
    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"
    '{"error":"unsupported_grant_type","error_description":"The authorization grant type is not supported."}\r\n'
)


@pytest.mark.parametrize(
    ("content_type", "body", "named"),
    [
        ("application/x-www-form-urlencoded", "grant_type=client_credential&client_id=3", "'client_credential'"),
        ("application/json", '{"grant_type": "password"}', "Here the body IS JSON."),
    ],
)
def test_the_detail_names_what_the_server_could_not_use(cli, tmp_path, content_type, body, named) -> None:
    capture = tmp_path / "token.http"
    capture.write_text(f"{REQUEST}Content-Type: {content_type}\r\n\r\n{body}\r\n\r\n{ANSWER}")
    report = cli("explain", str(capture), "--format", "json").json()
    (finding,) = [f for f in report["findings"] if f["check"] == "oauth-error"]
    assert finding["status"] == "fail"
    assert named in finding["detail"]


@pytest.mark.parametrize(
    ("grant", "example"),
    [
        ("client_credentials", "grant_type=client_credentials&client_id=<number>&client_secret=..."),
        ("refresh_token", "grant_type=refresh_token&refresh_token=...&client_id=<number>&client_secret=..."),
        ("password", "grant_type=password&username=...&password=...&client_id=<number>&client_secret=..."),
    ],
)
def test_the_token_request_fix_shows_a_body_for_the_grant_that_was_meant(cli, tmp_path, grant, example) -> None:
    capture = tmp_path / "token.http"
    capture.write_text(f'{REQUEST}Content-Type: application/json\r\n\r\n{{"grant_type": "{grant}"}}\r\n')
    report = cli("explain", str(capture), "--format", "json").json()
    (finding,) = [f for f in report["findings"] if f["check"] == "token-request"]
    assert finding["status"] == "fail"
    assert example in finding["fix"]
