"""Collect the credentials a capture carries, so reports can scrub them as a last line of defence.

Checks never put secret values into findings; this is the belt to that pair of braces. Scrubbing itself is
`tallyfy_diag._redact.redact_text` (the one place that decides how a secret is shown).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import unquote_plus

from tallyfy_diag._redact import SENSITIVE_HEADERS, is_sensitive_field
from tallyfy_diag.diagnostics._checks._common import is_placeholder
from tallyfy_diag.diagnostics._evidence import Exchange, Request, Response, token_from_authorization

_SHELL_REFERENCE: Final = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\)")


_PERCENT: Final = tuple(
    chr(byte) if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.-~") else f"%{byte:02X}"
    for byte in range(256)
)


def _percent_encoded(text: str) -> str:
    """`quote(text, safe="")`, one table lookup per byte: urllib calls a Python function per byte that needs
    quoting, which a 1 MB secret of non-ASCII text turns into seconds."""
    return "".join(map(_PERCENT.__getitem__, text.encode("utf-8")))


def _variants(secret: str) -> set[str]:
    """The forms a secret takes in text: as is, trimmed, percent-encoded, JSON-escaped."""
    encoded = _percent_encoded(secret)
    # quote_plus: the same, with a space as `+` (a literal `%20` in the secret is `%2520` by then).
    forms = {secret, secret.strip(), encoded, encoded.replace("%20", "+")}
    forms.add(json.dumps(secret)[1:-1])
    return {form for form in forms if form}


def _from_json(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and is_sensitive_field(key) and isinstance(item, str):
                found.add(item)
            else:
                _from_json(item, found)
    elif isinstance(value, list):
        for item in value:
            _from_json(item, found)


def _from_authorization(value: str, found: set[str]) -> None:
    token = token_from_authorization(value)
    if token and (is_placeholder(token) or _SHELL_REFERENCE.fullmatch(token)):
        return  # `$TOKEN` or `<token>` is no secret, and reports need to name it
    found.add(value)
    if token:
        found.add(token)
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() == "basic" and credentials.strip():
        found.add(credentials.strip())
        try:
            decoded = base64.b64decode(credentials.strip(), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return
        user, _, password = decoded.partition(":")
        found.update({decoded, password, unquote_plus(password)})
        del user  # a client id is not a secret


def _from_request(request: Request, found: set[str]) -> None:
    for header in request.headers:
        name = header.name.strip().lower()
        if name in {"authorization", "proxy-authorization"}:
            _from_authorization(header.value, found)
        elif name in SENSITIVE_HEADERS:
            found.add(header.value)
            for cookie in header.value.split(";"):
                found.add(cookie.partition("=")[2].strip())
    for name, value in request.query():
        if is_sensitive_field(name):
            found.add(value)
    for (name, raw_value), (_, value) in zip(request.raw_form(), request.form(), strict=True):
        if is_sensitive_field(unquote_plus(name)):
            found.update({raw_value, value})
    _from_json(request.json(), found)


def _from_response(response: Response, found: set[str]) -> None:
    _from_json(response.json(), found)
    for header in response.header_fields("set-cookie"):
        found.add(header.value.split(";", 1)[0].partition("=")[2])


def secrets_in_exchange(exchange: Exchange) -> set[str]:
    found: set[str] = set()
    _from_request(exchange.request, found)
    if exchange.response is not None:
        _from_response(exchange.response, found)
    variants: set[str] = set()
    for secret in found:
        variants |= _variants(secret)
    return variants


def collect_secrets(exchanges: Iterable[Exchange], extra: Iterable[str] = ()) -> frozenset[str]:
    """Every credential in the exchanges plus `extra` (tokens and passwords a mode was given directly)."""
    found: set[str] = set()
    for secret in extra:
        if secret:
            found |= _variants(secret)
    for exchange in exchanges:
        found |= secrets_in_exchange(exchange)
    return frozenset(found)
