"""docs/migration-from-official-sdk.md: made from the spec's x-sdk-methods, one row per official SDK method."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

from tallyfy import TallyfySDK  # Tallyfy's official SDK, pinned in the tests group

from tallyfy_diag import _spec
from tallyfy_diag._codegen import migration
from tallyfy_diag._codegen._naming import SDK_METHODS_EXTENSION, spec_operations
from tallyfy_diag.client import AsyncTallyfy, PersonalAccessToken, Tallyfy

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "migration-from-official-sdk.md"
# Lifecycle, not an API call: nothing on the facade to map it to (`with Tallyfy(...)` / `tf.close()` instead).
NOT_API_CALLS = frozenset({"close"})


def load_spec() -> dict:
    # The run-time spec (test_spec_data.py proves it is the YAML, parsed), copied: callers edit theirs.
    return copy.deepcopy(_spec.load_spec())


def sdk_public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(TallyfySDK, callable)
        if not name.startswith("_") and name not in NOT_API_CALLS and not inspect.isclass(member)
    }


def page_rows(text: str) -> dict[str, str]:
    return {found[1]: found[2] for found in re.finditer(r"^\| `sdk\.(\w+)\(\.\.\.\)` \| (.+?) \|", text, re.M)}


def facade_calls(text: str) -> set[str]:
    return set(re.findall(r"\btf\.(\w+\.\w+)\(", text))


def test_the_committed_page_is_what_the_spec_makes():
    assert PAGE.read_text() == migration.render(load_spec())


def test_every_facade_call_the_page_names_exists_on_both_clients():
    tf = Tallyfy(PersonalAccessToken("token"), org_id="org")
    atf = AsyncTallyfy(PersonalAccessToken("token"), org_id="org")
    calls = facade_calls(PAGE.read_text())
    assert calls
    for call in calls:
        resource, method = call.split(".")
        assert callable(getattr(getattr(tf, resource), method)), call
        assert callable(getattr(getattr(atf, resource), method)), call
    tf.close()


def test_injected_sdk_methods_become_rows_with_their_facade_calls():
    spec = copy.deepcopy(load_spec())
    operations = {op["operationId"]: op for _m, _p, op, _i in spec_operations(spec)}
    for operation in operations.values():  # only the injected names, whatever the committed spec says
        operation.pop(SDK_METHODS_EXTENSION, None)
    operations["list_my_tasks"][SDK_METHODS_EXTENSION] = ["tasks.get_my_tasks"]
    operations["launch_process"][SDK_METHODS_EXTENSION] = ["launch_process"]
    operations["get_blueprint"][SDK_METHODS_EXTENSION] = ["get_template", "get_template_with_steps"]
    operations["list_blueprint_steps"][SDK_METHODS_EXTENSION] = ["get_template_with_steps"]
    text = migration.render(spec)
    rows = page_rows(text)
    assert list(rows) == ["get_my_tasks", "get_template", "get_template_with_steps", "launch_process"]
    assert rows["get_my_tasks"] == "`tf.tasks.list_my_tasks(...)`, every page: `tf.tasks.iter_my_tasks(...)`"
    assert rows["launch_process"] == "`tf.processes.launch(...)`"
    assert rows["get_template_with_steps"] == "`tf.blueprints.get(...)`<br>`tf.blueprints.list_steps(...)`"
    assert "`POST /organizations/{org}/runs`" in text
    tf = Tallyfy(PersonalAccessToken("token"), org_id="org")
    for call in facade_calls(text):
        resource, method = call.split(".")
        assert callable(getattr(getattr(tf, resource), method)), call
    tf.close()


def test_a_page_without_sdk_methods_says_so():
    spec = copy.deepcopy(load_spec())
    for _m, _p, operation, _i in spec_operations(spec):
        operation.pop(SDK_METHODS_EXTENSION, None)
    text = migration.render(spec)
    assert page_rows(text) == {}
    assert "No operation of the spec names an SDK method yet" in text


def test_every_public_method_of_the_official_sdk_has_a_row():
    methods = sdk_public_methods()
    assert len(methods) > 100  # 3.1.0 defines 107 besides close(): a broken introspection must not pass vacuously
    rows = page_rows(PAGE.read_text())
    assert sorted(methods - rows.keys()) == []
