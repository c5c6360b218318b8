"""Operations only Tallyfy's CLI, SDK, n8n node, MCP server or secondary doc pages show (see each operation's
`x-sources` in the spec): step editing, automations, tag and folder links, kick-off completion, more task, user
and guest routes, custom fields and the other file routes. Served by the same rules as the rest."""

from __future__ import annotations

from typing import Any

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._blueprints import find_blueprint, find_step
from tallyfy_diag.sandbox._call import Binary, Call, JsonObject, Result, handles
from tallyfy_diag.sandbox._errors import forbidden, invalid, resource_not_found
from tallyfy_diag.sandbox._files import upload_file
from tallyfy_diag.sandbox._models import FormField, Step, Task, User
from tallyfy_diag.sandbox._people import find_guest, find_member
from tallyfy_diag.sandbox._processes import find_process, find_process_task, read_owners
from tallyfy_diag.sandbox._validation import Fields

TITLE_MAX = 600
SYSTEM_KEY_MESSAGE = "A system custom field key is managed by Tallyfy."


def _alias(label: str) -> str:
    return "-".join(label.lower().split())


def _renumber(steps: list[Step]) -> None:
    for position, step in enumerate(steps, start=1):
        step.position = position


def _step_of(call: Call) -> tuple[Any, Step]:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    return blueprint, find_step(blueprint, call.params["step_id"])


def _people(fields: Fields) -> tuple[list[int] | None, list[str] | None, list[str] | None]:
    """A step's `assignees` (member ids), `guests` (emails) and `groups` (group ids), as the SDK sends them."""
    return (
        fields.list_of("assignees", int),
        fields.list_of("guests", str, email=True),
        fields.list_of("groups", str),
    )


def _apply_people(step: Step, people: tuple[list[int] | None, list[str] | None, list[str] | None]) -> None:
    assignees, guests, groups = people
    step.assignees = assignees if assignees is not None else step.assignees
    step.guests = guests if guests is not None else step.guests
    step.groups = groups if groups is not None else step.groups


def _step_type(fields: Fields) -> str | None:
    """The SDK names it `step_type`; Tallyfy's responses call the same value `task_type`."""
    return fields.string("step_type") if "step_type" in fields.source else fields.string("task_type")


# ---------------------------------------------------------------- steps


@handles("create_blueprint_step")
def create_blueprint_step(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    fields = call.body_fields()
    title = fields.string("title", required=True, max_length=TITLE_MAX)
    summary = fields.string("summary")
    task_type = _step_type(fields)
    position = fields.integer("position", minimum=1)
    people = _people(fields)
    fields.check()
    step = Step(call.store.new_id(), blueprint.id, str(title), _alias(str(title)), 0, task_type or "task", [], 1)
    at = min(position, len(blueprint.steps) + 1) - 1 if position else len(blueprint.steps)
    blueprint.steps.insert(at, step)
    _renumber(blueprint.steps)
    step.summary = summary
    _apply_people(step, people)
    return 201, {"data": shape.step(step)}


@handles("update_blueprint_step")
def update_blueprint_step(call: Call) -> Result:
    _, step = _step_of(call)
    fields = call.body_fields()
    title = fields.string("title", required="title" in fields.source, max_length=TITLE_MAX)
    summary = fields.string("summary")
    task_type = _step_type(fields)
    people = _people(fields)
    fields.check()
    step.title = title if title is not None else step.title
    step.task_type = task_type if task_type is not None else step.task_type
    step.summary = summary if summary is not None else step.summary
    _apply_people(step, people)
    return 200, {"data": shape.step(step)}


@handles("delete_blueprint_step")
def delete_blueprint_step(call: Call) -> Result:
    blueprint, step = _step_of(call)
    blueprint.steps.remove(step)
    _renumber(blueprint.steps)
    return 204, None


@handles("clone_blueprint_step")
def clone_blueprint_step(call: Call) -> Result:
    blueprint, step = _step_of(call)
    copy_id = call.store.new_id()
    captures = [
        FormField(call.store.new_id(), f.label, f.field_type, f.required, f.alias, copy_id, f.guidance)
        for f in step.captures
    ]
    copy = Step(copy_id, blueprint.id, step.title, step.alias, 0, step.task_type, captures, step.deadline_days)
    _apply_people(copy, (list(step.assignees), list(step.guests), list(step.groups)))
    copy.summary = step.summary
    blueprint.steps.insert(blueprint.steps.index(step) + 1, copy)
    _renumber(blueprint.steps)
    return 201, {"data": shape.step(copy)}


@handles("reorder_blueprint_step")
def reorder_blueprint_step(call: Call) -> Result:
    blueprint, step = _step_of(call)
    fields = call.body_fields()
    position = fields.integer("position", required=True, minimum=1)
    fields.check()
    blueprint.steps.remove(step)
    blueprint.steps.insert(min(int(position or 1), len(blueprint.steps) + 1) - 1, step)
    _renumber(blueprint.steps)
    return 200, {"data": shape.step(step)}


@handles("reorder_step_captures")
def reorder_step_captures(call: Call) -> Result:
    _, step = _step_of(call)
    fields = call.body_fields()
    capture_id = fields.string("capture_id", required=True)
    position = fields.integer("position", required=True, minimum=1)
    capture = next((c for c in step.captures if c.id == capture_id), None)
    if capture_id is not None and capture is None:
        fields.fail("capture_id", "The selected capture id is not a form field of this step.")
    fields.check()
    assert capture is not None  # checked above
    assert position is not None
    step.captures.remove(capture)
    step.captures.insert(min(position, len(step.captures) + 1) - 1, capture)
    return 200, {"data": [shape.form_field(item) for item in step.captures], "meta": {}}


@handles("move_step_capture")
def move_step_capture(call: Call) -> Result:
    blueprint, step = _step_of(call)
    capture = next((c for c in step.captures if c.id == call.params["capture_id"]), None)
    if capture is None:
        raise resource_not_found()
    fields = call.body_fields()
    # n8n names the target `to_step_id`, the SDK `target_step_id`: both are accepted.
    name = "target_step_id" if "target_step_id" in fields.source else "to_step_id"
    target_id = fields.string(name, required=True)
    position = fields.integer("position", minimum=1)
    target = next((s for s in blueprint.steps if s.id == target_id), None)
    if target_id is not None and target is None:
        fields.fail(name, f"The selected {name.replace('_', ' ')} is invalid.")
    fields.check()
    assert target is not None  # checked above
    step.captures.remove(capture)
    at = min(position, len(target.captures) + 1) - 1 if position else len(target.captures)
    target.captures.insert(at, capture)
    capture.step_id = target.id
    return 200, {"data": shape.form_field(capture)}


# ---------------------------------------------------------------- automations


def _automation_fields(call: Call) -> JsonObject:
    fields = call.body_fields()
    fields.string("automated_alias")
    fields.list_of("conditions", dict)
    fields.list_of("then_actions", dict)
    fields.check()
    return dict(fields.source)


@handles("create_automated_action")
def create_automated_action(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    record = {**_automation_fields(call), "id": call.store.new_id(), "checklist_id": blueprint.id}
    call.store.automations[record["id"]] = record
    return 201, {"data": record}


def _automation(call: Call) -> JsonObject:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    record = call.store.automations.get(call.params["automation_id"])
    if record is None or record["checklist_id"] != blueprint.id:
        raise resource_not_found()
    return record


@handles("update_automated_action")
def update_automated_action(call: Call) -> Result:
    record = _automation(call)
    kept = {"id": record["id"], "checklist_id": record["checklist_id"]}
    record.clear()
    record.update({**_automation_fields(call), **kept})
    return 200, {"data": record}


@handles("delete_automated_action")
def delete_automated_action(call: Call) -> Result:
    del call.store.automations[_automation(call)["id"]]
    return 204, None


# ---------------------------------------------------------------- tag and folder links


def _subject_in_org(call: Call, subject_type: str, subject_id: str) -> bool:
    if subject_type == "Checklist":
        return call.store.blueprint_in(call.org_id, subject_id) is not None
    process = call.store.processes.get(subject_id)
    return process is not None and process.org_id == call.org_id


def _link_fields(call: Call, owner: str) -> tuple[str, str, str]:
    fields = call.body_fields()
    owner_id = fields.string(owner, required=True)
    subject_id = fields.string("subject_id", required=True)
    subject_type = fields.string("subject_type", required=True)
    if subject_type is not None and subject_type not in ("Checklist", "Run"):
        fields.fail("subject_type", "The selected subject type is invalid (Checklist or Run).")
    elif subject_type is not None and subject_id is not None and not _subject_in_org(call, subject_type, subject_id):
        fields.fail("subject_id", "The selected subject id is invalid.")
    owners = call.store.tags if owner == "tag_id" else call.store.folders
    found = owners.get(owner_id or "")
    if owner_id is not None and (found is None or found.org_id != call.org_id):
        fields.fail(owner, f"The selected {owner.replace('_', ' ')} is invalid.")
    fields.check()
    return str(owner_id), str(subject_id), str(subject_type)


@handles("tag_object")
def tag_object(call: Call) -> Result:
    tag_id, subject_id, subject_type = _link_fields(call, "tag_id")
    link = {
        "id": call.store.new_link_id(),
        "tag_id": tag_id,
        "subject_id": subject_id,
        "subject_type": subject_type,
        "org_id": call.org_id,
    }
    call.store.tag_links[str(link["id"])] = link
    if subject_type == "Run":
        call.store.processes[subject_id].tags.append(tag_id)
    return 201, {"data": {key: value for key, value in link.items() if key != "org_id"}}


@handles("untag_object")
def untag_object(call: Call) -> Result:
    link = call.store.tag_links.get(call.params["association_id"])
    if link is None or link["org_id"] != call.org_id:
        raise resource_not_found()
    del call.store.tag_links[call.params["association_id"]]
    process = call.store.processes.get(link["subject_id"])
    if process is not None and link["tag_id"] in process.tags:
        process.tags.remove(link["tag_id"])
    return 204, None


@handles("add_folder_object")
def add_folder_object(call: Call) -> Result:
    folder_id, subject_id, subject_type = _link_fields(call, "folder_id")
    link = {"id": call.store.new_link_id(), "folder_id": folder_id, "subject_id": subject_id}
    link |= {"subject_type": subject_type, "org_id": call.org_id}
    call.store.folder_links[str(link["id"])] = link
    return 201, {"data": {key: value for key, value in link.items() if key != "org_id"}}


@handles("remove_folder_object")
def remove_folder_object(call: Call) -> Result:
    link = call.store.folder_links.get(call.params["folder_object_id"])
    if link is None or link["org_id"] != call.org_id:
        raise resource_not_found()
    del call.store.folder_links[call.params["folder_object_id"]]
    return 204, None


# ---------------------------------------------------------------- processes


@handles("complete_kickoff")
def complete_kickoff(call: Call) -> Result:
    process = find_process(call)
    process.prerun_completed_at = process.prerun_completed_at or call.store.now()
    return 200, {"data": shape.process(process, call.store)}


@handles("reopen_kickoff")
def reopen_kickoff(call: Call) -> Result:
    process = find_process(call)
    process.prerun_completed_at = None
    return 200, {"data": shape.process(process, call.store)}


@handles("export_process")
def export_process(call: Call) -> Result:
    process = find_process(call)
    tasks = [shape.task(call.store.tasks[task_id], call.store) for task_id in process.task_ids]
    return 200, {"data": {**shape.process(process, call.store), "tasks": tasks}}


@handles("list_process_form_fields")
def list_process_form_fields(call: Call) -> Result:
    process = find_process(call)
    blueprint = call.store.blueprints[process.checklist_id]
    fields = [shape.form_field(field) for field in blueprint.kickoff_fields]
    fields += [shape.form_field(capture) for step in blueprint.steps for capture in step.captures]
    return 200, {"data": fields, "meta": {}}


# ---------------------------------------------------------------- tasks


def _task_in_org(call: Call) -> Task:
    task = call.store.tasks.get(call.params["task_id"])
    if task is None or task.org_id != call.org_id:
        raise resource_not_found()
    return task


@handles("get_process_task")
def get_process_task(call: Call) -> Result:
    task = find_process_task(call, find_process(call))
    return 200, {"data": shape.task(task, call.store, call.includes())}


@handles("restore_task")
def restore_task(call: Call) -> Result:
    task = _task_in_org(call)
    if task.run_id is not None:
        raise resource_not_found()
    task.archived_at = None
    return 200, {"data": shape.task(task, call.store)}


@handles("clone_task")
def clone_task(call: Call) -> Result:
    task = _task_in_org(call)
    if task.run_id is not None:
        raise resource_not_found()
    copy = call.store.add_oneoff_task(
        call.org_id,
        title=task.title,
        task_type=task.task_type,
        owners={key: list(items) for key, items in task.owners.items()},
        deadline=task.deadline,
        summary=task.summary,
    )
    return 201, {"data": shape.task(copy, call.store)}


def _known_captures(call: Call, task: Task) -> set[str]:
    step = call.store.step(task)
    return {capture.id for capture in step.captures} if step is not None else set(task.taskdata)


@handles("save_task_captures")
def save_task_captures(call: Call) -> Result:
    task = _task_in_org(call)
    fields = call.body_fields()
    values = fields.mapping("taskdata")
    if values is None and not fields.errors:
        fields.fail("taskdata", "The taskdata field is required.")
    known = _known_captures(call, task)
    for key in values or {}:
        if task.run_id is not None and key not in known:
            fields.fail(f"taskdata.{key}", f"The taskdata.{key} is not a form field of this task.")
    fields.check()
    task.taskdata.update(values or {})
    return 200, {"data": shape.task(task, call.store)}


@handles("set_form_field_value")
def set_form_field_value(call: Call) -> Result:
    fields = call.body_fields()
    task_id = fields.string("task_id", required=True)
    capture_id = fields.string("capture_id", required=True)
    task = call.store.tasks.get(task_id or "")
    if task_id is not None and (task is None or task.org_id != call.org_id):
        fields.fail("task_id", "The selected task id is invalid.")
    fields.check()
    assert task is not None  # checked above
    assert capture_id is not None
    task.taskdata[capture_id] = fields.source.get("value")
    return 200, {"data": {"task_id": task.id, "capture_id": capture_id, "value": task.taskdata[capture_id]}}


def _tasks_for(call: Call, wanted: Any) -> Result:
    found = [task for task in call.store.tasks_of(call.org_id) if task.archived_at is None and wanted(task.owners)]
    return call.paged(found, lambda task: shape.task(task, call.store, call.includes()))


@handles("list_user_tasks")
def list_user_tasks(call: Call) -> Result:
    user = find_member(call)
    return _tasks_for(call, lambda owners: user.id in owners.get("users", []))


@handles("list_guest_tasks")
def list_guest_tasks(call: Call) -> Result:
    guest = find_guest(call)
    return _tasks_for(call, lambda owners: guest.email in [str(item).lower() for item in owners.get("guests", [])])


# ---------------------------------------------------------------- comments


def _own_comment(call: Call) -> Any:
    task = _task_in_org(call)
    comment = call.store.comments.get(call.params["comment_id"])
    if comment is None or comment.task_id != task.id:
        raise resource_not_found()
    if comment.author_id != call.user_id:
        raise forbidden("You can only change your own comments.")
    return comment


@handles("update_comment")
def update_comment(call: Call) -> Result:
    comment = _own_comment(call)
    fields = call.body_fields()
    content = fields.string("content", required=True)
    fields.check()
    comment.content = str(content)
    return 200, {"data": shape.comment(comment)}


@handles("delete_comment")
def delete_comment(call: Call) -> Result:
    del call.store.comments[_own_comment(call).id]
    return 204, None


@handles("bot_comment_on_task")
def bot_comment_on_task(call: Call) -> Result:
    from tallyfy_diag.sandbox._tasks import comment_on_task  # noqa: PLC0415 - one comment rule, reused

    status, payload = comment_on_task(call)
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload["data"]["is_bot"] = True
    return status, payload


# ---------------------------------------------------------------- users and guests


def _profile(call: Call, user: User) -> Result:
    fields = call.body_fields()
    first_name = fields.string("first_name", required="first_name" in fields.source)
    last_name = fields.string("last_name", required="last_name" in fields.source)
    timezone = fields.string("timezone")
    fields.string("job_title")
    fields.check()
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    user.timezone = timezone or user.timezone
    return 200, {"data": shape.user(user)}


@handles("get_my_membership")
def get_my_membership(call: Call) -> Result:
    return 200, {"data": shape.user(call.store.users[call.user_id])}


@handles("update_my_membership")
def update_my_membership(call: Call) -> Result:
    return _profile(call, call.store.users[call.user_id])


@handles("list_users_brief")
def list_users_brief(call: Call) -> Result:
    members = sorted(call.store.members(call.org_id))
    return 200, {"data": [shape.user(call.store.users[user_id]) for user_id in members]}


@handles("list_guests_brief")
def list_guests_brief(call: Call) -> Result:
    guests = [guest for (org_id, _), guest in sorted(call.store.guests.items()) if org_id == call.org_id]
    return 200, {"data": [shape.guest(guest) for guest in guests]}


@handles("update_user")
def update_user(call: Call) -> Result:
    call.require_admin()
    return _profile(call, find_member(call))


@handles("remove_user")
def remove_user(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    if user.id == call.user_id:
        raise invalid({"user_id": ["You cannot remove yourself."]})
    user.org_ids.remove(call.org_id)
    return 204, None


@handles("delete_user")
def delete_user(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    if user.status != "disabled":
        raise invalid({"user_id": ["Disable the member before deleting them."]})
    user.org_ids.remove(call.org_id)
    return 204, None


@handles("approve_user")
def approve_user(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    if user.status == "disabled":
        raise invalid({"user_id": ["A disabled member cannot be approved."]})
    user.status = "active"
    return 200, {"data": shape.user(user)}


@handles("convert_user_to_guest")
def convert_user_to_guest(call: Call) -> Result:
    from tallyfy_diag.sandbox._models import Guest  # noqa: PLC0415 - only this route makes one from a member

    call.require_admin()
    user = find_member(call)
    if user.id == call.user_id:
        raise invalid({"user_id": ["You cannot make yourself a guest."]})
    user.org_ids.remove(call.org_id)
    guest = Guest(user.email.lower(), call.org_id, call.store.now(), user.first_name, user.last_name)
    call.store.guests[(call.org_id, guest.email)] = guest
    return 200, {"data": shape.guest(guest)}


@handles("enable_guest")
def enable_guest(call: Call) -> Result:
    guest = find_guest(call)
    guest.disabled_at = None
    return 200, {"data": shape.guest(guest)}


@handles("disable_guest")
def disable_guest(call: Call) -> Result:
    guest = find_guest(call)
    guest.disabled_at = guest.disabled_at or call.store.now()
    return 200, {"data": shape.guest(guest)}


@handles("convert_guest_to_member")
def convert_guest_to_member(call: Call) -> Result:
    call.require_admin()
    guest = find_guest(call)
    if any(user.email.lower() == guest.email for user in call.store.users.values()):
        raise invalid({"guest_email": ["This email already belongs to a member."]})
    user_id = max(call.store.users) + 1
    user = User(
        user_id,
        guest.email,
        guest.first_name or "",
        guest.last_name or "",
        call.store.new_id(),
        [call.org_id],
        call.store.now(),
    )
    call.store.users[user_id] = user
    del call.store.guests[(call.org_id, guest.email)]
    return 200, {"data": shape.user(user)}


@handles("set_guest_form_field_value")
def set_guest_form_field_value(call: Call) -> Result:
    find_guest(call)
    return set_form_field_value(call)


# ---------------------------------------------------------------- files


@handles("upload_asset")
def upload_asset(call: Call) -> Result:
    _, payload = upload_file(call)
    return 201, payload


@handles("upload_file_by_form")
def upload_file_by_form(call: Call) -> Result:
    return upload_asset(call)


def _asset(call: Call, name: str) -> Any:
    asset = call.store.assets.get(call.params[name])
    if asset is None or asset.org_id != call.org_id:
        raise resource_not_found()
    return asset


@handles("get_asset")
def get_asset(call: Call) -> Result:
    return 200, {"data": shape.asset(_asset(call, "asset_id"))}


@handles("delete_asset")
def delete_asset(call: Call) -> Result:
    del call.store.assets[_asset(call, "asset_id").id]
    return 204, None


@handles("get_file")
def get_file(call: Call) -> Result:
    return 200, {"data": shape.asset(_asset(call, "file_id"))}


@handles("delete_file")
def delete_file(call: Call) -> Result:
    del call.store.assets[_asset(call, "file_id").id]
    return 204, None


@handles("download_file_by_link")
def download_file_by_link(call: Call) -> Result:
    return 200, Binary(_asset(call, "file_id").content, "application/octet-stream")


# ---------------------------------------------------------------- custom fields

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "boolean",
    "date",
    "email",
    "url",
    "radio",
    "dropdown",
    "multiselect",
    "table",
)


@handles("list_custom_field_keys")
def list_custom_field_keys(call: Call) -> Result:
    fields = call.query_fields()
    applies_to = fields.string("applies_to")
    text = (fields.string("q") or "").lower()
    active = fields.boolean("is_active")
    found = [
        key
        for key in call.store.custom_field_keys.values()
        if key["org_id"] == call.org_id
        and applies_to in (None, key["applies_to"])
        and text in key["key"].lower()
        and active in (None, key["is_active"])
    ]
    return call.paged(found, lambda key: {name: value for name, value in key.items() if name != "org_id"}, fields)


@handles("create_custom_field_key")
def create_custom_field_key(call: Call) -> Result:
    call.require_admin()
    fields = call.body_fields()
    key = fields.string("key", required=True, max_length=100)
    applies_to = fields.string("applies_to", required=True)
    field_type = fields.string("field_type", required=True)
    is_required = fields.boolean("is_required")
    is_active = fields.boolean("is_active")
    if field_type is not None and field_type not in FIELD_TYPES:
        fields.fail("field_type", "The selected field type is invalid.")
    taken = any(k["org_id"] == call.org_id and k["key"] == key for k in call.store.custom_field_keys.values())
    if taken:
        fields.fail("key", "The key has already been taken.")
    fields.check()
    record: JsonObject = {
        "id": call.store.new_id(),
        "key": key,
        "applies_to": applies_to,
        "field_type": field_type,
        "key_type": "org",
        "is_required": bool(is_required),
        "is_active": True if is_active is None else is_active,
        "org_id": call.org_id,
    }
    call.store.custom_field_keys[record["id"]] = record
    return 201, {"data": {name: value for name, value in record.items() if name != "org_id"}}


def _record(call: Call, kind: str) -> str:
    """The id of the record whose custom fields are addressed, after checking it exists in the organization."""
    if kind == "process":
        return find_process(call).id
    if kind == "process_task":
        return find_process_task(call, find_process(call)).id
    if kind == "member":
        return str(find_member(call).id)
    if kind == "guest":
        return str(find_guest(call, parameter="guest_code").email)
    if kind in ("folder", "tag"):
        records: dict[str, Any] = call.store.folders if kind == "folder" else call.store.tags
        found = records.get(call.params[f"{kind}_id"])
        if found is None or found.org_id != call.org_id:
            raise resource_not_found()
        return str(found.id)
    blueprint = find_blueprint(call, call.params["checklist_id"])
    if kind == "blueprint":
        return blueprint.id
    if kind == "kickoff_field":
        field = next((f for f in blueprint.kickoff_fields if f.id == call.params["kickoff_field_id"]), None)
        if field is None:
            raise resource_not_found()
        return field.id
    step = find_step(blueprint, call.params["step_id"])
    if kind == "step":
        return step.id
    capture = next((c for c in step.captures if c.id == call.params["capture_id"]), None)
    if capture is None:
        raise resource_not_found()
    return capture.id


def _keys_for(call: Call, kind: str) -> dict[str, JsonObject]:
    applies = {"process_task": "task", "blueprint": "template", "capture": "form_field"}.get(kind, kind)
    return {
        key["key"]: key
        for key in call.store.custom_field_keys.values()
        if key["org_id"] == call.org_id and key["applies_to"] == applies and key["is_active"]
    }


def _values_answer(values: dict[str, Any]) -> Result:
    return 200, {"data": {"custom_fields": dict(values)}}


def _register_custom_fields(kind: str, patchable: bool) -> None:
    def get_values(call: Call) -> Result:
        return _values_answer(call.store.custom_values.get((kind, _record(call, kind)), {}))

    def set_values(call: Call) -> Result:
        record_id = _record(call, kind)
        fields = call.body_fields()
        values = fields.mapping("custom_fields")
        if values is None and not fields.errors:
            fields.fail("custom_fields", "The custom fields field is required.")
        keys = _keys_for(call, kind)
        for name in values or {}:
            if name not in keys:
                fields.fail(f"custom_fields.{name}", f"The custom_fields.{name} is not a key for this record.")
        for name, key in keys.items():
            if key["is_required"] and values is not None and name not in values:
                fields.fail(f"custom_fields.{name}", f"The custom_fields.{name} field is required.")
        fields.check()
        call.store.custom_values[(kind, record_id)] = dict(values or {})
        return _values_answer(call.store.custom_values[(kind, record_id)])

    handles(f"get_{kind}_custom_fields")(get_values)
    handles(f"set_{kind}_custom_fields")(set_values)
    if not patchable:
        return

    def patch_value(call: Call) -> Result:
        record_id = _record(call, kind)
        name = call.params["custom_field_key"]
        key = _keys_for(call, kind).get(name)
        if key is None:
            raise invalid({"custom_field_key": [f"The key {name} is not a key for this record."]})
        if "value" not in (call.body if isinstance(call.body, dict) else {}):
            raise invalid({"value": ["The value field is required."]})
        values = call.store.custom_values.setdefault((kind, record_id), {})
        values[name] = call.body["value"]
        return _values_answer(values)

    def delete_value(call: Call) -> Result:
        record_id = _record(call, kind)
        name = call.params["custom_field_key"]
        key = next(
            (k for k in call.store.custom_field_keys.values() if k["org_id"] == call.org_id and k["key"] == name),
            None,
        )
        if key is not None and key["key_type"] == "system":
            raise forbidden(SYSTEM_KEY_MESSAGE)
        values = call.store.custom_values.get((kind, record_id), {})
        if name not in values:
            raise resource_not_found()
        del values[name]
        return 204, None

    handles(f"patch_{kind}_custom_field")(patch_value)
    handles(f"delete_{kind}_custom_field")(delete_value)


for _kind in ("process", "process_task", "member", "guest", "folder", "tag"):
    _register_custom_fields(_kind, patchable=True)
for _kind in ("blueprint", "step", "capture", "kickoff_field"):
    _register_custom_fields(_kind, patchable=False)


# ---------------------------------------------------------------- the connector's micro-function routes and POST reopen


@handles("reopen_task_by_post")
def reopen_task_by_post(call: Call) -> Result:
    from tallyfy_diag.sandbox._tasks import reopen_task  # noqa: PLC0415 - the same reopening as DELETE

    return reopen_task(call)


@handles("create_task_micro")
def create_task_micro(call: Call) -> Result:
    fields = call.body_fields()
    name = fields.string("name", required=True, max_length=TITLE_MAX)
    task_type = fields.string("task_type", required=True)
    deadline = fields.date("deadline", required=True)
    description = fields.string("description")
    owners = read_owners(call, fields)
    fields.check()
    task = call.store.add_oneoff_task(
        call.org_id,
        title=str(name),
        task_type=str(task_type),
        owners=owners or {"users": [call.user_id]},
        deadline=deadline,
        summary=description,
    )
    return 200, {"data": shape.task(task, call.store)}


@handles("edit_task_deadline_micro")
def edit_task_deadline_micro(call: Call) -> Result:
    task = _task_in_org(call)
    fields = call.body_fields()
    deadline = fields.date("Deadline", required=True)
    fields.check()
    task.deadline = deadline
    return 200, {"data": shape.task(task, call.store)}


@handles("remove_task_guest_micro")
def remove_task_guest_micro(call: Call) -> Result:
    task = _task_in_org(call)
    email = call.params["guest_email"].lower()
    task.owners["guests"] = [guest for guest in task.owners.get("guests", []) if str(guest).lower() != email]
    return 200, {"data": shape.task(task, call.store)}


@handles("remove_task_assignee_micro")
def remove_task_assignee_micro(call: Call) -> Result:
    task = _task_in_org(call)
    user = find_member(call)
    task.owners["users"] = [user_id for user_id in task.owners.get("users", []) if user_id != user.id]
    return 200, {"data": shape.task(task, call.store)}


@handles("edit_step_type_micro")
def edit_step_type_micro(call: Call) -> Result:
    _, step = _step_of(call)
    fields = call.body_fields()
    step_type = fields.string("stepType", required=True)
    if step_type is not None and step_type not in ("all", "any"):
        fields.fail("stepType", "The selected step type is invalid (all or any).")
    fields.check()
    step.everyone_must_complete = step_type == "all"
    return 200, {"data": shape.step(step)}
