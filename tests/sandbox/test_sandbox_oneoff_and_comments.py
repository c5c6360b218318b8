"""One-off tasks beyond creation, the current user's tasks, comments and problem threads (real HTTP)."""

from __future__ import annotations

from sandbox_helpers import is_utc_iso


def _oneoff(api, headers, **extra):
    return api.client.post(api.org("/tasks"), json={"title": "One-off", **extra}, headers=headers).json()["data"]


def _process_task(api, headers):
    listing = api.client.get(api.org("/checklists"), params={"q": "Bug triage"}, headers=headers)
    run = api.client.post(api.org("/runs"), json={"checklist_id": listing.json()["data"][0]["id"]}, headers=headers)
    return run.json()["data"], run.json()["data"]["tasks"]["data"][0]


def test_update_complete_and_reopen_a_one_off_task(api, user_headers, conforms):
    task = _oneoff(api, user_headers)
    path = api.org(f"/tasks/{task['id']}")
    updated = api.client.put(
        path,
        json={"title": "Renamed", "deadline": "2030-01-15 10:00:00", "taskdata": {"note": "x"}},
        headers=user_headers,
    )
    conforms("update_oneoff_task", updated)
    data = updated.json()["data"]
    assert (data["title"], data["deadline"], data["taskdata"]) == ("Renamed", "2030-01-15T10:00:00.000Z", {"note": "x"})
    done = api.client.post(api.org("/completed-tasks"), json={"task_id": task["id"]}, headers=user_headers)
    conforms("complete_oneoff_task", done)
    assert done.json()["data"]["status"] == "completed"
    reopened = api.client.delete(api.org(f"/completed-tasks/{task['id']}"), headers=user_headers)
    conforms("reopen_oneoff_task", reopened)
    assert reopened.json()["data"]["completed_at"] is None


def test_one_off_operations_refuse_tasks_of_processes(api, user_headers):
    _process, task = _process_task(api, user_headers)
    assert api.client.put(api.org(f"/tasks/{task['id']}"), json={"title": "x"}, headers=user_headers).status_code == 422
    assert api.client.delete(api.org(f"/tasks/{task['id']}"), headers=user_headers).status_code == 422
    assert api.client.delete(api.org(f"/tasks/{task['id']}/delete"), headers=user_headers).status_code == 422
    completed = api.client.post(api.org("/completed-tasks"), json={"task_id": task["id"]}, headers=user_headers)
    assert list(completed.json()["errors"]) == ["task_id"]
    assert api.client.delete(api.org(f"/completed-tasks/{task['id']}"), headers=user_headers).status_code == 404


def test_archive_hides_and_delete_removes_a_one_off_task(api, user_headers):
    archived = _oneoff(api, user_headers, title="to archive")
    response = api.client.delete(api.org(f"/tasks/{archived['id']}"), headers=user_headers)
    assert (response.status_code, response.content) == (204, b"")
    listed = api.client.get(api.org("/tasks"), params={"per_page": 100}, headers=user_headers).json()["data"]
    assert archived["id"] not in {task["id"] for task in listed}
    assert api.client.get(api.org(f"/tasks/{archived['id']}"), headers=user_headers).status_code == 404
    deleted = _oneoff(api, user_headers, title="to delete")
    assert api.client.delete(api.org(f"/tasks/{deleted['id']}/delete"), headers=user_headers).status_code == 204
    assert api.client.get(api.org(f"/tasks/{deleted['id']}"), headers=user_headers).status_code == 404


def test_my_tasks_are_the_ones_assigned_to_me(api, user_headers, conforms):
    mine = _oneoff(api, user_headers, title="mine")
    teammate = next(user.id for user in api.sandbox.app.store.users.values() if user.last_name == "Teammate")
    theirs = _oneoff(api, user_headers, title="theirs", owners={"users": [teammate]})
    response = api.client.get(api.org("/me/tasks"), params={"per_page": 100}, headers=user_headers)
    conforms("list_my_tasks", response)
    ids = {task["id"] for task in response.json()["data"]}
    assert mine["id"] in ids
    assert theirs["id"] not in ids
    open_only = api.client.get(
        api.org("/me/tasks"), params={"status": "completed", "per_page": 100}, headers=user_headers
    )
    assert {task["status"] for task in open_only.json()["data"]} <= {"completed"}


def test_comments_problems_and_resolution(api, user_headers, conforms):
    process, task = _process_task(api, user_headers)
    base = api.org(f"/tasks/{task['id']}")
    comment = api.client.post(base + "/comment", json={"content": "Looks good"}, headers=user_headers)
    assert comment.status_code == 201
    conforms("comment_on_task", comment)
    assert comment.json()["data"]["author_id"] == api.credentials.user_id
    problem = api.client.post(base + "/problem", json={"content": "Blocked"}, headers=user_headers)
    conforms("report_task_problem", problem)
    thread_id = problem.json()["data"]["id"]
    not_a_problem = api.client.post(
        base + "/resolved-threads", json={"thread_id": comment.json()["data"]["id"]}, headers=user_headers
    )
    assert list(not_a_problem.json()["errors"]) == ["thread_id"]
    resolved = api.client.post(base + "/resolved-threads", json={"thread_id": thread_id}, headers=user_headers)
    conforms("resolve_task_problem", resolved)
    assert resolved.json()["data"]["state"] == "resolved"
    assert is_utc_iso(resolved.json()["data"]["resolved_at"])
    twice = api.client.post(base + "/resolved-threads", json={"thread_id": thread_id}, headers=user_headers)
    assert twice.status_code == 422
    empty = api.client.post(base + "/comment", json={"content": ""}, headers=user_headers)
    assert list(empty.json()["errors"]) == ["content"]
    feed = api.client.get(api.org("/activity-feeds"), params={"entity_id": process["id"]}, headers=user_headers)
    assert ["commented"] in [entry["verb"] for entry in feed.json()["data"]]


def test_deleting_a_process_needs_it_archived_first(api, user_headers, conforms):
    process, _task = _process_task(api, user_headers)
    path = api.org(f"/runs/{process['id']}")
    assert api.client.delete(path + "/delete", headers=user_headers).status_code == 422
    api.client.delete(path, headers=user_headers)
    deleted = api.client.delete(path + "/delete", headers=user_headers)
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert api.client.get(path, headers=user_headers).status_code == 404
