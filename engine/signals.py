"""Signals: subscriptions and broadcasts."""

import copy
import functools
from collections.abc import Mapping
from typing import Any

from engine._base import EngineBase, _added
from engine.model import FlowNode
from engine.state import (
    ElementInstance,
    ProcessDefinition,
    SignalSubscription,
)


class SignalsMixin(EngineBase):
    # ================================================================== signals
    def _signal_name(self, node: FlowNode, context: dict[str, Any]) -> str:
        assert node.event is not None and node.event.signal_name is not None
        return self.expressions.string(node.event.signal_name, context, self.now())

    def _open_signal_subscription(
        self,
        host: ElementInstance | None,
        target_id: str,
        name: str,
        *,
        interrupting: bool,
        definition: ProcessDefinition | None = None,
    ) -> None:
        """A subscription of a waiting element (host), or of a signal start event of a process (no host)."""
        key = self.keys.next()
        definition_key = host.process_definition_key if host is not None else definition.key if definition else 0
        sub = SignalSubscription(
            key=key,
            signal_name=name,
            process_definition_key=definition_key,
            bpmn_process_id=self.definitions[definition_key].bpmn_process_id,
            process_instance_key=host.process_instance_key if host is not None else None,
            element_instance_key=host.key if host is not None else None,
            target_element_id=target_id,
            interrupting=interrupting,
        )
        self.signal_subscriptions[key] = sub
        if host is not None:
            host.signal_subscription_keys = _added(host.signal_subscription_keys, key)
        self._record("SIGNAL_SUBSCRIPTION", "CREATED", key, pi=sub.process_instance_key)

    def _close_signal_subscription(self, key: int) -> None:
        sub = self.signal_subscriptions.pop(key, None)
        if sub is None:
            return
        if sub.element_instance_key is not None:
            host = self.element_instances.get(sub.element_instance_key)
            if host is not None and host.signal_subscription_keys:
                host.signal_subscription_keys.discard(key)
        self._record("SIGNAL_SUBSCRIPTION", "DELETED", key, pi=sub.process_instance_key)

    def broadcast_signal(self, name: str, variables: Mapping[str, Any]) -> int:
        """BroadcastSignal: triggers every subscription open now with this name (signals are not buffered)."""
        return self._command(lambda: self._broadcast(name, dict(variables)))  # type: ignore[no-any-return]

    def _broadcast_step(self, name: str, variables: dict[str, Any]) -> None:
        self._broadcast(name, variables)

    def _broadcast(self, name: str, variables: dict[str, Any]) -> int:
        key = self.keys.next()
        subscriptions = sorted(
            (s for s in self.signal_subscriptions.values() if s.signal_name == name), key=lambda s: s.key
        )
        self._record("SIGNAL", "BROADCASTED", key)
        for sub in subscriptions:
            if sub.key not in self.signal_subscriptions:
                continue
            if sub.element_instance_key is None:  # a signal start event: a new instance of that process
                definition = self.definitions[sub.process_definition_key]
                self._start_instance(
                    definition, {}, [sub.target_element_id], start_event_variables=copy.deepcopy(variables)
                )
                continue
            host = self.element_instances[sub.element_instance_key]
            if sub.interrupting:
                self._close_signal_subscription(sub.key)
            self._record("SIGNAL_SUBSCRIPTION", "TRIGGERED", sub.key, element=host)
            self._steps.append(
                functools.partial(self._trigger_event, host, sub.target_element_id, copy.deepcopy(variables))
            )
        return key
