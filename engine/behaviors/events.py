"""An event has occurred for an element waiting for it: a timer fired, a message was correlated, a signal was
broadcast, an error or an escalation was thrown. What happens depends on where the event leads: a boundary event,
an event sub-process start, a catch event after an event-based gateway, or the waiting element itself."""

import functools
from typing import Any

from engine.behaviors.subscriptions import SubscriptionBehavior
from engine.behaviors.transitions import Transitions
from engine.events.appliers import Appliers
from engine.model import Kind
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance, ElementState, EventTrigger


class EventTriggerBehavior:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        steps: Steps,
        transitions: Transitions,
        subscriptions: SubscriptionBehavior,
    ) -> None:
        self._state = state
        self._w = writer
        self._steps = steps
        self._transitions = transitions
        self._subscriptions = subscriptions
        self._live = state.instances.live
        self._definitions = state.deployments.definitions
        steps.register(self.trigger)
        transitions.continuations["event_sub_process"] = self._activate_event_sub_process

    def queue(
        self, host: ElementInstance, target_id: str, variables: dict[str, Any], locals_: dict[str, Any] | None = None
    ) -> None:
        """Triggers the event as a step of its own, after what is queued now."""
        if locals_ is None:
            self._steps.queue.append(functools.partial(self.trigger, host, target_id, variables))
        else:
            self._steps.queue.append(functools.partial(self.trigger, host, target_id, variables, locals_))

    def trigger(
        self,
        host: ElementInstance,
        target_id: str,
        variables: dict[str, Any],
        locals_: dict[str, Any] | None = None,
    ) -> None:
        """A timer, message, signal, error or escalation has arrived for `target_id` (boundary, catch event or event
        sub-process start) hosted by `host`."""
        transitions = self._transitions
        model = self._definitions[host.process_definition_key].model
        target = model.elements[target_id]
        if host.kind is Kind.EVENT_BASED_GATEWAY:
            # the first event wins: the gateway completes (closing the other events' subscriptions) and the
            # process continues at that event, without taking the sequence flow to it (as in BPMN and Zeebe)
            scope = self._live.get(host.flow_scope_key) if host.flow_scope_key is not None else None
            if scope is None or host.state is not ElementState.ACTIVATED:
                return
            transitions.schedule_activation(
                target, scope, event_variables=variables, event_locals=locals_, triggered=True
            )
            transitions.complete(host, take_flows=False)
            return
        if target.kind is Kind.BOUNDARY_EVENT:
            scope = self._live.get(host.flow_scope_key) if host.flow_scope_key is not None else None
            if scope is None or not host.state.is_active:
                return
            if target.cancel_activity and not transitions.terminate(host, check_scope=False, interrupted=True):
                # the host's canceling task listeners run first: the boundary event is activated after them
                transitions.await_terminations(scope, ["activate", target_id, variables, locals_])
                return
            transitions.schedule_activation(target, scope, event_variables=variables, event_locals=locals_)
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
            clear_joins = False
            ended = True
            if esp.interrupting:
                for child_key in sorted(scope.children or ()):
                    child = self._live[child_key]
                    if child.state.is_active:
                        ended = transitions.terminate(child, check_scope=False) and ended
                # the scope's own boundary events stay; its event sub-process starts close
                state = self._state
                for timer_key in state.timers.of(scope.key):
                    if model.elements[state.timers.timers[timer_key].target_element_id].kind is Kind.START_EVENT:
                        self._subscriptions.cancel_timer(timer_key)
                for sub_key in state.messages.subscriptions_of(scope.key):
                    target_element = state.messages.subscriptions[sub_key].target_element_id
                    if model.elements[target_element].kind is Kind.START_EVENT:
                        self._subscriptions.close_subscription(sub_key)
                for signal_key in state.signals.subscriptions_of(scope.key):
                    signal_target = state.signals.subscriptions[signal_key].target_element_id
                    if model.elements[signal_target].kind is Kind.START_EVENT:
                        self._subscriptions.close_signal_subscription(signal_key)
                clear_joins = True
            if not ended:  # canceling task listeners run first: the event sub-process starts after them
                transitions.await_terminations(scope, ["event_sub_process", esp.id, variables, locals_, clear_joins])
                return
            self._activate_event_sub_process(scope, esp.id, variables, locals_, clear_joins)
            return
        # an intermediate catch event or a receive task completes
        if host.state is ElementState.ACTIVATED:
            transitions.complete(host, trigger=EventTrigger(variables, locals_))

    def _activate_event_sub_process(
        self,
        scope: ElementInstance,
        esp_id: str,
        variables: dict[str, Any],
        locals_: dict[str, Any] | None,
        clear_joins: bool,
    ) -> None:
        """The event sub-process starts in `scope` with what its start event delivered (also a continuation, once
        the children an interrupting one terminated have ended)."""
        esp = self._definitions[scope.process_definition_key].model.elements[esp_id]
        inst = self._w.element_activating(
            self._state.keys.next(),
            esp,
            scope,
            trigger=EventTrigger(variables, locals_),
            clear_joins=clear_joins,
        )
        self._transitions.run_activation(inst, esp)
