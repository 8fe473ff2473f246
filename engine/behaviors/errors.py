"""Errors and escalations: finding the event that catches them, across scopes and call activities."""

from typing import TYPE_CHECKING, Any

from engine.behaviors.incidents import ERROR, IncidentBehavior
from engine.events.appliers import Appliers
from engine.model import EventType, FlowNode, Kind
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance, Job

if TYPE_CHECKING:
    from engine.behaviors.events import EventTriggerBehavior

_CATCHING_SCOPES = (Kind.PROCESS, Kind.SUB_PROCESS, Kind.EVENT_SUB_PROCESS, Kind.AD_HOC_SUB_PROCESS)


def _catch_code(node: FlowNode) -> str | None:
    """The error or escalation code an event catches; None catches every one."""
    assert node.event is not None
    return node.event.error_code if node.event.type is EventType.ERROR else node.event.escalation_code


def _best_match(candidates: list[tuple[str, str | None]], code: str) -> str | None:
    for element_id, candidate in candidates:
        if candidate == code:
            return element_id
    for element_id, candidate in candidates:
        if candidate is None:
            return element_id
    return None


class ErrorBehavior:
    def __init__(self, state: EngineState, writer: Appliers, incidents: IncidentBehavior) -> None:
        self._state = state
        self._w = writer
        self._incidents = incidents
        self._live = state.instances.live
        self._definitions = state.deployments.definitions
        self.events: EventTriggerBehavior  # set once it exists

    def catch_error(
        self, thrower: ElementInstance, code: str, *, from_end_event: bool = False
    ) -> tuple[ElementInstance, str] | None:
        """The element hosting the event that catches the error, and that event's id; None if nothing does."""
        start = self.enclosing(thrower) if from_end_event else thrower
        return self.find_catch(start, EventType.ERROR, code)

    def throw_error(
        self,
        thrower: ElementInstance,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        from_end_event: bool = False,
        job: Job | None = None,
    ) -> bool:
        """Triggers the nearest catching boundary or error event sub-process; without one, an incident (with the
        job whose worker threw it). Returns whether it was caught."""
        found = self.catch_error(thrower, code, from_end_event=from_end_event)
        if found is None:
            self._incidents.create(
                thrower,
                "UNHANDLED_ERROR_EVENT",
                f"Expected to throw an error event with the code '{code}' with message '{message}', "
                "but it was not caught. No error events are available in the scope.",
                ERROR,
                job,
            )
            return False
        host, target_id = found
        self.events.trigger(host, target_id, variables, {"errorCode": code, "errorMessage": message})
        return True

    def enclosing(self, inst: ElementInstance) -> ElementInstance | None:
        """The flow scope of an element; for the root of an instance a call activity created, that call activity."""
        if inst.flow_scope_key is not None:
            return self._live[inst.flow_scope_key]
        parent_key = self._state.instances.process_instances[inst.process_instance_key].parent_element_instance_key
        return self._live.get(parent_key) if parent_key is not None else None

    def find_catch(
        self, start: ElementInstance | None, etype: EventType, code: str
    ) -> tuple[ElementInstance, str] | None:
        """The nearest error or escalation catch event for `code`, from `start` outwards, across call activities:
        in each element, its event sub-process starts and its boundary events (a multi-instance activity's
        belong to its body); one with the same code wins over a catch-all."""
        current = start
        while current is not None and current.state.is_active:
            model = self._definitions[current.process_definition_key].model
            node = model.elements[current.element_id]
            candidates: list[tuple[str, str | None]] = []
            if current.kind in _CATCHING_SCOPES:
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
            match = _best_match(candidates, code)
            if match is not None:
                return current, match
            current = self.enclosing(current)
        return None

    def throw_escalation(self, thrower: ElementInstance, code: str) -> bool:
        """Escalates to the nearest catching boundary or escalation event sub-process. Returns whether the thrower
        goes on: yes unless an interrupting catch event caught it; an uncaught escalation is no incident."""
        found = self.find_catch(self.enclosing(thrower), EventType.ESCALATION, code)
        key = self._state.keys.next()
        if found is None:
            self._w.escalation(key, False, thrower)
            return True
        host, target_id = found
        model = self._definitions[host.process_definition_key].model
        target = model.elements[target_id]
        if target.kind is Kind.BOUNDARY_EVENT:
            interrupting = target.cancel_activity
        else:
            interrupting = model.elements[target.scope_id or ""].interrupting
        self._w.escalation(key, True, thrower)
        self.events.trigger(host, target_id, {})
        return not interrupting
