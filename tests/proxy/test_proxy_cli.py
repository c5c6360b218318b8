"""`tallyfy-diag proxy` as a user runs it: a real process, stopped with SIGTERM; bad usage exits 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tallyfy_diag.cli import main

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGTERM")


def start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict]:
    credentials = tmp_path / "sandbox.json"
    command = [sys.executable, "-m", "tallyfy_diag", "proxy", "--upstream", "sandbox", "--port", "0"]
    command += ["--credentials-out", str(credentials), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not credentials.exists() or not credentials.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the proxy did not start: {process.communicate()[1]}")
        time.sleep(0.05)
    assert credentials.stat().st_mode & 0o077 == 0
    return process, json.loads(credentials.read_text())


def stop(process: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> tuple[int, str, str]:
    process.send_signal(how)
    stdout, stderr = process.communicate(timeout=30)
    return process.returncode, stdout, stderr


def token(c: dict) -> str:
    form = {
        "grant_type": "password",
        "client_id": c["client_id"],
        "client_secret": c["client_secret"],
        "username": c["username"],
        "password": c["password"],
    }
    headers = {"X-Tallyfy-Client": "APIClient", "Accept": "application/json"}
    return httpx.post(c["base_url"] + "/oauth/token", data=form, headers=headers, timeout=10).json()["access_token"]


def test_a_failing_exchange_exits_1_with_jsonl_records_and_a_summary(tmp_path):
    process, c = start(tmp_path, "--format", "jsonl", "--record", str(tmp_path / "traffic.yaml"))
    access = token(c)
    assert httpx.get(c["base_url"] + "/me", headers={"Authorization": f"Bearer {access}"}, timeout=10).status_code
    code, stdout, stderr = stop(process)
    records = [json.loads(line) for line in stdout.splitlines()]
    assert code == 1
    assert [r["type"] for r in records if r["type"] == "exchange"] == ["exchange", "exchange"]
    assert {r["check"] for r in records if r["type"] == "finding"} >= {"client-header"}
    assert records[-1] == {
        "type": "summary",
        "exchanges": 2,
        "failed": 1,
        "warned": 0,
        "not_judged": 0,
        "failed_checks": records[-1]["failed_checks"],
        "exit_code": 1,
    }
    assert "proxy: 2 exchange(s), 1 failed" in stderr
    assert "Traceback" not in stderr
    for secret in (access, c["client_secret"], c["password"]):
        assert secret not in stdout + stderr
        assert secret not in (tmp_path / "traffic.yaml").read_text()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_healthy_session_exits_0_in_human_format(tmp_path, how):
    process, c = start(tmp_path)
    access = token(c)
    headers = {"Authorization": f"Bearer {access}", "X-Tallyfy-Client": "APIClient", "Accept": "application/json"}
    assert httpx.get(c["base_url"].removesuffix("/api") + "/me", headers=headers, timeout=10).status_code == 200
    code, stdout, stderr = stop(process, how)
    assert code == 0, stdout + stderr
    lines = stdout.splitlines()
    assert lines[0].split()[1:4] == ["POST", "/oauth/token", "200"]
    assert lines[1].split()[1:4] == ["GET", "/me", "200"]
    assert lines[1].endswith("ok")
    assert "proxy: 2 exchange(s), 0 failed" in stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--upstream", "ftp://example.test"], "must be http(s)"),
        (["--upstream", "go.tallyfy.com/api"], "needs a scheme"),
        (["--upstream", "https://user:pw@example.test"], "user name or password"),
        (["--upstream", "sandbox", "--record", "out.txt"], ".har"),
        (["--upstream", "https://example.test", "--scenario", "rate-limited"], "need --upstream sandbox"),
        (["--upstream", "sandbox", "--scenario", "nope"], "unknown scenario"),
        (["--upstream", "sandbox", "--check", "nope", "--port", "0"], "unknown check id"),
        (["--upstream", "sandbox", "--port", "70000"], "--port"),
        (["--port", "0"], "--upstream is required"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["proxy", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert len(error.strip().splitlines()) == 1
    assert "pw" not in error.replace("password", "")


def test_list_checks_names_the_registry_and_the_spec_checks(capsys):
    assert main(["proxy", "--list-checks"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed[-3:] == ["spec-operation", "spec-request", "spec-response"]
    assert {"client-header", "auth-header", "grant-type", "token-request", "date-format", "cors-preflight"} <= set(
        listed
    )
