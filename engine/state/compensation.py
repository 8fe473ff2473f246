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
    """The subscriptions by key, and the indexes the token flow reads (so that compensating many activities – a
    multi-instance sub-process over a long collection – costs in proportion to them, not to their square): by process
    instance (in creation order), by the scope they ran in, by their activity's instance, by the handler instance that
    runs for them, by the throw event that triggered them."""

    __slots__ = ("by_activity", "by_handler", "by_process", "by_scope", "by_throw", "subscriptions")

    def __init__(self) -> None:
        self.subscriptions: dict[int, CompensationSubscription] = {}
        self.by_process: dict[int, list[int]] = {}
        self.by_scope: dict[int, set[int]] = {}
        self.by_activity: dict[int, int] = {}
        self.by_handler: dict[int, int] = {}
        self.by_throw: dict[int, set[int]] = {}

    def of_process(self, process_instance_key: int) -> list[CompensationSubscription]:
        return [self.subscriptions[key] for key in self.by_process.get(process_instance_key, ())]

    def add(self, sub: CompensationSubscription) -> None:
        self.subscriptions[sub.key] = sub
        self.by_process.setdefault(sub.process_instance_key, []).append(sub.key)
        self.by_scope.setdefault(sub.activity_scope_key, set()).add(sub.key)
        self.by_activity[sub.activity_instance_key] = sub.key
        self.note_triggered(sub)

    def in_scope(self, scope_key: int) -> list[CompensationSubscription]:
        """The subscriptions of the activities that ran in `scope_key`, in creation order."""
        return [self.subscriptions[key] for key in sorted(self.by_scope.get(scope_key, ()))]

    def note_triggered(self, sub: CompensationSubscription) -> None:
        """Indexes a triggered subscription by its handler instance and its throw event."""
        if sub.handler_instance_key is not None:
            self.by_handler[sub.handler_instance_key] = sub.key
        if sub.throw_event_instance_key is not None:
            self.by_throw.setdefault(sub.throw_event_instance_key, set()).add(sub.key)

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
        if self.by_activity.get(sub.activity_instance_key) == sub.key:
            del self.by_activity[sub.activity_instance_key]
        if sub.handler_instance_key is not None and self.by_handler.get(sub.handler_instance_key) == sub.key:
            del self.by_handler[sub.handler_instance_key]
        thrown = self.by_throw.get(sub.throw_event_instance_key) if sub.throw_event_instance_key is not None else None
        if thrown is not None:
            thrown.discard(sub.key)
            if not thrown:
                del self.by_throw[sub.throw_event_instance_key]  # type: ignore[arg-type]
