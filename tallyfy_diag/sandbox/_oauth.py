"""`POST /oauth/token`, answering the way Laravel Passport (league/oauth2-server) does.

The order of checks is league's: grant type (a body the server cannot read as a form has none, so a JSON
body gets `unsupported_grant_type`), client id, whether the client may use the grant
(`unauthorized_client`), client secret, then the grant's own fields. Client credentials may come in the
form or as HTTP Basic (the form wins, as in league).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from tallyfy_diag._constants import (
    BEARER_SCHEME,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
    GRANT_TYPES,
)
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._errors import (
    oauth_invalid_client,
    oauth_invalid_credentials,
    oauth_invalid_refresh_token,
    oauth_invalid_request,
    oauth_invalid_scope,
    oauth_unauthorized_client,
    oauth_unsupported_grant_type,
)
from tallyfy_diag.sandbox._models import OAuthClient
from tallyfy_diag.sandbox._tokens import RefreshTokenError, ScopeNotGrantedError

KNOWN_SCOPES = frozenset({"*"})


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[len("Basic ") :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    if ":" not in decoded:
        return None, None
    client_id, client_secret = decoded.split(":", 1)
    return client_id, client_secret


def _parameter(form: dict[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value != "" else None


def _client(call: Call, form: dict[str, Any], grant: str) -> OAuthClient:
    basic_id, basic_secret = _basic_credentials(call.authorization)
    client_id = _parameter(form, "client_id") or basic_id
    if client_id is None:
        raise oauth_invalid_request("client_id")
    # Passport looks clients up by their integer key: anything non-numeric is simply unknown.
    client = call.store.clients.get(client_id) if client_id.isdecimal() else None
    if client is None:
        raise oauth_invalid_client(call.authorization)
    if grant not in client.grants:
        raise oauth_unauthorized_client()
    client_secret = _parameter(form, "client_secret") or basic_secret
    if not client_secret:
        raise oauth_invalid_request("client_secret")
    if not secrets.compare_digest(client_secret.encode(), client.secret.encode()):
        raise oauth_invalid_client(call.authorization)
    return client


def _scopes(form: dict[str, Any]) -> list[str] | None:
    """The requested scopes (None when none were asked for); unknown ones are `invalid_scope`."""
    requested = _parameter(form, "scope")
    if requested is None:
        return None
    scopes = requested.split()
    for scope in scopes:
        if scope not in KNOWN_SCOPES:
            raise oauth_invalid_scope(scope)
    return scopes


def _password_user(call: Call, form: dict[str, Any]) -> int:
    username = _parameter(form, "username")
    if username is None:
        raise oauth_invalid_request("username")
    password = _parameter(form, "password")
    if password is None:
        raise oauth_invalid_request("password")
    for user in call.store.users.values():
        if (
            user.email.lower() == username.lower()
            and user.status != "disabled"
            and secrets.compare_digest(password.encode(), user.password.encode())
        ):
            user.last_accessed_at = call.store.now()
            return user.id
    raise oauth_invalid_credentials()


@handles("issue_token")
def issue_token(call: Call) -> Result:
    form: dict[str, Any] = call.body if isinstance(call.body, dict) else {}
    grant = form.get("grant_type")
    if grant not in GRANT_TYPES:
        raise oauth_unsupported_grant_type()
    client = _client(call, form, str(grant))
    scopes = _scopes(form)
    user_id: int | None
    if grant == GRANT_PASSWORD:
        user_id = _password_user(call, form)
    elif grant == GRANT_CLIENT_CREDENTIALS:
        user_id = None
    elif grant == GRANT_REFRESH_TOKEN:
        refresh_token = _parameter(form, "refresh_token")
        if refresh_token is None:
            raise oauth_invalid_request("refresh_token")
        try:
            record = call.issuer.rotate_refresh(refresh_token, client.id, scopes)
        except RefreshTokenError as error:
            raise oauth_invalid_refresh_token(str(error)) from None
        except ScopeNotGrantedError as error:
            raise oauth_invalid_scope(error.scope) from None
        user_id, scopes = record.user_id, scopes or record.scopes
    else:  # pragma: no cover - GRANT_TYPES holds exactly the three grants above
        raise oauth_unsupported_grant_type()
    ttl = call.config.token_ttl
    access_token, refresh = call.issuer.issue(client.id, user_id, scopes or [], ttl, call.config.refresh_ttl)
    body: dict[str, Any] = {"token_type": BEARER_SCHEME, "expires_in": ttl, "access_token": access_token}
    if refresh is not None:
        body["refresh_token"] = refresh
    return 200, body
