"""One scenario vocabulary: doctor, cors and sandbox accept the same names for the same failures, and each
lists them (`--list-scenarios`)."""

from __future__ import annotations

import pytest

from tallyfy_diag import cli
from tallyfy_diag._scenarios import CLIENT_SCENARIOS, SCENARIOS, SERVER_SCENARIOS
from tallyfy_diag.diagnostics._scenarios import DOCTOR_SCENARIOS
from tallyfy_diag.sandbox import SCENARIOS as SANDBOX_SCENARIOS


def test_the_sandbox_implements_exactly_the_server_scenarios() -> None:
    assert list(SANDBOX_SCENARIOS) == list(SERVER_SCENARIOS)


def test_the_doctor_runs_every_name_and_each_server_one_on_its_own_sandbox_behaviour() -> None:
    assert list(DOCTOR_SCENARIOS) == list(SCENARIOS)
    assert not set(SERVER_SCENARIOS) & set(CLIENT_SCENARIOS)
    for name in SERVER_SCENARIOS:
        assert DOCTOR_SCENARIOS[name].sandbox_scenario == name
    for name in CLIENT_SCENARIOS:
        assert DOCTOR_SCENARIOS[name].sandbox_scenario in SERVER_SCENARIOS


@pytest.mark.parametrize(
    ("command", "names"), [("doctor", SCENARIOS), ("cors", SERVER_SCENARIOS), ("sandbox", SERVER_SCENARIOS)]
)
def test_each_command_lists_the_names_it_accepts(
    command: str, names: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command, "--list-scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(names)


@pytest.mark.parametrize("command", ["cors", "sandbox"])
def test_a_client_mistake_outside_the_doctor_points_to_the_doctor(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--sandbox"] if command == "cors" else []
    assert cli.main([command, *extra, "--scenario", "expired-token"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "tallyfy-diag doctor --sandbox --scenario expired-token" in err


@pytest.mark.parametrize("command", ["doctor", "cors", "sandbox"])
def test_an_unknown_name_is_one_line_and_exit_2(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--sandbox"] if command != "sandbox" else []
    assert cli.main([command, *extra, "--scenario", "header-401x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"tallyfy-diag {command} --list-scenarios" in err
