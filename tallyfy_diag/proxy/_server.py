"""Running the proxy: uvicorn on loopback (the project's `BackgroundServer`), and a judging thread.

The server thread only forwards bytes; each finished exchange goes on a bounded queue to one judging thread, which
judges it, records it (when asked) and hands the verdict to `on_judged`. One thread keeps the verdicts in the
order the exchanges finished; a full queue drops the judging of an exchange (never the exchange itself) and the
summary says how many.

    with Proxy("https://go.tallyfy.com/api", on_judged=print) as proxy:
        ...  # point the application at proxy.base_url
    proxy.stats  # exchanges, failed, warned, failed checks by id
"""

from __future__ import annotations

import collections
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Final

import attrs
import httpx

from tallyfy_diag._constants import API_PREFIX
from tallyfy_diag._redact import redact_text, redact_url
from tallyfy_diag._serve import BackgroundServer, Served
from tallyfy_diag.diagnostics import Exchange, Header, Request, Response, TransportFailure
from tallyfy_diag.diagnostics._checks._common import exchange_label
from tallyfy_diag.proxy._app import Observed, ProxyApp
from tallyfy_diag.proxy._judge import Judge, Judged
from tallyfy_diag.proxy._record import Recorder

logger = logging.getLogger("tallyfy_diag.proxy")
QUEUE_SIZE: Final = 1000
IDLE_WAIT: Final = 0.5
"""Judging holds the GIL, and the application's requests should not wait for it: the judge waits for a moment
with no request in flight, but judges an exchange anyway once it has waited this many seconds since it ended
(so under steady traffic the judge keeps up, a little behind)."""
_STOP: Final = object()


class _HttpxUrlFilter(logging.Filter):
    """httpx logs each request's URL at INFO; the proxy's URLs carry the application's query strings, which
    may hold credentials (`?access_token=`), so a host program that logs at INFO sees them redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            message = record.getMessage()
            record.msg, record.args = redact_text(redact_url_in_text(message)), ()
        return True


_URL: Final = re.compile(r"https?://[^\s\"']+")


def redact_url_in_text(text: str) -> str:
    return _URL.sub(lambda match: redact_url(match.group(0)), text)


def _filter_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _HttpxUrlFilter) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_HttpxUrlFilter())


def to_exchange(observed: Observed, index: int) -> tuple[Exchange, bool]:
    """The diagnostics' view of an observed exchange, and whether its response body is complete."""
    request = Request(
        method=observed.method.upper(),
        url=observed.upstream_url,
        headers=tuple(Header(name, value) for name, value in observed.request_headers),
        body=bytes(observed.request_body),
        body_known=observed.request_complete,
    )
    response = None
    complete = observed.response_complete
    if observed.status is not None:
        body, complete = observed.decoded_response_body()
        response = Response(
            status=observed.status, headers=tuple(Header(n, v) for n, v in observed.response_headers), body=body
        )
    failure = None
    if observed.failure is not None and response is None:
        kind = observed.failure if observed.failure in ("connect", "timeout", "tls", "protocol") else "other"
        failure = TransportFailure(kind, f"the proxy got no answer from the upstream ({kind})")  # type: ignore[arg-type]
    exchange = Exchange(
        request=request,
        response=response,
        failure=failure,
        sent_at=observed.started,
        received_at=observed.started + timedelta(seconds=observed.elapsed),
        label=exchange_label(observed.method, observed.upstream_url, index),
    )
    return exchange, complete


@attrs.define
class Summary:
    exchanges: int = 0
    failed: int = 0
    warned: int = 0
    not_judged: int = 0
    by_check: collections.Counter[str] = attrs.field(factory=collections.Counter)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class Proxy(Served):
    """A running proxy in front of `upstream` (a base URL); `with Proxy(...) as proxy:` serves on loopback."""

    def __init__(
        self,
        upstream: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 30.0,
        on_judged: Callable[[Judged], None] | None = None,
        recorder: Recorder | None = None,
        only: Collection[str] = (),
        skip: Collection[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self._judge = Judge(self.upstream, only=only, skip=skip)
        self._on_judged = on_judged
        self._recorder = recorder
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_SIZE)
        self._lock = threading.Lock()
        self._count = 0
        self.stats = Summary()
        self.judged: collections.deque[Judged] = collections.deque(maxlen=1000)
        """The latest verdicts (tests and embedding programs read them; bounded)."""
        self.app = ProxyApp(self.upstream, self._enqueue, timeout=timeout, transport=transport)
        self._server = BackgroundServer(
            self.app,
            host,
            port,
            name="proxy",
            lifespan="on",
            date_header=False,  # the upstream's Date and Server pass through; the proxy adds neither
            server_header=False,
            timeout_graceful_shutdown=2,
            limit_concurrency=1024,
            h11_max_incomplete_event_size=65536,
        )
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ addresses

    @property
    def root_url(self) -> str:
        return self._server.root_url

    @property
    def base_url(self) -> str:
        """The proxy as a `/api`-style base URL (root style: `root_url`)."""
        return self.root_url + API_PREFIX

    # ------------------------------------------------------------------ judging

    def _enqueue(self, observed: Observed) -> None:
        try:
            self._queue.put_nowait(observed)
        except queue.Full:
            with self._lock:
                self.stats.exchanges += 1
                self.stats.not_judged += 1

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                assert isinstance(item, Observed)
                deadline = item.finished + IDLE_WAIT
                while self.app.in_flight and time.monotonic() < deadline:
                    time.sleep(0.001)
                self._handle(item)
            finally:
                self._queue.task_done()

    def _handle(self, observed: Observed) -> None:
        """Judge, count, record and report one exchange; a failure in one step never stops the next exchange."""
        with self._lock:
            self._count += 1
            index = self._count
        try:
            exchange, complete = to_exchange(observed, index)
            verdict = self._judge.judge(
                index,
                exchange,
                elapsed_ms=observed.elapsed * 1000,
                now=observed.started,
                request_complete=observed.request_complete,
                response_complete=complete,
            )
        except Exception as error:  # noqa: BLE001 - one bad exchange must not stop the judging of the rest
            logger.debug("judging exchange %d failed: %s", index, type(error).__name__)
            verdict = None
        with self._lock:
            self.stats.exchanges += 1
            if verdict is None:
                self.stats.not_judged += 1
            else:
                self.stats.failed += verdict.failed
                self.stats.warned += bool(verdict.findings) and not verdict.failed
                self.stats.by_check.update(finding.check for finding in verdict.findings if finding.status == "fail")
                self.judged.append(verdict)
        try:
            if self._recorder is not None:
                self._recorder.add(observed)
            if self._on_judged is not None and verdict is not None:
                self._on_judged(verdict)
        except Exception as error:  # noqa: BLE001 - a closed stdout must not stop the proxy
            logger.debug("reporting exchange %d failed: %s", index, type(error).__name__)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every exchange received so far is judged (bounded by `timeout`): an application can
        read the last byte of an answer a moment before the proxy hands the exchange to the judge."""
        deadline = time.monotonic() + timeout
        while self.app.in_flight or self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        _filter_httpx_logs()
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="proxy-judge", daemon=True)
            self._worker.start()
        try:
            self._server.start()
        except BaseException:
            self._stop_worker()
            raise

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._queue.put(_STOP)
            self._worker.join(timeout=30)
            self._worker = None

    def stop(self) -> None:
        """Stop serving, judge what is queued, write the recording; safe to call twice."""
        self._server.stop()
        self._stop_worker()
        if self._recorder is not None:
            self._recorder.close()
