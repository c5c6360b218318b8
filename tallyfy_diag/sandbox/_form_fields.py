"""Form fields of a blueprint: kick-off fields (API: preruns) and task form fields of steps (API: captures)."""

from __future__ import annotations

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._blueprints import find_blueprint, find_step
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._errors import resource_not_found
from tallyfy_diag.sandbox._models import FormField, Step
from tallyfy_diag.sandbox._validation import Fields

LABEL_MAX = 600


def _find(fields: list[FormField], field_id: str) -> FormField:
    for field in fields:
        if field.id == field_id:
            return field
    raise resource_not_found()


def _apply(fields: Fields, field: FormField, siblings: list[FormField]) -> None:
    """Validate and apply a field update (label, field_type, guidance, required, position from 1)."""
    label = fields.string("label", required="label" in fields.source, max_length=LABEL_MAX)
    field_type = fields.string("field_type", required="field_type" in fields.source)
    guidance = fields.string("guidance")
    required = fields.boolean("required")
    position = fields.integer("position", minimum=1)
    fields.check()
    if label is not None:
        field.label = label
    if field_type is not None:
        field.field_type = field_type
    if guidance is not None:
        field.guidance = guidance
    if required is not None:
        field.required = required
    if position is not None:
        siblings.remove(field)
        siblings.insert(min(position, len(siblings) + 1) - 1, field)


@handles("update_kickoff_field")
def update_kickoff_field(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    field = _find(blueprint.kickoff_fields, call.params["kickoff_field_id"])
    _apply(call.body_fields(), field, blueprint.kickoff_fields)
    return 200, {"data": shape.form_field(field)}


@handles("delete_kickoff_field")
def delete_kickoff_field(call: Call) -> Result:
    blueprint = find_blueprint(call, call.params["checklist_id"])
    blueprint.kickoff_fields.remove(_find(blueprint.kickoff_fields, call.params["kickoff_field_id"]))
    return 204, None


def _step(call: Call) -> Step:
    return find_step(find_blueprint(call, call.params["checklist_id"]), call.params["step_id"])


@handles("list_step_captures")
def list_step_captures(call: Call) -> Result:
    return call.paged(_step(call).captures, shape.form_field)


@handles("create_step_capture")
def create_step_capture(call: Call) -> Result:
    step = _step(call)
    fields = call.body_fields()
    # Check the required members first: once the capture is on the step, `_apply` must not fail.
    fields.string("label", required=True, max_length=LABEL_MAX)
    fields.string("field_type", required=True)
    fields.list_of("options", dict)
    fields.check()
    capture = FormField(call.store.new_id(), "", "", False, "", step.id)
    step.captures.append(capture)
    _apply(fields, capture, step.captures)
    capture.alias = "-".join(capture.label.lower().split())
    return 201, {"data": shape.form_field(capture)}


@handles("get_step_capture")
def get_step_capture(call: Call) -> Result:
    return 200, {"data": shape.form_field(_find(_step(call).captures, call.params["capture_id"]))}


@handles("update_step_capture")
def update_step_capture(call: Call) -> Result:
    step = _step(call)
    capture = _find(step.captures, call.params["capture_id"])
    _apply(call.body_fields(), capture, step.captures)
    return 200, {"data": shape.form_field(capture)}


@handles("delete_step_capture")
def delete_step_capture(call: Call) -> Result:
    step = _step(call)
    step.captures.remove(_find(step.captures, call.params["capture_id"]))
    return 204, None
