"""The client against the in-process sandbox: Tallyfy's documented rules, enforced by a real server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from client_helpers import ManualClock, password_grant_for
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me
from tallyfy_client.api.tasks import list_org_tasks

from tallyfy_diag.client import (
    AsyncTallyfy,
    ClientCredentials,
    EndpointNotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    Tallyfy,
)
from tallyfy_diag.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_715_781_600.0)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    sandbox = Sandbox.in_process(SandboxConfig(seed=11, clock=clock))
    yield sandbox
    sandbox.stop()


def count_token_requests(http: httpx.Client | httpx.AsyncClient) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def hook(request: httpx.Request) -> None:
        if request.url.path.endswith("/oauth/token"):
            seen.append(request)

    async def ahook(request: httpx.Request) -> None:
        hook(request)

    http.event_hooks["request"].append(ahook if isinstance(http, httpx.AsyncClient) else hook)
    return seen


def make(sandbox: Sandbox, clock: ManualClock, **options) -> Tallyfy:
    options = {"org_id": sandbox.credentials.org_id, "clock": clock, "retry": RetryPolicy.off(), **options}
    return Tallyfy(
        options.pop("auth", password_grant_for(sandbox.credentials)),
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        **options,
    )


def test_fifty_threads_share_one_refresh_against_the_sandbox(sandbox, clock):
    with make(sandbox, clock) as tf:
        tokens = count_token_requests(tf.http)
        tf.call(get_me)
        clock.advance(3600)  # the token expired for client and server alike
        barrier = threading.Barrier(50)
        errors: list[BaseException] = []

        def worker() -> None:
            barrier.wait()
            try:
                tf.call(get_me)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(tokens) == 2  # the login, then exactly one refresh


def test_fifty_tasks_share_one_refresh_against_the_sandbox(sandbox, clock):
    c = sandbox.credentials

    async def scenario() -> int:
        async with AsyncTallyfy(
            password_grant_for(sandbox.credentials),
            org_id=c.org_id,
            base_url=sandbox.base_url,
            transport=sandbox.async_transport(),
            clock=clock,
        ) as tf:
            tokens = count_token_requests(tf.http)
            await tf.call(get_me)
            sandbox.advance_clock(7200)  # only the server knows: every request gets 401 first
            await asyncio.gather(*(tf.call(get_me) for _ in range(50)))
            return len(tokens)

    assert asyncio.run(scenario()) == 2


def test_the_wrong_base_url_style_says_what_to_check(sandbox, clock):
    tf = Tallyfy(
        password_grant_for(sandbox.credentials), base_url=sandbox.root_url, transport=sandbox.transport(), clock=clock
    )
    with tf, pytest.raises(EndpointNotFoundError) as caught:
        tf.call(get_me)
    assert "X-Tallyfy-Client" in caught.value.next_step
    assert "base URL" in caught.value.next_step


def test_an_application_token_on_another_organization_is_refused(sandbox, clock):
    c = sandbox.credentials
    with make(sandbox, clock, auth=ClientCredentials(c.app_client_id, c.app_client_secret)) as tf:
        assert tf.call(list_blueprints).data  # its own organization
        with pytest.raises(PermissionDeniedError) as caught:
            tf.with_org(c.second_org_id).call(list_blueprints)
    assert "organization" in caught.value.next_step


def test_organizations_and_switching_between_them(sandbox, clock):
    c = sandbox.credentials
    with make(sandbox, clock) as tf:
        orgs = {org.id for org in tf.organizations()}
        assert orgs == {c.org_id, c.second_org_id}
        own = list(tf.paginate(list_blueprints))
        other = list(tf.with_org(c.second_org_id).paginate(list_blueprints))
    assert len(own) == 12
    assert {b.title for b in other} == {"Customer onboarding", "Vendor due diligence"}


def test_date_filters_given_as_datetimes_are_accepted(sandbox, clock):
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2030, 12, 31, tzinfo=UTC)
    with make(sandbox, clock) as tf:
        every = tf.call(list_org_tasks, per_page=100).data
        tasks = tf.call(
            list_org_tasks,
            deadline_start_range=start,  # type: ignore[arg-type]
            deadline_end_range=end,  # type: ignore[arg-type]
            per_page=100,
        )
        long_ago = tf.call(
            list_org_tasks,
            deadline_start_range=datetime(1990, 1, 1, tzinfo=UTC),  # type: ignore[arg-type]
            deadline_end_range=datetime(1990, 12, 31, tzinfo=UTC),  # type: ignore[arg-type]
        )
    # The server understood the dates: it kept exactly the tasks due in the window, and none from 1990.
    due = [t.id for t in every if isinstance(t.deadline, datetime) and start <= t.deadline <= end]
    assert due, "the sandbox's demo tasks have deadlines in the window"
    assert [t.id for t in tasks.data] == due
    assert long_ago.data == []


def test_async_pagination_with_concurrency_against_the_sandbox(sandbox, clock):
    c = sandbox.credentials

    async def scenario() -> list[str]:
        async with AsyncTallyfy(
            password_grant_for(sandbox.credentials),
            org_id=c.org_id,
            base_url=sandbox.base_url,
            transport=sandbox.async_transport(),
            clock=clock,
        ) as tf:
            return [b.title async for b in tf.paginate(list_blueprints, per_page=2, concurrency=4)]

    with make(sandbox, clock) as tf:
        expected = [b.title for b in tf.paginate(list_blueprints, per_page=2)]
    assert asyncio.run(scenario()) == expected
    assert len(expected) == 12
