"""Event sub-processes: started by their start event's event (engine/behaviors/events.py), they hand what it
delivered on to that start event."""

from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance


class EventSubProcessProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        trigger = self._state.flow.triggers.get(inst.key)
        self._transitions.activated(inst)  # its trigger goes with the start event
        assert node.none_start is not None
        start = self._transitions.model_of(inst).elements[node.none_start]
        self._transitions.schedule_activation(
            start,
            inst,
            event_variables=trigger.variables if trigger is not None else None,
            event_locals=trigger.locals if trigger is not None else None,
        )
