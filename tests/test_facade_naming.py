"""Where an operation lands on the facade is decided by the spec alone (tallyfy_diag._codegen._naming)."""

from __future__ import annotations

import pytest

from tallyfy_diag._codegen._naming import facade_names, identifier, iterator_name


def spec(*operations: tuple[str, str, str, dict]) -> dict:
    paths: dict = {}
    for tag, operation_id, path, extra in operations:
        paths.setdefault(path, {})["get" if "get" not in paths.get(path, {}) else "post"] = {
            "operationId": operation_id,
            "tags": [tag],
            **extra,
        }
    return {"paths": paths}


def places(document: dict) -> dict[str, str]:
    return {name.operation_id: f"{name.resource}.{name.method}" for name in facade_names(document)}


def test_the_tag_noun_after_the_verb_is_dropped_and_qualified_nouns_are_kept():
    document = spec(
        ("blueprints", "list_blueprints", "/a", {}),
        ("blueprints", "list_blueprint_steps", "/b", {}),
        ("processes", "launch_process", "/c", {}),
        ("tasks", "list_my_tasks", "/d", {}),
        ("tasks", "complete_task", "/e", {}),
        ("activity", "list_activity_feeds", "/f", {}),
        ("search", "search", "/g", {}),
        ("custom-fields", "list_custom_field_keys", "/h", {}),
        ("categories", "get_category", "/i", {}),
    )
    assert places(document) == {
        "list_blueprints": "blueprints.list",
        "list_blueprint_steps": "blueprints.list_steps",
        "launch_process": "processes.launch",
        "list_my_tasks": "tasks.list_my_tasks",
        "complete_task": "tasks.complete",
        "list_activity_feeds": "activity.list_feeds",
        "search": "search.search",
        "list_custom_field_keys": "custom_fields.list_keys",
        "get_category": "categories.get",
    }


def test_a_tag_named_like_a_client_attribute_gets_a_trailing_underscore():
    assert places(spec(("auth", "issue_token", "/oauth/token", {}))) == {"issue_token": "auth_.issue_token"}


def test_operations_that_would_share_a_name_keep_their_operation_ids():
    document = spec(("users", "get_user", "/u", {}), ("users", "get_users", "/v", {}))
    assert places(document) == {"get_user": "users.get_user", "get_users": "users.get_users"}


def test_the_spec_can_name_the_place_itself():
    document = spec(
        ("identity", "get_me", "/me", {"x-facade-method": "me.get"}),
        ("identity", "list_my_organizations", "/me/organizations", {"x-facade-method": "organizations_list"}),
    )
    assert places(document) == {"get_me": "me.get", "list_my_organizations": "identity.organizations_list"}


def test_a_chosen_name_wins_over_a_derived_one_and_two_chosen_names_may_not_collide():
    document = spec(("tags", "get_tag", "/a", {}), ("tags", "fetch_tag", "/b", {"x-facade-method": "get"}))
    assert places(document) == {"get_tag": "tags.get_tag", "fetch_tag": "tags.get"}
    document["paths"]["/a"]["get"]["x-facade-method"] = "tags.get"
    with pytest.raises(ValueError, match=r"tags\.get"):
        facade_names(document)


def test_identifiers_and_iterator_names():
    assert identifier("Custom Fields") == "custom_fields"
    assert identifier("getMe") == "get_me"
    assert identifier("class") == "class_"
    assert identifier("2fa") == "_2fa"
    assert iterator_name("list") == "iter"
    assert iterator_name("list_steps") == "iter_steps"
    assert iterator_name("search") == "iter_search"
