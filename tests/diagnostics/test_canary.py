"""Canary secrets planted in tokens, passwords, client secrets and refresh tokens, in every input form and
mode, appear in no output format, no log record and no error message."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tallyfy_diag.sandbox import Sandbox

from .conftest import Run, b64url, make_jwt, passport_claims

TOKEN = "cAnArYt0k3nQ7vX2w8"
PASSWORD = "cAnArYpa55w0rdZ9+x"
SECRET = "cAnArYs3cr3tK4m1"
REFRESH = "def50200" + "c0ffee" * 10
SIGNATURE = b64url(b"cAnArY-signature-bytes-0123456789")
JWT = make_jwt(passport_claims())[: -len(b64url(b"s" * 256))] + SIGNATURE
CANARIES = (TOKEN, PASSWORD, SECRET, REFRESH, SIGNATURE, JWT)
TOKEN_RESPONSE = json.dumps({"token_type": "Bearer", "expires_in": 3600, "access_token": JWT, "refresh_token": REFRESH})

CURL_API = f"""curl 'https://go.tallyfy.com/api/me?access_token={TOKEN}' -H 'Authorization: Bearer  {JWT}
' -H "Cookie: laravel_session={TOKEN}" -H 'X-Tallyfy-Client: APIClient'"""
CURL_TOKEN = (
    f"curl -u '3:{SECRET}' https://go.tallyfy.com/api/oauth/token -d grant_type=password -d 'password={PASSWORD}'"
    f" -d client_secret={SECRET} --data-urlencode 'refresh_token={REFRESH}' -d 'username=a+b@example.com'"
)
CURL_JSON = (
    "curl https://go.tallyfy.com/api/oauth/token --json "
    + "'"
    + json.dumps(
        {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_secret": SECRET, "password": PASSWORD}
    )
    + "'"
)
RAW_HTTP = f"""POST /api/oauth/token HTTP/1.1
Host: go.tallyfy.com
Authorization: Basic {base64.b64encode(f"3:{SECRET}".encode()).decode()}
Content-Type: application/x-www-form-urlencoded

grant_type=password&username=ann%40example.com&password={PASSWORD}&client_secret={SECRET}

HTTP/1.1 200 OK
Content-Type: application/json
Set-Cookie: session={TOKEN}; HttpOnly

{TOKEN_RESPONSE}

GET /api/me HTTP/1.1
Host: go.tallyfy.com
Authorization: Bearer "{JWT}"

HTTP/1.1 401 Unauthorized
WWW-Authenticate: Bearer error="invalid_token", error_description="token {TOKEN} revoked"

{{"message": "Unauthenticated.", "hint": "{TOKEN}"}}
"""
HAR = json.dumps(
    {
        "log": {
            "entries": [
                {
                    "startedDateTime": "2025-01-01T10:00:00Z",
                    "request": {
                        "method": "POST",
                        "url": f"https://go.tallyfy.com/api/oauth/token?client_secret={SECRET}",
                        "headers": [{"name": "Cookie", "value": f"a={TOKEN}"}],
                        "postData": {
                            "mimeType": "application/x-www-form-urlencoded",
                            "params": [
                                {"name": "grant_type", "value": "password"},
                                {"name": "password", "value": PASSWORD},
                                {"name": "client_secret", "value": SECRET},
                            ],
                        },
                    },
                    "response": {"status": 200, "headers": [], "content": {"text": TOKEN_RESPONSE}},
                },
                {
                    "request": {
                        "method": "GET",
                        "url": "https://go.tallyfy.com/api/me",
                        "headers": [
                            {"name": "authorization", "value": f"Bearer {JWT}"},
                            {"name": "Origin", "value": "http://localhost:3000"},
                        ],
                    },
                    "response": {"status": 401, "headers": [], "content": {"text": '{"message":"Unauthenticated."}'}},
                },
            ]
        }
    }
)
CASSETTE = f"""interactions:
- request:
    body: grant_type=refresh_token&refresh_token={REFRESH}&client_id=3&client_secret={SECRET}
    headers: {{Content-Type: [application/x-www-form-urlencoded]}}
    method: POST
    uri: https://go.tallyfy.com/api/oauth/token
  response:
    body: {{string: '{TOKEN_RESPONSE}'}}
    headers: {{}}
    status: {{code: 200, message: OK}}
- request:
    body: null
    headers: {{Authorization: ['Bearer {TOKEN}']}}
    method: GET
    uri: https://go.tallyfy.com/api/me
  response: {{body: {{string: ''}}, headers: {{}}, status: {{code: 401, message: x}}}}
version: 1
"""
BROKEN_CURL = f"curl https://go.tallyfy.com/api/me -H 'Authorization: Bearer {TOKEN}"

# (name, arguments with {file} for a capture path, {base} for a sandbox's API root and {base-with-password} for
# that root with ann:PASSWORD@ userinfo, the capture or stdin
# text, read from stdin?, environment)
CASES: list[tuple[str, tuple[str, ...], str, bool, dict[str, str]]] = [
    ("explain-curl-api", ("explain", "{file}", "--origin", "http://localhost:3000"), CURL_API, False, {}),
    ("explain-curl-token", ("explain", "{file}"), CURL_TOKEN, False, {}),
    ("explain-curl-json", ("explain", "-"), CURL_JSON, True, {}),
    (
        "explain-curl-userinfo",
        ("explain", "-"),
        f"curl -H 'X-Tallyfy-Client: APIClient' 'https://ann:{PASSWORD}@go.tallyfy.com/api/me'",
        True,
        {},
    ),
    ("explain-raw-http", ("explain", "{file}"), RAW_HTTP, False, {}),
    ("explain-har", ("explain", "{file}"), HAR, False, {}),
    ("explain-cassette", ("explain", "{file}"), CASSETTE, False, {}),
    ("explain-unreadable", ("explain", "{file}"), BROKEN_CURL, False, {}),
    ("token-opaque", ("token", "-"), TOKEN, True, {}),
    ("token-jwt", ("token", "-"), JWT + "\n", True, {}),
    ("token-header-line", ("token",), f"Authorization: Bearer {JWT}", True, {}),
    ("token-refresh", ("token", "-"), REFRESH, True, {}),
    ("token-argument", ("token", JWT), "", True, {}),
    ("doctor-token-flag", ("doctor", "--base-url", "{base}", "--token", JWT), "", True, {}),
    ("doctor-token-stdin", ("doctor", "--base-url", "{base}", "--token", "-"), TOKEN + "\n", True, {}),
    ("doctor-userinfo", ("doctor", "--base-url", "{base-with-password}", "--token", TOKEN), "", True, {}),
    (
        "doctor-token-env",
        ("doctor", "--base-url", "{base}", "--origin", "http://localhost:3000"),
        "",
        True,
        {"TALLYFY_API_TOKEN": JWT + "\n"},
    ),
    (
        "doctor-password",
        (
            "doctor",
            "--base-url",
            "{base}",
            "--client-id",
            "3",
            "--client-secret",
            SECRET,
            "--username",
            "a@b.test",
            "--password-stdin",
        ),
        PASSWORD,
        True,
        {},
    ),
    (
        "doctor-secrets-env",
        ("doctor", "--base-url", "{base}", "--grant", "client_credentials"),
        "",
        True,
        {"TALLYFY_CLIENT_ID": "3", "TALLYFY_CLIENT_SECRET": SECRET},
    ),
]


@pytest.fixture(scope="module")
def sandbox_base() -> Iterator[str]:
    with Sandbox() as sandbox:
        yield sandbox.base_url


@pytest.mark.parametrize("output_format", ["human", "json", "junit", "markdown"])
@pytest.mark.parametrize(
    ("name", "arguments", "content", "stdin", "environment"), CASES, ids=[case[0] for case in CASES]
)
def test_no_canary_escapes(
    cli: Callable[..., Run],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    output_format: str,
    name: str,
    arguments: tuple[str, ...],
    content: str,
    stdin: bool,
    environment: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    capture = tmp_path / f"{name}.txt"
    capture.write_text(content, encoding="utf-8")
    base = request.getfixturevalue("sandbox_base") if any("{base" in argument for argument in arguments) else ""
    with_password = base.replace("://", f"://ann:{PASSWORD}@", 1)
    argv = [
        argument.replace("{file}", str(capture)).replace("{base}", base).replace("{base-with-password}", with_password)
        for argument in arguments
    ]
    run = cli(*argv, "--format", output_format, stdin=content if stdin else None)
    assert run.code in {0, 1, 2}
    assert run.out or run.err
    logs = "\n".join(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records)
    for canary in CANARIES:
        assert canary not in run.out, f"{name}/{output_format}: leaked in output"
        assert canary not in run.err, f"{name}/{output_format}: leaked in the error"
        assert canary not in logs, f"{name}/{output_format}: leaked in a log record"


def test_the_cases_cover_every_kind_of_secret() -> None:
    # A password in the base URL is planted by the test itself ({base-with-password}).
    planted = "".join(content + " ".join(arguments) + str(env) for _, arguments, content, _, env in CASES)
    for canary in CANARIES:
        assert canary in planted
