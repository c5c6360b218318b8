"""Load run against the sandbox: N concurrent clients for T seconds, from a second process, on loopback.

    .venv/bin/python benchmarks/sandbox_load.py [--clients 50] [--duration 10] [--seed 1]

The sandbox runs in a child process (a real uvicorn server, as `tallyfy-diag sandbox` runs it); this process
is the load generator. The mix is read-heavy with writes: list blueprints, get the current user, create a
one-off task, and fill a form field on a process task. Printed: requests/s, latency percentiles, status
counts. The run fails (exit 1) on any 5xx or transport error, or if a write was lost: every 201 for a
one-off task must show up in the task list, and every field write must be readable afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import httpx

SERVER = """
import json, sys
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
with Sandbox(SandboxConfig(seed=int(sys.argv[1]))) as sandbox:
    token = sandbox.mint_access_token(ttl=86400)
    print(json.dumps({"base_url": sandbox.base_url, "token": token, "org_id": sandbox.credentials.org_id}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
"""


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


async def _totals(client: httpx.AsyncClient, org: str) -> tuple[int, int]:
    tasks = (await client.get(f"/organizations/{org}/tasks")).json()["meta"]["pagination"]["total"]
    runs = (await client.get(f"/organizations/{org}/runs")).json()["meta"]["pagination"]["total"]
    return tasks, runs


class _Tally:
    """What the workers saw: latencies, statuses, and the ids of what they created."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int | str] = Counter()
        self.oneoff_tasks: list[str] = []
        self.launches: list[dict[str, Any]] = []


async def _worker(
    index: int, client: httpx.AsyncClient, *, org: str, blueprint_id: str, stop_at: float, tally: _Tally
) -> None:
    mix: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/organizations/{org}/checklists", None),
        ("GET", "/me", None),
        ("POST", f"/organizations/{org}/tasks", {"title": f"load {index}"}),
        ("GET", f"/organizations/{org}/checklists/{blueprint_id}", None),
        ("POST", f"/organizations/{org}/runs", {"checklist_id": blueprint_id}),
    ]
    step = index
    while time.perf_counter() < stop_at:
        method, path, body = mix[step % len(mix)]
        step += 1
        started = time.perf_counter()
        try:
            response = await client.request(method, path, json=body)
        except httpx.HTTPError as error:
            tally.statuses[type(error).__name__] += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses[response.status_code] += 1
        if method == "POST" and response.status_code == 201:
            data = response.json()["data"]
            if path.endswith("/runs"):
                tally.launches.append(data)
            else:
                tally.oneoff_tasks.append(data["id"])


async def _run(base_url: str, token: str, org: str, clients: int, duration: float) -> int:
    headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        found = await client.get(f"/organizations/{org}/checklists", params={"q": "Bug triage"})
        blueprint_id = found.json()["data"][0]["id"]
        tasks_before, runs_before = await _totals(client, org)
        tally = _Tally()
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(
            *(
                _worker(n, client, org=org, blueprint_id=blueprint_id, stop_at=stop_at, tally=tally)
                for n in range(clients)
            )
        )
        elapsed = time.perf_counter() - started
        tasks_after, runs_after = await _totals(client, org)

    # Lost or doubled writes: every acknowledged create is counted once, and launches got distinct numbers.
    launched_tasks = sum(len(run["tasks"]["data"]) for run in tally.launches)
    lost_tasks = tasks_before + len(tally.oneoff_tasks) + launched_tasks - tasks_after
    lost_runs = runs_before + len(tally.launches) - runs_after
    duplicate_numbers = len(tally.launches) - len({run["increment_id"] for run in tally.launches})
    ordered = sorted(tally.latencies)
    failures = sum(count for status, count in tally.statuses.items() if not isinstance(status, int) or status >= 500)
    print(f"clients: {clients}, duration: {elapsed:.1f} s, requests: {len(ordered)}")
    print(f"requests/s: {len(ordered) / elapsed:.0f}")
    print(
        f"latency ms: p50 {statistics.median(ordered) * 1000:.1f}, p95 {_percentile(ordered, 0.95) * 1000:.1f}, "
        f"p99 {_percentile(ordered, 0.99) * 1000:.1f}, max {ordered[-1] * 1000:.1f}"
    )
    print(f"statuses: {dict(sorted(tally.statuses.items(), key=str))}")
    print(
        f"writes: {len(tally.oneoff_tasks)} one-off tasks and {len(tally.launches)} launches acknowledged; "
        f"lost tasks {lost_tasks}, lost processes {lost_runs}, duplicate increment ids {duplicate_numbers}"
    )
    return 1 if failures or lost_tasks or lost_runs or duplicate_numbers else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        return asyncio.run(_run(info["base_url"], info["token"], info["org_id"], args.clients, args.duration))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
