"""Fixtures for the proxy tests: a sandbox on loopback, a proxy in front of it, tokens got over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
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


def verdicts(proxy: Proxy) -> list:
    proxy.drain()
    return list(proxy.judged)


def failing_checks(proxy: Proxy) -> set[str]:
    return {finding.check for judged in verdicts(proxy) for finding in judged.findings if finding.status == "fail"}


def user_token(base_url: str, sandbox: Sandbox) -> str:
    c = sandbox.credentials
    form = {
        "grant_type": "password",
        "client_id": c.client_id,
        "client_secret": c.client_secret,
        "username": c.username,
        "password": c.password,
    }
    headers = {CLIENT_HEADER: CLIENT_HEADER_VALUE, "Accept": "application/json"}
    response = httpx.post(base_url + "/oauth/token", data=form, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


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
