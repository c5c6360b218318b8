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
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar

import attrs
import httpx

from tallyfy_diag.client._errors import ConfigurationError
from tallyfy_diag.client._pagination import next_page, total_pages
from tallyfy_diag.client._parsing import PARSE_ERRORS, schema_mismatch

if TYPE_CHECKING:
    from tallyfy_client.client import AuthenticatedClient

    from tallyfy_diag.client._auth import TallyfyAuth
    from tallyfy_diag.client._client import _AsyncHTTPClient, _HTTPClient

T = TypeVar("T")
V = TypeVar("V")
ItemT = TypeVar("ItemT")
ItemT_co = TypeVar("ItemT_co", covariant=True)
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

    def _iterate_built(self, send: Callable[[int], httpx.Response], build: Callable[[Any], ItemT]) -> Iterator[ItemT]:
        """Every item, page after page, each built by `build` when it is taken (see `LazyPage`)."""
        secrets = self._tf.auth.secrets
        return iterate_pages(lambda number: lazy_page(send(number), number, build, secrets))


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
        self, send: Callable[[int], Awaitable[httpx.Response]], build: Callable[[Any], ItemT], concurrency: int
    ) -> AsyncIterator[ItemT]:
        """Every item, in order, each built by `build` when it is taken (see `LazyPage`)."""
        secrets = self._tf.auth.secrets

        async def fetch(number: int) -> PageLike[ItemT]:
            return lazy_page(await send(number), number, build, secrets)

        return aiterate_pages(fetch, concurrency)


class PageLike(Protocol[ItemT_co]):
    """What the page walkers (`iterate_pages`, `aiterate_pages`) read of a page: a `Page`, or a `LazyPage`."""

    @property
    def items(self) -> Iterable[ItemT_co]: ...
    @property
    def next_page(self) -> int | None: ...
    @property
    def total_pages(self) -> int | None: ...


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
    response: httpx.Response, requested: int, build: Callable[[Any], ItemT], secrets: Callable[[], tuple[str, ...]]
) -> LazyPage[ItemT]:
    """The page a list operation answered, its items built by `build` (a generated model's `from_dict`) as they
    are taken. The body is the value the client's spec check parsed: nothing is parsed twice."""
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise schema_mismatch(response, "its data is not an array", secrets=secrets())
    return LazyPage(_built(data, build, response, secrets), next_page(body, requested), total_pages(body))


def _built(
    data: list[Any], build: Callable[[Any], ItemT], response: httpx.Response, secrets: Callable[[], tuple[str, ...]]
) -> Iterator[ItemT]:
    try:
        for item in data:
            yield build(item)
    except PARSE_ERRORS as error:  # an item without the documented shape: typed, as for an eager parse
        raise schema_mismatch(response, error, secrets=secrets()) from None


def iterate_pages(fetch: Callable[[int], PageLike[ItemT]], first: int = 1) -> Iterator[ItemT]:
    """Every item from page `first` on (one page in memory); stops on the page that says it is the last.

    The next page is fetched when the last item of one has been taken. Items are handed on by
    `itertools.chain` (in C): a generator here would be resumed once per item, a tenth of what a typed item
    costs."""
    return itertools.chain.from_iterable(_page_items(fetch, first))


def _page_items(fetch: Callable[[int], PageLike[ItemT]], first: int) -> Iterator[Iterable[ItemT]]:
    following: int | None = first
    while following is not None:
        page = fetch(following)
        yield page.items
        following = page.next_page


async def aiterate_pages(
    fetch: Callable[[int], Awaitable[PageLike[ItemT]]], concurrency: int, first: int = 1
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
    fetch: Callable[[int], Awaitable[PageLike[ItemT]]], numbers: range, width: int
) -> AsyncIterator[ItemT]:
    """Fetch pages `numbers` with at most `width` in flight, yielding items in page order."""
    pending: list[asyncio.Task[PageLike[ItemT]]] = []
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
