"""Cookies behave as httpx's do (a server's Set-Cookie is stored and sent back), while a response that sets none
is never handed to the cookie jar (httpx's adapters for asking it cost a sixth of a request)."""

from __future__ import annotations

import asyncio
import http.cookiejar

import httpx
import pytest
from tallyfy_client.api.identity import get_me

from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy

ORG = "0123456789abcdef0123456789abcdef"
ME = {"data": {"id": 1}}


class CookieServer:
    """Sets `session=s1` on the first answer (spelled `header`), and records the Cookie header of each request."""

    def __init__(self, header: str = "Set-Cookie") -> None:
        self.header = header
        self.cookies_sent: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.cookies_sent.append(request.headers.get("cookie"))
        headers = {self.header: "session=s1; Path=/"} if len(self.cookies_sent) == 1 else {}
        return httpx.Response(200, json=ME, headers=headers)


@pytest.fixture
def jar_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the cookie jar is asked to read a response."""
    reads: list[int] = []
    real = http.cookiejar.CookieJar.extract_cookies

    def counting(self: http.cookiejar.CookieJar, response: object, request: object) -> None:
        reads.append(1)
        real(self, response, request)  # type: ignore[arg-type]

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counting)
    return reads


@pytest.mark.parametrize("header", ["Set-Cookie", "set-cookie", "SET-COOKIE"])
def test_a_cookie_the_server_sets_is_sent_back(header: str, jar_reads: list[int]) -> None:
    server = CookieServer(header)
    with Tallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=httpx.MockTransport(server)) as tf:
        tf.call(get_me)
        tf.identity.get_me()
        tf.identity.get_me()
        assert tf.http.cookies["session"] == "s1"
    assert server.cookies_sent == [None, "session=s1", "session=s1"]
    assert len(jar_reads) == 1  # only the answer that set a cookie was read


def test_the_async_client_keeps_cookies_the_same_way(jar_reads: list[int]) -> None:
    server = CookieServer()

    async def run() -> None:
        async with AsyncTallyfy(PersonalAccessToken("t0ken"), org_id=ORG, transport=httpx.MockTransport(server)) as tf:
            await tf.identity.get_me()
            await tf.identity.get_me()

    asyncio.run(run())
    assert server.cookies_sent == [None, "session=s1"]
    assert len(jar_reads) == 1


def test_cookies_given_at_construction_or_set_later_are_sent(jar_reads: list[int]) -> None:
    seen: list[str | None] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, json=ME)

    transport = httpx.MockTransport(record)
    with Tallyfy(PersonalAccessToken("t0ken"), transport=transport, httpx_args={"cookies": {"a": "1"}}) as tf:
        tf.identity.get_me()
        tf.http.cookies = {"b": "2"}
        tf.identity.get_me()
        assert isinstance(tf.http.cookies, httpx.Cookies)
    assert seen == ["a=1", "b=2"]
    assert jar_reads == []  # no answer set a cookie


def test_a_cookie_set_on_a_followed_redirect_reaches_the_next_hop(jar_reads: list[int]) -> None:
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("cookie")))
        if request.url.path.endswith("/old/me"):
            return httpx.Response(302, headers={"Location": "/api/me", "Set-Cookie": "hop=1; Path=/"})
        return httpx.Response(200, json=ME)

    options = {"follow_redirects": True}
    with Tallyfy(PersonalAccessToken("t0ken"), transport=httpx.MockTransport(answer), httpx_args=options) as tf:
        assert tf.http.get("/old/me").status_code == 200
    assert seen == [("/api/old/me", None), ("/api/me", "hop=1")]
    assert len(jar_reads) == 1
