"""Where each spec operation lands on the facade: `tf.<resource>.<method>`, decided from the spec alone.

The resource is the operation's first tag; the method is its operationId without the tag's noun when that noun
comes straight after the verb (`list_blueprints` -> `blueprints.list`, `list_blueprint_steps` ->
`blueprints.list_steps`, `launch_process` -> `processes.launch`, `list_custom_field_keys` in `custom-fields` ->
`custom_fields.list_keys`). A qualified noun keeps the whole id
(`list_my_tasks` stays `tasks.list_my_tasks`), so names never lose meaning. Two operations of one tag that would
share a name both keep their full operationId. An operation may name its place itself with `x-facade-method`
(`"me.get"` or `"get"`); the spec then decides, never code (two such names that collide are an error).

Both generators (facade and migration page) read this module, so a method is named in one place.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
FACADE_METHOD_EXTENSION = "x-facade-method"
SDK_METHODS_EXTENSION = "x-sdk-methods"
DEFAULT_TAG = "default"
# Names `Tallyfy` / `AsyncTallyfy` already use (a test keeps this in step with the classes): a tag with one of
# these names gets a trailing underscore (`auth` -> `tf.auth_`), as Python does for keywords.
CLIENT_ATTRIBUTES = frozenset(
    {
        "aclose",
        "auth",
        "base_url",
        "call",
        "client",
        "close",
        "from_env",
        "http",
        "org_id",
        "organizations",
        "paginate",
        "request_date",
        "with_org",
        "with_raw_response",
    }
)


@attrs.frozen
class FacadeName:
    operation_id: str
    tag: str
    resource: str
    method: str
    http_method: str
    path: str

    @property
    def call(self) -> str:
        return f"tf.{self.resource}.{self.method}"


def identifier(text: str) -> str:
    """A Python identifier in snake case (`Custom Fields` -> `custom_fields`)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    name = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower() or "default"
    if name[0].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) else name


def _nouns(tag: str) -> set[tuple[str, ...]]:
    """A tag's noun, as words, in the plural and the singular (`processes` -> process, `custom-fields` ->
    custom field)."""
    words = identifier(tag).split("_")
    last = words[-1]
    singular = last
    if last.endswith(("sses", "ches", "shes")):
        singular = last[:-2]
    elif last.endswith("ies"):
        singular = last[:-3] + "y"
    elif last.endswith("s"):
        singular = last[:-1]
    return {tuple(words), (*words[:-1], singular)}


def _resource_name(tag: str) -> str:
    name = identifier(tag)
    return name + "_" if name in CLIENT_ATTRIBUTES else name


def _short_name(operation_id: str, tag: str) -> str:
    words = identifier(operation_id).split("_")
    for noun in sorted(_nouns(tag), key=len, reverse=True):
        if len(words) > len(noun) and tuple(words[1 : 1 + len(noun)]) == noun:
            return "_".join([words[0], *words[1 + len(noun) :]])
    return "_".join(words)


def spec_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(http method, path, operation, path item) for every operation, in spec order."""
    for path, item in spec.get("paths", {}).items():
        for http_method in HTTP_METHODS:
            operation = item.get(http_method)
            if operation is not None:
                yield http_method, path, operation, item


def facade_names(spec: Mapping[str, Any]) -> list[FacadeName]:
    """Every operation's place on the facade, in spec order; raises ValueError when two would collide."""
    drafts: list[tuple[str, str, str, str, str, str, bool]] = []
    for http_method, path, operation, _item in spec_operations(spec):
        operation_id = operation["operationId"]
        tag = (operation.get("tags") or [DEFAULT_TAG])[0]
        resource, method = _resource_name(tag), _short_name(operation_id, tag)
        override = operation.get(FACADE_METHOD_EXTENSION)
        chosen = isinstance(override, str) and bool(override)
        if chosen:
            head, _, tail = str(override).rpartition(".")
            resource, method = (_resource_name(head) if head else resource), identifier(tail)
        drafts.append((operation_id, tag, resource, method, http_method.upper(), path, chosen))
    counts = Counter((resource, method) for _, _, resource, method, _, _, _ in drafts)
    names = [
        FacadeName(
            operation_id=operation_id,
            tag=tag,
            resource=resource,
            # A name the spec chose stays; derived names that meet another fall back to the operationId.
            method=method if chosen or counts[resource, method] == 1 else identifier(operation_id),
            http_method=http_method,
            path=path,
        )
        for operation_id, tag, resource, method, http_method, path, chosen in drafts
    ]
    seen = Counter((name.resource, name.method) for name in names)
    clashes = sorted(f"{resource}.{method}" for (resource, method), count in seen.items() if count > 1)
    if clashes:
        raise ValueError(f"operations collide on the facade: {', '.join(clashes)} (set x-facade-method)")
    return names


def resolve_ref(spec: Mapping[str, Any], node: Any) -> Any:
    """`node` with its `$ref`s (local ones, as this spec has) followed to what they name."""
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def iterator_name(method: str) -> str:
    """The auto-paginating twin of a list method: `list` -> `iter`, `list_my_tasks` -> `iter_my_tasks`."""
    if method == "list":
        return "iter"
    if method.startswith("list_"):
        return "iter_" + method.removeprefix("list_")
    return "iter_" + method
