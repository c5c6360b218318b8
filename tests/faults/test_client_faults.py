"""The client against servers that misbehave on the wire: every call ends in bounded time with a typed,
redacted error, and sends no more requests than its retry policy allows (the server counts them)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import (
    AsyncTallyfy,
    ConfigurationError,
    ConnectionLostError,
    PasswordGrant,
    PersonalAccessToken,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    Tallyfy,
    TallyfyError,
    UnexpectedResponseError,
)

from ._server import CANARY_JWT, CANARY_PASSWORD, CANARY_REFRESH, FaultServer, bounded
from ._server import fault_server as _fault_server

RETRIES = 2
CANARIES = (CANARY_JWT, CANARY_REFRESH, CANARY_PASSWORD, "client-secret-canary")
# Generous: each limit is the worst case the settings allow, plus a wide margin for a loaded machine.
MARGIN = 5.0
# The timeout and deadline the hanging faults run into: short, so the suite does not wait long on them. Each
# test still proves the bound: the call ends with the typed error, no sooner than the limit (the server really
# hung) and no later than the limit plus MARGIN.
TIMEOUT = 0.2
DEADLINE = 0.3


def fault_server(routes: dict[str, str]) -> Any:
    """A fault server whose token endpoint issues tokens unless the test gives it a fault of its own."""
    return _fault_server({"/api/oauth/token": "token", **routes})


def no_wait() -> RetryPolicy:
    return RetryPolicy(max_retries=RETRIES, sleep=lambda _: None, async_sleep=_no_async_sleep)


async def _no_async_sleep(_: float) -> None:
    return None


def password_grant() -> PasswordGrant:
    return PasswordGrant("1", "client-secret-canary", "user@example.com", CANARY_PASSWORD)


def client(server: FaultServer, **options: Any) -> Tallyfy:
    options.setdefault("retry", no_wait())
    auth = options.pop("auth", None) or password_grant()
    return Tallyfy(auth, base_url=server.url + "/api", **options)


def call_me(server: FaultServer, **options: Any) -> tuple[Any, BaseException | None, float]:
    def run() -> Any:
        with client(server, **options) as tf:
            return tf.call(get_me)

    return bounded(run, limit=30)


def assert_redacted(error: BaseException) -> None:
    text = f"{error} {error!r}"
    for canary in CANARIES:
        assert canary not in text


@pytest.mark.parametrize(
    ("fault", "expected", "attempts"),
    [
        # GET is idempotent: transport failures and 503 are retried RETRIES times, then raised typed.
        ("truncated", ProtocolError, 1 + RETRIES),
        ("garbage", ProtocolError, 1 + RETRIES),
        ("reset", ConnectionLostError, 1 + RETRIES),
        ("html_5xx", ServerError, 1 + RETRIES),
        ("rate_limited", RateLimitError, 1 + RETRIES),
        # A success that is not what the spec documents is not retried, and not a bare JSONDecodeError.
        ("invalid_json", UnexpectedResponseError, 1),
        ("unexpected_2xx", UnexpectedResponseError, 1),
        ("redirect_loop", RedirectError, 1),
    ],
)
def test_fault_on_the_call_is_typed_and_counted(fault: str, expected: type[TallyfyError], attempts: int) -> None:
    with fault_server({"/api/me": fault}) as server:
        result, error, elapsed = call_me(server, timeout=2.0)
        assert result is None
        assert type(error) is expected, repr(error)
        assert server.count("GET", "/api/me") == attempts
        assert elapsed < 2.0 * attempts + MARGIN
        assert_redacted(error)


def test_a_protocol_error_does_not_say_the_host_was_unreachable() -> None:
    with fault_server({"/api/me": "garbage"}) as server:
        _, error, _ = call_me(server, retry=RetryPolicy.off())
    assert isinstance(error, ProtocolError)
    assert "could not reach" not in str(error)
    assert "answered, but not with valid HTTP" in str(error)


def test_unexpected_2xx_keeps_the_response_and_redacts_its_text() -> None:
    with fault_server({"/api/me": "unexpected_2xx"}) as server:
        _, error, _ = call_me(server)
    assert isinstance(error, UnexpectedResponseError)
    assert error.status == 202
    assert error.response is not None
    assert CANARY_JWT.encode() in error.response.content
    assert "[redacted]" in str(error)
    assert_redacted(error)


def test_accept_and_hang_is_bounded_by_the_timeout_and_retried_as_policy_says() -> None:
    with fault_server({"/api/me": "hang"}) as server:
        _, error, elapsed = call_me(server, timeout=TIMEOUT)
        assert isinstance(error, RequestTimeoutError)
        assert server.count("GET", "/api/me") == 1 + RETRIES
    assert TIMEOUT * (1 + RETRIES) * 0.9 <= elapsed < TIMEOUT * (1 + RETRIES) + MARGIN


def test_the_deadline_caps_a_hanging_call_with_all_its_retries() -> None:
    with fault_server({"/api/me": "hang"}) as server:
        _, error, elapsed = call_me(server, timeout=20.0, deadline=DEADLINE)
        assert isinstance(error, RequestTimeoutError)
        assert "deadline" in str(error)
        assert server.count("GET", "/api/me") == 1
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + MARGIN


def test_the_deadline_stops_an_endless_body() -> None:
    # Bytes keep coming, so no read ever times out: only the deadline ends the call.
    with fault_server({"/api/me": "endless"}) as server:
        _, error, elapsed = call_me(server, timeout=5.0, deadline=DEADLINE)
        assert isinstance(error, RequestTimeoutError)
        assert server.count("GET", "/api/me") == 1
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + MARGIN


def test_the_deadline_stops_a_server_that_drips_headers() -> None:
    # Each byte arrives well within the read timeout, so only the deadline can end this.
    with fault_server({"/api/me": "drip"}) as server:
        _, error, elapsed = call_me(server, timeout=5.0, deadline=DEADLINE)
        assert isinstance(error, RequestTimeoutError)
        assert server.count("GET", "/api/me") == 1
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + MARGIN


def test_a_429_storm_ends_when_the_retries_are_used_up() -> None:
    many = RetryPolicy(max_retries=20, sleep=lambda _: None)
    with fault_server({"/api/me": "rate_limited"}) as server:
        _, error, _ = call_me(server, retry=many)
        assert isinstance(error, RateLimitError)
        assert server.count("GET", "/api/me") == 21


def test_a_429_storm_is_not_waited_out_past_the_deadline() -> None:
    # Retry-After: 1 each time; a wait that would end after the deadline is not started.
    with fault_server({"/api/me": "rate_limited_1s"}) as server:
        _, error, elapsed = call_me(server, retry=RetryPolicy(max_retries=20), deadline=1.5)
        assert isinstance(error, RateLimitError)
        assert server.count("GET", "/api/me") == 2
    assert 0.9 <= elapsed < 1.5 + MARGIN


@pytest.mark.parametrize("fault", ["hang", "drip"])
def test_a_hanging_token_endpoint_is_bounded_and_sent_once(fault: str) -> None:
    options: dict[str, Any] = {"auth": password_grant(), "timeout": TIMEOUT}
    if fault == "drip":
        options["deadline"] = DEADLINE
    with fault_server({"/api/oauth/token": fault}) as server:
        _, error, elapsed = call_me(server, **options)
        assert isinstance(error, RequestTimeoutError)
        # The token POST may have reached the server: never resent, however many retries the GET has.
        assert server.count("POST", "/api/oauth/token") == 1
        assert server.count("GET", "/api/me") == 0
    assert min(TIMEOUT, DEADLINE) * 0.9 <= elapsed < DEADLINE + MARGIN
    assert "oauth/token" in str(error)
    assert_redacted(error)


def test_a_token_endpoint_that_drops_the_connection_is_not_resent_by_the_calls_retries() -> None:
    with fault_server({"/api/oauth/token": "reset"}) as server:
        _, error, _ = call_me(server, auth=password_grant())
        assert isinstance(error, ConnectionLostError)
        assert server.count("POST", "/api/oauth/token") == 1


def test_a_token_endpoint_that_cannot_be_reached_is_retried_within_the_budget() -> None:
    # Nothing listens: the POST never left, so sending it again is safe (and counted against the same budget).
    with fault_server({}) as server:
        url = server.url
    attempts: list[float] = []
    policy = RetryPolicy(max_retries=RETRIES, sleep=attempts.append)
    with Tallyfy(password_grant(), base_url=url + "/api", retry=policy, timeout=2.0) as tf:
        _, error, _ = bounded(lambda: tf.call(get_me), limit=30)
    assert type(error).__name__ == "ConnectError"
    assert len(attempts) == RETRIES


@pytest.mark.parametrize("fault", ["invalid_json", "unexpected_2xx"])
def test_a_token_response_that_is_not_a_token_is_typed_and_redacted(fault: str) -> None:
    with fault_server({"/api/oauth/token": fault}) as server:
        _, error, _ = call_me(server, auth=password_grant())
        assert isinstance(error, UnexpectedResponseError)
        assert server.count("POST", "/api/oauth/token") == 1
    assert_redacted(error)


def test_async_token_requests_honour_the_timeout() -> None:
    async def run() -> None:
        async with AsyncTallyfy(password_grant(), base_url=server.url + "/api", timeout=TIMEOUT, retry=no_wait()) as tf:
            await tf.call(get_me)

    with fault_server({"/api/oauth/token": "hang"}) as server:
        _, error, elapsed = bounded(lambda: asyncio.run(run()), limit=30)
        assert isinstance(error, RequestTimeoutError)
        assert server.count("POST", "/api/oauth/token") == 1
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN


def test_async_deadline_stops_a_dripping_server() -> None:
    async def run() -> None:
        async with AsyncTallyfy(
            PersonalAccessToken("pat-canary-token"), base_url=server.url + "/api", timeout=5.0, deadline=DEADLINE
        ) as tf:
            await tf.call(get_me)

    with fault_server({"/api/me": "drip"}) as server:
        _, error, elapsed = bounded(lambda: asyncio.run(run()), limit=30)
        assert isinstance(error, RequestTimeoutError)
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + MARGIN


def test_httpx_info_log_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with fault_server({}) as server, client(server) as tf:
        tf.http.get("/me", params={"access_token": "query-canary-token", "api_key": "key-canary-123"})
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "httpx")
    assert "HTTP Request" in logged
    assert "query-canary-token" not in logged
    assert "key-canary-123" not in logged
    assert "[redacted]" in logged


@pytest.mark.parametrize("deadline", [0, -1, float("inf"), float("nan")])
def test_a_deadline_must_be_a_positive_finite_number(deadline: float) -> None:
    with pytest.raises(ConfigurationError, match="deadline"):
        Tallyfy(password_grant(), deadline=deadline)


def test_a_probe_client_reads_a_bounded_body() -> None:
    from tallyfy_diag._deadline import BoundedClient, ResponseTooLarge  # noqa: PLC0415

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 100)

    small = BoundedClient(request_deadline=5, max_response_bytes=99, transport=httpx.MockTransport(answer))
    with small as probe, pytest.raises(ResponseTooLarge):
        probe.send(httpx.Request("GET", "http://probe.test/"))
    with BoundedClient(request_deadline=5, max_response_bytes=100, transport=httpx.MockTransport(answer)) as probe:
        assert probe.get("http://probe.test/").content == b"x" * 100
