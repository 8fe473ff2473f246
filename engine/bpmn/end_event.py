"""End events: none, error, escalation, signal, terminate and compensation (message end events are job tasks)."""

from engine.bpmn.element import ElementProcessor
from engine.bpmn.intermediate_catch_event import throw_signal
from engine.bpmn.intermediate_throw_event import escalation_code, throw_compensation
from engine.model import EventType, FlowNode
from engine.state.values import ElementInstance


class EndEventProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        transitions = self._transitions
        etype = node.event.type
        if etype is EventType.NONE:
            transitions.activated(inst)
            transitions.complete(inst, node=node)
            return
        if etype is EventType.SIGNAL:
            throw_signal(self, inst, node)
            transitions.complete(inst)
            return
        if etype is EventType.COMPENSATION:
            throw_compensation(self, inst, node)
            return
        if etype is EventType.ESCALATION:
            code = escalation_code(self, inst, node)
            transitions.activated(inst)
            if self.b.errors.throw_escalation(inst, code):
                transitions.complete(inst)
            return
        transitions.activated(inst)
        if etype is EventType.ERROR:
            assert node.event.error_code is not None
            self.b.errors.throw_error(inst, node.event.error_code, "", {}, from_end_event=True)
            return
        if etype is EventType.TERMINATE:
            live = self._state.instances.live
            scope = live[inst.flow_scope_key or inst.process_instance_key]
            for child_key in sorted(scope.children or ()):
                child = live[child_key]
                if child.key != inst.key and child.state.is_active:
                    transitions.terminate(child, check_scope=False)
            transitions.complete(inst, take_flows=False, clear_scope_joins=True)
            return
        transitions.complete(inst, node=node)

    def rethrow(self, inst: ElementInstance, node: FlowNode) -> None:
        """Resolving the incident of an uncaught error end event throws again, as Zeebe re-activates it: caught now,
        or a new incident."""
        if node.event is not None and node.event.error_code:
            self.b.errors.throw_error(inst, node.event.error_code, "", {}, from_end_event=True)
