"""Event-based gateways: wait for the first of the events after them; a timer, message or signal subscription
for each (the first event wins, engine/behaviors/events.py)."""

from collections.abc import Callable

from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance


class EventBasedGatewayProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        model = self._transitions.model_of(inst)
        context = self._variables.visible(inst)
        subscriptions = self._subscriptions
        opens: list[Callable[[], None]] = []
        for flow_id in node.outgoing:
            target = model.elements[model.flows[flow_id].target]
            opens.append(subscriptions.opener(inst, target, context, interrupting=True))
        self._transitions.activated(inst)
        for open_ in opens:
            open_()
