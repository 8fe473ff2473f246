"""Messages: publishing (TTL buffering, messageId de-duplication), correlation to subscriptions, message start
events (one instance per correlation key and process at a time)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.clock import after
from engine.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from engine.state.values import Message, MessageStartSubscription, MessageSubscription


class MessageProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._w = behaviors.writer
        self._messages = behaviors.state.messages
        self._instances = behaviors.state.instances
        behaviors.subscriptions.correlate_buffered = self.correlate_buffered
        behaviors.steps.register(self.start_buffered)

    def _now(self) -> datetime:
        now = self._state.instant
        assert now is not None
        return now

    def publish(
        self, name: str, correlation_key: str, ttl_ms: int, message_id: str, variables: Mapping[str, Any]
    ) -> int:
        if not name.strip():
            raise InvalidArgumentError("Expected a message name, but it is blank")
        if ttl_ms < 0:
            raise InvalidArgumentError(
                f"Expected the time to live of the message to be at least 0 ms, but was {ttl_ms}"
            )
        now = self._now()
        if message_id:
            for m in self._messages.messages.values():
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
        key = self._state.keys.next()
        message = Message(key, name, correlation_key, dict(variables), message_id, now, after(now, ttl_ms))
        self._w.message_published(message, ttl_ms > 0)
        for sub in self._waiting_subscriptions(name, correlation_key):
            self._correlate(message, sub)
        self._start_by_message(message)
        if ttl_ms <= 0:
            self._w.message_expired(message)
        return key

    def _waiting_subscriptions(self, name: str, correlation_key: str) -> list[MessageSubscription]:
        """The subscriptions a message correlates to: Zeebe correlates a message only once per process (BPMN process
        id, across versions), so of all the instances of one process waiting for it the oldest subscription."""
        by_process: dict[str, MessageSubscription] = {}
        for sub in sorted(self._messages.subscriptions.values(), key=lambda s: s.key):
            if sub.message_name == name and sub.correlation_key == correlation_key:
                pid = self._instances.process_instances[sub.process_instance_key].bpmn_process_id
                by_process.setdefault(pid, sub)
        return list(by_process.values())

    def correlate(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> tuple[int, int]:
        """Zeebe's CorrelateMessage: like a publication without time to live, but refused (NOT_FOUND) when no
        subscription and no message start event takes it; answers the message key and the first process instance
        it correlated with."""
        if not name.strip():
            raise InvalidArgumentError("Expected a message name, but it is blank")
        subscriptions = self._waiting_subscriptions(name, correlation_key)
        if not subscriptions and not self._message_start_targets(name, correlation_key, set()):
            raise NotFoundError(
                f"Expected to find subscription for message with name '{name}' and correlation key "
                f"'{correlation_key}', but none was found."
            )
        now = self._now()
        message = Message(self._state.keys.next(), name, correlation_key, dict(variables), "", now, now)
        self._w.message_correlated(message)
        for sub in subscriptions:
            self._correlate(message, sub)
        started = self._start_by_message(message)
        self._w.message_correlation_ended(message)
        first = subscriptions[0].process_instance_key if subscriptions else started[0]
        return message.key, first

    def _correlate(self, message: Message, sub: MessageSubscription) -> None:
        host = self._instances.live[sub.element_instance_key]
        self._w.subscription_correlated(sub, message, host)
        if sub.interrupting:
            self.b.subscriptions.close_subscription(sub.key)
        self.b.events.queue(host, sub.target_element_id, dict(message.variables))

    def correlate_buffered(self, sub: MessageSubscription) -> None:
        """A new subscription takes the oldest live buffered message waiting for it."""
        if sub.key not in self._messages.subscriptions:
            return
        now = self._now()
        bpmn_process_id = self._instances.process_instances[sub.process_instance_key].bpmn_process_id
        for message in sorted(self._messages.messages.values(), key=lambda m: m.key):
            if (
                message.name == sub.message_name
                and message.correlation_key == sub.correlation_key
                and message.expires_at > now
                and bpmn_process_id not in message.correlated_process_ids  # once per process, as in Zeebe
            ):
                self._correlate(message, sub)
                return

    def start_buffered(self, bpmn_process_id: str, correlation_key: str) -> None:
        """The oldest live buffered message with this key that a message start event of the process takes."""
        now = self._now()
        names = {s.message_name for s in self._state.deployments.message_starts if s.bpmn_process_id == bpmn_process_id}
        for message in sorted(self._messages.messages.values(), key=lambda m: m.key):
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
        instances = self._instances
        out: list[MessageStartSubscription] = []
        for start in list(self._state.deployments.message_starts):
            if start.message_name != name or start.bpmn_process_id in taken:
                continue
            if only is not None and start.bpmn_process_id != only:
                continue
            if correlation_key and any(
                instances.process_instances[pi_key].bpmn_process_id == start.bpmn_process_id and key == correlation_key
                for pi_key, key in instances.message_start_keys.items()
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
            definition = self._state.deployments.definitions[start.process_definition_key]
            pi = self.b.start_instance(
                definition,
                {},
                [start.start_event_id],
                start_event_variables=dict(message.variables),
                start_message=(message.key, message.correlation_key),
            )
            started.append(pi.key)
        return started
