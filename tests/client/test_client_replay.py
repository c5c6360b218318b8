"""Regression tests replayed from cassettes recorded against the sandbox (`nox -s record` re-records them).

Each test runs the same code in both modes: while recording it talks to a fresh sandbox (fixed seed, fixed
clock); while replaying, vcr answers from tests/cassettes and the body matcher fails the test if the client
sends anything different (another grant, another date format).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
from client_helpers import RECORDING_EPOCH
from tallyfy_client.api.blueprints import get_blueprint, list_blueprints
from tallyfy_client.api.identity import get_me
from tallyfy_client.api.processes import launch_process
from tallyfy_client.api.tasks import complete_task, list_process_tasks, reopen_task
from tallyfy_client.models.process_launch import ProcessLaunch
from tallyfy_client.models.process_launch_prerun import ProcessLaunchPrerun
from tallyfy_client.models.process_launch_task import ProcessLaunchTask
from tallyfy_client.models.process_launch_tasks import ProcessLaunchTasks
from tallyfy_client.models.task_completion import TaskCompletion

from tallyfy_diag.client import (
    ClientCredentials,
    PasswordGrant,
    Tallyfy,
    UserContextRequiredError,
    ValidationError,
    parse_response_date,
    request_date,
)

pytestmark = pytest.mark.vcr


def record_sent(tf: Tallyfy) -> list[httpx.Request]:
    """Every request the client hands to its transport, token requests included."""
    sent: list[httpx.Request] = []
    tf.http.event_hooks["request"].append(sent.append)
    return sent


def grants(sent: list[httpx.Request]) -> list[str]:
    return [parse_qs(r.content.decode())["grant_type"][0] for r in sent if r.url.path.endswith("/oauth/token")]


def api_paths(sent: list[httpx.Request]) -> list[str]:
    return [r.url.path for r in sent if not r.url.path.endswith("/oauth/token")]


def test_password_grant_login(target):
    tf = target.tallyfy(target.password_grant())
    sent = record_sent(tf)
    me = tf.call(get_me)
    assert me.data.email == target.credentials.username
    assert me.data.id == target.credentials.user_id
    assert grants(sent) == ["password"]


def test_refresh_after_expiry(target):
    tf = target.tallyfy(target.password_grant())
    sent = record_sent(tf)
    tf.call(get_me)
    target.clock.advance(3600)  # client and server agree the token has expired
    tf.call(get_me)
    assert grants(sent) == ["password", "refresh_token"]
    assert api_paths(sent) == ["/api/me", "/api/me"]  # refreshed before sending: no 401 needed


def test_refresh_after_401(target):
    tf = target.tallyfy(target.password_grant())
    sent = record_sent(tf)
    tf.call(get_me)
    target.advance_server_clock(7200)  # only the server knows the token expired
    me = tf.call(get_me)
    assert me.data.id == target.credentials.user_id
    assert grants(sent) == ["password", "refresh_token"]
    assert api_paths(sent) == ["/api/me", "/api/me", "/api/me"]  # 200, 401, then 200 after one refresh


def test_client_credentials_on_a_user_endpoint(target):
    c = target.credentials
    app = ClientCredentials(c.app_client_id, c.app_client_secret)
    checked = target.tallyfy(app)
    with pytest.raises(UserContextRequiredError) as before:
        checked.call(get_me)
    assert before.value.status is None  # refused before sending, from the spec's x-requires-user
    unchecked = target.tallyfy(app, check_user_context=False)
    sent = record_sent(unchecked)
    with pytest.raises(UserContextRequiredError) as after:
        unchecked.call(get_me)
    assert after.value.status == 401
    assert "PasswordGrant" in after.value.next_step
    assert grants(sent) == ["client_credentials"]
    assert api_paths(sent) == ["/api/me"]  # a new token that is refused is not refreshed in a loop


def test_blueprints_listed_across_several_pages(target):
    tf = target.tallyfy(target.password_grant())
    sent = record_sent(tf)
    titles = [blueprint.title for blueprint in tf.paginate(list_blueprints, per_page=5)]
    assert len(titles) == 12
    assert len(set(titles)) == 12
    assert "Employee onboarding" in titles
    pages = [r.url.params["page"] for r in sent if r.url.path.endswith("/checklists")]
    assert pages == ["1", "2", "3"]


def _onboarding(tf: Tallyfy):
    first_page = tf.call(list_blueprints, per_page=1)
    return tf.call(get_blueprint, checklist_id=first_page.data[0].id, with_="prerun,steps").data


def test_process_launched_with_kickoff_values_and_a_deadline(target):
    tf = target.tallyfy(target.password_grant())
    sent = record_sent(tf)
    blueprint = _onboarding(tf)
    requested_by, due_date = blueprint.prerun
    first_step = blueprint.steps[0]
    deadline = datetime(2024, 5, 20, 17, 0, tzinfo=UTC)
    prerun = ProcessLaunchPrerun()
    prerun[requested_by.id] = "People team"
    prerun[due_date.id] = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)  # a datetime: the client formats it
    tasks = ProcessLaunchTasks()
    tasks[first_step.id] = ProcessLaunchTask(deadline=request_date(deadline))
    body = ProcessLaunch(checklist_id=blueprint.id, name="Onboarding - Jane Doe", prerun=prerun, tasks=tasks)
    process = tf.call(launch_process, body=body).data

    (launch,) = [r for r in sent if r.method == "POST" and r.url.path.endswith("/runs")]
    wire = json.loads(launch.content)
    assert wire["tasks"][first_step.id]["deadline"] == "2024-05-20 17:00:00"  # Y-m-d H:i:s
    assert wire["prerun"][due_date.id] == "2024-06-03 09:30:00"
    assert wire["prerun"][requested_by.id] == "People team"
    assert process.name == "Onboarding - Jane Doe"
    assert process.prerun[requested_by.id] == "People team"
    # The server read the month before the day: the dates come back as the same moments.
    assert parse_response_date(process.prerun[due_date.id]) == datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    launched_task = next(t for t in process.tasks.data if t.step_id == first_step.id)
    assert launched_task.deadline == deadline


def test_task_completed_and_reopened(target):
    tf = target.tallyfy(target.password_grant())
    blueprint = tf.call(list_blueprints, per_page=2).data[1]  # no required form fields on its steps
    process = tf.call(launch_process, body=ProcessLaunch(checklist_id=blueprint.id)).data
    task = tf.call(list_process_tasks, run_id=process.id).data[0]
    assert task.status != "completed"
    completed = tf.call(complete_task, run_id=process.id, body=TaskCompletion(task_id=task.id)).data
    assert completed.status == "completed"
    assert completed.completed_at == datetime.fromtimestamp(RECORDING_EPOCH, UTC)  # the recording's clock
    reopened = tf.call(reopen_task, run_id=process.id, task_id=task.id).data
    assert reopened.status != "completed"
    assert reopened.completed_at is None


def test_validation_error_422(target):
    tf = target.tallyfy(target.password_grant())
    blueprint = _onboarding(tf)
    tasks = ProcessLaunchTasks()
    # An ISO date without a zone, as generated clients send by default: Tallyfy cannot read it.
    tasks[blueprint.steps[0].id] = ProcessLaunchTask(deadline="2024-05-20T17:00:00")
    with pytest.raises(ValidationError) as caught:
        tf.call(launch_process, body=ProcessLaunch(checklist_id=blueprint.id, tasks=tasks))
    error = caught.value
    assert error.status == 422
    assert error.request_id
    fields = set(error.field_errors)
    assert any("deadline" in field for field in fields)
    assert any(field.startswith("prerun") for field in fields)  # the required kick-off field is missing
    assert "fix these fields" in error.next_step


@pytest.mark.sandbox_config(rate_limit=3)
def test_rate_limited_then_success(target):
    tf = target.tallyfy(PasswordGrant(**_password_fields(target)))
    sent = record_sent(tf)
    for _ in range(4):  # the organization's budget is 3 a minute: the 4th call gets 429, then succeeds
        assert tf.call(list_blueprints, per_page=1).data
    assert len(target.sleeper.delays) == 1
    assert 0 < target.sleeper.delays[0] <= 60  # the server's Retry-After, honoured
    assert len([p for p in api_paths(sent) if p.endswith("/checklists")]) == 5


def _password_fields(target) -> dict[str, str]:
    c = target.credentials
    return {"client_id": c.client_id, "client_secret": c.client_secret, "username": c.username, "password": c.password}
