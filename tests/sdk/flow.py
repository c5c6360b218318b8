"""Tallyfy's official Python SDK (PyPI `tallyfy`, pinned) driven through a realistic session against a sandbox over
loopback, with its own `base_url` argument and nothing patched. Every public method is called at least once; each
call's outcome and the operations the sandbox served for it are recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from tallyfy import TallyfySDK

from tallyfy_diag.sandbox import Sandbox

PDF = b"%PDF-1.7 sandbox"


@attrs.define
class Outcome:
    method: str
    ok: bool
    error: str = ""
    operations: list[str] = attrs.Factory(list)
    """Operation ids the sandbox served while the method ran, in order."""


class ServedOperations:
    """The operations the sandbox routed requests to, as its `served` hook reports them."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, operation_id: str) -> None:
        with self._lock:
            self.seen.append(operation_id)

    def take(self) -> list[str]:
        with self._lock:
            taken, self.seen = self.seen, []
        return taken


@contextmanager
def served_operations(sandbox: Sandbox) -> Iterator[ServedOperations]:
    recorder = ServedOperations()
    sandbox.app.served = recorder
    try:
        yield recorder
    finally:
        sandbox.app.served = None


class Flow:
    """One SDK session; `call` runs a public method and records what happened."""

    def __init__(self, sdk: TallyfySDK, log: ServedOperations) -> None:
        self.sdk = sdk
        self.log = log
        self.outcomes: list[Outcome] = []

    def call(self, method_name: str, /, *args: Any, **kwargs: Any) -> Any:
        method: Callable[..., Any] = getattr(self.sdk, method_name)
        self.log.take()
        try:
            result = method(*args, **kwargs)
        except Exception as error:  # every SDK failure is an outcome to report
            self.outcomes.append(Outcome(method_name, False, f"{type(error).__name__}: {error}"[:300], self.log.take()))
            return None
        self.outcomes.append(Outcome(method_name, True, "", self.log.take()))
        return result


def _id(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("id")
    return getattr(value, "id", None)


def run_flow(sandbox: Sandbox) -> list[Outcome]:
    credentials = sandbox.credentials
    org = credentials.org_id
    with served_operations(sandbox) as log:
        sdk = TallyfySDK(api_key=sandbox.mint_access_token(), base_url=sandbox.base_url, max_retries=0)
        flow = Flow(sdk, log)
        c = flow.call
        me_id = credentials.user_id

        # who am I, where am I
        c("get_current_user_info", org)
        c("get_current_user_organizations")
        c("get_organization", org)
        c("get_organization_users", org)
        c("get_organization_users_list", org)
        c("get_user", org, me_id)

        # a blueprint, built step by step
        template = c("create_template", org, "SDK onboarding", "procedure")
        template_id = _id(template)
        c("get_template", org, template_id)
        c("get_template", org, template_name="SDK onboarding")
        c("get_all_templates", org)
        c("update_template_metadata", org, template_id, title="SDK onboarding v2", summary="Made by the SDK")
        step = c("add_step_to_template", org, template_id, {"title": "Collect forms", "step_type": "task"})
        step_id = _id(step)
        second = c("add_step_to_template", org, template_id, {"title": "Approve", "step_type": "approval"})
        second_id = _id(second)
        c("get_template_steps", org, template_id)
        c("get_template_with_steps", org, template_id)
        c("edit_description_on_step", org, template_id, step_id, "Bring your passport")
        c("add_assignees_to_step", org, template_id, step_id, [me_id])
        field = c(
            "add_form_field_to_step", org, template_id, step_id, {"label": "Passport number", "field_type": "text"}
        )
        field_id = _id(field)
        choice = c(
            "add_form_field_to_step",
            org,
            template_id,
            step_id,
            {"label": "Office", "field_type": "dropdown", "options": [{"text": "Berlin"}, {"text": "Lagos"}]},
        )
        choice_id = _id(choice)
        c("update_form_field", org, template_id, step_id, field_id, label="Passport no.")
        c("get_dropdown_options", org, template_id, step_id, choice_id)
        c("update_dropdown_options", org, template_id, step_id, choice_id, ["Berlin", "Lagos", "Lima"])
        # Its docstring asks for ids, but its code reads dicts (see test_sdk_bugs.py): called the way the code works.
        c(
            "reorder_form_fields",
            org,
            template_id,
            step_id,
            [{"id": choice_id, "position": 1}, {"id": field_id, "position": 2}],
        )
        c("move_form_field", org, template_id, step_id, choice_id, second_id)
        clone = c("clone_step", org, template_id, second_id)
        c("reorder_step", org, template_id, second_id, 1)
        c("get_step_dependencies", org, template_id, step_id)
        c("get_step_visibility_conditions", org, template_id, step_id)
        rule = c(
            "create_automation_rule",
            org,
            template_id,
            {
                "automated_alias": "Skip approval",
                "conditions": [{"conditionable_type": "Step", "operation": "completed", "statement": "is"}],
                "then_actions": [{"action_type": "visibility", "action_verb": "hide"}],
            },
        )
        rule_id = _id(rule)
        c("update_automation_rule", org, template_id, rule_id, {"automated_alias": "Skip approval always"})
        c("delete_automation_rule", org, template_id, rule_id)
        c("delete_step", org, template_id, _id(clone))
        c("delete_form_field", org, template_id, second_id, choice_id)
        c("get_kickoff_form_fields", org, template_id)
        copy = c("duplicate_template", org, template_id, "SDK onboarding copy", org)

        # people
        guest_email = "guest.sdk@example.com"
        c("create_guest", org, guest_email, "Gus", "Guest")
        c("get_guest", org, guest_email)
        c("update_guest", org, guest_email, first_name="Gustav")
        c("get_organization_guests", org)
        c("get_organization_guests_list", org)
        c("disable_guest", org, guest_email)
        c("enable_guest", org, guest_email)
        invited = c("invite_user_to_organization", org, "new.sdk@example.com", "Nia", "New", "standard", "Welcome")
        invited_id = _id(invited)
        c("change_user_role", org, invited_id, "light")
        c("disable_user", org, invited_id)
        c("enable_user", org, invited_id)
        c("approve_user", org, invited_id)
        group = c("create_group", org, "SDK group", "Made by the SDK", [me_id])
        group_id = _id(group)
        c("get_groups", org)
        c("get_group", org, group_id)
        c("update_group", org, group_id, description="Still the SDK")

        # a process
        run = c("launch_process", org, template_id, "SDK run", summary="From the SDK")
        run_id = _id(run)
        c("get_process", org, run_id)
        c("get_organization_runs", org)
        c("update_process", org, run_id, summary="Still from the SDK", starred=True)
        c("complete_kickoff_form", org, run_id)
        c("reopen_kickoff_form", org, run_id)
        tasks = c("get_tasks_for_process", org, run_id)
        task_id = _id(tasks.data[0]) if tasks is not None and tasks.data else None
        c("get_tasks_for_process", org, process_name="SDK run")
        c("get_task", org, run_id, task_id)
        c("update_task", org, run_id, task_id, title="Collect every form")
        c("complete_task", org, run_id, task_id)
        c("reopen_task", org, run_id, task_id)
        c("get_task_comments", org, run_id, task_id)
        c("get_my_tasks", org)
        c("get_user_tasks", org, me_id)
        c("get_guest_tasks", org, guest_email)
        c("archive_process", org, run_id)
        c("reactivate_process", org, run_id)

        # a one-off task and its threads
        oneoff = c("create_task", org, "SDK one-off", "2030-01-15 17:00:00", user_ids=[me_id], description="Call back")
        oneoff_id = _id(oneoff)
        c("get_standalone_task", org, oneoff_id)
        c("update_standalone_task", org, oneoff_id, title="SDK one-off, renamed")
        comment = c("add_task_comment", org, oneoff_id, "First!")
        comment_id = _id(comment)
        c("update_task_comment", org, oneoff_id, comment_id, "First, edited")
        c("get_standalone_task_comments", org, oneoff_id)
        c("delete_task_comment", org, oneoff_id, comment_id)
        c("report_task_issue", org, oneoff_id, "Blocked on the client")
        c("resolve_task_issues", org, oneoff_id)
        c("complete_standalone_task", org, oneoff_id)
        c("reopen_standalone_task", org, oneoff_id)
        asset = c("upload_file", org, PDF, "form.pdf", "ko_field", "Checklist", template_id)
        asset_id = _id(asset)
        c("download_file", org, asset_id)
        c("download_file_from_url", f"{sandbox.base_url}/organizations/{org}/file/{asset_id}/dl")
        c("delete_standalone_task", org, oneoff_id)

        # tags and folders
        tag = c("create_tag", org, "sdk-tag", "#3fa9f5")
        tag_id = _id(tag)
        c("get_tags", org)
        c("get_tag", org, tag_id)
        c("update_tag", org, tag_id, title="sdk-tag-2")
        c("tag_template", org, template_id, tag_id)
        c("untag_template", org, tag_id, template_id)
        c("tag_process", org, run_id, tag_id)
        c("untag_process", org, run_id, tag_id)
        folder = c("create_folder", org, "SDK folder")
        folder_id = _id(folder)
        c("get_folders", org)
        c("get_folder", org, folder_id)
        c("update_folder", org, folder_id, name="SDK folder 2")
        link = c("add_object_to_folder", org, folder_id, run_id, "run")
        c("add_object_to_folder", org, folder_id, template_id, "checklist")
        c("remove_object_from_folder", org, _id(link))

        # search
        c("search", org, "SDK")
        c("search_all", org, "SDK")
        c("search_templates", org, "SDK")
        c("search_processes", org, "SDK")
        c("search_tasks", org, "SDK")
        c("search_snippets", org, "SDK")
        c("search_processes_by_name", org, "SDK run")
        c("search_templates_by_name", org, "SDK onboarding v2")

        # cleaning up
        c("delete_tag", org, tag_id)
        c("delete_folder", org, folder_id)
        c("delete_group", org, group_id)
        c("delete_template", org, _id(copy))
        c("delete_template_with_references", org, template_id)
        c("close")
    return flow.outcomes
