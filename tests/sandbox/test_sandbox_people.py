"""Members, guests, groups, the organization itself, and the application endpoints (over real HTTP)."""

from __future__ import annotations

import uuid

import jwt
import pytest

FORBIDDEN_APP = "You don't have application's permissions for this organization!"


def _email(prefix="person"):
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.com"


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_update_organization(api, user_headers, conforms):
    response = api.client.put(api.org(), json={"name": "Renamed Co"}, headers=user_headers)
    conforms("update_organization", response)
    assert response.json()["data"]["name"] == "Renamed Co"
    assert api.client.get(api.org(), headers=user_headers).json()["data"]["name"] == "Renamed Co"
    empty = api.client.put(api.org(), json={"name": ""}, headers=user_headers)
    assert empty.status_code == 422
    assert list(empty.json()["errors"]) == ["name"]


def test_members_list_and_get(api, user_headers, conforms):
    listing = api.client.get(api.org("/users"), headers=user_headers)
    conforms("list_users", listing)
    members = listing.json()["data"]
    assert api.credentials.user_id in {member["id"] for member in members}
    me = next(member for member in members if member["id"] == api.credentials.user_id)
    assert (me["role"], me["status"]) == ("admin", "active")
    one = api.client.get(api.org(f"/users/{api.credentials.user_id}"), headers=user_headers)
    conforms("get_user", one)
    found = api.client.get(api.org("/users"), params={"q": "teammate"}, headers=user_headers).json()["data"]
    assert [member["last_name"] for member in found] == ["Teammate"]
    for missing in ("999", "abc"):
        assert api.client.get(api.org(f"/users/{missing}"), headers=user_headers).status_code == 404
    # A member of another organization is not found here.
    outsiders = [user.id for user in api.sandbox.app.store.users.values() if user.last_name == "Outsider"]
    assert api.client.get(api.org(f"/users/{outsiders[0]}"), headers=user_headers).status_code == 404


def test_invite_change_role_disable_and_enable(api, user_headers, conforms):
    email = _email("invitee")
    invited = api.client.post(
        api.org("/users/invite"),
        json={"email": email, "first_name": "In", "last_name": "Vitee", "role": "light", "message": "hi"},
        headers=user_headers,
    )
    conforms("invite_user", invited)
    user = invited.json()["data"]
    assert (user["email"], user["status"], user["role"]) == (email, "invited", "light")
    again = api.client.post(
        api.org("/users/invite"),
        json={"email": email, "first_name": "a", "last_name": "b", "role": "light", "message": "hi"},
        headers=user_headers,
    )
    assert again.status_code == 422
    assert list(again.json()["errors"]) == ["email"]
    path = api.org(f"/users/{user['id']}")
    role = api.client.put(path + "/role", json={"role": "admin"}, headers=user_headers)
    conforms("update_user_role", role)
    assert role.json()["data"]["role"] == "admin"
    bad_role = api.client.put(path + "/role", json={"role": "owner"}, headers=user_headers)
    assert list(bad_role.json()["errors"]) == ["role"]
    disabled = api.client.delete(path + "/disable", headers=user_headers)
    conforms("disable_user", disabled)
    assert disabled.json()["data"]["status"] == "disabled"
    enabled = api.client.put(path + "/enable", headers=user_headers)
    conforms("enable_user", enabled)
    assert enabled.json()["data"]["status"] == "active"
    myself = api.client.delete(api.org(f"/users/{api.credentials.user_id}/disable"), headers=user_headers)
    assert myself.status_code == 422


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "first_name", "last_name", "role", "message"}),
        ({"email": "not-an-email", "first_name": "a", "last_name": "b", "role": "light", "message": "m"}, {"email"}),
        (
            {"email": "x@example.com", "first_name": "a" * 33, "last_name": "b", "role": "light", "message": "m"},
            {"first_name"},
        ),
        ({"email": "y@example.com", "first_name": "a", "last_name": "b"}, {"role", "message"}),
    ],
)
def test_invalid_invitations_are_422(api, user_headers, body, fields):
    response = api.client.post(api.org("/users/invite"), json=body, headers=user_headers)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == fields


def test_applications_provision_a_user_and_get_a_token_acting_as_them(api, app_headers, user_headers, conforms):
    email = _email("provisioned")
    created = api.client.post(
        f"/applications/{api.credentials.org_id}/users",
        json={"email": email, "first_name": "Pro", "last_name": "Visioned"},
        headers=app_headers,
    )
    assert created.status_code == 201
    conforms("provision_application_user", created)
    user_id = created.json()["data"]["id"]
    issued = api.client.post(f"/applications/{api.credentials.org_id}/users/{email}/token", headers=app_headers)
    conforms("issue_application_user_token", issued)
    body = issued.json()
    assert body["expires_in"] == 7_776_000
    assert "refresh_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["aud"]) == (str(user_id), api.credentials.app_client_id)
    # The fix for the grant-type trap: the app token gets 401 on /me, the issued user token does not.
    assert api.client.get("/me", headers=app_headers).status_code == 401
    me = api.client.get("/me", headers=_bearer(body["access_token"]))
    assert me.json()["data"]["email"] == email
    # A new member is a standard user: administrator-only operations are refused.
    refused = api.client.post(
        api.org("/users/invite"),
        json={"email": _email(), "first_name": "a", "last_name": "b"},
        headers=_bearer(body["access_token"]),
    )
    assert refused.status_code == 403
    assert "administrator" in refused.json()["message"]
    duplicate = api.client.post(
        f"/applications/{api.credentials.org_id}/users",
        json={"email": email, "first_name": "a", "last_name": "b"},
        headers=app_headers,
    )
    assert list(duplicate.json()["errors"]) == ["email"]


def test_application_endpoints_refuse_other_organizations_users_and_strangers(api, app_headers, user_headers):
    credentials = api.credentials
    other = api.client.post(
        f"/applications/{credentials.second_org_id}/users/{credentials.username}/token", headers=app_headers
    )
    assert other.status_code == 403
    assert other.json()["message"] == FORBIDDEN_APP
    as_user = api.client.post(
        f"/applications/{credentials.org_id}/users/{credentials.username}/token", headers=user_headers
    )
    assert as_user.status_code == 403
    stranger = api.client.post(f"/applications/{credentials.org_id}/users/{_email()}/token", headers=app_headers)
    assert stranger.status_code == 422
    assert list(stranger.json()["errors"]) == ["user_email"]


def test_a_disabled_member_loses_their_tokens(api, app_headers, user_headers):
    email = _email("leaver")
    created = api.client.post(
        f"/applications/{api.credentials.org_id}/users",
        json={"email": email, "first_name": "Lea", "last_name": "Ver"},
        headers=app_headers,
    ).json()["data"]
    token = api.client.post(f"/applications/{api.credentials.org_id}/users/{email}/token", headers=app_headers)
    headers = _bearer(token.json()["access_token"])
    assert api.client.get("/me", headers=headers).status_code == 200
    api.client.delete(api.org(f"/users/{created['id']}/disable"), headers=user_headers)
    assert api.client.get("/me", headers=headers).status_code == 401
    again = api.client.post(f"/applications/{api.credentials.org_id}/users/{email}/token", headers=app_headers)
    assert again.status_code == 422


def test_guests_by_email(api, user_headers, conforms):
    email = _email("guest")
    created = api.client.post(
        api.org("/guests"), json={"email": email, "first_name": "Gu", "company_name": "Ext Ltd"}, headers=user_headers
    )
    assert created.status_code == 201
    conforms("create_guest", created)
    duplicate = api.client.post(api.org("/guests"), json={"email": email.upper()}, headers=user_headers)
    assert list(duplicate.json()["errors"]) == ["email"]
    listed = api.client.get(api.org("/guests"), headers=user_headers)
    conforms("list_guests", listed)
    assert email in {guest["email"] for guest in listed.json()["data"]}
    path = api.org(f"/guests/{email}")
    conforms("get_guest", api.client.get(path, headers=user_headers))
    updated = api.client.put(
        path, json={"last_name": "Est", "associated_members": [api.credentials.user_id]}, headers=user_headers
    )
    conforms("update_guest", updated)
    assert updated.json()["data"]["associated_members"] == [api.credentials.user_id]
    bad_member = api.client.put(path, json={"associated_members": [1]}, headers=user_headers)
    assert list(bad_member.json()["errors"]) == ["associated_members"]
    removed = api.client.delete(path, headers=user_headers)
    conforms("delete_guest", removed)
    assert api.client.get(path, headers=user_headers).status_code == 404
    # Tallyfy's docs: removing an email that is not a guest is 422, not 404.
    assert api.client.delete(path, headers=user_headers).status_code == 422
    bad = api.client.post(api.org("/guests"), json={"email": "nope", "company_url": "x"}, headers=user_headers)
    assert set(bad.json()["errors"]) == {"email", "company_url"}


def test_groups(api, user_headers, conforms):
    created = api.client.post(
        api.org("/groups"),
        json={
            "name": "Reviewers",
            "description": "They review",
            "members": [api.credentials.user_id],
            "guests": ["g@example.com"],
        },
        headers=user_headers,
    )
    assert created.status_code == 201
    conforms("create_group", created)
    group_id = created.json()["data"]["id"]
    conforms("list_groups", api.client.get(api.org("/groups"), headers=user_headers))
    conforms("get_group", api.client.get(api.org(f"/groups/{group_id}"), headers=user_headers))
    updated = api.client.put(api.org(f"/groups/{group_id}"), json={"name": "Approvers"}, headers=user_headers)
    conforms("update_group", updated)
    assert updated.json()["data"]["name"] == "Approvers"
    assert updated.json()["data"]["members"] == [api.credentials.user_id]
    deleted = api.client.delete(api.org(f"/groups/{group_id}"), headers=user_headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.client.get(api.org(f"/groups/{group_id}"), headers=user_headers).status_code == 404
    for body, field in (
        ({"description": "d"}, "name"),
        ({"name": "x"}, "description"),
        ({"name": "x", "description": "d", "members": [1]}, "members"),
        ({"name": "x", "description": "d", "guests": ["no"]}, "guests.0"),
    ):
        response = api.client.post(api.org("/groups"), json=body, headers=user_headers)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == [field]
