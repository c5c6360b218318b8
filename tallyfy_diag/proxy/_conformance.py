"""Does an exchange match the spec? The operation, its parameters, its body and the answer's shape.

Generic over the spec: the operation comes from its path templates (`tallyfy_diag._spec`), and every schema is
validated where it sits in the spec (a JSON pointer into the document, `$ref`s resolved by `referencing`), so an
operation added to the spec is checked with no change here. Problems name WHERE (a parameter, a field path) and
what the spec expected, never the value that was sent or answered: values can be secrets or personal data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal
from urllib.parse import parse_qsl

import attrs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tallyfy_diag import _json
from tallyfy_diag._spec import Operation, find_operation, find_path, load_spec

_SPEC_URI: Final = "urn:tallyfy-diag:spec"
MAX_PROBLEMS: Final = 5
"""Per message: the first few problems say enough; a wholly different shape would list hundreds."""

Part = Literal["operation", "request", "response"]
Severity = Literal["fail", "warn"]


@attrs.frozen
class Problem:
    """One way an exchange departs from the spec. `where` and `expected` hold no sent or answered values."""

    part: Part
    severity: Severity
    where: str
    expected: str

    def text(self) -> str:
        return f"{self.where}: {self.expected}"


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@functools.cache
def _registry() -> Registry[Any]:
    spec: Resource[Any] = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, spec)
    return registry


@functools.cache
def _validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` in the spec (cached: one per schema location)."""
    return Draft202012Validator(
        {"$ref": f"{_SPEC_URI}#/{pointer}"}, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _resolve(value: Any) -> tuple[Any, str | None]:
    """(the object a `$ref` in the spec points to, its pointer) or (value, None) when it is no reference."""
    if isinstance(value, Mapping) and isinstance(value.get("$ref"), str) and value["$ref"].startswith("#/"):
        node: Any = load_spec()
        pointer = value["$ref"][2:]
        for part in pointer.split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, pointer
    return value, None


def _where(prefix: str, error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"{prefix}{path}" if path else prefix


def _expected(error: ValidationError) -> str:
    """What the spec wanted, in words that quote the schema, never the instance."""
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        required: list[Any] = list(error.validator_value) if isinstance(error.validator_value, list) else []
        absent = [str(name) for name in required if name not in instance]
        return f"{', '.join(absent) or 'a field'} required by the spec, missing"
    if error.validator == "type":
        return f"expected {error.validator_value}"
    if error.validator == "enum":
        allowed: list[Any] = list(error.validator_value) if isinstance(error.validator_value, list) else []
        values = ", ".join(str(item) for item in allowed[:8])
        return f"expected one of {values}"
    if error.validator == "const":
        return f"expected {error.validator_value!r}"
    if error.validator in {"pattern", "format", "minimum", "maximum", "minLength", "maxLength", "minItems"}:
        return f"expected {error.validator} {error.validator_value!r}"
    if error.validator == "additionalProperties" and error.validator_value is False:
        return "has a field the spec does not allow"
    return f"fails the spec's {error.validator!r} rule"


def _schema_problems(pointer: str, instance: Any, part: Part, prefix: str) -> list[Problem]:
    errors = sorted(_validator(pointer).iter_errors(instance), key=lambda error: list(error.absolute_path))
    return [Problem(part, "fail", _where(prefix, error), _expected(error)) for error in errors[:MAX_PROBLEMS]]


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


# ------------------------------------------------------------------------------------------------ operations


@attrs.frozen
class Matched:
    """The spec operation an exchange is for, and its path parameters."""

    operation: Operation
    path_parameters: Mapping[str, str]

    @property
    def definition(self) -> Mapping[str, Any]:
        definition: Mapping[str, Any] = load_spec()["paths"][self.operation.path_template][
            self.operation.method.lower()
        ]
        return definition

    @property
    def pointer(self) -> str:
        return _pointer("paths", self.operation.path_template, self.operation.method.lower())


def match(method: str, api_path: str) -> Matched | list[Problem]:
    """The operation for `method` and a path relative to the API root, or why there is none."""
    operation = find_operation(method, api_path)
    if operation is not None:
        return Matched(operation, operation.match(api_path) or {})
    others = find_path(api_path)
    if others:
        allowed = ", ".join(sorted({other.method for other in others}))
        return [
            Problem(
                "operation",
                "fail",
                f"{method.upper()} {others[0].path_template}",
                f"the spec has no {method.upper()} here; it allows {allowed}",
            )
        ]
    return [Problem("operation", "fail", f"{method.upper()} (unknown path)", "no operation of the spec has this path")]


# ------------------------------------------------------------------------------------------------ requests


def _parameters(matched: Matched) -> list[tuple[Mapping[str, Any], str]]:
    """(parameter, pointer to it) for the operation, path-item level first, operation level overriding."""
    item_pointer = _pointer("paths", matched.operation.path_template)
    item = load_spec()["paths"][matched.operation.path_template]
    found: dict[tuple[str, str], tuple[Mapping[str, Any], str]] = {}
    for owner, owner_pointer in ((item, item_pointer), (matched.definition, matched.pointer)):
        for index, raw in enumerate(owner.get("parameters", [])):
            parameter, pointer = _resolve(raw)
            found[(parameter["name"], parameter["in"])] = (parameter, pointer or f"{owner_pointer}/parameters/{index}")
    return list(found.values())


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """A parameter's text as the type its schema names (query and path values are all text on the wire)."""
    schema, _ = _resolve(schema)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(value)
        except ValueError:
            return value
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    if "boolean" in kinds and value.lower() in {"true", "false", "1", "0"}:
        return value.lower() in {"true", "1"}
    return value


def request_problems(
    matched: Matched,
    *,
    query: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    content_type: str | None,
    body: bytes,
    body_complete: bool = True,
) -> list[Problem]:
    """Parameters and body of a request against its operation."""
    problems: list[Problem] = []
    sent_query: dict[str, list[str]] = {}
    for name, value in query:
        sent_query.setdefault(name, []).append(value)
    sent_headers = {name.lower(): value for name, value in headers}
    for parameter, pointer in _parameters(matched):
        name, location = parameter["name"], parameter["in"]
        if location == "path":
            values = [matched.path_parameters[name]] if name in matched.path_parameters else []
        elif location == "query":
            values = sent_query.get(name, [])
        elif location == "header":
            values = [sent_headers[name.lower()]] if name.lower() in sent_headers else []
        else:
            continue
        if not values:
            if parameter.get("required"):
                problems.append(Problem("request", "fail", f"{location} parameter {name}", "required, missing"))
            continue
        if "schema" in parameter:
            coerced = _coerce(values[0], parameter["schema"])
            problems += _schema_problems(f"{pointer}/schema", coerced, "request", f"{location} parameter {name}")
    problems += _body_problems(matched, content_type, body, body_complete)
    return problems


def _body_problems(matched: Matched, content_type: str | None, body: bytes, body_complete: bool) -> list[Problem]:
    declared = matched.definition.get("requestBody")
    if declared is None:
        return []
    request_body, ref_pointer = _resolve(declared)
    body_pointer = ref_pointer or f"{matched.pointer}/requestBody"
    content: Mapping[str, Any] = request_body.get("content", {})
    if not body.strip() and body_complete:
        if request_body.get("required"):
            return [Problem("request", "fail", "request body", f"required ({' or '.join(content)}), missing")]
        return []
    media = _media_type(content_type)
    if media not in content:
        shown = media or "no Content-Type"
        return [Problem("request", "fail", "request body", f"sent as {shown}; the spec expects {' or '.join(content)}")]
    schema_pointer = f"{body_pointer}/content/{_pointer(media)}/schema"
    if not body_complete or "schema" not in content[media]:
        return []
    if media == "application/json":
        try:
            instance = _json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return [Problem("request", "fail", "request body", "declared JSON but is not valid JSON")]
        return _schema_problems(schema_pointer, instance, "request", "request body")
    if media == "application/x-www-form-urlencoded":
        schema = content[media]["schema"]
        properties: Mapping[str, Any] = _resolve(schema)[0].get("properties", {})
        form = {
            name: _coerce(value, properties.get(name, {}))
            for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        }
        return _schema_problems(schema_pointer, form, "request", "request body")
    return []  # multipart and the like: the media type is all this checks


# ------------------------------------------------------------------------------------------------ responses


def _declared_response(matched: Matched, status: int) -> tuple[Mapping[str, Any], str] | None:
    responses: Mapping[str, Any] = matched.definition.get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            response, pointer = _resolve(responses[key])
            return response, pointer or f"{matched.pointer}/responses/{_pointer(key)}"
    return None


def response_problems(
    matched: Matched, *, status: int, content_type: str | None, body: bytes, body_complete: bool = True
) -> list[Problem]:
    """The answer against what the spec documents for its operation and status."""
    declared = _declared_response(matched, status)
    operation = matched.operation.operation_id
    if declared is None:
        return [Problem("response", "warn", f"status {status}", f"not documented for {operation}")]
    response, pointer = declared
    content: Mapping[str, Any] = response.get("content", {})
    if not content or not body_complete or (status == 204 and not body):
        return []
    media = _media_type(content_type)
    if media not in content:
        shown = media or "no Content-Type"
        expected = " or ".join(content)
        return [
            Problem("response", "fail", f"{status} response body", f"answered as {shown}; the spec says {expected}")
        ]
    if media != "application/json" or "schema" not in content[media]:
        return []
    try:
        instance = _json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return [Problem("response", "fail", f"{status} response body", "declared JSON but is not valid JSON")]
    return _schema_problems(f"{pointer}/content/{_pointer(media)}/schema", instance, "response", "response body")
