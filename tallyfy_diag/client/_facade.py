"""What every facade method does, written once; the per-operation methods are generated (`_resources.py`).

A generated method builds the request with the generated module's own `_get_kwargs` (so paths, query
encoding and body models are exactly the generated client's), sends it through the client's httpx client (auth,
retries, request dates, error mapping), parses the body once with the generated `_parse_response`, narrows the
result to the success model and unwraps `data`. Errors never reach the parse: the httpx client raises the typed
`APIError` for every status >= 300; a body the parser trips over is `UnexpectedResponseError`. The iterators
(`iter*`) send the same requests and build each item from its JSON when it is taken (`LazyPage`).

`with_raw_response(tf.blueprints.get, ...)` runs one call and hands back the `httpx.Response` it got alongside
the parsed value, without a second request: the send below drops each response into a context-local box when
one is open.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

import attrs
import httpx

from tallyfy_diag.client._errors import ConfigurationError
from tallyfy_diag.client._pagination import page_from_model
from tallyfy_diag.client._parsing import PARSE_ERRORS, schema_mismatch

if TYPE_CHECKING:
    from tallyfy_client.client import AuthenticatedClient

    from tallyfy_diag.client._auth import TallyfyAuth
    from tallyfy_diag.client._client import _AsyncHTTPClient, _HTTPClient

T = TypeVar("T")
V = TypeVar("V")
ItemT = TypeVar("ItemT")
P = ParamSpec("P")

_RAW_RESPONSES: contextvars.ContextVar[list[httpx.Response] | None] = contextvars.ContextVar(
    "tallyfy_raw_responses", default=None
)


def _require_org(org: str | None, default: str | None) -> str:
    chosen = org if org is not None else default
    if chosen is None:
        raise ConfigurationError(
            "this operation needs an organization and none is set",
            next_step="pass org_id= to the client (or set TALLYFY_ORG_ID), or org=... on this call; "
            "tf.identity.list_my_organizations() lists yours",
        )
    return chosen


def expect(parsed: object, kind: type[T], response: httpx.Response) -> T:
    """The parsed body as the spec's success model (a 2xx that parsed to anything else is a spec mismatch)."""
    if isinstance(parsed, kind):
        return parsed
    request = response.request
    raise TypeError(
        f"{request.method} {request.url.path} answered {response.status_code} with a body that is not a "
        f"{kind.__name__}: the spec and the server disagree"
    )


@attrs.frozen
class RawResponse(Generic[T]):
    """A call's parsed result with the HTTP response it came from (`status_code`, `headers`, `content`)."""

    parsed: T
    http_response: httpx.Response

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def request_id(self) -> str | None:
        """`X-Request-Id`, the id Tallyfy support asks for."""
        value: str | None = self.http_response.headers.get("X-Request-Id")
        return value


def _last(box: list[httpx.Response]) -> httpx.Response:
    if not box:
        raise TypeError("with_raw_response() takes a facade method, such as tf.blueprints.get")
    return box[-1]


class SyncFacade:
    """The hand-written half of `Tallyfy`'s facade: raw-response access (the resources are generated).

    The resources read these attributes, which `Tallyfy` sets.
    """

    http: _HTTPClient
    client: AuthenticatedClient
    org_id: str | None
    auth: TallyfyAuth

    def with_raw_response(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Call `method` (e.g. `tf.blueprints.get`) once; return its result with the HTTP response."""
        box: list[httpx.Response] = []
        token = _RAW_RESPONSES.set(box)
        try:
            parsed = method(*args, **kwargs)
        finally:
            _RAW_RESPONSES.reset(token)
        return RawResponse(parsed, _last(box))

    def request_date(self, value: datetime | date) -> str:
        """A date as this client writes request dates (its `DateSettings`), for a date inside a model."""
        return self.http.date_settings.format(value)


class AsyncFacade:
    """The async twin of `SyncFacade`."""

    http: _AsyncHTTPClient
    client: AuthenticatedClient
    org_id: str | None
    auth: TallyfyAuth

    async def with_raw_response(
        self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        box: list[httpx.Response] = []
        token = _RAW_RESPONSES.set(box)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            _RAW_RESPONSES.reset(token)
        return RawResponse(parsed, _last(box))

    def request_date(self, value: datetime | date) -> str:
        """A date as this client writes request dates (its `DateSettings`), for a date inside a model."""
        return self.http.date_settings.format(value)


class SyncResource:
    """Base of the generated sync resources: org, dates, send, pages."""

    __slots__ = ("_tf",)

    def __init__(self, tf: SyncFacade) -> None:
        self._tf = tf

    def _org(self, org: str | None) -> str:
        return _require_org(org, self._tf.org_id)

    def _date(self, value: date | V) -> str | V:
        """A datetime (or date) as the client's `DateSettings` write request dates; anything else unchanged."""
        return self._tf.http.date_settings.format(value) if isinstance(value, date) else value

    def _send(self, kwargs: dict[str, Any]) -> httpx.Response:
        response = self._tf.http.request(**kwargs)
        box = _RAW_RESPONSES.get()
        if box is not None:
            box.append(response)
        return response

    def _iterate_built(self, send: Callable[[int], httpx.Response], shape: ListShape[ItemT]) -> Iterator[ItemT]:
        """Every item, page after page, each built when it is taken (see `LazyPage`)."""
        secrets = self._tf.auth.secrets
        return iterate_pages(lambda number: lazy_page(send(number), number, shape, secrets))


class AsyncResource:
    """Base of the generated async resources."""

    __slots__ = ("_tf",)

    def __init__(self, tf: AsyncFacade) -> None:
        self._tf = tf

    def _org(self, org: str | None) -> str:
        return _require_org(org, self._tf.org_id)

    def _date(self, value: date | V) -> str | V:
        return self._tf.http.date_settings.format(value) if isinstance(value, date) else value

    async def _send(self, kwargs: dict[str, Any]) -> httpx.Response:
        response = await self._tf.http.request(**kwargs)
        box = _RAW_RESPONSES.get()
        if box is not None:
            box.append(response)
        return response

    def _iterate_built(
        self, send: Callable[[int], Awaitable[httpx.Response]], shape: ListShape[ItemT], concurrency: int
    ) -> AsyncIterator[ItemT]:
        """Every item, in order, each built when it is taken (see `LazyPage`)."""
        secrets = self._tf.auth.secrets

        async def fetch(number: int) -> LazyPage[ItemT]:
            return lazy_page(await send(number), number, shape, secrets)

        return aiterate_pages(fetch, concurrency)


@attrs.frozen
class ListShape(Generic[ItemT]):
    """How a paged list operation answers: its envelope model (`data` and `meta`) and its item model."""

    envelope: Callable[[Mapping[str, Any]], Any]  # e.g. BlueprintList.from_dict
    item: Callable[[Any], ItemT]  # e.g. Blueprint.from_dict


@attrs.frozen
class LazyPage(Generic[ItemT]):
    """A page for the iterators: each item is built from its JSON when the iterator reaches it.

    Building a whole page of models first keeps a hundred of them alive at once, and the garbage collector
    then walks every one of them again and again while the caller works through the page: on a 10,000-item
    walk that cost more than all the client's other work. Here only the page's JSON and the item at hand live.
    """

    items: Iterator[ItemT]
    next_page: int | None
    total_pages: int | None


def lazy_page(
    response: httpx.Response, requested: int, shape: ListShape[ItemT], secrets: Callable[[], tuple[str, ...]]
) -> LazyPage[ItemT]:
    """The page a list operation answered. Everything but the items is read now by the generated envelope model
    (so `meta` is held to the spec as `list()` holds it); each item is built by `shape.item` when it is taken.
    The body is the value the client's spec check parsed: nothing is parsed twice."""
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise schema_mismatch(response, "its data is not an array", secrets=secrets())
    try:
        envelope = shape.envelope({**body, "data": []})
    except PARSE_ERRORS as error:
        raise schema_mismatch(response, error, secrets=secrets()) from None
    place = page_from_model(data, getattr(envelope, "meta", None), requested)
    return LazyPage(_built(data, shape.item, response, secrets), place.next_page, place.total_pages)


def _built(
    data: list[Any], build: Callable[[Any], ItemT], response: httpx.Response, secrets: Callable[[], tuple[str, ...]]
) -> Iterator[ItemT]:
    for raw in data:
        try:
            item = build(raw)
        except PARSE_ERRORS as error:  # an item without the documented shape: typed, as for an eager parse
            raise schema_mismatch(response, error, secrets=secrets()) from None
        yield item


def iterate_pages(fetch: Callable[[int], LazyPage[ItemT]], first: int = 1) -> Iterator[ItemT]:
    """Every item from page `first` on (one page in memory); stops on the page that says it is the last, and
    at the first error (a caller who catches it and goes on gets nothing more, not the next page)."""
    following: int | None = first
    while following is not None:
        page = fetch(following)
        yield from page.items
        following = page.next_page


async def aiterate_pages(
    fetch: Callable[[int], Awaitable[LazyPage[ItemT]]], concurrency: int, first: int = 1
) -> AsyncIterator[ItemT]:
    """Every item in order from page `first`. With `concurrency` > 1, once the first page tells how many pages
    there are, up to that many are fetched at once (memory: `concurrency` pages)."""
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1", next_step="pass concurrency=1 or more")
    page = await fetch(first)
    for item in page.items:
        yield item
    if concurrency > 1 and page.next_page is not None and page.total_pages is not None:
        async for item in _windowed(fetch, range(page.next_page, page.total_pages + 1), concurrency):
            yield item
        return
    while page.next_page is not None:
        page = await fetch(page.next_page)
        for item in page.items:
            yield item


async def _windowed(
    fetch: Callable[[int], Awaitable[LazyPage[ItemT]]], numbers: range, width: int
) -> AsyncIterator[ItemT]:
    """Fetch pages `numbers` with at most `width` in flight, yielding items in page order."""
    pending: list[asyncio.Task[LazyPage[ItemT]]] = []
    try:
        for number in numbers:
            pending.append(asyncio.ensure_future(fetch(number)))
            if len(pending) < width:
                continue
            for item in (await pending.pop(0)).items:
                yield item
        while pending:
            for item in (await pending.pop(0)).items:
                yield item
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def as_model(kind: type[T], value: T | Mapping[str, Any]) -> T:
    """A map-only generated model (`additionalProperties`) from a plain mapping, so callers can pass a dict."""
    if isinstance(value, kind) or not isinstance(value, Mapping):
        return value
    model = kind()
    model.additional_properties = dict(value)  # type: ignore[attr-defined]  # every map-only model has it
    return model
