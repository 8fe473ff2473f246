"""Processes: a new process instance – its root element instance, its variables, its event sub-process starts –
started at the given start elements."""

import contextlib
import functools
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.behaviors.transitions import incident_is_active
from engine.bpmn.element import ElementProcessor
from engine.errors import InvalidArgumentError
from engine.events.appliers import START_IDS
from engine.expressions import Suspended
from engine.model import ListenerEvent, ProcessModel
from engine.processing.steps import Interrupt
from engine.state.values import ElementInstance, ElementState, ProcessDefinition, ProcessInstance


class ProcessProcessor(ElementProcessor):
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        super().__init__(behaviors)
        behaviors.steps.register(self.run_start_elements)

    def start(
        self,
        definition: ProcessDefinition,
        variables: dict[str, Any],
        start_ids: list[str],
        *,
        start_event_variables: dict[str, Any] | None = None,
        parent: ElementInstance | None = None,
        start_message: tuple[int, str] | None = None,
    ) -> ProcessInstance:
        """`parent`: the call activity creating it; `start_message`: (key, correlation key) of the message that
        starts it at a message start event."""
        model = definition.model
        for element_id in start_ids:
            if model.elements[element_id].scope_id != model.bpmn_process_id:
                raise InvalidArgumentError(
                    f"Expected to start at element '{element_id}', but only elements of the process itself "
                    "can be start instructions in the embedded engine"
                )
        key = self._state.keys.next()
        writer = self.b.writer
        root = writer.process_activating(key, definition, parent, start_message)
        set_local = self._variables.set_local
        for name, value in variables.items():
            set_local(root, name, value)
        if model.root.start_listeners:
            # the process's start listeners run first (the instance stays ACTIVATING); `resume_start` goes on
            writer.process_start_deferred(root, start_ids, start_event_variables)
            with contextlib.suppress(Interrupt):  # an incident: the instance waits for its resolution
                self.b.listeners.create(root, model.root, ListenerEvent.START, 0)
            return self._state.instances.process_instances[key]
        self._started(root, start_ids, start_event_variables)
        return self._state.instances.process_instances[key]

    def resume_start(self, root: ElementInstance) -> None:
        """The process's start listeners are done, or an incident at its event sub-process starts was resolved: it
        starts where it was asked to."""
        trigger = self._state.flow.triggers[root.key]
        assert trigger.locals is not None
        self._started(root, list(trigger.locals[START_IDS]), trigger.variables)

    def _started(
        self, root: ElementInstance, start_ids: list[str], start_event_variables: dict[str, Any] | None
    ) -> None:
        """Opens the event sub-process starts, then activates the instance and schedules its start elements (as in
        Zeebe, ELEMENT_ACTIVATED follows the open waits). Until then the instance stays ACTIVATING and keeps where it
        starts as its trigger (PROCESS_START_DEFERRED), so that resolving an incident here (`Transitions.retry` →
        `resume_start`) or the step resumed after a suspension goes on from there."""
        try:
            self._subscriptions.open_event_sub_processes(root)
        except Interrupt:
            # an incident at an event sub-process start: the instance is created and waits for the resolution
            self._keep_start(root, start_ids, start_event_variables)
            return
        except Suspended as suspended:
            # an expression of an event sub-process start goes on off the event loop: the instance is activated
            # and its start elements run once it is done (the command creating the instance is answered now)
            self._keep_start(root, start_ids, start_event_variables)
            suspended.then(functools.partial(self.run_start_elements, root, start_ids, start_event_variables))
            self.b.steps.suspend(suspended, self._expressions.resumed)
            return
        self.b.writer.element_activated(root)
        self._schedule_start_elements(root, self._transitions.model_of(root), start_ids, start_event_variables)

    def _keep_start(
        self, root: ElementInstance, start_ids: list[str], start_event_variables: dict[str, Any] | None
    ) -> None:
        if root.key not in self._state.flow.triggers:  # kept already when start listeners ran first
            self.b.writer.process_start_deferred(root, start_ids, start_event_variables)

    def run_start_elements(
        self, root: ElementInstance, start_ids: list[str], start_event_variables: dict[str, Any] | None
    ) -> None:
        """After a suspension while the event sub-process starts opened: activates the instance and schedules its
        start elements – unless it was cancelled meanwhile, or the opening ended in an incident (its resolution
        starts it, `resume_start`)."""
        if root.state is ElementState.ACTIVATING and not incident_is_active(self._state, root.incident_key):
            self.b.writer.element_activated(root)
            self._schedule_start_elements(root, self._transitions.model_of(root), start_ids, start_event_variables)
        elif root.state is ElementState.ACTIVATED:
            # a step held by an earlier release, which activated the instance before opening its waits
            self._schedule_start_elements(root, self._transitions.model_of(root), start_ids, start_event_variables)

    def _schedule_start_elements(
        self,
        root: ElementInstance,
        model: ProcessModel,
        start_ids: list[str],
        start_event_variables: dict[str, Any] | None,
    ) -> None:
        schedule = self._transitions.schedule_activation
        for element_id in start_ids:
            if start_event_variables is None:
                schedule(model.elements[element_id], root)
            else:
                schedule(model.elements[element_id], root, event_variables=start_event_variables)
