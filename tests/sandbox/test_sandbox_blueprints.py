"""Identity and blueprints (API: checklists): shapes per the spec, pagination exactly as documented."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sandbox_helpers import is_utc_iso

RESPONSE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z")
HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_me_and_my_organizations_conform(api, user_headers, conforms):
    me = api.client.get("/me", headers=user_headers)
    conforms("get_me", me)
    assert RESPONSE_DATE.fullmatch(me.json()["data"]["created_at"])
    organizations = api.client.get("/me/organizations", headers=user_headers)
    conforms("list_my_organizations", organizations)
    assert organizations.json()["meta"]["pagination"] == {
        "total": 2,
        "count": 2,
        "per_page": 10,
        "current_page": 1,
        "total_pages": 1,
        "links": [],
    }


def test_get_organization_works_for_users_and_applications(api, user_headers, app_headers, conforms):
    for headers in (user_headers, app_headers):
        response = api.client.get(api.org(), headers=headers)
        conforms("get_organization", response)
        assert response.json()["data"]["id"] == api.credentials.org_id


def test_blueprints_paginate_ten_by_default_with_absolute_links(api, user_headers, conforms):
    first = api.client.get(api.org("/checklists"), headers=user_headers)
    conforms("list_blueprints", first)
    pagination = first.json()["meta"]["pagination"]
    total = pagination["total"]
    assert total > 10
    assert pagination["per_page"] == 10
    assert pagination["count"] == 10
    assert pagination["current_page"] == 1
    assert pagination["total_pages"] == -(-total // 10)
    assert set(pagination["links"]) == {"next"}
    next_url = pagination["links"]["next"]
    assert next_url.startswith(api.sandbox.base_url + api.org("/checklists"))
    assert parse_qs(urlsplit(next_url).query) == {"page": ["2"]}
    second = api.client.get(next_url, headers=user_headers)
    conforms("list_blueprints", second)
    page2 = second.json()["meta"]["pagination"]
    assert page2["count"] == total - 10
    assert set(page2["links"]) == {"previous"}
    assert parse_qs(urlsplit(page2["links"]["previous"]).query) == {"page": ["1"]}
    ids = [item["id"] for item in first.json()["data"] + second.json()["data"]]
    assert len(set(ids)) == total
    assert all(HEX_ID.fullmatch(item) for item in ids)


def test_a_middle_page_links_both_ways_and_keeps_other_parameters(api, user_headers):
    response = api.client.get(api.org("/checklists"), params={"per_page": 2, "page": 2, "q": "o"}, headers=user_headers)
    links = response.json()["meta"]["pagination"]["links"]
    assert set(links) == {"previous", "next"}
    assert parse_qs(urlsplit(links["next"]).query) == {"per_page": ["2"], "q": ["o"], "page": ["3"]}


def test_per_page_is_capped_at_100(api, user_headers):
    response = api.client.get(api.org("/checklists"), params={"per_page": 500}, headers=user_headers)
    pagination = response.json()["meta"]["pagination"]
    assert pagination["per_page"] == 100
    assert pagination["links"] == []
    assert pagination["count"] == pagination["total"]


@pytest.mark.parametrize(("name", "value"), [("per_page", "0"), ("per_page", "ten"), ("page", "0"), ("page", "1.5")])
def test_bad_paging_parameters_are_422_naming_the_parameter(api, user_headers, conforms, name, value):
    response = api.client.get(api.org("/checklists"), params={name: value}, headers=user_headers)
    assert response.status_code == 422
    conforms("list_blueprints", response)
    assert list(response.json()["errors"]) == [name]


def test_a_page_past_the_end_is_empty_and_links_back(api, user_headers):
    response = api.client.get(api.org("/checklists"), params={"page": 9}, headers=user_headers)
    body = response.json()
    assert body["data"] == []
    assert body["meta"]["pagination"]["count"] == 0
    assert set(body["meta"]["pagination"]["links"]) == {"previous"}


def test_blueprint_filters(api, user_headers):
    found = api.client.get(api.org("/checklists"), params={"q": "ONBOARDING"}, headers=user_headers).json()["data"]
    assert {item["title"] for item in found} == {"Employee onboarding", "Customer onboarding"}
    archived = api.client.get(api.org("/checklists"), params={"archived": "true"}, headers=user_headers).json()
    assert [item["title"] for item in archived["data"]] == ["Retired process"]
    assert is_utc_iso(archived["data"][0]["archived_at"])
    forms = api.client.get(api.org("/checklists"), params={"type": "form", "per_page": 100}, headers=user_headers)
    assert {item["type"] for item in forms.json()["data"]} == {"form"}


def _onboarding(api, headers):
    listing = api.client.get(api.org("/checklists"), params={"q": "Employee onboarding"}, headers=headers)
    return listing.json()["data"][0]


def test_a_blueprint_with_its_steps_and_kickoff_fields(api, user_headers, app_headers, conforms):
    blueprint_id = _onboarding(api, user_headers)["id"]
    plain = api.client.get(api.org(f"/checklists/{blueprint_id}"), headers=app_headers)
    conforms("get_blueprint", plain)
    assert "steps" not in plain.json()["data"]
    full = api.client.get(api.org(f"/checklists/{blueprint_id}"), params={"with": "steps,prerun"}, headers=user_headers)
    conforms("get_blueprint", full)
    data = full.json()["data"]
    assert [step["position"] for step in data["steps"]] == [1, 2, 3]
    assert data["prerun"][0]["required"] is True
    step = data["steps"][0]
    assert step["captures"][0]["label"] == "Employee ID"
    steps = api.client.get(api.org(f"/checklists/{blueprint_id}/steps"), headers=app_headers)
    conforms("list_blueprint_steps", steps)
    assert [item["id"] for item in steps.json()["data"]] == [item["id"] for item in data["steps"]]
    one = api.client.get(api.org(f"/checklists/{blueprint_id}/steps/{step['id']}"), headers=app_headers)
    conforms("get_blueprint_step", one)
    assert one.json()["data"] == step


def test_unknown_ids_are_resource_not_found(api, user_headers, conforms):
    blueprint_id = _onboarding(api, user_headers)["id"]
    for path in (f"/checklists/{'0' * 32}", f"/checklists/{blueprint_id}/steps/{'0' * 32}", "/checklists/NOT-HEX"):
        response = api.client.get(api.org(path), headers=user_headers)
        assert response.status_code == 404
        assert response.json() == {"error": True, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND"}
    conforms("get_blueprint", response)


def test_a_blueprint_of_another_organization_is_not_found_here(api, user_headers):
    other = api.client.get(api.org("/checklists", api.credentials.second_org_id), headers=user_headers)
    blueprint_id = other.json()["data"][0]["id"]
    assert api.client.get(api.org(f"/checklists/{blueprint_id}"), headers=user_headers).status_code == 404


def test_create_update_and_archive_a_blueprint(api, user_headers, conforms):
    created = api.client.post(
        api.org("/checklists"),
        json={"title": "Sandbox test", "summary": "s", "type": "form", "webhook": "https://hooks.example.com/x"},
        headers=user_headers,
    )
    assert created.status_code == 201
    conforms("create_blueprint", created)
    data = created.json()["data"]
    assert data["owner_id"] == api.credentials.user_id
    assert (data["title"], data["type"], data["status"]) == ("Sandbox test", "form", "active")
    path = api.org(f"/checklists/{data['id']}")
    updated = api.client.put(path, json={"title": "Renamed"}, headers=user_headers)
    conforms("update_blueprint", updated)
    assert updated.json()["data"]["title"] == "Renamed"
    assert updated.json()["data"]["summary"] == "s"
    assert api.client.get(path, headers=user_headers).json()["data"]["title"] == "Renamed"
    archived = api.client.delete(path, headers=user_headers)
    conforms("archive_blueprint", archived)
    assert archived.json()["data"]["status"] == "archived"
    assert RESPONSE_DATE.fullmatch(archived.json()["data"]["archived_at"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x" * 601}, "title"),
        ({"title": "ok", "owner_id": "1"}, "owner_id"),
        ({"title": "ok", "owner_id": 1}, "owner_id"),
        ({"title": "ok", "webhook": "not a url"}, "webhook"),
        ({"title": "ok", "summary": ["list"]}, "summary"),
    ],
)
def test_invalid_blueprint_bodies_are_422_naming_the_field(api, user_headers, conforms, body, field):
    response = api.client.post(api.org("/checklists"), json=body, headers=user_headers)
    assert response.status_code == 422
    conforms("create_blueprint", response)
    assert response.json()["message"] == "The given data was invalid."
    assert list(response.json()["errors"]) == [field]
    assert all(isinstance(message, str) and message for message in response.json()["errors"][field])


def test_updating_a_title_to_null_is_refused(api, user_headers):
    blueprint_id = _onboarding(api, user_headers)["id"]
    response = api.client.put(api.org(f"/checklists/{blueprint_id}"), json={"title": None}, headers=user_headers)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["title"]
