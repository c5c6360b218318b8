"""What the diagnostics cost: `explain` on a typical curl command, a full `doctor` against the local sandbox
(and how many requests it makes), the start-up time of `tallyfy-diag --help`, and the in-process cost of
reading and diagnosing one capture in each input format `explain` reads.

    python benchmarks/diagnostics.py [--runs 15]

Each command runs as a fresh process (what a user waits for) `--runs` times; the median and the fastest run
are printed, with CPU time (user + system) beside the wall time: on a machine shared with other work the CPU
time is what the command itself costs. Target: `explain` on a curl file under 0.3 s wall, start-up included.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tallyfy_diag.diagnostics import explain

# An unsigned filler token (aud 3, sub 42, exp 2100): nothing here verifies signatures.
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzIiwic3ViIjoiNDIiLCJleHAiOjQxMDI0NDQ4MDB9.c2ln"
CURL = f"""curl -X POST https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/tasks \\
  -H 'X-Tallyfy-Client: APIClient' -H 'Accept: application/json' -H 'Authorization: Bearer {TOKEN}' \\
  --json '{{"title": "Review", "task_type": "task", "deadline": "2025-07-15T17:00:00Z"}}'
"""
COMMAND = [sys.executable, "-m", "tallyfy_diag"]
TARGET_SECONDS = 0.3
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "diagnostics" / "data"
# One capture per input format, as DevTools, Postman and HTTPie write them (the test suite's fixtures).
FORMAT_SAMPLES = {
    "curl (bash)": "devtools/chrome_curl_bash_ok.sh",
    "curl (cmd, CRLF)": "devtools/chrome_curl_cmd_crlf.cmd",
    "PowerShell": "devtools/chrome_powershell_ok.ps1",
    "fetch": "devtools/chrome_fetch_ok.js",
    "fetch (Node.js)": "devtools/chrome_fetch_nodejs_ok.js",
    "HTTPie": "devtools/httpie_ok.sh",
    "Postman v2.1": "devtools/postman_collection_ok.json",
    "HAR (Chrome)": "cors_ok.har",
    "HAR (Firefox)": "devtools/firefox_me_ok.har",
    "raw HTTP": "me_200.http",
    "VCR cassette": "cassette.yaml",
}


def captures_by_format() -> list[tuple[str, bytes]]:
    """Each sample with its placeholders filled: the token, and the time where a capture has one."""
    now = email.utils.format_datetime(datetime.now(UTC), usegmt=True)
    iso = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    samples = []
    for name, path in FORMAT_SAMPLES.items():
        text = (FIXTURES / path).read_bytes().decode("utf-8")
        text = re.sub(r"\{\{TOKEN:\w+\}\}", TOKEN, text)
        text = re.sub(r"\{\{NOW[+-]?\d*:http\}\}", now, re.sub(r"\{\{NOW[+-]?\d*:iso\}\}", iso, text))
        samples.append((name, text.encode("utf-8")))
    return samples


def wall_times(arguments: list[str], runs: int, cpu: list[float] | None = None) -> tuple[list[float], str]:
    """Wall times of `runs` fresh processes; their CPU times (user + system) go to `cpu` when given."""
    times = []
    output = ""
    for _ in range(runs):
        before = os.times()
        started = time.perf_counter()
        done = subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        after = os.times()
        if cpu is not None:
            cpu.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
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
        cpu: list[float] = []
        show("tallyfy-diag --help (start-up)", wall_times(["--help"], runs, cpu)[0])
        show("  its CPU time (user + system)", cpu)
        cpu = []
        times = wall_times(["explain", str(capture)], runs, cpu)[0]
        show("tallyfy-diag explain call.sh (process)", times)
        show("  its CPU time (user + system)", cpu)
        verdict = "under" if statistics.median(times) < TARGET_SECONDS else "OVER"
        print(f"{'  target: under 0.3 s wall':<44} median {verdict} the target")
        in_process = []
        for _ in range(runs * 10):
            started = time.perf_counter()
            explain(CURL.encode())
            in_process.append(time.perf_counter() - started)
        show("explain() on the same command (in-process)", in_process)
        for name, capture_bytes in captures_by_format():
            per_capture = []
            for _ in range(runs * 10):
                started = time.perf_counter()
                explain(capture_bytes)
                per_capture.append(time.perf_counter() - started)
            show(f"explain() on a {name} capture (in-process)", per_capture)
        times, output = wall_times(["doctor", "--sandbox", "--format", "json"], max(3, runs // 3))
        show("tallyfy-diag doctor --sandbox (process)", times)
    if not output:
        sys.exit("doctor printed nothing: is it registered in tallyfy_diag.cli._COMMAND_MODULES?")
    report = json.loads(output)
    print(f"{'requests made by that doctor run':<44} {report['requests_made']}")
    print(f"{'its findings':<44} {report['summary']}")


if __name__ == "__main__":
    main()
