"""Blueprint (API: checklist) operations."""

from __future__ import annotations

import attrs

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._errors import invalid, resource_not_found
from tallyfy_diag.sandbox._models import Blueprint, Step
from tallyfy_diag.sandbox._validation import Fields

TITLE_MAX = 600


def find_blueprint(call: Call, blueprint_id: str) -> Blueprint:
    blueprint = call.store.blueprint_in(call.org_id, blueprint_id)
    if blueprint is None:
        raise resource_not_found()
    return blueprint


def check_member(call: Call, fields: Fields, name: str, user_id: int | None) -> None:
    if user_id is not None and user_id not in call.store.members(call.org_id):
        fields.fail(name, f"The selected {name.replace('_', ' ')} is invalid.")


@handles("list_blueprints")
def list_blueprints(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    status = fields.string("status")
    kind = fields.string("type")
    owner_id = fields.integer("owner_id")
    archived = fields.boolean("archived") or status == "archived"
    fields.boolean("starred")
    found = [
        blueprint
        for blueprint in call.store.blueprints_of(call.org_id)
        if (blueprint.archived_at is not None) == archived
        and text in blueprint.title.lower()
        and (status in (None, "archived") or blueprint.status == status)
        and (kind is None or blueprint.type == kind)
        and (owner_id is None or blueprint.owner_id == owner_id)
    ]
    includes = call.includes()
    return call.paged(found, lambda blueprint: shape.blueprint(blueprint, includes, call.store), fields)


@attrs.frozen
class _BlueprintInput:
    title: str | None
    summary: str | None
    guidance: str | None
    owner_id: int | None
    type: str | None
    webhook: str | None

    def changes(self) -> dict[str, object]:
        return {name: value for name, value in attrs.asdict(self).items() if value is not None}


def _read_blueprint(call: Call, *, creating: bool) -> _BlueprintInput:
    fields = call.body_fields()
    fields.string("folder_id")
    given = _BlueprintInput(
        title=fields.string("title", required=creating or "title" in fields.source, max_length=TITLE_MAX),
        summary=fields.string("summary"),
        guidance=fields.string("guidance"),
        owner_id=fields.integer("owner_id"),
        type=fields.string("type"),
        webhook=fields.url("webhook"),
    )
    check_member(call, fields, "owner_id", given.owner_id)
    fields.check()
    return given


@handles("create_blueprint")
def create_blueprint(call: Call) -> Result:
    given = _read_blueprint(call, creating=True)
    blueprint = call.store.add_blueprint(
        call.org_id,
        title=given.title or "",
        kind=given.type or "procedure",
        owner_id=call.user_id if given.owner_id is None else given.owner_id,
        created=call.store.now(),
        summary=given.summary,
        guidance=given.guidance,
        webhook=given.webhook,
    )
    return 201, {"data": shape.blueprint(blueprint, store=call.store)}


@handles("get_blueprint")
def get_blueprint(call: Call) -> Result:
    return 200, {
        "data": shape.blueprint(find_blueprint(call, call.params["checklist_id"]), call.includes(), call.store)
    }


@handles("update_blueprint")
def update_blueprint(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    # Tallyfy's update-template page and the SDK: a PUT carries the title even when it does not change it.
    for name, value in _read_blueprint(call, creating=True).changes().items():
        setattr(blueprint, name, value)
    blueprint.updated_at = call.store.now()
    return 200, {"data": shape.blueprint(blueprint, store=call.store)}


@handles("archive_blueprint")
def archive_blueprint(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    if blueprint.archived_at is None:
        blueprint.archived_at = blueprint.updated_at = call.store.now()
    return 200, {"data": shape.blueprint(blueprint, store=call.store)}


@handles("list_blueprint_steps")
def list_blueprint_steps(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    # The spec: not paginated, so no `meta`.
    return 200, {"data": [shape.step(step) for step in blueprint.steps]}


def find_step(blueprint: Blueprint, step_id: str) -> Step:
    for step in blueprint.steps:
        if step.id == step_id:
            return step
    raise resource_not_found()


@handles("get_blueprint_step")
def get_blueprint_step(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    return 200, {"data": shape.step(find_step(blueprint, call.params["step_id"]))}


@handles("clone_blueprint")
def clone_blueprint(call: Call) -> Result:
    source = find_blueprint(call, call.params["checklist_id"])
    fields = call.body_fields()
    tenant = fields.string("tenant") or call.org_id
    title = fields.string("title", required="title" in fields.source, max_length=TITLE_MAX)
    if not call.store.is_member(call.user_id, tenant):
        fields.fail("tenant", "The selected tenant is invalid.")
    fields.check()
    store = call.store
    copy = store.add_blueprint(
        tenant,
        title=title or f"{source.title} (copy)",
        kind=source.type,
        owner_id=call.user_id,
        created=store.now(),
        summary=source.summary,
        guidance=source.guidance,
    )
    for step in source.steps:
        step_id = store.new_id()
        captures = [attrs.evolve(capture, id=store.new_id(), step_id=step_id) for capture in step.captures]
        copy.steps.append(attrs.evolve(step, id=step_id, checklist_id=copy.id, captures=captures))
    copy.kickoff_fields = [attrs.evolve(field, id=store.new_id()) for field in source.kickoff_fields]
    return 201, {"data": shape.blueprint(copy, store=call.store)}


@handles("publish_blueprint")
def publish_blueprint(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    if blueprint.archived_at is not None:
        raise invalid({"checklist_id": ["An archived blueprint cannot be published."]})
    blueprint.updated_at = call.store.now()
    return 200, {"data": shape.blueprint(blueprint, store=call.store)}


@handles("delete_blueprint")
def delete_blueprint(call: Call) -> Result:
    call.require_admin()
    blueprint = find_blueprint(call, call.params["checklist_id"])
    if blueprint.archived_at is None:
        raise invalid({"checklist_id": ["Archive the blueprint before deleting it."]})
    blueprint.deleted = True
    return 200, {"message": f"Blueprint {blueprint.title!r} was deleted."}


@handles("list_blueprint_form_fields")
def list_blueprint_form_fields(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    return 200, {
        "data": {
            "ko_form_fields": [shape.form_field(field) for field in blueprint.kickoff_fields],
            "captures": [shape.form_field(capture) for step in blueprint.steps for capture in step.captures],
        }
    }
