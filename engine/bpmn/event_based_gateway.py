"""Event-based gateways: wait for the first of the events after them; a timer, message or signal subscription
for each (the first event wins, engine/behaviors/events.py)."""

import functools
from collections.abc import Callable

from engine.bpmn.element import ElementProcessor
from engine.model import EventType, FlowNode
from engine.state.values import ElementInstance


class EventBasedGatewayProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        model = self._transitions.model_of(inst)
        context = self._variables.visible(inst)
        subscriptions = self._subscriptions
        opens: list[Callable[[], None]] = []
        for flow_id in node.outgoing:
            target = model.elements[model.flows[flow_id].target]
            assert target.event is not None
            if target.event.type is EventType.TIMER:
                due, repetitions, cycle = subscriptions.timer_schedule(target, context)
                opens.append(
                    functools.partial(
                        subscriptions.add_timer, target.id, inst, inst.process_definition_key, due, repetitions, cycle
                    )
                )
            elif target.event.type is EventType.MESSAGE:
                name, key = subscriptions.subscription_target(target, context)
                opens.append(
                    functools.partial(subscriptions.open_subscription, inst, target.id, name, key, interrupting=True)
                )
            else:
                signal = subscriptions.signal_name(target, context)
                opens.append(
                    functools.partial(
                        subscriptions.open_signal_subscription, inst, target.id, signal, interrupting=True
                    )
                )
        self._transitions.activated(inst)
        for open_ in opens:
            open_()
