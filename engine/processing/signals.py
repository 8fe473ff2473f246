"""Signals: a broadcast triggers every subscription open now with the signal's name (signals are not buffered)."""

import copy
import functools
from typing import Any

from engine.behaviors import BpmnBehaviors


class SignalProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._w = behaviors.writer
        behaviors.steps.register(self.broadcast)
        behaviors.broadcast = self.queue_broadcast

    def queue_broadcast(self, name: str, variables: dict[str, Any]) -> None:
        """A throw or end event's broadcast, as a step after its activation (Zeebe writes a BROADCAST command)."""
        self.b.steps.queue.append(functools.partial(self.broadcast, name, variables))

    def broadcast(self, name: str, variables: dict[str, Any]) -> int:
        state = self._state
        key = state.keys.next()
        subscriptions = sorted(
            (s for s in state.signals.subscriptions.values() if s.signal_name == name), key=lambda s: s.key
        )
        self._w.signal_broadcasted(key)
        for sub in subscriptions:
            if sub.key not in state.signals.subscriptions:
                continue
            if sub.element_instance_key is None:  # a signal start event: a new instance of that process
                definition = state.deployments.definitions[sub.process_definition_key]
                self.b.start_instance(
                    definition, {}, [sub.target_element_id], start_event_variables=copy.deepcopy(variables)
                )
                continue
            host = state.instances.live[sub.element_instance_key]
            if sub.interrupting:
                self.b.subscriptions.close_signal_subscription(sub.key)
            self._w.signal_subscription_triggered(sub.key, host)
            self.b.events.queue(host, sub.target_element_id, copy.deepcopy(variables))
        return key
