"""Messages: subscriptions, publishing, correlation and message start events."""

from collections.abc import Mapping
from typing import Any

from engine._base import EngineBase, _added
from engine.clock import after
from engine.errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.model import FlowNode
from engine.state import (
    ElementInstance,
    Message,
    MessageStartSubscription,
    MessageSubscription,
)


class MessagesMixin(EngineBase):
    # ================================================================== messages
    def _subscription_target(self, node: FlowNode, context: dict[str, Any]) -> tuple[str, str]:
        assert node.event is not None and node.event.message is not None
        name = self.expressions.string(node.event.message.name, context, self.now())
        key_text = node.event.message.correlation_key or ""
        key = self.expressions.string(key_text, context, self.now(), allow_number=True) if key_text else ""
        return name, key

    def _open_subscription(
        self, host: ElementInstance, target_id: str, name: str, correlation_key: str, *, interrupting: bool
    ) -> None:
        key = self.keys.next()
        sub = MessageSubscription(
            key,
            name,
            correlation_key,
            host.process_instance_key,
            host.key,
            target_id,
            interrupting,
            self.now(),
        )
        self.subscriptions[key] = sub
        host.subscription_keys = _added(host.subscription_keys, key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CREATED", key, element=host)
        # a buffered message may already be waiting for it
        self._steps.append(lambda: self._correlate_buffered(sub))

    def _correlate_buffered(self, sub: MessageSubscription) -> None:
        if sub.key not in self.subscriptions:
            return
        now = self.now()
        bpmn_process_id = self.process_instances[sub.process_instance_key].bpmn_process_id
        for message in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                message.name == sub.message_name
                and message.correlation_key == sub.correlation_key
                and message.expires_at > now
                and bpmn_process_id not in message.correlated_process_ids  # once per process, as in Zeebe
            ):
                self._correlate(message, sub)
                return

    def _close_subscription(self, key: int) -> None:
        sub = self.subscriptions.pop(key, None)
        if sub is None:
            return
        host = self.element_instances.get(sub.element_instance_key)
        if host is not None and host.subscription_keys:
            host.subscription_keys.discard(key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "DELETED", key, pi=sub.process_instance_key)

    def _correlate(self, message: Message, sub: MessageSubscription) -> None:
        host = self.element_instances[sub.element_instance_key]
        message.correlated_process_instances.add(sub.process_instance_key)
        message.correlated_process_ids.add(host.bpmn_process_id)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CORRELATED", sub.key, element=host)
        if sub.interrupting:
            self._close_subscription(sub.key)
        variables = dict(message.variables)
        self._steps.append(lambda: self._trigger_event(host, sub.target_element_id, variables))

    def publish_message(
        self, name: str, correlation_key: str, ttl_ms: int, message_id: str, variables: Mapping[str, Any]
    ) -> int:
        def action() -> int:
            if not name.strip():
                raise InvalidArgumentError("Expected a message name, but it is blank")
            now = self.now()
            if message_id:
                for m in self.messages.values():
                    if (
                        m.message_id == message_id
                        and m.name == name
                        and m.correlation_key == correlation_key
                        and m.expires_at > now
                    ):
                        raise AlreadyExistsError(
                            f"Expected to publish a new message with id '{message_id}', but a message with that "
                            "id was already published"
                        )
            key = self.keys.next()
            message = Message(
                key,
                name,
                correlation_key,
                dict(variables),
                message_id,
                now,
                after(now, max(ttl_ms, 0)),
            )
            self._record("MESSAGE", "PUBLISHED", key)
            for sub in self._waiting_subscriptions(name, correlation_key):
                self._correlate(message, sub)
            self._start_by_message(message)
            if ttl_ms > 0:
                self.messages[key] = message
                self._schedule_due(message.expires_at, "message-expiry", key)
            else:
                self._record("MESSAGE", "EXPIRED", key)
            return key

        return self._command(action)  # type: ignore[no-any-return]

    def _waiting_subscriptions(self, name: str, correlation_key: str) -> list[MessageSubscription]:
        """The subscriptions a message correlates to: Zeebe correlates a message only once per process (BPMN process
        id, across versions), so of all the instances of one process waiting for it the oldest subscription."""
        by_process: dict[str, MessageSubscription] = {}
        for sub in sorted(self.subscriptions.values(), key=lambda s: s.key):
            if sub.message_name == name and sub.correlation_key == correlation_key:
                pid = self.process_instances[sub.process_instance_key].bpmn_process_id
                by_process.setdefault(pid, sub)
        return list(by_process.values())

    def correlate_message(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> tuple[int, int]:
        """Zeebe's CorrelateMessage: like a publication without time to live, but refused (NOT_FOUND) when no
        subscription and no message start event takes it; answers the message key and the first process instance
        it correlated with."""

        def action() -> tuple[int, int]:
            if not name.strip():
                raise InvalidArgumentError("Expected a message name, but it is blank")
            subscriptions = self._waiting_subscriptions(name, correlation_key)
            if not subscriptions and not self._message_start_targets(name, correlation_key, set()):
                raise NotFoundError(
                    f"Expected to find subscription for message with name '{name}' and correlation key "
                    f"'{correlation_key}', but none was found."
                )
            now = self.now()
            key = self.keys.next()
            message = Message(key, name, correlation_key, dict(variables), "", now, now)
            self._record("MESSAGE_CORRELATION", "CORRELATED", key)
            for sub in subscriptions:
                self._correlate(message, sub)
            started = self._start_by_message(message)
            first = subscriptions[0].process_instance_key if subscriptions else started[0]
            return key, first

        return self._command(action)  # type: ignore[no-any-return]

    def _start_buffered(self, bpmn_process_id: str, correlation_key: str) -> None:
        """The oldest live buffered message with this key that a message start event of the process takes."""
        now = self.now()
        names = {s.message_name for s in self.message_starts if s.bpmn_process_id == bpmn_process_id}
        for message in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                message.correlation_key == correlation_key
                and message.name in names
                and message.expires_at > now
                and bpmn_process_id not in message.correlated_process_ids
            ):
                self._start_by_message(message, only=bpmn_process_id)
                return

    def _message_start_targets(
        self, name: str, correlation_key: str, taken: set[str], only: str | None = None
    ) -> list[MessageStartSubscription]:
        """The message start events a message named `name` starts an instance at: one per process not in `taken`
        (and `only` that one), none where an instance started by a message with this correlation key still runs."""
        out: list[MessageStartSubscription] = []
        for start in list(self.message_starts):
            if start.message_name != name or start.bpmn_process_id in taken:
                continue
            if only is not None and start.bpmn_process_id != only:
                continue
            if correlation_key and any(
                self.process_instances[pi_key].bpmn_process_id == start.bpmn_process_id and key == correlation_key
                for pi_key, key in self._message_start_keys.items()
            ):
                continue
            out.append(start)
        return out

    def _start_by_message(self, message: Message, only: str | None = None) -> list[int]:
        started: list[int] = []
        for start in self._message_start_targets(
            message.name, message.correlation_key, set(message.correlated_process_ids), only
        ):
            if start.bpmn_process_id in message.correlated_process_ids:
                continue
            definition = self.definitions[start.process_definition_key]
            message.correlated_process_ids.add(start.bpmn_process_id)
            pi = self._start_instance(
                definition, {}, [start.start_event_id], start_event_variables=dict(message.variables)
            )
            message.correlated_process_instances.add(pi.key)
            started.append(pi.key)
            if message.correlation_key:
                # one active instance per correlation key and process, as in Zeebe
                self._message_start_keys[pi.key] = message.correlation_key
        return started
