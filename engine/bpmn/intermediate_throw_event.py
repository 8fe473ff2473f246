"""Intermediate throw events: none, link (the link's catch event follows), signal, escalation, compensation."""

from engine.bpmn.element import ElementProcessor
from engine.bpmn.intermediate_catch_event import throw_signal
from engine.model import EventType, FlowNode
from engine.state.values import ElementInstance


def escalation_code(processor: ElementProcessor, inst: ElementInstance, node: FlowNode) -> str:
    assert node.event is not None and node.event.escalation_code is not None
    return processor._expressions.string(
        node.event.escalation_code, processor._variables.visible(inst), processor.now()
    )


def throw_compensation(processor: ElementProcessor, inst: ElementInstance, node: FlowNode) -> None:
    """A compensation throw or end event: activated, it triggers the compensation handlers and waits until they
    complete (engine/behaviors/compensation.py completes it then), or completes at once when there is nothing to
    compensate."""
    processor._transitions.activated(inst)
    if not processor.b.compensation.trigger(inst, node):
        processor._transitions.complete(inst, node=node)


class IntermediateThrowEventProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            throw_signal(self, inst, node)
        elif node.event.type is EventType.COMPENSATION:
            throw_compensation(self, inst, node)
            return
        elif node.event.type is EventType.ESCALATION:
            code = escalation_code(self, inst, node)
            self._transitions.activated(inst)
            if not self.b.errors.throw_escalation(inst, code):
                return  # an interrupting catch event terminates the thrower's scope
        else:
            self._transitions.activated(inst)
        self._transitions.complete(inst)
