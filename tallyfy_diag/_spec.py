"""The hand-written OpenAPI spec as data: which operations exist and which need user context.

The wheel ships the spec as `tallyfy_diag/_data/tallyfy.openapi.yaml`; a source checkout reads `spec/` directly.
The sandbox, the client and the diagnostics read the same facts from here (data, not logic).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import yaml

from tallyfy_diag._constants import REQUIRES_USER_EXTENSION

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_SPEC_NAME = "tallyfy.openapi.yaml"


def spec_path() -> Path:
    """Where the spec is: packaged beside this module, else the checkout's spec/ (editable installs)."""
    packaged = resources.files("tallyfy_diag").joinpath("_data", _SPEC_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "spec" / _SPEC_NAME


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (cached; treat it as read-only)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path().open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=loader)  # noqa: S506 - a safe loader
    return document


@attrs.frozen
class Operation:
    """One operation of the spec, with a matcher for concrete request paths."""

    operation_id: str
    method: str
    path_template: str
    tag: str
    requires_user: bool
    pattern: re.Pattern[str] = attrs.field(repr=False, eq=False)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when `path` (relative to the API root, no query) is this operation's path."""
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", template)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts))
    return re.compile(regex)


@functools.cache
def operations() -> tuple[Operation, ...]:
    """Every operation, most specific path first (literal segments win over parameters)."""
    found: list[Operation] = []
    for template, item in load_spec().get("paths", {}).items():
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                Operation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path_template=template,
                    tag=(operation.get("tags") or ["default"])[0],
                    requires_user=bool(operation.get(REQUIRES_USER_EXTENSION, True)),
                    pattern=_path_pattern(template),
                )
            )
    found.sort(key=lambda op: (-op.path_template.count("/"), op.path_template.count("{"), op.path_template))
    return tuple(found)


def find_operation(method: str, path: str) -> Operation | None:
    """The operation for a method and an exact path relative to the API root (`/me`, not `/api/me`).

    A pure lookup: `/me/` and `//me` are not `/me`. Callers that want a forgiving reading (the client, the
    diagnostics) normalise first; the sandbox applies the server's own routing rule.
    """
    method = method.upper()
    for operation in operations():
        if operation.method == method and operation.match(path) is not None:
            return operation
    return None


def find_path(path: str) -> list[Operation]:
    """Every operation on exactly `path`, whatever the method (to tell a wrong method from an unknown path)."""
    return [operation for operation in operations() if operation.match(path) is not None]


def operation_by_id(operation_id: str) -> Operation:
    for operation in operations():
        if operation.operation_id == operation_id:
            return operation
    raise KeyError(operation_id)
