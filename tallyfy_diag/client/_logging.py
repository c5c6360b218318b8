"""Debug logging of every request and response, redacted by `tallyfy_diag._redact`.

Loggers: `tallyfy_diag.client` (each exchange) and `tallyfy_diag.client.retry` (each retry decision). Both log
at DEBUG only, never bodies, and pass every record through `RedactingFilter`, so a token that reaches a message
some other way (an argument, an exception text) is still replaced.

httpx logs every request at INFO on its own `httpx` logger, full URL included (`?access_token=...`); importing
the client attaches the same filter there, so turning on INFO logging does not print credentials.
"""

from __future__ import annotations

import logging

import httpx

from tallyfy_diag import _constants as c
from tallyfy_diag._redact import redact_headers, redact_message, redact_url


class RedactingFilter(logging.Filter):
    """Replaces anything token-shaped in the formatted message (the record's args are folded in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_message(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        return True


def get_logger(name: str) -> logging.Logger:
    """A client logger with the redacting filter attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


logger = get_logger("tallyfy_diag.client")
# httpx's own request log; a filter on a logger sees only that logger's records, so it is attached by name.
HTTPX_LOGGERS = ("httpx",)
for _name in HTTPX_LOGGERS:
    get_logger(_name)


def log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        headers = dict(redact_headers(request.headers.multi_items()))
        logger.debug("-> %s %s headers=%s", request.method, redact_url(str(request.url)), headers)


def log_response(response: httpx.Response) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        request = response.request
        logger.debug(
            "<- %s %s %s (%s: %s)",
            response.status_code,
            request.method,
            redact_url(str(request.url)),
            c.REQUEST_ID_HEADER,
            response.headers.get(c.REQUEST_ID_HEADER, "-"),
        )


async def alog_request(request: httpx.Request) -> None:
    log_request(request)


async def alog_response(response: httpx.Response) -> None:
    log_response(response)
