"""The retry policy: what is retried, how long it waits (recorded, never slept), and that it can be off."""

from __future__ import annotations

import asyncio
import email.utils
import logging

import httpx
import pytest
from client_fakes import ORG, json_response
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.processes import launch_process
from tallyfy_client.models.process_launch import ProcessLaunch

from tallyfy_diag.client import (
    ConnectError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    parse_retry_after,
)
from tallyfy_diag.client._retry import retry_after_of

CHECKLISTS = f"/api/organizations/{ORG}/checklists"
RUNS = f"/api/organizations/{ORG}/runs"
LIST = {"data": [], "meta": {"pagination": {"current_page": 1, "total_pages": 1, "links": []}}}
RUN = {"data": {"id": "a" * 32, "name": "x"}}


def rate_limited(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return json_response(429, {"message": "slow down", "code": "RATE_LIMIT_EXCEEDED"}, headers)


def test_429_honours_retry_after_seconds(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, rate_limited("7"), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [7.0]
    assert len(server.api_requests) == 2


def test_429_honours_retry_after_http_date():
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(12.0)
    assert parse_retry_after(email.utils.formatdate(now - 50, usegmt=True), now=now) == 0.0
    assert parse_retry_after("garbage") is None


def test_429_with_http_date_is_retried_on_a_post(server, make_tallyfy, sleeper):
    soon = email.utils.formatdate(usegmt=True)  # "now": wait about zero seconds
    server.route("POST", RUNS, rate_limited(soon), json_response(201, RUN))
    make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert len(sleeper.delays) == 1
    assert 0 <= sleeper.delays[0] <= 1
    assert len(server.api_requests) == 2


def test_429_beyond_the_cap_is_raised_at_once(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, rate_limited("3600"), json_response(200, LIST))
    with pytest.raises(RateLimitError) as caught:
        make_tallyfy().call(list_blueprints)
    assert caught.value.retry_after == 3600
    assert sleeper.delays == []


def test_429_without_retry_after_backs_off_exponentially(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, rate_limited(None), rate_limited(None), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [0.5, 1.0]


def test_retries_stop_after_max_retries(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, rate_limited("1"))
    with pytest.raises(RateLimitError):
        make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [1.0, 1.0]
    assert len(server.api_requests) == 3


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_on_get(server, make_tallyfy, sleeper, status):
    server.route("GET", CHECKLISTS, json_response(status, {"message": "x"}), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert len(server.api_requests) == 2


def test_gateway_errors_are_not_retried_on_post(server, make_tallyfy, sleeper):
    server.route("POST", RUNS, json_response(503, {"message": "x"}), json_response(201, RUN))
    with pytest.raises(ServerError):
        make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert len(server.api_requests) == 1
    assert sleeper.delays == []


def test_500_is_not_retried(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, json_response(500, {"message": "x"}), json_response(200, LIST))
    with pytest.raises(ServerError):
        make_tallyfy().call(list_blueprints)
    assert sleeper.delays == []


def _flaky(server, failures: int):
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/oauth/token"):
            calls["n"] += 1
            if calls["n"] <= failures:
                raise httpx.ConnectError("connection refused", request=request)
        return server.handle(request)

    return httpx.MockTransport(handler), calls


def test_connection_errors_are_retried_on_get(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, json_response(200, LIST))
    transport, calls = _flaky(server, failures=1)
    make_tallyfy(transport=transport).call(list_blueprints)
    assert calls["n"] == 2
    assert len(sleeper.delays) == 1


def test_connection_errors_are_not_retried_on_post(server, make_tallyfy, sleeper):
    server.route("POST", RUNS, json_response(201, RUN))
    transport, calls = _flaky(server, failures=1)
    with pytest.raises(ConnectError) as caught:
        make_tallyfy(transport=transport).call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert calls["n"] == 1
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_retries_can_be_switched_off(server, make_tallyfy):
    server.route("GET", CHECKLISTS, rate_limited("1"), json_response(200, LIST))
    with pytest.raises(RateLimitError):
        make_tallyfy(retry=RetryPolicy.off()).call(list_blueprints)
    assert len(server.api_requests) == 1


def test_a_rate_limited_token_request_is_retried(server, make_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, json_response(200, LIST))
    answers = [rate_limited("2")]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token") and answers:
            return answers.pop()
        return server.handle(request)

    make_tallyfy(transport=httpx.MockTransport(handler)).call(list_blueprints)
    assert sleeper.delays == [2.0]


def test_async_retries_use_the_async_sleep(server, make_async_tallyfy, sleeper):
    server.route("GET", CHECKLISTS, rate_limited("3"), json_response(200, LIST))

    async def scenario():
        async with make_async_tallyfy() as tf:
            await tf.call(list_blueprints)

    asyncio.run(scenario())
    assert sleeper.delays == [3.0]


def test_jitter_stays_within_the_backoff_ceiling():
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0)
    delays = [policy.backoff(attempt) for attempt in range(6) for _ in range(50)]
    assert all(0 <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 10  # jittered, not constant


def test_each_decision_is_logged_at_debug(server, make_tallyfy, caplog):
    server.route("GET", CHECKLISTS, rate_limited("1"), json_response(200, LIST))
    server.route("POST", RUNS, json_response(503, {"message": "x"}))
    caplog.set_level(logging.DEBUG, logger="tallyfy_diag.client.retry")
    tf = make_tallyfy()
    tf.call(list_blueprints)
    with pytest.raises(ServerError):
        tf.call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    messages = [r.getMessage() for r in caplog.records if r.name == "tallyfy_diag.client.retry"]
    assert any(m.startswith("retrying GET") and "-> 429 in 1.00s" in m for m in messages)
    assert any(m.startswith("not retrying POST") and "not idempotent" in m for m in messages)


def test_an_http_date_retry_after_is_measured_against_the_server_date_not_the_local_clock():
    # The server's clock is a year behind ours: measured against our clock the wait would be 0.
    response = httpx.Response(
        429, headers={"Date": "Wed, 15 May 2024 14:00:00 GMT", "Retry-After": "Wed, 15 May 2024 14:00:07 GMT"}
    )
    assert retry_after_of(response) == 7.0
    without_date = httpx.Response(429, headers={"Retry-After": "Wed, 15 May 2024 14:00:07 GMT"})
    assert retry_after_of(without_date) == 0.0
