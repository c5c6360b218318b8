"""`date-format`: dates sent TO the API against the seed's `YYYY-DD-MM HH:MM:SS` (day before month)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from tallyfy_diag._constants import REQUEST_DATE_FORMAT
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
ZONE_NOTE: Final = (
    "The request format carries no time zone; this tool assumes UTC (send UTC times): Tallyfy's guide names none."
)


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


def _seed(year: int, month: int, day: int, clock: tuple[int, int, int]) -> str:
    return datetime(year, month, day, *clock, tzinfo=UTC).strftime(REQUEST_DATE_FORMAT)


def judge_date(value: str) -> tuple[Status, str] | None:
    """The verdict on one date string sent to the API, or None when it is not a date."""
    iso = _ISO.fullmatch(value)
    if iso and ("T" in value.upper() or iso.group(7)):
        year, month, day, hour, minute = (int(iso.group(i)) for i in range(1, 6))
        second = int(iso.group(6) or 0)
        if not _valid(year, month, day, (hour, minute, second)):
            return Status.FAIL, f"{value!r} is ISO 8601 and not even a real date"
        try:
            moment = datetime.fromisoformat(value.replace("z", "Z").replace(" UTC", "Z"))
        except ValueError:
            moment = datetime(year, month, day, hour, minute, second)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        seed_value = moment.strftime(REQUEST_DATE_FORMAT)
        return Status.FAIL, (
            f"{value!r} is ISO 8601 (T, Z or an offset; what isoformat() gives): send {seed_value!r}"
            " (YYYY-DD-MM HH:MM:SS, UTC)"
        )
    seed = _SEED.fullmatch(value)
    if seed:
        year, first, second_field, hour, minute, second = (int(part) for part in seed.groups())
        clock = (hour, minute, second)
        as_seed = _valid(year, second_field, first, clock)  # YYYY-DD-MM: first is the day
        as_iso = _valid(year, first, second_field, clock)  # YYYY-MM-DD: first is the month
        if not as_seed and not as_iso:
            return Status.FAIL, f"{value!r} is not a real date or time in either reading"
        if not as_seed:
            return Status.FAIL, (
                f"{value!r} is YYYY-MM-DD ({first} is a month, {second_field} a day) but Tallyfy reads"
                f" YYYY-DD-MM: send {_seed(year, first, second_field, clock)!r}"
            )
        if as_iso and first != second_field:
            return Status.WARN, (
                f"{value!r} is ambiguous: {first} {_MONTHS[second_field]} as Tallyfy's YYYY-DD-MM, but"
                f" {second_field} {_MONTHS[first]} under YYYY-MM-DD (newer docs)"
            )
        return Status.PASS, f"{value!r} is YYYY-DD-MM HH:MM:SS ({first} {_MONTHS[second_field]} {year})"
    date_only = _DATE_ONLY.fullmatch(value)
    if date_only:
        return Status.WARN, f"{value!r} has no time: the request format is YYYY-DD-MM HH:MM:SS"
    if _SLASHED.fullmatch(value):
        return Status.FAIL, f"{value!r} uses slashes: the request format is YYYY-DD-MM HH:MM:SS"
    return None


@REGISTRY.register("date-format", "Request dates in Tallyfy's request format", DATE_FORMATS)
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
        "Format request dates as YYYY-DD-MM HH:MM:SS in UTC, e.g. 2023-15-05 14:30:00 for 15 May 2023 14:30;"
        " use an unambiguous day > 12 in tests."
    )
    worst = Status.FAIL if any(s is Status.FAIL for _, s, _ in judged) else None
    worst = worst or (Status.WARN if any(s is Status.WARN for _, s, _ in judged) else Status.PASS)
    lines = [f"{where}: {text}" for where, status, text in judged if status is worst]
    others = [f"{where}: {text}" for where, status, text in judged if status is not worst]
    facts = {"fields": [where for where, _, _ in judged]}
    if worst is Status.PASS:
        return passed(f"{len(judged)} request date(s) in YYYY-DD-MM HH:MM:SS", ZONE_NOTE, **facts)
    count = sum(1 for _, status, _ in judged if status is worst)
    title = lines[0] if count == 1 else f"{count} of {len(judged)} request dates: {lines[0]}"
    rest = lines[1:] + others
    return Verdict(worst, title, ("; ".join(rest) + ". " if rest else "") + ZONE_NOTE, fix, facts)
