"""Incidents, active and resolved."""

from engine.state.values import Incident


class Incidents:
    __slots__ = ("incidents",)

    def __init__(self) -> None:
        self.incidents: dict[int, Incident] = {}
