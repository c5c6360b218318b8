"""Retries for server and connection failures, against a real sandbox over loopback (never really sleeping).

The sandbox runs on the real clock here: an HTTP-date `Retry-After` is an absolute time, read against now.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from client_helpers import SleepRecorder
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.tasks import create_oneoff_task
from tallyfy_client.models.one_off_task_create import OneOffTaskCreate

from tallyfy_diag.client import ConnectError, PersonalAccessToken, RetryPolicy, ServerError, Tallyfy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.sandbox._outage import OUTAGE_RETRY_AFTER_SECONDS


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def no_backoff(sleeper: SleepRecorder) -> RetryPolicy:
    """Retries whose own backoff is zero, so any wait recorded came from the server's Retry-After."""
    return RetryPolicy(initial_delay=0.0, jitter=False, sleep=sleeper)


def _tallyfy(base_url: str, token: str, org_id: str, retry: RetryPolicy) -> Tallyfy:
    return Tallyfy(PersonalAccessToken(token), base_url=base_url, org_id=org_id, retry=retry)


def _watch(tf: Tallyfy) -> tuple[list[httpx.Request], list[httpx.Response]]:
    """Every attempt the client sends, and every answer it gets (retries included)."""
    sent: list[httpx.Request] = []
    answered: list[httpx.Response] = []
    tf.http.event_hooks["request"].append(sent.append)
    tf.http.event_hooks["response"].append(answered.append)
    return sent, answered


@contextlib.contextmanager
def _client_of(config: SandboxConfig, retry: RetryPolicy) -> Iterator[Tallyfy]:
    with Sandbox(config) as sandbox:
        c = sandbox.credentials
        with _tallyfy(sandbox.base_url, sandbox.mint_access_token(), c.org_id, retry) as tf:
            yield tf


def test_a_get_rides_out_the_outage_waiting_as_retry_after_says(
    no_backoff: RetryPolicy, sleeper: SleepRecorder
) -> None:
    with _client_of(SandboxConfig(outage_requests=2), no_backoff) as tf:
        _, answered = _watch(tf)
        blueprints = tf.call(list_blueprints)
    assert blueprints.data
    assert [r.status_code for r in answered] == [503, 503, 200]
    assert not any(r.headers["Retry-After"].isdigit() for r in answered[:2])  # HTTP dates, not seconds
    assert len(sleeper.delays) == 2
    for delay in sleeper.delays:  # a whole-second HTTP date, read a moment after it was written
        assert OUTAGE_RETRY_AFTER_SECONDS - 1 < delay <= OUTAGE_RETRY_AFTER_SECONDS + 1


def test_a_post_is_not_retried_and_names_the_request_id(no_backoff: RetryPolicy, sleeper: SleepRecorder) -> None:
    with _client_of(SandboxConfig(outage_requests=1), no_backoff) as tf:
        sent, answered = _watch(tf)
        with pytest.raises(ServerError) as caught:
            tf.call(create_oneoff_task, body=OneOffTaskCreate(title="Call the supplier"))
        assert len(sent) == 1
        # The outage is over, so the same call now succeeds: it was the client that did not retry.
        assert tf.call(create_oneoff_task, body=OneOffTaskCreate(title="Call the supplier")).data
    error = caught.value
    assert (error.method, error.status) == ("POST", 503)
    assert error.request_id == answered[0].headers["X-Request-Id"]
    assert error.request_id in str(error)
    assert sleeper.delays == []


def test_with_retries_off_a_get_fails_at_once() -> None:
    with _client_of(SandboxConfig(outage_requests=1), RetryPolicy.off()) as tf:
        sent, _ = _watch(tf)
        with pytest.raises(ServerError) as caught:
            tf.call(list_blueprints)
        assert tf.call(list_blueprints).data
    assert caught.value.status == 503
    assert len(sent) == 2  # the refused call, then the one after it


@pytest.fixture
def gone() -> Iterator[tuple[str, str, str]]:
    """Where a sandbox served until it stopped: (base URL, a token it issued, its organization).

    Its port stays bound but not listening, so every connection is refused and nothing else can take it.
    """
    with Sandbox() as sandbox:
        base_url, token, org_id = sandbox.base_url, sandbox.mint_access_token(), sandbox.credentials.org_id
    port = urlsplit(base_url).port
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", port))
        yield base_url, token, org_id


def test_a_get_to_a_stopped_sandbox_is_retried_then_fails_to_connect(
    gone: tuple[str, str, str], no_backoff: RetryPolicy, sleeper: SleepRecorder
) -> None:
    base_url, token, org_id = gone
    with _tallyfy(base_url, token, org_id, no_backoff) as tf:
        sent, _ = _watch(tf)
        with pytest.raises(ConnectError) as caught:
            tf.call(list_blueprints)
    assert len(sent) == no_backoff.max_retries + 1
    assert len(sleeper.delays) == no_backoff.max_retries
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_a_post_to_a_stopped_sandbox_is_not_retried(
    gone: tuple[str, str, str], no_backoff: RetryPolicy, sleeper: SleepRecorder
) -> None:
    base_url, token, org_id = gone
    with _tallyfy(base_url, token, org_id, no_backoff) as tf:
        sent, _ = _watch(tf)
        with pytest.raises(ConnectError):
            tf.call(create_oneoff_task, body=OneOffTaskCreate(title="Call the supplier"))
    assert len(sent) == 1
    assert sleeper.delays == []
