"""Which page comes next, read from a list response's `meta.pagination` (League/Fractal style).

`links` comes in two shapes: an object holding `previous`/`next` URLs (either may be absent or null), or an
EMPTY ARRAY when the page has no neighbour (PHP encodes an empty map as a list). An object decides alone; an
empty array means "no next"; without `links`, `current_page < total_pages` decides. Only the page number is
taken from a `next` URL: the request itself is always rebuilt by the generated function, against the client's
own base URL, so a server that advertises another host cannot redirect the token.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

ItemT = TypeVar("ItemT")


def _following(current: object, last: object, links: object, requested: int) -> int | None:
    """The one rule for "which page next", over the values of a `meta.pagination` however they were parsed."""
    current = current if isinstance(current, int) else requested
    if isinstance(links, Mapping):
        next_url = links.get("next")
        if not isinstance(next_url, str) or not next_url:
            return None
        numbers = parse_qs(urlsplit(next_url).query).get("page", [])
        advertised = int(numbers[0]) if numbers and numbers[0].isdigit() else current + 1
        # Never go backwards or stand still: a server bug must not become an endless loop.
        return advertised if advertised > current else current + 1
    if isinstance(links, list) and not links:
        return None
    return current + 1 if isinstance(last, int) and current < last else None


@attrs.frozen
class Page(Generic[ItemT]):
    """One page of a list operation: its typed items and where it sits (the facade's `list(...)` returns it).

    Iterating a page walks its items only; `next_page` is the number to ask for next (None on the last page).
    """

    items: list[ItemT]
    page: int
    per_page: int | None
    total: int | None
    total_pages: int | None
    next_page: int | None

    @property
    def has_next(self) -> bool:
        return self.next_page is not None

    def __iter__(self) -> Iterator[ItemT]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def page_from_model(items: list[ItemT], meta: object, requested: int) -> Page[ItemT]:
    """A `Page` from a parsed list model's items and `meta` (a generated model, read once, never re-parsed).

    `meta.pagination.links` is a model with `next_` / `previous`, or the empty list PHP sends for "no links".
    """
    pagination = getattr(meta, "pagination", None)
    current = _int(getattr(pagination, "current_page", None))
    last = _int(getattr(pagination, "total_pages", None))
    links: object = getattr(pagination, "links", None)
    if hasattr(links, "next_"):
        following = getattr(links, "next_", None)
        links = {"next": following if isinstance(following, str) else None}
    following_page = None if not pagination or not items else _following(current, last, links, requested)
    return Page(
        items=items,
        page=current if current is not None else requested,
        per_page=_int(getattr(pagination, "per_page", None)),
        total=_int(getattr(pagination, "total", None)),
        total_pages=last,
        next_page=following_page,
    )
