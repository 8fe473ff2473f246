"""Call activities: an instance of the called process, which the call activity waits for (and takes with it when
it is terminated)."""

import copy
from typing import Any

from engine.behaviors.incidents import ACTIVATE
from engine.bpmn.element import ElementProcessor
from engine.model import BindingType, FlowNode
from engine.state.values import ElementInstance, ElementState, EventTrigger, ProcessDefinition

# Zeebe's default maxProcessDepth: how deep call activities may nest process instances (a runaway recursion
# raises an incident at the call activity instead of creating instances forever)
MAX_PROCESS_DEPTH = 1000


class CallActivityProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        """Creates an instance of the called process at its none start event (input mappings were applied)."""
        called = node.called
        assert called is not None
        incidents = self.b.incidents
        context = self._variables.visible(inst)
        process_id = self._expressions.string(called.process_id, context, self.now())
        definition = self._called_definition(inst, process_id, called.binding_type, called.version_tag)
        if definition.model.root.none_start is None:
            raise incidents.raise_(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"Expected process with BPMN process id '{process_id}' to have a none start event, but not found.",
                ACTIVATE,
            )
        depth = 1
        instances = self._state.instances.process_instances
        pi = instances[inst.process_instance_key]
        while pi.parent_process_instance_key is not None:
            depth += 1
            pi = instances[pi.parent_process_instance_key]
        if depth >= MAX_PROCESS_DEPTH:
            raise incidents.raise_(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"The call activity has reached the maximum depth of {MAX_PROCESS_DEPTH}. This is likely due to a "
                "recursive call. Cancel the root process instance if this was unintentional. Otherwise, consider "
                "increasing the maximum depth, or use process instance modification to adjust the process instance.",
                ACTIVATE,
            )
        self._subscriptions.open_boundary_events(inst, node, context)
        self._transitions.activated(inst)
        if called.propagate_all_parent_variables:
            variables = copy.deepcopy(context)
        else:  # only the call activity's locals, i.e. what its input mappings created
            variables = copy.deepcopy(inst.variables) if node.inputs else {}
        root = definition.model.root
        assert root.none_start is not None
        self.b.start_instance(definition, variables, [root.none_start], parent=inst)

    def _called_definition(
        self, inst: ElementInstance, process_id: str, binding: BindingType, version_tag: str | None
    ) -> ProcessDefinition:
        """The process definition a call activity creates an instance of; CALLED_ELEMENT_ERROR if there is none."""
        deployments = self._state.deployments
        found: ProcessDefinition | None
        if binding is BindingType.DEPLOYMENT:
            deployment_key = deployments.definitions[inst.process_definition_key].deployment_key
            found = next(
                (
                    d
                    for d in deployments.definitions.values()
                    if d.bpmn_process_id == process_id and d.deployment_key == deployment_key
                ),
                None,
            )
            message = (
                f"Expected to call process with BPMN process id '{process_id}' with binding type 'deployment', but "
                f"no such process found in the deployment with key {deployment_key} which contained the current "
                "process. To resolve this incident, migrate the process instance to a process definition that is "
                "deployed together with the intended process definition to call."
            )
        elif binding is BindingType.VERSION_TAG:
            tagged = [
                d
                for d in deployments.definitions.values()
                if d.bpmn_process_id == process_id and d.model.version_tag == version_tag
            ]
            found = max(tagged, key=lambda d: d.version) if tagged else None
            message = (
                f"Expected to call process with BPMN process id '{process_id}' and version tag '{version_tag}', but no "
                "such process found. To resolve this incident, deploy a process with the given process id and "
                "version tag."
            )
        else:
            found = deployments.latest_definition(process_id)
            message = f"Expected process with BPMN process id '{process_id}' to be deployed, but not found."
        if found is None:
            raise self.b.incidents.raise_(inst, "CALLED_ELEMENT_ERROR", message, ACTIVATE)
        return found

    def called_process_completed(self, call_key: int, variables: dict[str, Any]) -> None:
        """The instance a call activity created has completed: the call activity completes with its variables,
        unless propagateAllChildVariables is off and there are no output mappings (then they are dropped)."""
        call = self._state.instances.live.get(call_key)
        if call is None or call.state is not ElementState.ACTIVATED:
            return
        node = self._transitions.node_of(call)
        assert node.called is not None
        trigger = None
        if node.outputs or node.called.propagate_all_child_variables:
            trigger = EventTrigger(variables)
        self._transitions.complete(call, trigger=trigger)
