"""`explain -` and `token -` read a bounded amount from stdin: an endless pipe gets exit 2, not a hang."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from tallyfy_diag.cli import main


class EndlessBytes(io.RawIOBase):
    """A pipe that never ends: `read()` with no size would never return."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        view[:] = b"a" * len(view)
        return len(view)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("an unbounded read of an endless pipe")
        return b"a" * size


class EndlessStdin:
    def __init__(self) -> None:
        self.buffer = EndlessBytes()

    def isatty(self) -> bool:
        return False

    def read(self, size: int = -1) -> str:
        if size is None or size < 0:
            raise AssertionError("an unbounded read of an endless pipe")
        return "a" * size


@pytest.mark.parametrize("command", [["explain", "-"], ["token", "-"]])
def test_an_endless_stdin_is_refused_with_exit_2(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", EndlessStdin())
    assert main(command) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "larger than" in error or "longer than" in error
