"""`POST /api/oauth/token` answers like Laravel Passport / league/oauth2-server (over real HTTP)."""

from __future__ import annotations

import base64
import re

import httpx
import jwt
import pytest

from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.sandbox._tokens import signing_key

INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, "
    "includes a parameter more than once, or is otherwise malformed."
)
UNSUPPORTED_GRANT = {
    "error": "unsupported_grant_type",
    "error_description": "The authorization grant type is not supported by the authorization server.",
    "hint": "Check that all required parameters have been provided",
    "message": "The authorization grant type is not supported by the authorization server.",
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed",
    "message": "Client authentication failed",
}


def _invalid_request(parameter):
    return {
        "error": "invalid_request",
        "error_description": INVALID_REQUEST,
        "hint": f"Check the `{parameter}` parameter",
        "message": INVALID_REQUEST,
    }


def _invalid_refresh(hint):
    return {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid.",
        "hint": hint,
        "message": "The refresh token is invalid.",
    }


def _claims(token, sandbox):
    return jwt.decode(
        token,
        signing_key(sandbox.config.seed).public_key(),
        algorithms=["RS256"],
        audience=None,
        options={"verify_aud": False},
    )


def test_the_password_grant_returns_a_passport_shaped_token_pair(api):
    response = api.password_grant(scope="*")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert re.fullmatch(r"def50200[0-9a-f]{200,}", body["refresh_token"])
    assert jwt.get_unverified_header(body["access_token"]) == {"alg": "RS256", "typ": "JWT"}
    claims = _claims(body["access_token"], api.sandbox)
    assert set(claims) == {"iss", "aud", "jti", "iat", "nbf", "exp", "sub", "scopes"}
    assert claims["aud"] == api.credentials.client_id
    assert claims["sub"] == str(api.credentials.user_id)
    assert claims["scopes"] == ["*"]
    assert re.fullmatch(r"[0-9a-f]{80}", claims["jti"])
    assert claims["iat"] == claims["nbf"]
    assert claims["exp"] - claims["iat"] == 3600


def test_client_credentials_gives_an_application_token_with_an_empty_sub_and_no_refresh_token(api):
    response = api.app_grant()
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    claims = _claims(body["access_token"], api.sandbox)
    assert claims["sub"] == ""
    assert claims["aud"] == api.credentials.app_client_id
    assert claims["scopes"] == []


def test_the_user_client_may_use_client_credentials_too(api):
    credentials = api.credentials
    response = api.app_grant(client_id=credentials.client_id, client_secret=credentials.client_secret)
    assert response.status_code == 200
    assert _claims(response.json()["access_token"], api.sandbox)["sub"] == ""


def test_the_token_lifetime_is_configurable():
    with Sandbox(SandboxConfig(token_ttl=120)) as sandbox:
        credentials = sandbox.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.app_client_id,
            "client_secret": credentials.app_client_secret,
        }
        response = httpx.post(sandbox.base_url + "/oauth/token", data=form, headers={"X-Tallyfy-Client": "APIClient"})
    assert response.json()["expires_in"] == 120
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_a_json_body_is_400_unsupported_grant_type(api):
    credentials = api.credentials
    response = api.client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "username": credentials.username,
            "password": credentials.password,
        },
    )
    assert response.status_code == 400
    assert response.json() == UNSUPPORTED_GRANT


@pytest.mark.parametrize("grant", [None, "", "authorization_code", "PASSWORD", "implicit"])
def test_a_missing_or_unknown_grant_type_is_400_unsupported_grant_type(api, grant):
    form = {"client_id": api.credentials.client_id}
    if grant is not None:
        form["grant_type"] = grant
    response = api.client.post("/oauth/token", data=form)
    assert response.status_code == 400
    assert response.json() == UNSUPPORTED_GRANT


def test_a_missing_client_id_is_invalid_request(api):
    response = api.client.post("/oauth/token", data={"grant_type": "client_credentials", "client_secret": "x"})
    assert response.status_code == 400
    assert response.json() == _invalid_request("client_id")


@pytest.mark.parametrize("client_id", ["abc", "12a", "1e3", "-1", " 1", "999999999"])
def test_a_non_numeric_or_unknown_client_id_is_401_invalid_client(api, client_id):
    response = api.app_grant(client_id=client_id)
    assert response.status_code == 401
    assert response.json() == INVALID_CLIENT
    assert "WWW-Authenticate" not in response.headers


def test_a_wrong_client_secret_is_401_invalid_client(api):
    response = api.app_grant(client_secret="wrong")
    assert response.status_code == 401
    assert response.json() == INVALID_CLIENT


def test_a_missing_client_secret_is_invalid_request(api):
    form = {"grant_type": "client_credentials", "client_id": api.credentials.app_client_id}
    response = api.client.post("/oauth/token", data=form)
    assert response.status_code == 400
    assert response.json() == _invalid_request("client_secret")


def test_client_credentials_may_come_as_http_basic(api):
    credentials = api.credentials
    response = api.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials.app_client_id, credentials.app_client_secret),
    )
    assert response.status_code == 200
    wrong = api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(credentials.app_client_id, "nope")
    )
    assert wrong.status_code == 401
    assert wrong.json() == INVALID_CLIENT
    # RFC 6749 section 5.2: the challenge matches the scheme the client tried.
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="OAuth"'


def test_the_password_grant_on_the_application_only_client_is_unauthorized_client(api):
    credentials = api.credentials
    response = api.password_grant(client_id=credentials.app_client_id, client_secret=credentials.app_client_secret)
    assert response.status_code == 400
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "The authenticated client is not authorized to use this authorization grant type.",
        "message": "The authenticated client is not authorized to use this authorization grant type.",
    }


def test_wrong_user_credentials_are_invalid_grant(api):
    for overrides in ({"password": "wrong"}, {"username": "nobody@example.com"}):
        response = api.password_grant(**overrides)
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "The user credentials were incorrect.",
            "message": "The user credentials were incorrect.",
        }


@pytest.mark.parametrize("field", ["username", "password"])
def test_missing_user_credentials_are_invalid_request(api, field):
    response = api.password_grant(**{field: ""})
    assert response.status_code == 400
    assert response.json() == _invalid_request(field)


def test_an_unknown_scope_is_invalid_scope(api):
    response = api.password_grant(scope="admin")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["hint"] == "Check the `admin` scope"


def _refresh(api, refresh_token, **overrides):
    credentials = api.credentials
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        **overrides,
    }
    return api.client.post("/oauth/token", data=form)


def test_refresh_tokens_rotate_and_the_old_pair_stops_working(api):
    first = api.password_grant().json()
    second_response = _refresh(api, first["refresh_token"])
    assert second_response.status_code == 200
    second = second_response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert api.client.get("/me", headers=headers).status_code == 200
    # The spent refresh token and the access token it replaced are both revoked, as in Passport.
    again = _refresh(api, first["refresh_token"])
    assert again.status_code == 400
    assert again.json() == _invalid_refresh("Token has been revoked")
    old = api.client.get("/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert old.status_code == 401
    assert _refresh(api, second["refresh_token"]).status_code == 200


def test_a_refresh_token_is_bound_to_its_client(api):
    refresh_token = api.password_grant().json()["refresh_token"]
    credentials = api.credentials
    other_client = _refresh(
        api, refresh_token, client_id=credentials.app_client_id, client_secret=credentials.app_client_secret
    )
    # The application-only client may not use the refresh grant at all.
    assert other_client.json()["error"] == "unauthorized_client"
    assert _refresh(api, refresh_token).status_code == 200


def test_garbage_and_missing_refresh_tokens(api):
    garbage = _refresh(api, "def50200deadbeef")
    assert garbage.status_code == 400
    assert garbage.json() == _invalid_refresh("Cannot decrypt the refresh token")
    missing = _refresh(api, "")
    assert missing.json() == _invalid_request("refresh_token")


def test_refresh_tokens_expire_by_the_server_clock():
    with (
        Sandbox(SandboxConfig(refresh_ttl=1000)) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-Tallyfy-Client": "APIClient"}) as client,
    ):
        credentials = sandbox.credentials
        form = {
            "grant_type": "password",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "username": credentials.username,
            "password": credentials.password,
        }
        refresh_token = client.post("/oauth/token", data=form).json()["refresh_token"]
        sandbox.advance_clock(1001)
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
        )
    assert response.status_code == 400
    assert response.json() == _invalid_refresh("Token has expired")


def test_bad_form_encoding_is_400_invalid_request(api):
    response = api.client.post(
        "/oauth/token",
        content=b"grant_type=password&client_id=%ff%fe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_form_content_type_may_carry_a_charset(api):
    credentials = api.credentials
    body = (
        "grant_type=client_credentials"
        f"&client_id={credentials.app_client_id}&client_secret={credentials.app_client_secret}"
    )
    response = api.client.post(
        "/oauth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    )
    assert response.status_code == 200


def test_a_plus_in_a_form_value_arrives_as_a_space(api):
    # Form encoding: "+" is a space. A secret sent unescaped loses its plus and authentication fails.
    credentials = api.credentials
    body = f"grant_type=client_credentials&client_id={credentials.app_client_id}&client_secret=a+b"
    response = api.client.post(
        "/oauth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 401


def test_basic_auth_header_bytes_are_decoded_strictly(api):
    response = api.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    )
    assert response.status_code == 400
    assert response.json() == _invalid_request("client_id")
