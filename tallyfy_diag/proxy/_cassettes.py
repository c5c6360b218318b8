"""`tallyfy-diag cassettes check`: keep recorded traffic honest. For every exchange of every VCR cassette or HAR:

- drift: match it to a spec operation and validate the recorded answer against the CURRENT spec (the same
  validator as the proxy), so a cassette that still replays after the API or the spec changed is named;
- secrets: scan every header, URL and body for credentials (JWTs, Tallyfy refresh tokens, Authorization and
  Cookie headers, `client_secret` / `password` / token fields), accepting the scrubber's placeholders.

Findings name the file, the exchange (1-based, as `explain` numbers them) and where, never the secret: a
fingerprint stands in for it. `scrub()` rewrites a leaking cassette in place with the pytest plugin's scrubber,
keeping a backup and every field replay matches on (method and URI; bodies scrubbed the way vcrpy scrubs a live
request before matching it).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote_plus

import attrs
import yaml

from tallyfy_diag import _json
from tallyfy_diag._redact import JWT_PATTERN, REDACTED, REFRESH_TOKEN_PATTERN, fingerprint, is_sensitive_field
from tallyfy_diag._scrub import TallyfyScrubber
from tallyfy_diag.diagnostics import Exchange, InputError, parse_capture
from tallyfy_diag.diagnostics._checks._common import api_path, is_placeholder
from tallyfy_diag.diagnostics._evidence import Header
from tallyfy_diag.proxy import _conformance
from tallyfy_diag.proxy._conformance import Matched

CASSETTE_SUFFIXES: Final = (".yaml", ".yml", ".json", ".har")
PLACEHOLDER_PREFIX: Final = "tallyfy-placeholder-"  # the pytest plugin's, read here without importing pytest
BACKUP_SUFFIX: Final = ".bak"
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})
_COOKIE_HEADERS: Final = frozenset({"cookie", "set-cookie", "x-api-key"})

Kind = Literal["secret", "drift"]


@attrs.frozen
class CassetteFinding:
    path: str
    exchange: int
    label: str
    kind: Kind
    where: str
    what: str

    def text(self) -> str:
        return f"{self.path} #{self.exchange} {self.label}: {self.kind} at {self.where}: {self.what}"

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class CassetteResult:
    path: str
    exchanges: int
    findings: tuple[CassetteFinding, ...]
    error: str | None = None
    """Why the file could not be read (exit code 2)."""

    @property
    def leaks(self) -> bool:
        return any(finding.kind == "secret" for finding in self.findings)


def cassette_files(paths: Sequence[Path]) -> list[Path]:
    """The files to check: each file given, and every cassette-like file under each directory (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                item
                for item in path.rglob("*")
                if item.is_file() and item.suffix.lower() in CASSETTE_SUFFIXES and not item.name.endswith(BACKUP_SUFFIX)
            )
        else:
            found.append(path)
    return found


# ------------------------------------------------------------------------------------------------ secrets


def _is_stand_in(value: str) -> bool:
    """A scrubbed value: empty, `[redacted]`, a placeholder the scrubber wrote, or docs placeholder text."""
    text = value.strip()
    if not text or REDACTED in text or PLACEHOLDER_PREFIX in text or "%5Bredacted%5D" in text:
        return True
    scheme, _, rest = text.partition(" ")
    if scheme.lower() in {"bearer", "basic"} and rest.strip():
        text = rest.strip()
    return is_placeholder(text)


def _shapes(text: str) -> Iterator[str]:
    """What token-shaped things the text holds (a fingerprint each, never the token)."""
    for match in JWT_PATTERN.finditer(text):
        yield f"a JWT ({fingerprint(match.group(0))})"
    for match in REFRESH_TOKEN_PATTERN.finditer(text):
        yield f"a Tallyfy refresh token ({fingerprint(match.group(0))})"


def _json_fields(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(field path, key, string value) for every string in a JSON value."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str):
                yield f"{path}.{key}", str(key), item
            else:
                yield from _json_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_fields(item, f"{path}[{index}]")
    elif isinstance(value, str) and path:
        yield path, "", value


def _body_secrets(body: bytes, where: str, content_type: str | None) -> Iterator[tuple[str, str]]:
    text = body.decode("utf-8", "replace")
    parsed = None
    if text.strip().startswith(("{", "[")):
        try:
            parsed = _json.loads(text)
        except (ValueError, RecursionError):
            parsed = None
    if parsed is not None:
        for path, key, value in _json_fields(parsed, where):
            if key and is_sensitive_field(key) and isinstance(value, str) and not _is_stand_in(value):
                yield path, f"a {key} field value ({fingerprint(value)})"
                continue
            for shape in _shapes(value):
                yield path, shape
        return
    if "x-www-form-urlencoded" in (content_type or "") or ("=" in text and " " not in text.strip()):
        for name, value in parse_qsl(text, keep_blank_values=True):
            if is_sensitive_field(unquote_plus(name)) and not _is_stand_in(value):
                yield f"{where} form field {name}", f"a {name} field value ({fingerprint(value)})"
    for shape in _shapes(text):
        yield where, shape


def _header_secrets(headers: Sequence[Header], where: str) -> Iterator[tuple[str, str]]:
    for header in headers:
        name = header.name.strip().lower()
        value = header.value
        if name in _CREDENTIAL_HEADERS and not _is_stand_in(value):
            yield f"{where} header {header.name}", f"a credential ({fingerprint(value)})"
        elif name in _COOKIE_HEADERS and not _is_stand_in(value):
            yield f"{where} header {header.name}", f"a cookie or key ({fingerprint(value)})"
        else:
            for shape in _shapes(value):
                yield f"{where} header {header.name}", shape


def exchange_secrets(exchange: Exchange) -> list[tuple[str, str]]:
    """(where, what) for every secret an exchange holds."""
    request = exchange.request
    found: list[tuple[str, str]] = []
    for name, value in request.query():
        if is_sensitive_field(name) and not _is_stand_in(value):
            found.append((f"request URL query {name}", f"a {name} parameter value ({fingerprint(value)})"))
    found += [("request URL", shape) for shape in _shapes(request.url)]
    found += _header_secrets(request.headers, "request")
    found += _body_secrets(request.body, "request body", request.header("content-type"))
    response = exchange.response
    if response is not None:
        found += _header_secrets(response.headers, "response")
        found += _body_secrets(response.body, "response body", response.header("content-type"))
    return list(dict.fromkeys(found))


# ------------------------------------------------------------------------------------------------ drift


def exchange_drift(exchange: Exchange) -> tuple[str, list[tuple[str, str]]]:
    """(label, [(where, what)]) of an exchange's departures from the current spec."""
    request = exchange.request
    relative = api_path(request) or request.path
    matched = _conformance.match(request.method, relative)
    if not isinstance(matched, Matched):
        label = f"{request.method.upper()} {relative}"
        if request.is_preflight:
            return label, []
        return label, [(problem.where, problem.expected) for problem in matched]
    label = f"{request.method.upper()} {matched.operation.path_template}"
    response = exchange.response
    if response is None:
        return label, []
    problems = _conformance.response_problems(
        matched, status=response.status, content_type=response.header("content-type"), body=response.body
    )
    return label, [(problem.where, problem.expected) for problem in problems]


# ------------------------------------------------------------------------------------------------ checking


def check_file(path: Path, *, max_bytes: int = 50_000_000) -> CassetteResult:
    shown = str(path)
    try:
        if path.stat().st_size > max_bytes:
            return CassetteResult(shown, 0, (), f"larger than {max_bytes // 1_000_000} MB")
        capture = parse_capture(path.read_bytes())
    except OSError as error:
        return CassetteResult(shown, 0, (), f"cannot read it ({error.strerror or type(error).__name__})")
    except InputError as error:
        return CassetteResult(shown, 0, (), str(error))
    if capture.format not in ("vcr", "har"):
        return CassetteResult(shown, 0, (), f"a {capture.format} capture, not a VCR cassette or a HAR file")
    findings: list[CassetteFinding] = []
    for index, exchange in enumerate(capture.exchanges, start=1):
        label, drift = exchange_drift(exchange)
        findings += [CassetteFinding(shown, index, label, "secret", w, what) for w, what in exchange_secrets(exchange)]
        findings += [CassetteFinding(shown, index, label, "drift", where, what) for where, what in drift]
    return CassetteResult(shown, len(capture.exchanges), tuple(findings))


# ------------------------------------------------------------------------------------------------ scrubbing


class ScrubError(ValueError):
    """The file cannot be scrubbed in place (one line)."""


def _scrubber() -> TallyfyScrubber:
    return TallyfyScrubber()


class _Headers(dict[str, str]):
    """Header names compared case-insensitively, as vcrpy's own request headers are (the scrubber looks up
    `content-type`; a HAR or a cassette recorded with requests says `Content-Type`)."""

    def _key(self, name: str) -> str:
        return next((key for key in self if key.lower() == name.lower()), name)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._key(name))

    def __setitem__(self, name: str, value: str) -> None:
        super().__setitem__(self._key(name), value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(self._key(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(key.lower() == name.lower() for key in self)

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(self._key(name), default)


class _ScrubbedRequest:
    """The shape of a vcrpy request that `TallyfyScrubber.before_record_request` reads and rewrites."""

    def __init__(self, uri: str, body: Any, headers: dict[str, str]) -> None:
        self.uri = uri
        self.body = body
        self.headers = headers


def _first_values(headers: Any) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        return {}
    flat: dict[str, str] = {}
    for name, values in headers.items():
        items = values if isinstance(values, list) else [values]
        flat[str(name)] = ", ".join(str(item) for item in items)
    return flat


def _scrub_request(scrubber: Any, uri: str, body: Any, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """(body, headers) scrubbed; the URI is what replay matches on, so it is given back untouched by the caller."""
    scrubbed = scrubber.before_record_request(_ScrubbedRequest(uri, body, _Headers(headers)))
    return scrubbed.body, dict(scrubbed.headers)


def _scrub_vcr(document: dict[str, Any], scrubber: Any) -> None:
    for interaction in document.get("interactions") or []:
        request = interaction.get("request") if isinstance(interaction, Mapping) else None
        if isinstance(request, dict):
            raw_body = request.get("body")
            text = raw_body.get("string") if isinstance(raw_body, Mapping) else raw_body
            body, headers = _scrub_request(
                scrubber, str(request.get("uri", "")), text, _first_values(request.get("headers"))
            )
            if isinstance(raw_body, dict):
                raw_body["string"] = body
            else:
                request["body"] = body
            request["headers"] = {name: [value] for name, value in headers.items()}
        response = interaction.get("response") if isinstance(interaction, Mapping) else None
        if isinstance(response, dict):
            interaction["response"] = scrubber.before_record_response(response)


def _scrub_har(document: dict[str, Any], scrubber: Any) -> None:
    for entry in (document.get("log") or {}).get("entries") or []:
        request = entry.get("request") if isinstance(entry, Mapping) else None
        if isinstance(request, dict):
            headers = {
                str(h.get("name")): str(h.get("value")) for h in request.get("headers") or [] if isinstance(h, Mapping)
            }
            post = request.get("postData") if isinstance(request.get("postData"), dict) else None
            text = post.get("text") if post is not None else None
            body, scrubbed_headers = _scrub_request(scrubber, str(request.get("url", "")), text, headers)
            if post is not None and text is not None:
                post["text"] = body
                if isinstance(post.get("params"), list):
                    post["params"] = [{"name": n, "value": v} for n, v in parse_qsl(str(body), keep_blank_values=True)]
            request["headers"] = [{"name": name, "value": value} for name, value in scrubbed_headers.items()]
        response = entry.get("response") if isinstance(entry, Mapping) else None
        if isinstance(response, dict):
            found = response.get("content")
            content: dict[str, Any] = found if isinstance(found, dict) else {}
            if content.get("encoding") == "base64":
                content = {}  # binary: no tokens to find as text
            listed: dict[str, list[str]] = {}
            for header in response.get("headers") or []:
                if isinstance(header, Mapping):
                    listed.setdefault(str(header.get("name")), []).append(str(header.get("value")))
            vcr_response = {
                "headers": listed,
                "body": {"string": content.get("text")},
                "status": {"code": response.get("status")},
            }
            scrubbed = scrubber.before_record_response(vcr_response)
            response["headers"] = [
                {"name": name, "value": value} for name, values in scrubbed["headers"].items() for value in values
            ]
            if "text" in content:
                content["text"] = scrubbed["body"]["string"]


def scrub(path: Path) -> Path:
    """Rewrite a cassette or HAR without its secrets; returns the backup's path (the original, byte for byte)."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists():
        raise ScrubError(f"{path}: {backup.name} exists already; move it away first (it may be the only clean copy)")
    scrubber = _scrubber()
    text = path.read_text(encoding="utf-8-sig")
    is_json = text.lstrip().startswith("{")
    try:
        document = _json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        raise ScrubError(f"{path}: not valid {'JSON' if is_json else 'YAML'}") from None
    if not isinstance(document, dict):
        raise ScrubError(f"{path}: neither a VCR cassette nor a HAR file")
    if "log" in document:
        _scrub_har(document, scrubber)
    else:
        _scrub_vcr(document, scrubber)
    shutil.copy2(path, backup)
    rewritten = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if is_json
        else yaml.safe_dump(document, default_flow_style=False, allow_unicode=True, sort_keys=True)
    )
    temporary = path.with_name(f".{path.name}.scrubbing")
    temporary.write_text(rewritten, encoding="utf-8")
    os.replace(temporary, path)
    return backup
