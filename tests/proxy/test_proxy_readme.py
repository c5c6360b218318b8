"""The README's proxy example runs as written: the CLI in front of the sandbox, the client example through it."""

from __future__ import annotations

import re
from pathlib import Path

from test_proxy_cli import start, stop

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_client_example_runs_through_the_proxy(tmp_path, monkeypatch, capsys):
    (example,) = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL) if "sandbox.json" in b]
    (shown,) = re.findall(r"and the proxy prints \(times vary\):\n\n```text\n(.*?)```", README.read_text(), re.DOTALL)
    process, _ = start(tmp_path)  # writes tmp_path/sandbox.json, as the README's command does
    monkeypatch.chdir(tmp_path)
    exec(compile(example, str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    code, stdout, stderr = stop(process)
    assert "@" in printed[0]
    assert printed[1] == "active"
    assert code == 0, stdout + stderr

    def shape(line: str) -> list[str]:
        number, method, path, status, _ms, _unit, mark = line.split()
        return [number, method, path, status, mark]

    assert [shape(line) for line in stdout.splitlines()] == [shape(line) for line in shown.splitlines()]
