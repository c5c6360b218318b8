"""A 2xx body without the documented shape is UnexpectedResponseError on every call path, never a bare KeyError
from deep inside a generated model; the same exceptions raised before anything was sent pass through."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy, UnexpectedResponseError

ORG = "0123456789abcdef0123456789abcdef"
CANARY = "canary-token-5f1e2d3c4b5a69788796a5b4"
# Each trips the generated parser in its own way: a required key missing, a value of the wrong type.
BODIES: dict[str, dict[str, Any]] = {
    "user without its id": {"data": {"email": "a@example.com"}},
    "data that is a list": {"data": []},
    "page of items that are not objects": {"data": [5], "meta": {"note": CANARY}},
}

SYNC_CALLS: dict[str, Callable[[Tallyfy], object]] = {
    "facade": lambda tf: tf.identity.get_me(),
    "tf.call": lambda tf: tf.call(get_me),
    "tf.call on sync_detailed": lambda tf: tf.call(get_me.sync_detailed).parsed,
    "facade page": lambda tf: tf.blueprints.list(),
    "facade pages": lambda tf: list(tf.blueprints.iter()),
    "tf.paginate": lambda tf: list(tf.paginate(list_blueprints)),
}
ASYNC_CALLS: dict[str, Callable[[AsyncTallyfy], Awaitable[object]]] = {
    "async facade": lambda tf: tf.identity.get_me(),
    "async tf.call": lambda tf: tf.call(get_me),
}


def answering(body: dict[str, Any]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


def applies(name: str, body: str) -> bool:
    """A user body is judged by get_me's parser, a page body by list_blueprints'."""
    return ("page" in name or "paginate" in name) == ("page" in body)


CASES = [(name, body) for name in SYNC_CALLS for body in BODIES if applies(name, body)]
ASYNC_CASES = [(name, body) for name in ASYNC_CALLS for body in BODIES if applies(name, body)]


@pytest.mark.parametrize(("name", "body"), CASES)
def test_a_body_without_the_documented_shape_is_a_typed_error(name: str, body: str) -> None:
    with (
        Tallyfy(PersonalAccessToken(CANARY), org_id=ORG, transport=answering(BODIES[body])) as tf,
        pytest.raises(UnexpectedResponseError, match="does not match the documented schema") as caught,
    ):
        SYNC_CALLS[name](tf)
    assert caught.value.status == 200
    assert caught.value.response is not None
    assert CANARY not in f"{caught.value} {caught.value!r}"


@pytest.mark.parametrize(("name", "body"), ASYNC_CASES)
def test_the_async_client_types_it_too(name: str, body: str) -> None:
    async def run() -> None:
        async with AsyncTallyfy(PersonalAccessToken(CANARY), org_id=ORG, transport=answering(BODIES[body])) as tf:
            await ASYNC_CALLS[name](tf)

    with pytest.raises(UnexpectedResponseError, match="does not match the documented schema"):
        asyncio.run(run())


def test_a_bad_argument_is_the_callers_type_error_and_nothing_is_sent() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"data": {"id": 1}})

    with (
        Tallyfy(PersonalAccessToken(CANARY), org_id=ORG, transport=httpx.MockTransport(record)) as tf,
        pytest.raises(TypeError, match="no_such_argument"),
    ):
        tf.call(get_me, no_such_argument=1)
    assert sent == []
