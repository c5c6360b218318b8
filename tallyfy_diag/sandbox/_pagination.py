"""League/Fractal-style pagination, as Tallyfy's list responses carry it in `meta.pagination`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from tallyfy_diag._constants import MAX_PER_PAGE

DEFAULT_PER_PAGE = 10
T = TypeVar("T")


def page_of(
    items: Sequence[T], *, page: int, per_page: int, url: str, query: Sequence[tuple[str, str]]
) -> tuple[list[T], dict[str, Any]]:
    """One page of `items` and its `meta`; `url` is the absolute list URL without a query.

    `links` is `[]` when the page has no neighbour (PHP encodes an empty map as a list), else an object
    holding only the neighbours that exist.
    """
    per_page = min(per_page, MAX_PER_PAGE)
    total = len(items)
    total_pages = max(1, math.ceil(total / per_page))
    chosen = list(items[(page - 1) * per_page : page * per_page])

    def link(number: int) -> str:
        kept = [(name, value) for name, value in query if name != "page"]
        return f"{url}?{urlencode([*kept, ('page', str(number))])}"

    links: dict[str, str] = {}
    if page > 1:
        links["previous"] = link(page - 1)
    if page < total_pages:
        links["next"] = link(page + 1)
    pagination: dict[str, Any] = {
        "total": total,
        "count": len(chosen),
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": links or [],
    }
    return chosen, {"pagination": pagination}
