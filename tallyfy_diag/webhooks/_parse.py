"""Parsing a webhook delivery: JSON, checked against the spec's payload schemas, then the generated models.

Tallyfy signs nothing and names no event, so a delivery is recognised by shape: a task-level payload has
`this_task`, a process-level one is a flat run. Error messages never echo payload values (they hold names,
emails and guest links that open tasks without signing in): only where the payload is wrong and what the
spec expected there.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import attrs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from tallyfy_client.models import ProcessWebhook, TaskWebhook, WebhookProcess, WebhookTask

from tallyfy_diag import _json
from tallyfy_diag._constants import ORG_ID_WEBHOOK_HEADER
from tallyfy_diag._spec import load_spec

Webhook = ProcessWebhook | TaskWebhook

_SPEC_URI = "urn:tallyfy-diag:spec"
PROCESS_SCHEMA = "ProcessWebhook"
TASK_SCHEMA = "TaskWebhook"
_COMPLETED_STATUSES = frozenset({"completed", "complete"})


class MalformedWebhook(ValueError):
    """The delivery is not a Tallyfy webhook the spec describes; the message is one line, without payload data."""


@attrs.frozen
class WebhookSummary:
    """What a delivery is about, for printing and duplicate detection."""

    kind: str
    """`process` or `task`."""
    event: str
    """`process.launched`, `process.completed` or `task.completed` (inferred: payloads name no event)."""
    object_id: str
    """The process id, or the completed task's id."""
    completed_at: str | None
    title: str
    """The process name or the task title."""
    process_name: str | None
    next_task_title: str | None

    @property
    def identity(self) -> tuple[str, str, str | None]:
        """Two deliveries with the same identity report the same event (Tallyfy may send one twice)."""
        return (self.event, self.object_id, self.completed_at)


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    spec = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, spec)
    return Draft202012Validator({"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}, registry=registry)


def _where(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return path.lstrip(".") or "the top level"


def _expected(error: ValidationError) -> str:
    if error.validator == "required":
        # The message names the missing member, which comes from the schema, not from the payload.
        return error.message.replace("is a required property", "is required")
    if error.validator == "type":
        return f"expected {error.validator_value}"
    return f"fails {error.validator!r} of the spec"


def org_id_of(headers: Mapping[str, str]) -> str | None:
    """The `X-Tallyfy-orgID` header, whatever its case, or None."""
    wanted = ORG_ID_WEBHOOK_HEADER.lower()
    for name, value in headers.items():
        if name.lower() == wanted:
            return value.strip() or None
    return None


def _decode(body: bytes) -> dict[str, Any]:
    try:
        # Decoded here, not by json.loads: given bytes it would guess UTF-16 or UTF-32 from the first bytes.
        payload = _json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedWebhook("body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        # msg and position only: the decoder's message quotes no payload text.
        raise MalformedWebhook(f"body is not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    except ValueError as error:  # nested too deep, or an integer longer than Python converts
        raise MalformedWebhook(f"body is not usable JSON ({str(error)[:80]})") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook(f"body is JSON {type(payload).__name__}, not an object")
    return payload


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> Webhook:
    """The typed payload of one delivery, validated against the spec; raises `MalformedWebhook` otherwise."""
    if org_id_of(headers) is None:
        raise MalformedWebhook(f"no {ORG_ID_WEBHOOK_HEADER} header (Tallyfy sends it with every webhook)")
    payload = _decode(body)
    schema_name = TASK_SCHEMA if "this_task" in payload else PROCESS_SCHEMA
    error = best_match(_validator(schema_name).iter_errors(payload))
    if error is not None:
        raise MalformedWebhook(f"{schema_name} payload does not match the spec at {_where(error)}: {_expected(error)}")
    model = TaskWebhook if schema_name == TASK_SCHEMA else ProcessWebhook
    try:
        return model.from_dict(payload)
    except (KeyError, TypeError, ValueError) as failure:  # a gap between the schema and the generated model
        raise MalformedWebhook(f"{schema_name} payload could not be read ({type(failure).__name__})") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def summarize(webhook: Webhook) -> WebhookSummary:
    """Kind, inferred event and names of a parsed delivery."""
    if isinstance(webhook, TaskWebhook):
        task = webhook.this_task
        process = webhook.process
        next_task = webhook.next_task
        return WebhookSummary(
            kind="task",
            event="task.completed",
            object_id=task.id,
            completed_at=_text(task.completed_at),
            title=_text(task.title) or "(untitled task)",
            process_name=_text(process.name) if isinstance(process, WebhookProcess) else None,
            next_task_title=_text(next_task.title) if isinstance(next_task, WebhookTask) else None,
        )
    completed_at = _text(webhook.completed_at)
    status = _text(webhook.status) or ""
    finished = completed_at is not None or status.lower() in _COMPLETED_STATUSES
    return WebhookSummary(
        kind="process",
        event="process.completed" if finished else "process.launched",
        object_id=webhook.id,
        completed_at=completed_at,
        title=_text(webhook.name) or "(unnamed process)",
        process_name=_text(webhook.name),
        next_task_title=None,
    )
