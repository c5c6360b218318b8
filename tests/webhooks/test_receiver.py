"""The webhook receiver over real HTTP: every delivery is answered 200, printed as one line, duplicates and
malformed deliveries are flagged, and the receiver keeps serving whatever it is sent."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from webhook_payloads import HEADERS, ORG_ID, encode

from tallyfy_diag.webhooks import WebhookListener
from tallyfy_diag.webhooks import _receiver as receiver_module

GUEST_LINK = "https://go.tallyfy.com/guest-all-task/org789xyz123/guestcode123abc"


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def listener(output: io.StringIO) -> Iterator[WebhookListener]:
    with WebhookListener("127.0.0.1", 0, out=output) as running:
        yield running


def post(listener: WebhookListener, body: bytes, headers: dict[str, str] = HEADERS) -> httpx.Response:
    return httpx.post(listener.url, content=body, headers=headers, timeout=5)


def lines(output: io.StringIO) -> list[str]:
    return output.getvalue().splitlines()


def test_deliveries_are_answered_200_and_printed_with_the_org_id(
    listener: WebhookListener, output: io.StringIO, process_payload: dict[str, Any], task_payload: dict[str, Any]
) -> None:
    assert post(listener, encode(process_payload)).status_code == 200
    assert post(listener, encode(task_payload)).status_code == 200

    assert lines(output) == [
        f'[1] process.launched  org={ORG_ID}  process "Vendor Contract Review - ACME Corp" '
        f"(process {process_payload['id']})",
        f'[2] task.completed  org={ORG_ID}  task "Review Contract" in process "Vendor Contract Review - ACME Corp" '
        '(task task003ghi789xyz); next task "Execute Contract"',
    ]
    assert [d.summary.event for d in listener.receiver.deliveries if d.summary] == [
        "process.launched",
        "task.completed",
    ]


def test_guest_links_and_form_values_are_never_printed(
    listener: WebhookListener, output: io.StringIO, task_payload: dict[str, Any]
) -> None:
    post(listener, encode(task_payload))

    printed = output.getvalue()
    assert GUEST_LINK not in printed
    assert "All terms look good" not in printed
    assert "john@acmecorp.com" not in printed


def test_a_second_delivery_of_the_same_event_is_flagged_as_duplicate(
    listener: WebhookListener, output: io.StringIO, process_payload: dict[str, Any]
) -> None:
    post(listener, encode(process_payload))
    post(listener, encode(process_payload))
    post(listener, encode({**process_payload, "progress": 61}))

    printed = lines(output)
    assert "DUPLICATE" not in printed[0]
    assert printed[1].endswith("DUPLICATE of [1] (identical body)")
    assert printed[2].endswith("DUPLICATE of [1] (same event, different body)")
    assert [d.duplicate_of for d in listener.receiver.deliveries] == [None, 1, 1]


def test_a_task_completed_again_after_reopening_is_no_duplicate(
    listener: WebhookListener, output: io.StringIO, task_payload: dict[str, Any]
) -> None:
    post(listener, encode(task_payload))
    task_payload["this_task"]["completed_at"] = "2025-10-04T09:00:00Z"
    post(listener, encode(task_payload))

    assert [d.duplicate_of for d in listener.receiver.deliveries] == [None, None]
    assert "DUPLICATE" not in output.getvalue()


def test_launch_and_completion_of_one_process_are_different_events(
    listener: WebhookListener, process_payload: dict[str, Any]
) -> None:
    post(listener, encode(process_payload))
    post(listener, encode({**process_payload, "status": "completed", "completed_at": "2025-10-05T09:00:00Z"}))

    deliveries = listener.receiver.deliveries
    assert [d.summary.event for d in deliveries if d.summary] == ["process.launched", "process.completed"]
    assert [d.duplicate_of for d in deliveries] == [None, None]


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b"{not json", HEADERS, "body is not JSON"),
        (b'{"this_task": {"id": 7}}', HEADERS, "TaskWebhook payload does not match the spec at this_task.id"),
        (b"[]", HEADERS, "body is JSON list, not an object"),
        (b'{"id": "r1"}', {"Content-Type": "application/json"}, "no X-Tallyfy-orgID header"),
    ],
)
def test_a_malformed_delivery_is_reported_and_the_receiver_keeps_serving(
    listener: WebhookListener,
    output: io.StringIO,
    process_payload: dict[str, Any],
    body: bytes,
    headers: dict[str, str],
    reason: str,
) -> None:
    assert post(listener, body, headers).status_code == 200
    assert post(listener, encode(process_payload)).status_code == 200

    first, second = lines(output)
    assert first.startswith("[1] MALFORMED  org=")
    assert reason in first
    assert second.startswith("[2] process.launched")


def test_an_oversized_body_is_reported_without_being_kept(
    listener: WebhookListener, output: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiver_module, "MAX_BODY_BYTES", 1024)

    assert post(listener, b"x" * 10_000).status_code == 200

    assert lines(output) == [f"[1] MALFORMED  org={ORG_ID}  body larger than 1024 bytes"]


def test_a_get_is_answered_with_a_hint(listener: WebhookListener, output: io.StringIO) -> None:
    response = httpx.get(listener.url + "anything", timeout=5)

    assert response.status_code == 200
    assert "POST deliveries here" in response.text
    assert output.getvalue() == ""


def test_a_busy_address_is_an_os_error(listener: WebhookListener) -> None:
    port = int(listener.url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(OSError), WebhookListener("127.0.0.1", port):  # noqa: PT011 - the OS picks the errno
        pass


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command, run as users run it."""
    return subprocess.run(
        [sys.executable, "-m", "tallyfy_diag", *args], check=False, capture_output=True, text=True, timeout=60
    )


def test_webhook_listen_serves_until_interrupted(process_payload: dict[str, Any]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "tallyfy_diag", "webhook", "listen", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        assert process.stderr is not None
        assert process.stdout is not None
        banner = process.stderr.readline()
        assert banner.startswith("webhook: listening on http://127.0.0.1:")
        url = banner.split("listening on ", 1)[1].split(" ", 1)[0]
        answer = httpx.post(url, content=encode(process_payload), headers=HEADERS, timeout=5)
        first_line = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        remaining_out, remaining_err = process.communicate(timeout=30)

    assert answer.status_code == 200
    assert first_line.startswith(f"[1] process.launched  org={ORG_ID}")
    assert process.returncode == 0
    assert "stopped after 1 deliveries" in remaining_err
    assert "Traceback" not in remaining_err + remaining_out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["webhook", "listen", "--port", "70000"], "error: --port must be 0..65535, got 70000"),
        (["webhook"], "choose an action: listen"),
        (["webhook", "listen", "--port", "x"], "invalid int value"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_busy_port_is_one_line_and_exit_2(listener: WebhookListener) -> None:
    port = listener.url.rsplit(":", 1)[1].strip("/")

    result = run_cli("webhook", "listen", "--port", port)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}:")
    assert len(result.stderr.strip().splitlines()) == 1
