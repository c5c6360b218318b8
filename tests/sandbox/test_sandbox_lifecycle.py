"""Running the sandbox: background thread, in-process transports, credentials and scenarios."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys

import httpx
import pytest

from tallyfy_diag import _spec
from tallyfy_diag.sandbox import SCENARIOS, Sandbox, SandboxConfig, SandboxCredentials, create_app
from tallyfy_diag.sandbox._call import HANDLERS


def test_a_sandbox_serves_on_loopback_and_stops_cleanly():
    sandbox = Sandbox()
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url
    with sandbox:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", sandbox.base_url)
        assert sandbox.root_url + "/api" == sandbox.base_url
        port = int(sandbox.root_url.rsplit(":", 1)[1])
        assert httpx.get(sandbox.base_url + "/me", headers={"X-Tallyfy-Client": "x"}).status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/me")
    sandbox.stop()  # a second stop is harmless


def test_a_fixed_port_in_use_is_an_os_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):  # noqa: PT011 - the errno differs by platform
            Sandbox(port=port).start()


def test_in_process_needs_no_thread_and_no_port():
    sandbox = Sandbox.in_process()
    assert sandbox.base_url == "http://sandbox.test/api"
    token = sandbox.mint_access_token()
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == sandbox.credentials.user_id


def test_the_async_transport_serves_the_same_app():
    sandbox = Sandbox.in_process()
    token = sandbox.mint_access_token(user=False)

    async def call():
        async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.async_transport()) as client:
            return await client.get(
                f"/organizations/{sandbox.credentials.org_id}",
                headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"},
            )

    response = asyncio.run(call())
    assert response.status_code == 200
    assert response.json()["data"]["id"] == sandbox.credentials.org_id


def test_writes_through_one_transport_are_seen_through_http():
    with Sandbox() as sandbox:
        token = sandbox.mint_access_token()
        headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
        path = f"/organizations/{sandbox.credentials.org_id}/tasks"
        with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport(), headers=headers) as local:
            created = local.post(path, json={"title": "made in-process"}).json()["data"]["id"]
        fetched = httpx.get(f"{sandbox.base_url}{path}/{created}", headers=headers)
    assert fetched.json()["data"]["title"] == "made in-process"


def test_mint_access_token_kinds():
    sandbox = Sandbox.in_process()
    headers = {"X-Tallyfy-Client": "APIClient"}
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport(), headers=headers) as client:
        app = {"Authorization": f"Bearer {sandbox.mint_access_token(user=False)}"}
        assert client.get("/me", headers=app).status_code == 401
        assert client.get(f"/organizations/{sandbox.credentials.org_id}", headers=app).status_code == 200
        expired = {"Authorization": f"Bearer {sandbox.mint_access_token(ttl=-5)}"}
        assert client.get("/me", headers=expired).status_code == 401


def test_credentials_are_deterministic_per_seed_and_unlike_each_other():
    one, again, other = (SandboxCredentials.from_seed(seed) for seed in (1, 1, 2))
    assert one == again
    assert one != other
    assert one.client_id.isdecimal()
    assert one.app_client_id.isdecimal()
    assert one.client_id != one.app_client_id
    assert len({one.org_id, one.second_org_id, one.foreign_org_id}) == 3
    for secret in (one.client_secret, one.password, one.app_client_secret):
        assert len(secret) >= 24
        assert re.search(r"[A-Z]", secret)
        assert re.search(r"[0-9]", secret)
    assert "@" in one.username


def test_the_same_seed_gives_the_same_data():
    def snapshot(seed):
        app = create_app(SandboxConfig(seed=seed))
        return sorted((bp.id, bp.title, tuple(step.id for step in bp.steps)) for bp in app.store.blueprints.values())

    assert snapshot(7) == snapshot(7)
    assert snapshot(7) != snapshot(8)


def test_secrets_never_show_in_reprs():
    sandbox = Sandbox.in_process()
    credentials = sandbox.credentials
    shown = repr(credentials) + repr(sandbox) + repr(sandbox.app) + repr(sandbox.config)
    for secret in (credentials.client_secret, credentials.password, credentials.app_client_secret):
        assert secret not in shown
    assert "[redacted]" in repr(credentials)


def test_to_json_carries_everything_a_client_needs():
    credentials = SandboxCredentials.from_seed(3)
    data = json.loads(credentials.to_json())
    assert data["client_secret"] == credentials.client_secret
    assert {
        "client_id",
        "client_secret",
        "username",
        "password",
        "org_id",
        "app_client_id",
        "app_client_secret",
    } <= set(data)


def test_scenarios_form_one_registry_with_descriptions():
    required = {
        "default",
        "cors-allowed",
        "cors-missing-client-header",
        "cors-wildcard-credentials",
        "cors-options-401",
        "cors-no-origin-on-error",
        "missing-client-header-401",
        "rate-limited",
        "clock-skew",
        "short-token-ttl",
    }
    assert required <= set(SCENARIOS)
    for name, scenario in SCENARIOS.items():
        assert scenario.description
        assert create_app(SandboxConfig(scenario=name)).config.scenario == name
    with pytest.raises(ValueError, match="unknown scenario"):
        SandboxConfig(scenario="nope")


def test_short_token_ttl_scenario():
    sandbox = Sandbox.in_process(SandboxConfig(scenario="short-token-ttl"))
    credentials = sandbox.credentials
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        response = client.post(
            "/oauth/token",
            headers={"X-Tallyfy-Client": "APIClient"},
            data={
                "grant_type": "client_credentials",
                "client_id": credentials.app_client_id,
                "client_secret": credentials.app_client_secret,
            },
        )
    assert response.json()["expires_in"] == 60


def test_every_spec_operation_has_a_handler():
    # An operation the sandbox does not serve answers 404 like an unknown endpoint; none should be left.
    create_app()  # importing the app registers the handlers
    unserved = {operation.operation_id for operation in _spec.operations()} - set(HANDLERS)
    assert not unserved


def test_an_unclosed_in_process_transport_does_not_block_interpreter_exit():
    script = (
        "import httpx\n"
        "from tallyfy_diag.sandbox import Sandbox\n"
        "sandbox = Sandbox.in_process()\n"
        "client = httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport())\n"
        "print(client.get('/me').status_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "404")
