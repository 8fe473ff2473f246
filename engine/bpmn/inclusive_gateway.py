"""Inclusive gateways: a fork takes every flow whose condition holds (else the default flow, else an incident); a
join follows Zeebe 8.8 – evaluated when a token arrives, it waits for the tokens that can still reach it."""

from collections import deque

from engine.behaviors.incidents import COMPLETE
from engine.bpmn.element import ElementProcessor
from engine.bpmn.exclusive_gateway import NO_FLOW
from engine.model import FlowNode
from engine.state.values import ElementInstance


class InclusiveGatewayProcessor(ElementProcessor):
    def select_flows(self, inst: ElementInstance, node: FlowNode) -> list[str]:
        """Every flow whose condition holds; else the default flow (whose condition is never evaluated); else an
        incident. One flow without a condition is simply taken; no flow at all ends the path."""
        model = self._transitions.model_of(inst)
        if not node.outgoing:
            return []
        if len(node.outgoing) == 1 and model.flows[node.outgoing[0]].condition is None:
            return list(node.outgoing)
        context = self._variables.visible(inst)
        now = self.now()
        chosen = [
            flow_id
            for flow_id in node.outgoing
            if flow_id != node.default_flow
            and (condition := model.flows[flow_id].condition) is not None
            and self._expressions.boolean(condition, context, now)
        ]
        if chosen:
            return chosen
        if node.default_flow:
            return [node.default_flow]
        raise self.b.incidents.raise_(inst, "CONDITION_ERROR", NO_FLOW, COMPLETE)

    def join_ready(self, node: FlowNode, scope: ElementInstance) -> bool:
        """Whether a token arriving now activates the join: every incoming flow has a token, or no active element or
        pending token of the scope has a path to it other than through incoming flows that already have one.
        Activating takes one token from each flow (the activation's event does)."""
        tokens = self._state.flow.join_tokens(scope.key).get(node.id)
        if not tokens:
            return False  # an earlier arrival activated the gateway and took this token with it
        taken = {flow_id for flow_id, count in tokens.items() if count > 0}
        return not (len(taken) < len(node.incoming) and self._has_active_path(scope, node, taken))

    def _has_active_path(self, scope: ElementInstance, gateway: FlowNode, taken: set[str]) -> bool:
        model = self._transitions.model_of(scope)
        live = self._state.instances.live
        sources = {live[k].element_id for k in scope.children or ()}
        sources.update(self.b.steps.pending.get(scope.key) or ())
        sources.discard(gateway.id)
        for source in sources:
            seen: set[str] = set()
            queue = deque([source])
            while queue:
                current = queue.popleft()
                if current == gateway.id:
                    return True
                if current in seen or current not in model.elements:
                    continue
                seen.add(current)
                node = model.elements[current]
                if node.link_target is not None:
                    queue.append(node.link_target)
                else:
                    queue.extend(model.flows[f].target for f in node.outgoing if f not in taken)
                queue.extend(node.boundary_events)
        return False
