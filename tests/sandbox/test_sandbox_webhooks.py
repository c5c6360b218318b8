"""The sandbox delivers webhooks like Tallyfy: one POST per event (process launch, task completion, process
completion) with X-Tallyfy-orgID, never retried, never holding up or breaking the request behind it. The
receiver is `tallyfy-diag webhook listen`'s, over real HTTP, so each delivery is also checked against the spec.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sandbox_helpers import is_utc_iso
from tallyfy_client import AuthenticatedClient
from tallyfy_client.api.blueprints import get_blueprint, list_blueprints
from tallyfy_client.api.processes import launch_process
from tallyfy_client.api.tasks import complete_task, list_process_tasks, update_process_task
from tallyfy_client.models import (
    BlueprintEnvelope,
    BlueprintList,
    ProcessEnvelope,
    ProcessLaunch,
    ProcessLaunchPrerun,
    ProcessLaunchTask,
    ProcessLaunchTasks,
    TaskCompletion,
    TaskList,
    TaskOwners,
    TaskUpdate,
    TaskUpdateTaskdata,
)

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE, ORG_ID_WEBHOOK_HEADER
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.webhooks import WebhookListener

GUEST = "outside.reviewer@example.com"


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def listener(output: io.StringIO) -> Iterator[WebhookListener]:
    with WebhookListener("127.0.0.1", 0, out=output) as running:
        yield running


def client_for(sandbox: Sandbox) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=sandbox.base_url,
        token=sandbox.mint_access_token(),
        headers={CLIENT_HEADER: CLIENT_HEADER_VALUE},
        raise_on_unexpected_status=True,
    )


def launch_onboarding(sandbox: Sandbox, client: AuthenticatedClient) -> tuple[str, Any]:
    """Launch the seeded "Employee onboarding" blueprint (a required kick-off field, a required capture)."""
    org = sandbox.credentials.org_id
    listed = list_blueprints.sync(org, client=client, q="Employee onboarding")
    assert isinstance(listed, BlueprintList)
    blueprint = get_blueprint.sync(org, listed.data[0].id, client=client, with_="steps,prerun")
    assert isinstance(blueprint, BlueprintEnvelope)
    kickoff = blueprint.data.prerun[0]
    first_step = blueprint.data.steps[0]
    prerun = ProcessLaunchPrerun.from_dict({kickoff.id: "HR"})
    tasks = ProcessLaunchTasks.from_dict({})
    tasks.additional_properties[first_step.id] = ProcessLaunchTask(owners=TaskOwners(guests=[GUEST]))
    body = ProcessLaunch(checklist_id=blueprint.data.id, name="Onboarding - Jane", prerun=prerun, tasks=tasks)
    launched = launch_process.sync(org, client=client, body=body)
    assert isinstance(launched, ProcessEnvelope)
    return launched.data.id, blueprint.data


def complete_all(sandbox: Sandbox, client: AuthenticatedClient, run_id: str, blueprint: Any) -> list[str]:
    org = sandbox.credentials.org_id
    listed = list_process_tasks.sync(org, run_id, client=client)
    assert isinstance(listed, TaskList)
    required = blueprint.steps[0].captures[0]
    for task in listed.data:
        if task.step_id == blueprint.steps[0].id:
            taskdata = TaskUpdateTaskdata.from_dict({required.id: "E-1001"})
            update_process_task.sync(org, run_id, task.id, client=client, body=TaskUpdate(taskdata=taskdata))
        complete_task.sync(org, run_id, client=client, body=TaskCompletion(task_id=task.id))
    return [task.id for task in listed.data]


def test_launch_task_and_process_completion_are_delivered_and_conform(
    listener: WebhookListener, output: io.StringIO
) -> None:
    with Sandbox(SandboxConfig(webhook_url=listener.url)) as sandbox, client_for(sandbox) as client:
        run_id, blueprint = launch_onboarding(sandbox, client)
        task_ids = complete_all(sandbox, client, run_id, blueprint)
        sandbox.app.webhooks.close()  # waits for the queued deliveries to go out

    deliveries = listener.receiver.deliveries
    assert [d.problem for d in deliveries] == [None] * 5, output.getvalue()
    assert [d.summary.event for d in deliveries if d.summary] == [
        "process.launched",
        "task.completed",
        "task.completed",
        "task.completed",
        "process.completed",
    ]
    assert {d.org_id for d in deliveries} == {sandbox.credentials.org_id}
    assert [d.summary.object_id for d in deliveries if d.summary] == [run_id, *task_ids, run_id]
    assert [d.duplicate_of for d in deliveries] == [None] * 5
    printed = output.getvalue()
    assert 'task "Collect documents" in process "Onboarding - Jane"' in printed
    assert 'next task "Set up accounts"' in printed
    assert "guest-all-task" not in printed
    assert "E-1001" not in printed


def test_a_task_payload_carries_the_form_fields_and_the_next_task(listener: WebhookListener) -> None:
    received: list[dict[str, Any]] = []
    original = listener.receiver.receive

    def keep(body: bytes, headers: dict[str, str], *, problem: str | None = None) -> Any:
        import json  # noqa: PLC0415

        received.append(json.loads(body))
        return original(body, headers, problem=problem)

    listener.receiver.receive = keep  # type: ignore[method-assign]
    with Sandbox(SandboxConfig(webhook_url=listener.url)) as sandbox, client_for(sandbox) as client:
        run_id, blueprint = launch_onboarding(sandbox, client)
        complete_all(sandbox, client, run_id, blueprint)
        sandbox.app.webhooks.close()

    launch, first_task, *_, last_task, completion = received
    assert launch["ko-form-fields"] == {"requested-by": "HR"}
    assert list(launch["guest-links"]) == [GUEST]
    assert first_task["this_task"]["captures"][blueprint.steps[0].captures[0].id]["value"] == "E-1001"
    assert first_task["form-fields"]["employee-id"] == "E-1001"
    assert first_task["completer"]["id"] == first_task["launcher"]["id"]
    assert first_task["next_task"]["title"] == "Set up accounts"
    assert last_task["next_task"] == []
    assert is_utc_iso(completion["completed_at"])
    assert completion["progress"] == 100


def test_completing_a_completed_task_again_sends_nothing(listener: WebhookListener) -> None:
    with Sandbox(SandboxConfig(webhook_url=listener.url)) as sandbox, client_for(sandbox) as client:
        org = sandbox.credentials.org_id
        run_id, blueprint = launch_onboarding(sandbox, client)
        task_ids = complete_all(sandbox, client, run_id, blueprint)
        complete_task.sync(org, run_id, client=client, body=TaskCompletion(task_id=task_ids[-1]))
        sandbox.app.webhooks.close()

    assert len(listener.receiver.deliveries) == 5


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_dead_receiver_never_breaks_the_request() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    with Sandbox(SandboxConfig(webhook_url=url)) as sandbox, client_for(sandbox) as client:
        run_id, blueprint = launch_onboarding(sandbox, client)
        complete_all(sandbox, client, run_id, blueprint)
        sandbox.app.webhooks.close()
        # The sandbox still answers after five failed deliveries.
        page = list_blueprints.sync(sandbox.credentials.org_id, client=client)
        assert page is not None
        assert "Employee onboarding" in {blueprint.title for blueprint in page.data}


class _Failing(BaseHTTPRequestHandler):
    """A receiver that answers every delivery with 500 and counts them."""

    hits: list[str] = []  # noqa: RUF012 - shared with the test on purpose

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        type(self).hits.append(self.headers.get(ORG_ID_WEBHOOK_HEADER, ""))
        self.send_response(500)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_failed_delivery_is_not_retried() -> None:
    _Failing.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with Sandbox(SandboxConfig(webhook_url=url)) as sandbox, client_for(sandbox) as client:
            launch_onboarding(sandbox, client)
            sandbox.app.webhooks.close()
    finally:
        server.shutdown()
        server.server_close()

    assert _Failing.hits == [sandbox.credentials.org_id]


def test_without_a_webhook_url_nothing_is_sent(listener: WebhookListener) -> None:
    with Sandbox() as sandbox, client_for(sandbox) as client:
        launch_onboarding(sandbox, client)
        sandbox.app.webhooks.close()

    assert listener.receiver.deliveries == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "127.0.0.1:8766", "http:///nohost"])
def test_a_webhook_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match=r"webhook_url: .* is not an http"):
        SandboxConfig(webhook_url=url)
