"""User task commands: completion, assignment and updates – carried out at once, or, when the task has task listeners
for the transition, once they have run (engine/behaviors/task_listeners.py)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.model import ListenerEvent
from engine.state.values import UserTask, UserTaskState


class UserTaskProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state

    def _task(self, key: int, verb: str) -> UserTask:
        task = self._state.user_tasks.tasks.get(key)
        # Zeebe removes a completed or canceled user task from its state: commands on it are NOT_FOUND
        if task is None or not task.state.is_open:
            raise NotFoundError(f"Expected to {verb} user task with key '{key}', but no such user task was found")
        if task.state is not UserTaskState.CREATED:
            raise FailedPreconditionError(
                f"Expected to {verb} user task with key '{key}', but it is in state '{task.state.value}'"
            )
        return task

    def _through_listeners(self, task: UserTask, event: ListenerEvent, pending: dict[str, Any]) -> bool:
        """Starts the transition – ASSIGNING, UPDATING or COMPLETING, written whether or not listeners follow, as
        Zeebe 8.8's command processors do (`onCommand`) – and its first listener's job, if the task has listeners
        of `event` (else the caller carries it out at once)."""
        inst = self._state.instances.live[task.element_instance_key]
        node = self.b.transitions.node_of(inst)
        state = {
            ListenerEvent.ASSIGNING: UserTaskState.ASSIGNING,
            ListenerEvent.UPDATING: UserTaskState.UPDATING,
            ListenerEvent.COMPLETING: UserTaskState.COMPLETING,
        }[event]
        self.b.writer.user_task_transition(task, state, pending)
        if event not in node.task_listeners:
            return False
        self.b.task_listeners.create(inst, node, task, event, 0)
        return True

    def complete(self, key: int, variables: Mapping[str, Any], action: str = "complete") -> None:
        task = self._task(key, "complete")
        pending = {"action": action, "variables": dict(variables)}
        if self._through_listeners(task, ListenerEvent.COMPLETING, pending):
            return
        inst = self._state.instances.live[task.element_instance_key]
        self.b.writer.user_task_completed(task, dict(variables))
        self.b.transitions.complete(inst)

    def assign(self, key: int, assignee: str | None, allow_override: bool = True, action: str = "") -> None:
        task = self._task(key, "assign")
        if not allow_override and task.assignee and task.assignee != assignee:
            raise FailedPreconditionError(
                f"Expected to assign user task with key '{key}', but it is already assigned to '{task.assignee}'"
            )
        pending = {"action": action or ("assign" if assignee else "unassign"), "assignee": assignee}
        if self._through_listeners(task, ListenerEvent.ASSIGNING, pending):
            return
        self.b.writer.user_task_assigned(task, assignee)

    def update(self, key: int, changes: Mapping[str, Any]) -> None:
        """Zeebe's user task UPDATE: `changes` holds what changes – `dueDate`, `followUpDate` (ISO 8601 with an
        offset; "" clears it), `candidateGroups`, `candidateUsers` (lists; [] clears them), `priority` (0–100)."""
        task = self._task(key, "update")
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
        given = {name: value for name, value in changes.items() if value is not None}
        if self._through_listeners(task, ListenerEvent.UPDATING, {"action": "update", "changes": given}):
            return
        self.b.writer.user_task_updated(task, given)


_CHANGEABLE = frozenset({"dueDate", "followUpDate", "candidateGroups", "candidateUsers", "priority"})


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
