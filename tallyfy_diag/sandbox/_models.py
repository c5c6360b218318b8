"""The sandbox's objects: plain records the store keeps and the handlers change (no HTTP, no validation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

TASK_NOT_STARTED = "not-started"
TASK_IN_PROGRESS = "in-progress"
TASK_COMPLETED = "completed"
RUN_ACTIVE = "active"
RUN_COMPLETE = "complete"
RUN_ARCHIVED = "archived"
BLUEPRINT_ACTIVE = "active"
BLUEPRINT_ARCHIVED = "archived"


@attrs.define
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    password: str = attrs.field(repr=False)
    org_ids: list[str]
    created_at: datetime
    timezone: str = "UTC"
    last_accessed_at: datetime | None = None
    role: str = "standard"
    status: str = "active"


@attrs.define
class Organization:
    id: str
    name: str
    slug: str
    created_at: datetime


@attrs.define
class OAuthClient:
    id: str
    secret: str = attrs.field(repr=False)
    grants: frozenset[str]
    app_org_ids: frozenset[str]
    """Organizations an application (client_credentials) token of this client may act on."""


@attrs.define
class FormField:
    """A kick-off field (API: prerun) or a task form field (API: capture)."""

    id: str
    label: str
    field_type: str
    required: bool
    alias: str
    step_id: str | None = None
    guidance: str | None = None


@attrs.define
class Step:
    id: str
    checklist_id: str
    title: str
    alias: str
    position: int
    task_type: str
    captures: list[FormField]
    deadline_days: int
    summary: str | None = None
    assignees: list[int] = attrs.Factory(list)
    """Member ids; `guests` and `groups` likewise (the SDK's reading of a step)."""
    guests: list[str] = attrs.Factory(list)
    groups: list[str] = attrs.Factory(list)
    everyone_must_complete: bool = False


@attrs.define
class Blueprint:
    id: str
    org_id: str
    title: str
    summary: str | None
    guidance: str | None
    owner_id: int | None
    type: str
    steps: list[Step]
    kickoff_fields: list[FormField]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    webhook: str | None = None
    deleted: bool = False
    """Deleted for good as far as clients can tell; kept so that processes launched from it still work."""

    @property
    def status(self) -> str:
        return BLUEPRINT_ARCHIVED if self.archived_at else BLUEPRINT_ACTIVE


@attrs.define
class Task:
    id: str
    org_id: str
    run_id: str | None
    step_id: str | None
    title: str
    task_type: str
    owners: dict[str, list[Any]]
    deadline: datetime | None
    created_at: datetime
    summary: str | None = None
    completed_at: datetime | None = None
    taskdata: dict[str, Any] = attrs.Factory(dict)
    archived_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.completed_at is not None:
            return TASK_COMPLETED
        if any(value not in (None, "", [], {}) for value in self.taskdata.values()):
            return TASK_IN_PROGRESS
        return TASK_NOT_STARTED


@attrs.define
class Process:
    id: str
    org_id: str
    increment_id: int
    checklist_id: str
    checklist_title: str
    name: str
    summary: str | None
    prerun: dict[str, Any]
    owner_id: int | None
    started_by: int | None
    created_at: datetime
    task_ids: list[str]
    completed_at: datetime | None = None
    archived_at: datetime | None = None
    starred: bool = False
    tags: list[str] = attrs.Factory(list)
    prerun_completed_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.archived_at is not None:
            return RUN_ARCHIVED
        return RUN_COMPLETE if self.completed_at is not None else RUN_ACTIVE


@attrs.define
class Tag:
    id: str
    org_id: str
    title: str
    color: str | None
    created_at: datetime


@attrs.define
class Folder:
    id: str
    org_id: str
    name: str
    folder_type: str
    parent_id: str | None
    created_at: datetime


@attrs.define
class Group:
    id: str
    org_id: str
    name: str
    description: str | None
    members: list[int]
    guests: list[str]
    created_at: datetime
    last_updated: datetime | None = None


@attrs.define
class Guest:
    email: str
    org_id: str
    created_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    status: str | None = None
    timezone: str | None = None
    associated_members: list[int] = attrs.Factory(list)
    disabled_at: datetime | None = None


@attrs.define
class Comment:
    """A comment on a task; a problem is a comment thread that stays open until resolved."""

    id: str
    org_id: str
    task_id: str
    author_id: int | None
    content: str
    label: str
    state: str
    created_at: datetime
    resolved_at: datetime | None = None


@attrs.define
class Asset:
    id: str
    org_id: str
    filename: str
    content: bytes = attrs.field(repr=False)
    subject_type: str
    subject_id: str
    uploaded_from: str
    step_id: str | None
    source: str
    uploaded_at: datetime


@attrs.define
class Activity:
    """One audit-trail entry (Tallyfy's activity feed)."""

    id: str
    org_id: str
    actor_id: int | None
    verb: str
    kind: str
    auditable_type: str
    auditable_id: str
    created_at: datetime
    parentable_type: str | None = None
    parentable_id: str | None = None
