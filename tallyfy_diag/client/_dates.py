"""Dates on the wire: the request date rule out, aware datetimes in.

Tallyfy reads request dates as `Y-m-d H:i:s` (e.g. `2025-05-15 14:30:00`, no zone) or ISO 8601 with a zone, and
answers with ISO 8601 in UTC; the rule and its evidence live in `tallyfy_diag._date_rule`. The spec types request
dates as strings (`RequestDate`), so the generated models take `str` and would send a `datetime` as `isoformat()`
(no zone for a naive one: refused) in a JSON body and as `str(dt)` in a query string. So:

- Typed code calls `request_date(dt)` and passes the string: mypy is satisfied and the value is explicit.
- As a safety net the client also converts every `datetime` (and `date`, as midnight) left in a JSON body or in
  query parameters, at any depth, with the same `DateSettings` — so an untyped caller cannot send a refused date.
- `Y-m-d H:i:s` carries no time zone. Values are converted to `DateSettings.timezone`, UTC unless you say
  otherwise; a naive datetime is taken to be in that zone already. Seconds are the finest unit sent.
- `DateSettings(style="iso")` sends ISO 8601 with an offset instead (Tallyfy's endpoint pages' examples).
- `parse_response_date(text)` reads a response date as an aware datetime (a value with no offset is UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, Final, Literal

import attrs

from tallyfy_diag._date_rule import REQUEST_DATE_FORMAT

DateStyle = Literal["tallyfy", "iso"]


@attrs.frozen
class DateSettings:
    """How request dates are written: `Y-m-d H:i:s` (default) or ISO 8601, in one stated time zone."""

    style: DateStyle = attrs.field(default="tallyfy", validator=attrs.validators.in_(("tallyfy", "iso")))
    timezone: tzinfo = UTC

    def format(self, value: datetime | date) -> str:
        if not isinstance(value, datetime):
            value = datetime.combine(value, time())
        local = value.replace(tzinfo=self.timezone) if value.tzinfo is None else value.astimezone(self.timezone)
        local = local.replace(microsecond=0)
        if self.style == "iso":
            text = local.isoformat()
            return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
        return local.strftime(REQUEST_DATE_FORMAT)

    def convert(self, value: Any) -> Any:
        """`value` with every date/datetime inside replaced by its request string (a copy only where needed)."""
        if isinstance(value, date):
            return self.format(value)
        if isinstance(value, Mapping):
            return {key: self.convert(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.convert(item) for item in value)
        return value


DEFAULT_DATES = DateSettings()


def request_date(value: datetime | date, settings: DateSettings = DEFAULT_DATES) -> str:
    """A datetime as Tallyfy expects it in a request: `Y-m-d H:i:s` in UTC unless `settings` say otherwise."""
    return settings.format(value)


def parse_response_date(text: str) -> datetime:
    """A response date (`2023-05-15T14:30:00.000Z`, `+00:00`, with or without millis) as an aware datetime."""
    parsed = datetime.fromisoformat(text.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


_SCALARS: Final = (str, int, float, type(None))  # bool is an int
_SEQUENCES: Final = (list, tuple)  # a tuple, not `list | tuple`, which builds a new union object each time


def contains_date(value: Any) -> bool:
    """Whether a JSON-like value holds a date anywhere (cheap check before copying: it runs on every request
    with a body or query, so scalars, nearly all of them, are passed over without a call)."""
    if isinstance(value, date):
        return True
    if isinstance(value, Mapping):
        value = value.values()
    elif not isinstance(value, _SEQUENCES):
        return False
    for item in value:  # noqa: SIM110 - a loop, not any(): no generator per call
        if not isinstance(item, _SCALARS) and contains_date(item):
            return True
    return False
