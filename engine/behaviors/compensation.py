"""Compensation as Zeebe 8.8 runs it (its BpmnCompensationSubscriptionBehaviour).

- An activity with a compensation boundary event gets a subscription when it completes (a multi-instance activity:
  its body, once – the handler runs once); so does a sub-process or multi-instance body that completes with
  subscriptions inside it (no handler of its own unless it has a compensation boundary event too).
- A compensation throw or end event triggers the subscriptions not yet triggered whose activity ran in the event's
  scope (inside an event sub-process: also in the scope the event sub-process runs in), or only those of its
  `activityRef`; each triggered subscription of a sub-process triggers those inside it, top to bottom. For each one
  with a handler, the compensation boundary event is activated and completed at once and the handler is activated in
  the throw event's scope (so it sees that scope's variables). The throw event waits (ACTIVATED) until every
  subscription it triggered completed; it completes at once when it triggered none.
- A handler's completion completes its subscription, then each sub-process subscription whose inside is done, bottom
  to top; the last one lets the throw event complete.
- Subscriptions stay until their process instance ends (completed or terminated): then they are deleted.
"""

import functools
from collections.abc import Callable
from typing import Any

from engine.events.appliers import Appliers
from engine.model import EventType, FlowNode, Kind
from engine.processing.steps import Steps
from engine.state.compensation import CompensationSubscription
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance, ElementState

_FLOW_SCOPES = (Kind.SUB_PROCESS, Kind.MULTI_INSTANCE_BODY)


class CompensationBehavior:
    def __init__(self, state: EngineState, writer: Appliers, steps: Steps) -> None:
        self._state = state
        self._w = writer
        self._steps = steps
        self._store = state.compensations
        self._live = state.instances.live
        self._definitions = state.deployments.definitions
        # the token flow (engine/behaviors/transitions.py) sets these: activating an element (with a key given) and
        # completing one
        self.schedule_activation: Callable[..., Any] | None = None
        self.complete: Callable[[ElementInstance], Any] | None = None
        steps.register(self.complete_throw_event)

    # ------------------------------------------------------------------ completion of an activity
    def wanted(self, inst: ElementInstance, node: FlowNode) -> bool:
        """Whether the completing element gets a subscription (called only when one could: see `completing`)."""
        return self._handler_of(inst, node) is not None or (
            inst.kind in _FLOW_SCOPES and inst.key in self._store.by_scope
        )

    @staticmethod
    def _handler_of(inst: ElementInstance, node: FlowNode) -> str | None:
        # the boundary events of a multi-instance activity belong to its body: its inner instances have none
        if node.compensation_handler is None or (node.loop is not None and inst.kind is not Kind.MULTI_INSTANCE_BODY):
            return None
        return node.compensation_handler

    def completing(self, inst: ElementInstance, node: FlowNode) -> None:
        """Before the element's ELEMENT_COMPLETED: its subscription, if it can be compensated."""
        if not self.wanted(inst, node):
            return
        scope_key = inst.flow_scope_key
        assert scope_key is not None
        sub = CompensationSubscription(
            self._state.keys.next(),
            inst.process_instance_key,
            inst.process_definition_key,
            inst.element_id,
            inst.key,
            scope_key,
            self._handler_of(inst, node),
        )
        self._w.compensation_subscription_created(sub)

    # ------------------------------------------------------------------ a throw event
    def trigger(self, throw: ElementInstance, node: FlowNode) -> bool:
        """Triggers the compensation of a compensation throw or end event; False when there was nothing to
        compensate (the event then completes at once)."""
        assert node.event is not None and throw.flow_scope_key is not None
        scope_keys = {throw.flow_scope_key}
        scope = self._live[throw.flow_scope_key]
        if scope.kind is Kind.EVENT_SUB_PROCESS and scope.flow_scope_key is not None:
            scope_keys.add(scope.flow_scope_key)  # from an event sub-process: its parent's activities too
        ref = node.event.activity_ref
        store = self._store
        chosen = sorted(
            (s for key in scope_keys for s in store.in_scope(key) if ref is None or s.activity_id == ref),
            key=lambda s: s.key,
        )
        triggered = [self._trigger_one(throw, sub) for sub in chosen]
        return any(triggered)

    def _trigger_one(self, throw: ElementInstance, sub: CompensationSubscription) -> bool:
        """Triggers `sub` (its handler activated) and the subscriptions inside it; False when it was not triggered:
        triggered already, or its handler is not in the throw event's process version (an instance migrated to a
        version without it)."""
        if sub.triggered:
            return False
        handler_key = None
        if sub.handler_id is not None:
            nodes = self._handler_nodes(throw, sub)
            if nodes is None:
                return False
            handler_key = self._activate_handler(throw, *nodes)
        self._w.compensation_subscription_triggered(sub, throw, handler_key)
        for inner in self._store.in_scope(sub.activity_instance_key):
            self._trigger_one(throw, inner)
        return True

    def _handler_nodes(self, throw: ElementInstance, sub: CompensationSubscription) -> tuple[FlowNode, FlowNode] | None:
        """The compensation boundary event of the subscription's activity and its handler, in the throw event's
        process version."""
        elements = self._definitions[throw.process_definition_key].model.elements
        activity = elements.get(sub.activity_id)
        handler = elements.get(sub.handler_id or "")
        if activity is None or handler is None:
            return None
        for boundary_id in activity.boundary_events:
            boundary = elements[boundary_id]
            if boundary.event is not None and boundary.event.type is EventType.COMPENSATION:
                return boundary, handler
        return None

    def _activate_handler(self, throw: ElementInstance, boundary: FlowNode, handler: FlowNode) -> int:
        """The compensation boundary event, activated and completed at once, then the handler's activation queued
        in the throw event's scope with the key it will have."""
        scope = self._live[throw.flow_scope_key]  # type: ignore[index]
        writer = self._w
        keys = self._state.keys
        boundary_inst = writer.element_activating(keys.next(), boundary, scope)
        writer.element_activated(boundary_inst)
        writer.element_completing(boundary_inst)
        writer.element_completed(boundary_inst)
        handler_key = keys.next()
        assert self.schedule_activation is not None
        self.schedule_activation(handler, scope, key=handler_key)
        return handler_key

    # ------------------------------------------------------------------ a handler completed
    def handler_completed(self, inst: ElementInstance) -> None:
        """After a handler's ELEMENT_COMPLETED: its subscription completes, then the sub-process subscriptions whose
        inside is done; when none of the throw event's is left, the throw event completes (a step of its own)."""
        store = self._store
        sub_key = store.by_handler.get(inst.key)
        if sub_key is None:
            return
        sub = store.subscriptions[sub_key]
        self._w.compensation_subscription_completed(sub)
        self._complete_scopes(sub.activity_scope_key)
        throw_key = sub.throw_event_instance_key
        if throw_key in store.by_throw:
            return
        throw = self._live.get(throw_key) if throw_key is not None else None
        if throw is not None:
            self._steps.queue.append(functools.partial(self.complete_throw_event, throw))

    def _complete_scopes(self, scope_key: int) -> None:
        store = self._store
        while scope_key not in store.by_scope:
            outer_key = store.by_activity.get(scope_key)
            if outer_key is None:
                return
            outer = store.subscriptions[outer_key]
            self._w.compensation_subscription_completed(outer)
            scope_key = outer.activity_scope_key

    def complete_throw_event(self, throw: ElementInstance) -> None:
        """The throw event's handlers are done: it completes (unless it was terminated meanwhile)."""
        if throw.state is ElementState.ACTIVATED and self.complete is not None:
            self.complete(throw)

    # ------------------------------------------------------------------ the process instance ended
    def process_ending(self, root: ElementInstance) -> None:
        for sub in self._store.of_process(root.key):
            self._w.compensation_subscription_deleted(sub)
