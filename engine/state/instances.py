"""Process instances and their element instances: the live ones, and the archive of finished process instances'."""

from collections.abc import Iterator
from typing import Any

from engine.state.values import ElementInstance, FinishedElement, ProcessInstance


class Instances:
    """`live` holds the element instances of running process instances; when a process instance ends its element
    instances move to `archive` as plain tuples (FinishedElement's fields), read back by `element_instance()`,
    `all_element_instances()` and `finished_elements()`."""

    __slots__ = ("archive", "called", "live", "message_start_keys", "process_instances", "variable_keys",
                 "variable_names", "variable_scopes")  # fmt: skip

    def __init__(self) -> None:
        self.process_instances: dict[int, ProcessInstance] = {}
        self.live: dict[int, ElementInstance] = {}
        self.archive: dict[int, tuple[Any, ...]] = {}
        self.called: dict[int, int] = {}  # a call activity's element instance → the process instance it created
        self.message_start_keys: dict[int, str] = {}  # instance → correlation key of the message that started it
        # the variables' keys: scope key → name → key, and back: key → scope key, key → name (flat maps of ints and
        # strings: one entry per variable ever created, none of them an object the cyclic garbage collector tracks)
        self.variable_keys: dict[int, dict[str, int]] = {}
        self.variable_scopes: dict[int, int] = {}
        self.variable_names: dict[int, str] = {}

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
        names = self.variable_keys.get(scope_key)
        return names.get(name) if names is not None else None

    def note_variable_key(self, scope_key: int, name: str, key: int) -> None:
        """Indexes a variable's key (the applier of VARIABLE_CREATED does the same inline)."""
        names = self.variable_keys.get(scope_key)
        if names is None:
            self.variable_keys[scope_key] = {name: key}
        else:
            names[name] = key
        self.variable_scopes[key] = scope_key
        self.variable_names[key] = name

    def variable_key_entries(self) -> Iterator[tuple[int, str, int]]:
        """(scope key, name, key) of every variable key, in the order they were given."""
        names = self.variable_names
        for key, scope_key in self.variable_scopes.items():
            yield scope_key, names[key], key

    def variable_of_key(self, key: int) -> tuple[ElementInstance, str] | None:
        """The scope and name of a variable key, if the variable is still there."""
        scope_key = self.variable_scopes.get(key)
        if scope_key is None:
            return None
        name = self.variable_names[key]
        inst = self.element_instance(scope_key)
        return (inst, name) if inst is not None and name in inst.variables else None
