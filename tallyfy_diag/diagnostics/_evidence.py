"""Evidence: what a check may look at.

A captured `Request` (header fields in order, duplicates and raw values kept, and where a value came from when
known), its `Response`, the two together as an `Exchange`, a decoded `TokenView`, and `Evidence`: one exchange in
its context (the browser origin, the preflight answer, earlier exchanges, the doctor's isolation trials).
Everything is immutable and built by the parsers or the doctor; checks only read it.

Raw values may be secrets: reprs hide them, and anything shown goes through `tallyfy_diag._redact`.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlsplit

import attrs

from tallyfy_diag import _json
from tallyfy_diag._constants import TOKEN_PATH
from tallyfy_diag._http_rules import TransportFailureKind, parse_http_date
from tallyfy_diag._jwt import JwtError, decode_unverified, looks_like_jwt
from tallyfy_diag._redact import REFRESH_TOKEN_PATTERN, fingerprint, redact_url


@attrs.frozen
class Header:
    """One header field as sent: name and value exactly as captured."""

    name: str
    value: str = attrs.field(repr=False)
    source: str | None = None
    """Where the value came from, when known: `environment variable TALLYFY_API_TOKEN`, `--token`, a file."""
    unresolved: tuple[str, ...] = ()
    """Shell variables the value refers to that an offline reading cannot see (`$TOKEN` in a curl command)."""


def media_type(content_type: str | None) -> str | None:
    """`application/json` from `Application/JSON; charset=utf-8`."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def split_url(url: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be parsed (an unbalanced IPv6 bracket, for one)."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - raises on a malformed netloc
    except ValueError:
        return None
    return parts


def parse_json(raw: bytes | str) -> Any | None:
    """The JSON value, or None when the text is not JSON (deeply nested input included)."""
    try:
        return _json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def to_bytes(text: str) -> bytes:
    """UTF-8 bytes of any string, lone surrogates (from JSON escapes or `$'\\u...'`) replaced."""
    return text.encode("utf-8", errors="replace")


class _Message:
    """What requests and responses share: header lookups and body views."""

    headers: tuple[Header, ...]
    body: bytes

    @functools.cached_property
    def _fields_by_name(self) -> dict[str, list[Header]]:
        # Built on the first lookup: checks look up several names, and a capture may carry many thousands of
        # fields, which one pass each would walk again.
        index: dict[str, list[Header]] = {}
        for header in self.headers:
            index.setdefault(header.name.strip().lower(), []).append(header)
        return index

    def header_fields(self, name: str) -> list[Header]:
        """Every field called `name` (compared case-insensitively, RFC 9110 §5.1), in order."""
        return list(self._fields_by_name.get(name.lower(), ()))

    def header_values(self, name: str) -> list[str]:
        return [header.value for header in self.header_fields(name)]

    def header(self, name: str) -> str | None:
        """The first field's value, or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def combined(self, name: str) -> str | None:
        """The field's combined value (RFC 9110 §5.3: fields of one name joined with `, `), or None."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    @property
    def media_type(self) -> str | None:
        return media_type(self.header("content-type"))

    @property
    def text(self) -> str:
        return _text(self.body)

    def json(self) -> Any | None:
        return parse_json(self.body) if self.body.strip() else None


@attrs.frozen
class Request(_Message):
    method: str
    url: str = attrs.field(repr=redact_url)
    headers: tuple[Header, ...] = ()
    body: bytes = attrs.field(default=b"", repr=False)
    body_known: bool = True
    """False when the body was not captured (a curl `-d @file` read offline, for one)."""

    @property
    def parts(self) -> SplitResult | None:
        return split_url(self.url)

    @property
    def host(self) -> str | None:
        parts = self.parts
        return parts.hostname if parts else None

    @property
    def path(self) -> str:
        parts = self.parts
        return parts.path if parts else ""

    def query(self) -> list[tuple[str, str]]:
        parts = self.parts
        return parse_qsl(parts.query, keep_blank_values=True) if parts else []

    def raw_form(self) -> list[tuple[str, str]]:
        """The body's `name=value` pairs still percent-encoded (so a literal `+` can be told from `%2B`)."""
        pairs: list[tuple[str, str]] = []
        for item in self.text.strip().split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((name, value))
        return pairs

    def form(self) -> list[tuple[str, str]]:
        """The body's pairs decoded as the server decodes them (`+` is a space)."""
        return [(unquote_plus(name), unquote_plus(value)) for name, value in self.raw_form()]

    def parameters(self) -> dict[str, list[str]]:
        """Body parameters whatever the encoding: a JSON object's top-level fields, else form pairs."""
        body = self.json()
        found: dict[str, list[str]] = {}
        if isinstance(body, dict):
            for key, value in body.items():
                found.setdefault(str(key), []).append(value if isinstance(value, str) else json.dumps(value))
            return found
        if body is not None:
            return found
        for name, value in self.form():
            found.setdefault(name, []).append(value)
        return found

    @property
    def is_token_request(self) -> bool:
        """A call to the OAuth token endpoint: by path, or by a `grant_type` in the body."""
        if self.path.rstrip("/").endswith(TOKEN_PATH):
            return True
        return self.method.upper() != "OPTIONS" and "grant_type" in self.parameters()

    @property
    def is_preflight(self) -> bool:
        return self.method.upper() == "OPTIONS" and self.header("access-control-request-method") is not None


@attrs.frozen
class Response(_Message):
    status: int
    headers: tuple[Header, ...] = ()
    body: bytes = attrs.field(default=b"", repr=False)
    reason: str = ""

    @property
    def date(self) -> datetime | None:
        """The server's clock when it answered (the `Date` header)."""
        return parse_http_date(self.header("date"))

    @property
    def looks_like_html(self) -> bool:
        if self.media_type in {"text/html", "application/xhtml+xml"}:
            return True
        return self.text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))


FailureKind = TransportFailureKind


@attrs.frozen
class TransportFailure:
    """A call that got no HTTP answer. `message` is already redacted."""

    kind: FailureKind
    message: str


@attrs.frozen
class Exchange:
    request: Request
    response: Response | None = None
    failure: TransportFailure | None = None
    sent_at: datetime | None = None
    """The local clock when the request was sent (HAR `startedDateTime`, the doctor's own clock)."""
    received_at: datetime | None = None
    label: str = ""


class TokenKind(enum.StrEnum):
    JWT = "jwt"
    MALFORMED_JWT = "malformed-jwt"
    REFRESH_TOKEN = "refresh-token"
    OPAQUE = "opaque"
    EMPTY = "empty"


# Claims whose values are safe and useful in a report; anything else is listed by name only.
_SHOWABLE_CLAIMS = frozenset({"iss", "aud", "iat", "nbf", "exp", "scopes", "scope", "typ", "azp"})


@attrs.frozen
class TokenView:
    """A bearer token as a diagnosis sees it: its shape and, for a JWT, its unverified claims."""

    raw: str = attrs.field(repr=False)
    kind: TokenKind
    header: dict[str, Any] | None = attrs.field(default=None, repr=False)
    claims: dict[str, Any] | None = attrs.field(default=None, repr=False)
    problem: str | None = None
    """Why a JWT does not decode (names the part, never quotes the token)."""
    source: str | None = None

    @classmethod
    def parse(cls, raw: str, source: str | None = None) -> TokenView:
        if not raw:
            return cls(raw=raw, kind=TokenKind.EMPTY, source=source)
        if REFRESH_TOKEN_PATTERN.fullmatch(raw) or (raw.startswith("def50200") and "." not in raw):
            return cls(raw=raw, kind=TokenKind.REFRESH_TOKEN, source=source)
        if not looks_like_jwt(raw):
            return cls(raw=raw, kind=TokenKind.OPAQUE, source=source)
        try:
            decoded = decode_unverified(raw)
        except JwtError as error:
            return cls(raw=raw, kind=TokenKind.MALFORMED_JWT, problem=str(error), source=source)
        return cls(raw=raw, kind=TokenKind.JWT, header=decoded.header, claims=decoded.claims, source=source)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    @property
    def is_application_token(self) -> bool | None:
        """True for a client_credentials token (Passport leaves `sub` empty), None when there are no claims."""
        if self.claims is None:
            return None
        subject = self.claims.get("sub")
        return subject is None or (isinstance(subject, str) and not subject.strip())

    def time_claim(self, name: str) -> datetime | None:
        """A NumericDate claim (RFC 7519 §2) as an aware datetime, or None when absent or not a number."""
        value = (self.claims or {}).get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None

    def safe_claims(self) -> dict[str, Any]:
        """Claims fit for a report: no personal data (`sub` only says whether it is set, ids fingerprinted)."""
        shown: dict[str, Any] = {}
        for name, value in (self.claims or {}).items():
            if name == "sub":
                shown[name] = "(set: user token)" if not self.is_application_token else "(empty: application token)"
            elif name == "jti" and isinstance(value, str):
                shown[name] = fingerprint(value)
            elif name in _SHOWABLE_CLAIMS and isinstance(value, str | int | float | list):
                shown[name] = value
            else:
                shown[name] = "(present)"
        return shown


@attrs.frozen
class IsolationTrial:
    """One resend of a failing GET with a single change, and what the server answered (doctor only)."""

    change: str
    cause: str
    """The check id whose problem this change removes (`client-header`, `auth-header`, ...)."""
    status: int | None
    fix: str = ""


@attrs.frozen
class Evidence:
    """One exchange (or a bare token) in its context: the unit every check judges."""

    now: datetime
    exchange: Exchange | None = None
    token: TokenView | None = None
    origin: str | None = None
    """The browser origin a CORS diagnosis is for."""
    with_credentials: bool = False
    preflight: Exchange | None = None
    base_url: str | None = None
    """The base URL the user configured, when known."""
    history: tuple[Exchange, ...] = ()
    """Exchanges before this one in the same capture (redirect chains, the token call that issued the token)."""
    isolation: tuple[IsolationTrial, ...] = ()
    org_id: str | None = None
    memberships: tuple[str, ...] | None = None
    """Organization ids the user belongs to, when known (doctor: `GET /me/organizations`)."""
    token_note: str | None = None
    """Why there is no token to judge although the request carries an Authorization field."""
    only_checks: frozenset[str] | None = None
    """A probe made to test one thing (the doctor's CORS error probe): judge it with these checks only."""

    @property
    def request(self) -> Request | None:
        return self.exchange.request if self.exchange else None

    @property
    def response(self) -> Response | None:
        return self.exchange.response if self.exchange else None


# The token part of an Authorization value: every scheme prefix, quotes and trailing separators removed, so the
# token checks can judge what the user MEANT to send while auth-header reports how it was sent.
# Every repeated prefix at once ("Bearer Bearer ..."): one linear pass, not one pass per prefix.
_SCHEME_PREFIX = re.compile(r"^(?:\s*+(?:bearer|token|jwt)(?:\s++|(?=eyJ)))++", re.IGNORECASE)


def token_from_authorization(value: str) -> str | None:
    """The token a `Bearer` value carries, cleaned of the usual mistakes; None when there is none."""
    candidate = value.strip().replace("\u200b", "").replace("\ufeff", "")
    candidate = _SCHEME_PREFIX.sub("", candidate, count=1)
    candidate = candidate.strip().strip("\"'").rstrip(",;").strip()
    if not candidate or candidate.lower().startswith("basic"):
        return None
    return candidate


def bearer_headers(request: Request) -> list[Header]:
    return request.header_fields("authorization")


def utc_now() -> datetime:
    return datetime.now(tz=UTC)
