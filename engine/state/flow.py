"""What the token flow keeps besides element instances: join tokens of scopes, multi-instance bodies, the
variables an event delivered to an element until it completes, and what a scope does once the children it
terminated have ended (a user task's canceling listeners hold its termination)."""

from typing import Any

from engine.state.values import EventTrigger, MultiInstanceBody


class Flow:
    __slots__ = ("awaiting", "bodies", "joins", "triggers")

    def __init__(self) -> None:
        # scope → joining gateway → incoming flow → tokens that arrived and were not taken yet
        self.joins: dict[int, dict[str, dict[str, int]]] = {}
        self.bodies: dict[int, MultiInstanceBody] = {}
        self.triggers: dict[int, EventTrigger] = {}
        # scope → what it does once none of its children is terminating any more, each as plain data:
        # [kind, arguments…] (engine/behaviors/transitions.py `await_terminations`)
        self.awaiting: dict[int, list[list[Any]]] = {}

    def join_tokens(self, scope_key: int) -> dict[str, dict[str, int]]:
        return self.joins.get(scope_key) or {}
