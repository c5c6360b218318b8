"""A user's script, only type-checked (mypy --strict by test_facade_types.py): one call per tag, types pinned.

A `# revealed: T` comment says what mypy must reveal on the line below it; never run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import reveal_type

from tallyfy_client.models import ProcessLaunchTask

from tallyfy_diag import AsyncTallyfy, Tallyfy


def sync_calls(tf: Tallyfy) -> None:
    # revealed: tallyfy_client.models.user.User
    reveal_type(tf.identity.get_me())
    # revealed: tallyfy_diag.client._pagination.Page[tallyfy_client.models.blueprint.Blueprint]
    reveal_type(tf.blueprints.list(per_page=5))
    for blueprint in tf.blueprints.iter(with_="steps"):
        # revealed: tallyfy_client.models.blueprint.Blueprint
        reveal_type(blueprint)
    # revealed: tallyfy_client.models.blueprint.Blueprint
    reveal_type(tf.blueprints.get("bp", with_="steps,prerun"))
    # revealed: list[tallyfy_client.models.step.Step]
    reveal_type(tf.blueprints.list_steps("bp"))
    launched = tf.processes.launch(
        checklist_id="bp",
        name="Onboard Ann",
        prerun={"field": "value"},
        tasks={"step": ProcessLaunchTask(deadline=tf.request_date(datetime(2026, 12, 15, 17, tzinfo=UTC)))},
    )
    # revealed: tallyfy_client.models.process.Process
    reveal_type(launched)
    # revealed: tallyfy_client.models.task.Task
    reveal_type(tf.tasks.complete("run", task_id="task"))
    # revealed: tallyfy_diag.client._pagination.Page[tallyfy_client.models.task.Task]
    reveal_type(tf.tasks.list_org_tasks(page=2))
    # revealed: list[tallyfy_client.models.user.User]
    reveal_type(tf.users.list().items)
    # revealed: tallyfy_client.models.guest.Guest
    reveal_type(tf.guests.get("ann@example.com"))
    # revealed: tallyfy_client.models.group.Group
    reveal_type(tf.groups.create(name="Ops", description="On call"))
    # revealed: None
    reveal_type(tf.tags.delete("tag"))
    # revealed: tallyfy_client.models.folder.Folder
    reveal_type(tf.folders.get("folder"))
    # revealed: tallyfy_client.models.comment.Comment
    reveal_type(tf.comments.comment_on_task("task", content="Done"))
    # revealed: tallyfy_client.types.File
    reveal_type(tf.files.download("file"))
    # revealed: tallyfy_client.models.search_results.SearchResults
    reveal_type(tf.search.search(on="blueprint", search="onboarding"))
    # revealed: tallyfy_client.models.activity_feed.ActivityFeed
    reveal_type(next(tf.activity.iter_feeds()))
    # revealed: tallyfy_client.models.token_response.TokenResponse
    reveal_type(tf.applications.issue_user_token("ann@example.com"))
    # revealed: tallyfy_diag.client._pagination.Page[tallyfy_client.models.custom_field_key.CustomFieldKey]
    reveal_type(tf.custom_fields.list_keys(applies_to="process"))
    # revealed: tallyfy_client.models.token_response.TokenResponse
    reveal_type(tf.auth_.issue_token(grant_type="client_credentials", client_id="1"))
    raw = tf.with_raw_response(tf.processes.get, "run", with_="tasks")
    # revealed: tallyfy_client.models.process.Process
    reveal_type(raw.parsed)
    # revealed: str | None
    reveal_type(raw.request_id)


async def async_calls(tf: AsyncTallyfy) -> None:
    # revealed: tallyfy_client.models.user.User
    reveal_type(await tf.identity.get_me())
    async for process in tf.processes.iter(concurrency=4):
        # revealed: tallyfy_client.models.process.Process
        reveal_type(process)
    raw = await tf.with_raw_response(tf.blueprints.get, "bp")
    # revealed: tallyfy_client.models.blueprint.Blueprint
    reveal_type(raw.parsed)
