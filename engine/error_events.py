"""Errors and escalations: throwing them and finding the event that catches them."""

from typing import Any

from engine._base import EngineBase
from engine.model import EventType, FlowNode, Kind
from engine.state import (
    ElementInstance,
)


def _catch_code(node: FlowNode) -> str | None:
    """The error or escalation code an event catches; None catches every one."""
    assert node.event is not None
    return node.event.error_code if node.event.type is EventType.ERROR else node.event.escalation_code


def _best_error_match(candidates: list[tuple[str, str | None]], code: str) -> str | None:
    for element_id, candidate in candidates:
        if candidate == code:
            return element_id
    for element_id, candidate in candidates:
        if candidate is None:
            return element_id
    return None


class ErrorEventsMixin(EngineBase):
    # ================================================================== errors
    def _throw_error(
        self,
        thrower: ElementInstance,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        from_end_event: bool = False,
    ) -> bool:
        """Finds the nearest catching boundary or error event sub-process; returns False if none."""
        start: ElementInstance | None = self._enclosing(thrower) if from_end_event else thrower
        found = self._find_catch(start, EventType.ERROR, code)
        if found is None:
            self._raise_incident(
                thrower,
                "UNHANDLED_ERROR_EVENT",
                f"Expected to throw an error event with the code '{code}' with message '{message}', "
                "but it was not caught. No error events are available in the scope.",
                "error",
            )
            return False
        host, target_id = found
        locals_ = {"errorCode": code, "errorMessage": message}
        self._trigger_event(host, target_id, variables, locals_)
        return True

    def _enclosing(self, inst: ElementInstance) -> ElementInstance | None:
        """The flow scope of an element; for the root of an instance a call activity created, that call activity."""
        if inst.flow_scope_key is not None:
            return self.element_instances[inst.flow_scope_key]
        parent_key = self.process_instances[inst.process_instance_key].parent_element_instance_key
        return self.element_instances.get(parent_key) if parent_key is not None else None

    def _find_catch(
        self, start: ElementInstance | None, etype: EventType, code: str
    ) -> tuple[ElementInstance, str] | None:
        """The nearest error or escalation catch event for `code`, from `start` outwards, across call activities:
        in each element, its event sub-process starts and its boundary events (a multi-instance activity's
        belong to its body); one with the same code wins over a catch-all."""
        current = start
        while current is not None and current.state.is_active:
            model = self.model_of(current)
            node = model.elements[current.element_id]
            candidates: list[tuple[str, str | None]] = []
            if current.kind in (Kind.PROCESS, Kind.SUB_PROCESS, Kind.EVENT_SUB_PROCESS):
                for esp_id in node.event_sub_processes:
                    esp = model.elements[esp_id]
                    esp_start = model.elements[esp.none_start] if esp.none_start else None
                    if esp_start is not None and esp_start.event is not None and esp_start.event.type is etype:
                        candidates.append((esp_start.id, _catch_code(esp_start)))
            if current.loop_counter is None and current.kind is not Kind.PROCESS:
                for boundary_id in node.boundary_events:
                    boundary = model.elements[boundary_id]
                    if boundary.event is not None and boundary.event.type is etype:
                        candidates.append((boundary.id, _catch_code(boundary)))
            match = _best_error_match(candidates, code)
            if match is not None:
                return current, match
            current = self._enclosing(current)
        return None

    def _throw_escalation(self, thrower: ElementInstance, code: str) -> bool:
        """Escalates to the nearest catching boundary or escalation event sub-process. Returns whether the thrower
        goes on: yes unless an interrupting catch event caught it; an uncaught escalation is no incident."""
        found = self._find_catch(self._enclosing(thrower), EventType.ESCALATION, code)
        key = self.keys.next()
        if found is None:
            self._record("ESCALATION", "NOT_ESCALATED", key, element=thrower)
            return True
        host, target_id = found
        model = self.model_of(host)
        target = model.elements[target_id]
        if target.kind is Kind.BOUNDARY_EVENT:
            interrupting = target.cancel_activity
        else:
            interrupting = model.elements[target.scope_id or ""].interrupting
        self._record("ESCALATION", "ESCALATED", key, element=thrower)
        self._trigger_event(host, target_id, {})
        return not interrupting
