"""Bad input never crashes the sandbox: 4xx with a JSON body, never a 500, never a traceback."""

from __future__ import annotations

import logging

import httpx
import pytest

from tallyfy_diag import _spec
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.sandbox import _call as call_module


def _assert_clean_4xx(response, status=None):
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json(), dict)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'title': 'x'}", b"[1, 2]", b'"title"', b"null", b"\xff\xfe{}", b'{"title": NaN}', b"[" * 100_000],
)
def test_malformed_or_non_object_json_is_422(api, user_headers, raw):
    response = api.client.post(
        api.org("/checklists"), content=raw, headers={**user_headers, "Content-Type": "application/json"}
    )
    _assert_clean_4xx(response, 422)
    assert list(response.json()["errors"]) == ["body"]


def test_a_non_json_body_on_a_json_operation_is_422(api, user_headers):
    headers = {**user_headers, "Content-Type": "text/plain"}
    response = api.client.post(api.org("/checklists"), content=b"title=form", headers=headers)
    _assert_clean_4xx(response, 422)
    assert "application/json" in response.json()["errors"]["body"][0]


def test_a_form_body_on_a_json_operation_is_read_like_json(api, user_headers):
    """Laravel reads a form body like JSON; Tallyfy's SDK sends its blueprint clone as one."""
    response = api.client.post(api.org("/checklists"), data={"title": "form"}, headers=user_headers)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["title"] == "form"


def test_an_oversized_body_is_413(api, user_headers):
    limit = api.sandbox.config.max_body_bytes
    response = api.client.post(api.org("/checklists"), json={"title": "x" * limit}, headers=user_headers)
    _assert_clean_4xx(response, 413)
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_an_oversized_streamed_body_without_content_length_is_413():
    sandbox = Sandbox.in_process(SandboxConfig(max_body_bytes=1000))
    token = sandbox.mint_access_token()

    def chunks():
        for _ in range(10):
            yield b"x" * 200

    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        response = client.post(
            f"/organizations/{sandbox.credentials.org_id}/checklists",
            content=chunks(),
            headers={
                "Authorization": f"Bearer {token}",
                "X-Tallyfy-Client": "APIClient",
                "Content-Type": "application/json",
            },
        )
    _assert_clean_4xx(response, 413)


def test_wrong_types_everywhere_are_422_naming_fields(api, user_headers):
    body = {"title": {"nested": True}, "summary": 1, "guidance": False, "owner_id": 1.5, "type": [], "webhook": 7}
    response = api.client.post(api.org("/checklists"), json=body, headers=user_headers)
    _assert_clean_4xx(response, 422)
    assert set(response.json()["errors"]) == set(body)


def test_lone_surrogates_are_echoed_as_valid_json(api, user_headers):
    response = api.client.post(
        api.org("/checklists"),
        content=b'{"title": "bad \\ud800 text"}',
        headers={**user_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["data"]["title"] == "bad \ud800 text"


@pytest.mark.parametrize(
    "query",
    ["page=-1", "page=99999999999999999999999", "per_page=%FF", "with=%00", "q=%ZZ", "owner_id=x", "archived=maybe"],
)
def test_odd_query_strings_are_handled(api, user_headers, query):
    response = api.client.get(api.org("/checklists") + "?" + query, headers=user_headers)
    assert response.status_code in {200, 422}, response.text
    assert "Traceback" not in response.text


def test_every_operation_survives_garbage_bodies_and_ids(api, user_headers):
    for operation in _spec.operations():
        names = [part[1:-1] for part in operation.path_template.split("/") if part.startswith("{")]
        path = operation.path_template.format_map({**dict.fromkeys(names, "x%20y"), "org": api.credentials.org_id})
        for content in (b"\x00\x01garbage", b'{"task_id": [], "checklist_id": {}, "title": null}'):
            response = api.client.request(
                operation.method, path, content=content, headers={**user_headers, "Content-Type": "application/json"}
            )
            assert response.status_code < 500, (operation.operation_id, response.text)
            assert response.headers["Content-Type"] == "application/json"


def test_an_unexpected_exception_is_a_detail_free_500_and_is_logged(monkeypatch, caplog):
    def explode(call):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setitem(call_module.HANDLERS, "get_me", explode)
    sandbox = Sandbox.in_process()
    token = sandbox.mint_access_token()
    with (
        caplog.at_level(logging.ERROR, logger="tallyfy_diag.sandbox"),
        httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client,
    ):
        response = client.get("/me", headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"})
    assert response.status_code == 500
    assert response.json() == {"error": True, "message": "Server Error"}
    assert "internal detail" not in response.text
    assert response.headers["X-Request-Id"]
    assert any("internal detail" in record.exc_text for record in caplog.records if record.exc_text)


def test_a_missing_required_body_is_422_and_so_is_a_put_without_its_title(api, user_headers):
    listing = api.client.get(api.org("/checklists"), headers=user_headers).json()["data"]
    path = api.org(f"/checklists/{listing[0]['id']}")
    missing = api.client.put(path, headers=user_headers)
    _assert_clean_4xx(missing, 422)
    assert list(missing.json()["errors"]) == ["body"]
    empty = api.client.put(path, json={}, headers=user_headers)
    _assert_clean_4xx(empty, 422)
    assert list(empty.json()["errors"]) == ["title"], "a blueprint PUT needs its title (Tallyfy's update page)"
    assert api.client.put(path, json={"title": "Same title"}, headers=user_headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "t", "webhook": None}, "webhook"),
        ({"title": "t", "owner_id": None}, "owner_id"),
        ({"title": None}, "title"),
    ],
)
def test_null_is_not_a_value_of_any_declared_field_type(api, user_headers, body, field):
    response = api.client.post(api.org("/checklists"), json=body, headers=user_headers)
    _assert_clean_4xx(response, 422)
    assert list(response.json()["errors"]) == [field]


def test_null_owner_lists_are_refused(api, user_headers):
    response = api.client.post(api.org("/tasks"), json={"title": "t", "owners": {"users": None}}, headers=user_headers)
    _assert_clean_4xx(response, 422)
    assert list(response.json()["errors"]) == ["owners.users"]


def test_control_characters_in_a_path_are_escaped_in_the_log(monkeypatch, caplog):
    # A decoded %00, an ANSI escape or a bidi override must not reach a terminal or a log file raw.
    def explode(call):
        raise RuntimeError("boom")

    monkeypatch.setitem(call_module.HANDLERS, "get_blueprint", explode)
    sandbox = Sandbox.in_process()
    with (
        caplog.at_level(logging.INFO, logger="tallyfy_diag.sandbox"),
        httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client,
    ):
        client.get("/nowhere%00%1b[31mred%0d%0aFAKE%E2%80%AE", headers={"X-Tallyfy-Client": "APIClient"})
        token = sandbox.mint_access_token()
        blueprint = f"/organizations/{sandbox.credentials.org_id}/checklists/x%1b[2J"
        headers = {"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"}
        assert client.get(blueprint, headers=headers).status_code == 500
    lines = [record.getMessage() for record in caplog.records if record.name == "tallyfy_diag.sandbox"]
    assert any("/nowhere\\x00\\x1b[31mred\\r\\nFAKE\\u202e -> 404" in line for line in lines), lines
    assert any(line.startswith("unhandled error") and "/checklists/x\\x1b[2J" in line for line in lines), lines
    assert all(line.isprintable() for line in lines), lines
