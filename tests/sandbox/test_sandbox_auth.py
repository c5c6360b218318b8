"""Bearer tokens on API calls: the exact header format, expiry by the server clock, user context
(`x-requires-user`) and organization access (over real HTTP)."""

from __future__ import annotations

import socket
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tallyfy_diag import _spec
from tallyfy_diag.sandbox import Sandbox, SandboxConfig

UNAUTHENTICATED = {"error": True, "message": "Unauthenticated."}
APP_FORBIDDEN = {"error": True, "message": "You don't have application's permissions for this organization!"}
NOT_A_MEMBER = {"error": True, "message": "You are not a member of this organization."}
INVALID_TOKEN = 'Bearer error="invalid_token"'


def _assert_unauthenticated(response, challenge=INVALID_TOKEN):
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"] == challenge


def test_a_user_token_from_the_password_grant_works(api, user_headers):
    response = api.client.get("/me", headers=user_headers)
    assert response.status_code == 200
    assert response.json()["data"]["id"] == api.credentials.user_id
    assert response.json()["data"]["email"] == api.credentials.username


def test_no_authorization_header_gets_a_bare_bearer_challenge(api):
    _assert_unauthenticated(api.client.get("/me"), challenge="Bearer")


@pytest.mark.parametrize(
    "shape",
    [
        "bearer {token}",  # RFC-valid, but Laravel compares "Bearer " exactly
        "BEARER {token}",
        "Bearer  {token}",  # two spaces: the seed requires exactly one
        "Bearer\t{token}",
        "Bearer{token}",
        "{token}",
        "Token {token}",
        "JWT {token}",
        "Bearer Bearer {token}",
        'Bearer "{token}"',
        "Bearer {token},",
        "Bearer <token>",
        "Basic {token}",
    ],
)
def test_anything_but_exactly_bearer_space_token_is_401(api, user_headers, shape):
    token = user_headers["Authorization"].removeprefix("Bearer ")
    value = shape.format(token=token)
    response = api.client.get("/me", headers={"Authorization": value})
    _assert_unauthenticated(response)


def _raw_get_me(sandbox, header_lines):
    """A GET /api/me written by hand: HTTP clients refuse to send some of these header fields."""
    host, port = sandbox.root_url.removeprefix("http://").rsplit(":", 1)
    head = "".join(f"{line}\r\n" for line in header_lines)
    message = f"GET /api/me HTTP/1.1\r\nHost: {host}\r\nX-Tallyfy-Client: APIClient\r\n{head}Connection: close\r\n\r\n"
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(message.encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head_part, _, body = received.partition(b"\r\n\r\n")
    status_line, *fields = head_part.decode().split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return int(status_line.split()[1]), {name.lower(): value for name, value in headers.items()}, body


SURROUNDING_WHITESPACE = ["Bearer {token} ", " Bearer {token}", "\tBearer {token}\t", "  Bearer {token}  "]


@pytest.mark.parametrize("shape", SURROUNDING_WHITESPACE)
def test_whitespace_around_the_field_value_is_not_part_of_it_over_http(api, shape):
    # RFC 9110 section 5.5: the HTTP parser drops leading and trailing SP/HTAB before the app sees the value.
    token = api.sandbox.mint_access_token()
    status, _headers, _body = _raw_get_me(api.sandbox, [f"Authorization: {shape.format(token=token)}"])
    assert status == 200


def test_whitespace_around_the_field_value_is_dropped_in_process_too():
    # The in-process transport has no HTTP parser; the app drops the same whitespace so both transports agree.
    sandbox = Sandbox.in_process()
    token = sandbox.mint_access_token()
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        for shape in SURROUNDING_WHITESPACE:
            value = shape.format(token=token)
            response = client.get("/me", headers={"Authorization": value, "X-Tallyfy-Client": "APIClient"})
            assert response.status_code == 200, repr(value)
        # Only SP and HTAB are whitespace around a field value; inside it the one-space rule stays strict.
        for value in (f"Bearer {token}\n", f"\nBearer {token}", f"Bearer  {token} ", f" Bearer\t{token}"):
            response = client.get("/me", headers={"Authorization": value, "X-Tallyfy-Client": "APIClient"})
            _assert_unauthenticated(response)


def test_two_authorization_fields_are_401_invalid_request_over_http(api, user_headers):
    token = user_headers["Authorization"].removeprefix("Bearer ")
    other = api.sandbox.mint_access_token()
    for second in (token, other, "nonsense"):
        headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {second}")]
        response = api.client.get("/me", headers=headers)
        assert [value for name, value in response.request.headers.multi_items() if name == "authorization"] == [
            f"Bearer {token}",
            f"Bearer {second}",
        ]
        _assert_unauthenticated(response, challenge='Bearer error="invalid_request"')
    # One good field still works on the same connection.
    assert api.client.get("/me", headers=user_headers).status_code == 200


def test_an_unknown_or_corrupted_token_is_401(api, user_headers):
    token = user_headers["Authorization"].removeprefix("Bearer ")
    for bad in ["not-a-jwt", token[:-10], token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")]:
        _assert_unauthenticated(api.client.get("/me", headers={"Authorization": f"Bearer {bad}"}))


def test_a_token_signed_with_another_key_is_401(api, user_headers):
    claims = jwt.decode(user_headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256")
    _assert_unauthenticated(api.client.get("/me", headers={"Authorization": f"Bearer {forged}"}))
    unsigned = jwt.encode(claims, None, algorithm="none")
    _assert_unauthenticated(api.client.get("/me", headers={"Authorization": f"Bearer {unsigned}"}))


def test_a_token_from_another_sandbox_with_the_same_seed_is_401(api):
    # Same seed means the same signing key, but tokens are only good where they were issued (Passport
    # keeps every token id in its database).
    other = Sandbox.in_process(SandboxConfig(seed=api.sandbox.config.seed))
    _assert_unauthenticated(api.client.get("/me", headers={"Authorization": f"Bearer {other.mint_access_token()}"}))


def test_an_expired_token_is_401():
    # A still clock: on the wall clock a second boundary crossed between minting and the request made the token
    # expire one second early, and the "99 s later it is still valid" step failed under load.
    now = 1_700_000_000.0
    with (
        Sandbox(SandboxConfig(clock=lambda: now)) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-Tallyfy-Client": "x"}) as client,
    ):
        already_expired = sandbox.mint_access_token(ttl=-1)
        _assert_unauthenticated(client.get("/me", headers={"Authorization": f"Bearer {already_expired}"}))
        fresh = sandbox.mint_access_token(ttl=100)
        assert client.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
        sandbox.advance_clock(99)
        assert client.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
        sandbox.advance_clock(1)  # now == exp: RFC 7519 says "on or after" is expired
        _assert_unauthenticated(client.get("/me", headers={"Authorization": f"Bearer {fresh}"}))


def test_a_not_yet_valid_token_is_401():
    sandbox = Sandbox.in_process()
    token = sandbox.mint_access_token()
    sandbox.advance_clock(-30)  # the server's clock is now before the token's nbf
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"})
    _assert_unauthenticated(response)


def test_the_token_clock_ignores_the_date_header_offset():
    sandbox = Sandbox.in_process(SandboxConfig(clock_offset=-7200))
    token = sandbox.mint_access_token(ttl=60)
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 200
    assert jwt.decode(token, options={"verify_signature": False})["exp"] > time.time()


def _example_path(operation, credentials, org_id=None):
    ids = {"org": org_id or credentials.org_id}
    return operation.path_template.format_map({**{name: "0" * 32 for name in _spec_params(operation)}, **ids})


def _spec_params(operation):
    return [part[1:-1] for part in operation.path_template.split("/") if part.startswith("{")]


USER_OPERATIONS = [op for op in _spec.operations() if op.requires_user]
APP_OPERATIONS = [op for op in _spec.operations() if not op.requires_user and op.operation_id != "issue_token"]


@pytest.mark.parametrize("operation", USER_OPERATIONS, ids=lambda op: op.operation_id)
def test_an_application_token_gets_401_wherever_the_spec_requires_a_user(api, app_headers, operation):
    response = api.client.request(
        operation.method, _example_path(operation, api.credentials), headers=app_headers, json={}
    )
    _assert_unauthenticated(response)


@pytest.mark.parametrize("operation", APP_OPERATIONS, ids=lambda op: op.operation_id)
def test_an_application_token_passes_auth_where_no_user_is_needed(api, app_headers, operation):
    response = api.client.request(operation.method, _example_path(operation, api.credentials), headers=app_headers)
    # Past authentication and authorization: an answer about the made-up ids or the missing body.
    assert response.status_code in {200, 404, 422}, response.text
    if response.status_code == 404:
        assert response.json()["code"] == "RESOURCE_NOT_FOUND"


def test_an_application_token_on_an_organization_it_has_no_permission_for_is_403(api, app_headers):
    for org_id in (api.credentials.second_org_id, api.credentials.foreign_org_id, "f" * 32, "not-an-org"):
        response = api.client.get(api.org("/checklists", org_id), headers=app_headers)
        assert response.status_code == 403
        assert response.json() == APP_FORBIDDEN


def test_a_user_token_works_in_every_organization_the_user_belongs_to(api, user_headers):
    organizations = api.client.get("/me/organizations", headers=user_headers).json()["data"]
    ids = {organization["id"] for organization in organizations}
    assert ids == {api.credentials.org_id, api.credentials.second_org_id}
    for org_id in ids:
        assert api.client.get(api.org("/checklists", org_id), headers=user_headers).status_code == 200


def test_a_user_token_on_an_organization_the_user_is_not_in_is_403(api, user_headers):
    for org_id in (api.credentials.foreign_org_id, "f" * 32):
        response = api.client.get(api.org("/runs", org_id), headers=user_headers)
        assert response.status_code == 403
        assert response.json() == NOT_A_MEMBER


def test_the_seeded_foreign_organization_really_has_data(sandbox):
    # Guards the 403 above: the foreign organization is refused, not empty.
    with sandbox.app.store.lock:
        assert any(bp.org_id == sandbox.credentials.foreign_org_id for bp in sandbox.app.store.blueprints.values())
