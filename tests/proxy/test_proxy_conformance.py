"""The spec validator: generic over the spec, so an operation added to it is checked with no code change."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from tallyfy_diag import _spec
from tallyfy_diag.proxy import _conformance
from tallyfy_diag.proxy._conformance import Matched, match, request_problems, response_problems


def matched(method: str, path: str) -> Matched:
    found = match(method, path)
    assert isinstance(found, Matched), found
    return found


def texts(problems) -> list[str]:
    return [f"{p.part}/{p.severity}: {p.text()}" for p in problems]


def test_unknown_path_and_wrong_method():
    assert texts(match("GET", "/nowhere")) == [
        "operation/fail: GET (unknown path): no operation of the spec has this path"
    ]
    assert texts(match("PATCH", "/me")) == ["operation/fail: PATCH /me: the spec has no PATCH here; it allows GET"]
    assert matched("GET", "/organizations/abc/checklists").path_parameters == {"org": "abc"}


def test_parameters_are_read_as_their_schema_types():
    listing = matched("GET", "/organizations/abc/checklists")
    assert request_problems(listing, query=[("per_page", "10")], headers=[], content_type=None, body=b"") == []
    problems = request_problems(listing, query=[("per_page", "ten")], headers=[], content_type=None, body=b"")
    assert texts(problems) == ["request/fail: query parameter per_page: expected integer"]


def test_bodies_by_content_type_and_schema():
    token = matched("POST", "/oauth/token")
    form = b"grant_type=password&client_id=1&client_secret=s&username=a%40b.c&password=p"
    ok = request_problems(token, query=[], headers=[], content_type="application/x-www-form-urlencoded", body=form)
    assert ok == []
    as_json = request_problems(token, query=[], headers=[], content_type="application/json", body=b"{}")
    assert texts(as_json) == [
        "request/fail: request body: sent as application/json; the spec expects application/x-www-form-urlencoded"
    ]
    missing = request_problems(token, query=[], headers=[], content_type=None, body=b"")
    assert texts(missing) == ["request/fail: request body: required (application/x-www-form-urlencoded), missing"]
    launch = matched("POST", "/organizations/abc/runs")
    wrong = request_problems(
        launch, query=[], headers=[], content_type="application/json", body=json.dumps({"name": 5}).encode()
    )
    assert any("request body" in text for text in texts(wrong))


def test_responses_by_status_and_shape():
    me = matched("GET", "/me")
    good = json.dumps({"data": {"id": 1, "email": "a@b.c"}}).encode()
    assert response_problems(me, status=200, content_type="application/json", body=good) == []
    drifted = json.dumps({"data": {"id": "1"}}).encode()
    assert texts(response_problems(me, status=200, content_type="application/json", body=drifted)) == [
        "response/fail: response body.data.id: expected integer"
    ]
    assert texts(response_problems(me, status=200, content_type="text/html", body=b"<html>")) == [
        "response/fail: 200 response body: answered as text/html; the spec says application/json"
    ]
    assert texts(response_problems(me, status=418, content_type="application/json", body=b"{}")) == [
        "response/warn: status 418: not documented for get_me"
    ]
    # A body the proxy did not keep whole is not judged by its shape.
    assert response_problems(me, status=200, content_type="application/json", body=b'{"da', body_complete=False) == []


def test_problems_never_quote_the_values_sent():
    listing = matched("GET", "/organizations/abc/checklists")
    problems = request_problems(
        listing, query=[("per_page", "secret-ish-7f3")], headers=[], content_type=None, body=b""
    )
    assert problems
    assert all("secret-ish-7f3" not in text for text in texts(problems))


@pytest.fixture
def extended_spec(tmp_path, monkeypatch):
    """The spec with an operation it does not have today (as the spec grows), loaded through `_spec`."""
    document = copy.deepcopy(_spec.load_spec())
    document["paths"]["/organizations/{org}/widgets/{widget_id}"] = {
        "parameters": [{"$ref": "#/components/parameters/Org"}],
        "put": {
            "operationId": "update_widget",
            "tags": ["widgets"],
            "x-requires-user": True,
            "parameters": [
                {"name": "widget_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "dry_run", "in": "query", "required": True, "schema": {"type": "boolean"}},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "required": ["size"], "properties": {"size": {"type": "integer"}}}
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserEnvelope"}}},
                }
            },
        },
    }
    path = tmp_path / "tallyfy.openapi.yaml"
    path.write_text(yaml.safe_dump(document))
    caches = (_spec.clear_caches, _conformance._registry.cache_clear, _conformance._validator.cache_clear)
    for clear in caches:
        clear()
    monkeypatch.setattr(_spec, "spec_path", lambda: path)
    yield
    monkeypatch.undo()
    for clear in caches:
        clear()


@pytest.mark.usefixtures("extended_spec")
def test_an_operation_added_to_the_spec_is_validated_without_code_changes():
    widget = matched("PUT", "/organizations/o/widgets/12")
    assert widget.operation.operation_id == "update_widget"
    assert (
        request_problems(
            widget, query=[("dry_run", "true")], headers=[], content_type="application/json", body=b'{"size": 3}'
        )
        == []
    )
    wrong = request_problems(
        matched("PUT", "/organizations/o/widgets/twelve"),
        query=[],
        headers=[],
        content_type="application/json",
        body=b'{"size": "big"}',
    )
    assert texts(wrong) == [
        "request/fail: path parameter widget_id: expected integer",
        "request/fail: query parameter dry_run: required, missing",
        "request/fail: request body.size: expected integer",
    ]
    answered = response_problems(widget, status=200, content_type="application/json", body=b'{"data": {}}')
    assert texts(answered) == ["response/fail: response body.data: id required by the spec, missing"]
