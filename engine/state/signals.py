"""Signal subscriptions: of waiting elements, and of the signal start events of latest process versions."""

from engine.state.values import SignalSubscription


class Signals:
    __slots__ = ("by_element", "subscriptions")

    def __init__(self) -> None:
        self.subscriptions: dict[int, SignalSubscription] = {}
        self.by_element: dict[int, set[int]] = {}

    def subscriptions_of(self, element_key: int) -> list[int]:
        return sorted(self.by_element.get(element_key) or ())
