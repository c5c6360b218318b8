"""Request dates on the wire as Y-m-d H:i:s (or ISO when asked), in a stated zone: the one date rule."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from client_helpers import ORG, api_requests, json_response, script
from tallyfy_client.api.processes import launch_process
from tallyfy_client.api.tasks import list_org_tasks
from tallyfy_client.models.process_launch import ProcessLaunch
from tallyfy_client.models.process_launch_prerun import ProcessLaunchPrerun
from tallyfy_client.models.process_launch_task import ProcessLaunchTask
from tallyfy_client.models.process_launch_tasks import ProcessLaunchTasks

from tallyfy_diag.client import DateSettings, parse_response_date, request_date

RUNS = f"/api/organizations/{ORG}/runs"
TASKS = f"/api/organizations/{ORG}/tasks"
STEP = "c" * 32
FIELD = "d" * 32


def test_request_date_puts_the_month_before_the_day():
    assert request_date(datetime(2023, 5, 15, 14, 30, tzinfo=UTC)) == "2023-05-15 14:30:00"
    assert request_date(datetime(2023, 5, 6, 14, 30, tzinfo=UTC)) == "2023-05-06 14:30:00"


def test_request_date_converts_to_the_stated_zone():
    new_york = datetime(2023, 5, 15, 10, 30, tzinfo=ZoneInfo("America/New_York"))
    assert request_date(new_york) == "2023-05-15 14:30:00"  # UTC by default
    berlin = DateSettings(timezone=ZoneInfo("Europe/Berlin"))
    assert request_date(new_york, berlin) == "2023-05-15 16:30:00"


def test_naive_datetimes_are_taken_to_be_in_the_stated_zone():
    naive = datetime(2023, 1, 2, 3, 4, 5)
    assert request_date(naive) == "2023-01-02 03:04:05"
    assert request_date(naive, DateSettings(timezone=timezone(timedelta(hours=2)))) == "2023-01-02 03:04:05"


def test_iso_style_on_request():
    value = datetime(2023, 5, 15, 14, 30, 0, 123456, tzinfo=UTC)
    assert request_date(value, DateSettings(style="iso")) == "2023-05-15T14:30:00Z"
    offset = DateSettings(style="iso", timezone=timezone(timedelta(hours=2)))
    assert request_date(value, offset) == "2023-05-15T16:30:00+02:00"


def test_a_date_is_midnight():
    assert request_date(date(2024, 2, 29)) == "2024-02-29 00:00:00"


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="style"):
        DateSettings(style="american")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "2023-05-15T14:30:00.000Z",
        "2023-05-15T14:30:00Z",
        "2023-05-15T14:30:00+00:00",
        "2023-05-15T16:30:00+02:00",
        "2023-05-15T14:30:00",
    ],
)
def test_response_dates_parse_to_aware_datetimes(text):
    parsed = parse_response_date(text)
    assert parsed.utcoffset() in {timedelta(0), timedelta(hours=2)}  # aware: the offset it was given, or UTC
    assert parsed == datetime(2023, 5, 15, 14, 30, tzinfo=UTC)


def _launch_body(router) -> dict:
    (request,) = [r for r in api_requests(router) if r.url.path == RUNS]
    return json.loads(request.content)


def test_a_datetime_in_a_request_body_goes_out_in_the_rule_format(router, make_tallyfy):
    script(router, "POST", RUNS, json_response(201, {"data": {"id": "a" * 32}}))
    deadline = datetime(2023, 5, 15, 14, 30, tzinfo=UTC)
    prerun = ProcessLaunchPrerun()
    prerun[FIELD] = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)  # a kick-off date field
    body = ProcessLaunch(
        checklist_id="b" * 32,
        prerun=prerun,
        tasks=ProcessLaunchTasks.from_dict({}),
    )
    body.tasks[STEP] = ProcessLaunchTask(deadline=deadline)  # type: ignore[arg-type, index]
    make_tallyfy().call(launch_process, body=body)
    sent = _launch_body(router)
    assert sent["tasks"][STEP]["deadline"] == "2023-05-15 14:30:00"
    assert sent["prerun"][FIELD] == "2024-01-02 09:00:00"


def test_the_body_format_follows_the_client_settings(router, make_tallyfy):
    script(router, "POST", RUNS, json_response(201, {"data": {"id": "a" * 32}}))
    tasks = ProcessLaunchTasks.from_dict({})
    tasks[STEP] = ProcessLaunchTask(deadline=datetime(2023, 5, 15, 14, 30, tzinfo=UTC))  # type: ignore[arg-type]
    make_tallyfy(dates=DateSettings(style="iso")).call(
        launch_process, body=ProcessLaunch(checklist_id="b" * 32, tasks=tasks)
    )
    assert _launch_body(router)["tasks"][STEP]["deadline"] == "2023-05-15T14:30:00Z"


def test_strings_are_sent_untouched(router, make_tallyfy):
    script(router, "POST", RUNS, json_response(201, {"data": {"id": "a" * 32}}))
    tasks = ProcessLaunchTasks.from_dict({})
    tasks[STEP] = ProcessLaunchTask(deadline="2023-15-05 14:30:00")
    make_tallyfy().call(launch_process, body=ProcessLaunch(checklist_id="b" * 32, tasks=tasks))
    assert _launch_body(router)["tasks"][STEP]["deadline"] == "2023-15-05 14:30:00"


def test_a_datetime_in_a_query_filter_goes_out_in_the_rule_format(router, make_tallyfy):
    script(
        router,
        "GET",
        TASKS,
        json_response(200, {"data": [], "meta": {"pagination": {"current_page": 1, "total_pages": 1, "links": []}}}),
    )
    make_tallyfy().call(
        list_org_tasks,
        deadline_start_range=datetime(2023, 5, 1, 0, 0, tzinfo=UTC),  # type: ignore[arg-type]
        deadline_end_range=request_date(datetime(2023, 5, 31, 23, 59, 59, tzinfo=UTC)),
    )
    (request,) = api_requests(router)
    assert request.url.params["deadline_start_range"] == "2023-05-01 00:00:00"
    assert request.url.params["deadline_end_range"] == "2023-05-31 23:59:59"
