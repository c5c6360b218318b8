"""The receiver behind `tallyfy-diag webhook listen`: an ASGI app that checks and prints each delivery.

Tallyfy POSTs each webhook once and never retries, so the receiver answers 200 at once, whatever it got:
a malformed delivery is reported on the output, never answered with an error Tallyfy would drop anyway.
It may also deliver one event twice; the receiver says so.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from typing import TextIO

import attrs
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tallyfy_diag._constants import ORG_ID_WEBHOOK_HEADER
from tallyfy_diag.webhooks._parse import MalformedWebhook, WebhookSummary, org_id_of, parse_webhook, summarize

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Larger bodies are reported as malformed without being read to the end (real payloads are kilobytes)."""


@attrs.frozen
class Delivery:
    """One request the receiver got, as it judged it."""

    number: int
    org_id: str | None
    summary: WebhookSummary | None
    """None when the delivery was malformed."""
    problem: str | None = None
    duplicate_of: int | None = None
    """The number of the earlier delivery of the same event."""
    identical: bool = False
    """True when the duplicate's body is byte for byte the earlier one's."""


_SHOWN_CHARS = 120


def _shown(value: object) -> str:
    """A sender's text made safe for one terminal line: control characters (newlines, ESC, BEL) and lone
    surrogates escaped, so a delivery cannot forge lines or drive the terminal, and long values cut."""
    text = str(value)
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def _line(delivery: Delivery) -> str:
    org = _shown(delivery.org_id) if delivery.org_id else f"<no {ORG_ID_WEBHOOK_HEADER}>"
    if delivery.summary is None:
        return f"[{delivery.number}] MALFORMED  org={org}  {_shown(delivery.problem)}"
    summary = delivery.summary
    if summary.kind == "task":
        where = f' in process "{_shown(summary.process_name)}"' if summary.process_name else ""
        following = f'; next task "{_shown(summary.next_task_title)}"' if summary.next_task_title else "; no task left"
        text = f'task "{_shown(summary.title)}"{where} (task {_shown(summary.object_id)}){following}'
    else:
        text = f'process "{_shown(summary.title)}" (process {_shown(summary.object_id)})'
    line = f"[{delivery.number}] {summary.event}  org={org}  {text}"
    if delivery.duplicate_of is not None:
        same = "identical body" if delivery.identical else "same event, different body"
        line += f"  DUPLICATE of [{delivery.duplicate_of}] ({same})"
    return line


class WebhookReceiver:
    """Judges deliveries, remembers them, and prints one line per delivery to `out`."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self._first_by_identity: dict[tuple[str, str, str | None], tuple[int, str]] = {}
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])])

    def receive(self, body: bytes, headers: dict[str, str], *, problem: str | None = None) -> Delivery:
        """Judge one delivery (`problem` reports one found before parsing) and print it."""
        org_id = org_id_of(headers)
        summary: WebhookSummary | None = None
        if problem is None:
            try:
                summary = summarize(parse_webhook(body, headers))
            except MalformedWebhook as error:
                problem = str(error)
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            number = len(self.deliveries) + 1
            duplicate_of, identical = None, False
            if summary is not None:
                earlier = self._first_by_identity.setdefault(summary.identity, (number, digest))
                if earlier[0] != number:
                    duplicate_of, identical = earlier[0], earlier[1] == digest
            delivery = Delivery(number, org_id, summary, problem, duplicate_of, identical)
            self.deliveries.append(delivery)
            out = self._out or sys.stdout
            print(_line(delivery), file=out, flush=True)
        return delivery

    async def _endpoint(self, request: Request) -> PlainTextResponse:
        if request.method != "POST":
            return PlainTextResponse("tallyfy-diag webhook receiver: POST deliveries here\n")
        headers = dict(request.headers.items())
        body, problem = bytearray(), None
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    problem = f"body larger than {MAX_BODY_BYTES} bytes"
                    break
        except ClientDisconnect:
            problem = "the sender disconnected before the body was complete"
        self.receive(bytes(body), headers, problem=problem)
        return PlainTextResponse("ok\n")
