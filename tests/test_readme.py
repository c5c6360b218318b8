"""The README's Python example runs as written (against the sandbox it starts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_client_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (example,) = [block for block in python_blocks() if "with Sandbox()" in block]
    exec(compile(example, str(README), "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert "@" in out[0]  # the user's e-mail
    assert out[1] == "Onboard Ann active"
