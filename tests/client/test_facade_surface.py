"""Every spec operation is on the facade, sends its own method and path, and the async facade has the same surface.

The spec is walked independently of the generator: for each operation the facade method the table names is
called against the in-process sandbox with placeholder arguments, and the request it sent is compared with the
spec's method and path template.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
from client_helpers import password_grant_for
from tallyfy_client import models
from tallyfy_client.types import File, Unset

from tallyfy_diag._codegen._naming import CLIENT_ATTRIBUTES, HTTP_METHODS
from tallyfy_diag._spec import load_spec
from tallyfy_diag.client import AsyncTallyfy, RetryPolicy, Tallyfy, TallyfyError, _resources
from tallyfy_diag.sandbox import Sandbox, SandboxConfig


def spec_operations() -> list[tuple[str, str, str]]:
    spec = load_spec()  # the run-time spec (test_spec_data.py proves it is the YAML), not the generator's input
    return [
        (operation["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method in HTTP_METHODS
        if (operation := item.get(method)) is not None
    ]


OPERATIONS = spec_operations()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox.in_process(SandboxConfig(seed=5))
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def tf(sandbox: Sandbox) -> Iterator[Tallyfy]:
    c = sandbox.credentials
    auth = password_grant_for(c)
    with Tallyfy(
        auth, base_url=sandbox.base_url, org_id=c.org_id, transport=sandbox.transport(), retry=RetryPolicy.off()
    ) as client:
        yield client


def placeholder(hint: Any, name: str) -> Any:
    """A value of type `hint` (the first usable member of a union), recognisable in a URL when it is a string."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None) and a is not Unset]
        return placeholder(members[0], name)
    origin = typing.get_origin(hint) or hint
    if origin is str or hint is Any:  # Any: a free-form value (a custom field's value), a string will do
        return f"p-{name}"
    if origin is bool:
        return True
    if origin is int:
        return 7
    if origin is float:
        return 1.5
    if origin in (list, tuple):
        return []
    if origin in (dict, Mapping):
        return {}
    if origin is datetime:
        return datetime(2026, 1, 2, tzinfo=UTC)
    if origin is File:
        return File(payload=io.BytesIO(b"hello"), file_name="hello.txt", mime_type="text/plain")
    if attrs.has(origin):
        # The model's own module first (its Any, datetime, ...), then every model (forward references).
        hints = typing.get_type_hints(origin, globalns={**vars(sys.modules[origin.__module__]), **vars(models)})
        required = {
            field.name: placeholder(hints[field.name], field.name)
            for field in attrs.fields(origin)
            if field.default is attrs.NOTHING and field.init
        }
        return origin(**required)
    raise TypeError(f"no placeholder for {hint!r}")


def required_arguments(method: Any) -> tuple[list[Any], dict[str, Any]]:
    hints = typing.get_type_hints(method, globalns=vars(_resources))
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(method).parameters.values():
        if parameter.default is not inspect.Parameter.empty:
            continue
        value = placeholder(hints[parameter.name], parameter.name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


def expected_path(template: str, org: str, args: list[Any], kwargs: dict[str, Any], method: Any) -> str:
    bound = inspect.signature(method).bind(*args, **kwargs).arguments
    path = template.replace("{org}", org)
    for name, value in bound.items():
        path = path.replace("{" + name.rstrip("_") + "}", str(value))
    return path


def test_the_spec_has_operations_and_the_table_lists_exactly_them():
    assert len(OPERATIONS) > 50
    assert set(_resources.OPERATIONS) == {operation_id for operation_id, _, _ in OPERATIONS}


@pytest.mark.parametrize(("operation_id", "http_method", "template"), OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_every_operation_is_reachable_and_sends_its_own_request(tf, sandbox, operation_id, http_method, template):
    resource, method_name = _resources.OPERATIONS[operation_id]
    method = getattr(getattr(tf, resource), method_name)
    args, kwargs = required_arguments(method)
    sent: list[httpx.Request] = []
    tf.http.event_hooks["request"].append(sent.append)
    try:
        method(*args, **kwargs)
    except TallyfyError:
        pass  # placeholder ids are unknown to the sandbox: only the request matters here
    finally:
        tf.http.event_hooks["request"].remove(sent.append)
    api_requests = [r for r in sent if not r.url.path.endswith("/oauth/token") or template == "/oauth/token"]
    assert api_requests, f"{resource}.{method_name} sent nothing"
    request = api_requests[-1]
    assert request.method == http_method
    root = httpx.URL(sandbox.base_url).path
    assert request.url.path == root + expected_path(template, sandbox.credentials.org_id, args, kwargs, method)


@pytest.mark.parametrize(("operation_id", "http_method", "template"), OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_every_operation_is_reachable_on_the_async_facade_too(sandbox, operation_id, http_method, template):
    resource, method_name = _resources.OPERATIONS[operation_id]
    c = sandbox.credentials
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    async def scenario() -> tuple[list[Any], dict[str, Any], Any]:
        async with AsyncTallyfy(
            password_grant_for(c),
            base_url=sandbox.base_url,
            org_id=c.org_id,
            transport=sandbox.async_transport(),
            retry=RetryPolicy.off(),
        ) as atf:
            atf.http.event_hooks["request"].append(hook)
            method = getattr(getattr(atf, resource), method_name)
            args, kwargs = required_arguments(method)
            with contextlib.suppress(TallyfyError):  # placeholder ids: only the request matters
                await method(*args, **kwargs)
            return args, kwargs, method

    args, kwargs, method = asyncio.run(scenario())
    request = [r for r in sent if not r.url.path.endswith("/oauth/token") or template == "/oauth/token"][-1]
    assert request.method == http_method
    root = httpx.URL(sandbox.base_url).path
    assert request.url.path == root + expected_path(template, sandbox.credentials.org_id, args, kwargs, method)


def resource_classes(prefix: str) -> dict[str, type]:
    return {
        name.removeprefix(prefix): cls
        for name, cls in vars(_resources).items()
        if isinstance(cls, type)
        and name.endswith("Resource")
        and name.startswith(prefix)
        and cls.__module__ == _resources.__name__
        and (prefix or not name.startswith("Async"))
    }


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(f) for name, f in vars(cls).items() if callable(f) and not name.startswith("_")}


def test_the_async_facade_has_the_same_surface():
    sync, asynchronous = resource_classes(""), resource_classes("Async")
    assert sync
    assert sync.keys() == asynchronous.keys()
    for name, cls in sync.items():
        sync_methods, async_methods = public_methods(cls), public_methods(asynchronous[name])
        assert sync_methods.keys() == async_methods.keys(), name
        for method, signature in sync_methods.items():
            other = async_methods[method]
            extra = [p for p in other.parameters if p not in signature.parameters]
            assert extra in ([], ["concurrency"]), f"{name}.{method}: {extra}"
            same = [str(p) for p in other.parameters.values() if p.name != "concurrency"]
            assert same == [str(p) for p in signature.parameters.values()], f"{name}.{method}"
            if method.startswith("iter"):
                continue
            assert inspect.iscoroutinefunction(getattr(asynchronous[name], method)), f"{name}.{method}"
            assert signature.return_annotation == other.return_annotation, f"{name}.{method}"
    sync_resources = {n for n in dir(_resources.SyncResources) if not n.startswith("_")}
    async_resources = {n for n in dir(_resources.AsyncResources) if not n.startswith("_")}
    assert sync_resources == async_resources


def test_resource_names_never_shadow_what_the_client_already_has(tf):
    resources = {resource for resource, _ in _resources.OPERATIONS.values()}
    public = {n for n in [*dir(Tallyfy), *dir(AsyncTallyfy), *vars(tf)] if not n.startswith("_")}
    assert public - resources <= CLIENT_ATTRIBUTES  # the generator's list of names it must not take is complete
    assert not resources & CLIENT_ATTRIBUTES


def test_async_every_resource_attribute_works(sandbox):
    c = sandbox.credentials

    async def scenario() -> list[str]:
        async with AsyncTallyfy(
            password_grant_for(c),
            base_url=sandbox.base_url,
            org_id=c.org_id,
            transport=sandbox.async_transport(),
        ) as atf:
            me = await atf.identity.get_me()
            return [me.email, *[type(getattr(atf, r)).__name__ for r, _ in _resources.OPERATIONS.values()]]

    email, *names = asyncio.run(scenario())
    assert email == c.username
    assert all(name.startswith("Async") for name in names)
