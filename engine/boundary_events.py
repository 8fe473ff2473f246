"""Boundary events and event sub-processes: opening them and triggering them."""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine._base import EngineBase
from engine.expressions import ExpressionError
from engine.model import EventType, FlowNode, Kind
from engine.state import (
    ElementInstance,
    ElementState,
)


class BoundaryEventsMixin(EngineBase):
    # ================================================================== boundary events and event sub-processes
    def _open_boundary_events(self, inst: ElementInstance, node: FlowNode, context: dict[str, Any]) -> None:
        """Opens the timers and subscriptions of the activity's boundary events (all evaluated first)."""
        if inst.loop_counter is not None:
            return  # the boundary events of a multi-instance activity belong to its body
        model = self.model_of(inst)
        timers: list[tuple[FlowNode, datetime, int | None, str | None]] = []
        messages: list[tuple[FlowNode, str, str]] = []
        signals: list[tuple[FlowNode, str]] = []
        for boundary_id in node.boundary_events:
            boundary = model.elements[boundary_id]
            assert boundary.event is not None
            if boundary.event.type is EventType.TIMER:
                due, repetitions, cycle = self._timer_schedule(boundary, context)
                timers.append((boundary, due, repetitions, cycle))
            elif boundary.event.type is EventType.MESSAGE:
                name, key = self._subscription_target(boundary, context)
                messages.append((boundary, name, key))
            elif boundary.event.type is EventType.SIGNAL:
                signals.append((boundary, self._signal_name(boundary, context)))
        for boundary, due, repetitions, cycle in timers:
            self._add_timer(boundary.id, inst, inst.process_definition_key, due, repetitions, cycle)
        for boundary, name, key in messages:
            self._open_subscription(inst, boundary.id, name, key, interrupting=boundary.cancel_activity)
        for boundary, name in signals:
            self._open_signal_subscription(inst, boundary.id, name, interrupting=boundary.cancel_activity)

    def _open_event_sub_processes(self, scope: ElementInstance) -> None:
        model = self.model_of(scope)
        node = model.elements[scope.element_id]
        if not node.event_sub_processes:
            return
        context = self.visible_variables(scope)
        opens: list[Callable[[], None]] = []
        try:
            for esp_id in node.event_sub_processes:
                esp = model.elements[esp_id]
                assert esp.none_start is not None
                start = model.elements[esp.none_start]
                assert start.event is not None
                if start.event.type is EventType.TIMER:
                    due, repetitions, cycle = self._timer_schedule(start, context)
                    opens.append(
                        functools.partial(
                            self._add_timer,
                            start.id,
                            scope,
                            scope.process_definition_key,
                            due,
                            repetitions,
                            cycle,
                        )
                    )
                elif start.event.type is EventType.MESSAGE:
                    name, key = self._subscription_target(start, context)
                    opens.append(
                        functools.partial(
                            self._open_subscription, scope, start.id, name, key, interrupting=esp.interrupting
                        )
                    )
                elif start.event.type is EventType.SIGNAL:
                    signal = self._signal_name(start, context)
                    opens.append(
                        functools.partial(
                            self._open_signal_subscription, scope, start.id, signal, interrupting=esp.interrupting
                        )
                    )
        except ExpressionError as exc:
            self._raise_incident(scope, "EXTRACT_VALUE_ERROR", str(exc), "activate")
        for open_ in opens:
            open_()

    def _trigger_event(
        self,
        host: ElementInstance,
        target_id: str,
        variables: dict[str, Any],
        locals_: dict[str, Any] | None = None,
    ) -> None:
        """A timer, message or error has arrived for `target_id` (boundary, catch event or event sub-process
        start) hosted by `host`."""
        model = self.model_of(host)
        target = model.elements[target_id]
        if host.kind is Kind.EVENT_BASED_GATEWAY:
            # the first event wins: the gateway completes (closing the other events' subscriptions) and the
            # process continues at that event, without taking the sequence flow to it (as in BPMN and Zeebe)
            scope = self.element_instances[host.flow_scope_key] if host.flow_scope_key is not None else None
            if scope is None or host.state is not ElementState.ACTIVATED:
                return
            self._schedule_activation(target, scope, event_variables=variables, event_locals=locals_, triggered=True)
            self._complete(host, take_flows=False)
            return
        if target.kind is Kind.BOUNDARY_EVENT:
            scope = self.element_instances[host.flow_scope_key] if host.flow_scope_key is not None else None
            if scope is None or not host.state.is_active:
                return
            if target.cancel_activity:
                host.interrupted = True
                self._terminate(host, check_scope=False)
            self._schedule_activation(target, scope, event_variables=variables, event_locals=locals_)
            return
        if (
            target.kind is Kind.START_EVENT
            and target.scope_id is not None
            and (model.elements[target.scope_id].kind is Kind.EVENT_SUB_PROCESS)
        ):
            esp = model.elements[target.scope_id]
            scope = host
            if not scope.state.is_active:
                return
            if esp.interrupting:
                for child_key in sorted(scope.children or ()):
                    child = self.element_instances[child_key]
                    if child.state.is_active:
                        self._terminate(child, check_scope=False)
                # the scope's own boundary events stay; its event sub-process starts close
                for timer_key in sorted(scope.timer_keys or ()):
                    if model.elements[self.timers[timer_key].target_element_id].kind is Kind.START_EVENT:
                        self._cancel_timer(timer_key)
                for sub_key in sorted(scope.subscription_keys or ()):
                    if model.elements[self.subscriptions[sub_key].target_element_id].kind is Kind.START_EVENT:
                        self._close_subscription(sub_key)
                for signal_key in sorted(scope.signal_subscription_keys or ()):
                    signal_target = self.signal_subscriptions[signal_key].target_element_id
                    if model.elements[signal_target].kind is Kind.START_EVENT:
                        self._close_signal_subscription(signal_key)
                scope.join_tokens.clear()
            inst = self._new_instance(esp, scope)
            inst.event_variables = variables
            inst.event_locals = locals_
            self._run_activation(inst)
            return
        # an intermediate catch event or a receive task completes
        if host.state is ElementState.ACTIVATED:
            host.event_variables = variables
            host.event_locals = locals_
            self._complete(host)
