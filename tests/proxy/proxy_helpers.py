"""Helpers the proxy tests share (a module of its own: `conftest` is a name every test folder uses)."""

from __future__ import annotations

import httpx

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.proxy import Proxy
from tallyfy_diag.sandbox import Sandbox


def verdicts(proxy: Proxy) -> list:
    proxy.drain()
    return list(proxy.judged)


def failing_checks(proxy: Proxy) -> set[str]:
    return {finding.check for judged in verdicts(proxy) for finding in judged.findings if finding.status == "fail"}


def user_token(base_url: str, sandbox: Sandbox) -> str:
    c = sandbox.credentials
    form = {
        "grant_type": "password",
        "client_id": c.client_id,
        "client_secret": c.client_secret,
        "username": c.username,
        "password": c.password,
    }
    headers = {CLIENT_HEADER: CLIENT_HEADER_VALUE, "Accept": "application/json"}
    response = httpx.post(base_url + "/oauth/token", data=form, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
