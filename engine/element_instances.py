"""Reading element instances, live or archived."""

from collections.abc import Iterator
from typing import Any

from engine._base import EngineBase
from engine.state import (
    ElementInstance,
    FinishedElement,
)


class ElementInstancesMixin(EngineBase):
    # ================================================================== reading element instances
    def element_instance(self, key: int) -> ElementInstance | None:
        """The element instance with this key: a live one, or a detached copy of one of a finished instance."""
        inst = self.element_instances.get(key)
        if inst is not None:
            return inst
        entry = self._archive.get(key)
        return self._restored(entry) if entry is not None else None

    def all_element_instances(self) -> Iterator[ElementInstance]:
        """Every element instance, live and finished (finished ones as detached copies); no particular order."""
        yield from list(self.element_instances.values())
        for entry in list(self._archive.values()):
            yield self._restored(entry)

    def finished_elements(self) -> Iterator[FinishedElement]:
        """The element instances of finished process instances as archived (a root's variables are its process
        instance's final_variables); for readers that need their fields only, not ElementInstance objects."""
        for entry in list(self._archive.values()):
            yield FinishedElement._make(entry)

    def _restored(self, entry: tuple[Any, ...]) -> ElementInstance:
        finished = FinishedElement._make(entry)
        root_variables = None
        if finished.flow_scope_key is None:
            pi = self.process_instances.get(finished.key)
            root_variables = pi.final_variables if pi is not None else None
        return finished.element_instance(root_variables)
