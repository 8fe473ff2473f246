"""User tasks: completion, assignment and updates."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine._base import EngineBase
from engine.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.state import (
    UserTaskState,
)


class UserTasksMixin(EngineBase):
    # ================================================================== user tasks
    def complete_user_task(self, key: int, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            task = self.user_tasks.get(key)
            # Zeebe removes a completed or canceled user task from its state: commands on it are NOT_FOUND
            if task is None or task.state is not UserTaskState.CREATED:
                raise NotFoundError(f"Expected to complete user task with key '{key}', but no such user task was found")
            task.state = UserTaskState.COMPLETED
            task.completion_date = self.now()
            inst = self.element_instances[task.element_instance_key]
            self._record("USER_TASK", "COMPLETED", key, element=inst)
            inst.user_task_key = None
            inst.event_variables = dict(variables)
            self._complete(inst)

        self._command(action)

    def assign_user_task(self, key: int, assignee: str | None, allow_override: bool = True) -> None:
        def action() -> None:
            task = self.user_tasks.get(key)
            if task is None or task.state is not UserTaskState.CREATED:
                raise NotFoundError(f"Expected to assign user task with key '{key}', but no such user task was found")
            if not allow_override and task.assignee and task.assignee != assignee:
                raise FailedPreconditionError(
                    f"Expected to assign user task with key '{key}', but it is already assigned to '{task.assignee}'"
                )
            task.assignee = assignee or None
            self._record("USER_TASK", "ASSIGNED", key, pi=task.process_instance_key)

        self._command(action)

    def update_user_task(self, key: int, changes: Mapping[str, Any]) -> None:
        """Zeebe's user task UPDATE: `changes` holds what changes – `dueDate`, `followUpDate` (ISO 8601 with an
        offset; "" clears it), `candidateGroups`, `candidateUsers` (lists; [] clears them), `priority` (0–100)."""

        def action() -> None:
            task = self.user_tasks.get(key)
            if task is None or task.state is not UserTaskState.CREATED:
                raise NotFoundError(f"Expected to update user task with key '{key}', but no such user task was found")
            unknown = sorted(set(changes) - _CHANGEABLE)
            if unknown:
                raise InvalidArgumentError(
                    f"User task attributes {unknown} cannot be changed; change {sorted(_CHANGEABLE)}"
                )
            for name in ("dueDate", "followUpDate"):
                value = changes.get(name)
                if value is not None and value != "" and not _is_date_time(value):
                    raise InvalidArgumentError(
                        f"The value for {name} is '{value}' but must be an ISO 8601 date-time with an offset"
                    )
            for name in ("candidateGroups", "candidateUsers"):
                value = changes.get(name)
                if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                    raise InvalidArgumentError(f"The value for {name} must be an array of strings")
            priority = changes.get("priority")
            if priority is not None and (
                not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 100
            ):
                raise InvalidArgumentError(f"The value for priority is '{priority}' but must be an integer 0–100")
            if "dueDate" in changes and changes["dueDate"] is not None:
                task.due_date = changes["dueDate"] or None
            if "followUpDate" in changes and changes["followUpDate"] is not None:
                task.follow_up_date = changes["followUpDate"] or None
            if changes.get("candidateGroups") is not None:
                task.candidate_groups = list(changes["candidateGroups"])
            if changes.get("candidateUsers") is not None:
                task.candidate_users = list(changes["candidateUsers"])
            if priority is not None:
                task.priority = priority
            self._record("USER_TASK", "UPDATED", key, pi=task.process_instance_key)

        self._command(action)


_CHANGEABLE = frozenset({"dueDate", "followUpDate", "candidateGroups", "candidateUsers", "priority"})


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
