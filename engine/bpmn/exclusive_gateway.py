"""Exclusive gateways: the first flow whose condition holds, else the default flow, else a CONDITION_ERROR incident."""

from engine.behaviors.incidents import COMPLETE
from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance

NO_FLOW = "Expected at least one condition to evaluate to true, or to have a default flow"


class ExclusiveGatewayProcessor(ElementProcessor):
    def select_flows(self, inst: ElementInstance, node: FlowNode) -> list[str]:
        model = self._transitions.model_of(inst)
        if len(node.outgoing) <= 1 and not any(model.flows[f].condition for f in node.outgoing):
            return list(node.outgoing)
        context = self._variables.visible(inst)
        now = self.now()
        for flow_id in node.outgoing:
            flow = model.flows[flow_id]
            if flow_id == node.default_flow or flow.condition is None:
                continue
            if self._expressions.boolean(flow.condition, context, now):
                return [flow_id]
        if node.default_flow:
            return [node.default_flow]
        raise self.b.incidents.raise_(inst, "CONDITION_ERROR", NO_FLOW, COMPLETE)
