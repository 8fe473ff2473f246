"""Variables: scopes, propagation, mappings, variable keys and the SetVariables command."""

from collections.abc import Iterable, Mapping
from typing import Any

from engine import json_documents
from engine._base import EngineBase
from engine.errors import (
    InvalidArgumentError,
    NotFoundError,
)
from engine.state import (
    ElementInstance,
)


def parse_variables(document: str, what: str = "variables") -> dict[str, Any]:
    """A JSON object document as sent by clients; empty means no variables."""
    if not document or not document.strip():
        return {}
    try:
        value = json_documents.loads(document)
    except json_documents.JsonDocumentError as exc:
        raise InvalidArgumentError(
            f"Property '{what}' is invalid: expected a JSON document, but it could not be parsed: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise InvalidArgumentError(
            f"Property '{what}' is invalid: expected the document to be a root level object, "
            f"but was '{type(value).__name__}'"
        )
    return value


def _assign_path(container: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = container.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            container[part] = nxt
        container = nxt
    container[parts[-1]] = value


def _path_root(expression: str | None) -> str | None:
    """The variable a FEEL expression `=x` or `=x.y.z` refers to (x), or None for any other expression."""
    if not expression or not expression.startswith("="):
        return None
    parts = [part.strip() for part in expression[1:].split(".")]
    return parts[0] if all(part.isidentifier() for part in parts) else None


class VariablesMixin(EngineBase):
    # ================================================================== variables
    def scope_chain(self, inst: ElementInstance) -> list[ElementInstance]:
        """The instance and its flow scopes, innermost first."""
        chain = [inst]
        while (scope_key := chain[-1].flow_scope_key) is not None:
            scope = self.element_instances.get(scope_key) or self.element_instance(scope_key)
            if scope is None:
                raise KeyError(scope_key)
            chain.append(scope)
        return chain

    def visible_variables(self, inst: ElementInstance) -> dict[str, Any]:
        if inst.flow_scope_key is None:
            return dict(inst.variables)
        scope = self.element_instances.get(inst.flow_scope_key)
        if scope is not None and scope.flow_scope_key is None:  # an element of the process itself, the common case
            merged = dict(scope.variables)
            if inst.variables:
                merged.update(inst.variables)
            return merged
        merged = {}
        for outer in reversed(self.scope_chain(inst)):
            merged.update(outer.variables)
        return merged

    def variable_key(self, scope_key: int, name: str) -> int:
        """The key of the variable `name` of a scope, as the REST API answers it (`variableKey`): given from the
        engine's key sequence the first time the variable is asked about, the same ever after."""
        key = self._variable_keys.get((scope_key, name))
        if key is None:
            key = self.keys.next()
            self._variable_keys[(scope_key, name)] = key
            self._variables_by_key[key] = (scope_key, name)
        return key

    def variable_of_key(self, key: int) -> tuple[ElementInstance, str] | None:
        """The scope and name of a variable key that `variable_key` gave, if the variable is still there."""
        found = self._variables_by_key.get(key)
        if found is None:
            return None
        inst = self.element_instance(found[0])
        return (inst, found[1]) if inst is not None and found[1] in inst.variables else None

    def _set_propagating(self, start: ElementInstance, name: str, value: Any) -> None:
        """Zeebe's rule: the nearest scope that already has the variable, else the process instance."""
        if start.flow_scope_key is not None and name not in start.variables:
            root = self.element_instances.get(start.flow_scope_key)
            if root is not None and root.flow_scope_key is None:  # an element of the process itself: its root
                intent = "UPDATED" if name in root.variables else "CREATED"
                root.variables[name] = value
                self._record("VARIABLE", intent, root.key, element=root)
                return
        chain = self.scope_chain(start)
        for scope in chain:
            if name in scope.variables:
                scope.variables[name] = value
                self._record("VARIABLE", "UPDATED", scope.key, element=scope)
                return
        chain[-1].variables[name] = value
        self._record("VARIABLE", "CREATED", chain[-1].key, element=chain[-1])

    def _merge_propagating(self, start: ElementInstance, variables: Mapping[str, Any]) -> None:
        for name, value in variables.items():
            self._set_propagating(start, name, value)

    def _set_local(self, inst: ElementInstance, name: str, value: Any) -> None:
        intent = "UPDATED" if name in inst.variables else "CREATED"
        inst.variables[name] = value
        self._record("VARIABLE", intent, inst.key, element=inst)

    def _evaluate_mappings(
        self, inst: ElementInstance, mappings: Iterable[Any], context: dict[str, Any]
    ) -> list[tuple[str, Any]]:
        results: list[tuple[str, Any]] = []
        for mapping in mappings:
            value = self.expressions.evaluate(mapping.source, context, self.now())
            results.append((mapping.target, value))
            _assign_path(context, mapping.target, value)
        return results

    # ================================================================== variables command
    def set_variables(self, element_instance_key: int, variables: Mapping[str, Any], local: bool) -> int:
        def action() -> int:
            inst = self.element_instances.get(element_instance_key)
            if inst is None or not inst.state.is_active:
                raise NotFoundError(
                    f"Expected to update variables for element with key '{element_instance_key}', "
                    "but no such element was found"
                )
            for name, value in variables.items():
                if local:
                    self._set_local(inst, name, value)
                else:
                    self._set_propagating(inst, name, value)
            key = self.keys.next()
            self._record("VARIABLE_DOCUMENT", "UPDATED", key, element=inst)
            return key

        return self._command(action)  # type: ignore[no-any-return]
