"""Creating and cancelling process instances, and waiting for their results."""

import asyncio
from collections.abc import Mapping
from typing import Any

from engine._base import _ACTIVATING, ACTIVE, EngineBase
from engine.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.model import Kind
from engine.state import (
    ElementInstance,
    ElementState,
    ProcessDefinition,
    ProcessInstance,
)


class ProcessInstancesMixin(EngineBase):
    # ================================================================== process instances
    def create_process_instance(
        self,
        *,
        bpmn_process_id: str = "",
        version: int = -1,
        process_definition_key: int = 0,
        variables: Mapping[str, Any] | None = None,
        start_element_ids: list[str] | None = None,
        tags: list[str] | None = None,
    ) -> ProcessInstance:
        def action() -> ProcessInstance:
            pi = self._create(bpmn_process_id, version, process_definition_key, variables, start_element_ids)
            if tags:
                pi.tags = tuple(dict.fromkeys(tags))
            return pi

        return self._command(action)  # type: ignore[no-any-return]

    def _create(
        self,
        bpmn_process_id: str,
        version: int,
        process_definition_key: int,
        variables: Mapping[str, Any] | None,
        start_element_ids: list[str] | None,
    ) -> ProcessInstance:
        definition = self._resolve_definition(bpmn_process_id, version, process_definition_key)
        model = definition.model
        if start_element_ids:
            for element_id in start_element_ids:
                if element_id not in model.elements:
                    raise InvalidArgumentError(
                        f"Expected to create instance of process with start instructions but no element found "
                        f"with id '{element_id}'."
                    )
            return self._start_instance(definition, dict(variables or {}), start_element_ids)
        if model.root.none_start is None:
            raise FailedPreconditionError(
                f"Expected to create instance of process with none start event, but there is no such event "
                f"in process '{definition.bpmn_process_id}'"
            )
        return self._start_instance(definition, dict(variables or {}), [model.root.none_start])

    def _resolve_definition(self, bpmn_process_id: str, version: int, key: int) -> ProcessDefinition:
        if key > 0:
            if key not in self.definitions:
                raise NotFoundError(f"Expected to find process definition with key '{key}', but none found")
            return self.definitions[key]
        if not bpmn_process_id:
            raise InvalidArgumentError("Expected either a bpmnProcessId or a processDefinitionKey, but none given")
        if version is None or version < 0:
            latest = self.latest_definition(bpmn_process_id)
            if latest is None:
                raise NotFoundError(
                    f"Expected to find process definition with process ID '{bpmn_process_id}', but none found"
                )
            return latest
        for d in self.definitions.values():
            if d.bpmn_process_id == bpmn_process_id and d.version == version:
                return d
        raise NotFoundError(
            f"Expected to find process definition with process ID '{bpmn_process_id}' and version '{version}', "
            "but none found"
        )

    def _start_instance(
        self,
        definition: ProcessDefinition,
        variables: dict[str, Any],
        start_ids: list[str],
        *,
        start_event_variables: dict[str, Any] | None = None,
        parent: ElementInstance | None = None,
    ) -> ProcessInstance:
        key = self.keys.next()
        now = self.now()
        pi = ProcessInstance(key, definition.bpmn_process_id, definition.version, definition.key, ACTIVE, now)
        if parent is not None:  # created by a call activity
            pi.parent_process_instance_key = parent.process_instance_key
            pi.parent_element_instance_key = parent.key
            parent.called_instance_key = key
        self.process_instances[key] = pi
        root = ElementInstance(
            key=key,
            process_instance_key=key,
            process_definition_key=definition.key,
            bpmn_process_id=definition.bpmn_process_id,
            element_id=definition.bpmn_process_id,
            kind=Kind.PROCESS,
            bpmn_element_type="PROCESS",
            flow_scope_key=None,
            state=ElementState.ACTIVATING,
            started_at=now,
        )
        self.element_instances[key] = root
        pi.element_keys.append(key)
        self._record_element(_ACTIVATING, root)
        for name, value in variables.items():
            self._set_local(root, name, value)
        self._transition(root, ElementState.ACTIVATED)
        self._open_event_sub_processes(root)
        model = definition.model
        for element_id in start_ids:
            node = model.elements[element_id]
            scope = root
            if node.scope_id != model.bpmn_process_id:
                raise InvalidArgumentError(
                    f"Expected to start at element '{element_id}', but only elements of the process itself "
                    "can be start instructions in the embedded engine"
                )
            self._schedule_activation(node, scope, event_variables=start_event_variables)
        return pi

    def cancel_process_instance(self, key: int) -> None:
        def action() -> None:
            pi = self.process_instances.get(key)
            if pi is None or pi.state != ACTIVE:
                raise NotFoundError(
                    f"Expected to cancel a process instance with key '{key}', but no such process was found"
                )
            if pi.parent_process_instance_key is not None:
                top = pi
                while top.parent_process_instance_key is not None:
                    top = self.process_instances[top.parent_process_instance_key]
                raise FailedPreconditionError(
                    f"Expected to cancel a process instance with key '{key}', but it is created by a parent process "
                    f"instance. Cancel the root process instance '{top.key}' instead."
                )
            root = self.element_instances[key]
            self._terminate(root)

        self._command(action)

    # ================================================================== results
    async def wait_for_result(self, key: int, timeout: float | None) -> ProcessInstance:
        pi = self.process_instances[key]
        if pi.state != ACTIVE:
            return pi
        fut: asyncio.Future[ProcessInstance] = asyncio.get_running_loop().create_future()
        self._result_waiters.setdefault(key, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            waiters = self._result_waiters.get(key, [])
            if fut in waiters:
                waiters.remove(fut)
