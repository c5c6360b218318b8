"""Rate limiting per organization, and concurrent writes from many threads (over real HTTP)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tallyfy_diag.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def limited():
    now = [1_699_999_990.0]  # 10 s into a minute window
    with Sandbox(SandboxConfig(scenario="rate-limited", clock=lambda: now[0])) as sandbox:
        yield sandbox


def _client(sandbox):
    token = sandbox.mint_access_token(ttl=10**6)
    headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
    return httpx.Client(base_url=sandbox.base_url, headers=headers)


def test_the_sixth_request_in_a_minute_is_429_until_the_window_turns(limited):
    path = f"/organizations/{limited.credentials.org_id}/checklists"
    with _client(limited) as client:
        allowed = [client.get(path) for _ in range(5)]
        assert [r.status_code for r in allowed] == [200] * 5
        assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["4", "3", "2", "1", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in allowed} == {"5"}
        refused = client.get(path)
        assert refused.status_code == 429
        assert refused.json() == {
            "message": "You've reached the limit of requests. Please try again later.",
            "code": "RATE_LIMIT_EXCEEDED",
        }
        # The clock stands at 10 s into its minute: 50 s until the window turns.
        assert refused.headers["Retry-After"] == "50"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.headers["X-RateLimit-Limit"] == "5"
        assert refused.headers["X-Request-Id"]
        # Another organization has its own budget.
        other = client.get(f"/organizations/{limited.credentials.second_org_id}/checklists")
        assert other.status_code == 200
        limited.advance_clock(50)
        assert client.get(path).status_code == 200


def test_without_a_limit_there_are_no_rate_limit_headers(api, user_headers):
    response = api.client.get(api.org("/checklists"), headers=user_headers)
    assert "X-RateLimit-Remaining" not in response.headers


def test_concurrent_writes_are_never_lost(sandbox):
    org = sandbox.credentials.org_id
    token = sandbox.mint_access_token()
    headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as client:
        before = client.get(f"/organizations/{org}/tasks").json()["meta"]["pagination"]["total"]
        blueprint_id = client.get(f"/organizations/{org}/checklists").json()["data"][1]["id"]

        def write(index):
            task = client.post(f"/organizations/{org}/tasks", json={"title": f"concurrent {index}"})
            run = client.post(f"/organizations/{org}/runs", json={"checklist_id": blueprint_id})
            return (
                task.status_code,
                run.status_code,
                run.json()["data"]["increment_id"],
                len(run.json()["data"]["tasks"]["data"]),
            )

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(write, range(64)))
        after = client.get(f"/organizations/{org}/tasks").json()["meta"]["pagination"]["total"]
    assert {(task, run) for task, run, _, _ in results} == {(201, 201)}
    increments = [increment for _, _, increment, _ in results]
    assert len(set(increments)) == 64
    steps = results[0][3]
    # 64 one-off tasks plus every launched process's tasks: nothing lost, nothing doubled.
    assert after - before == 64 + 64 * steps
