"""Buffered messages and the message subscriptions of waiting elements."""

from engine.state.values import Message, MessageSubscription


class Messages:
    __slots__ = ("by_element", "messages", "subscriptions")

    def __init__(self) -> None:
        self.messages: dict[int, Message] = {}
        self.subscriptions: dict[int, MessageSubscription] = {}
        self.by_element: dict[int, set[int]] = {}  # element instance → its subscriptions

    def subscriptions_of(self, element_key: int) -> list[int]:
        return sorted(self.by_element.get(element_key) or ())
