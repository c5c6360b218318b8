"""Task operations: tasks of processes and one-off tasks, completion, comments and problems."""

from __future__ import annotations

from datetime import datetime

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._blueprints import TITLE_MAX
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._errors import invalid, resource_not_found
from tallyfy_diag.sandbox._models import RUN_ARCHIVED, TASK_COMPLETED, Comment, Task
from tallyfy_diag.sandbox._pagination import DEFAULT_PER_PAGE
from tallyfy_diag.sandbox._processes import (
    find_process,
    find_process_task,
    form_values,
    missing_required,
    read_owners,
)
from tallyfy_diag.sandbox._validation import Fields
from tallyfy_diag.sandbox._webhooks import process_payload, task_payload


def _task_status_matches(task: Task, status: str, now: datetime) -> bool:
    done = task.status == TASK_COMPLETED
    if status in {"complete", "completed"}:
        return done
    if status in {"active", "incomplete"}:
        return not done
    if status == "inprogress":
        status = "in-progress"
    if status == "overdue":
        return not done and task.deadline is not None and task.deadline < now
    return task.status == status


@handles("list_org_tasks")
def list_org_tasks(call: Call) -> Result:
    fields = call.query_fields()
    status = fields.string("status")
    owners = fields.string("owners")
    owner_ids = {part.strip() for part in owners.split(",")} if owners else None
    start = fields.day("deadline_start_range")
    end = fields.day("deadline_end_range")
    text = (fields.string("q") or "").lower()
    oneoff = fields.boolean("is_oneoff")
    unassigned = fields.boolean("unassigned")
    archived = fields.string("archived")
    everything = fields.boolean("without_pagination")
    now = call.store.now()

    def in_range(task: Task) -> bool:
        day = task.deadline.date() if task.deadline is not None else None
        return (start is None or (day is not None and day >= start)) and (
            end is None or (day is not None and day <= end)
        )

    def wanted(task: Task) -> bool:
        if archived == "only":
            if task.archived_at is None:
                return False
        elif archived != "true" and not _visible(call, task):
            return False
        return (
            in_range(task)
            and (status in (None, "") or _task_status_matches(task, status, now))
            and (owner_ids is None or bool(owner_ids & {str(user) for user in task.owners.get("users", [])}))
            and text in task.title.lower()
            and oneoff in (None, task.run_id is None)
            and (not unassigned or not any(task.owners.get(kind) for kind in ("users", "groups", "guests")))
        )

    found = [task for task in call.store.tasks_of(call.org_id) if wanted(task)]
    includes = call.includes()
    default = max(len(found), 1) if everything else DEFAULT_PER_PAGE
    return call.paged(found, lambda task: shape.task(task, call.store, includes), fields, default_per_page=default)


@handles("create_oneoff_task")
def create_oneoff_task(call: Call) -> Result:
    fields = call.body_fields()
    title = fields.string("title", required=True, max_length=TITLE_MAX)
    task_type = fields.string("task_type")
    owners = read_owners(call, fields)
    deadline = fields.date("deadline")
    # Tallyfy's create-task page names the text `description`, the SDK `summary`: both are read.
    summary = fields.string("description") if "description" in fields.source else fields.string("summary")
    for flag in ("separate_task_for_each_assignee", "everyone_must_complete", "prevent_guest_comment", "top_secret"):
        fields.boolean(flag)
    fields.integer("max_assignable", minimum=1)
    fields.url("webhook")
    fields.list_of("tags", str)
    fields.list_of("form_fields", dict)
    fields.check()
    task = call.store.add_oneoff_task(
        call.org_id,
        title=title or "",
        task_type=task_type or "task",
        owners=owners or {"users": [call.user_id]},
        deadline=deadline,
        summary=summary,
    )
    return 201, {"data": shape.task(task, call.store)}


@handles("get_task")
def get_task(call: Call) -> Result:
    return 200, {"data": shape.task(_org_task(call), call.store, call.includes())}


@handles("list_process_tasks")
def list_process_tasks(call: Call) -> Result:
    process = find_process(call)
    tasks = [call.store.tasks[task_id] for task_id in process.task_ids]
    includes = call.includes()
    return call.paged(tasks, lambda task: shape.task(task, call.store, includes))


@handles("update_process_task")
def update_process_task(call: Call) -> Result:
    process = find_process(call)
    task = find_process_task(call, process)
    step = call.store.step(task)
    fields = call.body_fields()
    title = fields.string("title", required="title" in fields.source, max_length=TITLE_MAX)
    deadline = fields.date("deadline")
    owners = read_owners(call, fields)
    taskdata = form_values(fields, "taskdata", step.captures if step else [])
    fields.check()
    if title is not None:
        task.title = title
    if deadline is not None:
        task.deadline = deadline
    if owners is not None:
        task.owners = owners
    if taskdata:
        task.taskdata.update(taskdata)
    return 200, {"data": shape.task(task, call.store)}


@handles("complete_task")
def complete_task(call: Call) -> Result:
    process = find_process(call)
    fields = call.body_fields()
    task_id = fields.hex_id("task_id", required=True)
    fields.boolean("is_approved")
    if task_id is not None and task_id not in process.task_ids:
        fields.fail("task_id", "The selected task id is invalid.")
    fields.check()
    task = call.store.tasks[str(task_id)]
    step = call.store.step(task)
    # Tallyfy refuses completion while required form fields are empty.
    missing_required(fields, "taskdata", step.captures if step else [], task.taskdata)
    fields.check()
    was_open, process_was_open = task.completed_at is None, process.completed_at is None
    call.store.complete(task)
    call.store.record(
        call.org_id, call.user_id, verb="completed", kind="Task", subject=("task", task.id), parent=("run", process.id)
    )
    # Webhooks fire on the change only: completing a completed task again is no new event.
    if was_open:
        call.webhooks.append(task_payload(call.store, task, call.user_id))
    if process_was_open and process.completed_at is not None:
        call.webhooks.append(process_payload(call.store, process))
    return 200, {"data": shape.task(task, call.store)}


@handles("reopen_task")
def reopen_task(call: Call) -> Result:
    process = find_process(call)
    task = find_process_task(call, process)
    call.store.reopen(task)
    call.store.record(
        call.org_id, call.user_id, verb="reopened", kind="Task", subject=("task", task.id), parent=("run", process.id)
    )
    return 200, {"data": shape.task(task, call.store)}


# ---------------------------------------------------------------- one-off tasks


def _oneoff(call: Call, *, wrong_kind_is_invalid: bool = True) -> Task:
    """The one-off task named in the path; a task of a process is 422 (it goes with its process)."""
    task = _org_task(call)
    if task.run_id is not None:
        if wrong_kind_is_invalid:
            raise invalid({"task_id": ["Only one-off tasks: a task of a process goes with its process."]})
        raise resource_not_found()
    return task


def _org_task(call: Call) -> Task:
    task = call.store.tasks.get(call.params["task_id"])
    if task is None or task.org_id != call.org_id or task.archived_at is not None:
        raise resource_not_found()
    return task


@handles("update_oneoff_task")
def update_oneoff_task(call: Call) -> Result:
    task = _oneoff(call)
    fields = call.body_fields()
    title = fields.string("title", required="title" in fields.source, max_length=TITLE_MAX)
    summary = fields.string("summary")
    task_type = fields.string("task_type")
    deadline = fields.date("deadline")
    owners = read_owners(call, fields)
    # One-off tasks have no form definition in the sandbox: any field id is taken as it comes.
    taskdata = fields.mapping("taskdata")
    fields.check()
    for name, value in (("title", title), ("summary", summary), ("task_type", task_type), ("deadline", deadline)):
        if value is not None:
            setattr(task, name, value)
    if owners is not None:
        task.owners = owners
    if taskdata:
        task.taskdata.update(taskdata)
    return 200, {"data": shape.task(task, call.store)}


@handles("archive_oneoff_task")
def archive_oneoff_task(call: Call) -> Result:
    _oneoff(call).archived_at = call.store.now()
    return 204, None


@handles("delete_oneoff_task")
def delete_oneoff_task(call: Call) -> Result:
    del call.store.tasks[_oneoff(call).id]
    return 204, None


@handles("complete_oneoff_task")
def complete_oneoff_task(call: Call) -> Result:
    fields = call.body_fields()
    task_id = fields.hex_id("task_id", required=True)
    fields.boolean("is_approved")
    task = call.store.tasks.get(str(task_id))
    if task_id is not None and (task is None or task.org_id != call.org_id or task.run_id is not None):
        fields.fail("task_id", "The selected task id is invalid.")
    fields.check()
    assert task is not None  # checked above
    call.store.complete(task)
    call.store.record(call.org_id, call.user_id, verb="completed", kind="Task", subject=("task", task.id))
    return 200, {"data": shape.task(task, call.store)}


@handles("reopen_oneoff_task")
def reopen_oneoff_task(call: Call) -> Result:
    task = _oneoff(call, wrong_kind_is_invalid=False)
    call.store.reopen(task)
    call.store.record(call.org_id, call.user_id, verb="reopened", kind="Task", subject=("task", task.id))
    return 200, {"data": shape.task(task, call.store)}


@handles("list_my_tasks")
def list_my_tasks(call: Call) -> Result:
    fields = call.query_fields()
    status = fields.string("status")
    now = call.store.now()
    found = [
        task
        for task in call.store.tasks_of(call.org_id)
        if _visible(call, task)
        and call.user_id in task.owners.get("users", [])
        and (status in (None, "") or _task_status_matches(task, str(status), now))
    ]
    includes = call.includes()
    return call.paged(found, lambda task: shape.task(task, call.store, includes), fields)


def _visible(call: Call, task: Task) -> bool:
    """Listed at all: not archived itself, not in an archived process."""
    if task.archived_at is not None:
        return False
    return task.run_id is None or call.store.processes[task.run_id].status != RUN_ARCHIVED


# ---------------------------------------------------------------- comments and problems


def _comment(call: Call, task: Task, fields: Fields, *, label: str, state: str) -> Comment:
    content = fields.string("content", required=True)
    fields.check()
    comment = Comment(
        id=call.store.new_id(),
        org_id=call.org_id,
        task_id=task.id,
        author_id=call.user_id,
        content=str(content),
        label=label,
        state=state,
        created_at=call.store.now(),
    )
    call.store.comments[comment.id] = comment
    parent = ("run", task.run_id) if task.run_id else None
    call.store.record(
        call.org_id, call.user_id, verb="commented", kind="Comment", subject=("task", task.id), parent=parent
    )
    return comment


@handles("comment_on_task")
def comment_on_task(call: Call) -> Result:
    task = _org_task(call)
    fields = call.body_fields()
    label = fields.string("label")
    state = fields.string("state")
    sent_to = fields.list_of("sent_to", int)
    if sent_to is not None and not set(sent_to) <= call.store.members(call.org_id):
        fields.fail("sent_to", "The selected sent to is invalid.")
    comment = _comment(call, task, fields, label=label or "comment", state=state or "open")
    return 201, {"data": shape.comment(comment)}


@handles("report_task_problem")
def report_task_problem(call: Call) -> Result:
    task = _org_task(call)
    comment = _comment(call, task, call.body_fields(), label="problem", state="problem")
    return 201, {"data": shape.comment(comment)}


@handles("resolve_task_problem")
def resolve_task_problem(call: Call) -> Result:
    task = _org_task(call)
    fields = call.body_fields()
    thread_id = fields.string("thread_id", required=True)
    fields.string("content")
    fields.string("state")
    thread = call.store.comments.get(str(thread_id))
    if thread_id is not None and (
        thread is None or thread.task_id != task.id or thread.label != "problem" or thread.resolved_at is not None
    ):
        fields.fail("thread_id", "The selected thread id is not an open problem on this task.")
    fields.check()
    assert thread is not None  # checked above
    thread.resolved_at = call.store.now()
    thread.state = "resolved"
    return 200, {"data": shape.comment(thread)}
