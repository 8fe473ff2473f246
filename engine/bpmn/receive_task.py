"""Receive tasks (and message catch events): wait for a message with their name and correlation key."""

from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance


class ReceiveTaskProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None and node.event.message is not None
        context = self._variables.visible(inst)
        name, key = self._subscriptions.subscription_target(node, context)
        self._subscriptions.open_boundary_events(inst, node, context)
        self._transitions.activated(inst)
        self._subscriptions.open_subscription(inst, node.id, name, key, interrupting=True)
