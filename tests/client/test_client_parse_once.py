"""Each response body is parsed once, whichever way the call is made (the spec check's parse feeds the model)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy

ORG = "0123456789abcdef0123456789abcdef"
ME = {"data": {"id": 1, "email": "a@example.com", "first_name": "A"}}
PAGES = 3


def page(number: int) -> dict[str, Any]:
    items = [{"id": f"{number:016x}{n:016x}", "title": f"B{number}.{n}"} for n in range(2)]
    pagination = {"current_page": number, "total_pages": PAGES, "per_page": 2, "total": 2 * PAGES, "links": []}
    if number < PAGES:
        pagination["links"] = {"next": f"https://go.tallyfy.com/api/x?page={number + 1}"}
    return {"data": items, "meta": {"pagination": pagination}}


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/checklists"):
        return httpx.Response(200, json=page(int(request.url.params.get("page", "1"))))
    return httpx.Response(200, json=ME)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every body json.loads reads in this test (httpx's response.json() and the project's loader use it)."""
    seen: list[object] = []
    real = json.loads

    def counting(text: Any, **kwargs: Any) -> Any:
        seen.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    return seen


@pytest.fixture
def tf() -> Tallyfy:
    return Tallyfy(
        PersonalAccessToken("t0ken"),
        base_url="https://go.tallyfy.com/api",
        org_id=ORG,
        transport=httpx.MockTransport(answer),
    )


CALLS: dict[str, Callable[[Tallyfy], object]] = {
    "facade": lambda tf: tf.identity.get_me(),
    "tf.call": lambda tf: tf.call(get_me),
    "facade pages": lambda tf: list(tf.blueprints.iter(per_page=2)),
    "tf.paginate": lambda tf: list(tf.paginate(list_blueprints, per_page=2)),
}


@pytest.mark.parametrize("name", CALLS)
def test_each_body_is_parsed_once(name: str, tf: Tallyfy, parses: list[object]) -> None:
    CALLS[name](tf)  # the first call in a process also reads the spec data
    parses.clear()
    assert CALLS[name](tf)
    expected = PAGES if "pages" in name or "paginate" in name else 1
    assert len(parses) == expected, parses


def test_response_json_afterwards_is_a_fresh_value(tf: Tallyfy) -> None:
    raw = tf.with_raw_response(tf.identity.get_me)
    first = raw.http_response.json()
    first["data"]["id"] = 2
    assert raw.http_response.json() == ME
    assert raw.parsed.id == 1


def test_the_async_client_parses_each_body_once_too(parses: list[object]) -> None:
    async def run() -> tuple[object, list[object], list[object]]:
        async with AsyncTallyfy(
            PersonalAccessToken("t0ken"),
            base_url="https://go.tallyfy.com/api",
            org_id=ORG,
            transport=httpx.MockTransport(answer),
        ) as tf:
            await tf.identity.get_me()  # the first call in a process also reads the spec data
            parses.clear()
            me = await tf.identity.get_me()
            pages = [item async for item in tf.blueprints.iter(per_page=2, concurrency=2)]
            walked = [item async for item in tf.paginate(list_blueprints, per_page=2)]
            return me, pages, walked

    me, pages, walked = asyncio.run(run())
    assert me
    assert len(pages) == len(walked) == 2 * PAGES
    assert len(parses) == 1 + 2 * PAGES, parses


def nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_a_success_body_nesting_unknown_fields_deeply_is_returned_whole() -> None:
    # Deeper than the diagnostics' walk allows (64): the models only descend as deep as the spec, so the
    # client keeps what it does not know as sent instead of refusing the response.
    body = {"data": {**ME["data"], "extra": nested(500)}}
    with Tallyfy(
        PersonalAccessToken("t0ken"),
        base_url="https://go.tallyfy.com/api",
        org_id=ORG,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)),
    ) as tf:
        me = tf.identity.get_me()
    assert me.id == 1
    assert me.additional_properties["extra"] == nested(500)
