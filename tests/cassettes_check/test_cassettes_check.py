"""`tallyfy-diag cassettes check`: planted secrets and schema drift are found and named; the project's own
cassettes pass (this test is the project's CI step for them); `--scrub` cleans without breaking replay."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tallyfy_diag.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CASSETTES = ROOT / "tests" / "cassettes"
LOGIN = PROJECT_CASSETTES / "test_password_grant_login.yaml"


def jwt(marker: str) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part({'sub': '1', 'jti': marker})}.c2ln"


PLANTED_JWT = jwt("planted-canary")
PLANTED_REFRESH = "def50200" + "ab12" * 20
PLANTED_PASSWORD = "hunter2-canary-pw"


def run(capsys, *arguments: str) -> tuple[int, str]:
    code = main(["cassettes", "check", *arguments])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def planted(tmp_path: Path) -> Path:
    """The login cassette with a JWT, a refresh token and a password planted, and the /me answer drifted."""
    document = yaml.safe_load(LOGIN.read_text())
    token_call, me_call = document["interactions"]
    token_call["request"]["body"] = token_call["request"]["body"].replace(
        "password=%5Bredacted%5D", f"password={PLANTED_PASSWORD}"
    )
    token_call["response"]["body"]["string"] = json.dumps(
        {"token_type": "Bearer", "expires_in": 3600, "access_token": PLANTED_JWT, "refresh_token": PLANTED_REFRESH}
    )
    me = json.loads(me_call["response"]["body"]["string"])
    me["data"]["id"] = str(me["data"]["id"])  # drift: the spec says an integer
    me["data"]["role"] = ["admin"]  # drift: the spec says a string
    me_call["response"]["body"]["string"] = json.dumps(me)
    path = tmp_path / "leaky.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_project_cassettes_pass(capsys):
    code, output = run(capsys, str(PROJECT_CASSETTES))
    assert code == 0, output
    assert output.count(", clean") == len(list(PROJECT_CASSETTES.glob("*.yaml")))


def test_planted_secrets_and_drift_are_named_by_file_exchange_and_field(tmp_path, capsys):
    path = planted(tmp_path)
    code, output = run(capsys, str(tmp_path))
    assert code == 1
    lines = output.splitlines()
    assert f"{path} #1 POST /oauth/token: secret at request body form field password: a password field value" in output
    assert any(
        "#1 POST /oauth/token: secret at response body.access_token: a access_token field value" in line
        for line in lines
    )
    assert any(
        "#1 POST /oauth/token: secret at response body.refresh_token: a refresh_token field value" in line
        for line in lines
    )
    assert f"{path} #2 GET /me: drift at response body.data.id: expected integer" in output
    assert f"{path} #2 GET /me: drift at response body.data.role: expected string" in output
    for secret in (PLANTED_JWT, PLANTED_REFRESH, PLANTED_PASSWORD):
        assert secret not in output


def test_token_shapes_anywhere_and_credential_headers_in_a_har(tmp_path, capsys):
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "GET",
                        "url": "https://go.tallyfy.com/api/me",
                        "headers": [
                            {"name": "Authorization", "value": "Bearer opaque-live-token-123"},
                            {"name": "Cookie", "value": "session=abc123"},
                            {"name": "X-Note", "value": f"copied {PLANTED_REFRESH}"},
                        ],
                    },
                    "response": {"status": 401, "headers": [], "content": {"text": f"see {PLANTED_JWT}"}},
                }
            ]
        }
    }
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    code, output = run(capsys, "--no-drift", str(path))
    assert code == 1
    assert "request header Authorization: a credential (sha256:" in output
    assert "request header Cookie: a cookie or key (sha256:" in output
    assert "request header X-Note: a Tallyfy refresh token (sha256:" in output
    assert "response body: a JWT (sha256:" in output
    assert "opaque-live-token-123" not in output
    assert "abc123" not in output


def test_scrub_rewrites_in_place_keeps_a_backup_and_what_replay_matches_on(tmp_path, capsys):
    path = planted(tmp_path)
    original = path.read_bytes()
    code, output = run(capsys, "--scrub", str(path))
    assert code == 1  # the drift is still there: scrubbing removes secrets, not shape changes
    assert "scrubbed in place" in output
    assert "secret at" not in output.split("scrubbed in place")[0].rsplit("\n", 3)[-1]
    assert (tmp_path / "leaky.yaml.bak").read_bytes() == original
    text = path.read_text()
    for secret in (PLANTED_JWT, PLANTED_REFRESH, PLANTED_PASSWORD):
        assert secret not in text
    before = yaml.safe_load(original)["interactions"]
    after = yaml.safe_load(text)["interactions"]
    assert [(i["request"]["method"], i["request"]["uri"]) for i in after] == [
        (i["request"]["method"], i["request"]["uri"]) for i in before
    ]
    code, output = run(capsys, str(path))
    assert "secret" not in output.split(" file(s):")[0]
    assert "0 secret(s), 2 drift finding(s)" in output


def test_scrub_refuses_to_overwrite_a_backup(tmp_path, capsys):
    path = planted(tmp_path)
    (tmp_path / "leaky.yaml.bak").write_text("the only clean copy")
    code, output = run(capsys, "--scrub", str(path))
    assert code == 2
    assert "exists already" in output
    assert (tmp_path / "leaky.yaml.bak").read_text() == "the only clean copy"


def test_unreadable_input_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [unclosed\n")
    code, output = run(capsys, str(broken))
    assert code == 2
    assert "broken.yaml: unreadable" in output
    code, output = run(capsys, str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "no such file" in output
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = run(capsys, str(empty))
    assert code == 2


def test_a_clean_copy_of_a_project_cassette_passes_and_an_unknown_operation_is_drift(tmp_path, capsys):
    shutil.copy(LOGIN, tmp_path / "copy.yaml")
    assert run(capsys, str(tmp_path))[0] == 0
    document = yaml.safe_load(LOGIN.read_text())
    document["interactions"][1]["request"]["uri"] = "http://replay.test/api/me/nonsense"
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(document))
    code, output = run(capsys, str(tmp_path))
    assert code == 1
    assert "#2 GET /me/nonsense: drift at GET (unknown path): no operation of the spec has this path" in output


def test_the_pre_commit_hook_runs_the_check_on_matching_files(tmp_path, capsys):
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "tallyfy-cassettes-check"
    program, *arguments = hook["entry"].split()
    assert program == "tallyfy-diag"
    files = re.compile(hook["files"])
    assert files.search("tests/cassettes/test_password_grant_login.yaml")
    assert files.search("captures/session.har")
    assert not files.search(".pre-commit-config.yaml")
    # pre-commit appends the staged files that match: the project's cassettes pass, a planted leak fails.
    assert main([*arguments, str(LOGIN)]) == 0
    assert main([*arguments, str(planted(tmp_path))]) == 1
    capsys.readouterr()


def test_scrub_cleans_a_har_and_json_output_lists_what_remains(tmp_path, capsys):
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "https://go.tallyfy.com/api/oauth/token",
                        "headers": [
                            {"name": "Content-Type", "value": "application/x-www-form-urlencoded"},
                            {"name": "Cookie", "value": "session=abc123"},
                        ],
                        "postData": {
                            "mimeType": "application/x-www-form-urlencoded",
                            "text": f"grant_type=password&client_id=1&username=a%40b.c&password={PLANTED_PASSWORD}",
                        },
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "content": {
                            "mimeType": "application/json",
                            "text": json.dumps({"token_type": "Bearer", "expires_in": 60, "access_token": PLANTED_JWT}),
                        },
                    },
                },
                {
                    "request": {
                        "method": "GET",
                        "url": "https://go.tallyfy.com/api/me",
                        "headers": [{"name": "Authorization", "value": f"Bearer {PLANTED_JWT}"}],
                    },
                    "response": {
                        "status": 401,
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "content": {"mimeType": "application/json", "text": '{"message":"Unauthenticated."}'},
                    },
                },
            ]
        }
    }
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    before = path.read_bytes()
    code, output = run(capsys, "--scrub", "--format", "json", str(path))
    assert code == 0, output
    assert (tmp_path / "capture.har.bak").read_bytes() == before
    text = path.read_text()
    for secret in (PLANTED_JWT, PLANTED_PASSWORD, "abc123"):
        assert secret not in text
    scrubbed = json.loads(text)["log"]["entries"]
    assert [entry["request"]["url"] for entry in scrubbed] == [
        entry["request"]["url"] for entry in har["log"]["entries"]
    ]
    code = main(["cassettes", "check", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["files"] == [{"path": str(path), "exchanges": 2, "error": None, "findings": []}]


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        ("Bearerglued-live-token-123", "[redacted]"),  # no space: the token cannot be told from the scheme
        ("Bearer  spaced-live-token-456", "Bearer  tallyfy-placeholder-access-token-1"),  # the two spaces survive
    ],
)
def test_scrub_keeps_how_the_authorization_header_was_sent_without_its_token(tmp_path, capsys, sent, recorded):
    document = yaml.safe_load(LOGIN.read_text())
    document["interactions"][1]["request"]["headers"]["authorization"] = [sent]
    path = tmp_path / "sent.yaml"
    path.write_text(yaml.safe_dump(document))
    code, output = run(capsys, "--scrub", str(path))
    assert code == 0, output  # clean, and the other bodies untouched (no drift)
    text = path.read_text()
    assert "live-token" not in text
    assert yaml.safe_load(text)["interactions"][1]["request"]["headers"]["authorization"] == [recorded]
