"""Variables: scopes, Zeebe's propagation rule, input and output mappings."""

from collections.abc import Iterable, Mapping
from typing import Any

from engine.events.appliers import Appliers
from engine.expressions import Expressions
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance


def assign_path(container: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = container.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            container[part] = nxt
        container = nxt
    container[parts[-1]] = value


def path_root(expression: str | None) -> str | None:
    """The variable a FEEL expression `=x` or `=x.y.z` refers to (x), or None for any other expression."""
    if not expression or not expression.startswith("="):
        return None
    parts = [part.strip() for part in expression[1:].split(".")]
    return parts[0] if all(part.isidentifier() for part in parts) else None


class VariableBehavior:
    def __init__(self, state: EngineState, writer: Appliers, expressions: Expressions) -> None:
        self._state = state
        self._keys = state.keys
        self._live = state.instances.live
        self._w = writer
        self._expressions = expressions
        self.visible = state.instances.visible_variables
        self.scope_chain = state.instances.scope_chain

    def set_local(self, inst: ElementInstance, name: str, value: Any) -> None:
        if name in inst.variables:
            self._w.variable_updated(inst, name, value)
        else:
            self._w.variable_created(inst, name, value, self._keys.next())

    def set_local_path(self, inst: ElementInstance, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self.set_local(inst, head, value)
            return
        current = inst.variables.get(head)
        container = dict(current) if isinstance(current, dict) else {}
        assign_path(container, rest, value)
        self.set_local(inst, head, container)

    def set_propagating(self, start: ElementInstance, name: str, value: Any) -> None:
        """Zeebe's rule: the nearest scope that already has the variable, else the process instance."""
        if start.flow_scope_key is not None and name not in start.variables:
            root = self._live.get(start.flow_scope_key)
            if root is not None and root.flow_scope_key is None:  # an element of the process itself: its root
                self.set_local(root, name, value)
                return
        chain = self.scope_chain(start)
        for scope in chain:
            if name in scope.variables:
                self._w.variable_updated(scope, name, value)
                return
        self._w.variable_created(chain[-1], name, value, self._keys.next())

    def merge_propagating(self, start: ElementInstance, variables: Mapping[str, Any]) -> None:
        for name, value in variables.items():
            self.set_propagating(start, name, value)

    def set_path_propagating(self, scope: ElementInstance, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self.set_propagating(scope, head, value)
            return
        visible = self.visible(scope).get(head)
        container = _json_copy(visible) if isinstance(visible, dict) else {}
        assign_path(container, rest, value)
        self.set_propagating(scope, head, container)

    def evaluate_mappings(self, mappings: Iterable[Any], context: dict[str, Any]) -> list[tuple[str, Any]]:
        """Each mapping's value, in order; a later mapping sees the targets of the earlier ones."""
        results: list[tuple[str, Any]] = []
        now = self._state.instant
        assert now is not None
        for mapping in mappings:
            value = self._expressions.evaluate(mapping.source, context, now)
            results.append((mapping.target, value))
            assign_path(context, mapping.target, value)
        return results


def _json_copy(value: dict[str, Any]) -> dict[str, Any]:
    import json

    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied
