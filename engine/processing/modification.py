"""Repairing running process instances: modification (activate elements, terminate element instances) and
migration to another process definition, as Zeebe's ModifyProcessInstance and MigrateProcessInstance do – each one
command, all of its instructions checked before anything changes."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.errors import InvalidArgumentError, NotFoundError
from engine.model import Kind, ProcessModel
from engine.state.values import ElementInstance, ProcessInstance


@dataclass(frozen=True)
class ActivateInstruction:
    """Activate `element_id` (in `ancestor_key`'s scope, or the one active instance of its flow scope), after
    setting `variables` (scope element id → variables; "" is the process instance)."""

    element_id: str
    ancestor_key: int | None = None
    variables: Sequence[tuple[str, Mapping[str, Any]]] = field(default_factory=tuple)


class ModificationProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._live = behaviors.state.instances.live
        behaviors.steps.register(self.terminate_emptied)
        behaviors.transitions.continuations["terminate_emptied"] = self._terminate_emptied_scope

    # ================================================================== modification
    def modify(self, key: int, activate: Sequence[ActivateInstruction], terminate: Sequence[int]) -> None:
        """Activates the elements, then terminates the element instances (so a token can be moved); a flow scope
        left without anything active is terminated with them, the process instance too."""
        pi = self._running_instance(key, "modify")
        model = self._state.deployments.definitions[pi.process_definition_key].model
        plans: list[tuple[ActivateInstruction, ElementInstance]] = []
        for instruction in activate:
            node = model.elements.get(instruction.element_id)
            if node is None or node.kind is Kind.PROCESS:
                raise InvalidArgumentError(
                    f"Expected to modify instance of process '{pi.bpmn_process_id}' but it contains one or more "
                    f"activate instructions with an element that could not be found: '{instruction.element_id}'"
                )
            if node.attached_to is not None or _inside_multi_instance(model, node.scope_id):
                raise InvalidArgumentError(
                    f"Expected to modify instance of process '{pi.bpmn_process_id}' but it contains an activate "
                    f"instruction for element '{node.id}', which is a boundary event or inside a multi-instance "
                    "body: the embedded engine cannot activate it"
                )
            for scope_id, _ in instruction.variables:
                if scope_id and scope_id not in model.elements:
                    raise InvalidArgumentError(
                        f"Expected to modify instance of process '{pi.bpmn_process_id}' but it contains a "
                        f"variable instruction with a scope element that could not be found: '{scope_id}'"
                    )
            plans.append((instruction, self._activation_scope(pi, node.scope_id or "", instruction)))
        targets: list[ElementInstance] = []
        for element_key in terminate:
            inst = self._live.get(element_key)
            if inst is None or inst.process_instance_key != key or not inst.state.is_active:
                raise InvalidArgumentError(
                    f"Expected to modify instance of process '{pi.bpmn_process_id}' but it contains one or more "
                    f"terminate instructions with an element instance that could not be found: '{element_key}'"
                )
            if inst.kind is Kind.PROCESS:
                raise InvalidArgumentError(
                    f"Expected to modify instance of process '{pi.bpmn_process_id}' but it contains a terminate "
                    "instruction for the process instance itself: cancel the process instance instead"
                )
            targets.append(inst)
        root = self._live[key]
        self.b.writer.process_instance_modified(root)
        transitions = self.b.transitions
        for instruction, scope in plans:
            for scope_id, variables in instruction.variables:
                holder = self._variable_scope(root, scope, scope_id)
                for name, value in variables.items():
                    self.b.variables.set_local(holder, name, value)
            transitions.schedule_activation(model.elements[instruction.element_id], scope)
        scopes: list[int] = []
        for inst in targets:
            if inst.state.is_active:
                scopes.append(inst.flow_scope_key or key)
                transitions.terminate(inst, check_scope=False)
        self.b.steps.queue.append(functools.partial(self.terminate_emptied, scopes))

    def _running_instance(self, key: int, verb: str) -> ProcessInstance:
        pi = self._state.instances.process_instances.get(key)
        if pi is None or pi.state != "ACTIVE":
            raise NotFoundError(f"Expected to {verb} process instance with key '{key}', but no such process was found")
        return pi

    def _activation_scope(
        self, pi: ProcessInstance, scope_id: str, instruction: ActivateInstruction
    ) -> ElementInstance:
        """The element instance of the flow scope `scope_id` the element is activated in."""
        if scope_id == pi.bpmn_process_id:
            return self._live[pi.key]
        candidates = [
            inst
            for k in pi.element_keys
            if (inst := self._live.get(k)) is not None
            and inst.element_id == scope_id
            and inst.kind is not Kind.MULTI_INSTANCE_BODY
            and inst.state.is_active
        ]
        if instruction.ancestor_key is not None:
            instances = self._state.instances
            for inst in candidates:
                chain = {scope.key for scope in instances.scope_chain(inst)}
                if instruction.ancestor_key in chain:
                    return inst
            raise InvalidArgumentError(
                f"Expected to activate element '{instruction.element_id}' with ancestor element instance "
                f"'{instruction.ancestor_key}', but no active instance of its flow scope '{scope_id}' is below it"
            )
        if len(candidates) != 1:
            raise InvalidArgumentError(
                f"Expected to activate element '{instruction.element_id}', but its flow scope '{scope_id}' has "
                f"{len(candidates)} active instances: the embedded engine activates an element in exactly one active "
                "instance of its flow scope (name it with ancestorElementInstanceKey)"
            )
        return candidates[0]

    def _variable_scope(self, root: ElementInstance, scope: ElementInstance, scope_id: str) -> ElementInstance:
        if not scope_id or scope_id == root.element_id:
            return root
        for inst in self._state.instances.scope_chain(scope):
            if inst.element_id == scope_id:
                return inst
        raise InvalidArgumentError(
            f"Expected to set variables in the scope of element '{scope_id}', but the activated element is not inside "
            "an active instance of it"
        )

    def _terminate_emptied_scope(self, scope: ElementInstance) -> None:
        """A continuation: the scope whose terminated children ran their canceling task listeners is looked at
        again."""
        self.terminate_emptied([scope.key])

    def terminate_emptied(self, scope_keys: list[int]) -> None:
        """After a modification: a flow scope with nothing active and nothing pending is terminated (up to the
        process instance), as Zeebe does."""
        steps = self.b.steps
        for scope_key in scope_keys:
            scope = self._live.get(scope_key)
            while scope is not None and scope.state.is_active:
                active = [k for k in scope.children or () if self._live[k].state.is_active]
                if active or steps.pending_in(scope.key):
                    break
                if scope.children:  # a terminated user task's canceling listeners run: the scope is looked at after
                    self.b.transitions.await_terminations(scope, ["terminate_emptied"])
                    break
                parent_key = scope.flow_scope_key
                self.b.transitions.terminate(scope, check_scope=False)
                scope = self._live.get(parent_key) if parent_key is not None else None

    # ================================================================== migration
    def migrate(self, key: int, target_definition_key: int, mappings: Mapping[str, str]) -> None:
        """Moves a running instance to another process definition: every active element must be mapped to an element
        of the same type in the same flow scope (mapped too). The embedded engine migrates elements that wait on a
        job or a user task, or that are scopes of such elements; an element waiting on a timer, message or signal,
        with boundary events, or a call activity is refused (Zeebe migrates more)."""
        pi = self._running_instance(key, "migrate")
        deployments = self._state.deployments
        target = deployments.definitions.get(target_definition_key)
        if target is None:
            raise NotFoundError(
                f"Expected to migrate process instance to process definition with key '{target_definition_key}', "
                "but no such process definition was found"
            )
        source_model = deployments.definitions[pi.process_definition_key].model
        root = self._live[key]
        waits = self.b.subscriptions.has_waits
        if waits(key):
            raise InvalidArgumentError(
                f"Expected to migrate process instance '{key}' but its process waits on event sub-process start "
                "events: the embedded engine migrates instances without them"
            )
        active = [inst for k in pi.element_keys if (inst := self._live.get(k)) is not None and inst.state.is_active]
        plan: list[tuple[ElementInstance, str]] = []
        for inst in active:
            if inst.kind is Kind.PROCESS:
                continue
            target_id = mappings.get(inst.element_id)
            if target_id is None:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but no mapping instruction defined for active "
                    f"element with id '{inst.element_id}'. Elements cannot be migrated without a mapping."
                )
            target_node = target.model.elements.get(target_id)
            if target_node is None:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but mapping instructions contain a non-existing "
                    f"target element id '{target_id}'"
                )
            source_node = source_model.elements[inst.element_id]
            if target_node.bpmn_element_type != source_node.bpmn_element_type or (
                target_node.kind is not source_node.kind
            ):
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but active element with id '{inst.element_id}' "
                    f"and type '{source_node.bpmn_element_type}' is mapped to an element with id '{target_id}' and "
                    f"different type '{target_node.bpmn_element_type}'"
                )
            if waits(inst.key) or source_node.boundary_events:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but active element with id '{inst.element_id}' "
                    "waits on a timer, message or signal or has boundary events: the embedded engine migrates "
                    "elements that wait on a job or a user task only"
                )
            if inst.kind in (Kind.CALL_ACTIVITY, Kind.MULTI_INSTANCE_BODY) or inst.loop_counter is not None:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but active element with id '{inst.element_id}' "
                    "is a call activity or multi-instance: the embedded engine cannot migrate it"
                )
            scope = self._live[inst.flow_scope_key] if inst.flow_scope_key is not None else None
            expected_scope = (
                target.bpmn_process_id
                if scope is None or scope.kind is Kind.PROCESS
                else mappings.get(scope.element_id)
            )
            if target_node.scope_id != expected_scope:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but the flow scope of active element with id "
                    f"'{inst.element_id}' is changed: the element and its flow scope must be mapped together"
                )
            plan.append((inst, target_id))
        self.b.writer.process_instance_migrated(root, target, plan)


def _inside_multi_instance(model: ProcessModel, scope_id: str | None) -> bool:
    while scope_id is not None and scope_id in model.elements:
        scope = model.elements[scope_id]
        if scope.loop is not None:
            return True
        scope_id = scope.scope_id
    return False
