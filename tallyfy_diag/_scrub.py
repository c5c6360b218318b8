"""The cassette scrubber: Tallyfy secrets out of recorded exchanges, so recordings can be committed and shared.

One implementation for every recorder: the pytest plugin's vcr hooks (`tallyfy_diag.pytest_plugin`), the
proxy's `--record`, and `tallyfy-diag cassettes check --scrub`. It needs neither pytest nor vcrpy: it works on
vcrpy's request objects and response dicts, and on anything shaped like them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tallyfy_diag import _json
from tallyfy_diag._redact import (
    JWT_PATTERN,
    REDACTED,
    REFRESH_TOKEN_PATTERN,
    SENSITIVE_HEADERS,
    is_sensitive_field,
    is_sensitive_header,
    redact_sensitive_pairs,
)

PLACEHOLDER_PREFIX: Final = "tallyfy-placeholder-"
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})
_SCHEMES: Final = frozenset({"bearer", "basic"})
_SCHEME_AND_CREDENTIAL: Final = re.compile(r"(\S+)(\s+)(\S.*)", re.DOTALL)
# Half of a login: scrubbed from form bodies (token requests), left alone in API data.
_LOGIN_FIELDS: Final = frozenset({"username"})
_TOKEN_FIELDS: Final = {"access_token": "access-token", "refresh_token": "refresh-token"}
# Tallyfy's error bodies carry `"code": "ENDPOINT_NOT_FOUND"`; only an OAuth authorization code is a secret.
_ERROR_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]*")
_MULTIPART_NAME: Final = re.compile(rb'(?i)content-disposition:[^\r\n]*?\bname="([^"\r\n]*)"')
_BOUNDARY: Final = re.compile(r'(?i)boundary="?([^";,\s]+)"?')
# Secrets shorter than this are not hunted in free text: replacing every "abc" would shred the recording.
_MIN_FREE_TEXT_SECRET: Final = 6


class TallyfyScrubber:
    """vcrpy `before_record_request` / `before_record_response` hooks that remove Tallyfy secrets.

    Stateful on purpose: each token gets one placeholder for the whole cassette, so the refresh token a
    token response handed out and the one a later refresh request sends stay the same string on disk.
    """

    def __init__(self) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._seen_secrets: set[str] = set()

    def placeholder(self, secret: str, kind: str) -> str:
        if not secret or secret.startswith(PLACEHOLDER_PREFIX):
            return secret  # replaying: the client already holds a placeholder
        if secret not in self._placeholders:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._placeholders[secret] = f"{PLACEHOLDER_PREFIX}{kind}-{self._counts[kind]}"
        return self._placeholders[secret]

    def _credential(self, value: str) -> str:
        """An Authorization value with only its credential replaced: the scheme and the spacing stay as sent, so
        a recording still shows HOW it was sent (two spaces after `Bearer`, a lowercase scheme) to `explain`.
        A value whose scheme and credential cannot be told apart (`Bearer<token>`, a bare token) is redacted
        whole."""
        core = value.strip()
        lead, tail = value[: len(value) - len(value.lstrip())], value[len(value.rstrip()) :]
        split = _SCHEME_AND_CREDENTIAL.fullmatch(core)
        if split is None:
            if not core or core.lower() in _SCHEMES:  # a scheme with no credential: nothing to hide
                return value
            return lead + self._redacted(core) + tail
        scheme, gap, credential = split.groups()
        return lead + scheme + gap + self.placeholder(credential, "access-token") + tail

    def _redacted(self, value: str) -> str:
        """REDACTED for a secret value, remembered so that it is found again in free text."""
        if len(value) >= _MIN_FREE_TEXT_SECRET and value != REDACTED:
            self._seen_secrets.add(value)
        return REDACTED

    def scrub_text(self, text: str) -> str:
        """Known tokens → their placeholders, known secrets → [redacted]; anything else token-shaped → a new
        placeholder."""
        for secret, placeholder in self._placeholders.items():
            text = text.replace(secret, placeholder)
        for secret in sorted(self._seen_secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = JWT_PATTERN.sub(lambda match: self.placeholder(match.group(0), "access-token"), text)
        return REFRESH_TOKEN_PATTERN.sub(lambda match: self.placeholder(match.group(0), "refresh-token"), text)

    def _field(self, name: str, value: str, *, credentials_form: bool = False) -> str:
        lowered = name.lower()
        if lowered == "code" and _ERROR_CODE.fullmatch(value):
            return value
        if lowered in _TOKEN_FIELDS:
            return self.placeholder(value, _TOKEN_FIELDS[lowered])
        if is_sensitive_field(lowered):
            return self._redacted(value)
        if credentials_form and lowered in _LOGIN_FIELDS:
            return REDACTED  # not hunted elsewhere: the same e-mail is ordinary data in API answers
        return self.scrub_text(value)

    def _json(self, value: Any, key: str | None = None) -> Any:
        """A JSON value under `key`: strings judged by the key, containers (lists too) inherit it."""
        # Everything under a credential's name is the credential (a list of passwords, a nested object).
        if (
            isinstance(value, dict | list)
            and key is not None
            and key.lower() not in _TOKEN_FIELDS
            and is_sensitive_field(key)
        ):
            return self._all_redacted(value)
        if isinstance(value, dict):
            return {name: self._json(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [self._json(item, key) for item in value]
        if isinstance(value, str):
            return self._field(key, value) if key is not None else self.scrub_text(value)
        if key is not None and value is not None and not isinstance(value, bool) and is_sensitive_field(key):
            return REDACTED  # a numeric PIN or password is still a secret
        return value

    def _all_redacted(self, value: Any) -> Any:
        """The same shape with every leaf replaced (a list of passwords, a nested credential object)."""
        if isinstance(value, dict):
            return {name: self._all_redacted(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self._all_redacted(item) for item in value]
        if value is None or isinstance(value, bool):
            return value
        return self._redacted(value) if isinstance(value, str) else REDACTED

    def _multipart(self, body: bytes, content_type: str) -> bytes:
        """Each part named like a credential loses its content; text parts are scrubbed; files stay as they are."""
        found = _BOUNDARY.search(content_type)
        if not found:
            return body
        delimiter = b"--" + found.group(1).encode("latin-1")
        parts = body.split(delimiter)
        for index, part in enumerate(parts):
            head, separator, content = part.partition(b"\r\n\r\n")
            if not separator:
                continue
            named = _MULTIPART_NAME.search(head)
            trailer = b"\r\n" if content.endswith(b"\r\n") else b""
            value = content[: len(content) - len(trailer)]
            if named and is_sensitive_field(named.group(1).decode("latin-1")):
                self._redacted(value.decode("utf-8", "replace"))
                value = REDACTED.encode()
            else:
                with contextlib.suppress(UnicodeDecodeError):  # a file's bytes stay as they are
                    value = self.scrub_text(value.decode("utf-8")).encode("utf-8")
            parts[index] = head + separator + value + trailer
        return delimiter.join(parts)

    def _text(self, text: str) -> str:
        """A body that is neither JSON nor declared form: a form by shape (a token request sent as
        text/plain), else free text with `key=value` and `"key": "value"` secrets removed."""
        if "=" in text and not any(character.isspace() for character in text.strip()):
            pairs = parse_qsl(text.strip(), keep_blank_values=True)
            if pairs:
                return urlencode([(key, self._field(key, value, credentials_form=True)) for key, value in pairs])
        return redact_sensitive_pairs(self.scrub_text(text))

    def _body(self, body: bytes | str | None, content_type: str) -> bytes | str | None:
        if not body:
            return body
        if "multipart/" in content_type.lower():
            raw = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
            scrubbed_raw = self._multipart(raw, content_type)
            return scrubbed_raw.decode("utf-8", "surrogateescape") if isinstance(body, str) else scrubbed_raw
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError:  # a file's bytes: re-encoding would corrupt them, and tokens are text
            return body
        if "x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(text, keep_blank_values=True)
            scrubbed = urlencode([(key, self._field(key, value, credentials_form=True)) for key, value in pairs])
        else:
            try:
                scrubbed = json.dumps(self._json(_json.loads(text)), separators=(",", ":"))
            except ValueError:
                scrubbed = self._text(text)
        return scrubbed.encode("utf-8") if isinstance(body, bytes) else scrubbed

    def before_record_request(self, request: Any) -> Any:
        request = copy.deepcopy(request)
        for name in list(request.headers):
            lowered = name.lower()
            if lowered in _CREDENTIAL_HEADERS:
                request.headers[name] = self._credential(request.headers[name])
            elif lowered in SENSITIVE_HEADERS:
                del request.headers[name]
            elif is_sensitive_header(lowered):
                request.headers[name] = self._redacted(request.headers[name])
        parts = urlsplit(request.uri)
        if parts.query:
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            query = urlencode([(key, self._field(key, value)) for key, value in pairs])
            request.uri = urlunsplit(parts._replace(query=query))
        request.body = self._body(request.body, request.headers.get("content-type", ""))
        if "content-length" in request.headers:
            request.headers["content-length"] = str(_byte_length(request.body))
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        response = copy.deepcopy(response)
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in SENSITIVE_HEADERS:
                del headers[name]
            elif is_sensitive_header(name):
                headers[name] = [self._redacted(str(value)) for value in headers[name]]
        body = response.get("body", {})
        content_type = next((v[0] for k, v in headers.items() if k.lower() == "content-type" and v), "")
        body["string"] = self._body(body.get("string"), content_type)
        for name in headers:
            if name.lower() == "content-length":
                headers[name] = [str(_byte_length(body["string"]))]
        return response


def _byte_length(body: bytes | str | None) -> int:
    """Scrubbing changes a body's length; the recorded Content-Length must follow it."""
    if body is None:
        return 0
    return len(body.encode("utf-8") if isinstance(body, str) else body)
