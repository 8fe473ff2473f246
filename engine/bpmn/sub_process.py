"""Embedded sub-processes: their boundary events and event sub-process starts open, then their none start event."""

from engine.behaviors.incidents import ACTIVATE
from engine.bpmn.element import ElementProcessor
from engine.expressions import ExpressionError
from engine.model import FlowNode
from engine.state.values import ElementInstance


class SubProcessProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        context = self._variables.visible(inst)
        subscriptions = self._subscriptions
        opens = subscriptions.boundary_opens(inst, node, context)
        try:
            opens += subscriptions.event_sub_process_opens(inst)
        except ExpressionError as exc:
            raise self.b.incidents.raise_(inst, "EXTRACT_VALUE_ERROR", str(exc), ACTIVATE) from None
        for open_ in opens:
            open_()
        self._transitions.activated(inst)
        assert node.none_start is not None
        start = self._transitions.model_of(inst).elements[node.none_start]
        self._transitions.schedule_activation(start, inst)
