"""What one request costs through each client, as ratios against raw httpx measured in the same run.

    python benchmarks/client_overhead.py [--rounds 15] [--requests 400]

Two settings, each `--rounds` rounds of `--requests` requests per contender, interleaved in a rotating order so
that drift (GC, CPU frequency, the other jobs on this machine) hits every contender alike. Each round's median
per contender is divided by the anchor's median in that same round; the median of those ratios is printed.

- loopback: a fixed fast server in another process on 127.0.0.1 (canned bytes, keep-alive, no routing work),
  so that what differs between contenders is client work plus the same network round trip. The bodies are the
  sandbox's own `GET /me` answer. Anchor: raw httpx + `.json()`.
  Contenders: the generated client alone (`get_me.sync` on a bare client with a static token), the wrapper
  (`tf.call(get_me)`), the facade (`tf.identity.get_me()`), `requests` + `.json()`, and Tallyfy's official
  SDK (`TallyfySDK.get_current_user_info`). Target: wrapper and facade <= 1.05x.
- no network: an httpx.MockTransport with the same body (client work only). Anchor: raw httpx + `.json()` +
  the generated model (`UserEnvelope.from_dict`), the least any typed client must do; raw + `.json()` alone
  and the generated client alone are printed too, and raw + model with httpx's cookie jar consulted only for
  a response that sets a cookie, as the wrapper does (httpx's adapters for asking the jar cost about 30 us a
  response): the wrapper's own work, set against that, is the rest of its cost. Target: wrapper and facade
  <= 1.10x, judged on this
  thread's CPU time (all the work is CPU here, and CPU time is not stretched by other processes taking the
  core); the wall-time ratios follow for comparison, then the Python bytecodes each request executes (exact,
  whatever the machine's load).

The wrapper and the facade run with their defaults (retries on, request dates, logging hooks, auth flow with a
fetched token); only the token is fetched once up front, as in any long-lived client.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType

import httpx
import requests
from tallyfy import TallyfySDK  # Tallyfy's official SDK, pinned in the tests group
from tallyfy_client.api.identity import get_me
from tallyfy_client.client import AuthenticatedClient
from tallyfy_client.models.user_envelope import UserEnvelope

from tallyfy_diag import _constants as c
from tallyfy_diag.client import PasswordGrant, Tallyfy
from tallyfy_diag.client._client import _CookieStore
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

HEADERS = {c.CLIENT_HEADER: c.CLIENT_HEADER_VALUE, "Accept": "application/json"}
WARMUP = 100
ORG = "0123456789abcdef0123456789abcdef"
TOKEN = json.dumps({"token_type": "Bearer", "expires_in": 86_400, "access_token": "bench", "refresh_token": "r"})
AUTH = PasswordGrant("1", "bench-secret", "bench@example.com", "bench-password")

# One canned answer per request line kind; the server never parses JSON or routes beyond "token or not".
_SERVER = r"""
import asyncio, sys
TOKEN, BODY = sys.argv[1].encode(), sys.argv[2].encode()
def answer(body):
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body)
    return head + body
TOKEN_ANSWER, BODY_ANSWER = answer(TOKEN), answer(BODY)
class Fixed(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                length = int(head[at + 15:].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            self.transport.write(TOKEN_ANSWER if b"/oauth/token" in head.split(b"\r\n", 1)[0] else BODY_ANSWER)
async def main():
    server = await asyncio.get_running_loop().create_server(Fixed, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def sandbox_me_body() -> bytes:
    """The sandbox's own `GET /me` answer, so the bodies have the shape real clients parse."""
    sandbox = Sandbox.in_process(SandboxConfig(seed=1))
    try:
        token = sandbox.mint_access_token(user=True)
        headers = {**HEADERS, "Authorization": f"{c.BEARER_SCHEME} {token}"}
        with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as client:
            response = client.get("/me")
            response.raise_for_status()
            return response.content
    finally:
        sandbox.stop()


@contextmanager
def fixed_server(body: bytes) -> Iterator[str]:
    """A fixed fast HTTP/1.1 server in a child process; yields its API base URL."""
    child = subprocess.Popen([sys.executable, "-c", _SERVER, TOKEN, body.decode()], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}/api"
    finally:
        child.terminate()
        child.wait(timeout=10)


def mock_transport(body: bytes) -> httpx.MockTransport:
    json_type = {"content-type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(c.TOKEN_PATH):
            return httpx.Response(200, content=TOKEN.encode(), headers=json_type)
        return httpx.Response(200, content=body, headers=json_type)

    return httpx.MockTransport(handler)


def httpx_contenders(
    stack: ExitStack, base_url: str, make_transport: Callable[[], httpx.BaseTransport | None]
) -> dict[str, Callable[[], object]]:
    tf = stack.enter_context(Tallyfy(AUTH, base_url=base_url, org_id=ORG, transport=make_transport()))
    tf.identity.get_me()  # fetches the token once, as a long-lived client would have
    bearer = {**HEADERS, "Authorization": f"{c.BEARER_SCHEME} bench"}
    raw = stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    generated = AuthenticatedClient(base_url=base_url, token="bench", headers=HEADERS, raise_on_unexpected_status=True)
    generated.set_httpx_client(
        stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    )

    def raw_json() -> object:
        response = raw.get("/me")
        response.raise_for_status()
        return response.json()

    def raw_model() -> object:
        response = raw.get("/me")
        response.raise_for_status()
        return UserEnvelope.from_dict(response.json()).data

    lean = stack.enter_context(httpx.Client(base_url=base_url, headers=bearer, transport=make_transport()))
    lean._cookies = _CookieStore()  # the wrapper's cookie store, in a plain client (a reference, not a contender)

    def lean_model() -> object:
        response = lean.get("/me")
        response.raise_for_status()
        return UserEnvelope.from_dict(response.json()).data

    return {
        "raw httpx + .json()": raw_json,
        "raw httpx + model": raw_model,
        "raw + model, lean cookies": lean_model,
        "generated client alone": lambda: get_me.sync(client=generated),
        "wrapper tf.call": lambda: tf.call(get_me),
        "facade tf.identity": lambda: tf.identity.get_me(),  # noqa: PLW0108 - each call goes through tf.identity
    }


def loopback_contenders(stack: ExitStack, base_url: str) -> dict[str, Callable[[], object]]:
    calls = httpx_contenders(stack, base_url, lambda: None)
    del calls["raw httpx + model"]  # the network dominates; the no-network setting isolates model cost
    del calls["raw + model, lean cookies"]
    session = stack.enter_context(requests.Session())
    session.headers.update({**HEADERS, "Authorization": f"{c.BEARER_SCHEME} bench"})
    sdk = TallyfySDK(api_key="bench", base_url=base_url, max_retries=0)
    stack.callback(sdk.session.close)

    def requests_json() -> object:
        response = session.get(base_url + "/me", timeout=30)
        response.raise_for_status()
        return response.json()

    return {**calls, "requests + .json()": requests_json, "official SDK": lambda: sdk.get_current_user_info(ORG)}


def measure(
    calls: dict[str, Callable[[], object]], rounds: int, requests_per_round: int, clock: Callable[[], int]
) -> list[dict[str, float]]:
    """Per round, each contender's median µs per request on `clock` (wall, or this thread's CPU time)."""
    names = list(calls)
    for name in names:
        for _ in range(WARMUP):
            calls[name]()
    results: list[dict[str, float]] = []
    for _ in range(rounds):
        timings: dict[str, list[float]] = {name: [] for name in names}
        gc.collect()
        for index in range(requests_per_round):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:  # rotate who goes first
                start = clock()
                calls[name]()
                timings[name].append((clock() - start) / 1000)
        results.append({name: statistics.median(values) for name, values in timings.items()})
    return results


def bytecodes(call: Callable[[], object]) -> int:
    """Python bytecode instructions one call executes: a count no other process on the machine can disturb
    (C work such as JSON decoding is not in it)."""
    executed = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal executed
        frame.f_trace_opcodes = True
        if event == "opcode":
            executed += 1
        return trace

    call()
    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return executed


def report_bytecodes(calls: dict[str, Callable[[], object]], anchor: str) -> None:
    counts = {name: bytecodes(call) for name, call in calls.items()}
    print(f"\n  Python bytecodes per request (deterministic), anchor {anchor!r}")
    for name, count in counts.items():
        print(f"  {name:<26}{count:>11}{count / counts[anchor]:>7.2f}x")


def report(title: str, rounds: list[dict[str, float]], anchor: str, targets: dict[str, float]) -> bool:
    print(f"\n{title}: {len(rounds)} rounds, anchor {anchor!r}")
    print(f"  {'contender':<26}{'median µs':>11}{'ratio':>8}{'ratio range':>16}  target")
    met = True
    for name in rounds[0]:
        ratios = sorted(r[name] / r[anchor] for r in rounds)
        ratio = statistics.median(ratios)
        micros = statistics.median(r[name] for r in rounds)
        target = targets.get(name)
        verdict = ""
        if target is not None:
            verdict = f"<= {target:.2f}x {'met' if ratio <= target else 'NOT MET'}"
            met = met and ratio <= target
        print(f"  {name:<26}{micros:>11.1f}{ratio:>7.2f}x{ratios[0]:>8.2f}-{ratios[-1]:<7.2f}  {verdict}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--requests", type=int, default=400, help="requests per contender per round (default 400)")
    args = parser.parse_args()
    if args.rounds < 3 or args.requests < 50:
        parser.error("use at least 3 rounds of 50 requests")
    body = sandbox_me_body()
    with ExitStack() as stack:
        base_url = stack.enter_context(fixed_server(body))
        calls = loopback_contenders(stack, base_url)
        loopback = report(
            "per request on loopback (fixed server, another process)",
            measure(calls, args.rounds, args.requests, time.perf_counter_ns),
            "raw httpx + .json()",
            {"wrapper tf.call": 1.05, "facade tf.identity": 1.05},
        )
    with ExitStack() as stack:
        calls = httpx_contenders(stack, "https://go.tallyfy.com/api", lambda: mock_transport(body))
        targets = {"wrapper tf.call": 1.10, "facade tf.identity": 1.10}
        canned = report(
            "per request with no network (httpx.MockTransport), CPU time of this thread",
            measure(calls, args.rounds, args.requests, time.thread_time_ns),
            "raw httpx + model",
            targets,
        )
        report(
            "the same, wall time (includes whatever else this machine runs)",
            measure(calls, args.rounds, args.requests, time.perf_counter_ns),
            "raw httpx + model",
            targets,
        )
        report_bytecodes(calls, "raw httpx + model")
    return 0 if loopback and canned else 1


if __name__ == "__main__":
    sys.exit(main())
