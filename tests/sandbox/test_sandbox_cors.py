"""CORS per the Fetch standard, and each scenario's misconfiguration."""

from __future__ import annotations

import httpx
import pytest

from tallyfy_diag.sandbox import SCENARIOS, Sandbox, SandboxConfig

ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization,x-tallyfy-client",
}


def _client(scenario="default", **options):
    sandbox = Sandbox.in_process(SandboxConfig(scenario=scenario, **options))
    return sandbox, httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport())


def _csv(value):
    return {part.strip().lower() for part in value.split(",")}


def test_by_default_no_origin_is_allowed_over_real_http(api, user_headers):
    preflight = api.client.options("/me", headers=PREFLIGHT)
    assert preflight.status_code == 204
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]
    actual = api.client.get("/me", headers={**user_headers, "Origin": ORIGIN})
    assert actual.status_code == 200
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_an_allowed_origin_gets_a_complete_preflight():
    _, client = _client("cors-allowed")
    with client:
        response = client.options(
            "/organizations/x/runs", headers={**PREFLIGHT, "Access-Control-Request-Method": "PUT"}
        )
    assert response.status_code == 204
    assert response.content == b""
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert {"get", "post", "put", "delete"} <= _csv(headers["Access-Control-Allow-Methods"])
    assert {"authorization", "x-tallyfy-client", "content-type"} <= _csv(headers["Access-Control-Allow-Headers"])
    assert "origin" in _csv(headers["Vary"])
    assert int(headers["Access-Control-Max-Age"]) > 5
    assert headers["X-Request-Id"]


def test_an_allowed_origin_sees_errors_and_their_headers():
    _, client = _client("cors-allowed")
    with client:
        response = client.get("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = _csv(response.headers["Access-Control-Expose-Headers"])
    assert {"www-authenticate", "x-request-id", "retry-after", "x-ratelimit-remaining"} <= exposed


def test_an_origin_not_on_the_list_gets_nothing():
    _, client = _client("cors-allowed")
    with client:
        preflight = client.options("/me", headers={**PREFLIGHT, "Origin": "https://evil.example.com"})
        actual = client.get("/me", headers={"Origin": "http://localhost:3000/", "X-Tallyfy-Client": "APIClient"})
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers
    # The serialized origin has no trailing slash: "http://localhost:3000/" is a different string.
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_configured_origins_and_the_any_origin_entry():
    _, client = _client(cors_origins=("https://app.example.com",))
    with client:
        assert (
            client.options("/me", headers={**PREFLIGHT, "Origin": "https://app.example.com"}).headers[
                "Access-Control-Allow-Origin"
            ]
            == "https://app.example.com"
        )
    _, client = _client(cors_origins=("*",))
    with client:
        # "*" in the list reflects any origin, so credentials keep working.
        headers = client.options("/me", headers={**PREFLIGHT, "Origin": "https://x.example"}).headers
    assert headers["Access-Control-Allow-Origin"] == "https://x.example"


def test_missing_client_header_scenario_leaves_it_out_of_allow_headers():
    _, client = _client("cors-missing-client-header")
    with client:
        response = client.options("/me", headers=PREFLIGHT)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = _csv(response.headers["Access-Control-Allow-Headers"])
    assert "authorization" in allowed
    assert "x-tallyfy-client" not in allowed


def test_wildcard_credentials_scenario_sends_star_with_credentials():
    _, client = _client("cors-wildcard-credentials")
    with client:
        preflight = client.options("/me", headers={**PREFLIGHT, "Origin": "https://anyone.example"})
        actual = client.get("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
    for response in (preflight, actual):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_options_401_scenario_refuses_preflights():
    sandbox, client = _client("cors-options-401")
    with client:
        response = client.options("/me", headers=PREFLIGHT)
        token = sandbox.mint_access_token()
        actual = client.get(
            "/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient", "Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    assert response.json() == {"error": True, "message": "Unauthenticated."}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert actual.status_code == 200


def test_no_origin_on_error_scenario_strips_the_origin_from_errors_only():
    sandbox, client = _client("cors-no-origin-on-error")
    token = sandbox.mint_access_token()
    with client:
        error = client.get("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
        fine = client.get(
            "/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient", "Authorization": f"Bearer {token}"}
        )
        preflight = client.options("/me", headers=PREFLIGHT)
    assert error.status_code == 401
    assert "Access-Control-Allow-Origin" not in error.headers
    assert fine.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_options_request_that_is_not_a_preflight_is_routed_normally():
    _, client = _client("cors-allowed")
    with client:
        response = client.options("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 405


def test_preflights_outside_the_api_are_not_answered():
    sandbox, client = _client("cors-allowed")
    with client:
        response = client.options(sandbox.root_url + "/elsewhere", headers=PREFLIGHT)
    assert response.status_code == 404


@pytest.mark.parametrize("name", [name for name in SCENARIOS if name.startswith("cors-")])
def test_every_cors_scenario_allows_the_demo_origin_somehow(name):
    _, client = _client(name)
    with client:
        response = client.options("/me", headers=PREFLIGHT)
    assert response.headers.get("Access-Control-Allow-Origin") in {ORIGIN, ORIGIN + "/", "*"}


def test_bad_origins_are_refused_in_the_config():
    for origin in ("localhost:3000", "http://localhost:3000/", "ftp://x.example", "http://x.example/path"):
        with pytest.raises(ValueError, match="is not an origin"):
            SandboxConfig(cors_origins=(origin,))


def test_wildcard_origin_scenario_sends_star_without_credentials():
    _, client = _client("cors-wildcard-origin")
    with client:
        preflight = client.options("/me", headers={**PREFLIGHT, "Origin": "https://anyone.example"})
        actual = client.get("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
    for response in (preflight, actual):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
    assert "x-request-id" in _csv(actual.headers["Access-Control-Expose-Headers"])


def test_allow_headers_wildcard_scenario_answers_star():
    _, client = _client("cors-allow-headers-wildcard")
    with client:
        response = client.options("/me", headers=PREFLIGHT)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Headers"] == "*"


def test_methods_without_put_scenario_leaves_put_out():
    _, client = _client("cors-methods-without-put")
    with client:
        response = client.options("/me", headers={**PREFLIGHT, "Access-Control-Request-Method": "PUT"})
    methods = _csv(response.headers["Access-Control-Allow-Methods"])
    assert "put" not in methods
    assert {"get", "post", "delete"} <= methods
    assert "x-tallyfy-client" in _csv(response.headers["Access-Control-Allow-Headers"])


def test_origin_trailing_slash_scenario_echoes_a_slash_everywhere():
    sandbox, client = _client("cors-origin-trailing-slash")
    token = sandbox.mint_access_token()
    with client:
        preflight = client.options("/me", headers=PREFLIGHT)
        actual = client.get(
            "/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient", "Authorization": f"Bearer {token}"}
        )
        stranger = client.options("/me", headers={**PREFLIGHT, "Origin": "https://evil.example.com"})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN + "/"
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN + "/"
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_no_expose_headers_scenario_allows_the_origin_but_exposes_nothing():
    _, client = _client("cors-no-expose-headers")
    with client:
        response = client.get("/me", headers={"Origin": ORIGIN, "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["X-Request-Id"]
    assert "Access-Control-Expose-Headers" not in response.headers
