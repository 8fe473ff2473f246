"""Assertions on a process instance that read like Camunda Process Test."""

from typing import Any

from engine.engine import ACTIVE, COMPLETED, TERMINATED, Engine
from engine.state import ElementState, IncidentState

_ANY = object()


class ProcessInstanceAssert:
    """`engine.assert_that(key).is_waiting_at("X").has_passed("Y").has_variable("z", 1)`."""

    def __init__(self, engine: Engine, key: int) -> None:
        if key not in engine.process_instances:
            raise AssertionError(f"no process instance with key {key}")
        self.engine = engine
        self.key = key

    # ------------------------------------------------------------------ descriptions
    def _elements(self) -> list[Any]:
        return sorted(
            (
                e
                for e in self.engine.all_element_instances()
                if e.process_instance_key == self.key and e.key != self.key
            ),
            key=lambda e: e.key,
        )

    def active_elements(self) -> list[str]:
        return [e.element_id for e in self._elements() if e.state.is_active and e.kind.value != "PROCESS"]

    def passed_elements(self) -> list[str]:
        return [e.element_id for e in self._elements() if e.state is ElementState.COMPLETED]

    def _describe(self) -> str:
        pi = self.engine.process_instances[self.key]
        incidents = [
            f"{i.element_id}: {i.error_type} {i.error_message}"
            for i in self.engine.incidents.values()
            if i.process_instance_key == self.key and i.state is IncidentState.ACTIVE
        ]
        return (
            f"process instance {self.key} ({pi.bpmn_process_id}) is {pi.state}; waiting at "
            f"{self.active_elements()}; passed {self.passed_elements()}; active incidents {incidents}"
        )

    # ------------------------------------------------------------------ state
    def is_completed(self) -> "ProcessInstanceAssert":
        if self.engine.process_instances[self.key].state != COMPLETED:
            raise AssertionError(f"expected the instance to be completed, but {self._describe()}")
        return self

    def is_active(self) -> "ProcessInstanceAssert":
        if self.engine.process_instances[self.key].state != ACTIVE:
            raise AssertionError(f"expected the instance to be active, but {self._describe()}")
        return self

    def is_terminated(self) -> "ProcessInstanceAssert":
        if self.engine.process_instances[self.key].state != TERMINATED:
            raise AssertionError(f"expected the instance to be terminated, but {self._describe()}")
        return self

    def is_waiting_at(self, *element_ids: str) -> "ProcessInstanceAssert":
        active = self.active_elements()
        missing = [e for e in element_ids if e not in active]
        if missing:
            raise AssertionError(f"expected the instance to wait at {missing}, but {self._describe()}")
        return self

    def is_waiting_exactly_at(self, *element_ids: str) -> "ProcessInstanceAssert":
        active = sorted(
            e
            for e in self.active_elements()
            if self.engine.definitions[self.engine.process_instances[self.key].process_definition_key]
            .model.elements[e]
            .kind.value
            not in ("SUB_PROCESS", "EVENT_SUB_PROCESS")
        )
        if active != sorted(element_ids):
            raise AssertionError(
                f"expected the instance to wait exactly at {sorted(element_ids)}, but {self._describe()}"
            )
        return self

    def is_not_waiting_at(self, *element_ids: str) -> "ProcessInstanceAssert":
        active = self.active_elements()
        found = [e for e in element_ids if e in active]
        if found:
            raise AssertionError(f"expected the instance not to wait at {found}, but {self._describe()}")
        return self

    def has_passed(self, *element_ids: str, times: int | None = None) -> "ProcessInstanceAssert":
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

    def has_not_passed(self, *element_ids: str) -> "ProcessInstanceAssert":
        passed = self.passed_elements()
        found = [e for e in element_ids if e in passed]
        if found:
            raise AssertionError(f"expected {found} not to be passed, but {self._describe()}")
        return self

    def has_terminated(self, *element_ids: str) -> "ProcessInstanceAssert":
        terminated = [e.element_id for e in self._elements() if e.state is ElementState.TERMINATED]
        missing = [e for e in element_ids if e not in terminated]
        if missing:
            raise AssertionError(f"expected {missing} to be terminated, but {self._describe()}")
        return self

    # ------------------------------------------------------------------ variables and incidents
    def variables(self) -> dict[str, Any]:
        pi = self.engine.process_instances[self.key]
        if pi.final_variables is not None:
            return dict(pi.final_variables)
        return dict(self.engine.element_instances[self.key].variables)

    def has_variable(self, name: str, value: Any = _ANY) -> "ProcessInstanceAssert":
        variables = self.variables()
        if name not in variables:
            raise AssertionError(f"expected variable '{name}', but the instance has {sorted(variables)}")
        if value is not _ANY and variables[name] != value:
            raise AssertionError(f"expected variable '{name}' to be {value!r}, but it is {variables[name]!r}")
        return self

    def has_no_variable(self, name: str) -> "ProcessInstanceAssert":
        if name in self.variables():
            raise AssertionError(f"expected no variable '{name}', but it is {self.variables()[name]!r}")
        return self

    def has_incident(self, error_type: str | None = None, element_id: str | None = None) -> "ProcessInstanceAssert":
        found = [
            i
            for i in self.engine.incidents.values()
            if i.process_instance_key == self.key
            and i.state is IncidentState.ACTIVE
            and (error_type is None or i.error_type == error_type)
            and (element_id is None or i.element_id == element_id)
        ]
        if not found:
            raise AssertionError(
                f"expected an active incident {error_type or ''} at {element_id or 'any element'}, "
                f"but {self._describe()}"
            )
        return self

    def has_no_incidents(self) -> "ProcessInstanceAssert":
        found = [
            i
            for i in self.engine.incidents.values()
            if i.process_instance_key == self.key and i.state is IncidentState.ACTIVE
        ]
        if found:
            raise AssertionError(f"expected no active incident, but {self._describe()}")
        return self
