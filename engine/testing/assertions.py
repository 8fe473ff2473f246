"""Assertions on a process instance that read like Camunda Process Test.

`InstanceAssertions` holds the assertions once; a subclass says where the instance's facts come from: the engine's
state (`ProcessInstanceAssert`, `engine.assert_that(key)`) or the `/v2` searches of any engine (the test suite's
`tests/backends/instance.py`).
"""

from typing import Any, Self

from engine.engine import ACTIVE, COMPLETED, TERMINATED, Engine
from engine.state import ElementState, IncidentState

_ANY = object()
SCOPE_TYPES = ("SUB_PROCESS", "EVENT_SUB_PROCESS")
"""Element types an instance is inside of rather than waiting at."""


class InstanceAssertions:
    """The assertions, over the facts a subclass provides (the methods that raise NotImplementedError)."""

    key: int

    # ------------------------------------------------------------------ facts
    def _state(self) -> str:
        """ACTIVE, COMPLETED or TERMINATED."""
        raise NotImplementedError

    def _process_id(self) -> str:
        raise NotImplementedError

    def _elements_in(self, state: str) -> list[tuple[str, str]]:
        """(element id, element type) of the instance's element instances in this state (ACTIVE, COMPLETED,
        TERMINATED), in the order entered, the process itself left out."""
        raise NotImplementedError

    def _variable_map(self) -> dict[str, Any]:
        """The process-level variables."""
        raise NotImplementedError

    def _active_incidents(self) -> list[tuple[str, str, str]]:
        """(element id, error type, error message) of the active incidents."""
        raise NotImplementedError

    # ------------------------------------------------------------------ descriptions
    def active_elements(self) -> list[str]:
        return [element_id for element_id, _ in self._elements_in(ACTIVE)]

    def passed_elements(self) -> list[str]:
        return [element_id for element_id, _ in self._elements_in(COMPLETED)]

    def _describe(self) -> str:
        incidents = [f"{element}: {kind} {message}" for element, kind, message in self._active_incidents()]
        return (
            f"process instance {self.key} ({self._process_id()}) is {self._state()}; waiting at "
            f"{self.active_elements()}; passed {self.passed_elements()}; active incidents {incidents}"
        )

    # ------------------------------------------------------------------ state
    def is_completed(self) -> Self:
        if self._state() != COMPLETED:
            raise AssertionError(f"expected the instance to be completed, but {self._describe()}")
        return self

    def is_active(self) -> Self:
        if self._state() != ACTIVE:
            raise AssertionError(f"expected the instance to be active, but {self._describe()}")
        return self

    def is_terminated(self) -> Self:
        if self._state() != TERMINATED:
            raise AssertionError(f"expected the instance to be terminated, but {self._describe()}")
        return self

    def is_waiting_at(self, *element_ids: str) -> Self:
        active = self.active_elements()
        missing = [e for e in element_ids if e not in active]
        if missing:
            raise AssertionError(f"expected the instance to wait at {missing}, but {self._describe()}")
        return self

    def is_waiting_exactly_at(self, *element_ids: str) -> Self:
        active = sorted(element_id for element_id, kind in self._elements_in(ACTIVE) if kind not in SCOPE_TYPES)
        if active != sorted(element_ids):
            raise AssertionError(
                f"expected the instance to wait exactly at {sorted(element_ids)}, but {self._describe()}"
            )
        return self

    def is_not_waiting_at(self, *element_ids: str) -> Self:
        active = self.active_elements()
        found = [e for e in element_ids if e in active]
        if found:
            raise AssertionError(f"expected the instance not to wait at {found}, but {self._describe()}")
        return self

    def has_passed(self, *element_ids: str, times: int | None = None) -> Self:
        passed = self.passed_elements()
        for element_id in element_ids:
            count = passed.count(element_id)
            if (times is None and count == 0) or (times is not None and count != times):
                wanted = "at least once" if times is None else f"{times} time(s)"
                raise AssertionError(
                    f"expected '{element_id}' to be passed {wanted}, but it was passed {count} "
                    f"time(s); {self._describe()}"
                )
        return self

    def has_not_passed(self, *element_ids: str) -> Self:
        passed = self.passed_elements()
        found = [e for e in element_ids if e in passed]
        if found:
            raise AssertionError(f"expected {found} not to be passed, but {self._describe()}")
        return self

    def has_terminated(self, *element_ids: str) -> Self:
        terminated = [element_id for element_id, _ in self._elements_in(TERMINATED)]
        missing = [e for e in element_ids if e not in terminated]
        if missing:
            raise AssertionError(f"expected {missing} to be terminated, but {self._describe()}")
        return self

    # ------------------------------------------------------------------ variables and incidents
    def has_variable(self, name: str, value: Any = _ANY) -> Self:
        variables = self._variable_map()
        if name not in variables:
            raise AssertionError(f"expected variable '{name}', but the instance has {sorted(variables)}")
        if value is not _ANY and variables[name] != value:
            raise AssertionError(f"expected variable '{name}' to be {value!r}, but it is {variables[name]!r}")
        return self

    def has_no_variable(self, name: str) -> Self:
        variables = self._variable_map()
        if name in variables:
            raise AssertionError(f"expected no variable '{name}', but it is {variables[name]!r}")
        return self

    def has_incident(self, error_type: str | None = None, element_id: str | None = None) -> Self:
        found = [
            incident
            for incident in self._active_incidents()
            if (error_type is None or incident[1] == error_type) and (element_id is None or incident[0] == element_id)
        ]
        if not found:
            raise AssertionError(
                f"expected an active incident {error_type or ''} at {element_id or 'any element'}, "
                f"but {self._describe()}"
            )
        return self

    def has_no_incidents(self) -> Self:
        if self._active_incidents():
            raise AssertionError(f"expected no active incident, but {self._describe()}")
        return self


_ELEMENT_STATES: dict[str, frozenset[ElementState]] = {
    ACTIVE: frozenset(s for s in ElementState if s.is_active),
    COMPLETED: frozenset({ElementState.COMPLETED}),
    TERMINATED: frozenset({ElementState.TERMINATED}),
}


class ProcessInstanceAssert(InstanceAssertions):
    """`engine.assert_that(key).is_waiting_at("X").has_passed("Y").has_variable("z", 1)`, on the engine's state."""

    def __init__(self, engine: Engine, key: int) -> None:
        if key not in engine.process_instances:
            raise AssertionError(f"no process instance with key {key}")
        self.engine = engine
        self.key = key

    def _state(self) -> str:
        return self.engine.process_instances[self.key].state

    def _process_id(self) -> str:
        return self.engine.process_instances[self.key].bpmn_process_id

    def _elements_in(self, state: str) -> list[tuple[str, str]]:
        wanted = _ELEMENT_STATES[state]
        elements = sorted(
            (
                e
                for e in self.engine.all_element_instances()
                if e.process_instance_key == self.key and e.key != self.key
            ),
            key=lambda e: e.key,
        )
        model = self.engine.definitions[self.engine.process_instances[self.key].process_definition_key].model
        # the element's kind in the model: a multi-instance body has its element's (a sub-process's body is a scope)
        return [
            (e.element_id, model.elements[e.element_id].kind.value)
            for e in elements
            if e.state in wanted and e.kind.value != "PROCESS"
        ]

    def _variable_map(self) -> dict[str, Any]:
        return self.variables()

    def _active_incidents(self) -> list[tuple[str, str, str]]:
        return [
            (i.element_id, i.error_type, i.error_message)
            for i in self.engine.incidents.values()
            if i.process_instance_key == self.key and i.state is IncidentState.ACTIVE
        ]

    def variables(self) -> dict[str, Any]:
        """The process-level variables (at the end, those it ended with)."""
        pi = self.engine.process_instances[self.key]
        if pi.final_variables is not None:
            return dict(pi.final_variables)
        return dict(self.engine.element_instances[self.key].variables)
