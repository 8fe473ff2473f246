"""Intermediate throw events: none, link (the link's catch event follows), signal, escalation."""

from engine.bpmn.element import ElementProcessor
from engine.bpmn.intermediate_catch_event import throw_signal
from engine.model import EventType, FlowNode
from engine.state.values import ElementInstance


def escalation_code(processor: ElementProcessor, inst: ElementInstance, node: FlowNode) -> str:
    assert node.event is not None and node.event.escalation_code is not None
    return processor._expressions.string(
        node.event.escalation_code, processor._variables.visible(inst), processor.now()
    )


class IntermediateThrowEventProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            throw_signal(self, inst, node)
        elif node.event.type is EventType.ESCALATION:
            code = escalation_code(self, inst, node)
            self._transitions.activated(inst)
            if not self.b.errors.throw_escalation(inst, code):
                return  # an interrupting catch event terminates the thrower's scope
        else:
            self._transitions.activated(inst)
        self._transitions.complete(inst)
