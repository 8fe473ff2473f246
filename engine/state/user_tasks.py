"""User tasks (Camunda user tasks): every one ever created, by key, and the open ones by element instance."""

from engine.state.values import UserTask


class UserTasks:
    __slots__ = ("by_element", "tasks")

    def __init__(self) -> None:
        self.tasks: dict[int, UserTask] = {}
        self.by_element: dict[int, int] = {}
