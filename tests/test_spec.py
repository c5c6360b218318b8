"""The hand-written spec: valid OpenAPI 3.1, and every operation carries what the rest of the project relies on."""

from __future__ import annotations

import copy
import re
from collections import Counter
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tallyfy_diag._constants import CLIENT_HEADER, REQUIRES_USER_EXTENSION
from tallyfy_diag._date_rule import SPEC_REQUEST_DATE_PATTERN, SPEC_REQUEST_DAY_PATTERN
from tallyfy_diag._spec import find_operation, find_path, load_spec, operation_by_id, operations

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def iter_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in document.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    ]


def spec_problems(document: dict[str, Any], *, openapi: bool = True) -> list[str]:
    """Everything wrong with a spec document, as readable lines (empty when it is fine). `openapi=False` checks
    only the project's own rules (OpenAPI validation takes most of a second)."""
    problems: list[str] = []
    if openapi:
        try:
            validate(document)
        except OpenAPIValidationError as error:
            problems.append(f"invalid OpenAPI: {error.message}")
    found = iter_operations(document)
    for method, path, operation in found:
        where = f"{method.upper()} {path}"
        if not isinstance(operation.get(REQUIRES_USER_EXTENSION), bool):
            problems.append(f"{where}: {REQUIRES_USER_EXTENSION} must be true or false")
        if "operationId" not in operation:
            problems.append(f"{where}: no operationId")
        if len(operation.get("tags", [])) != 1:
            problems.append(f"{where}: needs exactly one tag")
    counts = Counter(operation.get("operationId") for _, _, operation in found)
    problems += [f"operationId {name!r} is used {n} times" for name, n in counts.items() if name and n > 1]
    return problems


@pytest.fixture
def spec() -> dict[str, Any]:
    return copy.deepcopy(load_spec())


def test_the_committed_spec_has_no_problems(spec: dict[str, Any]) -> None:
    assert spec_problems(spec) == []


def test_an_operation_without_requires_user_is_a_problem(spec: dict[str, Any]) -> None:
    del spec["paths"]["/me"]["get"][REQUIRES_USER_EXTENSION]
    assert spec_problems(spec, openapi=False) == [f"GET /me: {REQUIRES_USER_EXTENSION} must be true or false"]


def test_a_duplicated_operation_id_is_a_problem(spec: dict[str, Any]) -> None:
    spec["paths"]["/me/organizations"]["get"]["operationId"] = "get_me"
    assert spec_problems(spec, openapi=False) == ["operationId 'get_me' is used 2 times"]


def test_an_invalid_document_is_a_problem(spec: dict[str, Any]) -> None:
    spec["paths"]["/me"]["get"]["responses"] = "not a responses object"
    assert any(line.startswith("invalid OpenAPI") for line in spec_problems(spec))


def test_both_documented_servers_are_listed_with_the_seed_default_first(spec: dict[str, Any]) -> None:
    assert [server["url"] for server in spec["servers"]] == [
        "https://go.tallyfy.com/api",
        "https://api.tallyfy.com",
    ]


def test_every_call_requires_the_client_header_through_security(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    header_schemes = [
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name") == CLIENT_HEADER
    ]
    assert len(header_schemes) == 1
    (header_scheme,) = header_schemes
    for method, path, operation in iter_operations(spec):
        requirements = operation.get("security", spec["security"])
        assert requirements, f"{method} {path} has no security requirement"
        assert all(header_scheme in requirement for requirement in requirements), f"{method} {path}"


def test_the_token_endpoint_takes_only_a_form_body(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/x-www-form-urlencoded"]


def test_server_enumerations_stay_open_strings(spec: dict[str, Any]) -> None:
    """A new value from the server must never break parsing: no `enum` in any response schema."""

    def enums(node: Any, trail: str) -> list[str]:
        if isinstance(node, dict):
            here = [trail] if "enum" in node else []
            return here + [hit for key, value in node.items() for hit in enums(value, f"{trail}/{key}")]
        if isinstance(node, list):
            return [hit for index, value in enumerate(node) for hit in enums(value, f"{trail}/{index}")]
        return []

    assert enums(spec["components"]["schemas"], "#/components/schemas") == []


def test_request_dates_follow_the_one_date_rule(spec: dict[str, Any]) -> None:
    request_date = spec["components"]["schemas"]["RequestDate"]
    assert request_date["pattern"] == SPEC_REQUEST_DATE_PATTERN
    assert spec["components"]["schemas"]["RequestDay"]["pattern"] == SPEC_REQUEST_DAY_PATTERN
    pattern = re.compile(request_date["pattern"])
    assert pattern.fullmatch("2023-05-15 14:30:00")
    assert pattern.fullmatch("2023-05-15T14:30:00Z")
    assert pattern.fullmatch("2023-05-15T14:30:00.000+02:00")
    assert not pattern.fullmatch("2023-05-15T14:30:00")
    assert not pattern.fullmatch("2023-05-15")
    assert "YYYY-MM-DD HH:MM:SS" in request_date["description"]
    assert "YYYY-DD-MM" in request_date["description"], "the superseded day-first text is named as evidence"


def test_descriptions_speak_both_vocabularies(spec: dict[str, Any]) -> None:
    pairs = {"blueprints": ("Blueprint", "checklist"), "processes": ("Process", "run")}
    for _, _, operation in iter_operations(spec):
        if operation["tags"][0] in pairs:
            ui_word, api_word = pairs[operation["tags"][0]]
            text = operation.get("description", "") + operation.get("summary", "")
            assert ui_word.lower() in text.lower(), operation["operationId"]
            assert api_word.lower() in text.lower(), operation["operationId"]


@pytest.mark.parametrize(
    ("method", "path", "operation_id", "requires_user"),
    [
        ("POST", "/oauth/token", "issue_token", False),
        ("GET", "/me", "get_me", True),
        ("GET", "/organizations/abc/checklists", "list_blueprints", False),
        ("PUT", "/organizations/abc/runs/" + "f" * 32 + "/activate", "activate_process", True),
        ("DELETE", "/organizations/abc/runs/r1/completed-tasks/t1", "reopen_task", True),
    ],
)
def test_operations_are_found_by_method_and_concrete_path(
    method: str, path: str, operation_id: str, requires_user: bool
) -> None:
    operation = find_operation(method, path)
    assert operation is not None
    assert operation.operation_id == operation_id
    assert operation.requires_user is requires_user
    assert operation_by_id(operation_id) == operation


@pytest.mark.parametrize("path", ["/me/", "//me", "/me//", "me", "/organizations//checklists", "/organizations/abc/"])
def test_lookups_are_exact_no_slash_is_forgiven(path: str) -> None:
    # Normalising is each caller's decision (the sandbox follows the server's router, the client and the
    # diagnostics are forgiving), never the spec data's.
    assert find_operation("GET", path) is None
    assert find_path(path) == []


def test_unknown_paths_and_methods_are_not_operations() -> None:
    assert find_operation("GET", "/organizations/abc/nonsense") is None
    assert find_operation("PATCH", "/me") is None
    assert len({op.operation_id for op in operations()}) == len(operations())


@pytest.mark.parametrize(
    "url", ["https://go.tallyfy.com/api/me/", "https://go.tallyfy.com/api//me", "http://127.0.0.1:8000/api/me//"]
)
def test_the_diagnostics_normalise_before_their_exact_lookup(url: str) -> None:
    # The diagnostics name the operation a sloppy URL meant (base-url reports the slashes themselves).
    from tallyfy_diag.diagnostics._checks._common import operation_for  # noqa: PLC0415
    from tallyfy_diag.diagnostics._evidence import Request  # noqa: PLC0415

    operation = operation_for(Request("GET", url))
    assert operation is not None
    assert operation.operation_id == "get_me"
