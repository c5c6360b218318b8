"""What the diagnostics cost: `explain` on a typical curl command, a full `doctor` against the local sandbox
(and how many requests it makes), and the start-up time of `tallyfy-diag --help`.

    python benchmarks/diagnostics.py [--runs 15]

Each command runs as a fresh process (what a user waits for) `--runs` times; the median and the fastest run
are printed. `explain` is also timed in-process, without the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tallyfy_diag.diagnostics import explain

# An unsigned filler token (aud 3, sub 42, exp 2100): nothing here verifies signatures.
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzIiwic3ViIjoiNDIiLCJleHAiOjQxMDI0NDQ4MDB9.c2ln"
CURL = f"""curl -X POST https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/tasks \\
  -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' -H 'Authorization: Bearer {TOKEN}' \\
  --json '{{"title": "Review", "task_type": "task", "deadline": "2025-07-15T17:00:00Z"}}'
"""
COMMAND = [sys.executable, "-m", "tallyfy_diag"]


def wall_times(arguments: list[str], runs: int) -> tuple[list[float], str]:
    times = []
    output = ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        output = done.stdout
    return times, output


def show(label: str, times: list[float], unit: float = 1000.0, suffix: str = "ms") -> None:
    median, best = statistics.median(times) * unit, min(times) * unit
    print(f"{label:<44} median {median:8.1f} {suffix}   best {best:8.1f} {suffix}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        capture = Path(scratch) / "call.sh"
        capture.write_text(CURL)
        show("tallyfy-diag --help (start-up)", wall_times(["--help"], runs)[0])
        show("tallyfy-diag explain call.sh (process)", wall_times(["explain", str(capture)], runs)[0])
        in_process = []
        for _ in range(runs * 10):
            started = time.perf_counter()
            explain(CURL.encode())
            in_process.append(time.perf_counter() - started)
        show("explain() on the same command (in-process)", in_process)
        times, output = wall_times(["doctor", "--sandbox", "--format", "json"], max(3, runs // 3))
        show("tallyfy-diag doctor --sandbox (process)", times)
    if not output:
        sys.exit("doctor printed nothing: is it registered in tallyfy_diag.cli._COMMAND_MODULES?")
    report = json.loads(output)
    print(f"{'requests made by that doctor run':<44} {report['requests_made']}")
    print(f"{'its findings':<44} {report['summary']}")


if __name__ == "__main__":
    main()
