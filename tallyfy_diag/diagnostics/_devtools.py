"""Read what a support ticket arrives with, besides POSIX curl, raw HTTP, HAR and cassettes: DevTools' "Copy as
cURL (cmd)", "Copy as PowerShell", "Copy as fetch" and "Copy as fetch (Node.js)" (Chrome and Firefox), a
Postman Collection v2.1 export, and HTTPie command lines.

Every reader is one left-to-right pass over the text (no backtracking regular expression touches input of
unbounded length), never runs anything, and raises `CurlError` with a line that does not quote the input.
What cannot be known offline (a `$token` PowerShell variable, a `%TOKEN%` cmd variable, a Postman variable
without a value) is kept as text and recorded as unresolved, like curl's shell variables.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import attrs

from tallyfy_diag.diagnostics._curl import CurlError, Word, curl_requests
from tallyfy_diag.diagnostics._evidence import Header, Request

# ------------------------------------------------------------------------------------------------ cURL (cmd)

_CMD_VARIABLE: Final = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")


def _cmd_lines(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """cmd.exe's first pass: carets escape (a caret before a newline continues the line), quotes protect,
    `&` separates commands. Yields each command's text for the C runtime's argument splitting."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    buffer: list[str] = []
    unresolved: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        character = text[index]
        if character == "^" and not quoted:
            following = text[index + 1 : index + 2]
            if following == "\n":
                # `^` + newline joins lines; Chrome writes a literal newline as `^` + two newlines.
                index += 2
                if text[index : index + 1] == "\n":
                    buffer.append("\n")
                    index += 1
                continue
            buffer.append(following)
            index += 2
            continue
        if character == '"':
            quoted = not quoted
        elif character == "%" and not quoted:
            match = _CMD_VARIABLE.match(text, index)
            if match is not None:
                unresolved.append(match.group(1))
        elif character in "\n&" and not quoted:
            if "".join(buffer).strip():
                yield "".join(buffer), tuple(unresolved)
            buffer, unresolved = [], []
            index += 1
            continue
        buffer.append(character)
        index += 1
    if "".join(buffer).strip():
        yield "".join(buffer), tuple(unresolved)


def _crt_words(line: str) -> list[str]:
    """The C runtime's argument splitting: quotes group, `\\"` is a quote, backslashes double before one."""
    words: list[str] = []
    buffer: list[str] = []
    quoted = started = False
    index = 0
    while index < len(line):
        character = line[index]
        if character == "\\":
            end = index
            while end < len(line) and line[end] == "\\":
                end += 1
            count = end - index
            started = True
            if end < len(line) and line[end] == '"':
                buffer.append("\\" * (count // 2))
                if count % 2:
                    buffer.append('"')
                    end += 1
            else:
                buffer.append("\\" * count)
            index = end
            continue
        if character == '"':
            if quoted and line[index + 1 : index + 2] == '"':
                buffer.append('"')
                index += 2
                continue
            quoted = not quoted
            started = True
        elif character in " \t\n" and not quoted:
            if started:
                words.append("".join(buffer))
                buffer, started = [], False
        else:
            buffer.append(character)
            started = True
        index += 1
    if started:
        words.append("".join(buffer))
    return words


def parse_curl_cmd(text: str) -> tuple[list[Request], list[str]]:
    """Chrome's and Firefox's "Copy as cURL (cmd)" (`^"` quoting, `^` continuations), or curl typed in cmd."""
    commands = []
    for line, unresolved in _cmd_lines(text):
        words = _crt_words(line)
        commands.append(
            [Word(word, tuple(name for name in unresolved if f"%{name}%" in word)) for word in words if word]
        )
    return curl_requests(commands)


# ------------------------------------------------------------------------------------------------ PowerShell


@attrs.frozen
class _Text:
    value: str = attrs.field(repr=False)
    unresolved: tuple[str, ...] = ()


@attrs.frozen
class _Table:
    entries: tuple[tuple[str, _Text], ...]


_Value = _Text | _Table
_PS_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "0": "\x00", "a": "\a", "b": "\b", "e": "\x1b"}
_PS_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")
_PS_CHAR: Final = re.compile(r"\$\(\[char\]\s*(\d{1,7})\)", re.IGNORECASE)
_PS_COMMANDS: Final = frozenset({"invoke-webrequest", "invoke-restmethod", "iwr", "irm", "curl", "wget"})


class _PowerShell:
    """A small PowerShell reader: strings, hashtables, variables, parameters, statements."""

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.position = 0
        self.variables: dict[str, _Value] = {}
        self.user_agent: str | None = None
        self.notes: list[str] = []

    def _peek(self, offset: int = 0) -> str:
        index = self.position + offset
        return self.text[index] if index < len(self.text) else ""

    def _skip_blanks(self, newlines: bool = False) -> None:
        while self.position < len(self.text):
            character = self._peek()
            if character in " \t" or (newlines and character in "\n;"):
                self.position += 1
            elif character == "`" and self._peek(1) == "\n":
                self.position += 2
            elif character == "#":
                end = self.text.find("\n", self.position)
                self.position = len(self.text) if end < 0 else end
            else:
                return

    def _double(self) -> _Text:
        self.position += 1
        buffer: list[str] = []
        unresolved: list[str] = []
        while True:
            character = self._peek()
            if not character:
                raise CurlError("unterminated double quote in the PowerShell command")
            if character == '"':
                if self._peek(1) == '"':
                    buffer.append('"')
                    self.position += 2
                    continue
                self.position += 1
                return _Text("".join(buffer), tuple(unresolved))
            if character == "`":
                escaped = self._peek(1)
                buffer.append(_PS_ESCAPES.get(escaped, escaped))
                self.position += 2
                continue
            if character == "$":
                self._expand(buffer, unresolved)
                continue
            buffer.append(character)
            self.position += 1

    def _expand(self, buffer: list[str], unresolved: list[str]) -> None:
        """At a `$` in a double-quoted string: Chrome's `$([char]N)`, a known variable, or an unresolved one."""
        char = _PS_CHAR.match(self.text, self.position)
        if char is not None:
            code = int(char.group(1))
            buffer.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd")
            self.position = char.end()
            return
        name = _PS_NAME.match(self.text, self.position + 1)
        if self._peek(1) == "{":
            end = self.text.find("}", self.position)
            name_text = self.text[self.position + 2 : end] if end > 0 else ""
            span_end = end + 1 if end > 0 else self.position + 1
        elif name is not None:
            name_text, span_end = name.group(0), name.end()
        else:
            buffer.append("$")
            self.position += 1
            return
        known = self.variables.get(name_text.lower())
        if isinstance(known, _Text):
            buffer.append(known.value)
            unresolved.extend(known.unresolved)
        else:
            buffer.append(self.text[self.position : span_end])
            unresolved.append(name_text)
        self.position = span_end

    def _single(self) -> _Text:
        self.position += 1
        buffer: list[str] = []
        while True:
            character = self._peek()
            if not character:
                raise CurlError("unterminated single quote in the PowerShell command")
            self.position += 1
            if character == "'":
                if self._peek() == "'":
                    buffer.append("'")
                    self.position += 1
                    continue
                return _Text("".join(buffer))
            buffer.append(character)

    def _bare(self) -> str:
        start = self.position
        while self.position < len(self.text) and self._peek() not in " \t\n;=}){(\"'`":
            self.position += 1
        return self.text[start : self.position]

    def _table(self) -> _Table:
        self.position += 2  # @{
        entries: list[tuple[str, _Text]] = []
        while True:
            self._skip_blanks(newlines=True)
            character = self._peek()
            if not character:
                raise CurlError("unterminated @{ in the PowerShell command")
            if character == "}":
                self.position += 1
                return _Table(tuple(entries))
            key = self._value()
            self._skip_blanks()
            if self._peek() != "=":
                raise CurlError("a PowerShell hashtable entry without `=`")
            self.position += 1
            self._skip_blanks()
            value = self._value()
            entries.append((key.value if isinstance(key, _Text) else "", _text_of(value)))

    def _parenthesised(self) -> _Value:
        """`( ... )`: the string inside (Chrome's `[System.Text.Encoding]::UTF8.GetBytes("...")`), if any."""
        depth = 0
        found: _Value | None = None
        while self.position < len(self.text):
            character = self._peek()
            if character == "(":
                depth += 1
                self.position += 1
            elif character == ")":
                depth -= 1
                self.position += 1
                if depth == 0:
                    break
            elif character in "\"'":
                value = self._double() if character == '"' else self._single()
                found = found or value
            else:
                self.position += 1
        return found or _Text("", ("(an expression)",))

    def _value(self) -> _Value:
        character = self._peek()
        if character == '"':
            return self._double()
        if character == "'":
            return self._single()
        if character == "@" and self._peek(1) == "{":
            return self._table()
        if character == "(":
            return self._parenthesised()
        if character == "$":
            name = _PS_NAME.match(self.text, self.position + 1)
            if name is not None:
                self.position = name.end()
                return self.variables.get(name.group(0).lower()) or _Text("$" + name.group(0), (name.group(0),))
        return _Text(self._bare())

    def statements(self) -> Iterator[list[_Value | str]]:
        """Each statement as its parts: parameter names as `-Name` strings, values as `_Text`/`_Table`."""
        while True:
            self._skip_blanks(newlines=True)
            if self.position >= len(self.text):
                return
            parts: list[_Value | str] = []
            while self.position < len(self.text) and self._peek() not in "\n;":
                character = self._peek()
                if character == "-" and (_PS_NAME.match(self.text, self.position + 1) is not None):
                    parts.append("-" + self._bare()[1:])
                elif character == "$" and not parts:
                    parts.append(self._bare())
                elif character == "=" and len(parts) == 1 and isinstance(parts[0], str):
                    parts.append("=")
                    self.position += 1
                else:
                    before = self.position
                    parts.append(self._value())
                    if self.position == before:
                        self.position += 1
                self._skip_blanks()
            yield parts

    def requests(self) -> list[Request]:
        requests = []
        for parts in self.statements():
            head = parts[0] if parts else None
            if isinstance(head, str) and head.startswith("$") and len(parts) >= 3 and parts[1] == "=":
                self._assign(head[1:], parts[2])
                continue
            name = head.value.lower() if isinstance(head, _Text) else ""
            if name in _PS_COMMANDS:
                requests.append(self._request(parts[1:]))
        return requests

    def _assign(self, target: str, value: _Value | str) -> None:
        if target.lower() == "session.useragent" and isinstance(value, _Text):
            self.user_agent = value.value
        elif "." not in target and not isinstance(value, str):
            self.variables[target.lower()] = value

    def _request(self, parts: list[_Value | str]) -> Request:
        arguments: dict[str, _Value] = {}
        positional: list[_Value] = []
        index = 0
        while index < len(parts):
            part = parts[index]
            index += 1
            if isinstance(part, str) and part.startswith("-"):
                following = parts[index] if index < len(parts) else None
                if following is not None and not (isinstance(following, str) and following.startswith("-")):
                    if not isinstance(following, str):
                        arguments[part[1:].lower()] = following
                    index += 1
                else:
                    arguments[part[1:].lower()] = _Text("")
            elif not isinstance(part, str):
                positional.append(part)
        uri = arguments.get("uri") or (positional[0] if positional else None)
        if not isinstance(uri, _Text) or not uri.value:
            raise CurlError("the PowerShell command has no -Uri")
        headers: list[Header] = []
        table = arguments.get("headers")
        if isinstance(table, _Table):
            for key, value in table.entries:
                # Chrome copies HTTP/2 pseudo-headers without their colon: not headers a client sends.
                if key.lower() in {"authority", "method", "path", "scheme"}:
                    continue
                source = _unresolved_source(value.unresolved, "PowerShell variable")
                headers.append(Header(key, value.value, source, value.unresolved))
        elif table is not None:
            self.notes.append("-Headers is not a literal hashtable, so the headers are unknown")
        content_type = arguments.get("contenttype")
        if isinstance(content_type, _Text) and content_type.value:
            headers.append(Header("Content-Type", content_type.value, "-ContentType"))
        user_agent = arguments.get("useragent")
        if isinstance(user_agent, _Text):
            headers.append(Header("User-Agent", user_agent.value, "-UserAgent"))
        elif self.user_agent is not None and "websession" in arguments:
            headers.append(Header("User-Agent", self.user_agent, "$session.UserAgent"))
        body = arguments.get("body")
        body_known = True
        body_bytes = b""
        if isinstance(body, _Table):
            body_bytes = urlencode([(key, value.value) for key, value in body.entries]).encode()
            if not any(h.name.lower() == "content-type" for h in headers):
                headers.append(Header("Content-Type", "application/x-www-form-urlencoded", "PowerShell's default"))
        elif isinstance(body, _Text):
            body_bytes = body.value.encode("utf-8", "replace")
            body_known = not body.unresolved
        method = arguments.get("method")
        verb = method.value.upper() if isinstance(method, _Text) and method.value else ("POST" if body else "GET")
        return Request(verb, uri.value, headers=tuple(headers), body=body_bytes, body_known=body_known)


def _text_of(value: _Value) -> _Text:
    return value if isinstance(value, _Text) else _Text("", ("(a nested table)",))


def _unresolved_source(unresolved: tuple[str, ...], kind: str) -> str | None:
    return ", ".join(f"{kind} {name}" for name in unresolved) if unresolved else None


def parse_powershell(text: str) -> tuple[list[Request], list[str]]:
    """DevTools' "Copy as PowerShell" (Invoke-WebRequest with a WebRequestSession) or a hand-written
    Invoke-RestMethod call; `$variables` assigned earlier in the text are resolved."""
    reader = _PowerShell(text)
    requests = reader.requests()
    if not requests:
        raise CurlError("no Invoke-WebRequest or Invoke-RestMethod command found")
    return requests, reader.notes


# ----------------------------------------------------------------------------------------------------- fetch

_FETCH_CALL: Final = re.compile(r"\bfetch\s*\(\s*")
_DECODER: Final = json.JSONDecoder()


@attrs.frozen
class FetchCall:
    request: Request
    browser: bool
    """Copied "as fetch" for a browser (it carries `mode`), not "as fetch (Node.js)"."""
    referrer: str | None
    credentials: str | None


def _js_string(text: str, position: int) -> tuple[str, int]:
    quote = text[position : position + 1]
    if quote == '"':
        try:
            value, end = _DECODER.raw_decode(text, position)
        except ValueError:
            raise CurlError("the fetch URL is not a string literal") from None
        return str(value), end
    if quote in {"'", "`"}:
        end = text.find(quote, position + 1)
        if end < 0:
            raise CurlError("unterminated string in the fetch call")
        return text[position + 1 : end], end + 1
    raise CurlError("the fetch URL is not a string literal")


def parse_fetch(text: str) -> tuple[list[FetchCall], list[str]]:
    """DevTools' "Copy as fetch" / "Copy as fetch (Node.js)": `fetch(URL, OPTIONS)` with OPTIONS as JSON."""
    calls: list[FetchCall] = []
    notes: list[str] = []
    for match in _FETCH_CALL.finditer(text):
        url, position = _js_string(text, match.end())
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        options: Any = {}
        if text[position : position + 1] == ",":
            position += 1
            while position < len(text) and text[position] in " \t\r\n":
                position += 1
            if text[position : position + 1] not in ("{", ")"):
                raise CurlError("the fetch options are not an object literal")
            if text[position : position + 1] == "{":
                try:
                    options, position = _DECODER.raw_decode(text, position)
                except (ValueError, RecursionError):
                    raise CurlError(
                        "the fetch options are not JSON as DevTools writes them (quoted keys, no trailing comma)"
                    ) from None
        if not isinstance(options, Mapping):
            raise CurlError("the fetch options are not an object")
        calls.append(_fetch_call(url, options, notes))
    if not calls:
        raise CurlError("no fetch(...) call found")
    return calls, notes


def _fetch_call(url: str, options: Mapping[str, Any], notes: list[str]) -> FetchCall:
    raw_headers = options.get("headers") or {}
    pairs: list[tuple[str, str]] = []
    if isinstance(raw_headers, Mapping):
        pairs = [(str(name), str(value)) for name, value in raw_headers.items()]
    elif isinstance(raw_headers, list):
        pairs = [(str(item[0]), str(item[1])) for item in raw_headers if isinstance(item, list) and len(item) == 2]
    headers = [Header(name, value, "the fetch headers") for name, value in pairs]
    body = options.get("body")
    body_bytes = b""
    body_known = True
    if isinstance(body, str):
        body_bytes = body.encode("utf-8", "replace")
    elif body is not None:
        body_known = False
        notes.append("the fetch body is not a string, so it is unknown")
    method = str(options.get("method") or "GET").upper()
    browser = "mode" in options or "credentials" in options
    referrer = options.get("referrer")
    credentials = options.get("credentials")
    if browser and isinstance(credentials, str) and credentials == "include":
        notes.append(
            "the capture says credentials: 'include' (Chrome writes that whenever the call carried cookies or an"
            " Authorization header)"
        )
    return FetchCall(
        Request(method, url, headers=tuple(headers), body=body_bytes, body_known=body_known),
        browser=browser,
        referrer=referrer if isinstance(referrer, str) and referrer else None,
        credentials=credentials if isinstance(credentials, str) else None,
    )


# ---------------------------------------------------------------------------------------- Postman v2.1

_POSTMAN_VARIABLE: Final = re.compile(r"\{\{([^{}]{1,200})\}\}")


def is_postman_collection(document: Mapping[str, Any]) -> bool:
    info = document.get("info")
    schema = info.get("schema") if isinstance(info, Mapping) else None
    return isinstance(document.get("item"), list) and isinstance(schema, str) and "collection" in schema


def _entries(value: Any) -> list[Any]:
    """A collection's list of entries (variables, headers, form fields), or none when the field holds anything
    else: `true` or a number there is malformed, not a reason to crash (a string or an object held no entries
    before either, since none of its items is an object)."""
    return value if isinstance(value, list) else []


class _Postman:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.variables: dict[str, str] = {}
        for variable in _entries(document.get("variable")):
            if isinstance(variable, Mapping) and isinstance(variable.get("key"), str) and not variable.get("disabled"):
                self.variables[variable["key"]] = str(
                    variable.get("value") if variable.get("value") is not None else ""
                )
        self.notes: list[str] = []
        self.requests: list[Request] = []

    def resolve(self, text: str, unresolved: list[str]) -> str:
        """`{{name}}` replaced by the collection variable's value (one pass: values are not re-expanded)."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in self.variables:
                return self.variables[name]
            unresolved.append(name)
            return match.group(0)

        return _POSTMAN_VARIABLE.sub(replace, text)

    def walk(self, items: Any, inherited_auth: Any, depth: int = 0) -> None:
        if not isinstance(items, list) or depth > 50:
            return
        for item in items:
            if not isinstance(item, Mapping):
                continue
            auth = item.get("auth", inherited_auth) if "auth" in item else inherited_auth
            if isinstance(item.get("item"), list):
                self.walk(item["item"], auth, depth + 1)
            elif "request" in item:
                request = self.request(item["request"], auth)
                if request is not None:
                    self.requests.append(request)

    def request(self, raw: Any, inherited_auth: Any) -> Request | None:
        if isinstance(raw, str):
            raw = {"url": raw, "method": "GET"}
        if not isinstance(raw, Mapping):
            return None
        unresolved: list[str] = []
        url_field = raw.get("url")
        url = url_field.get("raw") if isinstance(url_field, Mapping) else url_field
        if not isinstance(url, str) or not url:
            self.notes.append("a Postman request without a URL was ignored")
            return None
        url = self.resolve(url, unresolved)
        if "://" not in url and not url.startswith("{{"):
            url = "http://" + url  # Postman's default, like curl's
        headers: list[Header] = []
        for header in _entries(raw.get("header")):
            if isinstance(header, Mapping) and not header.get("disabled") and isinstance(header.get("key"), str):
                names: list[str] = []
                value = self.resolve(str(header.get("value", "")), names)
                unresolved += names
                headers.append(
                    Header(header["key"], value, _unresolved_source(tuple(names), "Postman variable"), tuple(names))
                )
        auth = raw.get("auth", inherited_auth) if "auth" in raw else inherited_auth
        url = self.apply_auth(auth, headers, url)
        body, content_type = self.body(raw.get("body"), unresolved)
        if content_type and not any(header.name.lower() == "content-type" for header in headers):
            headers.append(Header("Content-Type", content_type, "Postman's body mode"))
        method = str(raw.get("method") or "GET").upper()
        return Request(method, url, headers=tuple(headers), body=body)

    def auth_values(self, auth: Mapping[str, Any], kind: str) -> dict[str, str]:
        entries = auth.get(kind)
        if isinstance(entries, Mapping):  # v2.0 wrote an object
            return {str(key): str(value) for key, value in entries.items()}
        if isinstance(entries, list):
            return {str(e.get("key")): str(e.get("value", "")) for e in entries if isinstance(e, Mapping)}
        return {}

    def apply_auth(self, auth: Any, headers: list[Header], url: str) -> str:
        """Collection, folder or request auth as Postman sends it (the nearest one wins; `noauth` sends none)."""
        if not isinstance(auth, Mapping):
            return url
        kind = str(auth.get("type", "noauth"))
        values = self.auth_values(auth, kind)
        names: list[str] = []
        if kind == "bearer":
            token = self.resolve(values.get("token", ""), names)
            headers.append(
                Header("Authorization", f"Bearer {token}", self._source("auth (bearer)", names), tuple(names))
            )
        elif kind == "oauth2":
            token = self.resolve(values.get("accessToken", ""), names)
            prefix = values.get("headerPrefix", "Bearer") or "Bearer"
            if values.get("addTokenTo", "header") == "queryParams":
                return url + ("&" if "?" in url else "?") + urlencode({"access_token": token})
            headers.append(
                Header("Authorization", f"{prefix} {token}", self._source("auth (oauth2)", names), tuple(names))
            )
        elif kind == "basic":
            user = self.resolve(values.get("username", ""), names)
            password = self.resolve(values.get("password", ""), names)
            encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers.append(Header("Authorization", f"Basic {encoded}", self._source("auth (basic)", names)))
        elif kind == "apikey":
            key = self.resolve(values.get("key", ""), names)
            value = self.resolve(values.get("value", ""), names)
            if values.get("in") == "query":
                return url + ("&" if "?" in url else "?") + urlencode({key: value})
            headers.append(Header(key, value, self._source("auth (API key)", names), tuple(names)))
        elif kind != "noauth":
            self.notes.append(f"Postman auth type {kind[:20]!r} is not read")
        return url

    def _source(self, what: str, names: list[str]) -> str:
        return f"the collection's {what}" + (f", Postman variable {', '.join(names)}" if names else "")

    def body(self, body: Any, unresolved: list[str]) -> tuple[bytes, str | None]:
        if not isinstance(body, Mapping) or body.get("disabled"):
            return b"", None
        mode = body.get("mode")
        if not isinstance(mode, str):  # malformed (a list or an object cannot even be looked up): no body read
            return b"", None
        if mode == "raw":
            text = self.resolve(str(body.get("raw", "")), unresolved)
            options = body.get("options")
            raw_options = options.get("raw") if isinstance(options, Mapping) else None
            language = raw_options.get("language") if isinstance(raw_options, Mapping) else None
            content_type = {"json": "application/json", "xml": "application/xml", "text": "text/plain"}.get(
                str(language), "text/plain"
            )
            return text.encode("utf-8", "replace"), content_type
        if mode in {"urlencoded", "formdata"}:
            pairs = [
                (self.resolve(str(e.get("key", "")), unresolved), self.resolve(str(e.get("value", "")), unresolved))
                for e in _entries(body.get(mode))
                if isinstance(e, Mapping) and not e.get("disabled")
            ]
            if mode == "formdata":
                self.notes.append("a Postman form-data body is shown as a form, not multipart")
            return urlencode(pairs).encode("utf-8", "replace"), (
                "application/x-www-form-urlencoded" if mode == "urlencoded" else "multipart/form-data"
            )
        return b"", None


def parse_postman(document: Mapping[str, Any]) -> tuple[list[Request], list[str]]:
    """A Postman Collection v2.1 (or v2.0) export: folders walked, auth inherited, `{{variables}}` resolved
    from the collection's own variables (an environment's values are not in the export)."""
    reader = _Postman(document)
    reader.walk(document.get("item"), document.get("auth"))
    if not reader.requests:
        raise CurlError("the Postman collection has no requests")
    unknown = sorted({name for request in reader.requests for header in request.headers for name in header.unresolved})
    if unknown:
        reader.notes.append(
            f"Postman variables without a value in the collection: {', '.join(unknown)} (an environment sets them)"
        )
    return reader.requests, reader.notes


# ----------------------------------------------------------------------------------------------------- HTTPie

_HTTPIE_VALUE_OPTIONS: Final = frozenset(
    {
        "--auth", "-a", "--auth-type", "-A", "--print", "-p", "--timeout", "--verify", "--session",
        "--session-read-only", "--raw", "--pretty", "--style", "-s", "--output", "-o", "--default-scheme",
        "--proxy", "--cert", "--cert-key", "--cert-key-pass", "--max-redirects", "--boundary", "--format-options",
        "--response-charset", "--response-mime", "--max-headers", "--ssl", "--ciphers",
    }
)  # fmt: skip
_HTTPIE_SEPARATORS: Final = (":=@", "==", "=@", ":=", "@", "=", ":", ";")
_METHOD: Final = re.compile(r"[A-Za-z]{3,10}")


def _item(text: str) -> tuple[str, str, str] | None:
    """(key, separator, value) of a request item; a backslash escapes a separator character in the key."""
    key: list[str] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character == "\\" and index + 1 < len(text):
            key.append(text[index + 1])
            index += 2
            continue
        for separator in _HTTPIE_SEPARATORS:
            if text.startswith(separator, index):
                return "".join(key), separator, text[index + len(separator) :]
        key.append(character)
        index += 1
    return None


def _httpie_url(text: str, scheme: str) -> str:
    if text.startswith(":"):
        # HTTPie's localhost shorthand: `:3000/path`, `:/path`.
        port, _, path = text[1:].partition("/")
        return f"{scheme}://localhost{':' + port if port else ''}/{path}"
    return text if "://" in text else f"{scheme}://{text}"


def parse_httpie(commands: list[list[Word]]) -> tuple[list[Request], list[str]]:
    """HTTPie command lines (`http`, `https`): METHOD, URL and request items (`Header:value`, `field=value`
    JSON by default or a form with -f, `field:=json`, `param==value`), -a/-A auth; HTTPie's default headers."""
    requests: list[Request] = []
    notes: list[str] = []
    for command in commands:
        words = command[1:] if command and command[0].text in {"$", ">"} else command
        if not words or words[0].text not in {"http", "https"}:
            continue
        requests.append(_httpie_request(words, notes))
    if not requests:
        raise CurlError("no http or https (HTTPie) command found")
    return requests, notes


def _httpie_request(words: list[Word], notes: list[str]) -> Request:
    scheme = "https" if words[0].text == "https" else "http"
    form = False
    auth: Word | None = None
    auth_type = "basic"
    positional: list[Word] = []
    index = 1
    while index < len(words):
        word = words[index]
        text = word.text
        index += 1
        if text.startswith("-") and len(text) > 1:
            name, equals, inline = text.partition("=")
            if name in _HTTPIE_VALUE_OPTIONS:
                argument = Word(inline, word.unresolved) if equals else (words[index] if index < len(words) else None)
                if not equals:
                    index += 1
                if argument is None:
                    raise CurlError(f"HTTPie option {name} needs a value")
                if name in {"--auth", "-a"}:
                    auth = argument
                elif name in {"--auth-type", "-A"}:
                    auth_type = argument.text.lower()
                elif name == "--default-scheme":
                    scheme = argument.text
            elif name in {"--form", "-f", "--multipart"}:
                form = True
            continue
        positional.append(word)
    if positional and _METHOD.fullmatch(positional[0].text) and positional[0].text.isupper() and len(positional) > 1:
        method: str | None = positional[0].text
        positional = positional[1:]
    else:
        method = None
    if not positional:
        raise CurlError("the HTTPie command has no URL")
    url = _httpie_url(positional[0].text, scheme)
    headers: list[Header] = []
    fields: list[tuple[str, Any]] = []
    query: list[tuple[str, str]] = []
    body_known = True
    for word in positional[1:]:
        item = _item(word.text)
        if item is None:
            raise CurlError("an HTTPie request item without a separator (Header:value, field=value)")
        key, separator, value = item
        if separator == ":":
            source = _unresolved_source(word.unresolved, "shell variable") if word.unresolved else None
            headers.append(Header(key, value, source, word.unresolved))
        elif separator == ";":
            headers.append(Header(key, "", None, word.unresolved))
        elif separator == "==":
            query.append((key, value))
        elif separator == "=":
            fields.append((key, value))
        elif separator == ":=":
            try:
                fields.append((key, json.loads(value)))
            except ValueError:
                raise CurlError("an HTTPie := item whose value is not JSON") from None
        else:
            body_known = False
            notes.append("an HTTPie item read from a file (@) was not read")
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    names = {header.name.lower() for header in headers}
    body = b""
    if fields and form:
        body = urlencode([(key, str(value)) for key, value in fields]).encode("utf-8", "replace")
        if "content-type" not in names:
            headers.append(Header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8", "HTTPie -f"))
    elif fields:
        body = json.dumps(dict(fields)).encode("utf-8")
        if "content-type" not in names:
            headers.append(Header("Content-Type", "application/json", "HTTPie's default"))
    if "accept" not in names:
        accept = "application/json, */*;q=0.5" if fields and not form else "*/*"
        headers.append(Header("Accept", accept, "HTTPie's default"))
    if auth is not None and "authorization" not in names:
        source = "-a"
        if auth_type == "bearer":
            headers.append(Header("Authorization", f"Bearer {auth.text}", source, auth.unresolved))
        else:
            credentials = auth.text if ":" in auth.text else auth.text + ":"
            encoded = base64.b64encode(credentials.encode("utf-8", "replace")).decode("ascii")
            headers.append(Header("Authorization", f"Basic {encoded}", source, auth.unresolved))
    verb = method or ("POST" if fields or not body_known else "GET")
    return Request(verb.upper(), url, headers=tuple(headers), body=body, body_known=body_known)


# ------------------------------------------------------------------------------------------------ page origin


def origin_of(url: str) -> str | None:
    """The serialized origin of a page URL (`scheme://host[:port]`), or None."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port and port != default else "")


def page_origin(request: Request, referrer: str | None = None) -> tuple[str, str] | None:
    """(origin, where it came from) of the page that sent a browser request, when it is another origin than
    the request's own (a same-origin call needs no CORS)."""
    origin_header = request.header("origin")
    found: tuple[str, str] | None = None
    if origin_header and origin_header.strip() != "null":
        origin = origin_of(origin_header)
        found = (origin, "its Origin header") if origin else None
    if found is None:
        referer = referrer or request.header("referer")
        fetch_mode = (request.header("sec-fetch-mode") or "").strip().lower()
        if referer and (referrer is not None or fetch_mode == "cors"):
            origin = origin_of(referer)
            found = (origin, "the page address (referrer)") if origin else None
    if found is None or found[0] == origin_of(request.url):
        return None
    return found
