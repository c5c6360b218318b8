"""The retry policy: what is retried, how long it waits (recorded, never slept), and that it can be off."""

from __future__ import annotations

import asyncio
import email.utils
import logging

import httpx
import pytest
from client_helpers import ORG, api_requests, in_turn, json_response, script
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


def test_429_honours_retry_after_seconds(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, rate_limited("7"), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [7.0]
    assert len(api_requests(router)) == 2


def test_429_honours_retry_after_http_date():
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(12.0)
    assert parse_retry_after(email.utils.formatdate(now - 50, usegmt=True), now=now) == 0.0
    assert parse_retry_after("garbage") is None


def test_429_with_http_date_is_retried_on_a_post(router, make_tallyfy, sleeper):
    soon = email.utils.formatdate(usegmt=True)  # "now": wait about zero seconds
    script(router, "POST", RUNS, rate_limited(soon), json_response(201, RUN))
    make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert len(sleeper.delays) == 1
    assert 0 <= sleeper.delays[0] <= 1
    assert len(api_requests(router)) == 2


def test_429_beyond_the_cap_is_raised_at_once(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, rate_limited("3600"), json_response(200, LIST))
    with pytest.raises(RateLimitError) as caught:
        make_tallyfy().call(list_blueprints)
    assert caught.value.retry_after == 3600
    assert sleeper.delays == []


def test_429_without_retry_after_backs_off_exponentially(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, rate_limited(None), rate_limited(None), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [0.5, 1.0]


def test_retries_stop_after_max_retries(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, rate_limited("1"))
    with pytest.raises(RateLimitError):
        make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [1.0, 1.0]
    assert len(api_requests(router)) == 3


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_on_get(router, make_tallyfy, sleeper, status):
    script(router, "GET", CHECKLISTS, json_response(status, {"message": "x"}), json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert len(api_requests(router)) == 2


def test_gateway_errors_are_not_retried_on_post(router, make_tallyfy, sleeper):
    script(router, "POST", RUNS, json_response(503, {"message": "x"}), json_response(201, RUN))
    with pytest.raises(ServerError):
        make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert len(api_requests(router)) == 1
    assert sleeper.delays == []


def test_500_is_not_retried(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, json_response(500, {"message": "x"}), json_response(200, LIST))
    with pytest.raises(ServerError):
        make_tallyfy().call(list_blueprints)
    assert sleeper.delays == []


def test_connection_errors_are_retried_on_get(router, make_tallyfy, sleeper):
    listing = script(router, "GET", CHECKLISTS, httpx.ConnectError, json_response(200, LIST))
    make_tallyfy().call(list_blueprints)
    assert listing.call_count == 2
    assert len(sleeper.delays) == 1


def test_connection_errors_are_not_retried_on_post(router, make_tallyfy, sleeper):
    launch = script(router, "POST", RUNS, httpx.ConnectError, json_response(201, RUN))
    with pytest.raises(ConnectError) as caught:
        make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32))
    assert launch.call_count == 1
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_retries_can_be_switched_off(router, make_tallyfy):
    script(router, "GET", CHECKLISTS, rate_limited("1"), json_response(200, LIST))
    with pytest.raises(RateLimitError):
        make_tallyfy(retry=RetryPolicy.off()).call(list_blueprints)
    assert len(api_requests(router)) == 1


def test_a_rate_limited_token_request_is_retried(router, forward, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, json_response(200, LIST))
    router["token"].mock(side_effect=in_turn(rate_limited("2"), forward))
    make_tallyfy().call(list_blueprints)
    assert sleeper.delays == [2.0]
    assert router["token"].call_count == 2


def test_async_retries_use_the_async_sleep(router, make_async_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, rate_limited("3"), json_response(200, LIST))

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


def test_each_decision_is_logged_at_debug(router, make_tallyfy, caplog):
    script(router, "GET", CHECKLISTS, rate_limited("1"), json_response(200, LIST))
    script(router, "POST", RUNS, json_response(503, {"message": "x"}))
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


class RetriesInternalErrors(RetryPolicy):
    """A caller's policy that also retries 500 on idempotent methods, as RetryPolicy's docstring says to."""

    retried_statuses = RetryPolicy.retried_statuses | {500}


def test_a_policy_that_retries_another_status_is_asked_about_it(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, json_response(500, {"message": "oops"}), json_response(200, LIST))
    policy = RetriesInternalErrors(jitter=False, sleep=sleeper, async_sleep=sleeper.asleep)
    make_tallyfy(retry=policy).call(list_blueprints)
    assert len(api_requests(router)) == 2
    assert sleeper.delays == [policy.backoff(0)]


def test_the_default_policy_never_retries_500(router, make_tallyfy, sleeper):
    script(router, "GET", CHECKLISTS, json_response(500, {"message": "oops"}), json_response(200, LIST))
    with pytest.raises(ServerError):
        make_tallyfy().call(list_blueprints)
    assert len(api_requests(router)) == 1
    assert sleeper.delays == []
