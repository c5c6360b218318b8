"""Redaction: the one place that decides what is secret and how a secret is shown.

Everything that prints, logs, raises, records or bundles data passes it through here. A secret is never shown,
not even partly; where telling two tokens apart helps, a short SHA-256 fingerprint stands in for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tallyfy_diag._json import loads

REDACTED: Final = "[redacted]"

SENSITIVE_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
# Form fields, JSON keys and query parameters whose values are credentials, compared lowercase with "-" read
# as "_" (so accessToken, access-token and access_token are one name). Generous on purpose: an over-redacted
# report costs a reader a value; an under-redacted one leaks a secret.
SENSITIVE_FIELDS: Final = frozenset(
    {
        "access_token",
        "accesstoken",
        "refresh_token",
        "refreshtoken",
        "client_secret",
        "clientsecret",
        "client_assertion",
        "assertion",
        "code_verifier",
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "id_token",
        "jwt",
        "bearer",
        "auth",
        "authorization",
        "api_key",
        "apikey",
        "key",
        "private_key",
        "secret",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "session_id",
        "sid",
        "otp",
        "sig",
        "signature",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
    }
)

# Names not on the list are caught by shape: any name holding one of these words once "_" is dropped
# (user_password, auth_token, x_token, clientSecret, privateKey), or with one of these as a whole part (x_auth).
_SENSITIVE_WORDS: Final = (
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "signature",
    "privatekey",
    "accesskey",
    "sessionid",
    "cookie",
)
_SENSITIVE_PARTS: Final = frozenset({"pwd", "pass", "auth", "jwt", "otp", "sid", "sig", "key", "bearer"})
# Names the shape rules would catch that every OAuth exchange uses for public facts.
_NOT_SENSITIVE: Final = frozenset({"token_type", "token_endpoint", "token_url", "auth_scheme"})

# OAuth authorization codes travel in forms and query strings; in JSON bodies Tallyfy's "code" is an error code.
_SENSITIVE_FORM_FIELDS: Final = SENSITIVE_FIELDS | {"code"}

# A JWT (three base64url segments, the first two JSON objects) and league/oauth2-server's encrypted
# refresh tokens (hex starting with def50200).
#
# Every pattern here runs on untrusted text of any size, so each is written to run in linear time: a match may
# only START where a run of token characters starts (the lookbehind fails at once everywhere else), and runs are
# consumed possessively (`++`, `*+`: no backtracking into them). Without that, `eyJaeyJa...` costs a scan of the
# rest of the run at every position: quadratic (80 KB took 27 s).
_TOKEN_CHARS: Final = "A-Za-z0-9_-"
JWT_PATTERN: Final = re.compile(
    rf"(?<![{_TOKEN_CHARS}])eyJ[{_TOKEN_CHARS}]{{2,}}+\.eyJ[{_TOKEN_CHARS}]{{2,}}+\.[{_TOKEN_CHARS}]*+"
)
REFRESH_TOKEN_PATTERN: Final = re.compile(r"(?<![0-9a-f])def50200[0-9a-f]{16,}+")
# A quoted key, then its string value up to the closing quote (or the end of the text: an unterminated secret
# is still a secret, and a match that cannot fail cannot be retried from every later quote).
_JSON_PAIR = re.compile(r'("([A-Za-z_-]++)"\s*+:\s*+")(?:[^"\\]|\\[\s\S])*+\\?+("|\Z)')
_FORM_PAIR = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z_-]++)=[^&\s#]*+")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*+://)[^?#]*@")
_BEARER_VALUE = re.compile(r"(?i)(bearer|basic)(\s+)(\S+)")
# URLs inside free text (log lines, messages), so their query strings and userinfo can be redacted.
_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^\s\"'<>`]++")
# Custom headers (`X-Auth-Token`, `X-Access-Token`, `X-Api-Key`, ...) carry credentials under names no list
# can keep up with: an `x-` header naming one of these words is treated as a credential.
_CREDENTIAL_WORDS: Final = ("token", "key", "secret", "signature", "password", "session", "auth", "credential")


def fingerprint(secret: str) -> str:
    """A stable, non-reversible stand-in for a secret: `sha256:` and the first 12 hex digits."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _field_name(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@functools.lru_cache(maxsize=4096)  # names repeat: a body of a million `a=` pairs asks about one name
def is_sensitive_field(name: str) -> bool:
    """A key, field or parameter whose value is a credential: on the list, or shaped like one."""
    normalised = _field_name(name)
    if normalised in SENSITIVE_FIELDS:
        return True
    if normalised in _NOT_SENSITIVE:
        return False
    squashed = normalised.replace("_", "")
    return any(word in squashed for word in _SENSITIVE_WORDS) or any(
        part in _SENSITIVE_PARTS for part in normalised.split("_")
    )


@functools.lru_cache(maxsize=4096)  # as is_sensitive_field: a million `a=` pairs ask about one name
def _is_sensitive_form_field(name: str) -> bool:
    return _field_name(name) == "code" or is_sensitive_field(name)


def is_sensitive_header(name: str) -> bool:
    """Authorization, cookies, and any `X-...-Token` / `X-...-Key` / `X-Auth-...` style header."""
    lowered = name.strip().lower()
    if lowered in SENSITIVE_HEADERS or _field_name(lowered) in SENSITIVE_FIELDS:
        return True
    return lowered.startswith("x-") and any(word in lowered for word in _CREDENTIAL_WORDS)


def redact_header(name: str, value: str) -> str:
    """The value to show for one header: credentials keep their scheme, never their token."""
    if not is_sensitive_header(name):
        return redact_text(value)
    scheme = _BEARER_VALUE.match(value.strip())
    if scheme:
        return f"{scheme.group(1)} {REDACTED}"
    return REDACTED


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, redact_header(name, value)) for name, value in headers]


def redact_json(value: Any) -> Any:
    """A copy of a JSON value with every sensitive key's value replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if isinstance(key, str) and is_sensitive_field(key) else redact_json(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_form(body: str) -> str:
    """A form-urlencoded body with sensitive fields replaced (order and other fields kept)."""
    pairs = parse_qsl(body, keep_blank_values=True)
    return urlencode([(key, REDACTED if _is_sensitive_form_field(key) else value) for key, value in pairs])


def redact_url(url: str) -> str:
    """A URL with sensitive query parameters and any userinfo replaced; never raises, whatever the text."""
    # Userinfo is cut on the raw text: a password with an unescaped "/" would fool urlsplit's netloc.
    url = _USERINFO.sub(r"\1redacted@", url, count=1)
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib accepts (e.g. a broken IPv6 host): drop the query to be safe
        return redact_text(url.split("?", 1)[0])
    # OAuth implicit-flow style fragments (#access_token=...) carry secrets the same way queries do.
    query, fragment = (
        _redact_pairs(parts.query),
        _redact_pairs(parts.fragment) if "=" in parts.fragment else parts.fragment,
    )
    return redact_text(urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment)))


def _redact_pairs(text: str) -> str:
    if not text:
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(key, REDACTED if _is_sensitive_form_field(key) else value) for key, value in pairs])


def redact_body(body: str, content_type: str = "") -> str:
    """A request or response body with its secrets removed, judged by content type, then by shape."""
    stripped = body.strip()
    if "json" in content_type or stripped.startswith(("{", "[")):
        try:
            return json.dumps(redact_json(loads(stripped)), ensure_ascii=False)
        except ValueError:  # not JSON after all, or too deep to walk: fall back to the text rules
            pass
    if "x-www-form-urlencoded" in content_type:
        return redact_form(stripped)
    return redact_sensitive_pairs(redact_text(body))


def redact_sensitive_pairs(text: str) -> str:
    """Values of sensitive keys in text that could not be parsed: `"password": "..."` and `password=...`."""
    text = _JSON_PAIR.sub(
        lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}" if is_sensitive_field(m.group(2)) else m.group(0), text
    )
    return _FORM_PAIR.sub(
        lambda m: f"{m.group(1)}={REDACTED}" if _is_sensitive_form_field(m.group(1)) else m.group(0), text
    )


def redact_message(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text that may hold URLs and `key=value` or `"key": "value"` pairs (log lines, error messages):
    URLs lose sensitive query parameters and userinfo, sensitive pairs their values, tokens are replaced."""
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), redact_text(text, secrets))
    return redact_sensitive_pairs(text)


@functools.lru_cache(maxsize=64)  # a report scrubs thousands of strings against one set of secrets
def _longest_first(secrets: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text with known secrets and anything token-shaped (JWTs, refresh tokens) replaced."""
    for secret in _longest_first(tuple(secrets)):
        text = text.replace(secret, REDACTED)
    # Each pattern needs its literal prefix, which `in` finds (or not) many times faster than a regular expression
    # that cannot skip ahead to it (both start with a look-behind).
    if "eyJ" in text:
        text = JWT_PATTERN.sub(REDACTED, text)
    if "def50200" in text:
        text = REFRESH_TOKEN_PATTERN.sub(REDACTED, text)
    return text
