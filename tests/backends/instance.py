"""A process instance as the `/v2` searches show it, with assertions that read like the embedded engine's
(`engine/testing/assertions.py`) and Camunda Process Test: `(await backend.instance(pi)).is_completed()
.has_passed("X").has_variable("y", 1)`. Built from REST answers only, so it holds on Camunda as on the embedded
engine; take it after `wait_for_idle` (Camunda's searches trail the engine)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

_ANY = object()
SCOPES = ("SUB_PROCESS", "EVENT_SUB_PROCESS")
"""Element types an instance is inside of rather than waiting at."""


@dataclass(frozen=True)
class InstanceState:
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

    def active_elements(self) -> list[str]:
        """The element ids of the active element instances, in the order entered."""
        return [e["elementId"] for e in self.elements if e["state"] == "ACTIVE"]

    def passed_elements(self) -> list[str]:
        """The element ids of the completed element instances, in the order entered."""
        return [e["elementId"] for e in self.elements if e["state"] == "COMPLETED"]

    def _terminated(self) -> list[str]:
        return [e["elementId"] for e in self.elements if e["state"] == "TERMINATED"]

    def _describe(self) -> str:
        incidents = [f"{i['elementId']}: {i['errorType']} {i['errorMessage']}" for i in self.incidents]
        return (
            f"process instance {self.key} ({self.process.get('processDefinitionId')}) is {self.state}; waiting at "
            f"{self.active_elements()}; passed {self.passed_elements()}; active incidents {incidents}"
        )

    # --- state -----------------------------------------------------------------------------------------------------

    def is_completed(self) -> Self:
        if self.state != "COMPLETED":
            raise AssertionError(f"expected the instance to be completed, but {self._describe()}")
        return self

    def is_active(self) -> Self:
        if self.state != "ACTIVE":
            raise AssertionError(f"expected the instance to be active, but {self._describe()}")
        return self

    def is_waiting_at(self, *element_ids: str) -> Self:
        missing = [e for e in element_ids if e not in self.active_elements()]
        if missing:
            raise AssertionError(f"expected the instance to wait at {missing}, but {self._describe()}")
        return self

    def is_waiting_exactly_at(self, *element_ids: str) -> Self:
        active = sorted(e["elementId"] for e in self.elements if e["state"] == "ACTIVE" and e["type"] not in SCOPES)
        if active != sorted(element_ids):
            raise AssertionError(
                f"expected the instance to wait exactly at {sorted(element_ids)}, but {self._describe()}"
            )
        return self

    def has_passed(self, *element_ids: str, times: int | None = None) -> Self:
        passed = self.passed_elements()
        for element_id in element_ids:
            count = passed.count(element_id)
            if (times is None and count == 0) or (times is not None and count != times):
                wanted = "at least once" if times is None else f"{times} time(s)"
                raise AssertionError(
                    f"expected '{element_id}' to be passed {wanted}, but it was passed {count} time(s); "
                    f"{self._describe()}"
                )
        return self

    def has_not_passed(self, *element_ids: str) -> Self:
        found = [e for e in element_ids if e in self.passed_elements()]
        if found:
            raise AssertionError(f"expected {found} not to be passed, but {self._describe()}")
        return self

    def has_terminated(self, *element_ids: str) -> Self:
        missing = [e for e in element_ids if e not in self._terminated()]
        if missing:
            raise AssertionError(f"expected {missing} to be terminated, but {self._describe()}")
        return self

    # --- variables and incidents -------------------------------------------------------------------------------

    def has_variable(self, name: str, value: Any = _ANY) -> Self:
        if name not in self.variables:
            raise AssertionError(f"expected variable '{name}', but the instance has {sorted(self.variables)}")
        if value is not _ANY and self.variables[name] != value:
            raise AssertionError(f"expected variable '{name}' to be {value!r}, but it is {self.variables[name]!r}")
        return self

    def has_no_variable(self, name: str) -> Self:
        if name in self.variables:
            raise AssertionError(f"expected no variable '{name}', but it is {self.variables[name]!r}")
        return self

    def has_no_incidents(self) -> Self:
        if self.incidents:
            raise AssertionError(f"expected no active incident, but {self._describe()}")
        return self
