"""Settings from the environment (the variable names Tallyfy's own CLI uses where one exists) and base URLs.

Which credential wins, first match:
1. `TALLYFY_API_TOKEN`                                  → PersonalAccessToken
2. `TALLYFY_USERNAME` + `TALLYFY_PASSWORD` (+ client)    → PasswordGrant (needs the client id and secret too)
3. `TALLYFY_CLIENT_ID` + `TALLYFY_CLIENT_SECRET`        → ClientCredentials

Values are stripped of surrounding whitespace (a token read with `$(cat file)` keeps its newline); an empty
variable counts as unset. `TALLYFY_ORG_ID` and `TALLYFY_BASE_URL` are optional.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import attrs

from tallyfy_diag import _constants as c
from tallyfy_diag.client._auth import (
    AuthStrategy,
    ClientCredentials,
    PasswordGrant,
    PersonalAccessToken,
)
from tallyfy_diag.client._errors import ConfigurationError

ENV_API_TOKEN: Final = "TALLYFY_API_TOKEN"
ENV_CLIENT_ID: Final = "TALLYFY_CLIENT_ID"
ENV_CLIENT_SECRET: Final = "TALLYFY_CLIENT_SECRET"
ENV_USERNAME: Final = "TALLYFY_USERNAME"
ENV_PASSWORD: Final = "TALLYFY_PASSWORD"
ENV_ORG_ID: Final = "TALLYFY_ORG_ID"
ENV_BASE_URL: Final = "TALLYFY_BASE_URL"


def normalize_base_url(url: str) -> str:
    """The API root for either host style: `https://go.tallyfy.com/api` or `https://api.tallyfy.com`.

    Trailing and doubled slashes go; a missing `/api` is added on go.tallyfy.com-style hosts and a stray one
    removed on api.tallyfy.com. Plain http is refused except on loopback and RFC 6761 test names (tokens would travel in
    clear text).
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - validates the port (ValueError)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            "the base URL must be an absolute http(s) URL",
            next_step=f"use {c.DEFAULT_BASE_URL} or {c.ROOT_STYLE_BASE_URL}",
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            "the base URL must not carry a query or fragment", next_step=f"use {c.DEFAULT_BASE_URL}"
        )
    if "@" in parts.netloc:
        # Never echo it: userinfo in a URL is usually a password.
        raise ConfigurationError(
            "the base URL must not contain a user name or password",
            next_step="pass credentials as an auth strategy (PasswordGrant, PersonalAccessToken, ...)",
        )
    host = parts.hostname.lower()
    if parts.scheme == "http" and not c.is_local_host(host):
        raise ConfigurationError(
            f"refusing plain http to {host}: bearer tokens would travel in clear text",
            next_step="use https://",
        )
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if path.lower() == c.API_PREFIX:  # hosts are case-insensitive, paths are not: /API would be a 404
        path = c.API_PREFIX
    if host in c.API_PREFIX_HOSTS and not path:
        path = c.API_PREFIX
    elif host in c.ROOT_PATH_HOSTS and path == c.API_PREFIX:
        path = ""
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


@attrs.frozen
class Settings:
    """What `Tallyfy.from_env()` uses; `auth` is None when no credential variables are set."""

    auth: AuthStrategy | None
    org_id: str | None
    base_url: str


def _read(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default `os.environ`); a half-configured credential is a ConfigurationError."""
    env = os.environ if environ is None else environ
    token = _read(env, ENV_API_TOKEN)
    client_id, client_secret = _read(env, ENV_CLIENT_ID), _read(env, ENV_CLIENT_SECRET)
    username, password = _read(env, ENV_USERNAME), _read(env, ENV_PASSWORD)
    auth: AuthStrategy | None = None
    if token is not None:
        auth = PersonalAccessToken(token)
    elif username is not None or password is not None:
        grant_values = {
            ENV_USERNAME: username,
            ENV_PASSWORD: password,
            ENV_CLIENT_ID: client_id,
            ENV_CLIENT_SECRET: client_secret,
        }
        missing = [name for name, value in grant_values.items() if value is None]
        if missing:
            raise ConfigurationError(
                f"the password grant needs {', '.join(missing)} as well",
                next_step=f"set them, or set {ENV_API_TOKEN} instead",
            )
        auth = PasswordGrant(client_id or "", client_secret or "", username or "", password or "")
    elif client_id is not None or client_secret is not None:
        if client_id is None or client_secret is None:
            missing_name = ENV_CLIENT_ID if client_id is None else ENV_CLIENT_SECRET
            raise ConfigurationError(f"{missing_name} is not set", next_step=f"set {missing_name}")
        auth = ClientCredentials(client_id, client_secret)
    base_url = normalize_base_url(_read(env, ENV_BASE_URL) or c.DEFAULT_BASE_URL)
    return Settings(auth=auth, org_id=_read(env, ENV_ORG_ID), base_url=base_url)
