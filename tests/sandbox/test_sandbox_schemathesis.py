"""Schemathesis drives the spec against a live sandbox: every response conforms and nothing is a 5xx.

One test per operation: the spec's own examples in the suite, plus CONFORMANCE_EXAMPLES generated schema-valid
cases under `nox -s conformance`; every response validated (status documented, body and headers per schema).
Negative data (schema-violating requests must get 4xx) is
covered by the longer command-line run described in the sandbox report, and by the bad-input tests. The
checks left out contradict Tallyfy's documented behaviour:
- `ignored_auth` / `missing_required_header`: without X-Tallyfy-Client Tallyfy answers 404
  ENDPOINT_NOT_FOUND (the spec documents it), where these checks expect 401/403/4xx-but-not-404.
- `positive_data_acceptance`: schema-valid data can still name things that do not exist (a random
  checklist id), which the server rightly refuses with a documented 422.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import HealthCheck, Phase, settings

from tallyfy_diag import _spec

if TYPE_CHECKING:
    import schemathesis

GENERATED = int(os.environ.get("CONFORMANCE_EXAMPLES", "0"))
"""Generated cases per operation, on top of the spec's own examples: none in the suite (the fast subset: every
operation still sends its documented examples, about 880 requests), more under `nox -s conformance`, which sets
CONFORMANCE_EXAMPLES."""


@pytest.fixture(scope="session")
def whole_schema() -> schemathesis.BaseSchema:
    # Schemathesis is imported here, by the worker that runs these tests, not by every worker while it collects.
    import schemathesis  # noqa: PLC0415 - imported when the tests run
    from schemathesis.generation import GenerationMode  # noqa: PLC0415 - imported when the tests run

    # The run-time spec (the packaged spec compiled to JSON; tests/test_spec_data.py proves it is the YAML's
    # document), copied so Schemathesis may resolve references in it.
    schema = schemathesis.openapi.from_dict(copy.deepcopy(_spec.load_spec()))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    return schema


@pytest.fixture(scope="session")
def excluded_checks() -> list[Callable[..., Any]]:
    from schemathesis import checks  # noqa: PLC0415 - imported when the tests run

    return [checks.ignored_auth, checks.missing_required_header, checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def known_ids(api, user_headers):
    """Ids that exist, so generated requests reach real resources and not only 404s."""
    blueprints = api.client.get(api.org("/checklists"), params={"with": "steps"}, headers=user_headers).json()["data"]
    runs = api.client.get(api.org("/runs"), headers=user_headers).json()["data"]
    tasks = api.client.get(api.org(f"/runs/{runs[0]['id']}/tasks"), headers=user_headers).json()["data"]
    return {
        "org": api.credentials.org_id,
        "checklist_id": blueprints[0]["id"],
        "step_id": blueprints[0]["steps"][0]["id"],
        "run_id": runs[0]["id"],
        "task_id": tasks[0]["id"],
    }


@pytest.fixture(scope="module")
def session():
    """One keep-alive connection for every case (not one per request), and no proxy lookups in the environment:
    the sandbox is on loopback. Cookies never carry from one case to the next."""
    with requests.Session() as shared:
        shared.trust_env = False
        yield shared


@settings(
    max_examples=max(GENERATED, 1),
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate] if GENERATED else [Phase.explicit],
    suppress_health_check=list(HealthCheck),
)
def send_and_validate(case, api, user_headers, known_ids, session, excluded_checks):
    for name in case.path_parameters or {}:
        if name in known_ids:
            case.path_parameters[name] = known_ids[name]
    headers = {"X-Tallyfy-Client": "APIClient", **user_headers}
    session.cookies.clear()
    response = case.call(base_url=api.sandbox.base_url, headers=headers, session=session)
    assert response.status_code < 500, response.text
    case.validate_response(response, excluded_checks=excluded_checks, headers=headers)


@pytest.mark.parametrize("operation_id", sorted(operation.operation_id for operation in _spec.operations()))
def test_the_sandbox_conforms_to_the_spec(
    operation_id, whole_schema, excluded_checks, api, user_headers, known_ids, session
):
    # Schemathesis's own builder of one operation's Hypothesis test (what `schema.parametrize()` calls for each
    # operation while collecting), pinned with schemathesis in the tests group. Called here, when a test runs,
    # so the 166 tests are built once, by the worker that runs each, instead of by every worker while it
    # collects (4.5 s each).
    from schemathesis.generation.feedback import FeedbackSources  # noqa: PLC0415 - imported when the tests run
    from schemathesis.pytest._test_builder import build_operation_test  # noqa: PLC0415 - imported when the tests run

    operation = whole_schema.find_operation_by_id(operation_id)
    conforms: Callable[..., Any] = build_operation_test(
        config=whole_schema.config,
        operation=operation,
        test_func=send_and_validate,
        given_kwargs={},
        feedback=FeedbackSources(),
    )
    conforms(api=api, user_headers=user_headers, known_ids=known_ids, session=session, excluded_checks=excluded_checks)
