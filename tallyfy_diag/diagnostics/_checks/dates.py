"""`date-format`: dates sent TO the API against the one date rule (`tallyfy_diag._date_rule`): `Y-m-d H:i:s` or
ISO 8601 with a zone; day-first `YYYY-DD-MM`, a missing zone, a missing time or slashes are mistakes."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from tallyfy_diag._date_rule import (
    DAY_FIRST_TEXT,
    ISO_WITH_ZONE_PATTERN,
    REQUEST_DATE_EXAMPLE,
    REQUEST_DATE_FORMAT,
    REQUEST_DATE_PATTERN,
    RULE_TEXT,
)
from tallyfy_diag.diagnostics._evidence import Evidence
from tallyfy_diag.diagnostics._references import DATE_FORMATS
from tallyfy_diag.diagnostics._registry import REGISTRY, Status, Verdict, passed, skipped

_ISO: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?"
)
_SEED: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})")
_DATE_ONLY: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASHED: Final = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}(?:[ T].*)?")
_MONTHS: Final = calendar.month_name
_ACCEPTED_PLAIN: Final = re.compile(REQUEST_DATE_PATTERN)
_ACCEPTED_ISO: Final = re.compile(ISO_WITH_ZONE_PATTERN)
ZONE_NOTE: Final = "Y-m-d H:i:s carries no time zone; this tool assumes UTC (send UTC times, or ISO 8601 with a zone)."


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _date_fields(evidence: Evidence) -> list[tuple[str, str]]:
    request = evidence.request
    if request is None:
        return []
    fields = [(f"query {name}", value) for name, value in request.query()]
    body = request.json()
    if body is not None:
        fields += list(_walk(body, "body"))
    else:
        fields += [(f"body {name}", value) for name, value in request.form()]
    return [(where, value.strip()) for where, value in fields if re.match(r"\s*\d{1,4}[-/]\d", value)]


def _valid(year: int, month: int, day: int, clock: tuple[int, int, int] = (0, 0, 0)) -> bool:
    hour, minute, second = clock
    if not (1 <= year <= 9999 and 1 <= month <= 12 and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _plain(year: int, month: int, day: int, clock: tuple[int, int, int]) -> str:
    return datetime(year, month, day, *clock, tzinfo=UTC).strftime(REQUEST_DATE_FORMAT)


def judge_date(value: str) -> tuple[Status, str] | None:
    """The verdict on one date string sent to the API, or None when it is not a date."""
    iso = _ISO.fullmatch(value)
    if iso and ("T" in value.upper() or iso.group(7)):
        year, month, day, hour, minute = (int(iso.group(i)) for i in range(1, 6))
        second = int(iso.group(6) or 0)
        if not _valid(year, month, day, (hour, minute, second)):
            return Status.FAIL, f"{value!r} is ISO 8601 and not even a real date"
        if _ACCEPTED_ISO.fullmatch(value):
            return Status.PASS, f"{value!r} is ISO 8601 with a time zone"
        try:
            moment = datetime.fromisoformat(value.replace("z", "Z").replace(" UTC", "Z"))
        except ValueError:
            moment = datetime(year, month, day, hour, minute, second)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return Status.FAIL, (
            f"{value!r} is ISO 8601 without a time zone after a T (what isoformat() gives for a naive datetime):"
            f" send {moment.strftime(REQUEST_DATE_FORMAT)!r} (Y-m-d H:i:s, UTC) or add Z"
        )
    plain = _SEED.fullmatch(value)
    if plain:
        year, first, second_field, hour, minute, second = (int(part) for part in plain.groups())
        clock = (hour, minute, second)
        as_rule = _valid(year, first, second_field, clock)  # Y-m-d: first is the month
        as_day_first = _valid(year, second_field, first, clock)  # the superseded YYYY-DD-MM
        if not as_rule and not as_day_first:
            return Status.FAIL, f"{value!r} is not a real date or time in either reading"
        if not as_rule:
            return Status.FAIL, (
                f"{value!r} is day-first ({DAY_FIRST_TEXT}, an older text of Tallyfy's guide) but Tallyfy reads"
                f" Y-m-d H:i:s: send {_plain(year, second_field, first, clock)!r}"
            )
        if not _ACCEPTED_PLAIN.fullmatch(value):
            return (
                Status.FAIL,
                f"{value!r} needs two digits in every field: send {_plain(year, first, second_field, clock)!r}",
            )
        if as_day_first and first != second_field:
            return Status.WARN, (
                f"{value!r} is read as {second_field} {_MONTHS[first]} (Y-m-d); if it was written day-first"
                f" ({DAY_FIRST_TEXT}, an older guide) it meant {first} {_MONTHS[second_field]}"
            )
        return Status.PASS, f"{value!r} is Y-m-d H:i:s ({second_field} {_MONTHS[first]} {year})"
    date_only = _DATE_ONLY.fullmatch(value)
    if date_only:
        return Status.WARN, f"{value!r} has no time: request dates are {RULE_TEXT} (date-only values are filters)"
    if _SLASHED.fullmatch(value):
        return Status.FAIL, f"{value!r} uses slashes: request dates are {RULE_TEXT}"
    return None


@REGISTRY.register("date-format", "Request dates in Tallyfy's format", DATE_FORMATS)
def date_format(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    judged = []
    for where, value in _date_fields(evidence):
        verdict = judge_date(value)
        if verdict is not None:
            judged.append((where, *verdict))
    if not judged:
        return skipped("no dates in the request")
    fix = (
        f"Format request dates as Y-m-d H:i:s in UTC, e.g. {REQUEST_DATE_EXAMPLE} for 15 May 2025 14:30, or as"
        " ISO 8601 with a zone (2025-05-15T14:30:00Z); use a day > 12 in tests to catch day-first mistakes."
    )
    worst = Status.FAIL if any(s is Status.FAIL for _, s, _ in judged) else None
    worst = worst or (Status.WARN if any(s is Status.WARN for _, s, _ in judged) else Status.PASS)
    lines = [f"{where}: {text}" for where, status, text in judged if status is worst]
    others = [f"{where}: {text}" for where, status, text in judged if status is not worst]
    facts = {"fields": [where for where, _, _ in judged]}
    if worst is Status.PASS:
        return passed(f"{len(judged)} request date(s) in {RULE_TEXT}", ZONE_NOTE, **facts)
    count = sum(1 for _, status, _ in judged if status is worst)
    title = lines[0] if count == 1 else f"{count} of {len(judged)} request dates: {lines[0]}"
    rest = lines[1:] + others
    return Verdict(worst, title, ("; ".join(rest) + ". " if rest else "") + ZONE_NOTE, fix, facts)
