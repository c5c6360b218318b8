"""A child process that runs the real command line once per request, each run in a process of its own.

Started once by `_run.ForkServer` (with the same environment the hostile tests always gave the command), it
imports tallyfy_diag's command line and runs it once on tiny input; then, for each request on stdin (one JSON
line: argv and the paths for the run's stdin, stdout and stderr), it forks. The forked process caps its address
space, takes those files as its standard streams, runs the console script's entry point
(`tallyfy_diag.cli.run`, as `python -m tallyfy_diag` does) and exits with its code. `os.wait4` reports that
process's own CPU time and peak memory, as it did for a freshly started interpreter; only the interpreter's
start-up, the imports and the first-use set-up are no longer paid again for every input (their memory is in
the baseline the tests subtract anyway: the growth a hostile input causes measures the same either way).

The answer is one JSON line on stdout: the wait status, the CPU seconds, the peak RSS and whether the run had
to be killed after `_run.WALL_LIMIT` (a hang).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from _run import wait_for_pid  # this file runs as a script beside _run.py

import tallyfy_diag.cli

ADDRESS_SPACE_CAP = int(sys.argv[1])
# What a new interpreter's standard streams would use here (this process's own were set up the same way).
ENCODING = sys.stdout.encoding
ERRORS = sys.stdout.errors


def _child(request: dict[str, Any]) -> None:
    """In the forked process: never returns."""
    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd, path, flags in (
            (0, request["stdin"] or os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        # Fresh standard streams on the new descriptors, set up as a new interpreter's would be.
        sys.stdin = io.TextIOWrapper(
            io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding=ENCODING, errors=ERRORS
        )
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding=ENCODING, errors=ERRORS
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding=ENCODING, errors="backslashreplace", write_through=True
        )
        sys.argv = ["tallyfy-diag", *request["argv"]]
        try:
            tallyfy_diag.cli.run()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # what an uncaught exception does to a real interpreter: a traceback, exit 1
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve() -> None:
    requests = sys.stdin.buffer
    answers = sys.stdout.buffer
    for line in requests:
        request = json.loads(line)
        answers.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        finished = wait_for_pid(pid)
        if finished is None:
            answer: dict[str, Any] = {"hung": True}
        else:
            status, usage = finished
            answer = {
                "status": status,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_kb": usage.ru_maxrss,
                "hung": False,
            }
        answers.write(json.dumps(answer).encode() + b"\n")
        answers.flush()


def warm_up() -> None:
    """Run `explain` and `token` once on tiny input here, so the forked runs start with the imports done and
    the patterns compiled (what every run would otherwise pay again before reading its input)."""
    with tempfile.TemporaryDirectory() as scratch:
        capture = Path(scratch) / "tiny.http"
        capture.write_text("GET /api/me HTTP/1.1\r\nHost: go.tallyfy.com\r\nAuthorization: Bearer abc\r\n\r\n")
        stdin, sys.stdin = sys.stdin, io.StringIO("abc")
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                tallyfy_diag.cli.main(["explain", str(capture), "--format", "markdown"])
                tallyfy_diag.cli.main(["token", "-", "--format", "markdown"])
        finally:
            sys.stdin = stdin


if __name__ == "__main__":
    warm_up()
    serve()
