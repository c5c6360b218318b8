"""File uploads for form fields, and downloads of what was uploaded."""

from __future__ import annotations

from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._call import Binary, Call, Result, handles
from tallyfy_diag.sandbox._errors import resource_not_found
from tallyfy_diag.sandbox._models import Asset
from tallyfy_diag.sandbox._multipart import UploadedFile
from tallyfy_diag.sandbox._validation import Fields

SUBJECT_TYPES = ("Run", "Checklist", "Task")


def _subject_exists(call: Call, subject_type: str, subject_id: str) -> bool:
    store = call.store
    if subject_type == "Run":
        process = store.processes.get(subject_id)
        return process is not None and process.org_id == call.org_id
    if subject_type == "Checklist":
        return store.blueprint_in(call.org_id, subject_id) is not None
    task = store.tasks.get(subject_id)
    return task is not None and task.org_id == call.org_id


@handles("upload_file")
def upload_file(call: Call) -> Result:
    form = call.body if isinstance(call.body, dict) else {}
    upload = form.get("name")
    # The other parts are text: read them like JSON strings (files in their place are wrong types).
    fields = Fields({key: value for key, value in form.items() if isinstance(value, str)})
    if not isinstance(upload, UploadedFile):
        fields.fail("name", "The name must be a file.")
    subject_type = fields.string("subject_type", required=True)
    subject_id = fields.string("subject_id", required=True)
    uploaded_from = fields.string("uploaded_from", required=True)
    step_id = fields.string("step_id")
    source = fields.string("source")
    if subject_type is not None and subject_type not in SUBJECT_TYPES:
        fields.fail("subject_type", f"The selected subject type is invalid (one of {', '.join(SUBJECT_TYPES)}).")
    elif subject_type is not None and subject_id is not None and not _subject_exists(call, subject_type, subject_id):
        fields.fail("subject_id", "The selected subject id is invalid.")
    fields.check()
    assert isinstance(upload, UploadedFile)  # checked above
    asset = Asset(
        id=call.store.new_id(),
        org_id=call.org_id,
        filename=upload.filename,
        content=upload.content,
        subject_type=str(subject_type),
        subject_id=str(subject_id),
        uploaded_from=str(uploaded_from),
        step_id=step_id,
        source=source or "local",
        uploaded_at=call.store.now(),
    )
    call.store.assets[asset.id] = asset
    return 200, {"data": shape.asset(asset)}


@handles("download_file")
def download_file(call: Call) -> Result:
    asset = call.store.assets.get(call.params["file_id"])
    if asset is None or asset.org_id != call.org_id:
        raise resource_not_found()
    return 200, Binary(asset.content, "application/octet-stream")
