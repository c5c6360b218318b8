"""A facade page reads "which page next" from the parsed model by the rule the pagination module states."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tallyfy_client.models import BlueprintList

from tallyfy_diag.client._pagination import page_from_model

NEXT_URLS = st.one_of(
    st.none(),
    st.just(""),
    st.integers(min_value=-1, max_value=9).map(lambda n: f"https://go.tallyfy.com/api/x?page={n}&per_page=2"),
    st.just("https://go.tallyfy.com/api/x?per_page=2"),
)
LINKS = st.one_of(
    st.just([]),
    st.fixed_dictionaries({}, optional={"next": NEXT_URLS, "previous": NEXT_URLS}),
)
PAGINATION = st.fixed_dictionaries(
    {},
    optional={
        "current_page": st.integers(min_value=1, max_value=9),
        "total_pages": st.integers(min_value=0, max_value=9),
        "per_page": st.integers(min_value=1, max_value=100),
        "total": st.integers(min_value=0, max_value=900),
        "links": LINKS,
    },
)
BODIES = st.fixed_dictionaries(
    {"data": st.lists(st.just({"id": "0" * 32, "title": "T"}), max_size=2)},
    optional={"meta": st.fixed_dictionaries({}, optional={"pagination": PAGINATION})},
)


def stated_next_page(body: dict[str, Any], requested: int) -> int | None:
    """The rule as `tallyfy_diag.client._pagination` states it, over the JSON: no pagination or no items, no next
    page; a `links` object decides alone (its `next` URL's page number, never backwards); an empty `links` array
    means none; otherwise `current_page < total_pages`."""
    pagination = body.get("meta", {}).get("pagination")
    if pagination is None or not body["data"]:
        return None
    current = pagination.get("current_page", requested)
    links = pagination.get("links")
    if isinstance(links, dict):
        url = links.get("next")
        if not url:
            return None
        number = re.search(r"[?&]page=(\d+)(&|$)", url)
        advertised = int(number.group(1)) if number else current + 1
        return advertised if advertised > current else current + 1
    if links == []:
        return None
    last = pagination.get("total_pages")
    return current + 1 if last is not None and current < last else None


@given(body=BODIES, requested=st.integers(min_value=1, max_value=9))
def test_the_model_reading_follows_the_stated_rule(body: dict[str, Any], requested: int) -> None:
    parsed = BlueprintList.from_dict(body)
    page = page_from_model(parsed.data, parsed.meta, requested)
    assert page.next_page == stated_next_page(body, requested)
    assert page.has_next == (page.next_page is not None)
    assert len(page) == len(body["data"])


def test_a_page_reports_its_place() -> None:
    body = {
        "data": [{"id": "a" * 32}, {"id": "b" * 32}],
        "meta": {"pagination": {"total": 5, "per_page": 2, "current_page": 2, "total_pages": 3, "links": {}}},
    }
    parsed = BlueprintList.from_dict(body)
    page = page_from_model(parsed.data, parsed.meta, 2)
    assert (page.page, page.per_page, page.total, page.total_pages) == (2, 2, 5, 3)
    assert page.next_page is None  # an object without `next` decides alone: no next page
    assert [b.id for b in page] == ["a" * 32, "b" * 32]
