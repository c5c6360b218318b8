"""Fixtures for the proxy tests: a sandbox on loopback, a proxy in front of it, tokens got over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.proxy import Proxy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[Proxy]:
    """A proxy in front of the module's sandbox, fresh for each test (its verdicts are the test's alone)."""
    with Proxy(sandbox.base_url) as running:
        yield running


@pytest.fixture
def api_headers() -> Callable[[str], dict[str, str]]:
    def make(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", CLIENT_HEADER: CLIENT_HEADER_VALUE, "Accept": "application/json"}

    return make


@pytest.fixture
def scenario_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with the scenario the test parametrizes indirectly."""
    with Sandbox(SandboxConfig(scenario=request.param)) as running:
        yield running
