"""Blueprint lifecycle and form fields, files, tags, folders, search and the activity feed (real HTTP)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def onboarding(api, user_headers):
    listing = api.client.get(api.org("/checklists"), params={"q": "Employee onboarding"}, headers=user_headers)
    blueprint_id = listing.json()["data"][0]["id"]
    path = api.org(f"/checklists/{blueprint_id}")
    return api.client.get(path, params={"with": "steps,prerun"}, headers=user_headers).json()["data"]


def test_clone_publish_archive_and_delete_a_blueprint(api, user_headers, conforms):
    listing = api.client.get(api.org("/checklists"), params={"q": "Employee onboarding"}, headers=user_headers)
    source_id = listing.json()["data"][0]["id"]
    cloned = api.client.post(api.org(f"/checklists/{source_id}/clone"), json={"title": "Cloned"}, headers=user_headers)
    assert cloned.status_code == 201
    conforms("clone_blueprint", cloned)
    copy_id = cloned.json()["data"]["id"]
    path = api.org(f"/checklists/{copy_id}")
    source = api.client.get(api.org(f"/checklists/{source_id}"), params={"with": "steps,prerun"}, headers=user_headers)
    copy = api.client.get(path, params={"with": "steps,prerun"}, headers=user_headers).json()["data"]
    source_steps = source.json()["data"]["steps"]
    assert [step["title"] for step in copy["steps"]] == [step["title"] for step in source_steps]
    assert not {step["id"] for step in copy["steps"]} & {step["id"] for step in source_steps}
    assert len(copy["prerun"]) == len(source.json()["data"]["prerun"])
    into_second = api.client.post(
        api.org(f"/checklists/{source_id}/clone"), json={"tenant": api.credentials.second_org_id}, headers=user_headers
    )
    assert into_second.status_code == 201
    foreign = api.client.post(
        api.org(f"/checklists/{source_id}/clone"), json={"tenant": api.credentials.foreign_org_id}, headers=user_headers
    )
    assert list(foreign.json()["errors"]) == ["tenant"]
    conforms("publish_blueprint", api.client.put(path + "/publish", headers=user_headers))
    active = api.client.delete(path + "/delete", headers=user_headers)
    assert active.status_code == 422  # only an archived blueprint can be deleted
    api.client.delete(path, headers=user_headers)
    assert api.client.put(path + "/publish", headers=user_headers).status_code == 422
    deleted = api.client.delete(path + "/delete", headers=user_headers)
    conforms("delete_blueprint", deleted)
    assert "deleted" in deleted.json()["message"]
    assert api.client.get(path, headers=user_headers).status_code == 404


def test_processes_outlive_their_deleted_blueprint(api, user_headers):
    created = api.client.post(api.org("/checklists"), json={"title": "Short-lived"}, headers=user_headers).json()[
        "data"
    ]
    path = api.org(f"/checklists/{created['id']}")
    run = api.client.post(api.org("/runs"), json={"checklist_id": created["id"]}, headers=user_headers).json()["data"]
    api.client.delete(path, headers=user_headers)
    api.client.delete(path + "/delete", headers=user_headers)
    assert api.client.get(api.org(f"/runs/{run['id']}"), headers=user_headers).status_code == 200


def test_form_fields_of_a_blueprint(api, app_headers, onboarding, conforms):
    response = api.client.get(api.org(f"/checklists/{onboarding['id']}/form-fields"), headers=app_headers)
    conforms("list_blueprint_form_fields", response)
    assert [field["id"] for field in response.json()["data"]["ko_form_fields"]] == [
        field["id"] for field in onboarding["prerun"]
    ]


def test_kickoff_fields_update_reorder_and_delete(api, user_headers, conforms):
    listing = api.client.get(api.org("/checklists"), params={"q": "Employee onboarding"}, headers=user_headers)
    clone = api.client.post(
        api.org(f"/checklists/{listing.json()['data'][0]['id']}/clone"), json={}, headers=user_headers
    )
    blueprint_id = clone.json()["data"]["id"]
    blueprint = api.client.get(api.org(f"/checklists/{blueprint_id}"), params={"with": "prerun"}, headers=user_headers)
    first, second = (field["id"] for field in blueprint.json()["data"]["prerun"])
    path = api.org(f"/checklists/{blueprint_id}/preruns/{second}")
    updated = api.client.put(path, json={"label": "When", "required": True, "position": 1}, headers=user_headers)
    conforms("update_kickoff_field", updated)
    assert (updated.json()["data"]["label"], updated.json()["data"]["required"]) == ("When", True)
    order = api.client.get(api.org(f"/checklists/{blueprint_id}"), params={"with": "prerun"}, headers=user_headers)
    assert [field["id"] for field in order.json()["data"]["prerun"]] == [second, first]
    assert api.client.put(path, json={"position": 0}, headers=user_headers).status_code == 422
    deleted = api.client.delete(path, headers=user_headers)
    assert deleted.status_code == 204
    assert api.client.delete(path, headers=user_headers).status_code == 404


def test_step_captures_crud(api, user_headers, app_headers, onboarding, conforms):
    step = onboarding["steps"][2]  # "Manager approval": no captures yet
    base = api.org(f"/checklists/{onboarding['id']}/steps/{step['id']}/captures")
    created = api.client.post(
        base, json={"label": "Approved budget", "field_type": "text", "required": True}, headers=user_headers
    )
    assert created.status_code == 201
    conforms("create_step_capture", created)
    capture = created.json()["data"]
    assert (capture["alias"], capture["step_id"], capture["required"]) == ("approved-budget", step["id"], True)
    listed = api.client.get(base, headers=app_headers)
    conforms("list_step_captures", listed)
    assert [item["id"] for item in listed.json()["data"]] == [capture["id"]]
    conforms("get_step_capture", api.client.get(f"{base}/{capture['id']}", headers=app_headers))
    updated = api.client.put(f"{base}/{capture['id']}", json={"label": "Budget"}, headers=user_headers)
    conforms("update_step_capture", updated)
    assert updated.json()["data"]["label"] == "Budget"
    missing = api.client.post(base, json={"label": "x"}, headers=user_headers)
    assert list(missing.json()["errors"]) == ["field_type"]
    assert api.client.delete(f"{base}/{capture['id']}", headers=user_headers).status_code == 204
    assert api.client.get(f"{base}/{capture['id']}", headers=app_headers).status_code == 404


def test_file_upload_and_download(api, user_headers, onboarding, conforms):
    run = api.client.get(api.org("/runs"), headers=user_headers).json()["data"][0]
    content = b"\x00\x01binary \xff payload"
    response = api.client.post(
        api.org("/file"),
        files={"name": ("receipt.pdf", content, "application/pdf")},
        data={"subject_type": "Run", "subject_id": run["id"], "uploaded_from": "capture-id"},
        headers=user_headers,
    )
    conforms("upload_file", response)
    asset = response.json()["data"]
    assert asset["filename"] == "receipt.pdf"
    download = api.client.get(api.org(f"/file/{asset['id']}/dl"), headers=user_headers)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.content == content
    assert download.headers["X-Request-Id"]
    missing = api.client.get(api.org("/file/nope/dl"), headers=user_headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize(
    ("data", "files", "fields"),
    [
        ({"subject_type": "Run", "subject_id": "x", "uploaded_from": "y"}, None, {"name", "subject_id"}),
        ({"subject_type": "Planet", "uploaded_from": "y"}, {"name": ("a.txt", b"a")}, {"subject_type", "subject_id"}),
    ],
)
def test_bad_uploads_are_422(api, user_headers, data, files, fields):
    response = api.client.post(
        api.org("/file"), data=data, files=files or {"other": ("x.txt", b"x")}, headers=user_headers
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == fields


def test_a_json_body_on_the_upload_is_422(api, user_headers):
    response = api.client.post(api.org("/file"), json={"name": "x"}, headers=user_headers)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


def test_tags(api, user_headers, conforms):
    created = api.client.post(api.org("/tags"), json={"title": "urgent", "color": "#ff0000"}, headers=user_headers)
    assert created.status_code == 201
    conforms("create_tag", created)
    tag_id = created.json()["data"]["id"]
    conforms("list_tags", api.client.get(api.org("/tags"), params={"q": "URG"}, headers=user_headers))
    conforms("get_tag", api.client.get(api.org(f"/tags/{tag_id}"), headers=user_headers))
    updated = api.client.put(api.org(f"/tags/{tag_id}"), json={"title": "later"}, headers=user_headers)
    conforms("update_tag", updated)
    assert (updated.json()["data"]["title"], updated.json()["data"]["color"]) == ("later", "#ff0000")
    assert api.client.delete(api.org(f"/tags/{tag_id}"), headers=user_headers).status_code == 204
    for body, field in (({"title": "x" * 31}, "title"), ({"title": "x", "color": "red"}, "color"), ({}, "title")):
        response = api.client.post(api.org("/tags"), json=body, headers=user_headers)
        assert list(response.json()["errors"]) == [field]


def test_folders(api, user_headers, conforms):
    parent = api.client.post(api.org("/folders"), json={"name": "Parent"}, headers=user_headers)
    conforms("create_folder", parent)
    parent_id = parent.json()["data"]["id"]
    child = api.client.post(api.org("/folders"), json={"name": "Child", "parent_id": parent_id}, headers=user_headers)
    child_id = child.json()["data"]["id"]
    conforms("list_folders", api.client.get(api.org("/folders"), headers=user_headers))
    conforms("get_folder", api.client.get(api.org(f"/folders/{child_id}"), headers=user_headers))
    renamed = api.client.put(api.org(f"/folders/{child_id}"), json={"name": "Kid"}, headers=user_headers)
    conforms("update_folder", renamed)
    loop = api.client.put(api.org(f"/folders/{child_id}"), json={"parent_id": child_id}, headers=user_headers)
    assert list(loop.json()["errors"]) == ["parent_id"]
    assert api.client.delete(api.org(f"/folders/{parent_id}"), headers=user_headers).status_code == 204
    orphan = api.client.get(api.org(f"/folders/{child_id}"), headers=user_headers).json()["data"]
    assert orphan["parent_id"] is None


def test_search_groups_results_by_type(api, user_headers, conforms):
    response = api.client.get(
        api.org("/search"), params={"on": "blueprint,process,task", "search": "onboarding"}, headers=user_headers
    )
    conforms("search", response)
    results = response.json()
    assert set(results) == {"blueprint", "process", "task"}
    assert {item["title"] for item in results["blueprint"]["data"]} >= {"Employee onboarding", "Customer onboarding"}
    assert all("run_id" not in item for item in results["task"]["data"])
    missing = api.client.get(api.org("/search"), params={"on": "task"}, headers=user_headers)
    assert list(missing.json()["errors"]) == ["search"]


def test_the_activity_feed_follows_what_happens(api, user_headers, onboarding, conforms):
    listing = api.client.get(api.org("/checklists"), params={"q": "Bug triage"}, headers=user_headers)
    run = api.client.post(
        api.org("/runs"), json={"checklist_id": listing.json()["data"][0]["id"]}, headers=user_headers
    )
    run_id = run.json()["data"]["id"]
    task_id = run.json()["data"]["tasks"]["data"][0]["id"]
    api.client.post(api.org(f"/runs/{run_id}/completed-tasks"), json={"task_id": task_id}, headers=user_headers)
    feed = api.client.get(api.org("/activity-feeds"), params={"entity_id": run_id}, headers=user_headers)
    conforms("list_activity_feeds", feed)
    entries = feed.json()["data"]
    assert [entry["verb"] for entry in entries] == [["completed"], ["launched"]]
    assert feed.json()["meta"]["pagination"]["per_page"] == 20
    bad = api.client.get(api.org("/activity-feeds"), params={"created_after": "2024-13-01"}, headers=user_headers)
    assert list(bad.json()["errors"]) == ["created_after"]
