"""Wire shapes of sandbox objects, as the spec's schemas describe them (dates as `...T...000Z`).

Relations requested with `with=` come wrapped again as `{"data": ...}`, like Fractal includes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tallyfy_diag.sandbox._dates import format_response_date
from tallyfy_diag.sandbox._models import (
    Activity,
    Asset,
    Blueprint,
    Comment,
    Folder,
    FormField,
    Group,
    Guest,
    Organization,
    Process,
    Step,
    Tag,
    Task,
    User,
)
from tallyfy_diag.sandbox._state import Store

JsonObject = dict[str, Any]


def user(value: User) -> JsonObject:
    return {
        "id": value.id,
        "email": value.email,
        "username": value.email,
        "first_name": value.first_name,
        "last_name": value.last_name,
        "full_name": f"{value.first_name} {value.last_name}",
        "timezone": value.timezone,
        "created_at": format_response_date(value.created_at),
        "last_accessed_at": format_response_date(value.last_accessed_at),
        "role": value.role,
        "status": value.status,
    }


def organization(value: Organization) -> JsonObject:
    return {
        "id": value.id,
        "name": value.name,
        "slug": value.slug,
        "created_at": format_response_date(value.created_at),
    }


def form_field(value: FormField) -> JsonObject:
    shaped: JsonObject = {
        "id": value.id,
        "label": value.label,
        "field_type": value.field_type,
        "required": value.required,
        "alias": value.alias,
    }
    if value.step_id is not None:
        shaped["step_id"] = value.step_id
    return shaped


def step(value: Step) -> JsonObject:
    return {
        "id": value.id,
        "checklist_id": value.checklist_id,
        "title": value.title,
        "alias": value.alias,
        "position": value.position,
        "task_type": value.task_type,
        "step_type": value.task_type,
        "summary": value.summary,
        # A bare array: the SDK reads one, and Tallyfy's docs show none.
        "captures": [form_field(capture) for capture in value.captures],
        "deadline": {"value": value.deadline_days, "unit": "days", "option": "from", "step": "start_run"},
        "webhook": None,
        "assignees": list(value.assignees),
        "guests": list(value.guests),
        "groups": list(value.groups),
        "everyone_must_complete": value.everyone_must_complete,
    }


def blueprint(value: Blueprint, include: Collection[str] = (), store: Store | None = None) -> JsonObject:
    """As Tallyfy's get-template page shows it: `prerun` and `automated_actions` always, as bare arrays;
    `steps` and `tags` (bare arrays too) only when asked for with `with=`."""
    shaped: JsonObject = {
        "id": value.id,
        "title": value.title,
        "summary": value.summary,
        "guidance": value.guidance,
        "owner_id": value.owner_id,
        "status": value.status,
        "type": value.type,
        "created_at": format_response_date(value.created_at),
        "last_updated": format_response_date(value.updated_at),
        "updated_at": format_response_date(value.updated_at),
        "archived_at": format_response_date(value.archived_at),
        "webhook": value.webhook,
        "prerun": [form_field(item) for item in value.kickoff_fields],
        "automated_actions": [],
    }
    if store is not None:
        shaped["automated_actions"] = [
            {key: item for key, item in action.items() if key != "checklist_id"} | {"checklist_id": value.id}
            for action in store.automations.values()
            if action["checklist_id"] == value.id
        ]
    if "steps" in include:
        shaped["steps"] = [step(item) for item in value.steps]
    if "tags" in include and store is not None:
        shaped["tags"] = tag_links(store, "Checklist", value.id)
    return shaped


def tag_links(store: Store, subject_type: str, subject_id: str) -> list[JsonObject]:
    """A record's tags as association rows: `id` is the association (what untagging deletes), `tag_id` the tag.

    Tallyfy's get-template page shows tag objects (`id` the tag's); the SDK reads association rows, and
    only they let a client untag (no route lists associations), so the sandbox sends rows with the tag's
    title and color beside them."""
    return [
        {"id": link["id"], "tag_id": link["tag_id"], "subject_type": subject_type, "subject_id": subject_id}
        | {"title": store.tags[link["tag_id"]].title, "color": store.tags[link["tag_id"]].color}
        for link in store.tag_links.values()
        if link["subject_type"] == subject_type and link["subject_id"] == subject_id and link["tag_id"] in store.tags
    ]


def process(value: Process, store: Store, include: Collection[str] = ()) -> JsonObject:
    tasks = [store.tasks[task_id] for task_id in value.task_ids]
    done = sum(task.completed_at is not None for task in tasks)
    shaped: JsonObject = {
        "id": value.id,
        "increment_id": value.increment_id,
        "checklist_id": value.checklist_id,
        "checklist_title": value.checklist_title,
        "name": value.name,
        "summary": value.summary,
        "status": value.status,
        "progress": {"complete": done, "total": len(tasks), "percent": round(100 * done / len(tasks)) if tasks else 0},
        "prerun": dict(value.prerun),
        "owner_id": value.owner_id,
        "started_by": value.started_by,
        "starred": value.starred,
        "tags": list(value.tags),
        "created_at": format_response_date(value.created_at),
        "completed_at": format_response_date(value.completed_at),
        "prerun_completed_at": format_response_date(value.prerun_completed_at),
        "archived_at": format_response_date(value.archived_at),
    }
    if "tags" in include:
        shaped["tags"] = tag_links(store, "Run", value.id)
    if "tasks" in include:
        shaped["tasks"] = {"data": [task(item, store) for item in tasks]}
    if "checklist" in include:
        shaped["checklist"] = {"data": blueprint(store.blueprints[value.checklist_id], store=store)}
    return shaped


def task(value: Task, store: Store, include: Collection[str] = ()) -> JsonObject:
    shaped: JsonObject = {
        "id": value.id,
        "run_id": value.run_id,
        "step_id": value.step_id,
        "title": value.title,
        "summary": value.summary,
        "task_type": value.task_type,
        "status": value.status,
        "owners": {key: list(items) for key, items in value.owners.items()},
        "deadline": format_response_date(value.deadline),
        "completed_at": format_response_date(value.completed_at),
        "taskdata": dict(value.taskdata),
        "is_oneoff_task": value.run_id is None,
        "created_at": format_response_date(value.created_at),
    }
    if "run" in include and value.run_id is not None:
        shaped["run"] = {"data": process(store.processes[value.run_id], store)}
    found_step = store.step(value)
    if "step" in include and found_step is not None:
        shaped["step"] = {"data": step(found_step)}
    return shaped


def tag(value: Tag) -> JsonObject:
    return {
        "id": value.id,
        "title": value.title,
        "color": value.color,
        "created_at": format_response_date(value.created_at),
    }


def folder(value: Folder) -> JsonObject:
    return {
        "id": value.id,
        "name": value.name,
        "folder_type": value.folder_type,
        "parent_id": value.parent_id,
        "created_at": format_response_date(value.created_at),
    }


def group(value: Group) -> JsonObject:
    return {
        "id": value.id,
        "name": value.name,
        "description": value.description,
        "members": list(value.members),
        "guests": list(value.guests),
        "created_at": format_response_date(value.created_at),
        "last_updated": format_response_date(value.last_updated),
    }


def guest(value: Guest) -> JsonObject:
    return {
        "email": value.email,
        "first_name": value.first_name,
        "last_name": value.last_name,
        "company_name": value.company_name,
        "status": value.status,
        "timezone": value.timezone,
        "associated_members": list(value.associated_members),
        "created_at": format_response_date(value.created_at),
        "disabled_at": format_response_date(value.disabled_at),
    }


def comment(value: Comment) -> JsonObject:
    return {
        "id": value.id,
        "task_id": value.task_id,
        "author_id": value.author_id,
        "content": value.content,
        "label": value.label,
        "state": value.state,
        "created_at": format_response_date(value.created_at),
        "resolved_at": format_response_date(value.resolved_at),
    }


def asset(value: Asset) -> JsonObject:
    return {
        "id": value.id,
        "filename": value.filename,
        "source": value.source,
        "step_id": value.step_id,
        "subject": {"id": value.subject_id, "type": value.subject_type},
        "uploaded_from": value.uploaded_from,
        "uploaded_at": format_response_date(value.uploaded_at),
        "version": 1,
    }


def activity(value: Activity) -> JsonObject:
    # Tallyfy's feed wraps most members in arrays.
    return {
        "id": value.id,
        "organization_id": value.org_id,
        "auditable_type": value.auditable_type,
        "auditable_id": value.auditable_id,
        "parentable_type": value.parentable_type,
        "parentable_id": value.parentable_id,
        "actor": [] if value.actor_id is None else [{"id": value.actor_id, "type": "Member"}],
        "verb": [value.verb],
        "type": [value.kind],
        "description": [f"{value.kind} {value.verb}"],
        "source": ["Member"],
        "undoable": False,
        "created_at": format_response_date(value.created_at),
    }
