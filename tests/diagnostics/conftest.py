"""Fixtures for the diagnostics: tokens made on the spot, fixture captures with token placeholders, and a
runner for the real command line (`tallyfy_diag.cli.main`)."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import tallyfy_diag.cli

DATA = Path(__file__).parent / "data"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A JWT shaped like Laravel Passport's (RS256); the signature is filler, nothing here verifies it."""
    head = header if header is not None else {"typ": "JWT", "alg": "RS256"}
    return ".".join(
        [
            b64url(json.dumps(head).encode()),
            b64url(json.dumps(claims).encode()),
            b64url(b"s" * 256),
        ]
    )


def passport_claims(*, user: bool = True, ttl: int = 3600, issued_ago: int = 60, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": "3",
        "jti": "f3a9c0d1e2b34c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d",
        "iat": now - issued_ago,
        "nbf": now - issued_ago,
        "exp": now - issued_ago + ttl,
        "sub": "42" if user else "",
        "scopes": [],
    }
    claims.update(extra)
    return claims


TOKENS: dict[str, Callable[[], str]] = {
    "user": lambda: make_jwt(passport_claims()),
    "app": lambda: make_jwt(passport_claims(user=False)),
    "expired": lambda: make_jwt(passport_claims(ttl=3600, issued_ago=7200)),
    "truncated": lambda: make_jwt(passport_claims())[:60],
    "soon": lambda: make_jwt(passport_claims(ttl=3600, issued_ago=3600 - 120)),
}


def _moment(match: re.Match[str]) -> str:
    """`{{NOW:iso}}`, `{{NOW+600:http}}`: the current time (shifted by seconds) as ISO 8601 or an HTTP date."""
    moment = datetime.now(tz=UTC) + timedelta(seconds=int(match.group(1) or 0))
    if match.group(2) == "http":
        return format_datetime(moment, usegmt=True)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def render_fixture(name: str, **tokens: str) -> str:
    """A fixture capture with `{{TOKEN:kind}}` and `{{NOW...}}` placeholders filled in."""
    text = (DATA / name).read_text(encoding="utf-8")
    for kind, factory in TOKENS.items():
        placeholder = "{{TOKEN:" + kind + "}}"
        if placeholder in text:
            text = text.replace(placeholder, tokens.get(kind) or factory())
    return re.sub(r"\{\{NOW([+-]\d+)?:(iso|http)\}\}", _moment, text)


@attrs.frozen
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    def statuses(self, check: str) -> list[str]:
        return [finding["status"] for finding in self.json()["findings"] if finding["check"] == check]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `tallyfy-diag ARGS` in-process with optional stdin; returns exit code and output."""

    def run(*args: str, stdin: str | bytes | None = None) -> Run:
        raw = stdin.encode("utf-8") if isinstance(stdin, str) else (stdin or b"")
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
        code = tallyfy_diag.cli.main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def capture_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a fixture capture (placeholders filled) to a temporary file and return its path."""

    def write(name: str, **tokens: str) -> Path:
        path = tmp_path / name
        path.write_text(render_fixture(name, **tokens), encoding="utf-8")
        return path

    return write
