"""Request dates: every field the spec types as RequestDate takes Y-m-d H:i:s or zoned ISO 8601 (the one date rule);
the day filters (RequestDay) take Y-m-d."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tallyfy_diag import _spec
from tallyfy_diag.sandbox._dates import format_response_date, parse_request_date

REQUEST_DATE_REF = "#/components/schemas/RequestDate"
REQUEST_DAY_REF = "#/components/schemas/RequestDay"


def _request_date_fields():
    """(operation id, field path) for every RequestDate in a request body or query, `*` for map keys."""
    spec = _spec.load_spec()
    schemas = spec["components"]["schemas"]

    def walk(schema, path, seen):
        if "$ref" in schema:
            if schema["$ref"] == REQUEST_DATE_REF:
                yield path
                return
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(schemas[name], path, seen | {name})
            return
        for key, child in schema.get("properties", {}).items():
            yield from walk(child, f"{path}.{key}" if path else key, seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from walk(extra, f"{path}.*", seen)

    found = set()
    for operation in _spec.operations():
        item = spec["paths"][operation.path_template][operation.method.lower()]
        for parameter in item.get("parameters", []):
            if parameter.get("schema", {}).get("$ref") == REQUEST_DATE_REF:
                found.add((operation.operation_id, parameter["name"]))
        for media in item.get("requestBody", {}).get("content", {}).values():
            found.update((operation.operation_id, path) for path in walk(media["schema"], "", frozenset()))
    return found


COVERED = {
    ("launch_process", "tasks.*.deadline"),
    ("create_oneoff_task", "deadline"),
    ("update_oneoff_task", "deadline"),
    ("create_guest", "external_date_creation"),
    ("update_process_task", "deadline"),
    ("create_task_micro", "deadline"),
    ("edit_task_deadline_micro", "Deadline"),
}
DAY_FILTERS = {("list_org_tasks", "deadline_start_range"), ("list_org_tasks", "deadline_end_range")}


def test_every_request_date_in_the_spec_is_covered_below():
    assert _request_date_fields() == COVERED
    spec = _spec.load_spec()
    day_filters = {
        (operation.operation_id, parameter["name"])
        for operation in _spec.operations()
        for parameter in spec["paths"][operation.path_template][operation.method.lower()].get("parameters", [])
        if parameter.get("schema", {}).get("$ref") == REQUEST_DAY_REF
    }
    assert day_filters == DAY_FILTERS


@pytest.fixture(scope="module")
def process(api, user_headers):
    listing = api.client.get(api.org("/checklists"), params={"q": "Bug triage"}, headers=user_headers)
    blueprint_id = listing.json()["data"][0]["id"]
    return api.client.post(api.org("/runs"), json={"checklist_id": blueprint_id}, headers=user_headers).json()["data"]


def _send(api, headers, process, case, value):
    step_id = process["tasks"]["data"][0]["step_id"]
    task_id = process["tasks"]["data"][0]["id"]
    if case == ("launch_process", "tasks.*.deadline"):
        body = {"checklist_id": process["checklist_id"], "tasks": {step_id: {"deadline": value}}}
        return api.client.post(api.org("/runs"), json=body, headers=headers), f"tasks.{step_id}.deadline"
    if case == ("create_oneoff_task", "deadline"):
        return api.client.post(api.org("/tasks"), json={"title": "t", "deadline": value}, headers=headers), "deadline"
    if case == ("update_oneoff_task", "deadline"):
        oneoff = api.client.post(api.org("/tasks"), json={"title": "t"}, headers=headers).json()["data"]
        return api.client.put(api.org(f"/tasks/{oneoff['id']}"), json={"deadline": value}, headers=headers), "deadline"
    if case == ("create_guest", "external_date_creation"):
        body = {"email": f"guest.{uuid.uuid4().hex[:8]}@example.com", "external_date_creation": value}
        return api.client.post(api.org("/guests"), json=body, headers=headers), "external_date_creation"
    if case == ("update_process_task", "deadline"):
        path = api.org(f"/runs/{process['id']}/tasks/{task_id}")
        return api.client.put(path, json={"deadline": value}, headers=headers), "deadline"
    micro = api.org().replace("/organizations/", "/processes/micro-functions/organizations/")
    if case == ("create_task_micro", "deadline"):
        body = {"name": "t", "task_type": "task", "deadline": value}
        return api.client.post(micro + "/tasks", json=body, headers=headers), "deadline"
    if case == ("edit_task_deadline_micro", "Deadline"):
        oneoff = api.client.post(api.org("/tasks"), json={"title": "t"}, headers=headers).json()["data"]
        path = micro + f"/tasks/{oneoff['id']}/edit-deadline"
        return api.client.put(path, json={"Deadline": value}, headers=headers), "Deadline"
    name = case[1]
    return api.client.get(api.org("/tasks"), params={name: value}, headers=headers), name


@pytest.mark.parametrize("case", sorted(COVERED), ids=lambda case: f"{case[0]}:{case[1]}")
@pytest.mark.parametrize("value", ["2023-05-15 14:30:00", "2023-05-15T14:30:00Z", "2023-05-15T14:30:00-05:00"])
def test_accepted_request_dates(api, user_headers, process, case, value):
    response, _field = _send(api, user_headers, process, case, value)
    assert response.status_code in {200, 201}, response.text


@pytest.mark.parametrize("case", sorted(COVERED), ids=lambda case: f"{case[0]}:{case[1]}")
@pytest.mark.parametrize("value", ["2023-15-05 14:30:00", "2023-05-15T14:30:00", "2023-05-15", "soon"])
def test_refused_request_dates_name_the_field(api, user_headers, process, case, value):
    response, field = _send(api, user_headers, process, case, value)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("case", sorted(DAY_FILTERS), ids=lambda case: f"{case[0]}:{case[1]}")
@pytest.mark.parametrize("value", ["2023-05-15", "2023-05-15 14:30:00", "2023-05-15T14:30:00Z"])
def test_day_filters_take_a_day_or_a_request_date(api, user_headers, process, case, value):
    response, _field = _send(api, user_headers, process, case, value)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", sorted(DAY_FILTERS), ids=lambda case: f"{case[0]}:{case[1]}")
@pytest.mark.parametrize("value", ["2023-15-05", "2023-05-15T14:30:00", "soon"])
def test_refused_day_filters_name_the_field(api, user_headers, process, case, value):
    response, field = _send(api, user_headers, process, case, value)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-15 14:30:00", datetime(2023, 5, 15, 14, 30, tzinfo=UTC)),
        ("2024-02-29 00:00:00", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2023-05-15T14:30:00Z", datetime(2023, 5, 15, 14, 30, tzinfo=UTC)),
        ("2023-05-15t14:30z", datetime(2023, 5, 15, 14, 30, tzinfo=UTC)),
        ("2023-05-15T14:30:00+0530", datetime(2023, 5, 15, 9, 0, tzinfo=UTC)),
        ("2023-05-06 14:30:00", datetime(2023, 5, 6, 14, 30, tzinfo=UTC)),  # month first, always
    ],
)
def test_parse_request_date(value, expected):
    assert parse_request_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-29 00:00:00",
        "2023-15-05 14:30:00",
        "2023-05-15 14:30",
        "2023-W20-1T10:00Z",
        "2023-05-15 14:30:00Z",
        None,
        5,
        "2023-05-15T25:00Z",
    ],
)
def test_parse_request_date_refuses(value):
    assert parse_request_date(value) is None


def test_response_dates_are_zulu_with_zero_millis():
    assert format_response_date(datetime(2023, 5, 15, 14, 30, 5, 123456, tzinfo=UTC)) == "2023-05-15T14:30:05.000Z"
    assert format_response_date(None) is None
