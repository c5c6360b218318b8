"""What the generator could get wrong, on the wire: a form-urlencoded body (the token endpoint), a multipart
upload, Python-renamed names going out under their wire names (`with_` as `with`, `type_` as `type`), booleans
and paging in the query, an e-mail address percent-encoded into the path, 201 and 204 answers, a nested launch
body. One case per such shape, not one per operation (restating the spec operation by operation proves nothing
the drift check does not); a test fails when the spec uses a shape no case covers."""

from __future__ import annotations

import importlib
import io
import json
import keyword
import re
from typing import Any
from urllib.parse import parse_qs

import attrs
import httpx
import pytest
from tallyfy_client import AuthenticatedClient
from tallyfy_client.models import (
    AssetEnvelope,
    BlueprintCreate,
    BlueprintEnvelope,
    BlueprintList,
    FileUpload,
    GuestEnvelope,
    GuestList,
    GuestUpdate,
    OrganizationList,
    ProcessEnvelope,
    ProcessLaunch,
    TaskCompletion,
    TaskEnvelope,
    TokenRequest,
    TokenResponse,
)
from tallyfy_client.types import File

from tallyfy_diag._spec import load_spec, operations

BASE = "https://go.tallyfy.com/api"
ORG = "0123456789abcdef0123456789abcdef"
BP = "1" * 32
STEP = "2" * 32
RUN = "3" * 32
TASK = "4" * 32
CAPTURE = "5" * 32
FIELD = "6" * 32
TAG = "7" * 32
IN_ORG = f"/organizations/{ORG}"
# Page and PerPage declare defaults (1 and 10), so the generated client always sends them.
PAGED = {"page": "1", "per_page": "10"}
LIST = {"data": [], "meta": {"pagination": {"total": 0, "count": 0, "per_page": 10, "current_page": 1, "links": []}}}


def item(**fields: Any) -> dict[str, Any]:
    return {"data": fields}


@attrs.frozen
class WireCase:
    """One operation: how to call it, what must go on the wire, and the answer it must parse."""

    operation_id: str
    method: str
    path: str
    """The raw path after the base URL, percent-encoding included."""
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    query: dict[str, str] = attrs.field(factory=dict)
    json: Any = None
    form: dict[str, list[str]] | None = None
    multipart: dict[str, str] | None = None
    """Multipart part names to their text content (the file part to its bytes, decoded)."""
    status: int = 200
    answer: Any = None
    parsed: type | None = None

    def __str__(self) -> str:
        return self.operation_id


CASES = [
    # ---------------------------------------------------------------- auth, identity
    WireCase(
        "issue_token",
        "POST",
        "/oauth/token",
        kwargs={"body": TokenRequest(grant_type="client_credentials", client_id="3", client_secret="s")},
        form={"grant_type": ["client_credentials"], "client_id": ["3"], "client_secret": ["s"]},
        answer={"token_type": "Bearer", "expires_in": 3600, "access_token": "a"},
        parsed=TokenResponse,
    ),
    WireCase(
        "list_my_organizations",
        "GET",
        "/me/organizations",
        kwargs={"page": 2, "per_page": 5},
        query={"page": "2", "per_page": "5"},
        answer=LIST,
        parsed=OrganizationList,
    ),
    # ---------------------------------------------------------------- blueprints
    WireCase(
        "list_blueprints",
        "GET",
        f"{IN_ORG}/checklists",
        args=(ORG,),
        kwargs={"q": "onboarding", "archived": True, "owner_id": 7, "with_": "steps"},
        query={**PAGED, "q": "onboarding", "archived": "true", "owner_id": "7", "with": "steps"},
        answer=LIST,
        parsed=BlueprintList,
    ),
    WireCase(
        "create_blueprint",
        "POST",
        f"{IN_ORG}/checklists",
        args=(ORG,),
        kwargs={"body": BlueprintCreate(title="Onboarding", type_="procedure")},
        json={"title": "Onboarding", "type": "procedure"},
        status=201,
        answer=item(id=BP),
        parsed=BlueprintEnvelope,
    ),
    WireCase(
        "get_blueprint",
        "GET",
        f"{IN_ORG}/checklists/{BP}",
        args=(ORG, BP),
        kwargs={"with_": "steps,prerun"},
        query={"with": "steps,prerun"},
        answer=item(id=BP),
        parsed=BlueprintEnvelope,
    ),
    WireCase(
        "delete_kickoff_field",
        "DELETE",
        f"{IN_ORG}/checklists/{BP}/preruns/{FIELD}",
        args=(ORG, BP, FIELD),
        status=204,
    ),
    # ---------------------------------------------------------------- processes
    WireCase(
        "launch_process",
        "POST",
        f"{IN_ORG}/runs",
        args=(ORG,),
        kwargs={"body": ProcessLaunch(checklist_id=BP, name="Onboarding - Jane")},
        json={"checklist_id": BP, "name": "Onboarding - Jane"},
        status=201,
        answer=item(id=RUN),
        parsed=ProcessEnvelope,
    ),
    WireCase(
        "get_process",
        "GET",
        f"{IN_ORG}/runs/{RUN}",
        args=(ORG, RUN),
        kwargs={"with_": "tasks"},
        query={"with": "tasks"},
        answer=item(id=RUN),
        parsed=ProcessEnvelope,
    ),
    # ---------------------------------------------------------------- tasks
    WireCase(
        "complete_oneoff_task",
        "POST",
        f"{IN_ORG}/completed-tasks",
        args=(ORG,),
        kwargs={"body": TaskCompletion(task_id=TASK)},
        json={"task_id": TASK},
        status=201,
        answer=item(id=TASK),
        parsed=TaskEnvelope,
    ),
    # ---------------------------------------------------------------- guests (addressed by email, percent-encoded)
    WireCase(
        "list_guests",
        "GET",
        f"{IN_ORG}/guests",
        args=(ORG,),
        kwargs={"q": "acme", "with_": "stats"},
        query={**PAGED, "q": "acme", "with": "stats"},
        answer=LIST,
        parsed=GuestList,
    ),
    WireCase(
        "get_guest",
        "GET",
        f"{IN_ORG}/guests/client%40example.com",
        args=(ORG, "client@example.com"),
        answer=item(email="client@example.com"),
        parsed=GuestEnvelope,
    ),
    WireCase(
        "update_guest",
        "PUT",
        f"{IN_ORG}/guests/client%2Btag%40example.com",
        args=(ORG, "client+tag@example.com"),
        kwargs={"body": GuestUpdate(associated_members=[7])},
        json={"associated_members": [7]},
        answer=item(email="client+tag@example.com"),
        parsed=GuestEnvelope,
    ),
    WireCase(
        "delete_guest",
        "DELETE",
        f"{IN_ORG}/guests/client%40example.com",
        args=(ORG, "client@example.com"),
        answer=item(email="client@example.com"),
        parsed=GuestEnvelope,
    ),
    # ---------------------------------------------------------------- files
    WireCase(
        "upload_file",
        "POST",
        f"{IN_ORG}/file",
        args=(ORG,),
        kwargs={
            "body": FileUpload(
                name=File(payload=io.BytesIO(b"%PDF-1.7"), file_name="contract.pdf", mime_type="application/pdf"),
                subject_id=RUN,
                subject_type="Run",
                uploaded_from=CAPTURE,
                step_id=STEP,
                checklist_id=BP,
            )
        },
        multipart={
            "name": "%PDF-1.7",
            "subject_id": RUN,
            "subject_type": "Run",
            "uploaded_from": CAPTURE,
            "step_id": STEP,
            "checklist_id": BP,
        },
        answer=item(id="a1", filename="contract.pdf"),
        parsed=AssetEnvelope,
    ),
    # ---------------------------------------------------------------- applications
    WireCase(
        "issue_application_user_token",
        "POST",
        f"/applications/{ORG}/users/ann%40example.com/token",
        args=(ORG, "ann@example.com"),
        answer={"token_type": "Bearer", "expires_in": 7776000, "access_token": "u"},
        parsed=TokenResponse,
    ),
]


def _spec_shapes() -> set[str]:
    """The wire shapes the spec's operations use (each needs a case)."""
    spec = load_spec()
    shared = spec.get("components", {}).get("parameters", {})

    def resolved(parameter: dict[str, Any]) -> dict[str, Any]:
        reference = parameter.get("$ref", "")
        found: dict[str, Any] = shared.get(reference.rsplit("/", 1)[-1], {}) if reference else parameter
        return found

    shapes: set[str] = set()
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            shapes |= {f"body {media}" for media in content}
            shapes |= {f"answer {code}" for code in operation.get("responses", {}) if code in {"201", "204"}}
            for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = resolved(raw) if isinstance(raw, dict) else {}
                if "name" not in parameter:
                    continue
                if parameter.get("in") == "query" and keyword.iskeyword(parameter["name"]):
                    shapes.add("query named like a Python keyword")
                if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "boolean":
                    shapes.add("boolean query")
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("format") == "email":
                    shapes.add("e-mail in the path")
    return shapes


def _case_shapes() -> set[str]:
    shapes: set[str] = set()
    for case in CASES:
        if case.json is not None:
            shapes.add("body application/json")
        if case.form is not None:
            shapes.add("body application/x-www-form-urlencoded")
        if case.multipart is not None:
            shapes.add("body multipart/form-data")
        if case.status in {201, 204}:
            shapes.add(f"answer {case.status}")
        if any(keyword.iskeyword(name) for name in case.query):
            shapes.add("query named like a Python keyword")
        if any(value in {"true", "false"} for value in case.query.values()):
            shapes.add("boolean query")
        if "%40" in case.path:
            shapes.add("e-mail in the path")
    return shapes


def test_every_wire_shape_the_spec_uses_has_a_case() -> None:
    ids = [case.operation_id for case in CASES]
    assert len(ids) == len(set(ids)), "an operation has two wire cases"
    assert _spec_shapes() - _case_shapes() == set(), "shapes of the spec no wire case covers"


def test_each_wire_case_matches_its_operation_in_the_spec() -> None:
    by_id = {op.operation_id: op for op in operations()}
    for case in CASES:
        operation = by_id[case.operation_id]
        assert operation.method == case.method, case.operation_id
        assert operation.match(re.sub(r"%[0-9A-F]{2}", "x", case.path)) is not None, case.operation_id


def multipart_fields(request: httpx.Request) -> dict[str, str]:
    boundary = request.headers["Content-Type"].split("boundary=", 1)[1].encode()
    fields: dict[str, str] = {}
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        found = re.search(rb'name="([^"]+)"', head)
        if found:
            fields[found.group(1).decode()] = body.removesuffix(b"\r\n").decode()
    return fields


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_generated_client_puts_the_operation_on_the_wire(case: WireCase) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if isinstance(case.answer, bytes):
            return httpx.Response(
                case.status, content=case.answer, headers={"Content-Type": "application/octet-stream"}
            )
        if case.answer is None:
            return httpx.Response(case.status)
        return httpx.Response(case.status, json=case.answer)

    client = AuthenticatedClient(
        base_url=BASE,
        token="t0ken",
        headers={"X-Tallyfy-Client": "APIClient"},
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    operation = next(op for op in operations() if op.operation_id == case.operation_id)
    module = importlib.import_module(f"tallyfy_client.api.{operation.tag}.{case.operation_id}")

    response = module.sync_detailed(*case.args, client=client, **case.kwargs)

    (request,) = seen
    assert request.method == case.method
    assert request.url.raw_path.decode().split("?", 1)[0] == "/api" + case.path
    assert dict(request.url.params) == case.query
    assert request.headers["X-Tallyfy-Client"] == "APIClient"
    if case.json is not None:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.content) == case.json
    elif case.form is not None:
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert parse_qs(request.content.decode()) == case.form
    elif case.multipart is not None:
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        assert multipart_fields(request) == case.multipart
    else:
        assert request.content == b"", "an operation without a body sent one"
    assert response.status_code == case.status
    if case.parsed is None:
        assert response.parsed is None
    else:
        assert isinstance(response.parsed, case.parsed)
