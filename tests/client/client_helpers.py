"""Small pure helpers for the client tests; the server they talk to is the sandbox, faults are scripted with respx.

No routing lives here: `forward_to(sandbox)` hands a request to the in-process sandbox, and each test scripts
what a real server would not do (a 503 then a 200, a Retry-After date) as respx routes of its own.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx

from tallyfy_diag.client import PasswordGrant
from tallyfy_diag.sandbox import Sandbox, SandboxCredentials

BASE_URL = "https://go.tallyfy.com/api"
# The sandbox the client tests talk to derives its credentials and ids from this seed.
SANDBOX_SEED = 1
CREDENTIALS = SandboxCredentials.from_seed(SANDBOX_SEED)
ORG = CREDENTIALS.org_id
CLIENT_ID = CREDENTIALS.client_id
CLIENT_SECRET = CREDENTIALS.client_secret
USERNAME = CREDENTIALS.username
PASSWORD = CREDENTIALS.password
USER_ID = CREDENTIALS.user_id
# Canaries for tests that need no server: if any of these shows up in output, a secret leaked.
CANARY_SECRET = "canary-client-secret-8d1f5c2a"
CANARY_PASSWORD = "canary-password-41e7b9"

# Recordings are made against a sandbox with this seed and a clock starting here, so that ids, dates and
# credentials are the same on every recording; `nox -s record` re-records, `nox -s tests` replays.
RECORDING_SEED = 20240515
RECORDING_EPOCH = 1_715_781_600.0  # 2024-05-15T14:00:00Z
# Never contacted: when replaying, vcr answers every request, and matching ignores host and port.
REPLAY_BASE_URL = "http://replay.test/api"
# Planted in every recorded request (as a cookie): the secret scan proves it never reaches a cassette.
RECORDING_CANARY = "canary-cookie-5f0c1e9a7b"
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"

# A response, a function of the request (sync or async), or an exception (class or instance) to raise.
Answer = httpx.Response | Callable[[httpx.Request], Any] | Exception | type[Exception]


def password_grant_for(credentials: SandboxCredentials) -> PasswordGrant:
    """The password grant for a sandbox's user (the client's usual auth in these tests)."""
    c = credentials
    return PasswordGrant(c.client_id, c.client_secret, c.username, c.password)


def make_jwt(sub: str, exp: float, *, marker: str = "") -> str:
    """An unsigned JWT-shaped token (the client never verifies signatures; it reads `exp` and `sub`)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part({'sub': sub, 'exp': int(exp), 'jti': marker})}.c2ln"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"X-Request-Id": f"req-{status}", **(headers or {})})


def in_turn(*answers: Answer) -> Iterator[Answer]:
    """A respx side effect giving the answers in order, the last one repeating."""
    return itertools.chain(answers[:-1], itertools.repeat(answers[-1]))


def script(router: respx.Router, method: str, path: str, *answers: Answer) -> respx.Route:
    """A respx route answering `method path` with `answers` in turn, matched before the sandbox catch-all."""
    route = router.route(method=method, path=path).mock(side_effect=in_turn(*answers))
    ordered = sorted(router.routes, key=lambda each: each.name == "api")  # stable: only the catch-all moves
    router.routes.clear()
    for each in ordered:
        router.routes.add(each, each.name)
    return route


class SandboxForward:
    """A respx side effect that hands the request to the in-process sandbox.

    Sync clients (no running event loop) go through the sandbox's sync transport; async clients get a
    coroutine, which respx awaits. `delay` holds each answer back, widening race windows on purpose.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._sync = sandbox.transport()
        self._async = sandbox.async_transport()
        self.delay = 0.0

    def __call__(self, request: httpx.Request) -> httpx.Response | Coroutine[Any, Any, httpx.Response]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            if self.delay:
                time.sleep(self.delay)
            return self._sync.handle_request(request)
        return self._ahandle(request)

    async def _ahandle(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        await request.aread()
        response = await self._async.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


def token_forms(router: respx.Router) -> list[dict[str, str]]:
    """The forms of every token request the client sent, in order."""
    forms = []
    for call in router.calls:
        if call.request.url.path.endswith("/oauth/token"):
            forms.append({key: values[0] for key, values in parse_qs(call.request.content.decode()).items()})
    return forms


def grants(router: respx.Router) -> list[str]:
    return [form["grant_type"] for form in token_forms(router)]


def api_requests(router: respx.Router) -> list[httpx.Request]:
    return [call.request for call in router.calls if not call.request.url.path.endswith("/oauth/token")]


def issued_tokens(router: respx.Router) -> list[str]:
    """The access tokens the server issued, in order."""
    return [
        call.response.json()["access_token"]
        for call in router.calls
        if call.request.url.path.endswith("/oauth/token") and call.response is not None
        if call.response.status_code == 200
    ]


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SleepRecorder:
    """Stands in for time.sleep / asyncio.sleep: records the delays, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.delays.append(seconds)
