"""Turn what a user pastes or saves into exchanges: a curl command line (POSIX shell or cmd.exe), DevTools'
"Copy as PowerShell" / "Copy as fetch" / "Copy as fetch (Node.js)", an HTTPie command line, a raw HTTP
request (optionally followed by its response), a HAR 1.2 file, a Postman Collection v2.1, or a VCR.py
cassette (YAML or JSON). `parse_capture` detects which (`INPUT_FORMATS` names them; see `_devtools`).

Errors are `InputError` with one line that names the problem and never quotes the input (it may hold secrets).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlencode

import attrs

from tallyfy_diag import _json
from tallyfy_diag.diagnostics._checks._common import exchange_label, is_loopback
from tallyfy_diag.diagnostics._curl import CurlError, parse_curl, shell_commands
from tallyfy_diag.diagnostics._devtools import (
    is_postman_collection,
    page_origin,
    parse_curl_cmd,
    parse_fetch,
    parse_httpie,
    parse_postman,
    parse_powershell,
)
from tallyfy_diag.diagnostics._evidence import Exchange, Header, Request, Response, TransportFailure, split_url

if TYPE_CHECKING:
    import yaml

Format = Literal["curl", "curl-cmd", "powershell", "fetch", "fetch-nodejs", "httpie", "http", "har", "postman", "vcr"]
INPUT_FORMATS: Final[tuple[Format, ...]] = (
    "curl",
    "curl-cmd",
    "powershell",
    "fetch",
    "fetch-nodejs",
    "httpie",
    "http",
    "har",
    "postman",
    "vcr",
)
MAX_INPUT_BYTES: Final = 50_000_000


class InputError(ValueError):
    """Unreadable input: a one-line reason (exit code 2), never the input's content."""


@attrs.frozen
class Capture:
    format: Format
    exchanges: tuple[Exchange, ...]
    notes: tuple[str, ...] = ()
    page_origin: str | None = None
    """The origin of the browser page that sent the calls, when the capture shows one (Origin, referrer)."""
    origin_evidence: str | None = None
    """Where `page_origin` was read from."""
    with_credentials: bool = False
    """The capture says the browser call included credentials (fetch `credentials: 'include'`)."""


def _labelled(exchanges: list[Exchange]) -> tuple[Exchange, ...]:
    return tuple(
        attrs.evolve(exchange, label=exchange_label(exchange.request.method, exchange.request.url, index))
        for index, exchange in enumerate(exchanges, start=1)
    )


# ---------------------------------------------------------------------------------------------------- raw HTTP

_REQUEST_LINE: Final = re.compile(r"([A-Za-z]+) +(\S+)(?: +(HTTP/\d(?:\.\d)?))? *")
_STATUS_LINE: Final = re.compile(r"(HTTP/\d(?:\.\d)?) +(\d{3})(?: +(.*))?")
_STRICT_REQUEST_LINE: Final = re.compile(r"[A-Z]+ +\S+ +HTTP/\d(?:\.\d)? *")


def _header_block(lines: list[str], start: int) -> tuple[list[Header], int, list[str]]:
    headers: list[Header] = []
    notes: list[str] = []
    index = start
    while index < len(lines) and lines[index] != "":
        line = lines[index]
        if line[:1] in {" ", "\t"} and headers:
            notes.append("a folded header line (obs-fold, RFC 9112 §5.2) was joined to the one before")
            last = headers[-1]
            headers[-1] = attrs.evolve(last, value=last.value + " " + line.strip())
        else:
            name, colon, value = line.partition(":")
            if line.startswith(":"):  # HTTP/2 pseudo-header as DevTools copies it (`:authority: host`)
                name, colon, value = line[1:].partition(":")
                name = ":" + name
            if not colon or not name.strip():
                raise InputError(f"line {index + 1} is not a `Name: value` header")
            headers.append(Header(name.strip(), value.lstrip(" \t")))
        index += 1
    return headers, index, notes


def _body(lines: list[str], start: int) -> tuple[bytes, int]:
    """The body after a header block: everything up to the next request or status line, or the end.

    Content-Length is not trusted for this: pasted text has lost its exact bytes (line endings, trimming).
    """
    end = start
    while end < len(lines) and not (_STATUS_LINE.fullmatch(lines[end]) or _STRICT_REQUEST_LINE.fullmatch(lines[end])):
        end += 1
    return "\n".join(lines[start:end]).strip("\n").encode("utf-8", "replace"), end


def _request_url(target: str, headers: list[Header], notes: list[str]) -> str:
    if "://" in target:
        return target
    pseudo = {h.name: h.value.strip() for h in headers if h.name.startswith(":")}
    host = pseudo.get(":authority") or next((h.value.strip() for h in headers if h.name.lower() == "host"), None)
    if not host:
        raise InputError("the request has a relative target and no Host header, so its URL is unknown")
    scheme = pseudo.get(":scheme")
    if scheme is None:
        hostname = split_url(f"//{host}")
        scheme = "http" if hostname is not None and is_loopback(hostname.hostname) else "https"
        notes.append(f"the scheme is not in a raw request: {scheme}:// assumed")
    return f"{scheme}://{host}{pseudo.get(':path', target)}"


def parse_http(text: str) -> tuple[list[Exchange], list[str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    exchanges: list[Exchange] = []
    notes: list[str] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        match = _REQUEST_LINE.fullmatch(lines[index])
        if match is None:
            raise InputError(f"line {index + 1} is not an HTTP request line (METHOD target HTTP/1.1)")
        headers, index, block_notes = _header_block(lines, index + 1)
        notes += block_notes
        url = _request_url(match.group(2), headers, notes)
        pseudo_method = next((h.value.strip() for h in headers if h.name == ":method"), None)
        body, index = _body(lines, index + 1)
        request = Request(
            method=(pseudo_method or match.group(1)).upper(),
            url=url,
            headers=tuple(h for h in headers if not h.name.startswith(":")),
            body=body,
        )
        response = None
        while index < len(lines) and not lines[index].strip():
            index += 1
        status = _STATUS_LINE.fullmatch(lines[index]) if index < len(lines) else None
        if status is not None:
            response_headers, index, block_notes = _header_block(lines, index + 1)
            notes += block_notes
            response_body, index = _body(lines, index + 1)
            response = Response(
                status=int(status.group(2)),
                headers=tuple(response_headers),
                body=response_body,
                reason=status.group(3) or "",
            )
        exchanges.append(Exchange(request=request, response=response))
    if not exchanges:
        raise InputError("no HTTP request found")
    return exchanges, notes


# --------------------------------------------------------------------------------------------------------- HAR


def _har_headers(value: Any) -> tuple[Header, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Header(str(item.get("name", "")), str(item.get("value", "")))
        for item in value
        if isinstance(item, Mapping) and not str(item.get("name", "")).startswith(":")
    )


def _har_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # 9999-12-31 at -14:00 (or 0001-01-01 at +14:00) is a valid ISO date with no UTC equivalent.
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _har_request_body(request: Mapping[str, Any]) -> bytes:
    post = request.get("postData")
    if not isinstance(post, Mapping):
        return b""
    text = post.get("text")
    if isinstance(text, str):
        return text.encode("utf-8", "replace")
    params = post.get("params")
    if isinstance(params, list):
        pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params if isinstance(p, Mapping)]
        return urlencode(pairs, errors="replace").encode("utf-8", "replace")
    return b""


def _har_response_body(content: Any) -> bytes:
    if not isinstance(content, Mapping) or not isinstance(content.get("text"), str):
        return b""
    text = str(content["text"])
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return b""
    return text.encode("utf-8", "replace")


def _har_entry(entry: Mapping[str, Any]) -> Exchange | None:
    request = entry.get("request")
    if not isinstance(request, Mapping) or not isinstance(request.get("url"), str):
        return None
    sent_at = _har_time(entry.get("startedDateTime"))
    elapsed = entry.get("time")
    received_at = (
        sent_at + timedelta(milliseconds=float(elapsed))
        if sent_at is not None and isinstance(elapsed, int | float) and 0 <= elapsed < 1e9
        else None
    )
    captured = Request(
        method=str(request.get("method", "GET")).upper(),
        url=str(request["url"]),
        headers=_har_headers(request.get("headers")),
        body=_har_request_body(request),
    )
    answer = entry.get("response")
    response = None
    failure = None
    if isinstance(answer, Mapping):
        status = answer.get("status")
        if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 999:
            response = Response(
                status=status,
                headers=_har_headers(answer.get("headers")),
                body=_har_response_body(answer.get("content")),
                reason=str(answer.get("statusText", "")),
            )
        else:
            error = str(answer.get("_error") or entry.get("_error") or "")
            blocked = "ERR_FAILED" in error or "CORS" in error.upper() or status == 0
            failure = TransportFailure("blocked" if blocked else "other", "no HTTP status in the HAR entry")
    return Exchange(captured, response, failure, sent_at=sent_at, received_at=received_at)


def parse_har(document: Mapping[str, Any]) -> tuple[list[Exchange], list[str]]:
    log = document.get("log")
    entries = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(entries, list):
        raise InputError("JSON without log.entries: not a HAR file")
    exchanges = []
    notes = []
    for entry in entries:
        exchange = _har_entry(entry) if isinstance(entry, Mapping) else None
        if exchange is None:
            notes.append("a HAR entry without a request URL was ignored")
        else:
            exchanges.append(exchange)
    if not exchanges:
        raise InputError("the HAR file has no entries")
    return exchanges, notes


# --------------------------------------------------------------------------------------------------------- VCR


def _vcr_headers(value: Any) -> tuple[Header, ...]:
    if not isinstance(value, Mapping):
        return ()
    headers: list[Header] = []
    for name, values in value.items():
        for item in values if isinstance(values, list) else [values]:
            headers.append(Header(str(name), item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)))
    return tuple(headers)


def _vcr_body(value: Any) -> bytes:
    if isinstance(value, Mapping):
        if "base64_string" in value:
            try:
                return base64.b64decode(str(value["base64_string"]))
            except (binascii.Error, ValueError):
                return b""
        value = value.get("string")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    return b""


def parse_vcr(document: Mapping[str, Any]) -> tuple[list[Exchange], list[str]]:
    interactions = document.get("interactions")
    if not isinstance(interactions, list):
        raise InputError("a cassette needs a list of interactions")
    exchanges = []
    notes = []
    for interaction in interactions:
        request = interaction.get("request") if isinstance(interaction, Mapping) else None
        if not isinstance(request, Mapping) or not isinstance(request.get("uri"), str):
            notes.append("a cassette interaction without a request URI was ignored")
            continue
        captured = Request(
            method=str(request.get("method", "GET")).upper(),
            url=str(request["uri"]),
            headers=_vcr_headers(request.get("headers")),
            body=_vcr_body(request.get("body")),
        )
        answer = interaction.get("response")
        response = None
        if isinstance(answer, Mapping):
            status = answer.get("status")
            code = status.get("code") if isinstance(status, Mapping) else status
            if isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 999:
                reason = status.get("message", "") if isinstance(status, Mapping) else ""
                response = Response(
                    status=code,
                    headers=_vcr_headers(answer.get("headers")),
                    body=_vcr_body(answer.get("body")),
                    reason=str(reason),
                )
        exchanges.append(Exchange(captured, response))
    if not exchanges:
        raise InputError("the cassette has no interactions")
    return exchanges, notes


# ------------------------------------------------------------------------------------------------------ detect


def _without_surrogates(value: Any) -> Any:
    """JSON escapes can produce lone surrogates, which no encoder accepts: make them U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if re.search("[\ud800-\udfff]", value) else value
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    return value


MAX_YAML_NODES: Final = 2_000_000
"""Nodes a YAML document may expand to, aliases counted at their full size (a few MB of text has far fewer)."""
MAX_YAML_DEPTH: Final = 100
"""Collections a YAML document may nest (a VCR cassette nests a handful: bodies are strings). PyYAML's scanner
looks up to 1024 characters ahead for every level still open, so `[[[[...` costs about a millisecond per level:
a deep document is refused at this depth, not at Python's recursion limit (three times deeper)."""


@functools.cache
def _bounded_yaml_loader() -> type[yaml.SafeLoader]:
    """The loader class, built on first use: only cassettes need YAML, and importing it costs start-up."""
    import yaml  # noqa: PLC0415

    class _BoundedYAMLLoader(yaml.SafeLoader):
        """safe_load that counts what aliases expand to: nine nested aliases of nine make a billion nodes from
        600 bytes (the "billion laughs"), so a document past MAX_YAML_NODES is refused before anything walks it."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._expanded_size: dict[int, int] = {}
            self._depth = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            self._depth += 1
            try:
                if self._depth > MAX_YAML_DEPTH:
                    raise InputError(f"the YAML nests collections more than {MAX_YAML_DEPTH} levels deep")
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            if node is None or id(node) in self._expanded_size:  # an alias: the anchored node, sized already
                return node
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [item for pair in node.value for item in pair]
            size = 1 + sum(self._expanded_size.get(id(child), 1) for child in children)
            if size > MAX_YAML_NODES:
                raise InputError(f"the YAML expands to more than {MAX_YAML_NODES} nodes (aliases nested in aliases)")
            self._expanded_size[id(node)] = size
            return node

    return _BoundedYAMLLoader


def _structured(text: str) -> Any | None:
    """JSON or YAML documents as data (None when neither, or when it is plain text)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return _without_surrogates(_json.loads(stripped))
        except (ValueError, RecursionError) as error:
            raise InputError("the input starts like JSON but is not valid JSON") from error
    if re.search(r"^interactions\s*:", text, re.MULTILINE):
        import yaml  # noqa: PLC0415 - only cassettes need it; a curl command or HAR starts faster without

        try:
            loader = _bounded_yaml_loader()(text)
            try:
                return _without_surrogates(loader.get_single_data())
            finally:
                loader.dispose()
        except InputError:
            raise
        except (yaml.YAMLError, RecursionError, ValueError) as error:
            raise InputError("the input looks like a VCR cassette but is not valid YAML") from error
    return None


_FETCH: Final = re.compile(r"(?:^|[\s;=(])(?:await\s+)?fetch\s*\(\s*[\"'`]")
_POWERSHELL: Final = re.compile(
    r"Invoke-(?:WebRequest|RestMethod)\b|^\s*(?:iwr|irm)\s|WebRequestSession|-Headers\s+@\{",
    re.IGNORECASE | re.MULTILINE,
)
_CURL: Final = re.compile(r"(?:^|[\s$>])curl(?:\.exe)?(?:\s|$)")
_CMD_CURL: Final = re.compile(r"\^\"|\^[ \t]*$|^\s*curl\.exe\s", re.MULTILINE)
_HTTPIE: Final = re.compile(r"^[ \t]*(?:\$[ \t]+)?https?[ \t]+\S", re.MULTILINE)
_DETECT_WINDOW: Final = 4000
"""Detection looks at the start of the input only: a capture's kind shows in its first lines."""


def detect_format(text: str) -> Format | None:
    """Which kind of capture `text` is (structured ones are told apart by their keys once parsed)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    head = stripped[:_DETECT_WINDOW]
    if stripped.startswith(("{", "[")):
        return "har"
    if re.search(r"^interactions\s*:", text, re.MULTILINE):
        return "vcr"
    first = stripped.split("\n", 1)[0].strip()
    if _STRICT_REQUEST_LINE.fullmatch(first):
        return "http"
    if _FETCH.search(head):
        return "fetch"
    if _POWERSHELL.search(head):
        return "powershell"
    if _CURL.search(head):
        return "curl-cmd" if _CMD_CURL.search(head) else "curl"
    if _HTTPIE.search(head):
        return "httpie"
    return None


def decode_input(data: bytes) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"the input is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # PowerShell's `>` and Windows editors save UTF-16 with a byte-order mark.
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    if b"\x00" in data[:4096]:
        raise InputError("the input is binary, not text")
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _browser_origin(exchanges: tuple[Exchange, ...], referrers: list[str | None]) -> tuple[str | None, str | None]:
    for exchange, referrer in zip(exchanges, referrers, strict=False):
        found = page_origin(exchange.request, referrer)
        if found is not None:
            return found
    return None, None


def _from_requests(kind: Format, requests: list[Request], notes: list[str]) -> Capture:
    exchanges = _labelled([Exchange(request) for request in requests])
    origin, where = _browser_origin(exchanges, [None] * len(exchanges))
    return Capture(kind, exchanges, tuple(notes), origin, where)


def _read_text_capture(kind: Format, text: str) -> Capture:
    """The command-line and script formats (each a list of requests, no responses)."""
    try:
        if kind == "curl":
            return _from_requests(kind, *parse_curl(text))
        if kind == "curl-cmd":
            return _from_requests(kind, *parse_curl_cmd(text))
        if kind == "powershell":
            return _from_requests(kind, *parse_powershell(text))
        if kind == "httpie":
            return _from_requests(kind, *parse_httpie(shell_commands(text)))
        calls, notes = parse_fetch(text)
    except CurlError as error:
        raise InputError(str(error)) from None
    browser = any(call.browser for call in calls)
    exchanges = _labelled([Exchange(call.request) for call in calls])
    origin, where = (None, None)
    if browser:
        origin, where = _browser_origin(exchanges, [call.referrer for call in calls])
    credentials = browser and any(call.credentials == "include" for call in calls)
    return Capture("fetch" if browser else "fetch-nodejs", exchanges, tuple(notes), origin, where, credentials)


def parse_capture(data: bytes, input_format: str = "auto") -> Capture:
    """Exchanges from any supported capture; `input_format` is one of `INPUT_FORMATS`, or `auto` to detect."""
    text = decode_input(data)
    if not text.strip():
        raise InputError("the input is empty")
    kind: Format | None
    if input_format == "auto":
        kind = detect_format(text)
    elif input_format in INPUT_FORMATS:
        kind = next(name for name in INPUT_FORMATS if name == input_format)
    else:
        raise InputError(f"unknown input format {input_format[:20]!r}; known: auto, {', '.join(INPUT_FORMATS)}")
    if kind is None:
        raise InputError(
            "unrecognised input: expected a curl command (bash or cmd), PowerShell, fetch, HTTPie, raw HTTP,"
            " a HAR file, a Postman collection or a VCR cassette"
        )
    if kind in ("curl", "curl-cmd", "powershell", "fetch", "fetch-nodejs", "httpie"):
        return _read_text_capture(kind, text)
    if kind == "http":
        exchanges, notes = parse_http(text.lstrip("\ufeff \t\r\n"))
        labelled = _labelled(exchanges)
        origin, where = _browser_origin(labelled, [None] * len(labelled))
        return Capture("http", labelled, tuple(notes), origin, where)
    document = _structured(text)
    if not isinstance(document, Mapping):
        raise InputError("structured input that is neither a HAR file, a Postman collection nor a VCR cassette")
    if "log" in document and kind in ("har", "vcr", "postman"):
        exchanges, notes = parse_har(document)
        labelled = _labelled(exchanges)
        origin, where = _browser_origin(labelled, [None] * len(labelled))
        return Capture("har", labelled, tuple(notes), origin, where)
    if is_postman_collection(document):
        try:
            return _from_requests("postman", *parse_postman(document))
        except CurlError as error:
            raise InputError(str(error)) from None
    if "interactions" in document:
        exchanges, notes = parse_vcr(document)
        return Capture("vcr", _labelled(exchanges), tuple(notes))
    raise InputError(
        "structured input that is neither a HAR file (log.entries), a Postman collection (info.schema, item)"
        " nor a VCR cassette (interactions)"
    )
