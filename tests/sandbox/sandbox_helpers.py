"""Small helpers for the sandbox tests (no server logic: the sandbox is the server)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def is_utc_iso(value: Any) -> bool:
    """Whether `value` is a response date as Tallyfy writes them: ISO 8601 with a time, in UTC."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.utcoffset() == timedelta(0)
