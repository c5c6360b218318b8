"""Tags, folders, search and the activity feed."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._call import Call, JsonObject, Result, handles
from tallyfy_diag.sandbox._errors import resource_not_found
from tallyfy_diag.sandbox._models import Folder, Tag
from tallyfy_diag.sandbox._pagination import page_of
from tallyfy_diag.sandbox._validation import Fields

TAG_TITLE_MAX = 30
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ACTIVITY_PER_PAGE = 20
"""Tallyfy's docs give the activity feed a default page size of 20."""


# ---------------------------------------------------------------- tags


def _tag(call: Call) -> Tag:
    tag = call.store.tags.get(call.params["tag_id"])
    if tag is None or tag.org_id != call.org_id:
        raise resource_not_found()
    return tag


def _tag_fields(call: Call) -> tuple[str, str | None]:
    fields = call.body_fields()
    title = fields.string("title", required=True, max_length=TAG_TITLE_MAX)
    color = fields.string("color")
    if color is not None and not _COLOR.fullmatch(color):
        fields.fail("color", "The color must be a hex colour like #3fa9f5.")
    fields.check()
    return str(title), color


@handles("list_tags")
def list_tags(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    found = [tag for tag in call.store.tags.values() if tag.org_id == call.org_id and text in tag.title.lower()]
    return call.paged(found, shape.tag, fields)


@handles("create_tag")
def create_tag(call: Call) -> Result:
    title, color = _tag_fields(call)
    tag = Tag(call.store.new_id(), call.org_id, title, color, call.store.now())
    call.store.tags[tag.id] = tag
    return 201, {"data": shape.tag(tag)}


@handles("get_tag")
def get_tag(call: Call) -> Result:
    return 200, {"data": shape.tag(_tag(call))}


@handles("update_tag")
def update_tag(call: Call) -> Result:
    tag = _tag(call)
    tag.title, color = _tag_fields(call)
    tag.color = color if color is not None else tag.color
    return 200, {"data": shape.tag(tag)}


@handles("delete_tag")
def delete_tag(call: Call) -> Result:
    del call.store.tags[_tag(call).id]
    return 204, None


# ---------------------------------------------------------------- folders


def _folder(call: Call) -> Folder:
    folder = call.store.folders.get(call.params["folder_id"])
    if folder is None or folder.org_id != call.org_id:
        raise resource_not_found()
    return folder


def _parent(call: Call, fields: Fields, folder_id: str | None = None) -> str | None:
    parent_id = fields.string("parent_id")
    if parent_id is not None:
        parent = call.store.folders.get(parent_id)
        if parent is None or parent.org_id != call.org_id or parent_id == folder_id:
            fields.fail("parent_id", "The selected parent id is invalid.")
    return parent_id


@handles("list_folders")
def list_folders(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    kind = fields.string("folder_type")
    found = [
        folder
        for folder in call.store.folders.values()
        if folder.org_id == call.org_id and text in folder.name.lower() and kind in (None, folder.folder_type)
    ]
    return call.paged(found, shape.folder, fields)


@handles("create_folder")
def create_folder(call: Call) -> Result:
    fields = call.body_fields()
    name = fields.string("name", required=True)
    kind = fields.string("folder_type")
    parent_id = _parent(call, fields)
    fields.check()
    folder = Folder(call.store.new_id(), call.org_id, str(name), kind or "checklist", parent_id, call.store.now())
    call.store.folders[folder.id] = folder
    return 201, {"data": shape.folder(folder)}


@handles("get_folder")
def get_folder(call: Call) -> Result:
    return 200, {"data": shape.folder(_folder(call))}


@handles("update_folder")
def update_folder(call: Call) -> Result:
    folder = _folder(call)
    fields = call.body_fields()
    name = fields.string("name", required="name" in fields.source)
    parent_id = _parent(call, fields, folder.id)
    fields.check()
    folder.name = name if name is not None else folder.name
    folder.parent_id = parent_id if parent_id is not None else folder.parent_id
    return 200, {"data": shape.folder(folder)}


@handles("delete_folder")
def delete_folder(call: Call) -> Result:
    folder = _folder(call)
    del call.store.folders[folder.id]
    for child in call.store.folders.values():
        if child.parent_id == folder.id:
            child.parent_id = folder.parent_id
    return 204, None


# ---------------------------------------------------------------- search


@handles("search")
def search(call: Call) -> Result:
    fields = call.query_fields()
    kinds = fields.string("on", required=True)
    text = fields.string("search", required=True)
    page = fields.integer("page", minimum=1) or 1
    per_page = fields.integer("per_page", minimum=1) or 10
    fields.check()
    needle = str(text).lower()
    store = call.store
    candidates: dict[str, list[JsonObject]] = {
        "blueprint": [
            {"id": bp.id, "title": bp.title, "status": bp.status}
            for bp in store.blueprints_of(call.org_id)
            if needle in bp.title.lower()
        ],
        "process": [
            {"id": run.id, "name": run.name, "status": run.status}
            for run in store.processes_of(call.org_id)
            if needle in run.name.lower()
        ],
        # Tallyfy's task matches carry no run_id.
        "task": [
            {"id": task.id, "title": task.title, "status": task.status}
            for task in store.tasks_of(call.org_id)
            if needle in task.title.lower() and task.archived_at is None
        ],
    }
    results: JsonObject = {}
    for kind in dict.fromkeys(part.strip() for part in str(kinds).split(",") if part.strip()):
        chosen, meta = page_of(candidates.get(kind, []), page=page, per_page=per_page, url=call.url, query=call.query)
        results[kind] = {"data": chosen, "meta": meta}
    return 200, results


# ---------------------------------------------------------------- activity feed


def _day(fields: Fields, name: str) -> date | None:
    value = fields.string(name)
    if value is None:
        return None
    parsed = None
    if _DAY.fullmatch(value):
        with contextlib.suppress(ValueError):
            parsed = date.fromisoformat(value)
    if parsed is None:
        fields.fail(name, f"The {name.replace('_', ' ')} does not match the format Y-m-d.")
    return parsed


@handles("list_activity_feeds")
def list_activity_feeds(call: Call) -> Result:
    fields = call.query_fields()
    entity_type = fields.string("entity_type")
    entity_id = fields.string("entity_id")
    kind = fields.string("type")
    verb = fields.string("verb")
    actor_id = fields.integer("actor_id")
    source = fields.string("source")
    after = _day(fields, "created_after")
    before = _day(fields, "created_before")
    found = [
        entry
        for entry in reversed(call.store.activities)  # newest first
        if entry.org_id == call.org_id
        and entity_type in (None, entry.auditable_type)
        and entity_id in (None, entry.auditable_id, entry.parentable_id)
        and kind in (None, entry.kind)
        and verb in (None, entry.verb)
        and actor_id in (None, entry.actor_id)
        and source in (None, "Member")
        and (after is None or entry.created_at.date() >= after)
        and (before is None or entry.created_at.date() <= before)
    ]
    return call.paged(found, shape.activity, fields, default_per_page=ACTIVITY_PER_PAGE)
