"""Run the real command line in a child process and measure it: exit code, CPU seconds and peak memory
(`os.wait4` reports the child's own resource usage). The child's address space is capped, so a regression
fails the test instead of taking the machine. `start` runs a fresh interpreter (for a server that is signalled);
`ForkServer.measure` runs each command in a process forked from one interpreter that has imported the command
line already, so forty hostile inputs do not pay forty interpreter start-ups."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Final

import attrs

ADDRESS_SPACE_CAP: Final = 3 * 1024**3
WALL_LIMIT: Final = 120.0
"""Only against a hang: the 5-second budget is asserted on CPU time, which a busy machine does not inflate."""


@attrs.frozen
class Measured:
    code: int
    cpu_seconds: float
    peak_mb: float
    stdout: str
    stderr: str


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("TALLYFY_")}


def start(argv: Sequence[str], stdin: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tallyfy_diag", *argv],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
        preexec_fn=_cap_memory,  # noqa: PLW1509 - the child is single-threaded when it runs
    )


class ForkServer:
    """Runs `tallyfy-diag argv` for each `measure` in a process of its own, forked from one child interpreter
    that imported the command line once (`_forkserver.py`): the exit code, CPU seconds and peak memory are the
    forked process's own, as `os.wait4` reports them; stdout and stderr go to files (no pipe to fill)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_forkserver.py")), str(ADDRESS_SPACE_CAP)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_environment(),
        )

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        finally:
            if self._process.stdout is not None:
                self._process.stdout.close()

    def measure(self, argv: Sequence[str], stdin_path: Path | None = None) -> Measured:
        """Run `tallyfy-diag argv` with stdin from `stdin_path`."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        workdir = Path(os.environ.get("TMPDIR", "/tmp"))
        out_path = workdir / f"hostile-{os.getpid()}-out.txt"
        err_path = workdir / f"hostile-{os.getpid()}-err.txt"
        request = {
            "argv": list(argv),
            "stdin": str(stdin_path) if stdin_path else None,
            "stdout": str(out_path),
            "stderr": str(err_path),
        }
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, "the fork server died"
        answer = json.loads(line)
        stdout = out_path.read_text("utf-8", "replace")
        stderr = err_path.read_text("utf-8", "replace")
        out_path.unlink()
        err_path.unlink()
        if answer["hung"]:
            raise AssertionError(f"still running after {WALL_LIMIT}s")
        return Measured(
            code=os.waitstatus_to_exitcode(answer["status"]),
            cpu_seconds=answer["cpu_seconds"],
            peak_mb=answer["peak_kb"] / 1024,  # kilobytes on Linux
            stdout=stdout,
            stderr=stderr,
        )


def wait_for_pid(pid: int) -> tuple[int, resource.struct_rusage] | None:
    """Child `pid`'s wait status and its own resource usage; None when it outlived WALL_LIMIT (it is then
    killed and reaped). Polled every few milliseconds: a run ends within a few of that."""
    deadline = time.monotonic() + WALL_LIMIT
    while True:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped:
            return status, usage
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            return None
        time.sleep(0.005)


def wait(process: subprocess.Popen[bytes]) -> tuple[int, resource.struct_rusage]:
    finished = wait_for_pid(process.pid)
    if finished is None:
        process.returncode = -9
        raise AssertionError(f"still running after {WALL_LIMIT}s")
    status, usage = finished
    process.returncode = os.waitstatus_to_exitcode(status)
    return status, usage
