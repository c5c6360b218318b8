"""Browser traffic: preflights are forwarded and judged as `cors` judges them, and the proxy adds no CORS
header of its own. Recordings: a VCR cassette the proxy wrote replays with the project's vcr config."""

from __future__ import annotations

import httpx
import pytest
import vcr
from tallyfy_client.api.blueprints import list_blueprints
from tallyfy_client.api.identity import get_me

from tallyfy_diag import PasswordGrant, Tallyfy
from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.diagnostics import explain
from tallyfy_diag.proxy import Proxy, Recorder
from tallyfy_diag.pytest_plugin import tallyfy_vcr_config_dict
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.sandbox._config import DEMO_ORIGIN

PREFLIGHT = {
    "Origin": DEMO_ORIGIN,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization,x-tallyfy-client",
}


def browser_call(proxy: Proxy, sandbox: Sandbox) -> tuple[httpx.Response, httpx.Response]:
    headers = {
        "Origin": DEMO_ORIGIN,
        "Authorization": f"Bearer {sandbox.mint_access_token()}",
        CLIENT_HEADER: CLIENT_HEADER_VALUE,
        "Accept": "application/json",
    }
    with httpx.Client(timeout=10) as client:
        preflight = client.options(proxy.base_url + "/me", headers=PREFLIGHT)
        actual = client.get(proxy.base_url + "/me", headers=headers)
    proxy.drain()
    return preflight, actual


def cors_finding(proxy: Proxy, index: int):
    judged = list(proxy.judged)[index]
    return next((f for f in judged.findings if f.check == "cors-preflight"), None)


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("cors-missing-client-header", "HeaderDisallowedByPreflightResponse"),
        ("cors-options-401", "PreflightInvalidStatus"),
        ("default", "PreflightMissingAllowOriginHeader"),  # the real API allows no third-party origin
    ],
)
def test_a_broken_preflight_is_named_like_chromium_names_it(scenario, error):
    with Sandbox(SandboxConfig(scenario=scenario)) as sandbox, Proxy(sandbox.base_url) as proxy:
        preflight, _ = browser_call(proxy, sandbox)
        direct = httpx.options(sandbox.base_url + "/me", headers=PREFLIGHT, timeout=10)
    assert preflight.status_code == direct.status_code
    assert preflight.headers.get("access-control-allow-origin") == direct.headers.get("access-control-allow-origin")
    judged_preflight = cors_finding(proxy, 0)
    assert judged_preflight is not None
    assert judged_preflight.status == "fail"
    assert judged_preflight.evidence["cors_error"] == error
    judged_call = cors_finding(proxy, 1)
    assert judged_call is not None
    assert judged_call.status == "fail"  # the call joins its preflight, as explain joins them in a HAR


def test_an_allowed_origin_passes_and_the_proxy_adds_no_cors_header():
    with Sandbox(SandboxConfig(scenario="cors-allowed")) as sandbox, Proxy(sandbox.base_url) as proxy:
        preflight, _ = browser_call(proxy, sandbox)
        assert preflight.headers["access-control-allow-origin"] == DEMO_ORIGIN
        assert cors_finding(proxy, 0) is None
        assert cors_finding(proxy, 1) is None or cors_finding(proxy, 1).status != "fail"
        # Without Origin the sandbox answers no CORS header; neither does the proxy.
        plain = httpx.get(proxy.base_url + "/me", headers={CLIENT_HEADER: CLIENT_HEADER_VALUE}, timeout=10)
    assert not [name for name in plain.headers if name.lower().startswith("access-control-")]


def test_a_recorded_cassette_replays_offline_with_the_project_vcr_config(sandbox, tmp_path):
    cassette = tmp_path / "flow.yaml"
    c = sandbox.credentials
    auth = PasswordGrant(c.client_id, c.client_secret, c.username, c.password)
    with Proxy(sandbox.base_url, recorder=Recorder(cassette)) as proxy:  # noqa: SIM117 - record, then stop
        with Tallyfy(auth, base_url=proxy.base_url, org_id=c.org_id) as tf:
            email = tf.call(get_me).data.email
            titles = [blueprint.title for blueprint in tf.paginate(list_blueprints)]
    text = cassette.read_text()
    assert c.client_secret not in text
    assert c.password not in text
    replay = vcr.VCR(record_mode="none", **tallyfy_vcr_config_dict())
    with replay.use_cassette(str(cassette)):
        auth = PasswordGrant(c.client_id, "anything", c.username, "anything")
        with Tallyfy(auth, base_url="http://replay.test/api", org_id=c.org_id) as tf:
            assert tf.call(get_me).data.email == email
            assert [blueprint.title for blueprint in tf.paginate(list_blueprints)] == titles


def test_explain_reads_a_recording_and_finds_what_the_proxy_found(sandbox, tmp_path):
    recording = tmp_path / "session.har"
    with Proxy(sandbox.base_url, recorder=Recorder(recording)) as proxy:
        token = sandbox.mint_access_token(user=False)
        httpx.get(proxy.base_url + "/me", headers={"Authorization": f"Bearer  {token}"}, timeout=10)
        proxy.drain()
        live = {finding.check for finding in proxy.judged[0].findings if finding.status == "fail"}
    report = explain(recording.read_bytes(), name=recording.name)
    offline = {finding.check for finding in report.findings if finding.status == "fail"}
    assert {"client-header", "auth-header"} <= live
    assert {"client-header", "auth-header"} <= offline
