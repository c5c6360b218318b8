"""The iterators (`tf.<resource>.iter*()`, `tf.paginate`) build each item from its JSON when it is taken, for
every paged list operation, and refuse an operation that does not page."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, get_type_hints

import httpx
import pytest
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me
from tallyfy_client.api.search import search
from tallyfy_client.models.blueprint import Blueprint

from tallyfy_diag._codegen._naming import iterator_name
from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy, UnexpectedResponseError
from tallyfy_diag.client._facade import ListShape
from tallyfy_diag.client._resources import LIST_SHAPES, OPERATIONS, SyncResources

ORG = "0123456789abcdef0123456789abcdef"
GOOD = {"id": "a" * 32, "title": "First"}
BROKEN = {"title": "no id"}  # Blueprint requires `id`


def one_page(items: list[Any]) -> httpx.MockTransport:
    return pages_of(items, pages=1)


def pages_of(items: list[Any], pages: int) -> httpx.MockTransport:
    """`pages` pages, each holding `items`."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        body = {"data": items, "meta": {"pagination": {"current_page": page, "total_pages": pages}}}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


def test_every_paged_list_operation_is_iterated_item_by_item() -> None:
    # The generated table tf.paginate reads lists exactly the operations whose resources have an iterator.
    resource_class = {
        name: get_type_hints(getattr(SyncResources, name).fget)["return"] for name, _ in OPERATIONS.values()
    }
    with_iterator = {
        operation
        for operation, (resource, method) in OPERATIONS.items()
        if hasattr(resource_class[resource], iterator_name(method))
    }
    assert len(with_iterator) >= 10
    assert {module.rsplit(".", 1)[1] for module in LIST_SHAPES} == with_iterator
    assert all(isinstance(shape, ListShape) for shape in LIST_SHAPES.values())


@pytest.mark.parametrize(
    "walk",
    [
        pytest.param(lambda tf: tf.blueprints.iter(), id="facade"),
        pytest.param(lambda tf: tf.paginate(list_blueprints), id="tf.paginate"),
    ],
)
def test_an_item_is_built_when_it_is_taken(walk: Any) -> None:
    with Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=one_page([GOOD, BROKEN])) as tf:
        items = walk(tf)
        first = next(items)  # the broken second item has not been read yet
        assert isinstance(first, Blueprint)
        assert first.id == GOOD["id"]
        with pytest.raises(UnexpectedResponseError, match="does not match the documented schema"):
            next(items)


@pytest.mark.parametrize(
    "walk",
    [
        pytest.param(lambda tf: tf.blueprints.iter(), id="facade"),
        pytest.param(lambda tf: tf.paginate(list_blueprints), id="tf.paginate"),
    ],
)
def test_a_walk_ends_at_its_first_error(walk: Any) -> None:
    # Carrying on after catching the error must not skip to the next page as if nothing had been lost.
    with Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=pages_of([GOOD, BROKEN, GOOD], 3)) as tf:
        items = walk(tf)
        assert next(items).id == GOOD["id"]
        with pytest.raises(UnexpectedResponseError):
            next(items)
        assert list(items) == []


def test_an_async_walk_ends_at_its_first_error_too() -> None:
    async def run() -> list[str]:
        transport = pages_of([GOOD, BROKEN, GOOD], 3)
        async with AsyncTallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=transport) as tf:
            items = tf.blueprints.iter()
            taken = [(await anext(items)).id]
            with pytest.raises(UnexpectedResponseError):
                await anext(items)
            taken += [item.id async for item in items]
            return taken

    assert asyncio.run(run()) == [GOOD["id"]]


@pytest.mark.parametrize("meta", [5, {"pagination": "x"}])
@pytest.mark.parametrize(
    "walk",
    [
        pytest.param(lambda tf: list(tf.blueprints.iter()), id="facade"),
        pytest.param(lambda tf: list(tf.paginate(list_blueprints)), id="tf.paginate"),
        pytest.param(lambda tf: tf.blueprints.list(), id="facade page"),
    ],
)
def test_a_meta_without_the_documented_shape_is_a_typed_error(meta: object, walk: Any) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"data": [GOOD], "meta": meta}))
    with (
        Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=transport) as tf,
        pytest.raises(UnexpectedResponseError, match="does not match the documented schema"),
    ):
        walk(tf)


def test_a_list_whose_data_is_not_an_array_is_a_typed_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"data": {"id": "x"}}))
    with (
        Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=transport) as tf,
        pytest.raises(UnexpectedResponseError, match=r"documented schema \(its data is not an array\)"),
    ):
        list(tf.paginate(list_blueprints))


def test_the_async_iterators_build_items_as_taken_too() -> None:
    async def run() -> tuple[Blueprint, BaseException | None]:
        async with AsyncTallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=one_page([GOOD, BROKEN])) as tf:
            items = tf.paginate(list_blueprints)
            first = await anext(items)
            try:
                await anext(items)
            except UnexpectedResponseError as error:
                return first, error
            return first, None

    first, error = asyncio.run(run())
    assert first.id == GOOD["id"]
    assert isinstance(error, UnexpectedResponseError)


@pytest.mark.parametrize("operation", [search, search.sync, get_me, len])
def test_paginate_refuses_an_operation_that_does_not_page(operation: Any) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    transport = httpx.MockTransport(record)
    with (
        Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=transport) as tf,
        pytest.raises(TypeError, match=r"cannot paginate .* such as list_blueprints"),
    ):
        tf.paginate(operation)
    with pytest.raises(TypeError, match=r"cannot paginate"):  # at the call, not at the first item
        AsyncTallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=transport).paginate(operation)
    assert sent == []


def test_only_the_page_at_hand_is_read() -> None:
    pages: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        pages.append(page)
        items = [{"id": f"{page:0>32}", "title": page}] * 3
        body = {"data": items, "meta": {"pagination": {"current_page": int(page), "total_pages": 3}}}
        return httpx.Response(200, json=body)

    with Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=httpx.MockTransport(answer)) as tf:
        taken = list(itertools.islice(tf.blueprints.iter(per_page=3), 4))
    assert [item.title for item in taken] == ["1", "1", "1", "2"]
    assert pages == ["1", "2"]
