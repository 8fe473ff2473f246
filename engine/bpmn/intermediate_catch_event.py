"""Intermediate catch events: timer, message, signal and link; after an event-based gateway, one whose event
already occurred."""

import copy

from engine.bpmn.element import ElementProcessor
from engine.model import EventType, FlowNode
from engine.state.values import ElementInstance


class IntermediateCatchEventProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        transitions = self._transitions
        subscriptions = self._subscriptions
        trigger = self._state.flow.triggers.get(inst.key)
        if (trigger is not None and trigger.occurred) or node.event.type is EventType.LINK:
            # its event already occurred (it follows an event-based gateway), or a link throw event led here
            transitions.activated(inst)
            transitions.complete(inst)
        elif node.event.type is EventType.TIMER:
            due, repetitions, cycle = subscriptions.timer_schedule(node, self._variables.visible(inst))
            transitions.activated(inst)
            subscriptions.add_timer(node.id, inst, inst.process_definition_key, due, repetitions, cycle)
        elif node.event.type is EventType.SIGNAL:
            name = subscriptions.signal_name(node, self._variables.visible(inst))
            transitions.activated(inst)
            subscriptions.open_signal_subscription(inst, node.id, name, interrupting=True)
        else:
            context = self._variables.visible(inst)
            name, key = subscriptions.subscription_target(node, context)
            subscriptions.open_boundary_events(inst, node, context)
            transitions.activated(inst)
            subscriptions.open_subscription(inst, node.id, name, key, interrupting=True)


def throw_signal(processor: ElementProcessor, inst: ElementInstance, node: FlowNode) -> None:
    """Broadcasts the signal of a throw or end event with its local variables (its input mappings), as a follow-up
    of its activation, as Zeebe writes a BROADCAST command."""
    name = processor._subscriptions.signal_name(node, processor._variables.visible(inst))
    variables = copy.deepcopy(inst.variables)
    broadcast = processor.b.broadcast
    assert broadcast is not None
    broadcast(name, variables)
    processor._transitions.activated(inst)
