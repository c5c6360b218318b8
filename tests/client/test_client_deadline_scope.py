"""A call's `deadline=` applies inside the call only: once it returns or raises, the caller's context has no
deadline left over (the clients start and end it without a context manager)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tallyfy_diag._deadline import deadline_scope, time_left
from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, ServerError, Tallyfy

ORG = "0123456789abcdef0123456789abcdef"
ME = {"data": {"id": 1}}


def answering(status: int, seen: list[float | None]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(time_left())
        return httpx.Response(status, json=ME if status == 200 else {"message": "down"})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("status", [200, 500])
def test_the_deadline_holds_during_the_call_and_is_gone_after(status: int) -> None:
    seen: list[float | None] = []
    with Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, deadline=30, transport=answering(status, seen)) as tf:
        try:
            tf.identity.get_me()
        except ServerError:
            assert status == 500
        assert time_left() is None
    assert len(seen) == 1
    assert seen[0] is not None
    assert 0 < seen[0] <= 30


@pytest.mark.parametrize("status", [200, 500])
def test_the_async_client_ends_its_deadline_too(status: int) -> None:
    seen: list[float | None] = []

    async def run() -> float | None:
        transport = answering(status, seen)
        async with AsyncTallyfy(PersonalAccessToken("t0ken"), org_id=ORG, deadline=30, transport=transport) as tf:
            try:
                await tf.identity.get_me()
            except ServerError:
                assert status == 500
            return time_left()

    assert asyncio.run(run()) is None
    assert seen[0] is not None


def test_an_enclosing_earlier_deadline_still_wins_and_is_restored() -> None:
    seen: list[float | None] = []
    with (
        Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, deadline=30, transport=answering(200, seen)) as tf,
        deadline_scope(5) as outer,
    ):
        tf.identity.get_me()
        assert time_left() is not None
        assert outer is not None
    assert seen[0] is not None
    assert seen[0] <= 5
