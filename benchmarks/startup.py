"""Start-up cost of the command line, as ratios against `python -c "import httpx"` measured in the same run.

    python benchmarks/startup.py [--rounds 21]

Every command runs as a fresh process (what a user waits for). The commands are interleaved round by round
in a rotating order, so that drift (the other jobs on this machine, CPU frequency) hits them all alike; the
median wall time and the median CPU time (user + system, from wait4) of each are printed, with both ratios
to the anchor. CPU time is the steadier figure on a busy machine; wall time is what a user feels.

Measured:
- `tallyfy-diag --help`                       target <= 1.0x the anchor
- `tallyfy-diag explain call.sh` (curl file)  target <= 1.2x
- live `tallyfy-diag doctor` against a sandbox running in another process (started here, once)
                                              target <= 2.2x
- `tallyfy-diag doctor --sandbox`             target <= 0.5 s wall
and, in a fresh process each: loading the spec data the client and diagnostics use (a few ms), next to
parsing the YAML spec; and whether `import tallyfy_diag` loads importlib.metadata (it must not).

Installed packages get their bytecode compiled at install time; a checkout or an environment with
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every start and measure the compiler.
So the children run without that variable and a warm-up round writes the bytecode before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# An unsigned filler token (aud 3, sub 42, exp 2100): nothing here verifies signatures.
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzIiwic3ViIjoiNDIiLCJleHAiOjQxMDI0NDQ4MDB9.c2ln"
CURL = f"""curl -X POST https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/tasks \\
  -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' -H 'Authorization: Bearer {TOKEN}' \\
  --json '{{"title": "Review", "task_type": "task", "deadline": "2025-07-15T17:00:00Z"}}'
"""
ANCHOR = "python -c 'import httpx'"

SPEC_LOAD = """
import sys, time
started = time.perf_counter()
from tallyfy_diag import _spec
imported = time.perf_counter()
_spec.operations()
indexed = time.perf_counter()
_spec.load_spec()
loaded = time.perf_counter()
print((imported - started) * 1000, (indexed - imported) * 1000, (loaded - indexed) * 1000)
"""
YAML_LOAD = """
import time
from tallyfy_diag import _spec
data = _spec.spec_path().read_bytes()
import yaml
started = time.perf_counter()
yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
print((time.perf_counter() - started) * 1000)
"""
METADATA_PROBE = "import sys, tallyfy_diag; print('importlib.metadata' in sys.modules)"
# Children run outside any checkout: `python -c` puts its working directory first on sys.path, which would
# import a checkout's tallyfy_diag instead of the installed one.
CHILD_CWD = tempfile.gettempdir()


def child_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    # A live doctor must not pick credentials or a base URL up from the caller's environment.
    return {key: value for key, value in environment.items() if not key.startswith("TALLYFY_")}


def cli_command() -> list[str]:
    """The console script users run, when it is installed next to this interpreter; else `python -m`."""
    script = Path(sys.executable).with_name("tallyfy-diag")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tallyfy_diag"]


def timed_run(command: Sequence[str], environment: dict[str, str], stdin: str | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; its output is discarded."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
        cwd=CHILD_CWD,
    )
    if stdin is not None:
        assert child.stdin is not None
        child.stdin.write(stdin.encode())
        child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):  # 1: a check failed, which the explain sample does on purpose
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def child_output(command: Sequence[str], environment: dict[str, str], *, check: bool = True) -> str:
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=CHILD_CWD, check=check).stdout


class Case:
    def __init__(
        self,
        label: str,
        command: Sequence[str],
        *,
        target: float | None = None,
        wall_limit: float | None = None,
        stdin: str | None = None,
    ) -> None:
        self.label = label
        self.command = list(command)
        self.stdin = stdin
        self.target = target
        self.wall_limit = wall_limit
        self.walls: list[float] = []
        self.cpus: list[float] = []


@contextmanager
def running_sandbox(environment: dict[str, str]) -> Iterator[dict[str, Any]]:
    """`tallyfy-diag sandbox --port 0` in a process of its own; yields the JSON line it prints."""
    server = subprocess.Popen(
        [*cli_command(), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
        cwd=CHILD_CWD,
        text=True,
    )
    try:
        stdout: IO[str] | None = server.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            raise SystemExit("the sandbox printed nothing")
        yield json.loads(line)
    finally:
        server.terminate()
        server.wait(timeout=30)


def in_process_figures(environment: dict[str, str], runs: int) -> None:
    imports, indexes, documents, yaml_loads = [], [], [], []
    for _ in range(runs):
        output = child_output([sys.executable, "-c", SPEC_LOAD], environment).split()
        imports.append(float(output[0]))
        indexes.append(float(output[1]))
        documents.append(float(output[2]))
        yaml_loads.append(float(child_output([sys.executable, "-c", YAML_LOAD], environment)))
    print(
        f"{'spec operations (client, diagnostics)':<46} median {statistics.median(indexes):7.2f} ms"
        f"   (the YAML parse it replaces: {statistics.median(yaml_loads):.1f} ms)"
    )
    print(
        f"{'then the whole document (sandbox, webhooks)':<46} median {statistics.median(documents):7.2f} ms"
        f"   (importing _spec beforehand: {statistics.median(imports):.1f} ms)"
    )
    metadata = child_output([sys.executable, "-c", METADATA_PROBE], environment).strip()
    print(f"{'import tallyfy_diag loads importlib.metadata':<46} {metadata}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    rounds = parser.parse_args().rounds
    environment = child_environment()
    cli = cli_command()
    print(f"interpreter: {sys.executable}; command: {' '.join(cli)}; rounds: {rounds}")
    with tempfile.TemporaryDirectory() as scratch, running_sandbox(environment) as sandbox:
        capture = Path(scratch) / "call.sh"
        capture.write_text(CURL)
        live = [
            *cli,
            "doctor",
            "--base-url",
            sandbox["base_url"],
            "--client-id",
            sandbox["client_id"],
            "--client-secret",
            sandbox["client_secret"],
            "--username",
            sandbox["username"],
            "--password-stdin",
            "--org",
            sandbox["org_id"],
        ]
        anchor = Case(ANCHOR, [sys.executable, "-c", "import httpx"])
        cases = [
            anchor,
            Case("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"]),
            Case("tallyfy-diag --help", [*cli, "--help"], target=1.0),
            Case("tallyfy-diag explain call.sh", [*cli, "explain", str(capture)], target=1.2),
            Case("tallyfy-diag doctor (live, local sandbox)", live, target=2.2, stdin=sandbox["password"] + "\n"),
            Case("tallyfy-diag doctor --sandbox", [*cli, "doctor", "--sandbox"], wall_limit=0.5),
        ]
        for round_number in range(-2, rounds):  # two warm-up rounds write bytecode and fill the page cache
            shift = max(round_number, 0) % len(cases)
            for case in cases[shift:] + cases[:shift]:
                wall, cpu = timed_run(case.command, environment, case.stdin)
                if round_number >= 0:
                    case.walls.append(wall)
                    case.cpus.append(cpu)
    anchor_wall, anchor_cpu = statistics.median(anchor.walls), statistics.median(anchor.cpus)
    print(f"{'':<46} {'wall ms':>9} {'ratio':>7} {'cpu ms':>9} {'ratio':>7}  target")
    failed = False
    for case in cases:
        wall, cpu = statistics.median(case.walls), statistics.median(case.cpus)
        verdict = ""
        if case.target is not None:
            met = wall / anchor_wall <= case.target
            verdict = f"<= {case.target:.1f}x: {'met' if met else 'MISSED'} (wall)"
            failed |= not met
        elif case.wall_limit is not None:
            met = wall <= case.wall_limit
            verdict = f"<= {case.wall_limit * 1000:.0f} ms wall: {'met' if met else 'MISSED'}"
            failed |= not met
        print(
            f"{case.label:<46} {wall * 1000:9.1f} {wall / anchor_wall:6.2f}x {cpu * 1000:9.1f}"
            f" {cpu / anchor_cpu:6.2f}x  {verdict}"
        )
    in_process_figures(environment, max(5, rounds // 3))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
