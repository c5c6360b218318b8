"""`tallyfy-diag sandbox`: one JSON line, a 0600 credentials file, clean stop on Ctrl-C, one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import socket
import stat
import subprocess
import sys

import httpx
import pytest

from tallyfy_diag.cli import sandbox as sandbox_command
from tallyfy_diag.cli._exit import UsageError

# The subcommand's own parser, as the CLI registers it (the top-level CLI lists it by module name).
DRIVER = """
import argparse, sys
from tallyfy_diag.cli import sandbox
parser = argparse.ArgumentParser(prog="tallyfy-diag")
sandbox.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def _start(*arguments):
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, "sandbox", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(process, timeout=15.0):
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        process.kill()
        pytest.fail("the sandbox printed nothing")
    return process.stdout.readline()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_prints_one_json_line_serves_and_stops_cleanly(tmp_path, stop_signal):
    credentials_file = tmp_path / "sandbox.json"
    process = _start("--seed", "5", "--credentials-out", str(credentials_file), "--token-ttl", "77")
    try:
        line = _first_line(process)
        info = json.loads(line)
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert info["base_url"].endswith("/api")
        for field in (
            "client_id",
            "client_secret",
            "username",
            "password",
            "org_id",
            "app_client_id",
            "app_client_secret",
        ):
            assert info[field]
        assert json.loads(credentials_file.read_text()) == info
        assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
        token = httpx.post(
            info["base_url"] + "/oauth/token",
            headers={"X-Tallyfy-Client": "APIClient"},
            data={
                "grant_type": "password",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "username": info["username"],
                "password": info["password"],
            },
        ).json()
        assert token["expires_in"] == 77
        me = httpx.get(
            info["base_url"] + "/me",
            headers={"X-Tallyfy-Client": "APIClient", "Authorization": f"Bearer {token['access_token']}"},
        )
        assert me.status_code == 200
    finally:
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert stdout == ""  # nothing after the one line
    assert "GET" in stderr
    assert "/api/me" in stderr
    for secret in (info["client_secret"], info["password"], info["app_client_secret"], token["access_token"]):
        assert secret not in stderr
    assert "Traceback" not in stderr


def test_the_same_seed_prints_the_same_credentials():
    lines = []
    for _ in range(2):
        process = _start("--seed", "9")
        try:
            lines.append(json.loads(_first_line(process)))
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=15)
    for info in lines:
        info.pop("base_url")
    assert lines[0] == lines[1]


def _args(**overrides):
    defaults = {
        "host": "127.0.0.1",
        "port": 0,
        "token_ttl": None,
        "cors_origin": [],
        "scenario": "default",
        "seed": 1,
        "credentials_out": None,
        "webhook_url": None,
    }
    return argparse.Namespace(**{**defaults, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": 70000}, "--port must be 0..65535"),
        ({"token_ttl": 0}, "--token-ttl must be positive"),
        ({"cors_origin": ["localhost:3000"]}, "is not an origin"),
        ({"webhook_url": "ftp://127.0.0.1/hook"}, "--webhook-url: 'ftp://127.0.0.1/hook' is not an http"),
    ],
)
def test_bad_options_are_usage_errors(overrides, message):
    with pytest.raises(UsageError, match=message):
        sandbox_command.run_sandbox(_args(**overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"token_ttl": 315_360_001}, "--token-ttl must be at most 315360000 seconds"),
        ({"cors_origin": ["http://x\r\nA: b"]}, "--cors-origin: an origin must not contain spaces or control"),
        ({"cors_origin": ["http://a.example b"]}, "--cors-origin: an origin must not contain spaces or control"),
        ({"host": ""}, "--host must not be empty"),
        ({"host": " "}, "--host must not be empty"),
    ],
)
def test_options_that_would_serve_are_refused_before_serving(overrides, message):
    # `_config` rather than `run_sandbox`: without the check the sandbox would start and serve forever.
    with pytest.raises(UsageError, match=message):
        sandbox_command._config(_args(**overrides))


def test_ten_years_and_the_documented_wildcard_are_accepted():
    config = sandbox_command._config(_args(token_ttl=315_360_000, cors_origin=["*", "http://localhost:3000"]))
    assert (config.token_ttl, config.cors_origins) == (315_360_000, ("*", "http://localhost:3000"))


def test_a_port_in_use_is_a_usage_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1"):
            sandbox_command.run_sandbox(_args(port=taken.getsockname()[1]))


def test_an_unwritable_credentials_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot write --credentials-out"):
        sandbox_command.run_sandbox(_args(credentials_out=tmp_path / "missing-dir" / "creds.json"))


def test_an_existing_credentials_file_is_tightened_to_0600(tmp_path, monkeypatch):
    target = tmp_path / "creds.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    monkeypatch.setattr(sandbox_command, "serve_until_interrupted", lambda sandbox: sandbox.stop())
    assert sandbox_command.run_sandbox(_args(credentials_out=target)) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["client_id"]


def test_unknown_scenarios_are_refused_by_the_parser():
    parser = argparse.ArgumentParser()
    sandbox_command.register(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--scenario", "nope"])
    args = parser.parse_args(["sandbox", "--scenario", "cors-allowed", "--cors-origin", "https://a.example"])
    assert (args.scenario, args.cors_origin, args.port, args.host) == (
        "cors-allowed",
        ["https://a.example"],
        8765,
        "127.0.0.1",
    )
