"""The facade's behaviour against the in-process sandbox: typed results, pages, iterators, org, dates, raw responses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
from client_helpers import ManualClock, password_grant_for
from tallyfy_client.models import Blueprint, Process, ProcessLaunchTask, User

from tallyfy_diag._codegen._naming import facade_names, identifier
from tallyfy_diag._codegen.facade import _is_request_date as is_request_date
from tallyfy_diag._spec import load_spec
from tallyfy_diag.client import (
    AsyncTallyfy,
    ClientCredentials,
    ConfigurationError,
    DateSettings,
    NotFoundError,
    RetryPolicy,
    Tallyfy,
    UserContextRequiredError,
    request_date,
)
from tallyfy_diag.client._pagination import Page
from tallyfy_diag.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_715_781_600.0)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    sandbox = Sandbox.in_process(SandboxConfig(seed=11, clock=clock))
    yield sandbox
    sandbox.stop()


def make(sandbox: Sandbox, clock: ManualClock, **options) -> Tallyfy:
    options = {"org_id": sandbox.credentials.org_id, "clock": clock, "retry": RetryPolicy.off(), **options}
    return Tallyfy(
        options.pop("auth", password_grant_for(sandbox.credentials)),
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        **options,
    )


def make_async(sandbox: Sandbox, clock: ManualClock, **options) -> AsyncTallyfy:
    options = {"org_id": sandbox.credentials.org_id, "clock": clock, "retry": RetryPolicy.off(), **options}
    return AsyncTallyfy(
        password_grant_for(sandbox.credentials),
        base_url=sandbox.base_url,
        transport=sandbox.async_transport(),
        **options,
    )


def record(tf: Tallyfy) -> list[httpx.Request]:
    sent: list[httpx.Request] = []
    tf.http.event_hooks["request"].append(sent.append)
    return sent


def api_only(requests: list[httpx.Request]) -> list[httpx.Request]:
    return [r for r in requests if not r.url.path.endswith("/oauth/token")]


def test_get_returns_the_unwrapped_typed_model(sandbox, clock):
    with make(sandbox, clock) as tf:
        me = tf.identity.get_me()
        blueprints = tf.blueprints.list().items
        sent = record(tf)
        blueprint = tf.blueprints.get(blueprints[0].id, with_="steps")
    assert isinstance(me, User)
    assert me.email == sandbox.credentials.username
    assert isinstance(blueprint, Blueprint)
    assert blueprint.id == blueprints[0].id
    assert parse_qs(sent[0].url.query.decode())["with"] == ["steps"]  # with_= reached the server


def test_one_page_carries_its_pagination_and_iter_walks_every_page(sandbox, clock):
    with make(sandbox, clock) as tf:
        sent = record(tf)
        first = tf.blueprints.list(per_page=5)
        second = tf.blueprints.list(per_page=5, page=first.next_page or 0)
        last = tf.blueprints.list(per_page=5, page=3)
        every = list(tf.blueprints.iter(per_page=5))
    assert isinstance(first, Page)
    assert (first.page, first.per_page, first.total, first.total_pages, first.next_page) == (1, 5, 12, 3, 2)
    assert first.has_next
    assert second.page == 2
    assert (last.page, len(last), last.next_page, last.has_next) == (3, 2, None, False)
    assert [b.id for b in every] == [b.id for b in [*first, *second, *last]]
    pages = [parse_qs(r.url.query.decode())["page"] for r in api_only(sent)[3:]]
    assert pages == [["1"], ["2"], ["3"]]  # iter asked each page once and stopped on the last


def test_iter_defaults_to_the_largest_page(sandbox, clock):
    with make(sandbox, clock) as tf:
        sent = record(tf)
        assert len(list(tf.blueprints.iter())) == 12
    (request,) = api_only(sent)
    assert parse_qs(request.url.query.decode())["per_page"] == ["100"]


def test_async_iter_with_concurrency_yields_the_same_items_in_order(sandbox, clock):
    async def scenario() -> tuple[list[str], list[str], Page[Blueprint]]:
        async with make_async(sandbox, clock) as tf:
            one = [b.id async for b in tf.blueprints.iter(per_page=2)]
            many = [b.id async for b in tf.blueprints.iter(per_page=2, concurrency=4)]
            page = await tf.blueprints.list(per_page=2, page=6)
            return one, many, page

    one, many, page = asyncio.run(scenario())
    assert len(one) == 12
    assert many == one
    assert (page.page, page.next_page) == (6, None)


def test_the_organization_comes_from_the_client_and_a_call_can_override_it(sandbox, clock):
    c = sandbox.credentials
    with make(sandbox, clock) as tf:
        own = {b.title for b in tf.blueprints.iter()}
        other = {b.title for b in tf.blueprints.iter(org=c.second_org_id)}
    assert len(own) == 12
    assert other == {"Customer onboarding", "Vendor due diligence"}


def test_no_organization_is_refused_before_any_request(sandbox, clock):
    with make(sandbox, clock, org_id=None) as tf:
        sent = record(tf)
        with pytest.raises(ConfigurationError, match="org_id="):
            tf.blueprints.list()
        with pytest.raises(ConfigurationError):
            tf.blueprints.iter()  # checked when the iterator is made, not on the first next()
    assert sent == []


def test_errors_raise_the_typed_exceptions(sandbox, clock):
    with make(sandbox, clock) as tf, pytest.raises(NotFoundError):
        tf.processes.get("0" * 32)
    app = ClientCredentials(sandbox.credentials.app_client_id, sandbox.credentials.app_client_secret)
    with make(sandbox, clock, auth=app) as tf, pytest.raises(UserContextRequiredError):
        tf.identity.get_me()


def a_date_query_parameter() -> tuple[str, str, str, str]:
    """(resource, method, keyword, wire name) of the first operation whose query takes a request date (per spec)."""
    spec = load_spec()  # the run-time spec (test_spec_data.py proves it is the YAML); only read here
    for name in facade_names(spec):
        operation = spec["paths"][name.path][name.http_method.lower()]
        for raw in operation.get("parameters", []):
            parameter = spec["components"]["parameters"][raw["$ref"].rsplit("/", 1)[-1]] if "$ref" in raw else raw
            if parameter["in"] == "query" and is_request_date(spec, parameter.get("schema")):
                return name.resource, name.method, identifier(parameter["name"]), parameter["name"]
    raise AssertionError("the spec has no request-date query parameter")


def test_launch_takes_plain_mappings_and_dates_in_models_go_out_in_the_date_rule(sandbox, clock):
    deadline = datetime(2026, 12, 15, 17, 0, tzinfo=UTC)
    with make(sandbox, clock) as tf:
        onboarding = next(b for b in tf.blueprints.iter() if b.title == "Employee onboarding")
        fields = tf.blueprints.list_form_fields(onboarding.id).ko_form_fields or []
        kickoff = {field.id: "Ann's manager" for field in fields if field.required}
        step = tf.blueprints.list_steps(onboarding.id)[0].id
        sent = record(tf)
        launched = tf.processes.launch(
            checklist_id=onboarding.id,
            name="Onboard Ann",
            prerun=kickoff,
            tasks={step: ProcessLaunchTask(deadline=tf.request_date(deadline))},
        )
    assert isinstance(launched, Process)
    assert launched.name == "Onboard Ann"
    body = json.loads(api_only(sent)[0].content)
    assert body["prerun"] == kickoff
    assert body["tasks"] == {step: {"deadline": request_date(deadline)}}  # the one date rule
    assert kickoff  # the blueprint has required kick-off fields: the launch was refused without them
    assert any(task.deadline == deadline for task in tf_tasks(sandbox, clock, launched.id))


def tf_tasks(sandbox, clock, run_id: str) -> list:
    with make(sandbox, clock) as tf:
        return list(tf.tasks.iter_process_tasks(run_id))


def test_a_datetime_in_a_query_goes_out_in_the_date_rule(sandbox, clock):
    resource, method, keyword, wire = a_date_query_parameter()
    when = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with make(sandbox, clock) as tf:
        sent = record(tf)
        getattr(getattr(tf, resource), method)(**{keyword: when})
    assert parse_qs(api_only(sent)[0].url.query.decode())[wire] == [request_date(when)]


def test_datetimes_follow_the_clients_date_settings(sandbox, clock):
    resource, method, keyword, wire = a_date_query_parameter()
    with make(sandbox, clock, dates=DateSettings(style="iso")) as tf:
        sent = record(tf)
        getattr(getattr(tf, resource), method)(**{keyword: datetime(2026, 12, 1, 8, tzinfo=UTC)})
        assert tf.request_date(datetime(2026, 12, 1, 8, tzinfo=UTC)) == "2026-12-01T08:00:00Z"
    assert parse_qs(api_only(sent)[0].url.query.decode())[wire] == ["2026-12-01T08:00:00Z"]


def test_raw_response_comes_with_the_parsed_model_without_a_second_request(sandbox, clock):
    with make(sandbox, clock) as tf:
        tf.identity.get_me()  # the token request happens here
        sent = record(tf)
        raw = tf.with_raw_response(tf.identity.get_me)
        page = tf.with_raw_response(tf.blueprints.list, per_page=3)
    assert len(sent) == 2
    assert raw.status_code == 200
    assert raw.request_id
    assert raw.request_id == raw.headers["x-request-id"]
    assert isinstance(raw.parsed, User)
    assert raw.parsed.email.encode() in raw.content
    assert raw.http_response.request is sent[0]
    assert len(page.parsed) == 3


def test_raw_response_refuses_something_that_sends_nothing(sandbox, clock):
    with make(sandbox, clock) as tf, pytest.raises(TypeError, match="facade method"):
        tf.with_raw_response(lambda: 42)


def test_async_raw_response(sandbox, clock):
    async def scenario():
        async with make_async(sandbox, clock) as tf:
            return await tf.with_raw_response(tf.identity.get_me)

    raw = asyncio.run(scenario())
    assert raw.status_code == 200
    assert isinstance(raw.parsed, User)


def test_with_org_resources_follow_the_copy(sandbox, clock):
    c = sandbox.credentials
    with make(sandbox, clock) as tf:
        tf.blueprints.list()  # touch the resource on the original first
        other = tf.with_org(c.second_org_id)
        assert {b.title for b in other.blueprints.iter()} == {"Customer onboarding", "Vendor due diligence"}
        assert len(list(tf.blueprints.iter())) == 12
