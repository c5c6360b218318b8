"""The README's Python examples run as written (against the sandbox they start) and pass mypy --strict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_client_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (example,) = [block for block in python_blocks() if "with Sandbox()" in block]
    exec(compile(example, str(README), "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert "@" in out[0]  # the user's e-mail
    assert out[1] == "Onboard Ann active"
    assert out[2] == "200 True Onboard Ann True"


def test_the_examples_pass_mypy_strict(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 2
    paths = []
    for number, block in enumerate(blocks):
        path = tmp_path / f"readme_example_{number}.py"
        path.write_text(block)
        paths.append(str(path))
    stdout, stderr, status = mypy_api.run(["--strict", "--no-error-summary", *paths])
    assert (stdout, stderr, status) == ("", "", 0)
