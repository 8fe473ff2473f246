"""A process instance as the `/v2` searches show it, with the embedded engine's assertions
(`engine/testing/assertions.py`, which read like Camunda Process Test): `(await backend.instance(pi)).is_completed()
.has_passed("X").has_variable("y", 1)`. Built from REST answers only, so it holds on Camunda as on the embedded
engine; take it after `wait_for_idle` (Camunda's searches trail the engine)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.testing.assertions import InstanceAssertions


@dataclass(frozen=True)
class InstanceState(InstanceAssertions):
    """One process instance as the process-instance search answers it, its element instances in the order entered, its
    process-level variables (decoded) and its active incidents."""

    key: int
    process: Mapping[str, Any]
    elements: list[dict[str, Any]]
    variables: dict[str, Any]
    incidents: list[dict[str, Any]]

    @property
    def state(self) -> str:
        """ACTIVE, COMPLETED or TERMINATED."""
        return str(self.process["state"])

    def _state(self) -> str:
        return self.state

    def _process_id(self) -> str:
        return str(self.process.get("processDefinitionId"))

    def _elements_in(self, state: str) -> list[tuple[str, str]]:
        return [(e["elementId"], e["type"]) for e in self.elements if e["state"] == state]

    def _variable_map(self) -> dict[str, Any]:
        return self.variables

    def _active_incidents(self) -> list[tuple[str, str, str]]:
        return [(i["elementId"], i["errorType"], i["errorMessage"]) for i in self.incidents]
