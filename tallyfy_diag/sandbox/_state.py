"""The sandbox's world in memory: every object of `_models`, seeded and changed here.

Seeded from one integer, so two sandboxes with the same seed hold the same data and ids. One re-entrant
lock guards everything (the app holds it for each operation), so concurrent writes are never lost. This
module knows nothing about HTTP: the operation handlers validate requests, `_serialize` writes responses.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tallyfy_diag._constants import GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, GRANT_REFRESH_TOKEN
from tallyfy_diag.sandbox._credentials import SandboxCredentials, derive_number
from tallyfy_diag.sandbox._models import (
    Activity,
    Asset,
    Blueprint,
    Comment,
    Folder,
    FormField,
    Group,
    Guest,
    OAuthClient,
    Organization,
    Process,
    Step,
    Tag,
    Task,
    User,
)

# Seed content: (title, type, steps as (title, task_type, captures as (label, field_type, required))).
_SeedStep = tuple[str, str, tuple[tuple[str, str, bool], ...]]
_BLUEPRINTS: tuple[tuple[str, str, tuple[_SeedStep, ...]], ...] = (
    (
        "Employee onboarding",
        "procedure",
        (
            ("Collect documents", "task", (("Employee ID", "text", True), ("Notes", "textarea", False))),
            ("Set up accounts", "task", (("Work email", "email", False),)),
            ("Manager approval", "approval", ()),
        ),
    ),
    ("Customer onboarding", "procedure", (("Kick-off call", "task", ()), ("Configure workspace", "task", ()))),
    ("Vendor due diligence", "procedure", (("Request documents", "task", ()), ("Risk review", "approval", ()))),
    (
        "Expense approval",
        "form",
        (("Submit receipt", "task", (("Amount", "text", True),)), ("Approve", "approval", ())),
    ),
    ("Content publishing", "procedure", (("Draft", "task", ()), ("Edit", "task", ()), ("Publish", "task", ()))),
    ("Bug triage", "procedure", (("Reproduce", "task", ()), ("Prioritise", "task", ()))),
    ("Quarterly close", "procedure", (("Reconcile accounts", "task", ()), ("Sign off", "approval", ()))),
    ("Office move", "procedure", (("Book movers", "task", ()), ("Move day", "task", (("Move date", "date", False),)))),
    ("Purchase request", "form", (("Describe purchase", "task", ()), ("Approve purchase", "approval", ()))),
    ("Contract review", "document", (("Legal review", "task", ()), ("Countersign", "task", ()))),
    ("Incident response", "procedure", (("Contain", "task", ()), ("Post-mortem", "task", ()))),
    ("Employee offboarding", "procedure", (("Revoke access", "task", ()), ("Exit interview", "task", ()))),
)
_KICKOFF_FIELDS: tuple[tuple[str, str, bool], ...] = (("Requested by", "text", True), ("Due date", "date", False))


def _alias(label: str) -> str:
    return "-".join(label.lower().split())


class Store:
    """All sandbox data, seeded deterministically; call its methods holding `lock`."""

    def __init__(self, seed: int, credentials: SandboxCredentials, clock: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._random = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.users: dict[int, User] = {}
        self.organizations: dict[str, Organization] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.blueprints: dict[str, Blueprint] = {}
        self.processes: dict[str, Process] = {}
        self.tasks: dict[str, Task] = {}
        self.tags: dict[str, Tag] = {}
        self.folders: dict[str, Folder] = {}
        self.groups: dict[str, Group] = {}
        self.guests: dict[tuple[str, str], Guest] = {}
        """Keyed by (organization id, lowercased email): guests are addressed by email."""
        self.comments: dict[str, Comment] = {}
        self.assets: dict[str, Asset] = {}
        self.activities: list[Activity] = []
        # Records only Tallyfy's other public sources show; their shapes are open, so they stay JSON objects.
        self.automations: dict[str, dict[str, Any]] = {}
        """Automated actions by id; each names its blueprint in `checklist_id`."""
        self.tag_links: dict[str, dict[str, Any]] = {}
        self.folder_links: dict[str, dict[str, Any]] = {}
        self.custom_field_keys: dict[str, dict[str, Any]] = {}
        self.custom_values: dict[tuple[str, str], dict[str, Any]] = {}
        """Custom field values keyed by (record kind, record id)."""
        self._link_ids = 0
        self._increments: dict[str, int] = {}
        self._seed(seed, credentials)

    # ---------------------------------------------------------------- ids and time

    def new_link_id(self) -> int:
        """Folder objects and tag links carry integer ids (the SDK reads them as integers)."""
        self._link_ids += 1
        return self._link_ids

    def new_id(self) -> str:
        return f"{self._random.getrandbits(128):032x}"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)

    # ---------------------------------------------------------------- seeding

    def _seed(self, seed: int, credentials: SandboxCredentials) -> None:
        origin = datetime(2024, 1, 8, 9, 0, tzinfo=UTC) + timedelta(days=derive_number(seed, "epoch", 0, 365))
        orgs = (
            (credentials.org_id, "Sandbox Demo Co"),
            (credentials.second_org_id, "Sandbox Side Project"),
            (credentials.foreign_org_id, "Someone Else Ltd"),
        )
        for org_id, name in orgs:
            self.organizations[org_id] = Organization(org_id, name, _alias(name), origin)
        demo_orgs = [credentials.org_id, credentials.second_org_id]
        self.users[credentials.user_id] = User(
            credentials.user_id,
            credentials.username,
            "Demo",
            "User",
            credentials.password,
            demo_orgs,
            origin,
            role="admin",
        )
        others = (("Ada", "Teammate", demo_orgs[:1]), ("Olu", "Outsider", [credentials.foreign_org_id]))
        for first_name, last_name, orgs_of in others:
            other_id = self._random.randrange(1_000_000, 2_000_000)
            email = f"{first_name.lower()}.{self.new_id()[:6]}@sandbox.example.com"
            # Nobody logs in as these users: their passwords are random and never shown.
            self.users[other_id] = User(other_id, email, first_name, last_name, self.new_id(), orgs_of, origin)
        all_grants = frozenset({GRANT_PASSWORD, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS})
        app_orgs = frozenset({credentials.org_id})
        self.clients[credentials.client_id] = OAuthClient(
            credentials.client_id, credentials.client_secret, all_grants, app_orgs
        )
        self.clients[credentials.app_client_id] = OAuthClient(
            credentials.app_client_id, credentials.app_client_secret, frozenset({GRANT_CLIENT_CREDENTIALS}), app_orgs
        )
        plan = (
            (credentials.org_id, _BLUEPRINTS),
            (credentials.second_org_id, _BLUEPRINTS[1:3]),
            (credentials.foreign_org_id, _BLUEPRINTS[:1]),
        )
        for org_id, blueprints in plan:
            for index, (title, kind, steps) in enumerate(blueprints):
                created = origin + timedelta(hours=index)
                blueprint = self.add_blueprint(
                    org_id, title=title, kind=kind, owner_id=credentials.user_id, created=created, steps=steps
                )
                if index == 0:
                    blueprint.kickoff_fields = [
                        FormField(self.new_id(), label, field_type, required, _alias(label))
                        for label, field_type, required in _KICKOFF_FIELDS
                    ]
        archived = self.add_blueprint(
            credentials.org_id,
            title="Retired process",
            kind="procedure",
            owner_id=credentials.user_id,
            created=origin,
            steps=(("Old step", "task", ()),),
        )
        archived.archived_at = origin + timedelta(days=1)
        # Two processes and a one-off task, so lists are not empty before anyone launches anything.
        first, second = [bp for bp in self.blueprints.values() if bp.org_id == credentials.org_id][:2]
        user_id = credentials.user_id
        prerun = {first.kickoff_fields[0].id: "HR"}
        self.launch(
            first, name=f"{first.title} - seeded", summary=None, prerun=prerun, task_settings={}, launcher=user_id
        )
        done = self.launch(
            second, name=f"{second.title} - seeded", summary=None, prerun={}, task_settings={}, launcher=user_id
        )
        for task_id in done.task_ids:
            self.complete(self.tasks[task_id])
        self.add_oneoff_task(
            credentials.org_id,
            title="Review sandbox data",
            task_type="task",
            owners={"users": [user_id]},
            deadline=None,
            summary=None,
        )

    def add_blueprint(
        self,
        org_id: str,
        *,
        title: str,
        kind: str,
        owner_id: int | None,
        created: datetime,
        steps: tuple[_SeedStep, ...] = (),
        summary: str | None = None,
        guidance: str | None = None,
        webhook: str | None = None,
    ) -> Blueprint:
        blueprint_id = self.new_id()
        blueprint = Blueprint(
            id=blueprint_id,
            org_id=org_id,
            title=title,
            summary=summary,
            guidance=guidance,
            owner_id=owner_id,
            type=kind,
            steps=[],
            kickoff_fields=[],
            created_at=created,
            updated_at=created,
            webhook=webhook,
        )
        for position, (step_title, task_type, captures) in enumerate(steps, start=1):
            step_id = self.new_id()
            blueprint.steps.append(
                Step(
                    id=step_id,
                    checklist_id=blueprint_id,
                    title=step_title,
                    alias=_alias(step_title),
                    position=position,
                    task_type=task_type,
                    captures=[
                        FormField(self.new_id(), label, field_type, required, _alias(label), step_id)
                        for label, field_type, required in captures
                    ],
                    deadline_days=position,
                )
            )
        self.blueprints[blueprint_id] = blueprint
        return blueprint

    # ---------------------------------------------------------------- lookups

    def is_member(self, user_id: int, org_id: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and org_id in user.org_ids

    def members(self, org_id: str) -> set[int]:
        return {user.id for user in self.users.values() if org_id in user.org_ids}

    def blueprints_of(self, org_id: str) -> Iterator[Blueprint]:
        return (bp for bp in self.blueprints.values() if bp.org_id == org_id and not bp.deleted)

    def blueprint_in(self, org_id: str, blueprint_id: str) -> Blueprint | None:
        blueprint = self.blueprints.get(blueprint_id)
        if blueprint is None or blueprint.org_id != org_id or blueprint.deleted:
            return None
        return blueprint

    def processes_of(self, org_id: str) -> Iterator[Process]:
        return (run for run in self.processes.values() if run.org_id == org_id)

    def tasks_of(self, org_id: str) -> Iterator[Task]:
        return (task for task in self.tasks.values() if task.org_id == org_id)

    def step(self, task: Task) -> Step | None:
        if task.run_id is None or task.step_id is None:
            return None
        blueprint = self.blueprints[self.processes[task.run_id].checklist_id]
        return next((step for step in blueprint.steps if step.id == task.step_id), None)

    # ---------------------------------------------------------------- changes

    def launch(
        self,
        blueprint: Blueprint,
        *,
        name: str,
        summary: str | None,
        prerun: dict[str, Any],
        task_settings: dict[str, dict[str, Any]],
        launcher: int,
        owner_id: int | None = None,
    ) -> Process:
        """A new process with one task per step; `task_settings` maps step id to deadline/owners."""
        now = self.now()
        increment = self._increments.get(blueprint.org_id, 0) + 1
        self._increments[blueprint.org_id] = increment
        process = Process(
            id=self.new_id(),
            org_id=blueprint.org_id,
            increment_id=increment,
            checklist_id=blueprint.id,
            checklist_title=blueprint.title,
            name=name,
            summary=summary,
            prerun=dict(prerun),
            owner_id=owner_id if owner_id is not None else launcher,
            started_by=launcher,
            created_at=now,
            task_ids=[],
        )
        self.processes[process.id] = process
        for step in blueprint.steps:
            settings = task_settings.get(step.id, {})
            deadline = settings.get("deadline") or now + timedelta(days=step.deadline_days)
            owners = settings.get("owners") or {"users": [launcher], "groups": [], "guests": []}
            task = Task(
                id=self.new_id(),
                org_id=blueprint.org_id,
                run_id=process.id,
                step_id=step.id,
                title=step.title,
                task_type=step.task_type,
                owners=owners,
                deadline=deadline,
                created_at=now,
            )
            self.tasks[task.id] = task
            process.task_ids.append(task.id)
        return process

    def add_oneoff_task(
        self,
        org_id: str,
        *,
        title: str,
        task_type: str,
        owners: dict[str, list[Any]],
        deadline: datetime | None,
        summary: str | None,
    ) -> Task:
        owners = {"users": [], "groups": [], "guests": [], **owners}
        task = Task(
            id=self.new_id(),
            org_id=org_id,
            run_id=None,
            step_id=None,
            title=title,
            task_type=task_type,
            owners=owners,
            deadline=deadline,
            created_at=self.now(),
            summary=summary,
        )
        self.tasks[task.id] = task
        return task

    def complete(self, task: Task) -> None:
        """Complete a task; completing a process's last open task completes the process."""
        if task.completed_at is None:
            task.completed_at = self.now()
        if task.run_id is not None:
            process = self.processes[task.run_id]
            if all(self.tasks[task_id].completed_at is not None for task_id in process.task_ids):
                process.completed_at = process.completed_at or self.now()

    def record(
        self,
        org_id: str,
        actor_id: int | None,
        *,
        verb: str,
        kind: str,
        subject: tuple[str, str],
        parent: tuple[str, str] | None = None,
    ) -> None:
        """Add an activity-feed entry: `subject` and `parent` are (type, id) pairs."""
        self.activities.append(
            Activity(
                id=self.new_id(),
                org_id=org_id,
                actor_id=actor_id,
                verb=verb,
                kind=kind,
                auditable_type=subject[0],
                auditable_id=subject[1],
                created_at=self.now(),
                parentable_type=parent[0] if parent else None,
                parentable_id=parent[1] if parent else None,
            )
        )

    def reopen(self, task: Task) -> None:
        task.completed_at = None
        if task.run_id is not None:
            self.processes[task.run_id].completed_at = None
