"""Processes (API: runs) and tasks: launch, kick-off fields, form fields, completion, request dates."""

from __future__ import annotations

import re

import pytest

RESPONSE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z")


@pytest.fixture(scope="module")
def onboarding(api, user_headers):
    """The seeded 'Employee onboarding' blueprint with its steps and kick-off fields."""
    listing = api.client.get(api.org("/checklists"), params={"q": "Employee onboarding"}, headers=user_headers)
    blueprint_id = listing.json()["data"][0]["id"]
    response = api.client.get(
        api.org(f"/checklists/{blueprint_id}"), params={"with": "steps,prerun"}, headers=user_headers
    )
    return response.json()["data"]


def _kickoff(blueprint, label):
    return next(field["id"] for field in blueprint["prerun"] if field["label"] == label)


def _launch(api, headers, blueprint, **extra):
    body = {"checklist_id": blueprint["id"], "prerun": {_kickoff(blueprint, "Requested by"): "HR"}, **extra}
    return api.client.post(api.org("/runs"), json=body, headers=headers)


def test_launching_creates_one_task_per_step(api, user_headers, onboarding, conforms):
    response = _launch(api, user_headers, onboarding, name="Onboarding - Jane")
    assert response.status_code == 201
    conforms("launch_process", response)
    process = response.json()["data"]
    assert process["name"] == "Onboarding - Jane"
    assert process["status"] == "active"
    assert process["checklist_id"] == onboarding["id"]
    assert process["prerun"] == {_kickoff(onboarding, "Requested by"): "HR"}
    assert process["progress"] == {"complete": 0, "total": 3, "percent": 0}
    tasks = process["tasks"]["data"]
    assert [task["step_id"] for task in tasks] == [step["id"] for step in onboarding["steps"]]
    assert [task["title"] for task in tasks] == [step["title"] for step in onboarding["steps"]]
    assert {task["status"] for task in tasks} == {"not-started"}
    assert all(RESPONSE_DATE.fullmatch(task["deadline"]) for task in tasks)
    fetched = api.client.get(api.org(f"/runs/{process['id']}"), params={"with": "tasks"}, headers=user_headers)
    conforms("get_process", fetched)
    assert fetched.json()["data"]["tasks"]["data"] == tasks
    listed = api.client.get(api.org(f"/runs/{process['id']}/tasks"), headers=user_headers)
    conforms("list_process_tasks", listed)
    assert [task["id"] for task in listed.json()["data"]] == [task["id"] for task in tasks]


def test_increment_ids_count_up(api, user_headers, onboarding):
    first = _launch(api, user_headers, onboarding).json()["data"]["increment_id"]
    second = _launch(api, user_headers, onboarding).json()["data"]["increment_id"]
    assert second == first + 1


def test_kickoff_fields_are_validated_by_id(api, user_headers, onboarding, conforms):
    unknown = "f" * 32
    response = api.client.post(
        api.org("/runs"), json={"checklist_id": onboarding["id"], "prerun": {unknown: "x"}}, headers=user_headers
    )
    assert response.status_code == 422
    conforms("launch_process", response)
    errors = response.json()["errors"]
    required = _kickoff(onboarding, "Requested by")
    # The unknown id is named, and so is the required field that was left out.
    assert set(errors) == {f"prerun.{unknown}", f"prerun.{required}"}
    assert errors[f"prerun.{required}"] == ["The Requested by field is required."]


def test_kickoff_date_fields_take_request_dates(api, user_headers, onboarding):
    due = _kickoff(onboarding, "Due date")
    good = _launch(
        api, user_headers, onboarding, prerun={_kickoff(onboarding, "Requested by"): "HR", due: "2023-05-15 14:30:00"}
    )
    assert good.json()["data"]["prerun"][due] == "2023-05-15T14:30:00.000Z"
    bad = _launch(
        api, user_headers, onboarding, prerun={_kickoff(onboarding, "Requested by"): "HR", due: "2023-15-05 14:30:00"}
    )
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == [f"prerun.{due}"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "checklist_id"),
        ({"checklist_id": "nope"}, "checklist_id"),
        ({"checklist_id": "0" * 32}, "checklist_id"),
        ({"checklist_id": None}, "checklist_id"),
        ({"name": 3}, "name"),
        ({"owner_id": "me"}, "owner_id"),
        ({"prerun": []}, "prerun"),
        ({"tags": "a,b"}, "tags"),
        ({"users": ["1"]}, "users.0"),
    ],
)
def test_invalid_launch_bodies_are_422_naming_the_field(api, user_headers, onboarding, body, field):
    payload = {"checklist_id": onboarding["id"], "prerun": {_kickoff(onboarding, "Requested by"): "HR"}, **body}
    if not body:
        payload.pop("checklist_id")
    response = api.client.post(api.org("/runs"), json=payload, headers=user_headers)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


def test_an_archived_blueprint_cannot_be_launched(api, user_headers):
    archived = api.client.get(api.org("/checklists"), params={"archived": "true"}, headers=user_headers).json()
    response = api.client.post(api.org("/runs"), json={"checklist_id": archived["data"][0]["id"]}, headers=user_headers)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["checklist_id"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-15 14:30:00", "2023-05-15T14:30:00.000Z"),  # Y-m-d H:i:s
        ("2023-05-15T14:30:00Z", "2023-05-15T14:30:00.000Z"),  # ISO with a zone, as Tallyfy's examples send
        ("2023-05-15T16:30:00+02:00", "2023-05-15T14:30:00.000Z"),
        ("2023-05-15T14:30:00.250Z", "2023-05-15T14:30:00.000Z"),
    ],
)
def test_task_deadlines_accept_the_seed_format_and_zoned_iso(api, user_headers, onboarding, value, expected):
    step_id = onboarding["steps"][0]["id"]
    response = _launch(api, user_headers, onboarding, tasks={step_id: {"deadline": value}})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["tasks"]["data"][0]["deadline"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-15-05 14:30:00",  # day-first (a superseded guide text): "month" 15 does not exist
        "2023-05-15T14:30:00",  # ISO without a zone (Python's isoformat() of a naive datetime)
        "2023-15-05",
        "15/05/2023 14:30",
        "2023-30-02 10:00:00",  # 2 February... in the 30th month
        "2023-02-31 10:00:00",  # 31 February
        "",
        "tomorrow",
        1684161000,
    ],
)
def test_other_date_formats_are_422_naming_the_field(api, user_headers, onboarding, conforms, value):
    step_id = onboarding["steps"][0]["id"]
    response = _launch(api, user_headers, onboarding, tasks={step_id: {"deadline": value}})
    assert response.status_code == 422
    conforms("launch_process", response)
    assert list(response.json()["errors"]) == [f"tasks.{step_id}.deadline"]
    assert "Y-m-d H:i:s" in response.json()["errors"][f"tasks.{step_id}.deadline"][0]


def test_unknown_step_ids_in_task_settings_are_422(api, user_headers, onboarding):
    response = _launch(api, user_headers, onboarding, tasks={"a" * 32: {"deadline": "2023-05-15 14:30:00"}})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [f"tasks.{'a' * 32}"]


def test_form_fields_persist_and_required_ones_block_completion(api, user_headers, onboarding, conforms):
    process = _launch(api, user_headers, onboarding).json()["data"]
    run = f"/runs/{process['id']}"
    first_task = process["tasks"]["data"][0]
    captures = {capture["label"]: capture["id"] for capture in onboarding["steps"][0]["captures"]}
    refused = api.client.post(
        api.org(run + "/completed-tasks"), json={"task_id": first_task["id"]}, headers=user_headers
    )
    assert refused.status_code == 422
    conforms("complete_task", refused)
    assert refused.json()["errors"] == {f"taskdata.{captures['Employee ID']}": ["The Employee ID field is required."]}
    updated = api.client.put(
        api.org(f"{run}/tasks/{first_task['id']}"),
        json={"taskdata": {captures["Employee ID"]: "E-42"}},
        headers=user_headers,
    )
    conforms("update_process_task", updated)
    assert updated.json()["data"]["taskdata"] == {captures["Employee ID"]: "E-42"}
    assert updated.json()["data"]["status"] == "in-progress"
    api.client.put(
        api.org(f"{run}/tasks/{first_task['id']}"), json={"taskdata": {captures["Notes"]: "n"}}, headers=user_headers
    )
    stored = api.client.get(api.org(f"/tasks/{first_task['id']}"), headers=user_headers)
    conforms("get_task", stored)
    assert stored.json()["data"]["taskdata"] == {captures["Employee ID"]: "E-42", captures["Notes"]: "n"}
    done = api.client.post(api.org(run + "/completed-tasks"), json={"task_id": first_task["id"]}, headers=user_headers)
    assert done.status_code == 200
    conforms("complete_task", done)
    assert done.json()["data"]["status"] == "completed"
    assert RESPONSE_DATE.fullmatch(done.json()["data"]["completed_at"])


def test_unknown_capture_ids_and_wrong_types_in_taskdata_are_422(api, user_headers, onboarding):
    process = _launch(api, user_headers, onboarding).json()["data"]
    task = process["tasks"]["data"][1]  # "Set up accounts": one email capture
    capture = onboarding["steps"][1]["captures"][0]["id"]
    path = api.org(f"/runs/{process['id']}/tasks/{task['id']}")
    unknown = api.client.put(path, json={"taskdata": {"b" * 32: "x"}}, headers=user_headers)
    assert list(unknown.json()["errors"]) == [f"taskdata.{'b' * 32}"]
    not_email = api.client.put(path, json={"taskdata": {capture: "not an email"}}, headers=user_headers)
    assert list(not_email.json()["errors"]) == [f"taskdata.{capture}"]
    wrong_type = api.client.put(path, json={"taskdata": {capture: 5}}, headers=user_headers)
    assert list(wrong_type.json()["errors"]) == [f"taskdata.{capture}"]
    bad_deadline = api.client.put(path, json={"deadline": "2023-05-15T14:30:00"}, headers=user_headers)
    assert list(bad_deadline.json()["errors"]) == ["deadline"]


def test_completing_the_last_task_completes_the_process_and_reopening_reverts_it(api, user_headers, conforms):
    listing = api.client.get(api.org("/checklists"), params={"q": "Bug triage"}, headers=user_headers)
    blueprint_id = listing.json()["data"][0]["id"]
    process = api.client.post(api.org("/runs"), json={"checklist_id": blueprint_id}, headers=user_headers).json()[
        "data"
    ]
    run = f"/runs/{process['id']}"
    task_ids = [task["id"] for task in process["tasks"]["data"]]
    for task_id in task_ids:
        assert api.client.get(api.org(run), headers=user_headers).json()["data"]["status"] == "active"
        response = api.client.post(api.org(run + "/completed-tasks"), json={"task_id": task_id}, headers=user_headers)
        assert response.status_code == 200
    finished = api.client.get(api.org(run), headers=user_headers).json()["data"]
    assert finished["status"] == "complete"
    assert RESPONSE_DATE.fullmatch(finished["completed_at"])
    assert finished["progress"] == {"complete": 2, "total": 2, "percent": 100}
    reopened = api.client.delete(api.org(f"{run}/completed-tasks/{task_ids[0]}"), headers=user_headers)
    conforms("reopen_task", reopened)
    assert reopened.json()["data"]["status"] == "not-started"
    assert reopened.json()["data"]["completed_at"] is None
    again = api.client.get(api.org(run), headers=user_headers).json()["data"]
    assert (again["status"], again["completed_at"]) == ("active", None)


def test_completing_a_task_of_another_process_is_422(api, user_headers, onboarding):
    one = _launch(api, user_headers, onboarding).json()["data"]
    other = _launch(api, user_headers, onboarding).json()["data"]
    response = api.client.post(
        api.org(f"/runs/{one['id']}/completed-tasks"),
        json={"task_id": other["tasks"]["data"][2]["id"]},
        headers=user_headers,
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["task_id"]
    missing = api.client.put(
        api.org(f"/runs/{one['id']}/tasks/{other['tasks']['data'][0]['id']}"), json={}, headers=user_headers
    )
    assert missing.status_code == 404


def test_update_archive_and_activate_a_process(api, user_headers, onboarding, conforms):
    process = _launch(api, user_headers, onboarding).json()["data"]
    path = api.org(f"/runs/{process['id']}")
    updated = api.client.put(path, json={"name": "Renamed run", "starred": True, "tags": ["t1"]}, headers=user_headers)
    conforms("update_process", updated)
    assert (updated.json()["data"]["name"], updated.json()["data"]["starred"]) == ("Renamed run", True)
    archived = api.client.delete(path, headers=user_headers)
    conforms("archive_process", archived)
    assert archived.json()["data"]["status"] == "archived"
    active_ids = [
        run["id"]
        for run in api.client.get(api.org("/runs"), params={"per_page": 100}, headers=user_headers).json()["data"]
    ]
    assert process["id"] not in active_ids
    archived_ids = [
        run["id"]
        for run in api.client.get(api.org("/runs"), params={"status": "archived"}, headers=user_headers).json()["data"]
    ]
    assert process["id"] in archived_ids
    activated = api.client.put(path + "/activate", headers=user_headers)
    conforms("activate_process", activated)
    assert activated.json()["data"]["status"] == "active"
    assert activated.json()["data"]["archived_at"] is None


def test_process_list_filters(api, user_headers, onboarding, conforms):
    _launch(api, user_headers, onboarding, name="Findable zebra run")
    response = api.client.get(api.org("/runs"), params={"q": "ZEBRA"}, headers=user_headers)
    conforms("list_processes", response)
    assert [run["name"] for run in response.json()["data"]] == ["Findable zebra run"]
    complete = api.client.get(api.org("/runs"), params={"status": "complete"}, headers=user_headers).json()["data"]
    assert complete
    assert {run["status"] for run in complete} == {"complete"}
    by_blueprint = api.client.get(
        api.org("/runs"), params={"checklist_id": onboarding["id"], "per_page": 100}, headers=user_headers
    )
    assert {run["checklist_id"] for run in by_blueprint.json()["data"]} == {onboarding["id"]}
    bad = api.client.get(api.org("/runs"), params={"checklist_id": "xyz"}, headers=user_headers)
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["checklist_id"]


def test_one_off_tasks(api, user_headers, conforms):
    created = api.client.post(
        api.org("/tasks"),
        json={
            "title": "Call the bank",
            "deadline": "2031-02-28 09:00:00",
            "owners": {"users": [api.credentials.user_id]},
        },
        headers=user_headers,
    )
    assert created.status_code == 201
    conforms("create_oneoff_task", created)
    task = created.json()["data"]
    assert (task["run_id"], task["step_id"], task["is_oneoff_task"]) == (None, None, True)
    assert task["deadline"] == "2031-02-28T09:00:00.000Z"
    assert task["owners"] == {"users": [api.credentials.user_id], "groups": [], "guests": []}
    conforms("get_task", api.client.get(api.org(f"/tasks/{task['id']}"), headers=user_headers))
    for body, field in (
        ({}, "title"),
        ({"title": "x", "owners": {"users": [1]}}, "owners.users"),
        ({"title": "x", "owners": {"guests": ["not-an-email"]}}, "owners.guests.0"),
        ({"title": "x", "deadline": "2031-02-28"}, "deadline"),
    ):
        response = api.client.post(api.org("/tasks"), json=body, headers=user_headers)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]


def test_org_task_list_filters_by_status_and_deadline(api, user_headers, conforms):
    api.client.post(
        api.org("/tasks"), json={"title": "Due in 2040", "deadline": "2040-06-01 12:00:00"}, headers=user_headers
    )
    window = {"deadline_start_range": "2040-06-01", "deadline_end_range": "2040-06-02"}
    response = api.client.get(api.org("/tasks"), params=window, headers=user_headers)
    conforms("list_org_tasks", response)
    assert [task["title"] for task in response.json()["data"]] == ["Due in 2040"]
    completed = api.client.get(api.org("/tasks"), params={"status": "completed", "per_page": 100}, headers=user_headers)
    assert completed.json()["data"]
    assert {task["status"] for task in completed.json()["data"]} == {"completed"}
    bad = api.client.get(
        api.org("/tasks"), params={"deadline_start_range": "2040-06-01T00:00:00"}, headers=user_headers
    )
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["deadline_start_range"]
