"""Run the real command line in a child process and measure it: exit code, CPU seconds and peak memory
(`os.wait4` reports the child's own resource usage). The child's address space is capped, so a regression
fails the test instead of taking the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
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


def measure(argv: Sequence[str], stdin_path: Path | None = None) -> Measured:
    """Run `tallyfy-diag argv` with stdin from `stdin_path`; stdout and stderr go to files (no pipe to fill)."""
    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    out_path = workdir / f"hostile-{os.getpid()}-out.txt"
    err_path = workdir / f"hostile-{os.getpid()}-err.txt"
    with (
        out_path.open("wb") as out,
        err_path.open("wb") as err,
        stdin_path.open("rb") if stdin_path else open(os.devnull, "rb") as source,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "tallyfy_diag", *argv],
            stdin=source,
            stdout=out,
            stderr=err,
            env=_environment(),
            preexec_fn=_cap_memory,  # noqa: PLW1509
        )
        usage = wait(process)
    stdout = out_path.read_text("utf-8", "replace")
    stderr = err_path.read_text("utf-8", "replace")
    out_path.unlink()
    err_path.unlink()
    status, rusage = usage
    return Measured(
        code=os.waitstatus_to_exitcode(status),
        cpu_seconds=rusage.ru_utime + rusage.ru_stime,
        peak_mb=rusage.ru_maxrss / 1024,  # kilobytes on Linux
        stdout=stdout,
        stderr=stderr,
    )


def wait(process: subprocess.Popen[bytes]) -> tuple[int, resource.struct_rusage]:
    import time  # noqa: PLC0415

    deadline = time.monotonic() + WALL_LIMIT
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, rusage
        if time.monotonic() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            process.returncode = -9
            raise AssertionError(f"still running after {WALL_LIMIT}s")
        time.sleep(0.02)
