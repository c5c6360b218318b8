"""Webhook deliveries, as Tallyfy makes them: one JSON POST per event, header `X-Tallyfy-orgID`, no signature,
no retry.

The sandbox sends to `SandboxConfig.webhook_url` (when set) on process launch, task completion and process
completion; it stands for a blueprint-level webhook on every blueprint. Handlers build the payloads while they
hold the store lock (so a payload shows one consistent state) and queue them on their `Call`; the app hands them
to a `WebhookSender`, whose background thread POSTs them, so a slow or dead receiver never delays or breaks the
request that triggered the event. A failed delivery is logged (URL redacted) and dropped.

Payload shapes follow the spec's ProcessWebhook and TaskWebhook schemas (Tallyfy's webhook payload docs).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from typing import Any

import httpx

from tallyfy_diag._constants import ORG_ID_WEBHOOK_HEADER
from tallyfy_diag._redact import redact_url
from tallyfy_diag._tls import shared_ssl_context
from tallyfy_diag.sandbox._dates import format_response_date
from tallyfy_diag.sandbox._models import Blueprint, FormField, Process, Task, User
from tallyfy_diag.sandbox._state import Store

logger = logging.getLogger("tallyfy_diag.sandbox")
JsonObject = dict[str, Any]
DELIVERY_TIMEOUT = 5.0
"""Seconds a receiver gets to answer one delivery before it is given up (Tallyfy does not wait long either)."""
GUEST_LINK_ROOT = "https://sandbox.invalid/guest-all-task"
"""Guest links lead nowhere in the sandbox (.invalid never resolves); they exist so receivers see their shape."""

# ---------------------------------------------------------------- payloads


def _person(user: User | None) -> JsonObject:
    if user is None:
        return {}
    return {"id": user.id, "email": user.email, "full_name": f"{user.first_name} {user.last_name}"}


def _field_value(field: FormField, value: Any) -> JsonObject:
    return {"alias": field.alias, "label": field.label, "value": value}


def _process_tasks(store: Store, process: Process) -> list[Task]:
    tasks = [store.tasks[task_id] for task_id in process.task_ids if task_id in store.tasks]
    return sorted(tasks, key=lambda task: _position(store, task))


def _position(store: Store, task: Task) -> int:
    step = store.step(task)
    return step.position if step else 0


def _alias(store: Store, task: Task) -> str:
    step = store.step(task)
    return step.alias if step else task.id


def _progress(tasks: list[Task]) -> int:
    return round(100 * sum(task.completed_at is not None for task in tasks) / len(tasks)) if tasks else 0


def _guest_link(org_id: str, email: str) -> str:
    code = hashlib.sha256(f"{org_id}:{email}".encode()).hexdigest()[:20]
    return f"{GUEST_LINK_ROOT}/{org_id}/{code}"


def _guest_links(org_id: str, tasks: list[Task]) -> JsonObject:
    emails = sorted({str(email) for task in tasks for email in task.owners.get("guests", [])})
    return {email: {"link_for_guest": _guest_link(org_id, email)} for email in emails}


def _kickoff_by_alias(blueprint: Blueprint | None, process: Process) -> JsonObject:
    fields = blueprint.kickoff_fields if blueprint else []
    return {field.alias: process.prerun[field.id] for field in fields if field.id in process.prerun}


def process_payload(store: Store, process: Process) -> JsonObject:
    """The process-level payload (launch or completion): flat run fields plus Tallyfy's hyphenated extras."""
    blueprint = store.blueprints.get(process.checklist_id)
    tasks = _process_tasks(store, process)
    launcher = store.users.get(process.started_by) if process.started_by is not None else None
    return {
        "id": process.id,
        "increment_id": process.increment_id,
        "checklist_id": process.checklist_id,
        "checklist_title": process.checklist_title,
        "name": process.name,
        "summary": process.summary,
        "status": process.status,
        "progress": _progress(tasks),
        "prerun": dict(process.prerun),
        "owner_id": process.owner_id,
        "started_by": process.started_by,
        "created_at": format_response_date(process.created_at),
        "started_at": format_response_date(process.created_at),
        "completed_at": format_response_date(process.completed_at),
        "collaborators": sorted({int(user) for task in tasks for user in task.owners.get("users", [])}),
        "users": [],
        "groups": [],
        "process-tasks": {_alias(store, task): task.id for task in tasks},
        "ko-form-fields": _kickoff_by_alias(blueprint, process),
        "guest-links": _guest_links(process.org_id, tasks),
        "launcher": _person(launcher),
    }


def _webhook_task(store: Store, task: Task) -> JsonObject:
    step = store.step(task)
    captures = step.captures if step else []
    owners = {
        "users": [_person(store.users.get(int(user))) for user in task.owners.get("users", [])],
        "guests": [str(email) for email in task.owners.get("guests", [])],
    }
    return {
        "id": task.id,
        "title": task.title,
        "alias": step.alias if step else None,
        "status": task.status,
        "summary": task.summary,
        "position": step.position if step else None,
        "deadline": format_response_date(task.deadline),
        "completed_at": format_response_date(task.completed_at),
        "captures": {
            field.id: _field_value(field, task.taskdata[field.id]) for field in captures if field.id in task.taskdata
        },
        "owners": owners,
        "assets": [],
    }


def task_payload(store: Store, task: Task, completer_id: int | None) -> JsonObject:
    """The task-level payload of a completed task of a process."""
    process = store.processes[str(task.run_id)]
    blueprint = store.blueprints.get(process.checklist_id)
    tasks = _process_tasks(store, process)
    launcher = store.users.get(process.started_by) if process.started_by is not None else None
    completer = _person(store.users.get(completer_id) if completer_id is not None else None)
    this_task = {**_webhook_task(store, task), "completed_by": completer or None}
    form_fields = _kickoff_by_alias(blueprint, process)
    process_forms: JsonObject = {}
    for one in tasks:
        step = store.step(one)
        if step is None:
            continue
        values = {
            field.id: _field_value(field, one.taskdata[field.id]) for field in step.captures if field.id in one.taskdata
        }
        form_fields.update({value["alias"]: value["value"] for value in values.values()})
        if values:
            process_forms[step.id] = values
    following = next((one for one in tasks if one.completed_at is None), None)
    return {
        "this_task": this_task,
        "launcher": _person(launcher),
        "completer": completer,
        "process-tasks": {_alias(store, one): one.id for one in tasks},
        "form-fields": form_fields,
        "template": {
            "id": process.checklist_id,
            "title": process.checklist_title,
            "alias": None,
            "summary": blueprint.summary if blueprint else None,
        },
        "process": {
            "id": process.id,
            "organization_id": process.org_id,
            "name": process.name,
            "summary": process.summary,
            "status": process.status,
            "progress": _progress(tasks),
            "created_at": format_response_date(process.created_at),
            "ClientURL": f"https://sandbox.invalid/tracker/{process.id}",
            "prerun": dict(process.prerun),
            "process_forms": process_forms,
            "tags": [],
        },
        "guest-links": _guest_links(process.org_id, tasks),
        # Tallyfy sends an empty ARRAY, not null, when no task is left.
        "next_task": _webhook_task(store, following) if following is not None else [],
    }


# ---------------------------------------------------------------- delivery


class WebhookSender:
    """POSTs queued deliveries from one background thread: once each, no retry, failures logged and dropped."""

    def __init__(self, timeout: float = DELIVERY_TIMEOUT) -> None:
        self._timeout = timeout
        self._queue: queue.Queue[tuple[str, str, JsonObject] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, url: str, org_id: str, payload: JsonObject) -> None:
        """Queue one delivery and return at once."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tallyfy-sandbox-webhooks", daemon=True)
                self._thread.start()
        self._queue.put((url, org_id, payload))

    def close(self, timeout: float = DELIVERY_TIMEOUT) -> None:
        """Let queued deliveries go out (up to `timeout` seconds), then stop the thread; safe to call twice."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout, follow_redirects=False, verify=shared_ssl_context()) as client:
            while (item := self._queue.get()) is not None:
                url, org_id, payload = item
                try:
                    response = client.post(url, json=payload, headers={ORG_ID_WEBHOOK_HEADER: org_id})
                    logger.info("webhook to %s -> %d", redact_url(url), response.status_code)
                except httpx.HTTPError as error:
                    # Tallyfy neither retries nor reports a failed delivery; the sandbox logs it for whoever runs it.
                    logger.warning("webhook to %s failed (%s); not retried", redact_url(url), type(error).__name__)
