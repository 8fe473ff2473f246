"""User task commands: completion and assignment."""

from collections.abc import Mapping
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.errors import FailedPreconditionError, NotFoundError
from engine.state.values import UserTaskState


class UserTaskProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state

    def complete(self, key: int, variables: Mapping[str, Any]) -> None:
        task = self._state.user_tasks.tasks.get(key)
        # Zeebe removes a completed or canceled user task from its state: commands on it are NOT_FOUND
        if task is None or task.state is not UserTaskState.CREATED:
            raise NotFoundError(f"Expected to complete user task with key '{key}', but no such user task was found")
        inst = self._state.instances.live[task.element_instance_key]
        self.b.writer.user_task_completed(task, dict(variables))
        self.b.transitions.complete(inst)

    def assign(self, key: int, assignee: str | None, allow_override: bool = True) -> None:
        task = self._state.user_tasks.tasks.get(key)
        if task is None or task.state is not UserTaskState.CREATED:
            raise NotFoundError(f"Expected to assign user task with key '{key}', but no such user task was found")
        if not allow_override and task.assignee and task.assignee != assignee:
            raise FailedPreconditionError(
                f"Expected to assign user task with key '{key}', but it is already assigned to '{task.assignee}'"
            )
        self.b.writer.user_task_assigned(task, assignee)
