"""Schemathesis's command line over the WHOLE spec against a live sandbox that delivers webhooks to a live
receiver: positive and negative data, every phase (examples, coverage, fuzzing, stateful), every response
checked against the spec, no 5xx, and every webhook the fuzzing set off valid against the spec too.

The organization is pinned to the demo organization (random ones only meet the 403 "not a member" rule) and
other ids are real ones half of the time, so requests reach resources. Checks left out, and why:
- `ignored_auth`, `missing_required_header`, `positive_data_acceptance`: contradict documented behaviour
  (see test_sandbox_schemathesis.py).
- `negative_data_rejection`: Laravel turns empty query values into null and ignores keys it does not know
  (`?page[x]=1`), so Tallyfy accepts such requests as if the parameter were absent, and the sandbox does too;
  the check also counts bodies whose members are all optional as "missing a required member".
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis.configuration import storage_directory

from tallyfy_diag._spec import load_spec, operations
from tallyfy_diag.sandbox import Sandbox, SandboxConfig
from tallyfy_diag.webhooks import WebhookListener

# The test suite runs a quick pass over a few operations (the webhook sources and one or two per kind of
# request); `nox -s conformance` sets CONFORMANCE_EXAMPLES and runs every operation of the spec.
FULL = "CONFORMANCE_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "2"))
WEBHOOK_EXAMPLES = 60 if FULL else 4
QUICK_OPERATIONS = (
    "launch_process", "complete_task", "get_blueprint", "create_oneoff_task", "tag_object", "set_process_custom_fields",
)  # fmt: skip
TIMEOUT = 3600 if FULL else 300
"""Seconds for the Schemathesis run (the full one covers every operation of the spec: well over ten minutes)."""
EXCLUDED = "ignored_auth,missing_required_header,positive_data_acceptance,negative_data_rejection"


def known_ids(sandbox: Sandbox) -> dict[str, list[object]]:
    store, org = sandbox.app.store, sandbox.credentials.org_id
    blueprints = list(store.blueprints_of(org))
    members = sorted(store.members(org))
    return {
        "checklist_id": [b.id for b in blueprints],
        "step_id": [s.id for b in blueprints for s in b.steps],
        "capture_id": [c.id for b in blueprints for s in b.steps for c in s.captures],
        "kickoff_field_id": [f.id for b in blueprints for f in b.kickoff_fields],
        "run_id": [p.id for p in store.processes_of(org)],
        "task_id": [t.id for t in store.tasks_of(org)],
        "user_id": list(members),
        "user_email": [store.users[member].email for member in members],
    }


def write_config(directory: Path, org: str, ids: dict[str, list[object]]) -> Path:
    dictionaries = [f"{name} = {{ values = {json.dumps(values)} }}" for name, values in ids.items() if values]
    parameters = [f'"path.org" = "{org}"'] + [
        f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name, values in ids.items() if values
    ]
    # Launches name their blueprint in the body: real ids there too, so processes start and webhooks fire.
    parameters.append('"body.checklist_id" = { dictionary = "checklist_id", probability = 0.5 }')
    # More examples where webhooks fire: most fuzzed launches fail validation, a few must get through.
    webhook_operations = "\n".join(
        f'[[operations]]\ninclude-operation-id = "{name}"\ngeneration.max-examples = {WEBHOOK_EXAMPLES}\n'
        for name in ("launch_process", "complete_task")
    )
    config = directory / "schemathesis.toml"
    config.write_text(
        f"generation.max-examples = {EXAMPLES}\n\n[dictionaries]\n"
        + "\n".join(dictionaries)
        + "\n\n[parameters]\n"
        + "\n".join(parameters)
        + "\n\n"
        + webhook_operations
    )
    return config


def test_schemathesis_finds_no_nonconforming_response_and_no_5xx(tmp_path: Path) -> None:
    receiver_output = io.StringIO()
    with WebhookListener(out=receiver_output) as listener, Sandbox(SandboxConfig(webhook_url=listener.url)) as sandbox:
        config = write_config(tmp_path, sandbox.credentials.org_id, known_ids(sandbox))
        # The run-time spec as JSON (tests/test_spec_data.py proves it is the YAML's document): Schemathesis
        # parses JSON in milliseconds and the YAML in about a second.
        spec = tmp_path / "tallyfy.openapi.json"
        spec.write_text(json.dumps(load_spec()))
        token = sandbox.mint_access_token(ttl=86400)
        command = [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
            "--url", sandbox.base_url, "-H", "X-Tallyfy-Client: APIClient", "-H", f"Authorization: Bearer {token}",
            "--mode", "all", "--seed", "1", "--workers", "1", "--generation-database", "none",
            "--exclude-checks", EXCLUDED, "--continue-on-failure", "--output-truncate", "true",
        ]  # fmt: skip
        if not FULL:
            command += [argument for name in QUICK_OPERATIONS for argument in ("--include-operation-id", name)]
            command += ["--phases", "examples,fuzzing"]
        # Run in tmp_path, so nothing the run leaves behind changes later runs; but with the suite's Hypothesis
        # storage, whose table of the characters UTF-8 can encode otherwise costs this run 2.5 s to rebuild.
        environment = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(storage_directory().path.resolve())}
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=tmp_path, env=environment
        )
        sandbox.app.webhooks.close()  # lets the deliveries the run set off reach the receiver

    report = result.stdout
    summary = [line for line in report.splitlines() if re.search(r"Tested: |generated|passed|failed", line)]
    print("\n".join(summary))  # the figures, for `nox -s conformance` (pytest -s)
    assert result.returncode == 0, report[-6000:] + result.stderr[-2000:]
    tested = len(operations()) if FULL else len(QUICK_OPERATIONS)
    assert f"Tested: {tested}" in report
    generated = re.search(r"(\d+) generated", report)
    assert generated is not None
    assert int(generated.group(1)) > (10 if FULL else 3) * tested
    deliveries = listener.receiver.deliveries
    # The quick pass rarely gets a fuzzed launch through; the full run always does (webhook shapes are also
    # checked by test_sandbox_webhooks.py).
    assert deliveries or not FULL, "the fuzzing launched processes, so webhooks were due"
    assert [d.problem for d in deliveries if d.problem] == [], receiver_output.getvalue()
