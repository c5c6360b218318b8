"""The `unavailable` scenario (a deployment hiccup): 503 with an HTTP-date Retry-After, then normal service."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tallyfy_diag._spec import load_spec
from tallyfy_diag.sandbox import SCENARIOS, Sandbox, SandboxConfig

NOW = 1_700_000_000.25  # a quarter second into Tue, 14 Nov 2023 22:13:20 GMT
UNAVAILABLE = {"error": True, "message": "Service Unavailable"}


def _client(sandbox: Sandbox, **headers: str) -> httpx.Client:
    token = sandbox.mint_access_token(ttl=10**6)
    headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient", **headers}
    return httpx.Client(base_url=sandbox.base_url, headers=headers)


def _blueprints(sandbox: Sandbox) -> str:
    return f"/organizations/{sandbox.credentials.org_id}/checklists"


def test_the_scenario_answers_503_twice_then_serves() -> None:
    assert "unavailable" in SCENARIOS
    with Sandbox(SandboxConfig(scenario="unavailable", clock=lambda: NOW)) as sandbox, _client(sandbox) as client:
        answers = [client.get(_blueprints(sandbox)) for _ in range(3)]
    assert [r.status_code for r in answers] == [503, 503, 200]
    for refused in answers[:2]:
        assert refused.json() == UNAVAILABLE
        assert refused.headers["Date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
        # RFC 9110 section 10.2.3 HTTP date, rounded up to the next second plus two.
        assert refused.headers["Retry-After"] == "Tue, 14 Nov 2023 22:13:23 GMT"
        assert refused.headers["X-Request-Id"]
    assert answers[0].headers["X-Request-Id"] != answers[1].headers["X-Request-Id"]
    assert len(answers[2].json()["data"]) > 0


def test_retry_after_follows_the_date_header_when_the_server_clock_is_skewed() -> None:
    config = SandboxConfig(outage_requests=1, clock_offset=600.0, clock=lambda: NOW)
    with Sandbox(config) as sandbox, _client(sandbox) as client:
        refused = client.get(_blueprints(sandbox))
    assert refused.status_code == 503
    date = parsedate_to_datetime(refused.headers["Date"])
    retry_at = parsedate_to_datetime(refused.headers["Retry-After"])
    assert (retry_at - date).total_seconds() == 3  # 0.25 s rounded up, then two seconds


def test_requests_refused_by_the_route_checks_do_not_use_up_the_outage() -> None:
    with Sandbox(SandboxConfig(outage_requests=1)) as sandbox, _client(sandbox) as client:
        assert client.get(_blueprints(sandbox), headers={"X-Tallyfy-Client": ""}).status_code == 404
        assert client.get("/no-such-endpoint").status_code == 404
        assert client.delete("/me").status_code == 405
        assert client.get(_blueprints(sandbox)).status_code == 503
        assert client.get(_blueprints(sandbox)).status_code == 200


def test_the_outage_comes_before_auth_and_covers_the_token_endpoint() -> None:
    with (
        Sandbox(SandboxConfig(outage_requests=2)) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-Tallyfy-Client": "APIClient"}) as client,
    ):
        anonymous = client.get("/me")
        token = client.post("/oauth/token", data={"grant_type": "password"})
        after = client.get("/me")
    assert (anonymous.status_code, anonymous.json()) == (503, UNAVAILABLE)
    assert (token.status_code, token.json()) == (503, UNAVAILABLE)
    assert after.status_code == 401  # normal service: the missing token is noticed again


def test_concurrent_requests_share_one_count() -> None:
    with Sandbox(SandboxConfig(outage_requests=7)) as sandbox, _client(sandbox) as client:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: client.get(_blueprints(sandbox)).status_code, range(24)))
        assert sandbox.app.outage.remaining == 0
    assert sorted(statuses) == [200] * 17 + [503] * 7


def test_by_default_there_is_no_outage() -> None:
    """The conformance tests run `Sandbox()` as is: the spec documents no 503, so it must never appear there."""
    documented = {
        status
        for item in load_spec()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for status in operation.get("responses", {})
    }
    assert "503" not in documented
    with Sandbox() as sandbox, _client(sandbox) as client:
        assert client.get(_blueprints(sandbox)).status_code == 200


def test_a_negative_outage_is_refused() -> None:
    with pytest.raises(ValueError, match="outage_requests"):
        SandboxConfig(outage_requests=-1)
