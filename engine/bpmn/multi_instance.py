"""Multi-instance bodies: the input collection evaluated once, inner instances started in parallel or one after
another, the completion condition checked as each completes, the output collection gathered."""

import copy
import functools
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.behaviors.incidents import ACTIVATE, COMPLETE
from engine.bpmn.element import ElementProcessor
from engine.expressions import ExpressionError, Suspended
from engine.model import FlowNode
from engine.state.values import ElementInstance


class MultiInstanceProcessor(ElementProcessor):
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        super().__init__(behaviors)
        behaviors.steps.register(self.resume_completion_condition)
        behaviors.transitions.continuations["complete_body"] = self._complete_body

    def activate_body(self, body: ElementInstance, node: FlowNode) -> None:
        assert node.loop is not None
        subscriptions = self._subscriptions
        try:
            context = self._variables.visible(body)
            collection = self._expressions.array(node.loop.input_collection, context, self.now())
            opens = subscriptions.boundary_opens(body, node, context)
        except ExpressionError as exc:
            raise self.b.incidents.raise_(body, "EXTRACT_VALUE_ERROR", str(exc), ACTIVATE) from None
        except Suspended as suspended:
            raise suspended.at(functools.partial(self.b.transitions.retry, body, ACTIVATE)) from None
        for open_ in opens:
            open_()
        if node.loop.output_collection:
            self._variables.set_local(body, node.loop.output_collection, [None] * len(collection))
        self.b.writer.element_activated(body, collection)
        if not collection:
            self._transitions.complete(body)
            return
        if node.loop.sequential:
            self._start_inner(body, node, 0)
        else:
            for index in range(len(collection)):
                self._start_inner(body, node, index)

    def _complete_body(self, body: ElementInstance) -> None:
        """The body whose completion condition held completes once its inner instances have ended (a continuation:
        their canceling task listeners ran first)."""
        self._transitions.complete(body)

    def _start_inner(self, body: ElementInstance, node: FlowNode, index: int) -> None:
        assert node.loop is not None
        item = self._state.flow.bodies[body.key].collection[index]
        self._transitions.schedule_activation(
            node, body, loop_counter=index + 1, loop_item=(node.loop.input_element, item)
        )

    def inner_finished(self, body: ElementInstance, node: FlowNode, inner: ElementInstance, completed: bool) -> None:
        """An inner instance completed or was terminated (counted by its event)."""
        assert node.loop is not None
        found = self._state.flow.bodies.get(body.key)
        if found is None or not body.state.is_active or body.interrupted:
            return
        total = len(found.collection)
        live = self._state.instances.live
        active = len([k for k in body.children or () if live[k].state.is_active])
        if completed and node.loop.completion_condition:
            context = self._variables.visible(inner)
            context.update(
                numberOfInstances=total,
                numberOfActiveInstances=active,
                numberOfCompletedInstances=found.completed,
                numberOfTerminatedInstances=found.terminated,
                loopCounter=inner.loop_counter,
            )
            if self._completion_condition_holds(body, node, context):
                return
        self._go_on(body, node, active)

    def resume_completion_condition(self, body: ElementInstance, context: dict[str, Any]) -> None:
        """A step suspended at the completion condition goes on, with the variables the condition was evaluated
        with when an inner instance completed (the body may have ended meanwhile)."""
        if not body.state.is_active or body.interrupted or body.key not in self._state.flow.bodies:
            return
        node = self._transitions.node_of(body)
        if not self._completion_condition_holds(body, node, context):
            live = self._state.instances.live
            self._go_on(body, node, len([k for k in body.children or () if live[k].state.is_active]))

    def _completion_condition_holds(self, body: ElementInstance, node: FlowNode, context: dict[str, Any]) -> bool:
        """Evaluates the completion condition; when it holds, the body's other inner instances are terminated and
        the body completes."""
        assert node.loop is not None and node.loop.completion_condition is not None
        try:
            finished = self._expressions.boolean(node.loop.completion_condition, context, self.now())
        except ExpressionError as exc:
            raise self.b.incidents.raise_(body, "EXTRACT_VALUE_ERROR", str(exc), COMPLETE) from None
        except Suspended as suspended:
            step = functools.partial(self.resume_completion_condition, body, copy.deepcopy(context))
            raise suspended.at(step) from None
        if not finished:
            return False
        live = self._state.instances.live
        ended = True
        for key in sorted(body.children or ()):
            child = live[key]
            if child.state.is_active:
                ended = self._transitions.terminate(child, check_scope=False) and ended
        if ended:
            self._transitions.complete(body)
        else:  # canceling task listeners of inner instances run first
            self._transitions.await_terminations(body, ["complete_body"])
        return True

    def _go_on(self, body: ElementInstance, node: FlowNode, active: int) -> None:
        """After an inner instance ended (and the completion condition did not hold): the next inner instance of a
        sequential body, or the body's completion once every inner instance has ended (`active`: how many still
        run)."""
        assert node.loop is not None
        found = self._state.flow.bodies[body.key]
        total = len(found.collection)
        done = found.completed + found.terminated
        if node.loop.sequential and found.next_index < total:
            self._start_inner(body, node, found.next_index)
        elif done >= total and active == 0:
            self._transitions.complete(body)

    def retry_inner_finished(self, body: ElementInstance, node: FlowNode) -> None:
        """Resolving an incident of the completion condition: the body goes on as if it had held false."""
        found = self._state.flow.bodies[body.key]
        assert node.loop is not None
        total = len(found.collection)
        live = self._state.instances.live
        active = len([k for k in body.children or () if live[k].state.is_active])
        if node.loop.sequential and found.next_index < total:
            self._start_inner(body, node, found.next_index)
        elif active == 0:
            self._transitions.complete(body)
