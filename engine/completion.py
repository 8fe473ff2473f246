"""The executor: completing elements, choosing and taking sequence flows, finishing scopes."""

import copy
import functools
import json
from collections import deque
from typing import Any

from engine._base import _CHOOSING_KINDS, COMPLETED, EngineBase
from engine.expressions import ExpressionError
from engine.model import FlowNode, Kind, ProcessModel
from engine.state import (
    ElementInstance,
    ElementState,
    FinishedElement,
    ProcessInstance,
)
from engine.variables import _assign_path


class CompletionMixin(EngineBase):
    # ================================================================== completion
    def _complete(self, inst: ElementInstance, *, take_flows: bool = True, node: FlowNode | None = None) -> None:
        """Completes an element: variables, output mappings, then the outgoing flows."""
        if node is None:
            node = self.node_of(inst)
        self._transition(inst, ElementState.COMPLETING)
        self._run_completion(inst, node, take_flows)

    def _run_completion(self, inst: ElementInstance, node: FlowNode, take_flows: bool = True) -> None:
        """The completing phase; re-run by resolving an incident raised here."""
        scope = self.element_instances[inst.flow_scope_key] if inst.flow_scope_key is not None else None
        is_body = inst.kind is Kind.MULTI_INSTANCE_BODY
        loop = node.loop
        try:
            if not take_flows:
                flows: list[str] = []
            elif is_body or (node.kind not in _CHOOSING_KINDS and node.link_target is None):
                flows = list(node.outgoing)  # every outgoing flow, as _select_flows would say
            else:
                flows = self._select_flows(inst, node)
            output_values: list[tuple[str, Any]] = []
            element_output: Any = None
            wants_output = inst.loop_counter is not None and loop is not None and loop.output_element
            if not is_body and (node.outputs or wants_output):
                context = self.visible_variables(inst)
                if inst.event_locals:
                    context.update(inst.event_locals)
                if inst.event_variables:
                    context.update(inst.event_variables)
                if node.outputs:
                    output_values = self._evaluate_mappings(inst, node.outputs, dict(context))
                if wants_output:
                    assert loop is not None and loop.output_element is not None
                    element_output = self.expressions.evaluate(loop.output_element, context, self.now())
        except ExpressionError as exc:
            self._raise_incident(
                inst, "EXTRACT_VALUE_ERROR" if not node.outputs else "IO_MAPPING_ERROR", str(exc), "complete"
            )
            return
        # side effects from here on
        if inst.event_variables:
            if node.outputs:
                for name, value in inst.event_variables.items():
                    self._set_local(inst, name, value)
            elif scope is not None and inst.kind is not Kind.PROCESS:
                self._merge_propagating(inst, inst.event_variables)
        inst.event_variables = inst.event_locals = None
        if scope is not None:
            for target, value in output_values:
                self._set_path_propagating(scope, target, value)
        if loop is not None and loop.output_collection and scope is not None:
            if is_body:
                self._set_propagating(scope, loop.output_collection, inst.variables.get(loop.output_collection))
            if inst.loop_counter is not None:
                collection = list(scope.variables.get(loop.output_collection) or [])
                if inst.loop_counter - 1 < len(collection):
                    collection[inst.loop_counter - 1] = element_output
                self._set_local(scope, loop.output_collection, collection)
        if (
            inst.job_key is not None
            or inst.user_task_key is not None
            or inst.timer_keys
            or inst.subscription_keys
            or inst.signal_subscription_keys
        ):
            self._close_waits(inst)
        inst.ended_at = self._command_time or self.clock.now()
        if scope is not None and scope.children:
            scope.children.discard(inst.key)
        self._transition(inst, ElementState.COMPLETED)
        if inst.kind is Kind.PROCESS:
            self._finish_process_instance(inst, COMPLETED)
            return
        assert scope is not None
        if inst.loop_counter is not None:
            self._inner_finished(scope, node, inst, completed=True)
            return
        if flows:
            model = self.definitions[inst.process_definition_key].model
            for flow_id in flows:
                self._take_flow(scope, flow_id, model)
        if take_flows and node.link_target is not None:
            # a link throw event continues at its catch event; no sequence flow is taken
            self._schedule_activation(self.model_of(inst).elements[node.link_target], scope)
        if node.kind is Kind.EVENT_SUB_PROCESS and node.interrupting:
            self._complete_scope_if_done(scope, force=True)
            return
        self._complete_scope_if_done(scope)

    def _set_path_propagating(self, scope: ElementInstance, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self._set_propagating(scope, head, value)
            return
        visible = self.visible_variables(scope).get(head)
        container = json.loads(json.dumps(visible)) if isinstance(visible, dict) else {}
        _assign_path(container, rest, value)
        self._set_propagating(scope, head, container)

    def _select_flows(self, inst: ElementInstance, node: FlowNode) -> list[str]:
        if node.link_target is not None:
            return []  # a link throw event goes on at its catch event only
        if node.kind is Kind.INCLUSIVE_GATEWAY:
            return self._select_inclusive_flows(inst, node)
        if node.kind is not Kind.EXCLUSIVE_GATEWAY:
            return list(node.outgoing)
        if len(node.outgoing) <= 1 and not any(self.model_of(inst).flows[f].condition for f in node.outgoing):
            return list(node.outgoing)
        model = self.model_of(inst)
        context = self.visible_variables(inst)
        for flow_id in node.outgoing:
            flow = model.flows[flow_id]
            if flow_id == node.default_flow or flow.condition is None:
                continue
            if self.expressions.boolean(flow.condition, context, self.now()):
                return [flow_id]
        if node.default_flow:
            return [node.default_flow]
        self._raise_incident(
            inst,
            "CONDITION_ERROR",
            "Expected at least one condition to evaluate to true, or to have a default flow",
            "complete",
        )
        return []

    def _select_inclusive_flows(self, inst: ElementInstance, node: FlowNode) -> list[str]:
        """Every flow whose condition holds; else the default flow (whose condition is never evaluated); else an
        incident. One flow without a condition is simply taken; no flow at all ends the path."""
        model = self.model_of(inst)
        if not node.outgoing:
            return []
        if len(node.outgoing) == 1 and model.flows[node.outgoing[0]].condition is None:
            return list(node.outgoing)
        context = self.visible_variables(inst)
        chosen = [
            flow_id
            for flow_id in node.outgoing
            if flow_id != node.default_flow
            and (condition := model.flows[flow_id].condition) is not None
            and self.expressions.boolean(condition, context, self.now())
        ]
        if chosen:
            return chosen
        if node.default_flow:
            return [node.default_flow]
        self._raise_incident(
            inst,
            "CONDITION_ERROR",
            "Expected at least one condition to evaluate to true, or to have a default flow",
            "complete",
        )
        return []

    def _inclusive_join_ready(self, node: FlowNode, scope: ElementInstance) -> bool:
        """Zeebe 8.8's joining inclusive gateway, evaluated when a token arrives (and only then): it activates if
        every incoming flow has a token, or if no active element or pending token of the scope has a path to it
        other than through incoming flows that already have one. Activating takes one token from each flow."""
        tokens = scope.join_tokens.get(node.id)
        if not tokens:
            return False  # an earlier arrival activated the gateway and took this token with it
        taken = {flow_id for flow_id, count in tokens.items() if count > 0}
        if len(taken) < len(node.incoming) and self._has_active_path(scope, node, taken):
            return False
        for flow_id in list(tokens):
            tokens[flow_id] -= 1
            if tokens[flow_id] <= 0:
                del tokens[flow_id]
        if not tokens:
            del scope.join_tokens[node.id]
        return True

    def _has_active_path(self, scope: ElementInstance, gateway: FlowNode, taken: set[str]) -> bool:
        model = self.model_of(scope)
        sources = {self.element_instances[k].element_id for k in scope.children or ()}
        sources.update(scope.pending_targets)
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

    def _take_flow(self, scope: ElementInstance, flow_id: str, model: ProcessModel | None = None) -> None:
        if model is None:
            model = self.model_of(scope)
        flow = model.flows[flow_id]
        self._history += (  # as _record would, inlined (once per flow)
            next(self._positions),
            "PROCESS_INSTANCE",
            "SEQUENCE_FLOW_TAKEN",
            self.keys.next(),
            self._command_time or self.clock.now(),
            scope.process_instance_key,
            flow_id,  # the flow's id where an element's would be: the REST API answers the flows an instance took
            "SEQUENCE_FLOW",
            scope.key,
        )
        target = model.elements[flow.target]
        if len(target.incoming) > 1:
            if target.kind is Kind.PARALLEL_GATEWAY:
                tokens = scope.join_tokens.setdefault(target.id, {})
                tokens[flow_id] = tokens.get(flow_id, 0) + 1
                for f in target.incoming:
                    if not tokens.get(f, 0) > 0:
                        return
                for f in target.incoming:
                    tokens[f] -= 1
                    if tokens[f] == 0:
                        del tokens[f]
                if not tokens:
                    del scope.join_tokens[target.id]
                self._schedule_activation(target, scope)
                return
            if target.kind is Kind.INCLUSIVE_GATEWAY:
                tokens = scope.join_tokens.setdefault(target.id, {})
                tokens[flow_id] = tokens.get(flow_id, 0) + 1
                self._schedule_activation(target, scope, join=True)
                return
        self._schedule_activation(target, scope)

    def _complete_scope_if_done(self, scope: ElementInstance, *, force: bool = False) -> None:
        """Queues the check whether the scope has nothing left to do (then it completes).

        Not while activations queued in the scope are pending: each of them, when it runs, either creates an
        element (whose end queues this check again), finds the scope ended, or, as an inclusive join not ready
        yet, queues the check itself – a check queued now would find the scope busy."""
        if scope.pending_activations and not force:
            return
        self._steps.append(functools.partial(self._check_scope_done, scope, force))

    def _check_scope_done(self, scope: ElementInstance, force: bool) -> None:
        state = scope.state
        if state is not ElementState.ACTIVATED and state is not ElementState.ACTIVATING:
            return  # not active, or completing already
        if scope.children or scope.pending_activations:
            return
        if scope.join_tokens and not force:
            return
        if scope.kind is Kind.MULTI_INSTANCE_BODY:
            return
        if state is ElementState.ACTIVATED:
            self._complete(scope)

    def _finish_process_instance(self, root: ElementInstance, state: str) -> None:
        pi = self.process_instances[root.key]
        pi.state = state
        pi.ended_at = self.now()
        pi.final_variables = dict(root.variables)
        start_key = self._message_start_keys.pop(root.key, None)
        if start_key:
            # a buffered message held back by this instance may start the next one now, as in Zeebe
            self._steps.append(functools.partial(self._start_buffered, pi.bpmn_process_id, start_key))
        # whatever its element instances still wait on (each one's own keys: not a scan of every timer and
        # subscription of the engine, thousands of which may be waiting in other instances)
        for key in pi.element_keys:
            inst = self.element_instances.get(key)
            if inst is None:
                continue
            for timer_key in sorted(inst.timer_keys or ()):
                self._cancel_timer(timer_key)
            for sub_key in sorted(inst.subscription_keys or ()):
                self._close_subscription(sub_key)
            for signal_key in sorted(inst.signal_subscription_keys or ()):
                self._close_signal_subscription(signal_key)
        self._finished_instances.append(root.key)
        if state == COMPLETED and pi.parent_element_instance_key is not None:
            variables = copy.deepcopy(root.variables)
            self._steps.append(
                functools.partial(self._called_process_completed, pi.parent_element_instance_key, variables)
            )
        self._archive_elements(pi)

    def _archive_elements(self, pi: ProcessInstance) -> None:
        """Moves the element instances of a process instance that has ended out of the live state into the
        archive, as plain tuples: the live state stays as small as what runs, and finished instances leave no
        objects behind for the cyclic garbage collector to traverse again and again."""
        live = self.element_instances
        archive = self._archive
        for key in pi.element_keys:
            inst = live.get(key)
            if inst is not None and (inst.state is ElementState.COMPLETED or inst.state is ElementState.TERMINATED):
                del live[key]
                archive[key] = FinishedElement.of(inst)
        pi.element_keys.clear()
