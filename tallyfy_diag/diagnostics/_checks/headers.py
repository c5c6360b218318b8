"""Request header checks: `client-header`, `accept-header`, `auth-header`."""

from __future__ import annotations

import difflib
import functools
import re
from typing import Final

from tallyfy_diag._constants import BEARER_SCHEME, CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag._redact import redact_header
from tallyfy_diag.diagnostics._checks._common import (
    control_characters,
    describe_character,
    is_placeholder,
)
from tallyfy_diag.diagnostics._evidence import Evidence, Header, Request
from tallyfy_diag.diagnostics._references import REQUIRED_HEADERS, rfc
from tallyfy_diag.diagnostics._registry import (
    REGISTRY,
    Status,
    Verdict,
    failed,
    passed,
    skipped,
    warned,
)

# ---------------------------------------------------------------------------------------------- client-header

_CLIENT_FIX: Final = f"Send `{CLIENT_HEADER}: {CLIENT_HEADER_VALUE}` on every call (set it once as a default header)."


@functools.lru_cache(maxsize=1024)  # a capture may repeat one header name thousands of times
def _close_to(normalised: str, wanted: str) -> bool:
    # A ratio of 0.85 needs lengths within about a third of each other: longer names skip the costly match.
    return len(normalised) <= 2 * len(wanted) and difflib.SequenceMatcher(None, normalised, wanted).ratio() >= 0.85


def _misspelled_client_headers(request: Request) -> list[str]:
    """Header names that look like X-Tallyfy-Client but are not (typos, underscores, a missing prefix)."""
    wanted = CLIENT_HEADER.lower()
    found = []
    for header in request.headers:
        name = header.name.strip().lower()
        if name == wanted:
            continue
        normalised = name.replace("_", "-")
        if normalised in {wanted, "tallyfy-client", "x-tallyfy-clients"} or _close_to(normalised, wanted):
            found.append(header.name)
    return found


@REGISTRY.register("client-header", f"{CLIENT_HEADER} request header", REQUIRED_HEADERS)
def client_header(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    if request.is_preflight:
        return skipped("a CORS preflight carries no custom headers (see cors-preflight)")
    fields = request.header_fields(CLIENT_HEADER)
    values = [field.value for field in fields]
    # The seed's own token-request example omits the header, though Tallyfy's docs want it everywhere: on the
    # token call its absence is a warning until the server's answer shows it mattered.
    response = evidence.response
    refused = response is not None and response.status in (401, 404)
    missing_status = Status.WARN if request.is_token_request and not refused else Status.FAIL
    if not fields:
        near = _misspelled_client_headers(request)
        if near:
            names = ", ".join(near)
            return Verdict(
                Status.FAIL,
                f"{CLIENT_HEADER} is misspelled as {names}",
                "Header names must match (case does not matter). Underscores are worse than typos: nginx and"
                " many proxies drop header names containing `_` without a word.",
                _CLIENT_FIX,
                evidence={"header_names": near},
            )
        return Verdict(
            missing_status,
            f"{CLIENT_HEADER} header missing",
            "Tallyfy rejects calls without it: the answer is 404 'API endpoint not found'"
            " (ENDPOINT_NOT_FOUND) or 401 'Unauthenticated.', which look like a wrong URL or a bad token.",
            _CLIENT_FIX,
            evidence={"header_names": [header.name for header in request.headers]},
        )
    if len(fields) > 1 or any("," in value for value in values):
        return failed(
            f"{CLIENT_HEADER} sent {max(len(fields), 2)} times",
            "Two fields (or a comma-joined value) reach the server as one combined value, "
            f"`{', '.join(value.strip() for value in values)}`, which is not `{CLIENT_HEADER_VALUE}`"
            " (RFC 9110 §5.3). Usually a default header plus a per-call header.",
            "Set the header in one place only.",
            values=[value.strip() for value in values],
        )
    value = values[0]
    controls = control_characters(value)
    if controls:
        return failed(
            f"{CLIENT_HEADER} value contains {', '.join(controls)}",
            "Control characters are invalid in a field value (RFC 9110 §5.5); a value read from a file or"
            " environment variable often keeps its trailing newline.",
            "Strip the value before sending it.",
        )
    if not value.strip():
        return failed(f"{CLIENT_HEADER} is empty", "An empty value counts as missing.", _CLIENT_FIX)
    if value != value.strip():
        return warned(
            f"{CLIENT_HEADER} value has surrounding whitespace",
            "Servers usually trim it, but an exact comparison fails.",
            "Send the value without spaces around it.",
        )
    if value != CLIENT_HEADER_VALUE:
        detail = (
            "The comparison may be exact."
            if value.lower() == CLIENT_HEADER_VALUE.lower()
            else "Tallyfy's own clients send other values, so any non-empty value is probably accepted,"
            " but the documented value is the safe one."
        )
        return warned(f"{CLIENT_HEADER} is {value!r}, not {CLIENT_HEADER_VALUE!r}", detail, _CLIENT_FIX, value=value)
    return passed(f"{CLIENT_HEADER}: {CLIENT_HEADER_VALUE}")


# ---------------------------------------------------------------------------------------------- accept-header


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _accepts_json(media: str) -> bool:
    return media in {"application/json", "application/*", "*/*"} or media.endswith("+json")


@REGISTRY.register("accept-header", "Accept request header", rfc(9110, "12.5.1"))
def accept_header(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    if request.is_preflight:
        return skipped("a CORS preflight (see cors-preflight)")
    accept = request.combined("accept")
    laravel = (
        "Tallyfy runs on Laravel, which answers errors with JSON only when the request asks for JSON; otherwise"
        " an authentication failure can come back as a redirect to a login page or as HTML."
    )
    fix = "Send `Accept: application/json`."
    if accept is None:
        if request.is_token_request:
            return passed("no Accept header (the token endpoint answers JSON anyway)")
        return warned("Accept header missing", laravel, fix)
    ranges = _media_ranges(accept)
    json_ranges = [(media, quality) for media, quality in ranges if _accepts_json(media) and quality > 0]
    if not json_ranges:
        return failed(
            f"Accept excludes JSON ({accept.strip()[:80]})",
            "The API answers JSON only; a server may answer 406 or an HTML page instead. " + laravel,
            fix,
            accept=accept.strip()[:200],
        )
    best = max(quality for _, quality in ranges)
    explicit = [media for media, _ in json_ranges if media not in {"*/*", "application/*"}]
    if not explicit or max(q for m, q in json_ranges if m in explicit) < best:
        return warned(f"Accept does not prefer JSON ({accept.strip()[:80]})", laravel, fix)
    return passed(f"Accept: {accept.strip()[:80]}")


# ------------------------------------------------------------------------------------------------ auth-header

_AUTH_REF: Final = rfc(6750, "2.1")
_AUTH_FIX: Final = f"Send exactly `Authorization: {BEARER_SCHEME} <access_token>`: one field, one space, no quotes."
_TOKEN68: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_B64TOKEN_CHARACTER: Final = re.compile(r"[A-Za-z0-9\-._~+/= ]")
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)([ \t]*)(.*)", re.DOTALL)
_TOKEN_LOOKING: Final = re.compile(r"(?:eyJ|def50200)[A-Za-z0-9\-._~+/=]{8,}")
_NO_SCHEME: Final = f"no scheme: the value is a bare token; prefix it with `{BEARER_SCHEME} `"
_OTHER_SCHEMES: Final = frozenset({"basic", "digest", "token", "jwt", "negotiate", "oauth", "hoba", "mutual"})
"""Scheme names people send instead of Bearer: alone, they are a wrong scheme, not a bare token."""
_QUERY_TOKEN_FIELDS: Final = ("access_token", "token", "api_token", "bearer")
_INVISIBLE: Final = frozenset("\u00a0\u200b\u200c\u200d\u2060\ufeff\u2028\u2029\u3000")


class _Problems:
    """Problems with one Authorization value, worst first when reported."""

    def __init__(self) -> None:
        self.items: list[tuple[Status, str]] = []

    def add(self, status: Status, text: str) -> None:
        self.items.append((status, text))

    def worst(self) -> Status | None:
        statuses = [status for status, _ in self.items]
        if Status.FAIL in statuses:
            return Status.FAIL
        return Status.WARN if statuses else None


def _provenance(header: Header) -> str:
    return f" The value came from {header.source}." if header.source else ""


def _lint_whitespace(header: Header, problems: _Problems) -> None:
    value = header.value
    controls = control_characters(value)
    if controls:
        where = "ends with" if value.rstrip(" ") != value.rstrip(" \r\n") else "contains"
        problems.add(
            Status.FAIL,
            f"the value {where} {', '.join(controls)}: invalid in a header (RFC 9110 §5.5). The classic cause is"
            " a token read from a file or an environment variable with its trailing newline." + _provenance(header),
        )
    if "\t" in value:
        problems.add(Status.FAIL, "the value contains a TAB; the scheme and the token are separated by one space")
    if value != value.strip(" \t\r\n") and not controls:
        problems.add(Status.WARN, "the value has leading or trailing whitespace" + _provenance(header))


def _lint_token(token: str, problems: _Problems, header: Header) -> None:
    if header.unresolved and any(f"${name}" in token or f"${{{name}}}" in token for name in header.unresolved):
        return  # the shell fills it in; explain cannot see the value (token-format says so)
    bare = token.strip(" \t\r\n")
    if re.match(rf"(?i){BEARER_SCHEME}\b", bare):
        problems.add(Status.FAIL, "`Bearer Bearer ...`: the scheme is written twice (the token already had it)")
        bare = re.sub(rf"(?i)^({BEARER_SCHEME}\s*)+", "", bare)
    if bare[:1] in {'"', "'"} or bare[-1:] in {'"', "'"}:
        problems.add(Status.FAIL, "the token is wrapped in quotes, which the server takes as part of the token")
        bare = bare.strip("\"'")
    if is_placeholder(bare):
        quoted = bare if len(bare) <= 40 else bare[:37] + "..."
        detail = f"the token is placeholder text `{quoted}`, not a token"
        if bare.startswith("$"):
            detail += " (a shell variable inside single quotes is sent literally)"
        problems.add(Status.FAIL, detail)
        return
    if bare[-1:] in {",", ";"}:
        problems.add(Status.FAIL, f"the token ends with `{bare[-1]}` (copied from a list or code)")
        bare = bare[:-1]
    invisible = sorted({describe_character(c) for c in bare if c in _INVISIBLE})
    if invisible:
        problems.add(Status.FAIL, f"the token contains invisible characters: {', '.join(invisible)} (pasted text)")
    if " " in bare.strip():
        problems.add(Status.FAIL, "the token contains a space (wrapped or joined when copied)")
    if not invisible and not _TOKEN68.fullmatch(bare.replace(" ", "")) and not control_characters(bare):
        odd = sorted({describe_character(c) for c in set(bare) if not _B64TOKEN_CHARACTER.fullmatch(c)})
        problems.add(
            Status.FAIL,
            "the token has characters a bearer token cannot contain (RFC 6750 §2.1 b64token): " + ", ".join(odd[:5]),
        )


def _lint_value(header: Header, problems: _Problems) -> None:
    _lint_whitespace(header, problems)
    value = header.value.strip(" \t\r\n")
    if not value:
        problems.add(Status.FAIL, "the Authorization value is empty")
        return
    glued = value[: len(BEARER_SCHEME)].lower() == BEARER_SCHEME.lower() and value[len(BEARER_SCHEME) :][:1] not in {
        "",
        " ",
        "\t",
    }
    if glued:
        problems.add(Status.FAIL, "no space between `Bearer` and the token")
        _lint_token(value[len(BEARER_SCHEME) :], problems, header)
        return
    if _TOKEN_LOOKING.fullmatch(value) or (" " not in value and "\t" not in value and len(value) > 40):
        problems.add(Status.FAIL, _NO_SCHEME)
        return
    match = _SCHEME.fullmatch(value)
    if match is None:
        problems.add(Status.FAIL, "the value does not start with an auth scheme")
        return
    scheme, separator, token = match.groups()
    if scheme.lower() != BEARER_SCHEME.lower():
        if is_placeholder(value):
            problems.add(Status.FAIL, "the whole value is placeholder text")
        elif not separator and scheme.lower() not in _OTHER_SCHEMES:
            # One word that names no scheme is a short opaque token sent bare, like a bare JWT above.
            problems.add(Status.FAIL, _NO_SCHEME)
        else:
            problems.add(
                Status.FAIL,
                f"wrong scheme `{scheme}`: Tallyfy takes `{BEARER_SCHEME}` (RFC 6750 §2.1), not Token/JWT/Basic",
            )
        return
    if scheme != BEARER_SCHEME:
        problems.add(
            Status.WARN,
            f"scheme written `{scheme}`: RFC 9110 §11.1 makes it case-insensitive, but Laravel's bearerToken()"
            f" looks for `{BEARER_SCHEME} ` exactly",
        )
    if not token.strip():
        problems.add(Status.FAIL, f"`{BEARER_SCHEME}` with no token after it (an empty variable?)")
        return
    if separator.count(" ") > 1 and "\t" not in separator:
        problems.add(
            Status.FAIL,
            f"{separator.count(' ')} spaces after `{BEARER_SCHEME}`: Tallyfy's guide requires exactly one (RFC 6750"
            " would allow more, Tallyfy does not)",
        )
    _lint_token(token, problems, header)


def _token_elsewhere(request: Request) -> list[str]:
    places = [f"query parameter `{name}`" for name, _ in request.query() if name.lower() in _QUERY_TOKEN_FIELDS]
    parameters = request.parameters()
    places += [f"body field `{name}`" for name in parameters if name.lower() in ("access_token", "api_token")]
    return places


@REGISTRY.register("auth-header", "Authorization request header", _AUTH_REF)
def auth_header(evidence: Evidence) -> Verdict:
    request = evidence.request
    if request is None:
        return skipped("no request in the evidence")
    if request.is_preflight:
        return skipped("a CORS preflight never carries Authorization (see cors-preflight)")
    if request.is_token_request:
        return skipped("the token endpoint authenticates the client, not a bearer token (see token-request)")
    fields = request.header_fields("authorization")
    elsewhere = _token_elsewhere(request)
    if not fields:
        if elsewhere:
            return failed(
                f"token sent as {', '.join(elsewhere)} instead of the Authorization header",
                "Tallyfy reads the Authorization header; a token in the URL also ends up in logs and history"
                " (RFC 6750 §2.3: SHOULD NOT).",
                _AUTH_FIX,
                reference=rfc(6750, "2"),
            )
        return failed("Authorization header missing", "Every API call needs a bearer token.", _AUTH_FIX)
    problems = _Problems()
    if len(fields) > 1:
        problems.add(
            Status.FAIL,
            f"{len(fields)} Authorization fields: it is single-valued (RFC 9110 §5.3), servers take one or reject both",
        )
    if elsewhere:
        problems.add(
            Status.FAIL,
            f"the token is also sent as {', '.join(elsewhere)}: RFC 6750 §2 allows one method per request",
        )
    for header in fields:
        _lint_value(header, problems)
    shown = [redact_header(header.name, header.value.strip()) for header in fields]
    status = problems.worst()
    if status is None:
        note = ""
        unresolved = [name for header in fields for name in header.unresolved]
        if unresolved:
            note = f"The token comes from ${unresolved[0]}, which an offline reading cannot see."
        return passed(f"Authorization: {BEARER_SCHEME} <token> (one field, one space)", note, value=shown)
    # The worst problem leads (its first sentence is the title); every problem is in the detail.
    ordered = [text for item_status, text in problems.items if item_status is status]
    ordered += [text for item_status, text in problems.items if item_status is not status]
    return Verdict(
        status,
        ordered[0].split(". ")[0],
        "; ".join(ordered),
        _AUTH_FIX,
        evidence={"value": shown, "fields": len(fields)},
    )
