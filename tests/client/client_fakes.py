"""A small scriptable Tallyfy stand-in for httpx.MockTransport: unit tests of the client's own logic.

The sandbox (tallyfy_diag.sandbox) is the realistic server; this fake exists to count token requests,
script exact failures (a 503 then a 200, a Retry-After date) and look at the bytes the client sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from tallyfy_diag._spec import find_operation

BASE_URL = "https://go.tallyfy.com/api"
ORG = "0123456789abcdef0123456789abcdef"
CLIENT_ID = "3"
# Canaries: if any of these shows up in output, a secret leaked.
CANARY_SECRET = "canary-client-secret-8d1f5c2a"
CANARY_PASSWORD = "canary-password-41e7b9"
USERNAME = "user@example.com"

Handler = Callable[[httpx.Request], httpx.Response]

# Recordings are made against a sandbox with this seed and a clock starting here, so that ids, dates and
# credentials are the same on every recording; `nox -s record` re-records, `nox -s tests` replays.
RECORDING_SEED = 20240515
RECORDING_EPOCH = 1_715_781_600.0  # 2024-05-15T14:00:00Z
# Never contacted: when replaying, vcr answers every request, and matching ignores host and port.
REPLAY_BASE_URL = "http://replay.test/api"
# Planted in every recorded request (as a cookie): the secret scan proves it never reaches a cassette.
RECORDING_CANARY = "canary-cookie-5f0c1e9a7b"
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


def make_jwt(sub: str, exp: float, *, marker: str = "") -> str:
    """An unsigned JWT-shaped token (the client never verifies signatures; it reads `exp` and `sub`)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part({'sub': sub, 'exp': int(exp), 'jti': marker})}.c2ln"


def needs_user(method: str, path: str) -> bool:
    """Whether the spec marks the operation `x-requires-user` (the rule lives there, not in a list here)."""
    operation = find_operation(method, path.removeprefix("/api"))
    return operation is not None and operation.requires_user


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"X-Request-Id": f"req-{status}", **(headers or {})})


class FakeTallyfy:
    """Issues tokens, checks them, and answers scripted routes; thread-safe; records everything."""

    def __init__(self, *, token_ttl: int = 3600, token_delay: float = 0.0, clock: Callable[[], float] = time.time):
        self.token_ttl = token_ttl
        self.token_delay = token_delay
        self.clock = clock
        self.lock = threading.Lock()
        self.requests: list[httpx.Request] = []
        self.token_forms: list[dict[str, str]] = []
        self.valid_tokens: dict[str, bool] = {}  # token -> has a user
        self.refresh_tokens: set[str] = set()
        self.routes: dict[tuple[str, str], list[Handler | httpx.Response]] = {}
        self._issued = 0

    # -- scripting -------------------------------------------------------------------------------------

    def route(self, method: str, path: str, *answers: Handler | httpx.Response) -> None:
        """Answers for a path, used in order; the last one repeats."""
        self.routes[(method, path)] = list(answers)

    def revoke_all(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.endswith("/oauth/token")]

    # -- serving ---------------------------------------------------------------------------------------

    def _issue(self, grant: str) -> dict[str, Any]:
        self._issued += 1
        has_user = grant != "client_credentials"
        access = make_jwt("1001" if has_user else "", self.clock() + self.token_ttl, marker=f"t{self._issued}")
        self.valid_tokens[access] = has_user
        body: dict[str, Any] = {"token_type": "Bearer", "expires_in": self.token_ttl, "access_token": access}
        if has_user:
            refresh = f"def50200{self._issued:032x}"
            self.refresh_tokens.add(refresh)
            body["refresh_token"] = refresh
        return body

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        with self.lock:
            self.token_forms.append(form)
            grant = form.get("grant_type", "")
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CANARY_SECRET:
                return json_response(
                    401, {"error": "invalid_client", "error_description": "Client authentication failed"}
                )
            if grant == "password" and form.get("password") != CANARY_PASSWORD:
                return json_response(
                    400, {"error": "invalid_grant", "error_description": "The user credentials were incorrect."}
                )
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return json_response(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "The refresh token is invalid.",
                            "hint": "Token has been revoked",
                        },
                    )
                self.refresh_tokens.discard(form["refresh_token"])
            return json_response(200, self._issue(grant))

    def _api(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        with self.lock:
            has_user = self.valid_tokens.get(token)
        if has_user is None or (needs_user(request.method, request.url.path) and not has_user):
            return json_response(401, {"message": "Unauthenticated."})
        answers = self.routes.get(key)
        if not answers:
            return json_response(
                404, {"error": True, "message": "API endpoint not found", "code": "ENDPOINT_NOT_FOUND"}
            )
        with self.lock:
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer if isinstance(answer, httpx.Response) else answer(request)

    def _serve(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.url.path.endswith("/oauth/token"):
            return self._token(request)
        return self._api(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if self.token_delay and request.url.path.endswith("/oauth/token"):
            time.sleep(self.token_delay)  # widens the race window for the single-flight tests
        return self._serve(request)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self.token_delay and request.url.path.endswith("/oauth/token"):
            await asyncio.sleep(self.token_delay)
        return self._serve(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.ahandle)


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
