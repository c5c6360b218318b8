"""mypy --strict over a user's script that calls every tag through the facade; the revealed types are pinned.

A second, generated script reveals every facade method of every resource (sync and async) and checks that no
return type contains `Any`, so an operation added to the spec is covered without editing this file.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from mypy import api as mypy_api

from tallyfy_diag.client import _resources

HERE = Path(__file__).resolve().parent
USAGE = HERE / "facade_usage.py"
COROUTINE = re.compile(r"^typing\.Coroutine\[Any, Any, (.*)\]$")
REVEALED = re.compile(r'^(?P<file>[^:]+):(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')


def run_mypy(path: Path) -> tuple[list[str], dict[int, list[str]]]:
    stdout, stderr, _status = mypy_api.run(["--strict", "--no-error-summary", "--show-absolute-path", str(path)])
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    revealed: dict[int, list[str]] = {}
    for line in stdout.splitlines():
        found = REVEALED.match(line)
        # By name: mypy replays a cached, unchanged file's notes under the path it had when cached.
        if found and Path(found["file"]).name == path.name:
            revealed.setdefault(int(found["line"]), []).append(found["type"])
    assert not stderr, stderr
    return errors, revealed


def test_the_user_script_type_checks_with_the_types_it_expects():
    errors, revealed = run_mypy(USAGE)
    assert errors == []
    expected = {
        number + 1: line.strip().removeprefix("# revealed: ")
        for number, line in enumerate(USAGE.read_text().splitlines(), start=1)
        if line.strip().startswith("# revealed: ")
    }
    assert len(expected) >= 20
    assert {number: types[0] for number, types in revealed.items()} == expected
    assert not any("Any" in types[0] for types in revealed.values())


def test_the_user_script_calls_every_tag():
    text = USAGE.read_text()
    resources = {resource for resource, _ in _resources.OPERATIONS.values()}
    missing = sorted(r for r in resources if f"tf.{r}." not in text)
    assert missing == [], f"add a call for these resources to {USAGE.name}"


def facade_calls() -> list[str]:
    """`tf.<resource>.<method>` for every public method (iterators too) of every resource, sync and async."""
    calls = []
    for client, mixin in (("tf", _resources.SyncResources), ("atf", _resources.AsyncResources)):
        for resource in sorted({resource for resource, _ in _resources.OPERATIONS.values()}):
            cls = typing.get_type_hints(getattr(mixin, resource).fget, globalns=vars(_resources))["return"]
            calls += [f"{client}.{resource}.{name}" for name in sorted(vars(cls)) if not name.startswith("_")]
    return calls


def test_no_facade_method_returns_any(tmp_path):
    calls = facade_calls()
    header = [
        "from typing import reveal_type",
        "from tallyfy_diag import AsyncTallyfy, Tallyfy",
        "def check(tf: Tallyfy, atf: AsyncTallyfy) -> None:",
    ]
    script = tmp_path / "every_method.py"
    script.write_text("\n".join([*header, *(f"    reveal_type({call})" for call in calls)]) + "\n")
    errors, revealed = run_mypy(script)
    assert errors == []
    returns = {
        # An async method returns Coroutine[Any, Any, T]: only T is the caller's.
        calls[number - len(header) - 1]: COROUTINE.sub(r"\1", types[0].rsplit("-> ", 1)[-1])
        for number, types in revealed.items()
    }
    assert len(returns) == len(calls) > 2 * len(_resources.OPERATIONS)
    assert sorted(call for call, returned in returns.items() if "Any" in returned) == []
