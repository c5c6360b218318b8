"""Dates on the wire: what the sandbox accepts in requests and how it writes them in responses.

Requests follow the one date rule (`tallyfy_diag._date_rule`): `Y-m-d H:i:s` (no zone, read as UTC) or ISO 8601
WITH a zone. Anything else - ISO without a zone, day-first values whose "month" is over 12, impossible dates -
is rejected. Responses: `YYYY-MM-DDThh:mm:ss.000Z`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tallyfy_diag._date_rule import (
    ISO_WITH_ZONE_PATTERN,
    REQUEST_DATE_FORMAT,
    REQUEST_DATE_PATTERN,
    RESPONSE_DATE_FORMAT,
)

_PLAIN_SHAPE = re.compile(REQUEST_DATE_PATTERN)
# fromisoformat alone is too lenient (it takes week dates, a space separator, no seconds): require the
# calendar form with a T and a zone before handing over.
_ISO_WITH_ZONE = re.compile(ISO_WITH_ZONE_PATTERN)


def parse_request_date(value: object) -> datetime | None:
    """The UTC moment a request date names, or None when it is not an accepted request date."""
    if not isinstance(value, str):
        return None
    if _PLAIN_SHAPE.fullmatch(value):
        try:
            return datetime.strptime(value, REQUEST_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
    if _ISO_WITH_ZONE.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.upper())
        except ValueError:
            return None
        return parsed.astimezone(UTC)
    return None


def format_response_date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(RESPONSE_DATE_FORMAT)


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0)
