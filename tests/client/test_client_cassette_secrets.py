"""No committed cassette holds a secret, and the scrubber that keeps it so works on planted canaries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from client_helpers import CASSETTES, RECORDING_CANARY, RECORDING_SEED, make_jwt
from vcr.request import Request

from tallyfy_diag._redact import JWT_PATTERN, REFRESH_TOKEN_PATTERN
from tallyfy_diag.pytest_plugin import PLACEHOLDER_PREFIX, TallyfyScrubber
from tallyfy_diag.sandbox import SandboxConfig, SandboxCredentials

# The cassettes the issue requires; each must exist so that the scan below has something to scan.
REQUIRED_CASSETTES = {
    "test_password_grant_login",
    "test_refresh_after_expiry",
    "test_refresh_after_401",
    "test_client_credentials_on_a_user_endpoint",
    "test_blueprints_listed_across_several_pages",
    "test_process_launched_with_kickoff_values_and_a_deadline",
    "test_task_completed_and_reopened",
    "test_validation_error_422",
    "test_rate_limited_then_success",
}


def known_secrets() -> dict[str, str]:
    """Every secret a recording could have met, by name: the sandbox credentials of every seed we use."""
    secrets = {"recording canary": RECORDING_CANARY}
    for seed in {RECORDING_SEED, SandboxConfig().seed}:
        credentials = SandboxCredentials.from_seed(seed)
        secrets[f"client_secret (seed {seed})"] = credentials.client_secret
        secrets[f"password (seed {seed})"] = credentials.password
        secrets[f"app_client_secret (seed {seed})"] = credentials.app_client_secret
    return secrets


def scan(paths: list[Path], secrets: dict[str, str]) -> list[str]:
    """`file:line: what` for every secret-looking thing in the files."""
    findings = []
    shapes = {"a JWT": JWT_PATTERN, "a refresh token": REFRESH_TOKEN_PATTERN}
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for what, pattern in shapes.items():
                if pattern.search(line):
                    findings.append(f"{path.name}:{number}: {what}")
            for what, secret in secrets.items():
                if secret in line:
                    findings.append(f"{path.name}:{number}: {what}")
    return findings


def test_every_required_cassette_is_committed():
    present = {path.stem for path in CASSETTES.glob("*.yaml")}
    assert present >= REQUIRED_CASSETTES, f"missing: {sorted(REQUIRED_CASSETTES - present)}; run `nox -s record`"


def test_no_cassette_holds_a_secret():
    cassettes = sorted(CASSETTES.rglob("*.yaml"))
    assert cassettes
    assert scan(cassettes, known_secrets()) == []


def test_the_scan_names_file_and_line(tmp_path):
    leaky = tmp_path / "leaky.yaml"
    jwt = make_jwt("1", 2_000_000_000)
    leaky.write_text(f"interactions:\n- request:\n    body: token={jwt}\n    x: 1\n    cookie: {RECORDING_CANARY}\n")
    assert scan([leaky], known_secrets()) == ["leaky.yaml:3: a JWT", "leaky.yaml:5: recording canary"]


CANARY_SECRET = "canary-secret-3b8e"
CANARY_PASSWORD = "canary-password-77d1"
CANARY_COOKIE = "canary-cookie-c0ffee"
ACCESS = make_jwt("1001", 2_000_000_000, marker="canary")
REFRESH = "def50200" + "ab" * 40


def _token_exchange(scrubber: TallyfyScrubber) -> tuple[Request, dict]:
    form = f"grant_type=password&client_id=3&client_secret={CANARY_SECRET}&username=a%40b.c&password={CANARY_PASSWORD}"
    request = Request(
        "POST",
        "http://replay.test/api/oauth/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"s={CANARY_COOKIE}", "Content-Length": "999"},
    )
    body = f'{{"token_type":"Bearer","expires_in":3600,"access_token":"{ACCESS}","refresh_token":"{REFRESH}"}}'
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "Set-Cookie": [f"s={CANARY_COOKIE}"],
            "Content-Length": ["9"],
        },
        "body": {"string": body.encode()},
    }
    return scrubber.before_record_request(request), scrubber.before_record_response(response)


def test_the_scrubber_removes_planted_canaries():
    scrubber = TallyfyScrubber()
    token_request, token_response = _token_exchange(scrubber)
    refresh = Request(
        "POST",
        f"http://replay.test/api/oauth/token?access_token={ACCESS}",
        f"grant_type=refresh_token&client_id=3&client_secret={CANARY_SECRET}&refresh_token={REFRESH}".encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    api = Request("GET", "http://replay.test/api/me", b"", {"Authorization": f"Bearer {ACCESS}"})
    scrubbed = [
        token_request,
        token_response,
        scrubber.before_record_request(refresh),
        scrubber.before_record_request(api),
    ]
    dumped = yaml.safe_dump(
        [{"uri": r.uri, "body": r.body, "headers": dict(r.headers)} if isinstance(r, Request) else r for r in scrubbed]
    )
    for canary in (CANARY_SECRET, CANARY_PASSWORD, CANARY_COOKIE, ACCESS, REFRESH, "a@b.c", "a%40b.c"):
        assert canary not in dumped
    access, refresh_placeholder = (f"{PLACEHOLDER_PREFIX}access-token-1", f"{PLACEHOLDER_PREFIX}refresh-token-1")
    assert f'"access_token":"{access}"' in token_response["body"]["string"].decode()
    # The same token gets the same placeholder wherever it recurs: a recorded refresh still replays.
    assert f"refresh_token={refresh_placeholder}" in scrubbed[2].body.decode()
    assert scrubbed[3].headers["Authorization"] == f"Bearer {access}"
    assert token_response["headers"]["Content-Length"] == [str(len(token_response["body"]["string"]))]
    assert token_request.headers["Content-Length"] == str(len(token_request.body))


def test_the_scrubber_keeps_what_replay_needs():
    scrubber = TallyfyScrubber()
    error = {
        "status": {"code": 404, "message": "Not Found"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": b'{"error":true,"message":"API endpoint not found","code":"ENDPOINT_NOT_FOUND"}'},
    }
    assert b'"code":"ENDPOINT_NOT_FOUND"' in scrubber.before_record_response(error)["body"]["string"]
    placeholder = Request(
        "GET", "http://replay.test/api/me", b"", {"Authorization": f"Bearer {PLACEHOLDER_PREFIX}access-token-4"}
    )
    assert (
        scrubber.before_record_request(placeholder).headers["Authorization"]
        == f"Bearer {PLACEHOLDER_PREFIX}access-token-4"
    )


@pytest.mark.parametrize("name", sorted(REQUIRED_CASSETTES))
def test_recorded_token_responses_hold_placeholders(name):
    cassette = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    token_bodies = [
        i["response"]["body"]["string"]
        for i in cassette["interactions"]
        if i["request"]["uri"].endswith("/oauth/token") and i["response"]["status"]["code"] == 200
    ]
    assert token_bodies
    for body in token_bodies:
        assert re.search(rf'"access_token":"{PLACEHOLDER_PREFIX}access-token-\d+"', body)
