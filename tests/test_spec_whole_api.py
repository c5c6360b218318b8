"""The spec covers the whole documented API and the webhooks, each operation following the spec's rules:
one tag, snake_case id, `x-requires-user`, both vocabularies, open enumerations, shared error responses,
request dates as `RequestDate`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tallyfy_client import models

from tallyfy_diag._constants import ORG_ID_WEBHOOK_HEADER, REQUIRES_USER_EXTENSION
from tallyfy_diag._spec import find_operation, load_spec, operations

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
TAGS = {
    "auth", "identity", "blueprints", "processes", "tasks", "users", "guests", "groups", "tags", "folders",
    "comments", "files", "search", "activity", "applications", "custom_fields",
}  # fmt: skip
APP_CONTEXT_OPERATIONS = {
    "issue_token", "get_organization", "list_blueprints", "get_blueprint", "list_blueprint_steps",
    "get_blueprint_step", "list_blueprint_form_fields", "list_step_captures", "get_step_capture",
    "provision_application_user", "issue_application_user_token",
}  # fmt: skip
H = "0123456789abcdef0123456789abcdef"

# Every endpoint of ../shared/reference/tallyfy-api.md, as a concrete request: (method, path, operationId).
DOCUMENTED_ENDPOINTS = [
    ("GET", "/organizations/o/users", "list_users"),
    ("GET", "/organizations/o/users/1001", "get_user"),
    ("POST", "/organizations/o/users/invite", "invite_user"),
    ("PUT", "/organizations/o/users/1001/role", "update_user_role"),
    ("DELETE", "/organizations/o/users/1001/disable", "disable_user"),
    ("PUT", "/organizations/o/users/1001/enable", "enable_user"),
    ("GET", "/organizations/o/guests", "list_guests"),
    ("POST", "/organizations/o/guests", "create_guest"),
    ("GET", "/organizations/o/guests/ann%40example.com", "get_guest"),
    ("GET", "/organizations/o/groups", "list_groups"),
    ("GET", "/organizations/o/tags", "list_tags"),
    ("POST", "/organizations/o/tags", "create_tag"),
    ("GET", f"/organizations/o/tags/{H}", "get_tag"),
    ("GET", "/organizations/o/folders", "list_folders"),
    ("POST", f"/organizations/o/tasks/{H}/comment", "comment_on_task"),
    ("POST", f"/organizations/o/tasks/{H}/problem", "report_task_problem"),
    ("POST", f"/organizations/o/tasks/{H}/resolved-threads", "resolve_task_problem"),
    ("POST", "/organizations/o/file", "upload_file"),
    ("GET", "/organizations/o/file/a1/dl", "download_file"),
    ("GET", "/organizations/o/search", "search"),
    ("GET", "/organizations/o/activity-feeds", "list_activity_feeds"),
    ("GET", f"/organizations/o/checklists/{H}/steps/{H}/captures", "list_step_captures"),
    ("GET", f"/organizations/o/checklists/{H}/steps/{H}/captures/{H}", "get_step_capture"),
    ("GET", f"/organizations/o/checklists/{H}/form-fields", "list_blueprint_form_fields"),
    ("PUT", f"/organizations/o/checklists/{H}/preruns/{H}", "update_kickoff_field"),
    ("PUT", f"/organizations/o/checklists/{H}/publish", "publish_blueprint"),
    ("POST", f"/organizations/o/checklists/{H}/clone", "clone_blueprint"),
    ("DELETE", f"/organizations/o/checklists/{H}/delete", "delete_blueprint"),
    ("DELETE", f"/organizations/o/runs/{H}/delete", "delete_process"),
    ("PUT", f"/organizations/o/runs/{H}/activate", "activate_process"),
    ("POST", "/organizations/o/completed-tasks", "complete_oneoff_task"),
    ("DELETE", f"/organizations/o/completed-tasks/{H}", "reopen_oneoff_task"),
    ("PUT", f"/organizations/o/tasks/{H}", "update_oneoff_task"),
    ("DELETE", f"/organizations/o/tasks/{H}/delete", "delete_oneoff_task"),
    ("POST", "/applications/o/users", "provision_application_user"),
    ("POST", "/applications/o/users/ann%40example.com/token", "issue_application_user_token"),
    ("PUT", "/organizations/o", "update_organization"),
    ("GET", "/organizations/o/me/tasks", "list_my_tasks"),
]

# UI word -> the API words that must appear beside it (seed terminology).
VOCABULARY = {
    r"\bblueprints?\b": r"\bchecklists?\b",
    r"\bprocess(es)?\b": r"\bruns?\b",
    r"\bkick-off\b": r"\bpreruns?\b",
    r"\btask form fields?\b": r"\bcaptures?\b",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def spec_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def deref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@pytest.mark.parametrize(("method", "path", "operation_id"), DOCUMENTED_ENDPOINTS)
def test_every_documented_endpoint_is_an_operation(method: str, path: str, operation_id: str) -> None:
    operation = find_operation(method, path)
    assert operation is not None, f"{method} {path} is not in the spec"
    assert operation.operation_id == operation_id


def test_the_whole_api_is_described(spec: dict[str, Any]) -> None:
    assert len(list(spec_operations(spec))) >= 160
    assert {operation.tag for operation in operations()} == TAGS


def test_every_operation_follows_the_spec_rules(spec: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in spec_operations(spec):
        where = f"{method.upper()} {path}"
        if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation.get("operationId", "")):
            problems.append(f"{where}: operationId is not snake_case")
        if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in TAGS:
            problems.append(f"{where}: needs exactly one known tag")
        if not isinstance(operation.get(REQUIRES_USER_EXTENSION), bool):
            problems.append(f"{where}: no {REQUIRES_USER_EXTENSION}")
        responses = operation["responses"]
        if responses.get("429") != {"$ref": "#/components/responses/RateLimited"}:
            problems.append(f"{where}: 429 is not the shared RateLimited response")
        shared = {code: answer for code, answer in responses.items() if code[0] == "4"}
        if operation["operationId"] != "issue_token" and not all("$ref" in answer for answer in shared.values()):
            problems.append(f"{where}: an error response is not a shared one")
        if operation["operationId"] != "issue_token" and "401" not in responses:
            problems.append(f"{where}: no 401")
    assert problems == []


def test_exactly_the_application_context_operations_need_no_user() -> None:
    assert {op.operation_id for op in operations() if not op.requires_user} == APP_CONTEXT_OPERATIONS


def test_descriptions_pair_each_ui_word_with_its_api_word(spec: dict[str, Any]) -> None:
    missing = []
    for _, _, operation in spec_operations(spec):
        text = (operation["summary"] + " " + operation["description"]).lower()
        for ui_word, api_word in VOCABULARY.items():
            if re.search(ui_word, text) and not re.search(api_word, text):
                missing.append(f"{operation['operationId']}: {ui_word} without {api_word}")
    assert missing == []


def test_no_enum_anywhere_in_the_spec(spec: dict[str, Any]) -> None:
    def enums(node: Any, trail: str) -> Iterator[str]:
        if isinstance(node, dict):
            if "enum" in node:
                yield trail
            for key, value in node.items():
                yield from enums(value, f"{trail}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from enums(value, f"{trail}/{index}")

    assert list(enums(spec, "#")) == []


def request_schemas(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema a client sends (request bodies and query parameters), references followed."""
    seen: set[int] = set()

    def walk(node: Any, trail: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict) and "$ref" in node and node["$ref"].endswith(("/RequestDate", "/RequestDay")):
            return
        node = deref(spec, node)
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        yield trail, node
        for name, child in node.get("properties", {}).items():
            yield from walk(child, f"{trail}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from walk(node[key], f"{trail}[]")

    for _, _, operation in spec_operations(spec):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            yield from walk(content["schema"], f"{operation['operationId']} body")
        for reference in operation.get("parameters", []):
            parameter = deref(spec, reference)
            yield from walk(parameter["schema"], f"{operation['operationId']} {parameter['name']}")


def test_request_dates_are_request_dates_never_iso(spec: dict[str, Any]) -> None:
    iso = [where for where, schema in request_schemas(spec) if schema.get("format") in {"date-time", "date"}]
    assert iso == []
    deadlines = [where for where, schema in request_schemas(spec) if where.rsplit(".", 1)[-1].startswith("deadline")]
    assert deadlines == [], "a deadline sent to the API must be a RequestDate"


def test_the_user_token_endpoint_is_the_grant_type_fix(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/applications/{org}/users/{user_email}/token"]["post"]
    assert operation[REQUIRES_USER_EXTENSION] is False
    assert "grant-type problem" in operation["description"].lower()
    assert deref(spec, operation["responses"]["200"])["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenResponse"
    }


def test_permanent_deletion_of_a_process_requires_archiving_first(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/organizations/{org}/runs/{run_id}/delete"]["delete"]
    assert "422" in operation["responses"]
    assert "archived" in operation["description"]


def test_the_file_upload_is_multipart_with_a_binary_file(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/organizations/{org}/file"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    schema = deref(spec, body["multipart/form-data"]["schema"])
    assert schema["properties"]["name"] == {**schema["properties"]["name"], "type": "string", "format": "binary"}


@pytest.mark.parametrize(("name", "schema"), [("processEvent", "ProcessWebhook"), ("taskEvent", "TaskWebhook")])
def test_webhooks_are_described_with_component_payloads(spec: dict[str, Any], name: str, schema: str) -> None:
    operation = spec["webhooks"][name]["post"]
    payload = operation["requestBody"]["content"]["application/json"]["schema"]
    assert payload == {"$ref": f"#/components/schemas/{schema}"}
    (header,) = [deref(spec, parameter) for parameter in operation["parameters"]]
    assert (header["name"], header["in"], header["required"]) == (ORG_ID_WEBHOOK_HEADER, "header", True)
    assert operation["security"] == []


def test_the_generated_client_has_typed_webhook_models() -> None:
    process = models.ProcessWebhook.from_dict({"id": "r1", "process-tasks": {"review": "t1"}})
    task = models.TaskWebhook.from_dict({"this_task": {"id": "t1"}, "next_task": []})

    assert process.process_tasks is not None
    assert process.process_tasks.additional_properties == {"review": "t1"}
    assert process.to_dict()["process-tasks"] == {"review": "t1"}
    assert isinstance(task.this_task, models.WebhookTask)
    assert task.next_task == []
