"""Timers: by key and by the element instance that hosts them."""

from engine.state.values import Timer


class Timers:
    __slots__ = ("by_element", "timers")

    def __init__(self) -> None:
        self.timers: dict[int, Timer] = {}
        self.by_element: dict[int, set[int]] = {}

    def of(self, element_key: int) -> list[int]:
        return sorted(self.by_element.get(element_key) or ())
