"""Process (API: run) operations, and the form-field and assignee readers tasks share."""

from __future__ import annotations

from typing import Any

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._blueprints import TITLE_MAX, check_member
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._dates import format_response_date
from tallyfy_diag.sandbox._errors import invalid, resource_not_found
from tallyfy_diag.sandbox._models import RUN_ARCHIVED, FormField, Process, Task
from tallyfy_diag.sandbox._pagination import DEFAULT_PER_PAGE
from tallyfy_diag.sandbox._validation import Fields
from tallyfy_diag.sandbox._webhooks import process_payload

_EMPTY: tuple[object, ...] = (None, "", [], {})


def find_process(call: Call) -> Process:
    process = call.store.processes.get(call.params["run_id"])
    if process is None or process.org_id != call.org_id:
        raise resource_not_found()
    return process


def find_process_task(call: Call, process: Process) -> Task:
    task_id = call.params["task_id"]
    if task_id not in process.task_ids:
        raise resource_not_found()
    return call.store.tasks[task_id]


def form_values(fields: Fields, name: str, known: list[FormField]) -> dict[str, Any] | None:
    """Values keyed by form-field id, each checked against its field's type; unknown ids are errors."""
    values = fields.nested(name)
    if values is None:
        return None
    by_id = {field.id: field for field in known}
    accepted: dict[str, Any] = {}
    for key in values.source:
        field = by_id.get(key)
        if field is None:
            values.fail(key, f"The {name}.{key} is not a form field of this blueprint.")
        elif values.source[key] in _EMPTY:
            accepted[key] = values.source[key]
        elif field.field_type == "date":
            moment = values.date(key)
            if moment is not None:
                accepted[key] = format_response_date(moment)
        elif field.field_type in {"text", "textarea", "email"}:
            text = values.string(key)
            if text is not None and field.field_type == "email" and "@" not in text:
                values.fail(key, f"The {field.label} must be a valid email address.")
            elif text is not None:
                accepted[key] = text
        else:
            accepted[key] = values.source[key]
    return accepted


def missing_required(fields: Fields, name: str, known: list[FormField], values: dict[str, Any]) -> None:
    for field in known:
        if field.required and values.get(field.id) in _EMPTY:
            fields.fail(f"{name}.{field.id}", f"The {field.label} field is required.")


def read_owners(call: Call, fields: Fields, name: str = "owners") -> dict[str, list[Any]] | None:
    owners = fields.nested(name)
    if owners is None:
        return None
    users = owners.list_of("users", int) or []
    if any(user_id not in call.store.members(call.org_id) for user_id in users):
        owners.fail("users", f"The selected {name}.users is invalid.")
    return {
        "users": users,
        "groups": owners.list_of("groups", str) or [],
        "guests": owners.list_of("guests", str, email=True) or [],
    }


# ---------------------------------------------------------------- processes


@handles("list_processes")
def list_processes(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    status = fields.string("status")
    checklist_id = fields.hex_id("checklist_id")
    owners = fields.string("owners")
    owner_ids = {part.strip() for part in owners.split(",")} if owners else None
    tag_list = fields.string("tag_ids") or fields.string("tag")
    tag_ids = {part.strip() for part in tag_list.split(",") if part.strip()} if tag_list else None
    untagged = fields.boolean("untagged")
    starred = fields.boolean("starred")
    everything = fields.boolean("without_pagination")

    def wanted(process: Process) -> bool:
        if status in (None, "") and process.status == RUN_ARCHIVED:
            return False
        if status == "starred":
            return process.starred
        return (
            (status in (None, "") or process.status == status)
            and text in process.name.lower()
            and (checklist_id is None or process.checklist_id == checklist_id)
            and (owner_ids is None or str(process.owner_id) in owner_ids)
            and (tag_ids is None or bool(tag_ids & set(process.tags)))
            and (not untagged or not process.tags)
            and starred in (None, process.starred)
        )

    found = [process for process in call.store.processes_of(call.org_id) if wanted(process)]
    includes = call.includes()
    default = max(len(found), 1) if everything else DEFAULT_PER_PAGE
    return call.paged(
        found, lambda process: shape.process(process, call.store, includes), fields, default_per_page=default
    )


@handles("launch_process")
def launch_process(call: Call) -> Result:
    fields = call.body_fields()
    checklist_id = fields.hex_id("checklist_id", required=True)
    name = fields.string("name", max_length=TITLE_MAX)
    summary = fields.string("summary")
    owner_id = fields.integer("owner_id")
    check_member(call, fields, "owner_id", owner_id)
    fields.list_of("tags", str)
    fields.list_of("users", int)
    fields.list_of("groups", str)
    # More fields Tallyfy's launch page and the SDK send; read for their types, kept where the sandbox can.
    user_id = fields.integer("user_id")
    check_member(call, fields, "user_id", user_id)
    starred = fields.boolean("starred")
    fields.boolean("is_public")
    fields.string("parent_id")
    fields.mapping("roles")
    fields.list_of("folders", str)
    blueprint = None
    if checklist_id is not None:
        found = call.store.blueprint_in(call.org_id, checklist_id)
        if found is None or found.archived_at is not None:
            fields.fail("checklist_id", "The selected checklist id is invalid.")
        else:
            blueprint = found
    prerun: dict[str, Any] = {}
    settings: dict[str, dict[str, Any]] = {}
    if blueprint is not None:
        prerun = form_values(fields, "prerun", blueprint.kickoff_fields) or {}
        missing_required(fields, "prerun", blueprint.kickoff_fields, prerun)
        settings = _task_settings(call, fields, {step.id for step in blueprint.steps})
    fields.check()
    assert blueprint is not None  # checked: a missing blueprint is a field error
    now = call.store.now()
    process = call.store.launch(
        blueprint,
        name=name or f"{blueprint.title} - {now:%Y-%m-%d %H:%M}",
        summary=summary,
        prerun=prerun,
        task_settings=settings,
        launcher=call.user_id,
        owner_id=owner_id if owner_id is not None else user_id,
    )
    process.starred = bool(starred)
    call.store.record(
        call.org_id,
        call.user_id,
        verb="launched",
        kind="Process",
        subject=("run", process.id),
        parent=("checklist", blueprint.id),
    )
    call.webhooks.append(process_payload(call.store, process))
    return 201, {"data": shape.process(process, call.store, {"tasks"})}


def _task_settings(call: Call, fields: Fields, step_ids: set[str]) -> dict[str, dict[str, Any]]:
    tasks = fields.nested("tasks")
    if tasks is None:
        return {}
    settings: dict[str, dict[str, Any]] = {}
    for step_id in tasks.source:
        if step_id not in step_ids:
            tasks.fail(step_id, f"The tasks.{step_id} is not a step of this blueprint.")
            continue
        one = tasks.nested(step_id)
        if one is not None:
            settings[step_id] = {"deadline": one.date("deadline"), "owners": read_owners(call, one)}
    return settings


@handles("get_process")
def get_process(call: Call) -> Result:
    return 200, {"data": shape.process(find_process(call), call.store, call.includes())}


@handles("update_process")
def update_process(call: Call) -> Result:
    process = find_process(call)
    blueprint = call.store.blueprints[process.checklist_id]
    fields = call.body_fields()
    name = fields.string("name", required="name" in fields.source, max_length=TITLE_MAX)
    summary = fields.string("summary")
    owner_id = fields.integer("owner_id")
    check_member(call, fields, "owner_id", owner_id)
    tags = fields.list_of("tags", str)
    starred = fields.boolean("starred")
    prerun = form_values(fields, "prerun", blueprint.kickoff_fields)
    if prerun is not None:
        missing_required(fields, "prerun", blueprint.kickoff_fields, {**process.prerun, **prerun})
    fields.check()
    if name is not None:
        process.name = name
    if summary is not None:
        process.summary = summary
    if owner_id is not None:
        process.owner_id = owner_id
    if tags is not None:
        process.tags = tags
    if starred is not None:
        process.starred = starred
    if prerun:
        process.prerun.update(prerun)
    return 200, {"data": shape.process(process, call.store)}


@handles("archive_process")
def archive_process(call: Call) -> Result:
    process = find_process(call)
    process.archived_at = process.archived_at or call.store.now()
    return 200, {"data": shape.process(process, call.store)}


@handles("activate_process")
def activate_process(call: Call) -> Result:
    process = find_process(call)
    process.archived_at = None
    return 200, {"data": shape.process(process, call.store)}


@handles("delete_process")
def delete_process(call: Call) -> Result:
    call.require_admin()
    process = find_process(call)
    if process.archived_at is None:
        raise invalid({"run_id": ["Archive the process before deleting it."]})
    for task_id in process.task_ids:
        call.store.tasks.pop(task_id, None)
    del call.store.processes[process.id]
    return 200, None
