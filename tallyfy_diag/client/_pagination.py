"""Which page comes next, read from a list response's `meta.pagination` (League/Fractal style).

`links` comes in two shapes: an object holding `previous`/`next` URLs (either may be absent or null), or an
EMPTY ARRAY when the page has no neighbour (PHP encodes an empty map as a list). An object decides alone; an
empty array means "no next"; without `links`, `current_page < total_pages` decides. Only the page number is
taken from a `next` URL: the request itself is always rebuilt by the generated function, against the client's
own base URL, so a server that advertises another host cannot redirect the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tallyfy_diag import _json


def page_body(content: bytes) -> dict[str, Any]:
    """A list response's JSON object ({} when the body is not one)."""
    try:
        body = _json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def page_items(body: Mapping[str, Any]) -> list[Any]:
    data = body.get("data")
    return data if isinstance(data, list) else []


def total_pages(body: Mapping[str, Any]) -> int | None:
    pagination = _pagination(body)
    value = pagination.get("total_pages") if pagination else None
    return value if isinstance(value, int) else None


def _pagination(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    meta = body.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, Mapping) else None
    return pagination if isinstance(pagination, Mapping) else None


def next_page(body: Mapping[str, Any], requested: int) -> int | None:
    """The page to fetch after this one, or None when this is the last."""
    pagination = _pagination(body)
    if pagination is None or not page_items(body):
        return None
    current = pagination.get("current_page")
    current = current if isinstance(current, int) else requested
    links = pagination.get("links")
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
    last = pagination.get("total_pages")
    return current + 1 if isinstance(last, int) and current < last else None
