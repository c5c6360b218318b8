"""The command line's frame: version, help, and one-line errors with documented exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tallyfy_diag
import tallyfy_diag.cli as cli
import tallyfy_diag.client
from tallyfy_diag import __version__
from tallyfy_diag.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"tallyfy-diag {__version__}"


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    assert "Exit codes: 0 no failure, 1 at least one check failed, 2 bad usage" in capsys.readouterr().out


def test_an_unknown_option_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-such-option"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "unrecognized arguments: --no-such-option" in captured.err


def test_the_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tallyfy_diag", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tallyfy-diag ")


def test_client_names_are_importable_from_the_package_without_loading_them_at_start() -> None:
    code = (
        "import sys, tallyfy_diag.cli; assert 'httpx' not in sys.modules, 'httpx loaded at start';"
        "from tallyfy_diag import Tallyfy, PasswordGrant; import tallyfy_diag.client as c;"
        "assert Tallyfy is c.Tallyfy and PasswordGrant is c.PasswordGrant"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_package_exports_only_client_names_and_submodule_imports_stay_light() -> None:
    exported = set(tallyfy_diag.__all__) - {"__version__"}
    assert exported <= set(tallyfy_diag.client.__all__)
    code = "import sys; from tallyfy_diag import _spec, cli; assert 'httpx' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_command_is_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in ("doctor", "explain", "token", "cors", "sandbox", "webhook"):
        assert f"    {command} " in listed, command


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    found: argparse.ArgumentParser = commands.choices[name]
    return found


@pytest.mark.parametrize("name", cli._COMMAND_MODULES)
def test_a_command_parsed_alone_is_the_command_of_the_whole_line(name: str) -> None:
    # main() builds only the named command's parser: it must be the very parser the whole command line has.
    alone, whole = cli.build_parser(name), cli.build_parser()
    assert [action.dest for action in alone._actions] == [action.dest for action in whole._actions]
    assert _command_parser(alone, name).format_help() == _command_parser(whole, name).format_help()
    assert set(_command_parser(whole, name)._option_string_actions) == set(
        _command_parser(alone, name)._option_string_actions
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor", "--sandbox", "--format", "json"],
        ["explain", "capture.txt", "--format", "markdown", "--origin", "https://app.example.com"],
        ["token", "abc"],
        ["--version"],
        [],
    ],
)
def test_only_a_leading_command_word_picks_one_parser(argv: list[str]) -> None:
    word = cli._command_word(argv)
    assert word == (argv[0] if argv and not argv[0].startswith("-") else None)
    if word is not None:
        assert vars(cli.build_parser(word).parse_args(argv)) == vars(cli.build_parser().parse_args(argv))


def test_the_console_script_exits_with_the_code_and_skips_the_last_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 3
    assert frozen == [True]


def test_a_report_written_by_the_console_script_is_whole(tmp_path: Path) -> None:
    capture = tmp_path / "call.sh"
    capture.write_text("curl https://go.tallyfy.com/api/me -H 'Authorization: Bearer abc'\n")
    done = subprocess.run(
        [sys.executable, "-m", "tallyfy_diag", "explain", str(capture), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["mode"] == "explain"
