"""The hand-written OpenAPI spec as data: which operations exist and which need user context.

The spec is read from its compiled JSON form (`_data/tallyfy.openapi.json`, built by `_spec_build.py` with
`nox -s generate`): the operation index in well under a millisecond, the whole document (only the sandbox and
the webhook schemas need it) in a couple, where the YAML takes about a hundred. The compiled file names the
SHA-256 of the YAML it came from; when that is not the spec beside it (an edited spec, a forgotten rebuild)
the YAML is parsed instead, so a stale file costs time, never correctness.

The wheel ships the spec as `tallyfy_diag/_data/tallyfy.openapi.yaml`; a source checkout reads `spec/` directly.
The sandbox, the client and the diagnostics read the same facts from here (data, not logic).
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs

from tallyfy_diag import _spec_build

_SPEC_NAME = "tallyfy.openapi.yaml"
_DATA_DIR = Path(__file__).resolve().parent / "_data"
_COMPILED_NAME = _spec_build.COMPILED_FILE.name


def spec_path() -> Path:
    """Where the spec is: packaged beside this module, else the checkout's spec/ (editable installs)."""
    packaged = _DATA_DIR / _SPEC_NAME
    if packaged.is_file():
        return packaged
    return _DATA_DIR.parent.parent / "spec" / _SPEC_NAME


def compiled_parts(spec_bytes: bytes, compiled_text: str | None) -> tuple[list[list[Any]], str] | None:
    """The operation index and the document's JSON text, when the compiled file was built from exactly
    `spec_bytes`; None when it is stale or unreadable."""
    if compiled_text is None:
        return None
    header_text, _, document_text = compiled_text.partition("\n")
    try:
        header = json.loads(header_text)
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("format") != _spec_build.FORMAT_VERSION:
        return None
    if header.get("spec_sha256") != _spec_build.spec_digest(spec_bytes):
        return None
    rows = header.get("operations")
    if not isinstance(rows, list) or not document_text.strip():
        return None
    return rows, document_text


def _read_compiled() -> str | None:
    try:
        return (_DATA_DIR / _COMPILED_NAME).read_text(encoding="utf-8")
    except OSError:
        return None


@functools.cache
def _sources() -> tuple[bytes, tuple[list[list[Any]], str] | None]:
    """The spec's bytes and, when current, the compiled file's parts (read once per process)."""
    spec_bytes = spec_path().read_bytes()
    return spec_bytes, compiled_parts(spec_bytes, _read_compiled())


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (cached; treat it as read-only)."""
    spec_bytes, compiled = _sources()
    if compiled is not None:
        try:
            document = json.loads(compiled[1])
        except ValueError:
            document = None
        if isinstance(document, dict):
            return document
    return _spec_build.parse_yaml(spec_bytes)


@attrs.frozen
class Operation:
    """One operation of the spec, with a matcher for concrete request paths."""

    operation_id: str
    method: str
    path_template: str
    tag: str
    requires_user: bool
    segments: tuple[str | None, ...] = attrs.field(repr=False, eq=False)
    """The template split at `/`: a literal segment as itself, a `{parameter}` segment as None."""
    parameters: tuple[str, ...] = attrs.field(repr=False, eq=False)
    """The parameter names, in the order of the None segments."""

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when `path` (relative to the API root, no query) is this operation's path.

        A parameter matches one whole non-empty segment (what `[^/]+` between slashes would match).
        """
        parts = path.split("/")
        if len(parts) != len(self.segments):
            return None
        values: list[str] = []
        for part, segment in zip(parts, self.segments, strict=True):
            if segment is None:
                if not part:
                    return None
                values.append(part)
            elif part != segment:
                return None
        return dict(zip(self.parameters, values, strict=True))


_PARAMETER_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _split_template(template: str) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    segments: list[str | None] = []
    parameters: list[str] = []
    for segment in template.split("/"):
        whole = _PARAMETER_SEGMENT.fullmatch(segment)
        if whole:
            segments.append(None)
            parameters.append(whole.group(1))
        elif "{" in segment or "}" in segment:
            # The spec's templates put each parameter in a segment of its own; a test keeps it that way.
            raise ValueError(f"path template {template!r}: a parameter must be a whole segment")
        else:
            segments.append(segment)
    return tuple(segments), tuple(parameters)


@functools.cache
def operations() -> tuple[Operation, ...]:
    """Every operation, most specific path first (literal segments win over parameters)."""
    _, compiled = _sources()
    # The compiled index spares the diagnostics and the client from parsing the whole document.
    rows = compiled[0] if compiled is not None else _spec_build.operation_rows(load_spec())
    found: list[Operation] = []
    for operation_id, method, template, tag, requires_user in rows:
        segments, parameters = _split_template(template)
        found.append(
            Operation(
                operation_id=operation_id,
                method=method,
                path_template=template,
                tag=tag,
                requires_user=requires_user,
                segments=segments,
                parameters=parameters,
            )
        )
    found.sort(key=lambda op: (-op.path_template.count("/"), op.path_template.count("{"), op.path_template))
    return tuple(found)


@functools.cache
def _by_segment_count() -> dict[int, tuple[Operation, ...]]:
    """The operations grouped by how many segments their path has, each group in `operations()` order."""
    groups: defaultdict[int, list[Operation]] = defaultdict(list)
    for operation in operations():
        groups[len(operation.segments)].append(operation)
    return {count: tuple(group) for count, group in groups.items()}


def _candidates(path: str) -> tuple[Operation, ...]:
    # Only an operation with as many segments can match, which skips most of the spec for each lookup.
    return _by_segment_count().get(path.count("/") + 1, ())


def find_operation(method: str, path: str) -> Operation | None:
    """The operation for a method and an exact path relative to the API root (`/me`, not `/api/me`).

    A pure lookup: `/me/` and `//me` are not `/me`. Callers that want a forgiving reading (the client, the
    diagnostics) normalise first; the sandbox applies the server's own routing rule.
    """
    method = method.upper()
    for operation in _candidates(path):
        if operation.method == method and operation.match(path) is not None:
            return operation
    return None


def find_operation_under(method: str, url_path: str, api_root: str) -> Operation | None:
    """The operation a client's request reaches: `url_path` is the whole URL path, `api_root` the base URL's
    path (`/api`, or "" for none). Read forgivingly, as the server routes (`/api/me/` is get_me); None for a
    path outside the root or one no operation matches."""
    if api_root:
        if not (url_path == api_root or url_path.startswith(api_root + "/")):
            return None
        url_path = url_path[len(api_root) :]
    return find_operation(method, "/" + url_path.strip("/"))


def find_path(path: str) -> list[Operation]:
    """Every operation on exactly `path`, whatever the method (to tell a wrong method from an unknown path)."""
    return [operation for operation in _candidates(path) if operation.match(path) is not None]


def clear_caches() -> None:
    """Forget everything read from the spec (for tests that point `spec_path` at another document)."""
    for cached in (_sources, load_spec, operations, _by_segment_count):
        cached.cache_clear()


def operation_by_id(operation_id: str) -> Operation:
    for operation in operations():
        if operation.operation_id == operation_id:
            return operation
    raise KeyError(operation_id)
