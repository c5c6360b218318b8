"""Identity, members, guests, groups, and the third-party application endpoints (provision a user, get a
token that acts as them: the documented way out of the client_credentials "no user" trap)."""

from __future__ import annotations

import attrs

from tallyfy_diag._constants import BEARER_SCHEME
from tallyfy_diag.sandbox import _serialize as shape
from tallyfy_diag.sandbox._call import Call, Result, handles
from tallyfy_diag.sandbox._errors import forbidden, invalid, resource_not_found
from tallyfy_diag.sandbox._models import Group, Guest, User
from tallyfy_diag.sandbox._validation import EMAIL, Fields

ROLES = ("admin", "standard", "light")
NAME_MAX = 32
GUEST_TEXT_MAX = 200
APPLICATION_USER_TOKEN_TTL = 7_776_000
"""Three months, as Tallyfy's docs give for tokens an application gets for a user."""
APPLICATION_ONLY_MESSAGE = "This endpoint takes an application (client_credentials) token."


# ---------------------------------------------------------------- identity


@handles("get_me")
def get_me(call: Call) -> Result:
    return 200, {"data": shape.user(call.store.users[call.user_id])}


@handles("list_my_organizations")
def list_my_organizations(call: Call) -> Result:
    user = call.store.users[call.user_id]
    organizations = [call.store.organizations[org_id] for org_id in user.org_ids]
    return call.paged(organizations, shape.organization)


@handles("get_organization")
def get_organization(call: Call) -> Result:
    return 200, {"data": shape.organization(call.store.organizations[call.org_id])}


@handles("update_organization")
def update_organization(call: Call) -> Result:
    fields = call.body_fields()
    name = fields.string("name", required="name" in fields.source, max_length=GUEST_TEXT_MAX)
    fields.check()
    organization = call.store.organizations[call.org_id]
    if name is not None:
        organization.name = name
    return 200, {"data": shape.organization(organization)}


# ---------------------------------------------------------------- members


def find_member(call: Call) -> User:
    """The member named by the `user_id` path parameter, in the call's organization (else 404)."""
    raw = call.params["user_id"]
    user = call.store.users.get(int(raw)) if raw.isdecimal() else None
    if user is None or call.org_id not in user.org_ids:
        raise resource_not_found()
    return user


def _new_member(call: Call, fields: Fields, *, status: str) -> User:
    """A member from email, first_name, last_name and role (all validated); 422 when the email is taken."""
    email = fields.string("email", required=True)
    if email is not None and not EMAIL.fullmatch(email):
        fields.fail("email", "The email must be a valid email address.")
    first_name = fields.string("first_name", required=True, max_length=NAME_MAX)
    last_name = fields.string("last_name", required=True, max_length=NAME_MAX)
    role = fields.string("role")
    if role is not None and role not in ROLES:
        fields.fail("role", f"The selected role is invalid (one of {', '.join(ROLES)}).")
    timezone = fields.string("timezone")
    fields.check()
    if email is None or first_name is None or last_name is None:  # pragma: no cover - required above
        raise invalid({"email": ["The email field is required."]})
    existing = next((user for user in call.store.users.values() if user.email.lower() == email.lower()), None)
    if existing is not None and call.org_id in existing.org_ids:
        raise invalid({"email": ["The email has already been taken."]})
    if existing is not None:
        # A person known elsewhere joins this organization too.
        existing.org_ids.append(call.org_id)
        return existing
    user_id = max(call.store.users) + 1
    user = User(
        user_id,
        email,
        first_name,
        last_name,
        call.store.new_id(),  # nobody can log in with a password they were never told
        [call.org_id],
        call.store.now(),
        timezone=timezone or "UTC",
        role=role or "standard",
        status=status,
    )
    call.store.users[user_id] = user
    return user


@handles("list_users")
def list_users(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    found = [
        user
        for user in call.store.users.values()
        if call.org_id in user.org_ids and text in f"{user.first_name} {user.last_name} {user.email}".lower()
    ]
    return call.paged(found, shape.user, fields)


@handles("get_user")
def get_user(call: Call) -> Result:
    return 200, {"data": shape.user(find_member(call))}


@handles("invite_user")
def invite_user(call: Call) -> Result:
    call.require_admin()
    fields = call.body_fields()
    # Tallyfy's invite-member page requires all five fields; the Swagger the CLI quotes names only three.
    fields.string("role", required=True)
    fields.string("message", required=True, max_length=5000)
    user = _new_member(call, fields, status="invited")
    call.store.record(call.org_id, call.user_id, verb="invited", kind="User", subject=("user", str(user.id)))
    return 200, {"data": shape.user(user)}


@handles("update_user_role")
def update_user_role(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    fields = call.body_fields()
    role = fields.string("role", required=True)
    if role is not None and role not in ROLES:
        fields.fail("role", f"The selected role is invalid (one of {', '.join(ROLES)}).")
    fields.check()
    user.role = str(role)
    return 200, {"data": shape.user(user)}


@handles("disable_user")
def disable_user(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    if user.id == call.user_id:
        raise invalid({"user_id": ["You cannot disable yourself."]})
    user.status = "disabled"
    return 200, {"data": shape.user(user)}


@handles("enable_user")
def enable_user(call: Call) -> Result:
    call.require_admin()
    user = find_member(call)
    user.status = "active"
    return 200, {"data": shape.user(user)}


# ---------------------------------------------------------------- guests


def find_guest(call: Call, *, parameter: str = "guest_email", missing_is_invalid: bool = False) -> Guest:
    """The guest named by an e-mail path parameter, in the call's organization (else 404)."""
    email = call.params[parameter].lower()
    guest = call.store.guests.get((call.org_id, email))
    if guest is None:
        if missing_is_invalid:
            # Tallyfy's docs: removing an email that is not a guest is 422, not 404.
            raise invalid({"guest_email": ["The selected guest email is invalid."]})
        raise resource_not_found()
    return guest


def _guest_details(call: Call, fields: Fields, guest: Guest) -> None:
    for name in ("first_name", "last_name", "company_name", "status"):
        value = fields.string(name, max_length=GUEST_TEXT_MAX)
        if value is not None:
            setattr(guest, name, value)
    timezone = fields.string("timezone")
    if timezone is not None:
        guest.timezone = timezone


@handles("list_guests")
def list_guests(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    found = [
        guest
        for (org_id, email), guest in call.store.guests.items()
        if org_id == call.org_id and text in f"{email} {guest.first_name or ''} {guest.last_name or ''}".lower()
    ]
    return call.paged(found, shape.guest, fields)


@handles("create_guest")
def create_guest(call: Call) -> Result:
    fields = call.body_fields()
    email = fields.string("email", required=True)
    if email is not None and not EMAIL.fullmatch(email):
        fields.fail("email", "The email must be a valid email address.")
    fields.url("company_url")
    fields.url("contact_url")
    fields.date("external_date_creation")
    guest = Guest(email=(email or "").lower(), org_id=call.org_id, created_at=call.store.now())
    _guest_details(call, fields, guest)
    if email is not None and (call.org_id, email.lower()) in call.store.guests:
        fields.fail("email", "The email has already been taken.")
    fields.check()
    call.store.guests[(call.org_id, guest.email)] = guest
    return 201, {"data": shape.guest(guest)}


@handles("get_guest")
def get_guest(call: Call) -> Result:
    return 200, {"data": shape.guest(find_guest(call))}


@handles("update_guest")
def update_guest(call: Call) -> Result:
    guest = find_guest(call)
    fields = call.body_fields()
    _guest_details(call, fields, guest)
    members = fields.list_of("associated_members", int)
    if members is not None and not set(members) <= call.store.members(call.org_id):
        fields.fail("associated_members", "The selected associated members is invalid.")
    fields.check()
    if members is not None:
        guest.associated_members = members
    return 200, {"data": shape.guest(guest)}


@handles("delete_guest")
def delete_guest(call: Call) -> Result:
    guest = find_guest(call, missing_is_invalid=True)
    del call.store.guests[(call.org_id, guest.email)]
    for task in call.store.tasks_of(call.org_id):
        guests = task.owners.get("guests", [])
        if guest.email in guests:
            task.owners["guests"] = [email for email in guests if email != guest.email]
    return 200, {"data": shape.guest(guest)}


# ---------------------------------------------------------------- groups


def _group(call: Call) -> Group:
    group = call.store.groups.get(call.params["group_id"])
    if group is None or group.org_id != call.org_id:
        raise resource_not_found()
    return group


@attrs.frozen
class _GroupInput:
    name: str | None
    description: str | None
    members: list[int] | None
    guests: list[str] | None


def _group_fields(call: Call, *, creating: bool) -> _GroupInput:
    """Tallyfy's docs require a name (at most 200 characters) and a description when creating."""
    fields = call.body_fields()
    given = _GroupInput(
        name=fields.string("name", required=creating or "name" in fields.source, max_length=GUEST_TEXT_MAX),
        description=fields.string("description", required=creating),
        members=fields.list_of("members", int),
        guests=fields.list_of("guests", str, email=True),
    )
    if given.members is not None and not set(given.members) <= call.store.members(call.org_id):
        fields.fail("members", "The selected members is invalid.")
    fields.check()
    return given


@handles("list_groups")
def list_groups(call: Call) -> Result:
    fields = call.query_fields()
    text = (fields.string("q") or "").lower()
    found = [
        group for group in call.store.groups.values() if group.org_id == call.org_id and text in group.name.lower()
    ]
    return call.paged(found, shape.group, fields)


@handles("create_group")
def create_group(call: Call) -> Result:
    given = _group_fields(call, creating=True)
    group = Group(
        call.store.new_id(),
        call.org_id,
        given.name or "",
        given.description,
        given.members or [],
        given.guests or [],
        call.store.now(),
    )
    call.store.groups[group.id] = group
    return 201, {"data": shape.group(group)}


@handles("get_group")
def get_group(call: Call) -> Result:
    return 200, {"data": shape.group(_group(call))}


@handles("update_group")
def update_group(call: Call) -> Result:
    group = _group(call)
    given = _group_fields(call, creating=False)
    group.name = given.name if given.name is not None else group.name
    group.description = given.description if given.description is not None else group.description
    group.members = given.members if given.members is not None else group.members
    group.guests = given.guests if given.guests is not None else group.guests
    group.last_updated = call.store.now()
    return 200, {"data": shape.group(group)}


@handles("delete_group")
def delete_group(call: Call) -> Result:
    del call.store.groups[_group(call).id]
    return 204, None


# ---------------------------------------------------------------- applications


def _require_application(call: Call) -> str:
    if call.principal is None or not call.is_application:
        raise forbidden(APPLICATION_ONLY_MESSAGE)
    return call.principal.client_id


@handles("provision_application_user")
def provision_application_user(call: Call) -> Result:
    _require_application(call)
    user = _new_member(call, call.body_fields(), status="active")
    return 201, {"data": shape.user(user)}


@handles("issue_application_user_token")
def issue_application_user_token(call: Call) -> Result:
    client_id = _require_application(call)
    email = call.params["user_email"].lower()
    user = next(
        (user for user in call.store.users.values() if user.email.lower() == email and call.org_id in user.org_ids),
        None,
    )
    if user is None:
        raise invalid({"user_email": ["The user is not a member of this organization."]})
    if user.status == "disabled":
        raise invalid({"user_email": ["The user is disabled."]})
    token = call.issuer.mint_access(client_id, user.id, [], APPLICATION_USER_TOKEN_TTL)
    return 200, {"token_type": BEARER_SCHEME, "expires_in": APPLICATION_USER_TOKEN_TTL, "access_token": token}
