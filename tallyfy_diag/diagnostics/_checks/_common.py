"""Small readings of evidence that several checks share (one place decides each)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from tallyfy_diag._constants import API_PREFIX, API_PREFIX_HOSTS, ROOT_PATH_HOSTS, is_local_host
from tallyfy_diag._redact import redact_url
from tallyfy_diag._spec import Operation, find_operation, find_path
from tallyfy_diag.diagnostics._evidence import Request, split_url

# Text people leave where a value should be: docs placeholders, template syntax, unset variables.
PLACEHOLDER: Final = re.compile(
    r"""^(?:
        <[^>]*> | \{\{?[^}]*\}?\} | \[[^\]]*\] | \$\{?[A-Za-z_][A-Za-z0-9_]*\}? | %[A-Za-z_]+% | :[a-z_]+
        | (?:YOUR|MY|INSERT|ENTER|PASTE|REPLACE)[_\- ][A-Za-z_\- ]* | [A-Z]+(?:_[A-Z]+)*_(?:TOKEN|ID|KEY|SECRET)
        | ACCESS_TOKEN | TOKEN | token | x{3,} | X{3,} | \.{3} | … | null | undefined | None | nil | NaN
        | \[object\ Object\] | changeme | example
    )$""",
    re.VERBOSE,
)


def is_placeholder(value: str) -> bool:
    return bool(PLACEHOLDER.match(value.strip()))


def is_loopback(host: str | None) -> bool:
    """A local sandbox or test host (loopback, 0.0.0.0, or an RFC 6761 name such as sandbox.test)."""
    return host is not None and (host == "0.0.0.0" or is_local_host(host))  # noqa: S104 - a name, not a bind


def show_url(url: str) -> str:
    """A URL fit for a report (credentials in it replaced)."""
    return redact_url(url)


def describe_character(character: str) -> str:
    """`U+00A0 NO-BREAK SPACE` for a character the reader cannot see."""
    name = unicodedata.name(character, "")
    if not name:
        name = {"\r": "CARRIAGE RETURN", "\n": "LINE FEED", "\t": "TAB", "\x00": "NUL"}.get(character, "control")
    return f"U+{ord(character):04X} {name}"


_FORBIDDEN_CONTROL: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
"""The CTLs other than tab (a regular expression: a 1 MB value is searched in C, not a character at a time)."""


def control_characters(value: str) -> list[str]:
    """Descriptions of the characters RFC 9110 §5.5 forbids in a field value (CTLs other than tab)."""
    # Each distinct character once, in order of appearance (each has its own description).
    return [describe_character(character) for character in dict.fromkeys(_FORBIDDEN_CONTROL.findall(value))]


def api_path(request: Request, base_url: str | None = None) -> str | None:
    """The request path relative to the API root (`/me`), whichever host style the URL uses.

    A configured base URL decides first; then the host style; for other hosts (a proxy, the sandbox) the
    reading that the spec recognises wins. Doubled slashes are collapsed and a trailing slash dropped (the
    spec lookup is exact) so the operation is still named while `base-url` reports the slashes.
    """
    parts = request.parts
    if parts is None:
        return None
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/") or "/"
    if base_url:
        base = split_url(base_url)
        base_path = re.sub(r"/{2,}", "/", base.path).rstrip("/") if base else ""
        if base is not None and base.hostname == parts.hostname and base_path and path.startswith(base_path + "/"):
            return path[len(base_path) :]
    host = parts.hostname or ""
    prefixed = path == API_PREFIX or path.startswith(API_PREFIX + "/")
    if host in API_PREFIX_HOSTS or host in ROOT_PATH_HOSTS:
        return (path[len(API_PREFIX) :] or "/") if prefixed else path
    if prefixed and (find_path(path[len(API_PREFIX) :]) or not find_path(path)):
        return path[len(API_PREFIX) :] or "/"
    return path


def operation_for(request: Request, base_url: str | None = None) -> Operation | None:
    path = api_path(request, base_url)
    if path is None:
        return None
    return find_operation(request.method, path)


def is_api_call(request: Request) -> bool:
    """A call to a Tallyfy API operation (not the token endpoint, not a CORS preflight)."""
    return not request.is_token_request and not request.is_preflight


def exchange_label(method: str, url: str, index: int | None = None) -> str:
    parts = split_url(url)
    where = parts.path if parts and parts.path else show_url(url)
    prefix = f"#{index} " if index is not None else ""
    return f"{prefix}{method.upper()} {where}"
