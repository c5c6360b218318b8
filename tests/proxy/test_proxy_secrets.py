"""Secrets pass through to the upstream but never reach the terminal, the JSONL, a recording or a log.

Canaries are planted wherever an application puts credentials; the sandbox's own issued tokens count too.
"""

from __future__ import annotations

import io
import logging

import httpx
import pytest

from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.diagnostics import parse_capture
from tallyfy_diag.proxy import Proxy, Recorder
from tallyfy_diag.proxy._cassettes import check_file
from tallyfy_diag.proxy._output import write_judged

CANARIES = {
    "bearer": "canary-bearer-5d1e0c7f",
    "query": "canary-query-token-93ab",
    "cookie": "canary-cookie-77aa",
    "client_secret": "canary-client-secret-b4",
    "password": "canary-password-c9",
    "refresh": "def50200" + "c0ffee" * 12,
    "json_password": "canary-json-password-e1",
    "glued": "canary-glued-to-the-scheme-2a",
}


@pytest.mark.parametrize("suffix", [".har", ".yaml"])
def test_no_canary_reaches_output_jsonl_recording_or_logs(sandbox, tmp_path, caplog, suffix):
    recording = tmp_path / f"traffic{suffix}"
    human, jsonl = io.StringIO(), io.StringIO()

    def show(judged):
        write_judged(judged, human, "human")
        write_judged(judged, jsonl, "jsonl")

    c = sandbox.credentials
    caplog.set_level(logging.DEBUG)
    with Proxy(sandbox.base_url, on_judged=show, recorder=Recorder(recording)) as proxy, httpx.Client() as client:
        base = {CLIENT_HEADER: CLIENT_HEADER_VALUE, "Accept": "application/json"}
        issued = client.post(
            proxy.base_url + "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "username": c.username,
                "password": c.password,
            },
            headers=base,
        ).json()
        client.post(
            proxy.base_url + "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": c.client_id,
                "client_secret": CANARIES["client_secret"],
                "refresh_token": CANARIES["refresh"],
                "password": CANARIES["password"],
            },
            headers=base,
        )
        client.get(
            proxy.base_url + f"/me?access_token={CANARIES['query']}",
            headers={**base, "Authorization": f"Bearer  {CANARIES['bearer']}", "Cookie": f"s={CANARIES['cookie']}"},
        )
        client.post(
            proxy.base_url + "/oauth/token",
            json={"grant_type": "password", "password": CANARIES["json_password"]},
            headers=base,
        )
        client.get(proxy.base_url + "/me", headers={**base, "Authorization": f"Bearer{CANARIES['glued']}"})
        client.get(proxy.base_url + "/me", headers={**base, "Authorization": f"Bearer {issued['access_token']}"})
    secrets = {
        **CANARIES,
        "issued access": issued["access_token"],
        "issued refresh": issued["refresh_token"],
        "sandbox secret": c.client_secret,
        "sandbox password": c.password,
    }
    outputs = {
        "human": human.getvalue(),
        "jsonl": jsonl.getvalue(),
        "recording": recording.read_text(encoding="utf-8"),
        "logs": caplog.text,
    }
    assert proxy.stats.exchanges == 6
    assert "auth-header" in outputs["jsonl"]  # the canaries were judged, so they were seen
    leaks = [(where, name) for where, text in outputs.items() for name, secret in secrets.items() if secret in text]
    assert leaks == []
    # Not even in part: no 8-character slice of a canary survives anywhere.
    slices = {secret[i : i + 12] for secret in CANARIES.values() for i in range(0, len(secret) - 12, 4)}
    assert [piece for piece in slices for text in outputs.values() if piece in text] == []
    # The recording is still a capture explain can read, one exchange per request, and cassettes check finds
    # no secret in it (the token-shaped canaries were replaced, the credential fields redacted).
    exchanges = parse_capture(recording.read_bytes()).exchanges
    assert len(exchanges) == 6
    assert exchanges[-1].response.json()["data"]["email"] == c.username  # later bodies recorded intact
    checked = check_file(recording)
    assert checked.error is None
    assert [finding.text() for finding in checked.findings if finding.kind == "secret"] == []
