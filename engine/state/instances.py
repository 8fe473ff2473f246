"""Process instances and their element instances: the live ones, and the archive of finished process instances'."""

from collections.abc import Iterator
from typing import Any

from engine.state.values import ElementInstance, FinishedElement, ProcessInstance


class Instances:
    """`live` holds the element instances of running process instances; when a process instance ends its element
    instances move to `archive` as plain tuples (FinishedElement's fields), read back by `element_instance()`,
    `all_element_instances()` and `finished_elements()`."""

    __slots__ = ("archive", "called", "live", "message_start_keys", "process_instances", "variable_keys",
                 "variables_by_key")  # fmt: skip

    def __init__(self) -> None:
        self.process_instances: dict[int, ProcessInstance] = {}
        self.live: dict[int, ElementInstance] = {}
        self.archive: dict[int, tuple[Any, ...]] = {}
        self.called: dict[int, int] = {}  # a call activity's element instance → the process instance it created
        self.message_start_keys: dict[int, str] = {}  # instance → correlation key of the message that started it
        self.variable_keys: dict[tuple[int, str], int] = {}  # (scope key, name) → the variable's key
        self.variables_by_key: dict[int, tuple[int, str]] = {}

    # ------------------------------------------------------------------ element instances
    def element_instance(self, key: int) -> ElementInstance | None:
        """The element instance with this key: a live one, or a detached copy of one of a finished instance."""
        inst = self.live.get(key)
        if inst is not None:
            return inst
        entry = self.archive.get(key)
        return self._restored(entry) if entry is not None else None

    def all_element_instances(self) -> Iterator[ElementInstance]:
        """Every element instance, live and finished (finished ones as detached copies); no particular order."""
        yield from list(self.live.values())
        for entry in list(self.archive.values()):
            yield self._restored(entry)

    def finished_elements(self) -> Iterator[FinishedElement]:
        """The element instances of finished process instances as archived (a root's variables are its process
        instance's final_variables)."""
        for entry in list(self.archive.values()):
            yield FinishedElement._make(entry)

    def _restored(self, entry: tuple[Any, ...]) -> ElementInstance:
        finished = FinishedElement._make(entry)
        root_variables = None
        if finished.flow_scope_key is None:
            pi = self.process_instances.get(finished.key)
            root_variables = pi.final_variables if pi is not None else None
        return finished.element_instance(root_variables)

    # ------------------------------------------------------------------ variables
    def scope_chain(self, inst: ElementInstance) -> list[ElementInstance]:
        """The instance and its flow scopes, innermost first."""
        chain = [inst]
        while (scope_key := chain[-1].flow_scope_key) is not None:
            scope = self.live.get(scope_key) or self.element_instance(scope_key)
            if scope is None:
                raise KeyError(scope_key)
            chain.append(scope)
        return chain

    def visible_variables(self, inst: ElementInstance) -> dict[str, Any]:
        """The variables an element sees: its own over its scopes' (a copy)."""
        if inst.flow_scope_key is None:
            return dict(inst.variables)
        scope = self.live.get(inst.flow_scope_key)
        if scope is not None and scope.flow_scope_key is None:  # an element of the process itself, the common case
            merged = dict(scope.variables)
            if inst.variables:
                merged.update(inst.variables)
            return merged
        merged = {}
        for outer in reversed(self.scope_chain(inst)):
            merged.update(outer.variables)
        return merged

    def variable_key(self, scope_key: int, name: str) -> int | None:
        return self.variable_keys.get((scope_key, name))

    def variable_of_key(self, key: int) -> tuple[ElementInstance, str] | None:
        """The scope and name of a variable key, if the variable is still there."""
        found = self.variables_by_key.get(key)
        if found is None:
            return None
        inst = self.element_instance(found[0])
        return (inst, found[1]) if inst is not None and found[1] in inst.variables else None
