"""What the wrapper costs per request, compared with raw httpx and with the bare generated client.

    python benchmarks/client_overhead.py [--requests 1000]

Three transports, each timed separately:
- loopback:   a sandbox serving HTTP on 127.0.0.1 (what a real call costs, network stack included);
- in-process: the same sandbox app through its in-process transport (no sockets);
- canned:     an httpx.MockTransport returning a fixed response (nothing but client-side work).

For each transport the same request (`GET /me`, parsed) is sent by three clients, interleaved so that
drift (GC, CPU frequency, the other engineers' jobs on this machine) hits all three alike, in a rotating
order. Medians per request are printed with the wrapper's ratio to each of the others.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx
from tallyfy_client.api.identity import get_me
from tallyfy_client.client import AuthenticatedClient

from tallyfy_diag import _constants as c
from tallyfy_diag.client import PasswordGrant, RetryPolicy, Tallyfy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

HEADERS = {c.CLIENT_HEADER: c.CLIENT_HEADER_VALUE, "Accept": "application/json"}
WARMUP = 50


def fetch_token(base_url: str, sandbox: Sandbox, transport: httpx.BaseTransport | None) -> str:
    creds = sandbox.credentials
    form = {
        "grant_type": c.GRANT_PASSWORD,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "username": creds.username,
        "password": creds.password,
    }
    with httpx.Client(transport=transport) as client:
        response = client.post(base_url + c.TOKEN_PATH, data=form, headers=HEADERS)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


def contenders(
    stack: ExitStack, base_url: str, sandbox: Sandbox, make_transport: Callable[[], httpx.BaseTransport | None]
) -> dict[str, Callable[[], object]]:
    """name → one request, parsed, by each client; all three share the server and the token lifetime."""
    creds = sandbox.credentials
    auth = PasswordGrant(creds.client_id, creds.client_secret, creds.username, creds.password)
    wrapper = stack.enter_context(
        Tallyfy(auth, base_url=base_url, org_id=creds.org_id, transport=make_transport(), retry=RetryPolicy.off())
    )
    token = fetch_token(base_url, sandbox, make_transport())
    bearer = {**HEADERS, "Authorization": f"{c.BEARER_SCHEME} {token}"}
    raw = stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    generated = AuthenticatedClient(base_url=base_url, token=token, headers=HEADERS, raise_on_unexpected_status=True)
    generated.set_httpx_client(
        stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    )

    def raw_call() -> object:
        response = raw.get("/me")
        response.raise_for_status()
        return response.json()

    return {
        "raw httpx": raw_call,
        "generated only": lambda: get_me.sync(client=generated),
        "wrapper": lambda: wrapper.call(get_me),
    }


def measure(calls: dict[str, Callable[[], object]], requests: int) -> dict[str, list[float]]:
    names = list(calls)
    for name in names:
        for _ in range(WARMUP):
            calls[name]()
    timings: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for index in range(requests):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:  # rotate who goes first
            start = time.perf_counter_ns()
            calls[name]()
            timings[name].append((time.perf_counter_ns() - start) / 1000)
    return timings


def report(title: str, timings: dict[str, list[float]]) -> dict[str, float]:
    medians = {name: statistics.median(values) for name, values in timings.items()}
    wrapper = medians["wrapper"]
    print(f"\n{title} ({len(timings['wrapper'])} requests each, interleaved)")
    print(f"  {'client':<16}{'median µs':>12}{'p90 µs':>12}{'wrapper ratio':>16}{'wrapper extra µs':>18}")
    for name, values in timings.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        ratio = wrapper / medians[name]
        extra = wrapper - medians[name]
        print(f"  {name:<16}{medians[name]:>12.1f}{p90:>12.1f}{ratio:>16.2f}{extra:>18.1f}")
    return medians


def canned_transport() -> httpx.MockTransport:
    body = json.dumps({"data": {"id": 1, "email": "bench@example.com", "first_name": "B"}}).encode()
    token = json.dumps({"token_type": "Bearer", "expires_in": 3600, "access_token": "bench", "refresh_token": "r"})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(c.TOKEN_PATH):
            return httpx.Response(200, content=token.encode(), headers={"content-type": "application/json"})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per client (default 1000)")
    args = parser.parse_args()
    if args.requests < 1000:
        parser.error("--requests must be at least 1000")
    config = SandboxConfig(seed=1, token_ttl=86_400)
    results = {}
    with ExitStack() as stack:
        live = stack.enter_context(Sandbox(config))
        calls = contenders(stack, live.base_url, live, lambda: None)
        results["loopback"] = report("loopback sandbox (HTTP on 127.0.0.1)", measure(calls, args.requests))
    with ExitStack() as stack:
        local = Sandbox.in_process(config)
        stack.callback(local.stop)
        calls = contenders(stack, local.base_url, local, local.transport)
        results["in-process"] = report("in-process sandbox (no sockets)", measure(calls, args.requests))
    with ExitStack() as stack:
        calls = contenders(stack, "https://go.tallyfy.com/api", local, canned_transport)
        results["canned"] = report("canned MockTransport (client work only)", measure(calls, args.requests))


if __name__ == "__main__":
    main()
