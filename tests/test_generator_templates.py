"""spec/templates/ overrides two of openapi-python-client's templates for speed. These tests pin what the
overrides promise: they were derived from the generator version in use, they are in effect in generated/, and the
models they produce read and write what the upstream templates' models did."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import inspect
import re
import textwrap
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from tallyfy_client.models.blueprint import Blueprint
from tallyfy_client.models.kickoff_field import KickoffField
from tallyfy_client.models.kickoff_field_include import KickoffFieldInclude
from tallyfy_client.types import UNSET

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ROOT / "spec" / "templates"
# Found without importing the generator (its import is a tenth of a worker's collection).
_GENERATOR = importlib.util.find_spec("openapi_python_client")
assert _GENERATOR is not None
assert _GENERATOR.origin is not None
UPSTREAM = Path(_GENERATOR.origin).parent / "templates"
MODELS = ROOT / "generated" / "tallyfy_client" / "models"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pinned_generator_version() -> str:
    """The version the "generate" dependency group pins (the noxfile reads the same entry)."""
    for requirement in PYPROJECT["dependency-groups"]["generate"]:
        name, _, version = str(requirement).partition("==")
        if name.strip() == "openapi-python-client":
            return version.strip()
    raise AssertionError("pyproject.toml pins no openapi-python-client in the 'generate' group")


TEMPLATES = sorted(path.relative_to(OVERRIDES).as_posix() for path in OVERRIDES.rglob("*.jinja"))


def test_there_are_overrides_to_check() -> None:
    assert TEMPLATES == ["model.py.jinja", "property_templates/union_property.py.jinja"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_override_replaces_a_template_of_the_pinned_generator(name: str) -> None:
    pinned = pinned_generator_version()
    assert importlib.metadata.version("openapi-python-client") == pinned
    assert (UPSTREAM / name).is_file(), f"{name} overrides nothing in openapi-python-client {pinned}"
    header = re.search(r"from openapi-python-client (\S+) \(", (OVERRIDES / name).read_text(encoding="utf-8"))
    assert header is not None, f"{name} must say which generator version it was derived from"
    # A new generator version may have changed the upstream template: re-derive the override, then the header.
    assert header.group(1) == pinned


def _imports_inside_functions(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [ast.unparse(inner) for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)]
    return found


def _offenders(find: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """Each generated model module's findings, where there are any."""
    found = {path.name: find(path.read_text(encoding="utf-8")) for path in sorted(MODELS.glob("*.py"))}
    return {name: findings for name, findings in found.items() if findings}


def test_no_generated_model_imports_inside_a_method() -> None:
    assert _offenders(_imports_inside_functions) == {}


def test_no_generated_model_wraps_a_pass_through_union_in_a_function() -> None:
    # The upstream shape: a nested `_parse_x` whose only statements return `data` (possibly through cast).
    source = (MODELS / "blueprint.py").read_text(encoding="utf-8")
    assert "def _parse_summary" not in source
    assert "def _parse_Blueprint_steps" in source  # a union with a model member still converts


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"summary": None}, None), ({"summary": "Text"}, "Text"), ({}, UNSET)],
)
def test_a_pass_through_union_reads_every_member_as_sent(given: dict[str, object], expected: object) -> None:
    blueprint = Blueprint.from_dict({"id": "b1", **given})
    assert blueprint.summary == expected
    assert Blueprint.from_dict(blueprint.to_dict()) == blueprint


def test_models_referring_to_other_models_read_and_write_them() -> None:
    sent = {
        "id": "b1",
        "prerun": [{"id": "f1", "label": "Requested by", "field_type": "text", "required": True, "extra": 1}],
        "created_at": "2024-04-23T09:00:00.000Z",
        "unknown": {"kept": True},
    }
    blueprint = Blueprint.from_dict(sent)
    assert isinstance(blueprint.prerun, list)
    assert blueprint.prerun == [KickoffField.from_dict(sent["prerun"][0])]  # type: ignore[index]
    assert blueprint.prerun[0].additional_properties == {"extra": 1}
    assert blueprint.additional_properties == {"unknown": {"kept": True}}
    written = blueprint.to_dict()
    assert written["prerun"] == sent["prerun"]
    assert written["unknown"] == {"kept": True}


def _functions_inside_from_dict(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "from_dict":
            found += [
                inner.name for inner in ast.walk(node) if isinstance(inner, ast.FunctionDef) and inner is not node
            ]
    return found


def test_no_generated_model_defines_a_function_on_every_from_dict_call() -> None:
    # Each would be a new function object on every call (upstream's nested union parsers were).
    assert _offenders(_functions_inside_from_dict) == {}


@pytest.mark.parametrize(
    ("given", "field", "expected"),
    [
        ({"prerun": [{"id": "f1"}]}, "prerun", [KickoffField.from_dict({"id": "f1"})]),
        ({"prerun": {"data": [{"id": "f1"}]}}, "prerun", KickoffFieldInclude([KickoffField.from_dict({"id": "f1"})])),
        ({"archived_at": "2024-04-23T09:00:00+00:00"}, "archived_at", datetime(2024, 4, 23, 9, tzinfo=UTC)),
        ({"archived_at": None}, "archived_at", None),
        ({"archived_at": "not a date"}, "archived_at", "not a date"),  # the upstream parser's fallback: as sent
        ({}, "archived_at", UNSET),
    ],
)
def test_a_union_parsed_at_module_level_reads_each_member(
    given: dict[str, object], field: str, expected: object
) -> None:
    blueprint = Blueprint.from_dict({"id": "b1", **given})
    assert getattr(blueprint, field) == expected
    assert type(getattr(blueprint, field)) is type(expected)


def _model_classes() -> list[type]:
    classes = []
    for path in sorted(MODELS.glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"tallyfy_client.models.{path.stem}")
        classes += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == module.__name__ and attrs.has(value)
        ]
    return classes


def _constructor_call(model: type) -> ast.Call:
    """The `cls(...)` call in a model's from_dict."""
    source = textwrap.dedent(inspect.getsource(model.from_dict))  # type: ignore[attr-defined]
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cls"
    ]
    assert len(calls) == 1, model.__name__
    return calls[0]


def test_from_dict_passes_every_field_in_the_order_the_class_declares_it() -> None:
    # from_dict calls the class positionally; each variable is named after the field it fills, so the names in
    # the call must be the fields of __init__, in order (a field out of place would land in its neighbour).
    models = _model_classes()
    assert len(models) > 100
    for model in models:
        call = _constructor_call(model)
        assert call.keywords == [], model.__name__
        passed = [argument.id for argument in call.args if isinstance(argument, ast.Name)]
        assert passed == [field.name for field in attrs.fields(model) if field.init], model.__name__
