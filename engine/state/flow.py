"""What the token flow keeps besides element instances: join tokens of scopes, multi-instance bodies, and the
variables an event delivered to an element until it completes."""

from engine.state.values import EventTrigger, MultiInstanceBody


class Flow:
    __slots__ = ("ad_hoc_fulfilled", "bodies", "joins", "triggers")

    def __init__(self) -> None:
        # scope → joining gateway → incoming flow → tokens that arrived and were not taken yet
        self.joins: dict[int, dict[str, dict[str, int]]] = {}
        self.bodies: dict[int, MultiInstanceBody] = {}
        self.triggers: dict[int, EventTrigger] = {}
        # ad-hoc sub-processes whose completion condition a job worker declared fulfilled (they complete once their
        # activities are done, and get no new job)
        self.ad_hoc_fulfilled: set[int] = set()

    def join_tokens(self, scope_key: int) -> dict[str, dict[str, int]]:
        return self.joins.get(scope_key) or {}
