"""Load run against the sandbox: N keep-alive connections for T seconds, from a second process, on loopback.

    .venv/bin/python benchmarks/sandbox_load.py [--connections 50] [--duration 10] [--seed 1]

The sandbox runs in a child process (a real uvicorn server, as `tallyfy-diag sandbox` runs it); this process
is the load generator. The generator is deliberately light, so that the server is what gets measured: raw
HTTP/1.1 on asyncio streams, every request's bytes built before the clock starts, responses read by their
Content-Length and parsed only after the run. (A generator built on httpx spends more CPU per request than
the server does and measures itself.) The CPU each process used during the run is printed next to the
throughput: a server near one full core and a generator well below it mean the server is the bottleneck.

The mix is read-heavy with writes: list blueprints, get the current user, create a one-off task, read a
blueprint, and launch a process. Printed: requests/s, latency percentiles, CPU of both processes, status
counts. The run fails (exit 1) on any 5xx or transport error, or if a write was lost: every 201 for a one-off
task must show up in the task list, every launch in the process list, with distinct increment ids.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx

SERVER = """
import json, sys
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
with Sandbox(SandboxConfig(seed=int(sys.argv[1]))) as sandbox:
    token = sandbox.mint_access_token(ttl=86400)
    print(json.dumps({"base_url": sandbox.base_url, "token": token, "org_id": sandbox.credentials.org_id}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
"""
TASK_WRITE, RUN_WRITE = "task", "run"


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _request_bytes(host: str, method: str, path: str, token: str, body: dict[str, Any] | None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"Authorization: Bearer {token}",
        "X-Tallyfy-Client: APIClient",
        "Accept: application/json",
    ]
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection; reads by Content-Length or chunks."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, closing = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            closing = b"close" in value.lower()
    if not chunked:
        return status, await reader.readexactly(length), closing
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")  # the empty trailer
    return status, b"".join(chunks), closing


class _Tally:
    """What the connections saw: latencies, statuses, and the raw bodies of acknowledged writes."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int | str] = Counter()
        self.writes: list[tuple[str, bytes]] = []


async def _connection(
    host: str, port: int, mix: list[tuple[str | None, bytes]], *, offset: int, stop_at: float, tally: _Tally
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    step = offset
    try:
        while time.perf_counter() < stop_at:
            write_kind, request = mix[step % len(mix)]
            step += 1
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body, closing = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
                tally.statuses[type(error).__name__] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[status] += 1
            if write_kind is not None and status == 201:
                tally.writes.append((write_kind, body))
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _totals(client: httpx.Client, org: str) -> tuple[int, int]:
    tasks = client.get(f"/organizations/{org}/tasks").json()["meta"]["pagination"]["total"]
    runs = client.get(f"/organizations/{org}/runs").json()["meta"]["pagination"]["total"]
    return tasks, runs


def _run(base_url: str, token: str, org: str, *, server_pid: int, connections: int, duration: float) -> int:
    headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        found = client.get(f"/organizations/{org}/checklists", params={"q": "Bug triage"})
        blueprint_id = found.json()["data"][0]["id"]
        tasks_before, runs_before = _totals(client, org)

    parts = urlsplit(base_url)
    host, port, prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
    authority = f"{host}:{port}"

    def mix_for(index: int) -> list[tuple[str | None, bytes]]:
        def request(method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
            return _request_bytes(authority, method, prefix + path, token, body)

        return [
            (None, request("GET", f"/organizations/{org}/checklists")),
            (None, request("GET", "/me")),
            (TASK_WRITE, request("POST", f"/organizations/{org}/tasks", {"title": f"load {index}"})),
            (None, request("GET", f"/organizations/{org}/checklists/{blueprint_id}")),
            (RUN_WRITE, request("POST", f"/organizations/{org}/runs", {"checklist_id": blueprint_id})),
        ]

    mixes = [mix_for(index) for index in range(connections)]
    tally = _Tally()

    async def load() -> float:
        stop_at = time.perf_counter() + duration
        await asyncio.gather(
            *(
                _connection(host, port, mixes[index], offset=index, stop_at=stop_at, tally=tally)
                for index in range(connections)
            )
        )
        return stop_at

    server_cpu_before, own_cpu_before = _process_cpu_seconds(server_pid), _own_cpu_seconds()
    started = time.perf_counter()
    asyncio.run(load())
    elapsed = time.perf_counter() - started
    server_cpu = _process_cpu_seconds(server_pid) - server_cpu_before
    generator_cpu = _own_cpu_seconds() - own_cpu_before

    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        tasks_after, runs_after = _totals(client, org)
    oneoff_tasks = [body for kind, body in tally.writes if kind == TASK_WRITE]
    launches = [json.loads(body)["data"] for kind, body in tally.writes if kind == RUN_WRITE]

    # Lost or doubled writes: every acknowledged create is counted once, and launches got distinct numbers.
    launched_tasks = sum(len(run["tasks"]["data"]) for run in launches)
    lost_tasks = tasks_before + len(oneoff_tasks) + launched_tasks - tasks_after
    lost_runs = runs_before + len(launches) - runs_after
    duplicate_numbers = len(launches) - len({run["increment_id"] for run in launches})
    ordered = sorted(tally.latencies)
    failures = sum(count for status, count in tally.statuses.items() if not isinstance(status, int) or status >= 500)
    print(f"connections: {connections}, duration: {elapsed:.1f} s, requests: {len(ordered)}")
    print(f"requests/s: {len(ordered) / elapsed:.0f}")
    if ordered:
        print(
            f"latency ms: p50 {statistics.median(ordered) * 1000:.1f}, p95 {_percentile(ordered, 0.95) * 1000:.1f},"
            f" p99 {_percentile(ordered, 0.99) * 1000:.1f}, max {ordered[-1] * 1000:.1f}"
        )
    server_share, generator_share = server_cpu / elapsed, generator_cpu / elapsed
    print(
        f"CPU during the run: server {server_cpu:.1f} s ({server_share:.0%} of a core),"
        f" generator {generator_cpu:.1f} s ({generator_share:.0%} of a core)"
    )
    if server_share >= 0.85 and generator_share <= server_share / 2:
        print("the server is the bottleneck (busy on its core; the generator has room to spare)")
    else:
        print("warning: the server is not saturated; other load on this machine or the generator limits the run")
    print(f"statuses: {dict(sorted(tally.statuses.items(), key=str))}")
    print(
        f"writes: {len(oneoff_tasks)} one-off tasks and {len(launches)} launches acknowledged; "
        f"lost tasks {lost_tasks}, lost processes {lost_runs}, duplicate increment ids {duplicate_numbers}"
    )
    return 1 if failures or lost_tasks or lost_runs or duplicate_numbers else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", "--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        return _run(
            info["base_url"],
            info["token"],
            info["org_id"],
            server_pid=server.pid,
            connections=args.connections,
            duration=args.duration,
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
