"""The generated client against the sandbox over real HTTP: every operation, parsed into the spec's models.

Parsing is the check: a response that does not match its schema fails in `from_dict`, and an undocumented
status raises (`raise_on_unexpected_status=True`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from tallyfy_client import AuthenticatedClient, Client
from tallyfy_client.api.auth import issue_token
from tallyfy_client.api.blueprints import (
    archive_blueprint,
    create_blueprint,
    get_blueprint,
    get_blueprint_step,
    list_blueprint_steps,
    list_blueprints,
    update_blueprint,
)
from tallyfy_client.api.identity import get_me, get_organization, list_my_organizations
from tallyfy_client.api.processes import (
    activate_process,
    archive_process,
    get_process,
    launch_process,
    list_processes,
    update_process,
)
from tallyfy_client.api.tasks import (
    complete_task,
    create_oneoff_task,
    get_task,
    list_org_tasks,
    list_process_tasks,
    reopen_task,
    update_process_task,
)
from tallyfy_client.models import (
    BlueprintCreate,
    BlueprintUpdate,
    Error,
    OAuthError,
    OneOffTaskCreate,
    PaginationLinks,
    ProcessLaunch,
    ProcessUpdate,
    TaskCompletion,
    TaskUpdate,
    TokenRequest,
    TokenResponse,
    ValidationError,
)

from tallyfy_diag import _spec
from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE

HEADERS = {CLIENT_HEADER: CLIENT_HEADER_VALUE}
CALLED_OPERATIONS: set[str] = set()


def _called(module):
    CALLED_OPERATIONS.add(module.__name__.rsplit(".", 1)[1])
    return module


def _token(sandbox, **fields):
    # issue_token's signature asks for an AuthenticatedClient (its security lists the X-Tallyfy-Client
    # key), but no bearer token exists yet: a plain Client is what a caller really has here.
    with Client(base_url=sandbox.base_url, headers=HEADERS, raise_on_unexpected_status=True) as client:
        return _called(issue_token).sync_detailed(client=client, body=TokenRequest.from_dict(fields))


@pytest.fixture(scope="module")
def user_client(sandbox):
    credentials = sandbox.credentials
    response = _token(
        sandbox,
        grant_type="password",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        username=credentials.username,
        password=credentials.password,
    )
    assert isinstance(response.parsed, TokenResponse)
    with AuthenticatedClient(
        base_url=sandbox.base_url, token=response.parsed.access_token, headers=HEADERS, raise_on_unexpected_status=True
    ) as client:
        yield client


@pytest.fixture(scope="module")
def app_client(sandbox):
    credentials = sandbox.credentials
    response = _token(
        sandbox,
        grant_type="client_credentials",
        client_id=credentials.app_client_id,
        client_secret=credentials.app_client_secret,
    )
    assert isinstance(response.parsed, TokenResponse)
    with AuthenticatedClient(
        base_url=sandbox.base_url, token=response.parsed.access_token, headers=HEADERS, raise_on_unexpected_status=True
    ) as client:
        yield client


def test_token_errors_parse_as_oauth_errors(sandbox):
    response = _token(sandbox, grant_type="password", client_id="not-a-number")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(response.parsed, OAuthError)
    assert response.parsed.error == "invalid_client"
    response = _token(sandbox, grant_type="nonsense", client_id="1")
    assert isinstance(response.parsed, OAuthError)
    assert response.parsed.error == "unsupported_grant_type"


def test_identity(sandbox, user_client, app_client):
    credentials = sandbox.credentials
    me = _called(get_me).sync_detailed(client=user_client)
    assert me.parsed.data.id == credentials.user_id
    denied = get_me.sync_detailed(client=app_client)
    assert denied.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(denied.parsed, Error)
    assert denied.parsed.message == "Unauthenticated."
    organizations = _called(list_my_organizations).sync_detailed(client=user_client)
    assert {org.id for org in organizations.parsed.data} == {credentials.org_id, credentials.second_org_id}
    assert organizations.parsed.meta.pagination.links == []
    organization = _called(get_organization).sync_detailed(credentials.org_id, client=app_client)
    assert organization.parsed.data.id == credentials.org_id
    foreign = get_organization.sync_detailed(credentials.foreign_org_id, client=app_client)
    assert foreign.status_code == HTTPStatus.FORBIDDEN
    assert foreign.parsed.message == "You don't have application's permissions for this organization!"


def test_blueprints(sandbox, user_client, app_client):
    org = sandbox.credentials.org_id
    page = _called(list_blueprints).sync_detailed(org, client=app_client, per_page=3, page=2)
    links = page.parsed.meta.pagination.links
    assert isinstance(links, PaginationLinks)
    assert links.previous.endswith("page=1")
    assert links.next_.endswith("page=3")
    blueprint_id = page.parsed.data[0].id
    full = _called(get_blueprint).sync_detailed(org, blueprint_id, client=app_client, with_="steps,prerun")
    steps = full.parsed.data.steps
    assert steps
    listed = _called(list_blueprint_steps).sync_detailed(org, blueprint_id, client=app_client)
    assert [step.id for step in listed.parsed.data] == [step.id for step in steps]
    one = _called(get_blueprint_step).sync_detailed(org, blueprint_id, steps[0].id, client=app_client)
    assert one.parsed.data.title == steps[0].title
    created = _called(create_blueprint).sync_detailed(
        org, client=user_client, body=BlueprintCreate(title="From the generated client", type_="form")
    )
    assert created.status_code == HTTPStatus.CREATED
    new_id = created.parsed.data.id
    updated = _called(update_blueprint).sync_detailed(
        org,
        new_id,
        client=user_client,
        body=BlueprintUpdate(title=created.parsed.data.title, summary="now with a summary"),
    )
    assert updated.parsed.data.summary == "now with a summary"
    archived = _called(archive_blueprint).sync_detailed(org, new_id, client=user_client)
    assert isinstance(archived.parsed.data.archived_at, datetime)
    assert archived.parsed.data.archived_at.utcoffset() == timedelta(0)
    invalid = create_blueprint.sync_detailed(org, client=user_client, body=BlueprintCreate(title=""))
    assert isinstance(invalid.parsed, ValidationError)
    assert list(invalid.parsed.errors.additional_properties) == ["title"]
    missing = get_blueprint.sync_detailed(org, "0" * 32, client=app_client)
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.parsed.code == "RESOURCE_NOT_FOUND"


def test_processes_and_tasks(sandbox, user_client):
    org = sandbox.credentials.org_id
    listing = list_blueprints.sync_detailed(org, client=user_client, q="Employee onboarding")
    blueprint = get_blueprint.sync_detailed(org, listing.parsed.data[0].id, client=user_client, with_="steps,prerun")
    kickoff = {field.label: field.id for field in blueprint.parsed.data.prerun}
    steps = blueprint.parsed.data.steps
    launch = ProcessLaunch.from_dict(
        {
            "checklist_id": blueprint.parsed.data.id,
            "name": "Generated-client run",
            "prerun": {kickoff["Requested by"]: "IT"},
            "tasks": {
                steps[0].id: {"deadline": "2031-05-15 14:30:00", "owners": {"users": [sandbox.credentials.user_id]}}
            },
        }
    )
    launched = _called(launch_process).sync_detailed(org, client=user_client, body=launch)
    assert launched.status_code == HTTPStatus.CREATED
    process = launched.parsed.data
    tasks = process.tasks.data
    assert tasks[0].deadline.isoformat() == "2031-05-15T14:30:00+00:00"
    bad_launch = launch_process.sync_detailed(
        org, client=user_client, body=ProcessLaunch.from_dict({"checklist_id": blueprint.parsed.data.id, "prerun": {}})
    )
    assert isinstance(bad_launch.parsed, ValidationError)
    fetched = _called(get_process).sync_detailed(org, process.id, client=user_client, with_="tasks")
    assert [task.id for task in fetched.parsed.data.tasks.data] == [task.id for task in tasks]
    listed = _called(list_processes).sync_detailed(org, client=user_client, q="Generated-client")
    assert [run.id for run in listed.parsed.data] == [process.id]
    renamed = _called(update_process).sync_detailed(
        org, process.id, client=user_client, body=ProcessUpdate(name="Renamed by the client")
    )
    assert renamed.parsed.data.name == "Renamed by the client"
    capture_id = steps[0].captures[0].id
    filled = _called(update_process_task).sync_detailed(
        org, process.id, tasks[0].id, client=user_client, body=TaskUpdate.from_dict({"taskdata": {capture_id: "E-7"}})
    )
    assert filled.parsed.data.taskdata.additional_properties == {capture_id: "E-7"}
    done = _called(complete_task).sync_detailed(
        org, process.id, client=user_client, body=TaskCompletion(task_id=tasks[0].id)
    )
    assert done.parsed.data.status == "completed"
    reopened = _called(reopen_task).sync_detailed(org, process.id, tasks[0].id, client=user_client)
    assert reopened.parsed.data.completed_at is None
    run_tasks = _called(list_process_tasks).sync_detailed(org, process.id, client=user_client)
    assert len(run_tasks.parsed.data) == len(tasks)
    one = _called(get_task).sync_detailed(org, tasks[0].id, client=user_client)
    assert one.parsed.data.taskdata.additional_properties == {capture_id: "E-7"}
    oneoff = _called(create_oneoff_task).sync_detailed(
        org, client=user_client, body=OneOffTaskCreate(title="Generated one-off", deadline="2032-02-01 03:04:05")
    )
    assert oneoff.status_code == HTTPStatus.CREATED
    assert oneoff.parsed.data.is_oneoff_task is True
    window = _called(list_org_tasks).sync_detailed(
        org, client=user_client, deadline_start_range="2032-02-01", deadline_end_range="2032-02-01"
    )
    assert [task.title for task in window.parsed.data] == ["Generated one-off"]
    archived = _called(archive_process).sync_detailed(org, process.id, client=user_client)
    assert archived.parsed.data.status == "archived"
    activated = _called(activate_process).sync_detailed(org, process.id, client=user_client)
    assert activated.parsed.data.status == "active"


# The operations the client had when these tests were written; the raw-httpx tests cover the rest.
CORE_OPERATIONS = {
    "issue_token", "get_me", "list_my_organizations", "get_organization", "list_blueprints", "create_blueprint",
    "get_blueprint", "update_blueprint", "archive_blueprint", "list_blueprint_steps", "get_blueprint_step",
    "list_processes", "launch_process", "get_process", "update_process", "archive_process", "activate_process",
    "list_org_tasks", "create_oneoff_task", "get_task", "list_process_tasks", "update_process_task",
    "complete_task", "reopen_task",
}  # fmt: skip


def test_every_core_operation_was_exercised():
    # Runs last in this module (pytest keeps file order): the tests above must have called each of them.
    missing_from_spec = CORE_OPERATIONS - {operation.operation_id for operation in _spec.operations()}
    assert not missing_from_spec
    never_called = CORE_OPERATIONS - CALLED_OPERATIONS
    assert not never_called
