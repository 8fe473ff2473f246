"""Creating and cancelling process instances."""

from collections.abc import Mapping
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.state.values import ProcessDefinition, ProcessInstance


class ProcessInstanceProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state

    def create(
        self,
        bpmn_process_id: str,
        version: int,
        process_definition_key: int,
        variables: Mapping[str, Any] | None,
        start_element_ids: list[str] | None,
        tags: list[str] | None = None,
    ) -> ProcessInstance:
        pi = self._create(bpmn_process_id, version, process_definition_key, variables, start_element_ids)
        if tags:
            self.b.writer.process_instance_tagged(pi.key, tuple(dict.fromkeys(tags)))
        return pi

    def _create(
        self,
        bpmn_process_id: str,
        version: int,
        process_definition_key: int,
        variables: Mapping[str, Any] | None,
        start_element_ids: list[str] | None,
    ) -> ProcessInstance:
        definition = self.resolve_definition(bpmn_process_id, version, process_definition_key)
        model = definition.model
        if start_element_ids:
            for element_id in start_element_ids:
                if element_id not in model.elements:
                    raise InvalidArgumentError(
                        f"Expected to create instance of process with start instructions but no element found "
                        f"with id '{element_id}'."
                    )
            return self.b.start_instance(definition, dict(variables or {}), start_element_ids)
        if model.root.none_start is None:
            raise FailedPreconditionError(
                f"Expected to create instance of process with none start event, but there is no such event "
                f"in process '{definition.bpmn_process_id}'"
            )
        return self.b.start_instance(definition, dict(variables or {}), [model.root.none_start])

    def resolve_definition(self, bpmn_process_id: str, version: int, key: int) -> ProcessDefinition:
        deployments = self._state.deployments
        if key > 0:
            if key not in deployments.definitions:
                raise NotFoundError(f"Expected to find process definition with key '{key}', but none found")
            return deployments.definitions[key]
        if not bpmn_process_id:
            raise InvalidArgumentError("Expected either a bpmnProcessId or a processDefinitionKey, but none given")
        if version is None or version < 0:
            latest = deployments.latest_definition(bpmn_process_id)
            if latest is None:
                raise NotFoundError(
                    f"Expected to find process definition with process ID '{bpmn_process_id}', but none found"
                )
            return latest
        for d in deployments.definitions.values():
            if d.bpmn_process_id == bpmn_process_id and d.version == version:
                return d
        raise NotFoundError(
            f"Expected to find process definition with process ID '{bpmn_process_id}' and version '{version}', "
            "but none found"
        )

    def cancel(self, key: int) -> None:
        instances = self._state.instances
        pi = instances.process_instances.get(key)
        if pi is None or pi.state != "ACTIVE":
            raise NotFoundError(
                f"Expected to cancel a process instance with key '{key}', but no such process was found"
            )
        if pi.parent_process_instance_key is not None:
            top = pi
            while top.parent_process_instance_key is not None:
                top = instances.process_instances[top.parent_process_instance_key]
            raise FailedPreconditionError(
                f"Expected to cancel a process instance with key '{key}', but it is created by a parent process "
                f"instance. Cancel the root process instance '{top.key}' instead."
            )
        self.b.transitions.terminate(instances.live[key])
