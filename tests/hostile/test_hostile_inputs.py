"""Hostile input for `explain`, `token` and `webhook listen`, run as the real command in a child process:
alias bombs, deep nesting, 1 MB pathological strings aimed at every pattern that reads user input, extreme
dates. Each run exits 0, 1 or 2 (never 70, never a traceback) within 5 CPU seconds and 200 MB of growth.

Each `explain` and `token` run is a process of its own, forked from one interpreter per test module that has
imported the command line (`_run.ForkServer`): its CPU time and peak memory are its own, as before, without an
interpreter start-up per input. `webhook listen` runs as a fresh interpreter, since it is signalled."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ._run import ForkServer, Measured, start, wait

MB = 1_000_000
CPU_BUDGET = 5.0
MEMORY_BUDGET_MB = 200.0


def _http(head: str = "", body: str = "", response: str = "") -> str:
    request = "GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nAuthorization: Bearer abc\r\n" + head + "\r\n" + body
    return request + ("\r\n\r\n" + response if response else "")


def _answer(body: str, headers: str = "Content-Type: text/plain\r\n") -> str:
    return _http(response=f"HTTP/1.1 401 Unauthorized\r\n{headers}\r\n{body}")


def _har(started: str) -> str:
    entry = {
        "startedDateTime": started,
        "request": {"method": "GET", "url": "https://go.tallyfy.com/api/me", "headers": []},
        "response": {"status": 401, "headers": [], "content": {"text": "{}"}},
    }
    return json.dumps({"log": {"entries": [entry]}})


def _laughs(levels: int = 9) -> str:
    lines = ["interactions:", '- l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def _curl(tail: str) -> str:
    return "curl https://go.tallyfy.com/api/me " + tail


EXPLAIN_INPUTS: dict[str, Callable[[], str]] = {
    # The redactor's patterns, on a response body.
    "jwt-runs": lambda: _answer("eyJa" * (MB // 4)),
    "jwt-dotted": lambda: _answer("eyJa." * (MB // 5)),
    "jwt-two-segments": lambda: _answer("eyJhbGc.eyJzdWI " * (MB // 16)),
    "refresh-prefixes": lambda: _answer("def50200" * (MB // 8)),
    "json-pairs-unterminated": lambda: _answer('"password":"\\"' * (MB // 15)),
    "form-pairs": lambda: _answer("a" * MB),
    "form-pairs-many": lambda: _answer("a=&" * (MB // 3)),
    "urls-in-text": lambda: _answer("http://a " * (MB // 9)),
    "userinfo-url": lambda: "GET http://u:" + "a" * MB + " HTTP/1.1\r\nHost: x\r\n\r\n",
    # The report's anonymiser (markdown), on a URL path and a body.
    "email-local-part": lambda: "GET /api/" + "a" * MB + " HTTP/1.1\r\nHost: go.tallyfy.com\r\n\r\n",
    "email-ats": lambda: _answer("a@" * (MB // 2)),
    "email-dotted-domain": lambda: _answer("a@" + "a." * (MB // 2)),
    "hex-ids": lambda: _answer("0123456789abcdef" * (MB // 16)),
    # Header checks: Authorization, WWW-Authenticate, dates, names.
    "bearer-repeated": lambda: _http("Authorization: " + "Bearer " * (MB // 7)),
    "bearer-long-token": lambda: _http("X-Other: 1\r\nAuthorization: Bearer " + "a" * MB),
    "bearer-odd-characters": lambda: _http("X-Other: 1\r\nAuthorization: Bearer " + "\u00e9!" * (MB // 2)),
    "challenge-names": lambda: _answer("{}", "WWW-Authenticate: Bearer " + "a" * MB + "\r\n"),
    "challenge-quotes": lambda: _answer("{}", "WWW-Authenticate: Bearer " + 'a="\\" ' * (MB // 6) + "\r\n"),
    "date-digits": lambda: _answer("{}", "Date: " + "1" * MB + "\r\n"),
    "header-name": lambda: _http("a" * MB + ": b"),
    "client-header-lookalike": lambda: _http("x-tallyfy-clien" + "t" * MB + ": APIClient"),
    "many-headers": lambda: _http("X: y\r\n" * (MB // 6)),
    # curl command lines.
    "curl-oauth2-bearer-words": lambda: "curl " + "--oauth2-bearer " * (MB // 16) + "https://go.tallyfy.com/api/me",
    "curl-oauth2-bearer-header-name": lambda: _curl("-H '" + "--oauth2-bearer" * (MB // 15) + ": x'"),
    "curl-variables": lambda: _curl("-H 'Authorization: Bearer " + "${a" * (MB // 3) + "'"),
    "curl-substitutions": lambda: _curl("-H 'Authorization: Bearer " + "$(" * (MB // 2) + "'"),
    "curl-ansi-escapes": lambda: _curl("-H $'X: " + "\\x41" * (MB // 4) + "'"),
    "curl-continuations": lambda: _curl("\\\n" * (MB // 2)),
    "curl-unterminated": lambda: _curl("'" + "a" * MB),
    # Structured input.
    "yaml-alias-bomb": _laughs,
    "yaml-deep": lambda: "interactions:\n- " + "[" * 50_000 + "]" * 50_000 + "\n",
    "json-deep": lambda: '{"log":' + "[" * 100_000 + "]" * 100_000 + "}",
    "har-year-9999": lambda: _har("9999-12-31T23:59:59.999-14:00"),
    "har-year-1": lambda: _har("0001-01-01T00:00:00+14:00"),
    "har-huge-year-text": lambda: _har("9" * MB),
}


@pytest.fixture(scope="module")
def runner() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def baseline_mb(runner: ForkServer, tmp_path_factory: pytest.TempPathFactory) -> float:
    """Peak memory of the same command on a tiny capture: the interpreter and its imports."""
    capture = tmp_path_factory.mktemp("baseline") / "small.http"
    capture.write_text(_http(), encoding="utf-8")
    return runner.measure(["explain", str(capture), "--format", "markdown"]).peak_mb


def assert_bounded(result: Measured, baseline_mb: float) -> None:
    assert result.code in (0, 1, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.cpu_seconds < CPU_BUDGET
    assert result.peak_mb - baseline_mb < MEMORY_BUDGET_MB
    if result.code == 2:
        assert result.stderr.count("\n") == 1  # one clear line


@pytest.mark.parametrize("name", sorted(EXPLAIN_INPUTS))
def test_explain_on_hostile_input(name: str, tmp_path: Path, runner: ForkServer, baseline_mb: float) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text(EXPLAIN_INPUTS[name](), encoding="utf-8")
    assert_bounded(runner.measure(["explain", str(capture), "--format", "markdown"]), baseline_mb)


def test_explain_refuses_an_alias_bomb_in_one_line(tmp_path: Path, runner: ForkServer) -> None:
    capture = tmp_path / "laughs.yaml"
    capture.write_text(_laughs(), encoding="utf-8")
    result = runner.measure(["explain", str(capture)])
    assert result.code == 2
    assert "aliases" in result.stderr


@pytest.mark.parametrize("started", ["9999-12-31T23:59:59.999-14:00", "0001-01-01T00:00:00+14:00"])
def test_explain_takes_har_dates_of_any_year(started: str, tmp_path: Path, runner: ForkServer) -> None:
    capture = tmp_path / "capture.har"
    capture.write_text(_har(started), encoding="utf-8")
    result = runner.measure(["explain", str(capture), "--format", "json"])
    assert result.code in (0, 1), result.stderr
    assert json.loads(result.stdout)["findings"]


TOKEN_INPUTS: dict[str, Callable[[], str]] = {
    "jwt-runs": lambda: "eyJa" * (MB // 4),
    "jwt-segments": lambda: "eyJ" + "A" * MB + ".eyJ" + "B" * 10 + ".c",
    "dots": lambda: "a." * (MB // 2),
    "bearer-repeated": lambda: "Bearer " * (MB // 7),
    "invisible": lambda: "\u200b" * (MB // 3),
    "control": lambda: "\x00\x1b" * (MB // 2),
    "quotes": lambda: '"' * MB,
    "refresh-like": lambda: "def50200" * (MB // 8),
}


@pytest.mark.parametrize("name", sorted(TOKEN_INPUTS))
def test_token_on_hostile_input(name: str, tmp_path: Path, runner: ForkServer, baseline_mb: float) -> None:
    source = tmp_path / "token.txt"
    source.write_text(TOKEN_INPUTS[name](), encoding="utf-8")
    assert_bounded(runner.measure(["token", "-", "--format", "markdown"], stdin_path=source), baseline_mb)


WEBHOOK_BODIES: dict[str, Callable[[], bytes]] = {
    "deep-json": lambda: b"[" * 100_000 + b"]" * 100_000,
    "long-name": lambda: json.dumps({"id": "x", "name": "eyJa" * (MB // 4)}).encode(),
    "many-keys": lambda: json.dumps({f"k{i}": i for i in range(MB // 12)}).encode(),
    "huge-integer": lambda: b'{"increment_id": ' + b"9" * MB + b"}",
    "not-json": lambda: b"\xff\xfe" * (MB // 2),
    "escapes": lambda: b'{"name": "' + b"\\u0000" * (MB // 6) + b'"}',
}


def test_webhook_listen_on_hostile_deliveries(tmp_path: Path, baseline_mb: float) -> None:
    listener = start(["webhook", "listen", "--port", "0"])
    assert listener.stderr is not None
    try:
        line = listener.stderr.readline().decode()
        assert "listening on " in line, line
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        with httpx.Client(timeout=30) as client:
            for name, body in WEBHOOK_BODIES.items():
                answer = client.post(url, content=body(), headers={"Content-Type": "application/json"})
                assert answer.status_code == 200, name
    finally:
        listener.send_signal(signal.SIGINT)
    status, usage = wait(listener)
    stderr = listener.stderr.read().decode()
    listener.stderr.close()
    assert listener.stdout is not None
    printed = listener.stdout.read().decode()
    listener.stdout.close()
    assert listener.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert printed.count("\n") == len(WEBHOOK_BODIES)  # one line per delivery
    # Six 1 MB deliveries in one process: the budget per delivery, times their number.
    assert usage.ru_utime + usage.ru_stime < CPU_BUDGET * len(WEBHOOK_BODIES)
    assert usage.ru_maxrss / 1024 - baseline_mb < MEMORY_BUDGET_MB
    del status


@pytest.mark.parametrize(("host", "code", "says"), [("", 2, "must not be empty"), ("0.0.0.0", None, "warning")])
def test_webhook_listen_host_is_refused_or_warned(host: str, code: int | None, says: str) -> None:
    listener = start(["webhook", "listen", "--host", host, "--port", "0"])
    assert listener.stderr is not None
    line = listener.stderr.readline().decode()
    if code is None:  # it serves: once it says so, stop it as a user would
        assert "listening on" in listener.stderr.readline().decode()
        listener.send_signal(signal.SIGINT)
    try:
        listener.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        listener.kill()
        listener.communicate()
    assert says in line
    assert listener.returncode == (0 if code is None else code)
