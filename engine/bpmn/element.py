"""The base of the element processors."""

from datetime import datetime

from engine.behaviors import BpmnBehaviors
from engine.model import FlowNode
from engine.state.values import ElementInstance


class ElementProcessor:
    """What an element kind does when it is activated (after its input mappings). Completion and termination are the
    token flow's (engine/behaviors/transitions.py), with the kind-specific hooks of the registry."""

    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._transitions = behaviors.transitions
        self._subscriptions = behaviors.subscriptions
        self._variables = behaviors.variables
        self._expressions = behaviors.expressions

    def now(self) -> datetime:
        now = self._state.instant
        assert now is not None
        return now

    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        """Activated and completed at once: an element without behaviour of its own."""
        self._transitions.pass_through(inst, node)
