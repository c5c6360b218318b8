"""Tallyfy / AsyncTallyfy: headers, base URLs, every generated operation, orgs, pagination, raised errors."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from client_helpers import CREDENTIALS, ORG, USER_ID, api_requests, json_response, script, token_forms
from tallyfy_client.api.blueprints import get_blueprint, list_blueprints
from tallyfy_client.api.identity import get_me, list_my_organizations
from tallyfy_client.models.blueprint import Blueprint

from tallyfy_diag.client import (
    DEFAULT_TIMEOUT,
    AsyncTallyfy,
    ConfigurationError,
    EndpointNotFoundError,
    NotFoundError,
    PersonalAccessToken,
    Tallyfy,
)

CHECKLISTS = f"/api/organizations/{ORG}/checklists"
OTHER_ORG = CREDENTIALS.second_org_id


def all_blueprint_ids(tf: Tallyfy) -> list[str]:
    """Every blueprint of the client's organization in one page: what pagination must add up to."""
    return [b.id for b in tf.call(list_blueprints, per_page=100).data]


def paged(items: list[dict], links_style: str = "object", max_per_page: int = 100):
    """A list endpoint over `items`, answering each page in a `links` shape the sandbox does not use."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        per_page = min(int(request.url.params.get("per_page", 10)), max_per_page)
        total_pages = max(1, -(-len(items) // per_page))
        chosen = items[(page - 1) * per_page : page * per_page]
        base = str(request.url.copy_with(query=None))
        pagination = {
            "total": len(items),
            "count": len(chosen),
            "per_page": per_page,
            "current_page": page,
            "total_pages": total_pages,
        }
        if links_style == "object":
            links = {}
            if page > 1:
                links["previous"] = f"{base}?page={page - 1}"
            if page < total_pages:
                links["next"] = f"{base}?per_page={per_page}&page={page + 1}"
            pagination["links"] = links or []
        elif links_style == "nulls":
            pagination["links"] = {"previous": None, "next": f"{base}?page={page + 1}" if page < total_pages else None}
        return json_response(200, {"data": chosen, "meta": {"pagination": pagination}})

    return handler


BLUEPRINTS = [{"id": f"{n:032x}", "title": f"Blueprint {n}"} for n in range(25)]


def test_every_request_carries_the_tallyfy_headers(router, sandbox_api, make_tallyfy):
    make_tallyfy().call(get_me)
    sent = [call.request for call in router.calls]
    assert [r.url.path for r in sent] == ["/api/oauth/token", "/api/me"]
    for request in sent:
        assert request.headers["X-Tallyfy-Client"] == "APIClient"
        assert request.headers["Accept"] == "application/json"


def test_the_client_is_configured_for_safety(make_tallyfy):
    tf = make_tallyfy()
    assert tf.client.raise_on_unexpected_status is True
    assert tf.client.get_httpx_client() is tf.http
    assert tf.http.timeout == DEFAULT_TIMEOUT
    assert tf.http.follow_redirects is False


@pytest.mark.parametrize(
    ("base_url", "api_path", "token_path"),
    [
        ("https://go.tallyfy.com", f"/api/organizations/{ORG}/checklists", "/api/oauth/token"),
        ("https://api.tallyfy.com/api/", f"/organizations/{ORG}/checklists", "/oauth/token"),
    ],
)
def test_both_host_styles_reach_the_right_paths(make_tallyfy, base_url, api_path, token_path):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == token_path:
            return json_response(
                200, {"token_type": "Bearer", "expires_in": 3600, "access_token": "t", "refresh_token": "r"}
            )
        return json_response(
            200, {"data": [], "meta": {"pagination": {"current_page": 1, "total_pages": 1, "links": []}}}
        )

    make_tallyfy(base_url=base_url, transport=httpx.MockTransport(handler)).call(list_blueprints)
    assert seen == [token_path, api_path]


def test_user_context_is_checked_on_root_style_hosts_too(make_tallyfy):
    from tallyfy_diag.client import ClientCredentials, UserContextRequiredError  # noqa: PLC0415

    tf = make_tallyfy(ClientCredentials("3", "secret-x"), base_url="https://api.tallyfy.com")
    with pytest.raises(UserContextRequiredError):
        tf.call(get_me)


def test_call_fills_in_client_and_org(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    page = tf.call(list_blueprints, per_page=5)
    detailed = tf.call(list_blueprints.sync_detailed, page=2, per_page=5)
    every = all_blueprint_ids(tf)
    assert [b.id for b in page.data] == every[:5]
    assert detailed.status_code == 200
    assert detailed.parsed.data[0].id == every[5]
    assert {r.url.path for r in api_requests(router)} == {CHECKLISTS}


def test_generated_functions_work_directly_with_tf_client(sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    page = list_blueprints.sync(ORG, client=tf.client, per_page=3)
    assert [b.id for b in page.data] == all_blueprint_ids(tf)[:3]


def test_errors_raise_instead_of_returning_error_models(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    # The sandbox knows no such blueprint: RESOURCE_NOT_FOUND, the way Tallyfy answers.
    with pytest.raises(NotFoundError) as missing:
        tf.call(get_blueprint, checklist_id="9" * 32)
    assert type(missing.value) is NotFoundError
    # A route the server does not know at all (scripted: the client always sends what the sandbox needs).
    script(
        router,
        "GET",
        f"{CHECKLISTS}/{'8' * 32}",
        json_response(404, {"error": True, "message": "API endpoint not found", "code": "ENDPOINT_NOT_FOUND"}),
    )
    with pytest.raises(EndpointNotFoundError):
        get_blueprint.sync(ORG, "8" * 32, client=tf.client)


def test_org_per_call_and_per_copy(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    assert len(tf.call(list_blueprints, org=OTHER_ORG).data) == 2  # the sandbox's second organization has two
    other = tf.with_org(OTHER_ORG)
    assert len(other.call(list_blueprints).data) == 2
    assert tf.org_id == ORG
    assert len(tf.call(list_blueprints).data) == 10  # a full first page of the user's own twelve
    assert len(token_forms(router)) == 1  # the copy shares the token
    paths = [r.url.path for r in api_requests(router)]
    assert paths.count(CHECKLISTS) == 1
    assert paths.count(f"/api/organizations/{OTHER_ORG}/checklists") == 2


def test_a_missing_org_is_a_clear_error(make_tallyfy):
    tf = make_tallyfy(org_id=None)
    with pytest.raises(ConfigurationError, match="TALLYFY_ORG_ID"):
        tf.call(list_blueprints)


def test_auth_must_be_a_strategy():
    with pytest.raises(ConfigurationError, match="PasswordGrant"):
        Tallyfy("a-token")  # type: ignore[arg-type]


def test_paginate_walks_every_page_of_the_sandbox(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    items = list(tf.paginate(list_blueprints, per_page=5))
    pages = [r.url.params["page"] for r in api_requests(router)]
    assert pages == ["1", "2", "3"]  # twelve blueprints, five a page
    assert [b.id for b in items] == all_blueprint_ids(tf)
    assert all(isinstance(b, Blueprint) for b in items)


@pytest.mark.parametrize("links_style", ["nulls", "absent"])
def test_paginate_walks_every_page_whatever_the_links_shape(router, make_tallyfy, links_style):
    script(router, "GET", CHECKLISTS, paged(BLUEPRINTS, links_style))
    items = list(make_tallyfy().paginate(list_blueprints, per_page=10))
    assert [b.id for b in items] == [b["id"] for b in BLUEPRINTS]
    assert all(isinstance(b, Blueprint) for b in items)
    pages = [r.url.params["page"] for r in api_requests(router)]
    assert pages == ["1", "2", "3"]


def test_paginate_is_lazy(router, sandbox_api, make_tallyfy):
    iterator = make_tallyfy().paginate(list_blueprints, per_page=5)
    first_six = list(itertools.islice(iterator, 6))
    assert len(first_six) == 6
    assert len(api_requests(router)) == 2  # never more than the page being read


def test_paginate_accepts_any_of_the_operation_functions(sandbox_api, make_tallyfy):
    tf = make_tallyfy()
    every = all_blueprint_ids(tf)
    assert len(every) == 12
    for operation in (list_blueprints, list_blueprints.sync, list_blueprints.sync_detailed):
        assert [b.id for b in tf.paginate(operation, per_page=5)] == every


def test_paginate_never_follows_the_host_of_a_next_link(router, make_tallyfy):
    def evil(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        links = {"next": "https://evil.example.com/steal?page=2"} if page == 1 else []
        body = {
            "data": [BLUEPRINTS[page - 1]],
            "meta": {"pagination": {"current_page": page, "total_pages": 2, "links": links}},
        }
        return json_response(200, body)

    script(router, "GET", CHECKLISTS, evil)
    assert len(list(make_tallyfy().paginate(list_blueprints))) == 2
    assert {r.url.host for r in (call.request for call in router.calls)} == {"go.tallyfy.com"}


def test_paginate_stops_on_a_backwards_or_empty_page(router, make_tallyfy):
    def stuck(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        data = [BLUEPRINTS[0]] if page < 3 else []
        body = {
            "data": data,
            "meta": {
                "pagination": {
                    "current_page": page,
                    "total_pages": 99,
                    "links": {"next": f"https://go.tallyfy.com/api/x?page={page}"},
                }
            },
        }
        return json_response(200, body)

    script(router, "GET", CHECKLISTS, stuck)
    assert len(list(make_tallyfy().paginate(list_blueprints))) == 2
    assert len(api_requests(router)) == 3


def test_organizations_lists_every_page(router, make_tallyfy):
    orgs = [{"id": f"{n:032x}", "name": f"Org {n}"} for n in range(3)]
    script(router, "GET", "/api/me/organizations", paged(orgs, "nulls", max_per_page=2))
    found = make_tallyfy().organizations()
    assert [o.name for o in found] == ["Org 0", "Org 1", "Org 2"]
    assert [r.url.params["page"] for r in api_requests(router)] == ["1", "2"]
    assert list_my_organizations  # the operation organizations() uses


def test_async_paginate_in_order_with_bounded_concurrency(router, forward, make_async_tallyfy):
    in_flight = {"now": 0, "max": 0}

    async def slow_sandbox(request: httpx.Request) -> httpx.Response:
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        await asyncio.sleep(0.001 * (10 - int(request.url.params["page"]) % 10))  # later pages answer sooner
        in_flight["now"] -= 1
        return await forward(request)

    script(router, "GET", CHECKLISTS, slow_sandbox)

    async def scenario() -> tuple[list, list]:
        async with make_async_tallyfy() as tf:
            items = [item async for item in tf.paginate(list_blueprints, per_page=2, concurrency=3)]
            every = await tf.call(list_blueprints, per_page=100)
            return items, every.data

    items, every = asyncio.run(scenario())
    assert len(every) == 12
    assert [b.id for b in items] == [b.id for b in every]
    assert in_flight["max"] == 3


def test_async_paginate_sequential_by_default(router, sandbox_api, make_async_tallyfy):
    async def scenario() -> list:
        async with make_async_tallyfy() as tf:
            return [item.id async for item in tf.paginate(list_blueprints, per_page=5)]

    ids = asyncio.run(scenario())
    assert len(ids) == 12
    assert len(set(ids)) == 12
    assert [r.url.params["page"] for r in api_requests(router)] == ["1", "2", "3"]  # one after the other


def test_async_call_and_organizations(sandbox_api, make_async_tallyfy):
    async def scenario():
        async with make_async_tallyfy() as tf:
            me = await tf.call(get_me)
            orgs = await tf.organizations()
            return me, orgs

    me, orgs = asyncio.run(scenario())
    assert me.data.id == USER_ID
    assert sorted(o.id for o in orgs) == sorted([CREDENTIALS.org_id, CREDENTIALS.second_org_id])


def test_async_concurrency_must_be_positive(make_async_tallyfy):
    async def scenario():
        async with make_async_tallyfy() as tf:
            return [item async for item in tf.paginate(list_blueprints, concurrency=0)]

    with pytest.raises(ConfigurationError):
        asyncio.run(scenario())


def test_async_entry_point_rejects_non_strategies():
    with pytest.raises(ConfigurationError):
        AsyncTallyfy(PersonalAccessToken)  # type: ignore[arg-type]


def test_httpx_args_cannot_drop_the_tallyfy_headers(router, sandbox_api, make_tallyfy):
    tf = make_tallyfy(httpx_args={"headers": {"X-Trace": "abc", "X-Tallyfy-Client": "other"}})
    tf.call(get_me)
    (request,) = api_requests(router)
    assert request.headers["X-Trace"] == "abc"
    assert request.headers["X-Tallyfy-Client"] == "APIClient"


@pytest.mark.parametrize("key", ["auth", "base_url", "event_hooks", "transport"])
def test_httpx_args_cannot_replace_what_the_client_owns(make_tallyfy, key):
    with pytest.raises(ConfigurationError, match=key):
        make_tallyfy(httpx_args={key: None})


def test_call_reads_the_same_through_every_form_of_an_operation(router, sandbox_api, make_tallyfy):
    # A generated `sync` (given as a module or as the function) is sent with its module's own request builder and
    # parser; any other function is called as it is. All must read alike, path parameters included.
    tf = make_tallyfy()
    checklist_id = all_blueprint_ids(tf)[0]
    direct = get_blueprint.sync(ORG, checklist_id, client=tf.client)
    assert tf.call(get_blueprint, checklist_id=checklist_id) == direct
    assert tf.call(get_blueprint.sync, checklist_id=checklist_id) == direct
    assert tf.call(get_blueprint.sync_detailed, checklist_id=checklist_id).parsed == direct

    def own_function(**arguments):
        return get_blueprint.sync(**arguments)

    assert tf.call(own_function, org=ORG, checklist_id=checklist_id) == direct
    with pytest.raises(NotFoundError):
        tf.call(get_blueprint, checklist_id="9" * 32)


def test_async_call_reads_the_same_through_every_form_of_an_operation(sandbox_api, make_async_tallyfy):
    async def scenario():
        async with make_async_tallyfy() as tf:
            module = await tf.call(get_me)
            function = await tf.call(get_me.asyncio)
            detailed = await tf.call(get_me.asyncio_detailed)
            return module, function, detailed.parsed

    module, function, detailed = asyncio.run(scenario())
    assert module == function == detailed
    assert module.data.id == USER_ID
