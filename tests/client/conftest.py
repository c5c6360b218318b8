"""Fixtures for the client tests: the in-process sandbox behind a respx router, a hand-moved clock, retries
that never sleep.

Every request goes through `router` (respx), which records it; the token endpoint is answered by the sandbox.
A test that wants the sandbox to answer API calls too asks for `sandbox_api`; a test that scripts a fault adds
its own respx route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import pytest
import respx
from client_helpers import (
    BASE_URL,
    CASSETTES,
    CLIENT_ID,
    CLIENT_SECRET,
    ORG,
    PASSWORD,
    RECORDING_CANARY,
    RECORDING_EPOCH,
    RECORDING_SEED,
    REPLAY_BASE_URL,
    SANDBOX_SEED,
    USERNAME,
    ManualClock,
    SandboxForward,
    SleepRecorder,
    password_grant_for,
)

from tallyfy_diag.client import AsyncTallyfy, AuthStrategy, PasswordGrant, RetryPolicy, Tallyfy
from tallyfy_diag.pytest_plugin import BODY_MATCHER, MATCH_ON
from tallyfy_diag.sandbox import Sandbox, SandboxConfig, SandboxCredentials


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox_config(clock: ManualClock) -> SandboxConfig:
    """The sandbox shares the test's clock: moving it expires tokens on both sides."""
    return SandboxConfig(seed=SANDBOX_SEED, clock=clock)


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    with Sandbox.in_process(sandbox_config) as running:
        yield running


@pytest.fixture
def forward(sandbox: Sandbox) -> SandboxForward:
    return SandboxForward(sandbox)


@pytest.fixture
def router(forward: SandboxForward) -> respx.Router:
    """Records every request; the sandbox issues tokens (tests may script the token route instead)."""
    router = respx.Router(assert_all_called=False)
    router.post(path__regex=r"/oauth/token$", name="token").mock(side_effect=forward)
    return router


@pytest.fixture
def sandbox_api(router: respx.Router, forward: SandboxForward) -> respx.Route:
    """Every API call not scripted before this fixture ran is answered by the sandbox."""
    return router.route(name="api").mock(side_effect=forward)


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def retry(sleeper: SleepRecorder) -> RetryPolicy:
    return RetryPolicy(jitter=False, sleep=sleeper, async_sleep=sleeper.asleep)


@pytest.fixture
def password_grant() -> PasswordGrant:
    return PasswordGrant(CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD)


@pytest.fixture
def make_tallyfy(
    router: respx.Router, clock: ManualClock, retry: RetryPolicy, password_grant: PasswordGrant
) -> Iterator[Callable[..., Tallyfy]]:
    made: list[Tallyfy] = []

    def make(auth: AuthStrategy | None = None, **options: Any) -> Tallyfy:
        options = {"org_id": ORG, "base_url": BASE_URL, "clock": clock, "retry": retry, **options}
        options.setdefault("transport", httpx.MockTransport(router.handler))
        tallyfy = Tallyfy(auth or password_grant, **options)
        made.append(tallyfy)
        return tallyfy

    yield make
    for tallyfy in made:
        tallyfy.close()


@pytest.fixture
def make_async_tallyfy(
    router: respx.Router, clock: ManualClock, retry: RetryPolicy, password_grant: PasswordGrant
) -> Callable[..., AsyncTallyfy]:
    def make(auth: AuthStrategy | None = None, **options: Any) -> AsyncTallyfy:
        options = {"org_id": ORG, "base_url": BASE_URL, "clock": clock, "retry": retry, **options}
        options.setdefault("transport", httpx.MockTransport(router.async_handler))
        return AsyncTallyfy(auth or password_grant, **options)

    return make


# ---------------------------------------------------------------- replay tests (cassettes)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox_config(**options): SandboxConfig options for a recording")


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


_SANDBOX_ROOT = re.compile(r"http://127\.0\.0\.1:\d+")
_REPLAY_ROOT = REPLAY_BASE_URL.removesuffix("/api")


def _stable_address(request: Any) -> Any:
    """The sandbox's ephemeral port would change every recorded URI; write one fixed address instead."""
    request.uri = _SANDBOX_ROOT.sub(_REPLAY_ROOT, request.uri)
    if "host" in request.headers:
        request.headers["host"] = urlsplit(_REPLAY_ROOT).netloc
    return request


def _stable_links(response: dict[str, Any]) -> dict[str, Any]:
    """Pagination links in bodies carry the sandbox's address too; Content-Length follows the new body."""
    body = response["body"]
    if isinstance(body.get("string"), bytes):
        text = body["string"].decode("utf-8")
        replaced = _SANDBOX_ROOT.sub(_REPLAY_ROOT, text)
        body["string"] = replaced.encode("utf-8")
        for name in response["headers"]:
            if name.lower() == "content-length":
                response["headers"][name] = [str(len(body["string"]))]
    return response


@pytest.fixture
def vcr_config(tallyfy_vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **tallyfy_vcr_config,
        "before_record_request": [tallyfy_vcr_config["before_record_request"], _stable_address],
        "before_record_response": [tallyfy_vcr_config["before_record_response"], _stable_links],
        # Bodies are matched too, so a change in what the client sends (a grant, a date format) fails replay.
        "match_on": (*MATCH_ON, BODY_MATCHER),
    }


@attrs.define
class Target:
    """Where a replay test sends its requests: a live sandbox while recording, nowhere while replaying."""

    base_url: str
    credentials: SandboxCredentials
    clock: ManualClock
    sandbox: Sandbox | None
    sleeper: SleepRecorder
    made: list[Tallyfy] = attrs.Factory(list)

    def advance_server_clock(self, seconds: float) -> None:
        """Move only the server's clock (while replaying the server's answers are already recorded)."""
        if self.sandbox is not None:
            self.sandbox.advance_clock(seconds)

    def sleep(self, seconds: float) -> None:
        """Retry waits: recorded, and time passes for the sandbox (its rate-limit window), never for real."""
        self.sleeper(seconds)
        self.clock.advance(seconds)

    def tallyfy(self, auth: AuthStrategy, **options: Any) -> Tallyfy:
        options = {
            "org_id": self.credentials.org_id,
            "base_url": self.base_url,
            "clock": self.clock,
            "retry": RetryPolicy(jitter=False, sleep=self.sleep),
            "httpx_args": {"cookies": {"tallyfy_session": RECORDING_CANARY}},
            **options,
        }
        tallyfy = Tallyfy(auth, **options)
        self.made.append(tallyfy)
        return tallyfy

    def password_grant(self) -> PasswordGrant:
        return password_grant_for(self.credentials)


@pytest.fixture
def target(request: pytest.FixtureRequest, record_mode: str) -> Iterator[Target]:
    clock = ManualClock(RECORDING_EPOCH)
    marker = request.node.get_closest_marker("sandbox_config")
    config = SandboxConfig(seed=RECORDING_SEED, clock=clock, **(marker.kwargs if marker else {}))
    if record_mode == "none":
        target = Target(REPLAY_BASE_URL, SandboxCredentials.from_seed(RECORDING_SEED), clock, None, SleepRecorder())
        yield target
    else:
        with Sandbox(config) as sandbox:
            target = Target(sandbox.base_url, sandbox.credentials, clock, sandbox, SleepRecorder())
            yield target
    for tallyfy in target.made:
        tallyfy.close()
