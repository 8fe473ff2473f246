"""Event subscriptions of waiting elements: timers, message subscriptions and signal subscriptions – evaluating
what they wait for, opening and closing them; the boundary events of an activity and the event sub-process starts
of a scope."""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.behaviors.incidents import ACTIVATE, IncidentBehavior
from engine.events.appliers import Appliers
from engine.expressions import ExpressionError, Expressions, Suspended
from engine.model import EventType, FlowNode
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import (
    ElementInstance,
    MessageSubscription,
    ProcessDefinition,
    SignalSubscription,
    Timer,
)
from engine.timing import TimerExpressionError, first_due

TimerSchedule = tuple[datetime, int | None, str | None]


class SubscriptionBehavior:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        expressions: Expressions,
        steps: Steps,
        incidents: IncidentBehavior,
    ) -> None:
        self._state = state
        self._w = writer
        self._expressions = expressions
        self._steps = steps
        self._incidents = incidents
        self._timers = state.timers
        self._messages = state.messages
        self._signals = state.signals
        self._definitions = state.deployments.definitions
        self._visible = state.instances.visible_variables
        self.correlate_buffered: Callable[[MessageSubscription], None] | None = None  # set by the message processor
        steps.register(self.run_correlate_buffered)
        steps.register(self.resume_event_sub_processes)

    def _now(self) -> datetime:
        now = self._state.instant
        assert now is not None
        return now

    # ------------------------------------------------------------------ timers
    def timer_schedule(self, node: FlowNode, context: dict[str, Any]) -> TimerSchedule:
        """When a timer event fires first, how often, and its cycle (evaluated now)."""
        assert node.event is not None and node.event.timer is not None
        timer = node.event.timer
        now = self._now()
        text = self._expressions.string(timer.expression, context, now)
        try:
            return first_due(timer.type, text, now)
        except TimerExpressionError as exc:
            raise ExpressionError(str(exc)) from None

    def create_start_timer(self, node: FlowNode, definition: ProcessDefinition, schedule: TimerSchedule) -> None:
        due, repetitions, cycle = schedule
        self.add_timer(node.id, None, definition.key, due, repetitions, cycle)

    def add_timer(
        self,
        target_id: str,
        host: ElementInstance | None,
        definition_key: int,
        due: datetime,
        repetitions: int | None,
        cycle: str | None,
    ) -> None:
        timer = Timer(
            self._state.keys.next(),
            definition_key,
            host.process_instance_key if host else None,
            host.key if host else None,
            target_id,
            due,
            repetitions,
            cycle,
        )
        self._w.timer_created(timer)

    def cancel_timer(self, key: int) -> None:
        timer = self._timers.timers.get(key)
        if timer is not None:
            self._w.timer_canceled(timer)

    # ------------------------------------------------------------------ messages
    def subscription_target(self, node: FlowNode, context: dict[str, Any]) -> tuple[str, str]:
        """The message name and correlation key an element waits for (evaluated now)."""
        assert node.event is not None and node.event.message is not None
        now = self._now()
        name = self._expressions.string(node.event.message.name, context, now)
        key_text = node.event.message.correlation_key or ""
        key = self._expressions.string(key_text, context, now, allow_number=True) if key_text else ""
        return name, key

    def open_subscription(
        self, host: ElementInstance, target_id: str, name: str, correlation_key: str, *, interrupting: bool
    ) -> None:
        sub = MessageSubscription(
            self._state.keys.next(),
            name,
            correlation_key,
            host.process_instance_key,
            host.key,
            target_id,
            interrupting,
            self._now(),
        )
        self._w.subscription_created(sub, host)
        # a buffered message may already be waiting for it
        self._steps.queue.append(functools.partial(self.run_correlate_buffered, sub))

    def run_correlate_buffered(self, sub: MessageSubscription) -> None:
        if self.correlate_buffered is not None:
            self.correlate_buffered(sub)

    def close_subscription(self, key: int) -> None:
        sub = self._messages.subscriptions.get(key)
        if sub is not None:
            self._w.subscription_deleted(sub)

    # ------------------------------------------------------------------ signals
    def signal_name(self, node: FlowNode, context: dict[str, Any]) -> str:
        assert node.event is not None and node.event.signal_name is not None
        return self._expressions.string(node.event.signal_name, context, self._now())

    def open_signal_subscription(
        self,
        host: ElementInstance | None,
        target_id: str,
        name: str,
        *,
        interrupting: bool,
        definition: ProcessDefinition | None = None,
    ) -> None:
        """A subscription of a waiting element (host), or of a signal start event of a process (no host)."""
        definition_key = host.process_definition_key if host is not None else definition.key if definition else 0
        sub = SignalSubscription(
            key=self._state.keys.next(),
            signal_name=name,
            process_definition_key=definition_key,
            bpmn_process_id=self._definitions[definition_key].bpmn_process_id,
            process_instance_key=host.process_instance_key if host is not None else None,
            element_instance_key=host.key if host is not None else None,
            target_element_id=target_id,
            interrupting=interrupting,
        )
        self._w.signal_subscription_created(sub)

    def close_signal_subscription(self, key: int) -> None:
        sub = self._signals.subscriptions.get(key)
        if sub is not None:
            self._w.signal_subscription_deleted(sub)

    # ------------------------------------------------------------------ what an element waits for
    def has_waits(self, key: int) -> bool:
        return key in self._timers.by_element or key in self._messages.by_element or key in self._signals.by_element

    def close_of(self, inst: ElementInstance) -> None:
        """Closes the element's timers, message subscriptions and signal subscriptions."""
        key = inst.key
        for timer_key in self._timers.of(key):
            self.cancel_timer(timer_key)
        for sub_key in self._messages.subscriptions_of(key):
            self.close_subscription(sub_key)
        for signal_key in self._signals.subscriptions_of(key):
            self.close_signal_subscription(signal_key)

    def boundary_opens(
        self, inst: ElementInstance, node: FlowNode, context: dict[str, Any]
    ) -> list[Callable[[], None]]:
        """What opening the activity's boundary events takes, evaluated now (raises ExpressionError); run the
        returned calls to open them – timers first, then messages, then signals."""
        if inst.loop_counter is not None or not node.boundary_events:
            return []  # the boundary events of a multi-instance activity belong to its body
        model = self._definitions[inst.process_definition_key].model
        by_type: dict[EventType, list[Callable[[], None]]] = {EventType.TIMER: [], EventType.MESSAGE: [],
                                                               EventType.SIGNAL: []}  # fmt: skip
        for boundary_id in node.boundary_events:
            boundary = model.elements[boundary_id]
            assert boundary.event is not None
            if boundary.event.type in by_type:
                by_type[boundary.event.type].append(self.opener(inst, boundary, context, boundary.cancel_activity))
        return by_type[EventType.TIMER] + by_type[EventType.MESSAGE] + by_type[EventType.SIGNAL]

    def opener(
        self, inst: ElementInstance, event: FlowNode, context: dict[str, Any], interrupting: bool
    ) -> Callable[[], None]:
        """What opening the wait of a timer, message or signal event hosted by `inst` takes, evaluated now (raises
        ExpressionError); call it to open the wait."""
        assert event.event is not None
        if event.event.type is EventType.TIMER:
            due, repetitions, cycle = self.timer_schedule(event, context)
            return functools.partial(
                self.add_timer, event.id, inst, inst.process_definition_key, due, repetitions, cycle
            )
        if event.event.type is EventType.MESSAGE:
            name, key = self.subscription_target(event, context)
            return functools.partial(self.open_subscription, inst, event.id, name, key, interrupting=interrupting)
        signal = self.signal_name(event, context)
        return functools.partial(self.open_signal_subscription, inst, event.id, signal, interrupting=interrupting)

    def open_boundary_events(self, inst: ElementInstance, node: FlowNode, context: dict[str, Any]) -> None:
        for open_ in self.boundary_opens(inst, node, context):
            open_()

    def event_sub_process_opens(self, scope: ElementInstance) -> list[Callable[[], None]]:
        """What opening the event sub-process starts of a scope takes, evaluated now (raises ExpressionError)."""
        model = self._definitions[scope.process_definition_key].model
        node = model.elements[scope.element_id]
        if not node.event_sub_processes:
            return []
        context = self._visible(scope)
        opens: list[Callable[[], None]] = []
        for esp_id in node.event_sub_processes:
            esp = model.elements[esp_id]
            assert esp.none_start is not None
            start = model.elements[esp.none_start]
            assert start.event is not None
            if start.event.type is EventType.TIMER:
                due, repetitions, cycle = self.timer_schedule(start, context)
                opens.append(
                    functools.partial(
                        self.add_timer, start.id, scope, scope.process_definition_key, due, repetitions, cycle
                    )
                )
            elif start.event.type is EventType.MESSAGE:
                name, key = self.subscription_target(start, context)
                opens.append(
                    functools.partial(self.open_subscription, scope, start.id, name, key, interrupting=esp.interrupting)
                )
            elif start.event.type is EventType.SIGNAL:
                signal = self.signal_name(start, context)
                opens.append(
                    functools.partial(
                        self.open_signal_subscription, scope, start.id, signal, interrupting=esp.interrupting
                    )
                )
        return opens

    def resume_event_sub_processes(self, scope: ElementInstance) -> None:
        """A step suspended while opening the event sub-process starts of `scope` goes on, if it is still active."""
        if scope.state.is_active:
            self.open_event_sub_processes(scope)

    def open_event_sub_processes(self, scope: ElementInstance) -> None:
        """Opens the scope's event sub-process starts; an expression that fails is an incident on the scope."""
        try:
            opens = self.event_sub_process_opens(scope)
        except ExpressionError as exc:
            raise self._incidents.raise_(scope, "EXTRACT_VALUE_ERROR", str(exc), ACTIVATE) from None
        except Suspended as suspended:
            raise suspended.at(functools.partial(self.resume_event_sub_processes, scope)) from None
        for open_ in opens:
            open_()
