"""A deployment hiccup: the next N API requests answer 503 Service Unavailable, then service resumes.

Tallyfy's own clients retry 502/503/504, so a client should too (on idempotent methods only). The answer is
what a gateway sends while a deployment drains: no work done, `Retry-After` as an HTTP date (RFC 9110
section 10.2.3) a couple of seconds after the server's `Date`. The spec documents no 5xx answer, so the
conformance tests (schemathesis, the whole-API fuzz) run with the default config, where the outage is off.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final

from tallyfy_diag.sandbox._errors import ApiError

OUTAGE_RETRY_AFTER_SECONDS: Final = 2
SERVICE_UNAVAILABLE_MESSAGE: Final = "Service Unavailable"


class Outage:
    """Counts down the requests still inside the outage; safe to share between server threads."""

    def __init__(self, requests: int) -> None:
        self._remaining = requests
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return self._remaining

    def take(self) -> bool:
        """True when this request falls inside the outage (and is counted), False once service is back."""
        if self._remaining <= 0:  # the count only falls, so the common case needs no lock
            return False
        with self._lock:
            if self._remaining <= 0:
                return False
            self._remaining -= 1
            return True


def service_unavailable(now: float) -> ApiError:
    """503 with `Retry-After` a couple of whole seconds after `now` (the instant the `Date` header shows).

    Rounded up to a whole second first, since an HTTP date has no fractions: the wait is never shorter.
    """
    retry_at = datetime.fromtimestamp(math.ceil(now) + OUTAGE_RETRY_AFTER_SECONDS, UTC)
    return ApiError(
        503,
        {"error": True, "message": SERVICE_UNAVAILABLE_MESSAGE},
        {"Retry-After": format_datetime(retry_at, usegmt=True)},
    )
