"""A sender controls every byte of a delivery: the receiver must report it on one honest line, never crash."""

from __future__ import annotations

import io
from typing import Any

from webhook_payloads import HEADERS, encode

from tallyfy_diag.webhooks import WebhookReceiver


def printed(body: bytes, headers: dict[str, str] = HEADERS) -> str:
    out = io.StringIO()
    WebhookReceiver(out).receive(body, headers)
    return out.getvalue()


def test_a_name_cannot_forge_a_second_line_or_drive_the_terminal(process_payload: dict[str, Any]) -> None:
    process_payload["name"] = "Proc\nFAKE [99] process.completed org=evil\x1b[31mRED\x07\r"
    text = printed(encode(process_payload))
    assert text.count("\n") == 1
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\r" not in text
    assert "\\n" in text


def test_lone_surrogates_are_printed_escaped(process_payload: dict[str, Any]) -> None:
    body = encode(process_payload).replace(b'"name": "', b'"name": "\\udfff', 1)
    text = printed(body)
    assert "\\udfff" in text
    text.encode("utf-8")  # a terminal can take it


def test_an_integer_too_long_to_convert_is_malformed_not_a_crash() -> None:
    text = printed(b'{"id": "x", "increment_id": ' + b"9" * 100_000 + b"}")
    assert "MALFORMED" in text
    assert "not usable JSON" in text


def test_a_huge_org_header_is_cut(process_payload: dict[str, Any]) -> None:
    text = printed(encode(process_payload), {**HEADERS, "X-Tallyfy-orgID": "o" * 60_000})
    assert len(text) < 1_000
