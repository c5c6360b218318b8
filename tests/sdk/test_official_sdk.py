"""Tallyfy's official Python SDK (PyPI `tallyfy`, pinned in the tests group) against the sandbox over loopback,
pointed there with its own `base_url` argument and otherwise untouched. Every public method runs in one realistic
session (`flow.py`); at least 95% succeed, and each one that cannot is an SDK bug shown by its own test below.
The operations each method reached are checked against the spec's `x-sdk-methods`."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
import tallyfy
from tallyfy import TallyfyError, TallyfySDK
from tallyfy.form_fields_management.crud_operations import FormFieldCRUD

from tallyfy_diag._spec import load_spec
from tallyfy_diag.sandbox import Sandbox

from .flow import Outcome, run_flow, served_operations

PINNED = "3.1.0"
# Methods the SDK cannot complete whatever the server does; each has a test below showing why.
SDK_BUGS = {"resolve_task_issues"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def public_methods() -> set[str]:
    return {name for name, value in inspect.getmembers(TallyfySDK) if not name.startswith("_") and callable(value)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(sandbox: Sandbox) -> list[Outcome]:
    return run_flow(sandbox)


def test_the_pinned_sdk_is_the_one_under_test() -> None:
    assert tallyfy.__version__ == PINNED


def test_every_public_method_is_called(outcomes: list[Outcome]) -> None:
    assert public_methods() - {outcome.method for outcome in outcomes} == set()


def test_at_least_95_percent_of_the_methods_succeed(outcomes: list[Outcome]) -> None:
    methods = public_methods()
    failed = {outcome.method for outcome in outcomes if not outcome.ok}
    succeeded = methods - failed
    ratio = len(succeeded) / len(methods)
    print(f"\nofficial SDK {PINNED}: {len(succeeded)}/{len(methods)} public methods succeed ({ratio:.1%})")
    details = {outcome.method: outcome.error for outcome in outcomes if not outcome.ok}
    assert failed == SDK_BUGS, details
    assert ratio >= 0.95


def test_the_spec_names_every_operation_each_sdk_method_reaches(outcomes: list[Outcome]) -> None:
    """`x-sdk-methods` on each operation is exactly the set of SDK methods seen reaching it."""
    reached: dict[str, set[str]] = {}
    for outcome in outcomes:
        if outcome.ok:
            for operation_id in outcome.operations:
                reached.setdefault(operation_id, set()).add(outcome.method)
    spec = load_spec()
    declared = {
        operation["operationId"]: set(operation["x-sdk-methods"])
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS and "x-sdk-methods" in operation
    }
    # A method the SDK cannot complete reaches nothing; the spec still names the operation it was meant for
    # (the migration page maps it there), and only that is left out of the comparison.
    meant = {method for methods in declared.values() for method in methods if method in SDK_BUGS}
    assert meant == SDK_BUGS
    assert {operation: methods - SDK_BUGS for operation, methods in declared.items() if methods - SDK_BUGS} == reached


# ---------------------------------------------------------------- the SDK's own bugs


def test_resolve_task_issues_never_passes_the_thread_id(sandbox: Sandbox) -> None:
    """The top-level method takes no thread id, but the manager method it calls needs one: it always raises
    before sending anything."""
    sdk = TallyfySDK(api_key=sandbox.mint_access_token(), base_url=sandbox.base_url, max_retries=0)
    assert "thread_id" not in inspect.signature(sdk.resolve_task_issues).parameters
    assert "thread_id" in inspect.signature(sdk.threads.resolve_task_issues).parameters
    with served_operations(sandbox) as served, pytest.raises(TypeError, match="thread_id"):
        sdk.resolve_task_issues(sandbox.credentials.org_id, "a" * 32)
    assert served.take() == []


def test_reorder_form_fields_cannot_take_the_ids_its_docstring_asks_for(sandbox: Sandbox) -> None:
    """Its docstring asks for a list of field ids, but its code calls `.get()` on each entry: ids fail before
    any request; only dicts with `id` and `position` work (how the flow calls it)."""
    sdk = TallyfySDK(api_key=sandbox.mint_access_token(), base_url=sandbox.base_url, max_retries=0)
    assert "list of capture/field IDs" in (inspect.getdoc(FormFieldCRUD.reorder_form_fields) or "")
    with served_operations(sandbox) as served, pytest.raises(TallyfyError, match="'str' object has no attribute 'get'"):
        sdk.reorder_form_fields(sandbox.credentials.org_id, "a" * 32, "b" * 32, ["c" * 32, "d" * 32])
    assert served.take() == []
