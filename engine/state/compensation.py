"""Compensation subscriptions (Zeebe's COMPENSATION_SUBSCRIPTION): one per completed activity that can be compensated
– an activity with a compensation boundary event, or a sub-process / multi-instance body that completed with such
subscriptions inside it – kept until a compensation throw event triggers it (its handler runs) and the handler
completes, or until its process instance ends."""

from dataclasses import dataclass


@dataclass
class CompensationSubscription:
    key: int
    process_instance_key: int
    process_definition_key: int
    activity_id: str  # the compensable activity (compensableActivityId)
    activity_instance_key: int  # its element instance (compensableActivityInstanceKey)
    activity_scope_key: int  # the element instance it ran in (compensableActivityScopeKey)
    handler_id: str | None  # the handler activity; None for a sub-process that only holds subscriptions
    throw_event_id: str | None = None  # set once triggered
    throw_event_instance_key: int | None = None
    handler_instance_key: int | None = None  # the handler's element instance, once triggered (None: no handler)

    @property
    def triggered(self) -> bool:
        return self.throw_event_id is not None


class Compensations:
    """The subscriptions by key, and the indexes the token flow reads: by process instance (in creation order), by
    the scope they ran in, by the handler instance that runs for them."""

    __slots__ = ("by_handler", "by_process", "by_scope", "subscriptions")

    def __init__(self) -> None:
        self.subscriptions: dict[int, CompensationSubscription] = {}
        self.by_process: dict[int, list[int]] = {}
        self.by_scope: dict[int, set[int]] = {}
        self.by_handler: dict[int, int] = {}

    def of_process(self, process_instance_key: int) -> list[CompensationSubscription]:
        return [self.subscriptions[key] for key in self.by_process.get(process_instance_key, ())]

    def add(self, sub: CompensationSubscription) -> None:
        self.subscriptions[sub.key] = sub
        self.by_process.setdefault(sub.process_instance_key, []).append(sub.key)
        self.by_scope.setdefault(sub.activity_scope_key, set()).add(sub.key)
        if sub.handler_instance_key is not None:
            self.by_handler[sub.handler_instance_key] = sub.key

    def remove(self, sub: CompensationSubscription) -> None:
        self.subscriptions.pop(sub.key, None)
        keys = self.by_process.get(sub.process_instance_key)
        if keys is not None:
            if sub.key in keys:
                keys.remove(sub.key)
            if not keys:
                del self.by_process[sub.process_instance_key]
        scoped = self.by_scope.get(sub.activity_scope_key)
        if scoped is not None:
            scoped.discard(sub.key)
            if not scoped:
                del self.by_scope[sub.activity_scope_key]
        if sub.handler_instance_key is not None and self.by_handler.get(sub.handler_instance_key) == sub.key:
            del self.by_handler[sub.handler_instance_key]
