"""User tasks: completion and assignment."""

from collections.abc import Mapping
from typing import Any

from engine._base import EngineBase
from engine.errors import (
    FailedPreconditionError,
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
