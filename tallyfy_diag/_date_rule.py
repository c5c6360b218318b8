"""The one rule for dates sent TO Tallyfy, as data. The sandbox enforces it (`sandbox/_dates.py`), the client
writes it (`client/_dates.py`), the `date-format` check judges against it; each reads these values and none
imports another's logic.

The rule: a request date is either `Y-m-d H:i:s` (`2025-05-15 14:30:00`, month BEFORE day, no zone: UTC) or
ISO 8601 with a time and an explicit zone (`2025-07-15T17:00:00Z`, `...+02:00`). Anything else is refused:
ISO without a zone, day-first values (`2025-15-05 ...`), date-only values, slashes.

The evidence, weighed (see EVIDENCE): Tallyfy's integration guide once said `YYYY-DD-MM HH:MM:SS` (day first),
but its current text says `YYYY-MM-DD HH:MM:SS`; the launch-without-template and create-guest pages say the
same (`Y-m-d H:i:s`); the official SDK documents and sends `Y-m-d H:i:s`; and the endpoint pages' request
examples (create task, update task, launch) send ISO 8601 with `Z`. Every current source agrees on one of the
two accepted forms; only the superseded guide text named day-first.
"""

from __future__ import annotations

from typing import Final

REQUEST_DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
"""strftime/strptime form of `Y-m-d H:i:s` (PHP's notation, as Tallyfy's pages write it)."""
REQUEST_DATE_EXAMPLE: Final = "2025-05-15 14:30:00"
REQUEST_DATE_PATTERN: Final = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
"""The shape of `Y-m-d H:i:s`; the calendar (month <= 12, real days) is checked by parsing."""

ISO_WITH_ZONE_PATTERN: Final = r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})"
"""ISO 8601 calendar date, a time, and a zone (`Z` or an offset)."""
REQUEST_DAY_PATTERN: Final = r"\d{4}-\d{2}-\d{2}"
"""Day filters (`deadline_start_range`, `deadline_end_range`): `Y-m-d` on Tallyfy's list-tasks page; a full request
date is read too (its day counts)."""
SPEC_REQUEST_DATE_PATTERN: Final = f"^(?:{REQUEST_DATE_PATTERN}|{ISO_WITH_ZONE_PATTERN})$"
"""The spec's `RequestDate` pattern (a test keeps the spec equal to it)."""
SPEC_REQUEST_DAY_PATTERN: Final = f"^(?:{REQUEST_DAY_PATTERN}|{REQUEST_DATE_PATTERN}|{ISO_WITH_ZONE_PATTERN})$"
ISO_EXAMPLE: Final = "2025-07-15T17:00:00Z"

RESPONSE_DATE_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.000Z"
"""Responses: ISO 8601 in UTC with milliseconds (every source agrees)."""

RULE_TEXT: Final = "Y-m-d H:i:s (UTC) or ISO 8601 with a time zone"
DAY_FIRST_TEXT: Final = "YYYY-DD-MM HH:MM:SS"
"""The superseded day-first form (an older text of Tallyfy's integration guide); refused."""

DOCS_URL: Final = "https://tallyfy.com/products/pro/integrations/open-api/how-to-integrate-with-tallyfy-using-api/"

EVIDENCE: Final = (
    ("DOC", DOCS_URL, "Date format standards: Request (to API) YYYY-MM-DD HH:MM:SS, e.g. 2025-05-15 14:30:00"),
    (
        "DOC",
        "https://tallyfy.com/products/pro/integrations/open-api/code-samples/processes/launch-process-without-template/",
        "deadline and started_at in YYYY-MM-DD HH:MM:SS",
    ),
    (
        "DOC",
        "https://tallyfy.com/products/pro/integrations/open-api/code-samples/guests/create-guest/",
        "external_date_creation: Y-m-d H:i:s",
    ),
    (
        "DOC",
        "https://tallyfy.com/products/pro/integrations/open-api/code-samples/tasks/create-task/",
        'request example "deadline": "2025-07-15T17:00:00Z"',
    ),
    ("SDK", "tallyfy/task_management/creation.py", 'create_task: deadline in "YYYY-mm-dd HH:ii:ss" format'),
    ("DOC (superseded)", DOCS_URL, "an older text of the guide: Request (to API) YYYY-DD-MM HH:MM:SS"),
)
