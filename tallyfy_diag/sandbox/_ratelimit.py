"""A fixed one-minute window per key (an organization, else the client's address), like Laravel's throttle."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import attrs

WINDOW_SECONDS = 60


@attrs.frozen
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int
    """Seconds until the window resets (only meaningful when not allowed)."""


class RateLimiter:
    def __init__(self, limit: int, clock: Callable[[], float], lock: threading.RLock) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = lock
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> Verdict:
        now = self._clock()
        window = math.floor(now / WINDOW_SECONDS)
        with self._lock:
            start, used = self._windows.get(key, (window, 0))
            if start != window:
                used = 0
            retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            if used >= self.limit:
                self._windows[key] = (window, used)
                return Verdict(False, self.limit, 0, retry_after)
            self._windows[key] = (window, used + 1)
            return Verdict(True, self.limit, self.limit - used - 1, retry_after)
