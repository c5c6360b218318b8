"""parse_webhook: Tallyfy's documented payloads become the generated models; anything else is refused in one
line that never echoes payload data."""

from __future__ import annotations

from typing import Any

import pytest
from tallyfy_client.models import ProcessWebhook, TaskWebhook, WebhookTask
from webhook_payloads import HEADERS, encode

from tallyfy_diag.webhooks import MalformedWebhook, org_id_of, parse_webhook, summarize

GUEST_LINK = "https://go.tallyfy.com/guest-all-task/org789xyz123/guestcode123abc"


def test_the_documented_process_payload_is_a_launch(process_payload: dict[str, Any]) -> None:
    webhook = parse_webhook(encode(process_payload), HEADERS)

    assert isinstance(webhook, ProcessWebhook)
    assert webhook.process_tasks is not None
    assert webhook.process_tasks.additional_properties["legal-review"] == "task002def"
    summary = summarize(webhook)
    assert (summary.kind, summary.event) == ("process", "process.launched")
    assert summary.title == "Vendor Contract Review - ACME Corp"
    assert summary.object_id == process_payload["id"]


@pytest.mark.parametrize(
    ("changes", "event"),
    [
        ({"completed_at": "2025-10-03T10:00:00Z", "status": "completed"}, "process.completed"),
        ({"status": "completed"}, "process.completed"),
        ({"status": "in-progress"}, "process.launched"),
    ],
)
def test_a_completed_process_is_told_from_a_launch(
    process_payload: dict[str, Any], changes: dict[str, Any], event: str
) -> None:
    assert summarize(parse_webhook(encode({**process_payload, **changes}), HEADERS)).event == event


def test_the_documented_task_payload_is_a_task_completion(task_payload: dict[str, Any]) -> None:
    webhook = parse_webhook(encode(task_payload), HEADERS)

    assert isinstance(webhook, TaskWebhook)
    assert isinstance(webhook.next_task, WebhookTask)
    assert webhook.form_fields is not None
    assert webhook.form_fields.additional_properties["risk-assessment"] == "Low"
    summary = summarize(webhook)
    assert (summary.kind, summary.event, summary.title) == ("task", "task.completed", "Review Contract")
    assert summary.process_name == "Vendor Contract Review - ACME Corp"
    assert summary.next_task_title == "Execute Contract"
    assert summary.identity == ("task.completed", "task003ghi789xyz", "2025-10-02T14:30:00Z")


def test_an_empty_array_next_task_means_none_is_left(task_payload: dict[str, Any]) -> None:
    webhook = parse_webhook(encode({**task_payload, "next_task": []}), HEADERS)

    assert isinstance(webhook, TaskWebhook)
    assert webhook.next_task == []
    assert summarize(webhook).next_task_title is None


def test_the_org_header_is_found_whatever_its_case() -> None:
    assert org_id_of({"x-tallyfy-orgid": " org1 "}) == "org1"
    assert org_id_of({"X-Other": "org1"}) is None
    assert org_id_of({"X-Tallyfy-orgID": ""}) is None


def test_a_delivery_without_the_org_header_is_malformed(process_payload: dict[str, Any]) -> None:
    with pytest.raises(MalformedWebhook, match="no X-Tallyfy-orgID header"):
        parse_webhook(encode(process_payload), {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"name=Onboarding", "body is not JSON (Expecting value at line 1 column 1)"),
        (b'{"id": "abc"', "body is not JSON"),
        (b"\xff\xfe{}", "body is not UTF-8 text"),
        (b'["abc"]', "body is JSON list, not an object"),
        (b"null", "body is JSON NoneType, not an object"),
    ],
)
def test_a_body_that_is_no_json_object_is_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_webhook(body, HEADERS)
    assert str(caught.value).startswith(reason)


def test_a_task_payload_off_the_spec_names_the_place_not_the_value(task_payload: dict[str, Any]) -> None:
    task_payload["this_task"]["id"] = 4242
    task_payload["this_task"]["title"] = {"secret": GUEST_LINK}

    with pytest.raises(MalformedWebhook) as caught:
        parse_webhook(encode(task_payload), HEADERS)

    message = str(caught.value)
    assert message.startswith("TaskWebhook payload does not match the spec at this_task.")
    assert "expected string" in message
    assert "4242" not in message
    assert GUEST_LINK not in message
    assert "\n" not in message


def test_a_process_payload_without_an_id_is_malformed(process_payload: dict[str, Any]) -> None:
    del process_payload["id"]

    with pytest.raises(MalformedWebhook, match="ProcessWebhook payload does not match the spec at the top level: 'id'"):
        parse_webhook(encode(process_payload), HEADERS)


def test_a_next_task_that_is_a_non_empty_list_is_malformed(task_payload: dict[str, Any]) -> None:
    task_payload["next_task"] = [{"id": "t1"}]

    with pytest.raises(MalformedWebhook, match="at next_task"):
        parse_webhook(encode(task_payload), HEADERS)
