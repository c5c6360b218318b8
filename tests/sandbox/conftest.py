"""Fixtures for the sandbox tests: one real server per module, raw httpx clients, and tokens got the way a
client gets them (over HTTP, from the token endpoint)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tallyfy_diag import _spec
from tallyfy_diag._constants import CLIENT_HEADER, CLIENT_HEADER_VALUE
from tallyfy_diag.sandbox import Sandbox, SandboxCredentials


class Api:
    """A raw httpx client on one sandbox, with the small helpers every test needs."""

    def __init__(self, sandbox: Sandbox, client: httpx.Client) -> None:
        self.sandbox = sandbox
        self.client = client
        self.credentials: SandboxCredentials = sandbox.credentials

    def password_grant(self, **overrides: str) -> httpx.Response:
        credentials = self.credentials
        form = {
            "grant_type": "password",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "username": credentials.username,
            "password": credentials.password,
            **overrides,
        }
        return self.client.post("/oauth/token", data=form)

    def app_grant(self, **overrides: str) -> httpx.Response:
        credentials = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.app_client_id,
            "client_secret": credentials.app_client_secret,
            **overrides,
        }
        return self.client.post("/oauth/token", data=form)

    def user_token(self) -> str:
        response = self.password_grant()
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def app_token(self) -> str:
        response = self.app_grant()
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def org(self, path: str = "", org_id: str | None = None) -> str:
        return f"/organizations/{org_id or self.credentials.org_id}{path}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> Iterator[Api]:
    with httpx.Client(base_url=sandbox.base_url, headers={CLIENT_HEADER: CLIENT_HEADER_VALUE}, timeout=10) as client:
        yield Api(sandbox, client)


@pytest.fixture(scope="module")
def user_headers(api: Api) -> dict[str, str]:
    return bearer(api.user_token())


@pytest.fixture(scope="module")
def app_headers(api: Api) -> dict[str, str]:
    return bearer(api.app_token())


class SpecConformance:
    """Checks a response against the spec's schema for its operation and status (JSON Schema 2020-12)."""

    def __init__(self) -> None:
        self._spec = _spec.load_spec()
        self._operations = {op.operation_id: op for op in _spec.operations()}
        self._registry = Registry().with_resource("urn:spec", Resource(self._spec, DRAFT202012))
        self._validator_class = Draft202012Validator

    def _response_schema(self, operation_id: str, status: int) -> dict | None:
        operation = self._operations[operation_id]
        declared = self._spec["paths"][operation.path_template][operation.method.lower()]["responses"]
        response = declared.get(str(status))
        assert response is not None, f"{operation_id} does not document status {status}"
        if "$ref" in response:
            response = self._spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {}).get("application/json")
        return None if content is None else content["schema"]

    def __call__(self, operation_id: str, response: httpx.Response) -> None:
        schema = self._response_schema(operation_id, response.status_code)
        assert schema is not None
        reference = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else schema
        validator = self._validator_class(
            reference, registry=self._registry, format_checker=self._validator_class.FORMAT_CHECKER
        )
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.json())]
        assert not errors, f"{operation_id} {response.status_code} does not conform: {errors[:5]}"


@pytest.fixture(scope="session")
def conforms() -> SpecConformance:
    return SpecConformance()
