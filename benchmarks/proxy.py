"""What `tallyfy-diag proxy` costs, side by side in one run, on loopback:

    .venv/bin/python benchmarks/proxy.py [--requests 500] [--concurrent 100] [--download-mb 50]

Three processes: a loopback upstream (uvicorn; a small JSON answer, a slow answer that holds its connection for
a second, and a large download streamed in 64 KiB chunks), the real `tallyfy-diag proxy` command in front of it
(judging every exchange, output to /dev/null), and this process as the client.

Printed:
1. added latency: the same GET sent directly and through the proxy, alternately, on keep-alive connections;
   p50 and p99 of each and of the difference (target: <= 2 ms at p50);
2. concurrency: N requests to the slow answer at once through the proxy; all must succeed, and the wall time
   shows whether the proxy held them concurrently (about 1 s) or queued them (about N s);
3. memory: the proxy process's resident set size (VmRSS) before, at its peak during, and after a download of
   the given size streams through it: flat means bounded by the chunk size and the judge's 1 MiB body prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

UPSTREAM = """
import asyncio, json, sys
from tallyfy_diag._serve import BackgroundServer

CHUNK = b"\\0" * 65536
SIZE = int(sys.argv[1]) * 1024 * 1024


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path.endswith("/dl"):
        headers = [(b"content-type", b"application/octet-stream"), (b"content-length", str(SIZE).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(SIZE // len(CHUNK)):
            await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path.endswith("/slow"):
        await asyncio.sleep(1.0)
    body = json.dumps({"data": {"id": 1, "email": "bench@example.test"}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


server = BackgroundServer(app, "127.0.0.1", 0, name="upstream", backlog=2048, limit_concurrency=4096)
server.start()
print(server.root_url, flush=True)
sys.stdin.read()
"""

HEADERS = {"X-Tallyfy-Client": "APIClient", "Accept": "application/json", "Authorization": "Bearer bench-opaque"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (/proc/PID/stat fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_upstream(download_mb: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", UPSTREAM, str(download_mb)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def start_proxy(upstream: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tallyfy_diag", "proxy", "--upstream", upstream + "/api", "--port", "0"]
    command += os.environ.get("BENCH_PROXY_ARGS", "").split()  # e.g. "--check redirect": judging nearly off
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)/api", line)
    if found is None:
        process.kill()
        raise SystemExit(f"the proxy did not start: {line.strip()}")
    return process, found.group(1)


def latency(direct_root: str, proxy_root: str, requests: int) -> tuple[list[float], list[float]]:
    direct: list[float] = []
    proxied: list[float] = []
    with httpx.Client(headers=HEADERS, timeout=10) as a, httpx.Client(headers=HEADERS, timeout=10) as b:
        for client, root in ((a, direct_root), (b, proxy_root)):
            for _ in range(50):  # warm up: connections, caches, the spec's validators
                client.get(root + "/api/me")
        for _ in range(requests):
            for client, root, sink in ((a, direct_root, direct), (b, proxy_root, proxied)):
                started = time.perf_counter()
                response = client.get(root + "/api/me")
                sink.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    return direct, proxied


async def concurrency(proxy_root: str, count: int) -> tuple[int, float]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(headers=HEADERS, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(client.get(proxy_root + "/api/slow") for _ in range(count)), return_exceptions=True
        )
        elapsed = time.perf_counter() - started
    ok = sum(1 for response in responses if isinstance(response, httpx.Response) and response.status_code == 200)
    return ok, elapsed


def download(proxy_root: str, pid: int) -> tuple[float, float, float, int, float]:
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_mb(pid))
            time.sleep(0.02)

    before = rss_mb(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    received = 0
    started = time.perf_counter()
    with httpx.stream("GET", proxy_root + "/api/organizations/o/file/f/dl", headers=HEADERS, timeout=60) as response:
        for chunk in response.iter_raw():
            received += len(chunk)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    time.sleep(0.3)
    return before, max(samples or [before]), rss_mb(pid), received, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--download-mb", type=int, default=50)
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("memory is read from /proc: run this on Linux")

    upstream, upstream_root = start_upstream(args.download_mb)
    proxy, proxy_root = start_proxy(upstream_root)
    try:
        cpu_before = cpu_seconds(proxy.pid)
        direct, proxied = latency(upstream_root, proxy_root, args.requests)
        cpu_per_request = (cpu_seconds(proxy.pid) - cpu_before) / (args.requests + 50) * 1000
        direct_held, direct_seconds = asyncio.run(concurrency(upstream_root, args.concurrent))
        held, held_seconds = asyncio.run(concurrency(proxy_root, args.concurrent))
        before, peak, after, received, seconds = download(proxy_root, proxy.pid)
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait(timeout=30)

    added = [b - a for a, b in zip(direct, proxied, strict=True)]
    python = sys.version.split()[0]
    print(f"tallyfy-diag proxy on loopback, {os.cpu_count()} CPUs, load average {load_average()}, Python {python}")
    print()
    print(f"1. latency, {args.requests} sequential GETs each way (ms)    p50      p99")
    rows = (("direct to the upstream", direct), ("through the proxy", proxied), ("added by the proxy (paired)", added))
    for label, values in rows:
        print(f"   {label:<48} {percentile(values, 0.5):7.2f}  {percentile(values, 0.99):7.2f}")
    met = "met" if percentile(added, 0.5) <= 2 else "NOT met"
    print(f"   target: added p50 <= 2 ms: {met}; mean added {statistics.fmean(added):.2f} ms")
    print(f"   proxy CPU time per exchange (forwarding and judging): {cpu_per_request:.2f} ms")
    print()
    # Queued one after another, N requests to a 1 s answer would take N seconds.
    verdict = "held concurrently" if held == args.concurrent and held_seconds < args.concurrent / 10 else "NOT held"
    print(f"2. concurrency: {args.concurrent} requests at once to an answer that takes 1 s")
    print(f"   direct to the upstream    {direct_held}/{args.concurrent} succeeded in {direct_seconds:.2f} s")
    print(f"   through the proxy         {held}/{args.concurrent} succeeded in {held_seconds:.2f} s ({verdict})")
    print()
    growth = peak - before
    mib = received / 1048576
    print(f"3. memory: {mib:.0f} MiB streamed through the proxy in {seconds:.2f} s ({mib / seconds:.0f} MiB/s)")
    print(f"   proxy RSS before {before:.1f} MiB, peak {peak:.1f} MiB (+{growth:.1f}), after {after:.1f} MiB:", end=" ")
    print("flat" if growth < 20 else "NOT flat")


if __name__ == "__main__":
    main()
