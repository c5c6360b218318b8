"""The proxy never changes what the application sees, nor what the upstream receives.

Answers are compared byte for byte with and without the proxy on a sandbox whose clock stands still (so `Date`
and `Retry-After` cannot differ by a tick): status, every header but the per-request `X-Request-Id`, and body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from proxy_helpers import user_token

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.proxy import Proxy
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

FROZEN = 1_780_000_000.0


@pytest.fixture(scope="module")
def still_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(scenario="rate-limited", clock=lambda: FROZEN)) as running:
        yield running


@pytest.fixture(scope="module")
def still_proxy(still_sandbox) -> Iterator[Proxy]:
    with Proxy(still_sandbox.base_url) as running:
        yield running


# Differ between any two requests by design: a fresh id each, and the rate-limit budget one request smaller.
PER_REQUEST = {b"x-request-id", b"x-ratelimit-remaining"}


def seen(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(name.lower(), value) for name, value in response.headers.raw if name.lower() not in PER_REQUEST]
    return response.status_code, headers, response.content


def both(method: str, path: str, sandbox: Sandbox, proxy: Proxy, **options):
    with httpx.Client(timeout=10) as client:
        direct = client.request(method, sandbox.base_url + path, **options)
        proxied = client.request(method, proxy.base_url + path, **options)
    budget = direct.headers.get("x-ratelimit-remaining")
    if budget is not None and int(budget) > 0:
        assert proxied.headers["x-ratelimit-remaining"] == str(int(budget) - 1)
    return direct, proxied


def test_401_429_and_a_download_are_identical_through_the_proxy(still_sandbox, still_proxy):
    org = still_sandbox.credentials.org_id
    token = user_token(still_sandbox.base_url, still_sandbox)
    headers = {"Authorization": f"Bearer {token}", CLIENT_HEADER: CLIENT_HEADER_VALUE, "Accept": "application/json"}
    with httpx.Client(timeout=10) as client:
        run = client.get(f"{still_sandbox.base_url}/organizations/{org}/runs", headers=headers).json()["data"][0]
        content = bytes(range(256)) * 2048  # half a MiB of every byte value (the sandbox takes at most 1 MB)
        upload = client.post(
            f"{still_sandbox.base_url}/organizations/{org}/file",
            files={"name": ("report.bin", content, "application/octet-stream")},
            data={"subject_type": "Run", "subject_id": run["id"], "uploaded_from": "capture"},
            headers=headers,
        )
        assert upload.status_code == 200, upload.text
        asset = upload.json()["data"]["id"]

    direct, proxied = both("GET", f"/organizations/{org}/file/{asset}/dl", still_sandbox, still_proxy, headers=headers)
    assert direct.status_code == 200
    assert direct.content == content
    assert seen(proxied) == seen(direct)

    bad = {**headers, "Authorization": "Bearer not-a-token"}
    direct, proxied = both("GET", "/me", still_sandbox, still_proxy, headers=bad)
    assert direct.status_code == 401
    assert "www-authenticate" in direct.headers
    assert seen(proxied) == seen(direct)

    for _ in range(10):  # past the scenario's 5 a minute: the window never moves on a frozen clock
        direct, proxied = both("GET", "/me", still_sandbox, still_proxy, headers=headers)
        if direct.status_code == 429 and proxied.status_code == 429:
            break
    assert direct.status_code == 429
    assert direct.headers["retry-after"]
    assert seen(proxied) == seen(direct)


def test_the_upstream_receives_the_request_as_sent():
    received: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        request.read()
        received.append(request)
        return httpx.Response(201, headers={"X-Upstream": "yes", "Set-Cookie": "a=b"}, content=b'{"data":{}}')

    body = b'{"name": "caf\xc3\xa9", "n": 1}'
    sent_headers = {
        "Authorization": "Bearer  two-spaces",
        CLIENT_HEADER: "Something Odd",
        "X-Custom": "kept",
        "Content-Type": "application/json",
        "User-Agent": "my-app/1.0",
    }
    with (
        Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream)) as proxy,
        httpx.Client(timeout=10) as client,
    ):
        response = client.post(
            proxy.base_url + "/organizations/a%2Fb/runs?x=1&x=2&y=%20", content=body, headers=sent_headers
        )
    assert response.status_code == 201
    assert response.headers["x-upstream"] == "yes"
    assert response.headers["set-cookie"] == "a=b"
    assert "access-control-allow-origin" not in response.headers
    assert response.content == b'{"data":{}}'
    (forwarded,) = received
    assert forwarded.method == "POST"
    assert forwarded.url.raw_path == b"/api/organizations/a%2Fb/runs?x=1&x=2&y=%20"
    assert forwarded.content == body
    for name, value in sent_headers.items():
        assert forwarded.headers.get_list(name) == [value], name
    assert forwarded.headers["host"] == "upstream.test"


def test_a_large_download_streams_through(still_sandbox):
    size = 20 * 1024 * 1024

    async def chunks():
        for _ in range(size // 65536):
            yield b"x" * 65536

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "application/octet-stream"}, content=chunks())

    with Proxy("http://upstream.test", transport=httpx.MockTransport(upstream)) as proxy:
        total = 0
        with httpx.stream("GET", proxy.root_url + "/organizations/o/file/f/dl", timeout=10) as response:
            for part in response.iter_raw():
                total += len(part)
        proxy.drain()
        (judged,) = proxy.judged
    assert total == size
    assert judged.status == 200
    assert judged.path == "/organizations/{org}/file/{file_id}/dl"


def test_no_upstream_is_a_502_that_says_it_is_the_proxy():
    def upstream(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream)) as proxy:
        response = httpx.get(proxy.base_url + "/me", timeout=10)
        proxy.drain()
        (judged,) = proxy.judged
    assert response.status_code == 502
    assert response.text.startswith("tallyfy-diag proxy:")
    assert "connectivity" in {finding.check for finding in judged.findings if finding.status == "fail"}


def test_connection_scoped_headers_stay_on_their_hop():
    received: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204, headers={"Connection": "close", "Keep-Alive": "timeout=5"})

    with Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream)) as proxy:
        response = httpx.get(
            proxy.base_url + "/me", headers={"Connection": "keep-alive, X-Hop", "X-Hop": "1", "X-End": "2"}, timeout=10
        )
    (forwarded,) = received
    assert "x-hop" not in forwarded.headers
    assert forwarded.headers["x-end"] == "2"
    assert "keep-alive" not in response.headers
    assert response.status_code == 204


def test_an_upstream_that_times_out_is_a_504_judged_as_connectivity():
    def upstream(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream)) as proxy:
        response = httpx.get(proxy.base_url + "/me", timeout=10)
        proxy.drain()
        (judged,) = proxy.judged
    assert response.status_code == 504
    assert judged.status is None
    connectivity = next(finding for finding in judged.findings if finding.check == "connectivity")
    assert connectivity.status == "fail"
    assert "timeout" in str(connectivity.evidence)


def test_an_upload_streams_through_unchanged(sandbox, proxy):
    org = sandbox.credentials.org_id
    headers = {
        "Authorization": f"Bearer {sandbox.mint_access_token()}",
        CLIENT_HEADER: CLIENT_HEADER_VALUE,
        "Accept": "application/json",
    }
    content = bytes(range(255, -1, -1)) * 2048
    with httpx.Client(timeout=10) as client:
        run = client.get(f"{proxy.base_url}/organizations/{org}/runs", headers=headers).json()["data"][0]
        upload = client.post(
            f"{proxy.base_url}/organizations/{org}/file",
            files={"name": ("up.bin", content, "application/octet-stream")},
            data={"subject_type": "Run", "subject_id": run["id"], "uploaded_from": "capture"},
            headers=headers,
        )
        assert upload.status_code == 200, upload.text
        stored = client.get(
            f"{sandbox.base_url}/organizations/{org}/file/{upload.json()['data']['id']}/dl", headers=headers
        )
    assert stored.content == content
    proxy.drain()
    assert [judged.path for judged in proxy.judged][-1] == "/organizations/{org}/file"
    assert not proxy.stats.failed


def test_a_failure_while_reporting_one_exchange_does_not_stop_the_judging_of_the_next():
    calls = []

    def report(judged):
        calls.append(judged.index)
        if len(calls) == 1:
            raise BrokenPipeError  # stdout closed under a pipe, say

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": {"id": 1}})

    with Proxy("http://upstream.test/api", on_judged=report, transport=httpx.MockTransport(upstream)) as proxy:
        for _ in range(2):
            assert httpx.get(proxy.base_url + "/me", timeout=10).status_code == 200
        proxy.drain()
    assert calls == [1, 2]
    assert proxy.stats.exchanges == 2


def test_the_judge_keeps_up_with_steady_concurrent_traffic():
    async def upstream_answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": {"id": 1}})

    async def load(base_url: str) -> list[int]:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            responses = await asyncio.gather(*(client.get(base_url + "/me") for _ in range(200)))
        return [response.status_code for response in responses]

    with Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream_answer)) as proxy:
        assert asyncio.run(load(proxy.base_url)) == [200] * 200
        proxy.drain(timeout=60)
    assert proxy.stats.exchanges == 200
    assert proxy.stats.not_judged == 0
    assert sorted(judged.index for judged in proxy.judged) == list(range(1, 201))


def test_redirects_pass_through_unfollowed_and_head_has_no_body():
    def upstream(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Length": "1234", "Content-Type": "application/json"})
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/api/me"})

    with Proxy("http://upstream.test/api", transport=httpx.MockTransport(upstream)) as proxy:
        moved = httpx.get(proxy.base_url + "/me", timeout=10)
        head = httpx.head(proxy.base_url + "/me", timeout=10)
        proxy.drain()
        judged = list(proxy.judged)
    assert moved.status_code == 302
    assert moved.headers["location"] == "https://elsewhere.test/api/me"
    assert "redirect" in {finding.check for finding in judged[0].findings if finding.status == "fail"}
    assert head.status_code == 200
    assert head.headers["content-length"] == "1234"
    assert head.content == b""
