"""The facade (`tf.identity.get_me()`) against `tf.call`, the bare generated client and raw httpx, in one run.

    python benchmarks/facade.py [--requests 2000]

Two operations, each on two transports:
- `GET /me` (one small object) and `GET /organizations/{org}/checklists` (a page of 10 blueprints: parsing
  dominates);
- canned: an httpx.MockTransport with fixed bodies (client-side work only: what the facade itself costs);
- loopback: a sandbox serving HTTP on 127.0.0.1 (a real round trip).

Contenders, interleaved in rotating order so machine drift hits all alike:
- raw httpx: `client.get(...)` + `response.json()` (no models);
- sync_detailed: the generated function on a bare generated client (static token, no wrapper);
- tf.call: the wrapper running the generated `sync` (today's way);
- facade: `tf.identity.get_me()` / `tf.blueprints.list()` (builds with the generated `_get_kwargs`, parses once).
Medians per request are printed, with the facade's ratio to each.
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
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me
from tallyfy_client.client import AuthenticatedClient

from tallyfy_diag import _constants as constants
from tallyfy_diag.client import PasswordGrant, RetryPolicy, Tallyfy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

HEADERS = {constants.CLIENT_HEADER: constants.CLIENT_HEADER_VALUE, "Accept": "application/json"}
WARMUP = 50
ORG = "0123456789abcdef0123456789abcdef"
CANNED_BASE_URL = "https://go.tallyfy.com/api"


def canned_transport() -> httpx.MockTransport:
    me = json.dumps({"data": {"id": 1, "email": "bench@example.com", "first_name": "B"}}).encode()
    blueprints = [{"id": f"{n:032x}", "title": f"Blueprint {n}", "status": "active"} for n in range(10)]
    pagination = {"total": 10, "count": 10, "per_page": 10, "current_page": 1, "total_pages": 1, "links": []}
    page = json.dumps({"data": blueprints, "meta": {"pagination": pagination}}).encode()
    token = json.dumps({"token_type": "Bearer", "expires_in": 86_400, "access_token": "bench", "refresh_token": "r"})
    json_type = {"content-type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(constants.TOKEN_PATH):
            return httpx.Response(200, content=token.encode(), headers=json_type)
        if request.url.path.endswith("/checklists"):
            return httpx.Response(200, content=page, headers=json_type)
        return httpx.Response(200, content=me, headers=json_type)

    return httpx.MockTransport(handler)


def token_for(base_url: str, auth: PasswordGrant, transport: httpx.BaseTransport | None) -> str:
    form = {
        "grant_type": constants.GRANT_PASSWORD,
        "client_id": auth.client_id,
        "client_secret": auth.client_secret,
        "username": auth.username,
        "password": auth.password,
    }
    with httpx.Client(transport=transport) as client:
        response = client.post(base_url + constants.TOKEN_PATH, data=form, headers=HEADERS)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


def contenders(
    stack: ExitStack,
    base_url: str,
    org: str,
    auth: PasswordGrant,
    make_transport: Callable[[], httpx.BaseTransport | None],
) -> dict[str, dict[str, Callable[[], object]]]:
    """operation -> contender -> one request, parsed."""
    tf = stack.enter_context(
        Tallyfy(auth, base_url=base_url, org_id=org, transport=make_transport(), retry=RetryPolicy.off())
    )
    token = token_for(base_url, auth, make_transport())
    bearer = {**HEADERS, "Authorization": f"{constants.BEARER_SCHEME} {token}"}
    raw = stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    generated = AuthenticatedClient(base_url=base_url, token=token, headers=HEADERS, raise_on_unexpected_status=True)
    generated.set_httpx_client(
        stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    )

    def raw_get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = raw.get(path)
            response.raise_for_status()
            return response.json()

        return call

    return {
        "GET /me": {
            "raw httpx": raw_get("/me"),
            "sync_detailed": lambda: get_me.sync_detailed(client=generated).parsed,
            "tf.call": lambda: tf.call(get_me),
            "facade": lambda: tf.identity.get_me(),  # noqa: PLW0108 - each call goes through tf.identity
        },
        "GET /checklists (10 items)": {
            "raw httpx": raw_get(f"/organizations/{org}/checklists"),
            "sync_detailed": lambda: list_blueprints.sync_detailed(org, client=generated).parsed,
            "tf.call": lambda: tf.call(list_blueprints),
            "facade": lambda: tf.blueprints.list(),  # noqa: PLW0108 - each call goes through tf.blueprints
        },
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
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter_ns()
            calls[name]()
            timings[name].append((time.perf_counter_ns() - start) / 1000)
    return timings


def report(title: str, timings: dict[str, list[float]]) -> dict[str, float]:
    medians = {name: statistics.median(values) for name, values in timings.items()}
    facade = medians["facade"]
    print(f"\n{title} ({len(timings['facade'])} requests each, interleaved)")
    print(f"  {'contender':<16}{'median µs':>12}{'p90 µs':>12}{'facade / this':>16}")
    for name, values in timings.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"  {name:<16}{medians[name]:>12.1f}{p90:>12.1f}{facade / medians[name]:>16.2f}")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per contender (default 2000)")
    args = parser.parse_args()
    if args.requests < 500:
        parser.error("--requests must be at least 500")
    summary: list[tuple[str, float, float]] = []
    with ExitStack() as stack:
        auth = PasswordGrant("1", "bench-secret", "bench@example.com", "bench-password")
        operations = contenders(stack, CANNED_BASE_URL, ORG, auth, canned_transport)
        for operation, calls in operations.items():
            medians = report(f"canned MockTransport, {operation}", measure(calls, args.requests))
            summary.append((f"canned, {operation}", medians["facade"] / medians["tf.call"], medians["facade"]))
    with ExitStack() as stack:
        sandbox = stack.enter_context(Sandbox(SandboxConfig(seed=1, token_ttl=86_400)))
        c = sandbox.credentials
        auth = PasswordGrant(c.client_id, c.client_secret, c.username, c.password)
        operations = contenders(stack, sandbox.base_url, c.org_id, auth, lambda: None)
        for operation, calls in operations.items():
            medians = report(f"loopback sandbox, {operation}", measure(calls, args.requests // 2))
            summary.append((f"loopback, {operation}", medians["facade"] / medians["tf.call"], medians["facade"]))
    print("\nfacade / tf.call (below 1.00: the facade is faster)")
    for title, ratio, _ in summary:
        print(f"  {title:<44}{ratio:>6.2f}")


if __name__ == "__main__":
    main()
