"""The one retry policy: what is retried, how long to wait, and the debug log of each decision.

- 429 on any method: the server refused before acting, so a retry cannot double anything. `Retry-After`
  (seconds or an HTTP date) is honoured up to `max_retry_after`; beyond that the error is raised at once
  with `retry_after` set, because sleeping minutes inside a library call surprises everyone.
- 502/503/504 and transport failures (connect, read, timeout) on idempotent methods only (RFC 9110 §9.2.2):
  a POST that timed out may have launched a process already.
- A token request the auth flow sends on a call's behalf is judged on its own: it is a POST, so after a
  transport failure it is sent again only when it provably never reached the server (the connection was not
  made), and it shares the call's retry budget instead of being resent with every retry of the call.
- Otherwise exponential backoff, `initial_delay * 2**attempt` capped at `max_delay`, with full jitter so
  that many clients do not retry in step.
- `RetryPolicy.off()` (or `max_retries=0`) disables retries; tests that want retries without waiting pass
  `sleep=` / `async_sleep=` that record instead of sleeping.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import ClassVar, Final

import attrs
import httpx

from tallyfy_diag._http_rules import parse_http_date, retry_after_seconds
from tallyfy_diag._redact import redact_url
from tallyfy_diag.client._logging import get_logger

DEFAULT_MAX_RETRIES: Final = 2
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0
RETRYABLE_STATUSES: Final = frozenset({502, 503, 504})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# A POST is safe to send again only when it never left: the connection itself failed.
NOT_SENT_TRANSPORT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout)
# Failures of the network or the server's connection; a malformed request or a bad proxy URL is not retried.
RETRYABLE_TRANSPORT_ERRORS: Final = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)

logger = get_logger("tallyfy_diag.client.retry")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP date); None when absent or unreadable."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    return retry_after_seconds(value, moment)


def retry_after_of(response: httpx.Response) -> float | None:
    """The response's Retry-After in seconds; an HTTP date is measured against the response's own `Date`
    header when it has one, so a client clock that disagrees with the server's does not stretch the wait."""
    server_now = parse_http_date(response.headers.get("date")) or datetime.now(UTC)
    return retry_after_seconds(response.headers.get("retry-after"), server_now)


@attrs.frozen
class RetryPolicy:
    """When and how long to wait before sending a request again.

    `delay_for_response` weighs only a status in `retried_statuses` (any other is final, whatever the method or
    attempt); a subclass can add one there, and it is then retried as 502/503/504 are.
    """

    retried_statuses: ClassVar[frozenset[int]] = RETRYABLE_STATUSES | {429}

    max_retries: int = attrs.field(default=DEFAULT_MAX_RETRIES, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=INITIAL_RETRY_DELAY, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=MAX_RETRY_DELAY, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=MAX_RETRY_AFTER, validator=attrs.validators.ge(0))
    jitter: bool = True
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = attrs.field(default=asyncio.sleep, repr=False)

    @classmethod
    def off(cls) -> RetryPolicy:
        return cls(max_retries=0)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt + 1` when the server gave no Retry-After."""
        ceiling = min(self.max_delay, self.initial_delay * (2**attempt))
        return random.uniform(0, ceiling) if self.jitter else ceiling  # noqa: S311 - jitter, not crypto

    def delay_for_response(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying a response, or None to stop here."""
        status = response.status_code
        if status not in self.retried_statuses:
            return None
        method, url = response.request.method, redact_url(str(response.request.url))
        retry_after = retry_after_of(response)
        if attempt >= self.max_retries:
            logger.debug("not retrying %s %s -> %s: %d retries used", method, url, status, attempt)
            return None
        if status == 429:
            if retry_after is not None and retry_after > self.max_retry_after:
                logger.debug(
                    "not retrying %s %s -> 429: Retry-After %.1fs exceeds the %.1fs cap",
                    method,
                    url,
                    retry_after,
                    self.max_retry_after,
                )
                return None
            delay = self.backoff(attempt) if retry_after is None else retry_after
        elif method.upper() not in IDEMPOTENT_METHODS:
            logger.debug("not retrying %s %s -> %s: method is not idempotent", method, url, status)
            return None
        else:
            delay = self.backoff(attempt) if retry_after is None else min(retry_after, self.max_delay)
        logger.debug("retrying %s %s -> %s in %.2fs (retry %d)", method, url, status, delay, attempt + 1)
        return delay

    def delay_for_transport_error(
        self, request: httpx.Request, error: httpx.TransportError, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying after a transport failure, or None to stop here."""
        method, url = request.method, redact_url(str(request.url))
        if not isinstance(error, RETRYABLE_TRANSPORT_ERRORS):
            return None
        if attempt >= self.max_retries:
            logger.debug("not retrying %s %s after %s: %d retries used", method, url, type(error).__name__, attempt)
            return None
        if method.upper() not in IDEMPOTENT_METHODS:
            logger.debug("not retrying %s %s after %s: method is not idempotent", method, url, type(error).__name__)
            return None
        delay = self.backoff(attempt)
        logger.debug(
            "retrying %s %s after %s in %.2fs (retry %d)", method, url, type(error).__name__, delay, attempt + 1
        )
        return delay

    def delay_for_token_request_error(
        self, token_request: httpx.Request, error: httpx.TransportError, attempt: int
    ) -> float | None:
        """Seconds to wait before trying again after a token request failed in transit, or None to stop.

        A token POST that may have reached the server is not repeated: the server may have issued (and, for a
        refresh token, rotated) credentials already, and a password grant sent twice counts twice against
        lock-out limits.
        """
        url = redact_url(str(token_request.url))
        name = type(error).__name__
        if not isinstance(error, NOT_SENT_TRANSPORT_ERRORS):
            logger.debug("not retrying token request %s after %s: it may have reached the server", url, name)
            return None
        if attempt >= self.max_retries:
            logger.debug("not retrying token request %s after %s: %d retries used", url, name, attempt)
            return None
        delay = self.backoff(attempt)
        logger.debug("retrying token request %s after %s in %.2fs (retry %d)", url, name, delay, attempt + 1)
        return delay
