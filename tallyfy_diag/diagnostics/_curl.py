"""Read a curl command line the way a POSIX shell and curl would, without running either.

Shell: single, double and `$'...'` quotes, backslash escapes, line continuations (`\\`, and `^`/backtick from
Windows shells), comments, and `;`/`&&`/`|` between commands. A `$VAR` or `$(...)` the shell would expand is
kept as text and recorded as unresolved, so the checks can say "the token comes from $TOKEN" instead of
judging the variable's name. Inside single quotes it is NOT expanded, which is a real bug worth reporting.

curl: the options that shape the request (-X -H -d --data-* --json -F -u -G -I -A -e -b --oauth2-bearer
--url), with curl's defaults (POST with data, form content type, `Accept: */*`, http:// for a bare host).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from typing import Final
from urllib.parse import quote

import attrs

from tallyfy_diag.diagnostics._evidence import Header, Request


class CurlError(ValueError):
    """The command cannot be read; the message never quotes its content."""


@attrs.frozen
class Word:
    text: str = attrs.field(repr=False)
    unresolved: tuple[str, ...] = ()


# `${NAME...}` looks at most 128 characters ahead for its `}`: an unbounded look from every `$` is quadratic.
_VARIABLE: Final = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*+)[^}]{0,128}+\}|([A-Za-z_][A-Za-z0-9_]*+))")
_ANSI_ESCAPES: Final = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "0": "\x00",
    "a": "\a",
    "e": "\x1b",
}
_SEPARATORS: Final = (";", "&&", "||", "|", "&")
_SEPARATOR_STARTS: Final = frozenset(separator[0] for separator in _SEPARATORS)
MAX_WORDS: Final = 2000
"""More words than any hand-written curl command has; every option and header costs the checks time."""
# Inside $'...': a run of plain text, \xHH, \uHHHH, any other escaped character, or the closing quote.
_ANSI_TOKEN: Final = re.compile(
    r"(?P<plain>[^\\']+)|\\(?:x(?P<x>[0-9A-Fa-f]{1,2})|u(?P<u>[0-9A-Fa-f]{1,4})|(?P<escape>.))|'", re.DOTALL
)


class _Lexer:
    def __init__(self, text: str) -> None:
        # Line continuations: backslash (POSIX), caret (cmd.exe), backtick (PowerShell) before a newline.
        self.text = re.sub(r"[\\^`][ \t]*\r?\n", " ", text)
        self.position = 0

    def _peek(self, offset: int = 0) -> str:
        index = self.position + offset
        return self.text[index] if index < len(self.text) else ""

    def _expansion(self, buffer: list[str], unresolved: list[str]) -> None:
        """At a `$`: record what the shell would expand, keep its text."""
        if self._peek(1) == "(":
            depth, start = 0, self.position
            while self.position < len(self.text):
                character = self.text[self.position]
                depth += character == "("
                depth -= character == ")"
                self.position += 1
                if depth == 0 and character == ")":
                    break
            substitution = self.text[start : self.position]
            buffer.append(substitution)
            unresolved.append(substitution)
            return
        match = _VARIABLE.match(self.text, self.position)
        if match is None:
            buffer.append("$")
            self.position += 1
            return
        buffer.append(match.group(0))
        unresolved.append(match.group(1) or match.group(2))
        self.position = match.end()

    def _single(self, buffer: list[str]) -> None:
        end = self.text.find("'", self.position + 1)
        if end < 0:
            raise CurlError("unterminated single quote in the curl command")
        buffer.append(self.text[self.position + 1 : end])
        self.position = end + 1

    def _ansi_c(self, buffer: list[str]) -> None:
        text, position = self.text, self.position + 2
        while True:
            # One match per token (a run of plain text, an escape, the closing quote): a loop per character
            # took seconds on a megabyte of escapes.
            token = _ANSI_TOKEN.match(text, position)
            if token is None:  # the end of the text, or a backslash ending it
                raise CurlError("unterminated $'...' quote in the curl command")
            position = token.end()
            plain, hex_x, hex_u, escape = token.group("plain", "x", "u", "escape")
            if plain is not None:
                buffer.append(plain)
            elif hex_x or hex_u:
                code_point = int(hex_x or hex_u, 16)
                buffer.append("\ufffd" if 0xD800 <= code_point <= 0xDFFF else chr(code_point))
            elif escape is not None:
                buffer.append(_ANSI_ESCAPES.get(escape, "\\" + escape))
            else:  # the closing quote
                self.position = position
                return

    def _double(self, buffer: list[str], unresolved: list[str]) -> None:
        self.position += 1
        while True:
            character = self._peek()
            if not character:
                raise CurlError("unterminated double quote in the curl command")
            if character == '"':
                self.position += 1
                return
            if character == "\\" and self._peek(1) in {"$", "`", '"', "\\"}:
                buffer.append(self._peek(1))
                self.position += 2
            elif character == "$":
                self._expansion(buffer, unresolved)
            else:
                buffer.append(character)
                self.position += 1

    def commands(self) -> Iterator[list[Word]]:
        """Each command as its words."""
        words: list[Word] = []
        while self.position < len(self.text):
            character = self._peek()
            if character in " \t\r":
                self.position += 1
                continue
            if character == "\n" or character in _SEPARATOR_STARTS:
                separator = next((s for s in _SEPARATORS if self.text.startswith(s, self.position)), "\n")
                self.position += len(separator)
                if words:
                    yield words
                words = []
                continue
            if character == "#":
                end = self.text.find("\n", self.position)
                self.position = len(self.text) if end < 0 else end
                continue
            words.append(self._word())
            if len(words) > MAX_WORDS:
                raise CurlError(f"the curl command has more than {MAX_WORDS} words; shorten it to the failing call")
        if words:
            yield words

    def _word(self) -> Word:
        buffer: list[str] = []
        unresolved: list[str] = []
        while self.position < len(self.text):
            character = self._peek()
            if character in " \t\r\n" or character in _SEPARATOR_STARTS:
                break
            if character == "'":
                self._single(buffer)
            elif character == "$" and self._peek(1) == "'":
                self._ansi_c(buffer)
            elif character == '"':
                self._double(buffer, unresolved)
            elif character == "\\":
                buffer.append(self._peek(1))
                self.position += 2
            elif character == "$":
                self._expansion(buffer, unresolved)
            else:
                buffer.append(character)
                self.position += 1
        return Word("".join(buffer), tuple(unresolved))


def shell_commands(text: str) -> list[list[Word]]:
    return list(_Lexer(text).commands())


# -------------------------------------------------------------------------------------------------------- curl

_TAKES_ARGUMENT: Final = frozenset(
    {
        "-X", "--request", "-H", "--header", "-d", "--data", "--data-ascii", "--data-binary", "--data-raw",
        "--data-urlencode", "-F", "--form", "--form-string", "-u", "--user", "-A", "--user-agent", "-e",
        "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-o", "--output", "-w", "--write-out", "-m",
        "--max-time", "--connect-timeout", "--url", "--json", "-x", "--proxy", "-U", "--proxy-user",
        "--oauth2-bearer", "-T", "--upload-file", "-r", "--range", "--cacert", "--capath", "--cert", "-E",
        "--key", "--resolve", "--connect-to", "--retry", "--retry-delay", "--retry-max-time", "-K", "--config",
        "--limit-rate", "-y", "--speed-time", "-Y", "--speed-limit", "-z", "--time-cond", "--max-redirs",
        "--variable", "--expand-data", "--expand-header", "--expand-url", "--aws-sigv4", "--interface",
        "--dns-servers", "--trace", "--trace-ascii", "--stderr", "--proto", "--proto-redir", "-Q", "--quote",
        "--netrc-file", "--pinnedpubkey", "--ciphers", "--tls-max", "--keepalive-time", "-D", "--dump-header",
        "--unix-socket", "--abstract-unix-socket", "--happy-eyeballs-timeout-ms", "--ignore-content-length",
    }
)  # fmt: skip
_DATA_OPTIONS: Final = frozenset(
    {"-d", "--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode", "--json"}
)
_SHORT_WITH_ARGUMENT: Final = frozenset(option[1] for option in _TAKES_ARGUMENT if len(option) == 2)
DEFAULT_SOURCE: Final = "curl's default"


@attrs.define
class _Command:
    method: str | None = None
    url: Word | None = None
    headers: list[Header] = attrs.field(factory=list)
    removed: set[str] = attrs.field(factory=set)
    data: list[str] = attrs.field(factory=list)
    body_known: bool = True
    json: bool = False
    form: list[str] = attrs.field(factory=list)
    get: bool = False
    head: bool = False
    notes: list[str] = attrs.field(factory=list)


def _options(words: list[Word]) -> Iterator[tuple[str, Word | None]]:
    """(option, argument) pairs; positional words come as ("", word)."""
    index = 0
    while index < len(words):
        word = words[index]
        text = word.text
        index += 1
        if text == "--" or not text.startswith("-") or text == "-":
            yield "", word
            continue
        if text.startswith("--"):
            name, equals, inline = text.partition("=")
            if name in _TAKES_ARGUMENT:
                if equals:
                    yield name, Word(inline, word.unresolved)
                elif index < len(words):
                    yield name, words[index]
                    index += 1
                else:
                    raise CurlError(f"curl option {name} needs a value")
            else:
                yield name, None
            continue
        # A cluster of short options: -sSL, -XPOST, -H'Name: value'.
        for position, letter in enumerate(text[1:], start=1):
            if letter in _SHORT_WITH_ARGUMENT:
                rest = text[position + 1 :]
                if rest:
                    yield f"-{letter}", Word(rest, word.unresolved)
                elif index < len(words):
                    yield f"-{letter}", words[index]
                    index += 1
                else:
                    raise CurlError(f"curl option -{letter} needs a value")
                break
            yield f"-{letter}", None


def _header(command: _Command, word: Word, source: str | None = None) -> None:
    text = word.text
    if text.startswith("@"):
        command.notes.append("headers read from a file (-H @file) were not read")
        return
    name, colon, value = text.partition(":")
    if not colon:
        if text.endswith(";"):
            command.headers.append(Header(text[:-1], "", source, word.unresolved))
        else:
            command.notes.append("a -H value without a colon was ignored, as curl does")
        return
    if not value.strip(" \t"):
        command.removed.add(name.strip().lower())  # `-H "Name:"` removes a header in curl
        return
    variable_source = source
    if word.unresolved and source is None:
        variable_source = "shell " + ", ".join(
            f"variable ${name}" if not name.startswith("$(") else f"command substitution {name}"
            for name in word.unresolved
        )
    # Leading whitespace after the colon is optional whitespace, not part of the value (RFC 9110 §5.6.3).
    command.headers.append(Header(name, value.lstrip(" \t"), variable_source, word.unresolved))


def _data(command: _Command, option: str, word: Word) -> None:
    text = word.text
    if option == "--data-urlencode":
        name, equals, content = text.partition("=")
        if not equals:
            if "@" in text:
                command.body_known = False
                command.notes.append("--data-urlencode from a file was not read")
                return
            command.data.append(quote(text, safe="", errors="replace"))
        elif name:
            command.data.append(f"{name}={quote(content, safe='', errors='replace')}")
        else:
            command.data.append(quote(content, safe="", errors="replace"))
        return
    if text.startswith("@") and option != "--data-raw":
        command.body_known = False
        command.notes.append(f"{option} @file: the file was not read, so the body is unknown")
        return
    command.data.append(text)
    if option == "--json":
        command.json = True


def _apply(command: _Command, option: str, word: Word | None) -> None:
    if option == "":
        assert word is not None
        if word.text in {"curl", "curl.exe"} and command.url is None and not command.headers:
            return
        if command.url is None:
            command.url = word
        else:
            command.notes.append("more than one URL: only the first is read")
        return
    if word is None:
        if option in {"-G", "--get"}:
            command.get = True
        elif option in {"-I", "--head"}:
            command.head = True
        elif option in {"-L", "--location"}:
            command.notes.append("-L: curl follows redirects (and drops Authorization when the host changes)")
        return
    if option in {"-X", "--request"}:
        command.method = word.text.strip()
    elif option in {"-H", "--header"}:
        _header(command, word)
    elif option in _DATA_OPTIONS:
        _data(command, option, word)
    elif option in {"-F", "--form", "--form-string"}:
        command.form.append(word.text)
    elif option in {"-u", "--user"}:
        credentials = word.text if ":" in word.text else word.text + ":"
        encoded = base64.b64encode(credentials.encode("utf-8", "replace")).decode("ascii")
        command.headers.append(Header("Authorization", f"Basic {encoded}", "-u", word.unresolved))
    elif option == "--oauth2-bearer":
        _header(command, Word(f"Authorization: Bearer {word.text}", word.unresolved), "--oauth2-bearer")
    elif option in {"-A", "--user-agent"}:
        command.headers.append(Header("User-Agent", word.text, "-A"))
    elif option in {"-e", "--referer"}:
        command.headers.append(Header("Referer", word.text, "-e"))
    elif option in {"-b", "--cookie"} and "=" in word.text:
        command.headers.append(Header("Cookie", word.text, "-b", word.unresolved))
    elif option == "--url":
        _apply(command, "", word)


def _multipart(fields: list[str]) -> tuple[str, bytes]:
    boundary = "------------------------tallyfydiag"
    parts = []
    for field in fields:
        name, _, value = field.partition("=")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    return f"multipart/form-data; boundary={boundary}", ("".join(parts) + f"--{boundary}--\r\n").encode(
        "utf-8", "replace"
    )


def _has(command: _Command, name: str) -> bool:
    return any(header.name.strip().lower() == name for header in command.headers)


def _finish(command: _Command) -> tuple[Request, list[str]]:
    if command.url is None:
        raise CurlError("the curl command has no URL")
    url = command.url.text.strip()
    if "://" not in url:
        command.notes.append("no scheme in the URL: curl uses http://")
        url = "http://" + url
    body = "&".join(command.data).encode("utf-8", "replace")
    method = "POST" if (command.data or command.form or not command.body_known) else "GET"
    if command.get and command.data:
        url += ("&" if "?" in url else "?") + "&".join(command.data)
        body, method = b"", "GET"
    if command.head:
        method = "HEAD"
    headers = [header for header in command.headers if header.name.strip().lower() not in command.removed]
    if command.form:
        content_type, body = _multipart(command.form)
        if not _has(command, "content-type"):
            headers.append(Header("Content-Type", content_type, DEFAULT_SOURCE))
    elif command.json:
        if not _has(command, "content-type"):
            headers.append(Header("Content-Type", "application/json", "--json"))
        if not _has(command, "accept"):
            headers.append(Header("Accept", "application/json", "--json"))
    elif command.data and not command.get and not _has(command, "content-type"):
        headers.append(Header("Content-Type", "application/x-www-form-urlencoded", DEFAULT_SOURCE))
    if not _has(command, "accept") and "accept" not in command.removed:
        headers.append(Header("Accept", "*/*", DEFAULT_SOURCE))
    request = Request(
        method=(command.method or method).upper(),
        url=url,
        headers=tuple(headers),
        body=body,
        body_known=command.body_known,
    )
    return request, command.notes


def parse_curl(text: str) -> tuple[list[Request], list[str]]:
    """Every curl command in `text` as the request curl would send, plus notes on what could not be known."""
    return curl_requests(shell_commands(text))


def curl_requests(commands: Iterable[list[Word]]) -> tuple[list[Request], list[str]]:
    """The requests of the curl commands among `commands` (words as a shell, POSIX or cmd.exe, split them)."""
    requests: list[Request] = []
    notes: list[str] = []
    for command_words in commands:
        prompt = 1 if command_words and command_words[0].text in {"$", ">"} else 0
        words = command_words[prompt:]
        if not words or words[0].text not in {"curl", "curl.exe"}:
            continue
        command = _Command()
        for option, word in _options(words[1:]):
            _apply(command, option, word)
        request, command_notes = _finish(command)
        requests.append(request)
        notes += command_notes
    if not requests:
        raise CurlError("no curl command found")
    return requests, notes
