"""What the diagnostics cost: `explain` on a typical curl command, a full `doctor --sandbox` (and how many
requests it makes), and the start-up of `tallyfy-diag --help`, as ratios against `python -c "import httpx"`
timed in the same run.

    python benchmarks/diagnostics.py [--runs 15]

Each command runs as a fresh process (what a user waits for) `--runs` times, interleaved with the anchor;
median wall and CPU times are printed with their ratios (see benchmarks/startup.py, which also times a live
doctor against a running sandbox). `explain()` is also timed in-process: its first call in a process (which
loads the spec data) and a repeat call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from startup import CURL, Case, child_environment, child_output, cli_command, timed_run

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "diagnostics" / "data"
# One capture per input format `explain` reads, as DevTools, Postman and HTTPie write them (the tests' fixtures).
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
PER_FORMAT = """
import re, statistics, sys, time
from tallyfy_diag.diagnostics import explain
token = sys.argv[1]
for name, path in [line.split("\t") for line in sys.argv[2].splitlines()]:
    text = re.sub(r"\\{\\{TOKEN:\\w+\\}\\}", token, open(path, encoding="utf-8").read())
    text = re.sub(r"\\{\\{NOW[+-]?\\d*:\\w+\\}\\}", "Mon, 30 Nov 2026 12:00:00 GMT", text).encode()
    explain(text)  # the first call loads the spec data; time the steady state
    times = []
    for _ in range(30):
        started = time.perf_counter()
        explain(text)
        times.append(time.perf_counter() - started)
    print(f"{name}\t{statistics.median(times) * 1000:.2f}")
"""

IN_PROCESS = f"""
import time
from tallyfy_diag.diagnostics import explain
curl = {CURL.encode()!r}
started = time.perf_counter()
explain(curl)
first = time.perf_counter()
for _ in range(20):
    explain(curl)
print((first - started) * 1000, (time.perf_counter() - first) / 20 * 1000)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    environment = child_environment()
    cli = cli_command()
    with tempfile.TemporaryDirectory() as scratch:
        capture = Path(scratch) / "call.sh"
        capture.write_text(CURL)
        anchor = Case("python -c 'import httpx' (anchor)", [sys.executable, "-c", "import httpx"])
        cases = [
            anchor,
            Case("tallyfy-diag --help (start-up)", [*cli, "--help"]),
            Case("tallyfy-diag explain call.sh (process)", [*cli, "explain", str(capture)]),
            Case("tallyfy-diag doctor --sandbox (process)", [*cli, "doctor", "--sandbox"]),
        ]
        for run in range(-2, runs):  # two warm-up rounds write bytecode and fill the page cache
            shift = max(run, 0) % len(cases)
            for case in cases[shift:] + cases[:shift]:
                wall, cpu = timed_run(case.command, environment)
                if run >= 0:
                    case.walls.append(wall)
                    case.cpus.append(cpu)
    anchor_wall, anchor_cpu = statistics.median(anchor.walls), statistics.median(anchor.cpus)
    print(f"{'':<44} {'wall ms':>9} {'ratio':>7} {'cpu ms':>9} {'ratio':>7}")
    for case in cases:
        wall, cpu = statistics.median(case.walls), statistics.median(case.cpus)
        print(
            f"{case.label:<44} {wall * 1000:9.1f} {wall / anchor_wall:6.2f}x {cpu * 1000:9.1f} {cpu / anchor_cpu:6.2f}x"
        )

    firsts, repeats = [], []
    for _ in range(max(3, runs // 3)):
        output = child_output([sys.executable, "-c", IN_PROCESS], environment).split()
        firsts.append(float(output[0]))
        repeats.append(float(output[1]))
    print(f"{'explain() in-process, first call':<44} {statistics.median(firsts):9.1f} ms (loads the spec data)")
    print(f"{'explain() in-process, repeat call':<44} {statistics.median(repeats):9.1f} ms")

    samples = "\n".join(f"{name}\t{FIXTURES / path}" for name, path in FORMAT_SAMPLES.items())
    token = CURL.split("Bearer ", 1)[1].split("'", 1)[0]
    for line in child_output([sys.executable, "-c", PER_FORMAT, token, samples], environment).splitlines():
        name, milliseconds = line.split("\t")
        print(f"{'explain() in-process, ' + name:<44} {float(milliseconds):9.2f} ms per capture (median)")

    output = child_output([*cli, "doctor", "--sandbox", "--format", "json"], environment, check=False)
    if not output:
        sys.exit("doctor printed nothing: is it registered in tallyfy_diag.cli._COMMAND_MODULES?")
    report = json.loads(output)
    print(f"{'requests made by that doctor run':<44} {report['requests_made']}")
    print(f"{'its findings':<44} {report['summary']}")


if __name__ == "__main__":
    main()
