"""Webhook payloads for the tests: the two complete examples of Tallyfy's "Webhook payload structure" page
(github.com/tallyfy/documentation, src/content/docs/pro/integrations/webhooks/webhook-payload-structure.mdx),
copied verbatim into data/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
ORG_ID = "org789xyz123"
HEADERS = {"X-Tallyfy-orgID": ORG_ID, "Content-Type": "application/json"}


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
