"""Operations only Tallyfy's CLI, SDK, n8n node, MCP server, Power Platform connector or secondary doc pages show:
custom fields, the connector's routes, the process-task routes, served statefully by the same rules."""

from __future__ import annotations


def _process(api, headers):
    blueprints = api.client.get(api.org("/checklists"), params={"q": "Bug triage"}, headers=headers).json()["data"]
    launched = api.client.post(api.org("/runs"), json={"checklist_id": blueprints[0]["id"]}, headers=headers)
    assert launched.status_code == 201, launched.text
    return launched.json()["data"]


def test_custom_field_values_on_a_process(api, user_headers, conforms):
    process = _process(api, user_headers)
    values = api.org(f"/runs/{process['id']}/custom-fields")
    keys = api.org("/custom-field-keys")
    for key, required in (("cost_center", False), ("priority", True)):
        body = {"key": key, "applies_to": "process", "field_type": "text", "is_required": required}
        created = api.client.post(keys, json=body, headers=user_headers)
        conforms("create_custom_field_key", created)
        assert created.status_code == 201
    taken = api.client.post(
        keys, json={"key": "priority", "applies_to": "process", "field_type": "text"}, headers=user_headers
    )
    assert list(taken.json()["errors"]) == ["key"]
    listed = api.client.get(keys, params={"applies_to": "process"}, headers=user_headers)
    conforms("list_custom_field_keys", listed)
    assert {key["key"] for key in listed.json()["data"]} >= {"cost_center", "priority"}

    missing = api.client.put(values, json={"custom_fields": {"cost_center": "CC-1"}}, headers=user_headers)
    assert missing.json()["errors"] == {"custom_fields.priority": ["The custom_fields.priority field is required."]}
    unknown = api.client.put(values, json={"custom_fields": {"priority": "High", "nope": 1}}, headers=user_headers)
    assert list(unknown.json()["errors"]) == ["custom_fields.nope"]
    saved = api.client.put(
        values, json={"custom_fields": {"priority": "High", "cost_center": "CC-1"}}, headers=user_headers
    )
    conforms("set_process_custom_fields", saved)
    patched = api.client.patch(values + "/priority", json={"value": "Low"}, headers=user_headers)
    conforms("patch_process_custom_field", patched)
    assert patched.json()["data"]["custom_fields"] == {"priority": "Low", "cost_center": "CC-1"}
    removed = api.client.delete(values + "/cost_center", headers=user_headers)
    assert removed.status_code == 204
    read = api.client.get(values, headers=user_headers)
    conforms("get_process_custom_fields", read)
    assert read.json()["data"]["custom_fields"] == {"priority": "Low"}
    assert api.client.delete(values + "/cost_center", headers=user_headers).status_code == 404


def test_a_process_task_by_its_process_and_reopened_by_either_method(api, user_headers, conforms):
    process = _process(api, user_headers)
    task = process["tasks"]["data"][0]
    one = api.client.get(api.org(f"/runs/{process['id']}/tasks/{task['id']}"), headers=user_headers)
    conforms("get_process_task", one)
    assert one.json()["data"]["id"] == task["id"]
    completed = api.org(f"/runs/{process['id']}/completed-tasks")
    for method in ("DELETE", "POST"):  # Tallyfy's docs and clients send DELETE; the 2021 connector POST
        done = api.client.post(completed, json={"task_id": task["id"]}, headers=user_headers)
        assert done.json()["data"]["status"] == "completed"
        reopened = api.client.request(method, f"{completed}/{task['id']}", headers=user_headers)
        conforms("reopen_task" if method == "DELETE" else "reopen_task_by_post", reopened)
        assert reopened.json()["data"]["status"] != "completed"


def test_the_connector_routes_create_and_edit_one_off_tasks(api, user_headers, conforms):
    base = api.org().replace("/organizations/", "/processes/micro-functions/organizations/")
    me = api.credentials.user_id
    body = {"name": "Call back", "task_type": "task", "deadline": "2030-05-15 17:00:00", "owners": {"users": [me]}}
    created = api.client.post(base + "/tasks", json=body, headers=user_headers)
    conforms("create_task_micro", created)
    task = created.json()["data"]
    assert (task["title"], task["deadline"]) == ("Call back", "2030-05-15T17:00:00.000Z")
    day_first = api.client.put(
        base + f"/tasks/{task['id']}/edit-deadline", json={"Deadline": "2030-15-05 17:00:00"}, headers=user_headers
    )
    assert list(day_first.json()["errors"]) == ["Deadline"]
    moved = api.client.put(
        base + f"/tasks/{task['id']}/edit-deadline", json={"Deadline": "2030-06-01T09:00:00Z"}, headers=user_headers
    )
    conforms("edit_task_deadline_micro", moved)
    assert moved.json()["data"]["deadline"] == "2030-06-01T09:00:00.000Z"
    mine = api.client.get(api.org(f"/users/{me}/tasks"), params={"per_page": 100}, headers=user_headers)
    conforms("list_user_tasks", mine)
    assert task["id"] in {item["id"] for item in mine.json()["data"]}
    unassigned = api.client.put(base + f"/tasks/{task['id']}/remove-assignee/{me}", headers=user_headers)
    conforms("remove_task_assignee_micro", unassigned)
    assert unassigned.json()["data"]["owners"]["users"] == []
    mine = api.client.get(api.org(f"/users/{me}/tasks"), params={"per_page": 100}, headers=user_headers)
    assert task["id"] not in {item["id"] for item in mine.json()["data"]}


def test_another_organizations_custom_fields_are_out_of_reach(api, user_headers):
    foreign = api.credentials.foreign_org_id
    response = api.client.get(api.org("/custom-field-keys", org_id=foreign), headers=user_headers)
    assert response.status_code == 403


def test_a_one_off_task_takes_description_or_summary(api, user_headers, conforms):
    """Tallyfy's create-task page sends `description`, the SDK `summary`: the sandbox reads both."""
    for name in ("description", "summary"):
        body = {"title": f"Text as {name}", name: "Bring the keys", "deadline": "2030-05-15T17:00:00Z"}
        created = api.client.post(api.org("/tasks"), json=body, headers=user_headers)
        conforms("create_oneoff_task", created)
        assert created.json()["data"]["summary"] == "Bring the keys"
    wrong = api.client.post(api.org("/tasks"), json={"title": "x", "max_assignable": "two"}, headers=user_headers)
    assert list(wrong.json()["errors"]) == ["max_assignable"]
