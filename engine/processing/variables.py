"""SetVariables: local or propagated by Zeebe's rule."""

from collections.abc import Mapping
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.errors import NotFoundError


class VariableProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors

    def set(self, element_instance_key: int, variables: Mapping[str, Any], local: bool) -> int:
        inst = self.b.state.instances.live.get(element_instance_key)
        if inst is None or not inst.state.is_active:
            raise NotFoundError(
                f"Expected to update variables for element with key '{element_instance_key}', "
                "but no such element was found"
            )
        for name, value in variables.items():
            if local:
                self.b.variables.set_local(inst, name, value)
            else:
                self.b.variables.set_propagating(inst, name, value)
        key = self.b.state.keys.next()
        self.b.writer.variable_document_updated(key, inst)
        return key
