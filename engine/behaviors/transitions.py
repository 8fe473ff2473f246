"""The token flow: activating, completing and terminating element instances, taking sequence flows, completing
scopes – what every element kind shares (Zeebe's BpmnStateTransitionBehavior); what differs per kind is in the
element processors of engine/bpmn, which this calls through the tables of engine/bpmn/registry.py.

The executor's hot path: per element, an activation queued in its scope, an instance created, its activation
behaviour, its completion and the flows it takes – every state change an event written through the writer."""

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from engine.behaviors.incidents import ACTIVATE, COMPLETE, IncidentBehavior
from engine.behaviors.jobs import JobBehavior
from engine.behaviors.listeners import END_LISTENERS, START_LISTENERS, ExecutionListenerBehavior
from engine.behaviors.subscriptions import SubscriptionBehavior
from engine.behaviors.variables import VariableBehavior, path_root
from engine.events.appliers import Appliers
from engine.expressions import ExpressionError, Expressions, Suspended
from engine.model import FlowNode, Kind, ListenerEvent, ProcessModel
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import (
    ElementInstance,
    ElementState,
    EventTrigger,
    IncidentState,
    UserTask,
    UserTaskState,
)

if TYPE_CHECKING:
    from engine.behaviors.compensation import CompensationBehavior
    from engine.bpmn.registry import Processors

_ACTIVATED = ElementState.ACTIVATED
_ACTIVATING = ElementState.ACTIVATING
_COMPLETING = ElementState.COMPLETING
_TERMINATING = ElementState.TERMINATING
_TERMINATED = ElementState.TERMINATED
_TASK_CANCELING = UserTaskState.CANCELING
_CANCELING = ListenerEvent.CANCELING
_LIVE_STATES = (ElementState.ACTIVATED, ElementState.ACTIVATING, ElementState.COMPLETING)
_BODY = Kind.MULTI_INSTANCE_BODY
_PROCESS = Kind.PROCESS
_PARALLEL = Kind.PARALLEL_GATEWAY
_INCLUSIVE = Kind.INCLUSIVE_GATEWAY
_ESP = Kind.EVENT_SUB_PROCESS
# the incident phase of task listeners (engine/behaviors/task_listeners.py TASK_LISTENERS)
_TASK_LISTENERS = "task-listeners"
_AD_HOC = Kind.AD_HOC_SUB_PROCESS
_INNER = Kind.AD_HOC_INNER_INSTANCE
# an empty list that is never changed: no flows, no output values
_NONE: list[Any] = []

# the options of a queued activation (see `activate`)
Options = dict[str, Any]


class Transitions:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        steps: Steps,
        expressions: Expressions,
        variables: VariableBehavior,
        incidents: IncidentBehavior,
        subscriptions: SubscriptionBehavior,
        jobs: JobBehavior,
        listeners: ExecutionListenerBehavior,
    ) -> None:
        self._state = state
        self._w = writer
        self._steps = steps
        self._queue = steps.queue
        self._pending = steps.pending
        self._expressions = expressions
        self._variables = variables
        self._incidents = incidents
        self._subscriptions = subscriptions
        self._jobs = jobs
        self.listeners = listeners
        listeners.transitions = self
        self._keys = state.keys
        self._live = state.instances.live
        self._definitions = state.deployments.definitions
        self._triggers = state.flow.triggers
        self._compensations = state.compensations
        self.compensation: CompensationBehavior  # set by build_behaviors (`use_compensation`)
        # what an element may wait on, by element key (close_waits): looked up for every element that ends
        self._waits = (
            state.jobs.by_element,
            state.user_tasks.by_element,
            state.timers.by_element,
            state.messages.by_element,
            state.signals.by_element,
        )
        self._subscription_waits = self._waits[2:]
        self.processors: Processors  # set by the registry (`use`) once the element processors exist
        self._activation: dict[str, Callable[[ElementInstance, FlowNode], None]] = {}
        self._selection: dict[str, Callable[[ElementInstance, FlowNode], list[str]]] = {}
        # called when a process instance has ended, with its state and the correlation key of the message that
        # started it (result waiters, the next buffered start message, a call activity waiting for it)
        self.on_process_ended: Callable[[ElementInstance, str, str | None], None] | None = None
        # called when a user task is canceled with its element (whoever waits for its transition is told)
        self.task_canceled: Callable[[UserTask], None] | None = None
        # creates the first canceling task listener's job of a user task's element being terminated
        self.start_canceling: Callable[[ElementInstance, FlowNode], None] | None = None
        # what a scope may go on with once the children it terminated have ended (`await_terminations`), by kind;
        # the element processors and behaviours add theirs
        self.continuations: dict[str, Callable[..., None]] = {"activate": self._activate_after_terminations}
        for method in (
            self.run_scheduled,
            self.check_scope_done,
            self.run_activation,
            self.run_completion,
            self.resume_activation,
            self.resume_completion,
            self.resume_after_start_listeners,
        ):
            steps.register(method)
        # bound once: a queued step is a partial of one of these (a bound method made per step costs an object)
        self._run_scheduled = self.run_scheduled
        self._check_scope_done = self.check_scope_done

    def use(self, processors: "Processors") -> None:
        """The element processors: the activation behaviour and the flow selection of each kind."""
        self.processors = processors
        self._activation = processors.activation
        self._selection = processors.flow_selection

    def use_compensation(self, compensation: "CompensationBehavior") -> None:
        """Compensation (engine/behaviors/compensation.py): told when an activity completes, when a handler completes
        and when a process instance ends; it activates handlers and completes throw events through this."""
        self.compensation = compensation
        self._compensations = self._state.compensations
        compensation.schedule_activation = self.schedule_activation
        compensation.complete = self.complete

    def model_of(self, inst: ElementInstance) -> ProcessModel:
        return self._definitions[inst.process_definition_key].model

    def node_of(self, inst: ElementInstance) -> FlowNode:
        return self._definitions[inst.process_definition_key].model.elements[inst.element_id]

    # ================================================================== activation
    def schedule_activation(self, node: FlowNode, scope: ElementInstance, **options: Any) -> None:
        """Queues the activation of `node` in `scope`; until it runs, the scope counts it as a token, so the scope
        cannot complete between an element completing and its successor being activated. Options: see
        `activate`."""
        if not options:
            self._schedule(node, scope)
            return
        targets = self._pending.get(scope.key)
        if targets is None:
            self._pending[scope.key] = {node.id: 1}
        else:
            targets[node.id] = targets.get(node.id, 0) + 1
        self._queue.append(functools.partial(self._run_scheduled, node, scope, options))

    def _schedule(self, node: FlowNode, scope: ElementInstance) -> None:
        """schedule_activation without options."""
        targets = self._pending.get(scope.key)
        if targets is None:
            self._pending[scope.key] = {node.id: 1}
        else:
            targets[node.id] = targets.get(node.id, 0) + 1
        self._queue.append(functools.partial(self._run_scheduled, node, scope))

    def run_scheduled(self, node: FlowNode, scope: ElementInstance, options: Options | None = None) -> None:
        targets = self._pending[scope.key]
        left = targets[node.id] - 1
        if left:
            targets[node.id] = left
        elif len(targets) == 1:
            del self._pending[scope.key]
        else:
            del targets[node.id]
        if options is None:
            self.activate(node, scope)
        else:
            self.activate(node, scope, **options)

    def activate(
        self,
        node: FlowNode,
        scope: ElementInstance,
        *,
        event_variables: dict[str, Any] | None = None,
        event_locals: dict[str, Any] | None = None,
        loop_counter: int | None = None,
        loop_item: tuple[str | None, Any] | None = None,
        triggered: bool = False,
        join: bool = False,
        key: int | None = None,
    ) -> None:
        """Activates `node` in `scope`: what an event delivered (`event_variables`, `event_locals`), the index and
        item of an inner instance of a multi-instance body, `triggered` for a catch event whose event already
        occurred, `join` for a token arriving at a joining inclusive gateway, the `key` given to it beforehand (a
        compensation handler's, named by its subscription when triggered)."""
        if scope.state not in _LIVE_STATES:
            return
        if join and not self.processors.inclusive_join_ready(node, scope):
            self.complete_scope_if_done(scope)  # this token is gone without an element
            return
        if node.loop is not None and loop_counter is None:
            body = self._w.element_activating(self._keys.next() if key is None else key, node, scope, body=True)
            self.processors.multi_instance.activate_body(body, node)
            return
        trigger = None
        if event_variables is not None or event_locals is not None or triggered:
            trigger = EventTrigger(event_variables, event_locals, triggered)
        inst = self._w.element_activating(
            self._keys.next() if key is None else key, node, scope, False, loop_counter, trigger, join
        )
        if loop_counter is not None:
            assert loop_item is not None
            name, item = loop_item
            if name:
                self._variables.set_local(inst, name, item)
            self._variables.set_local(inst, "loopCounter", loop_counter)
            output = path_root(node.loop.output_element) if node.loop else None
            if output:
                # Zeebe creates the output element's variable (the root of `=x` or `=x.y`) as a local
                # variable of each inner instance, so that parallel instances do not overwrite each other
                self._variables.set_local(inst, output, None)
        self.run_activation(inst, node)

    def run_activation(self, inst: ElementInstance, node: FlowNode | None = None, inputs: bool = True) -> None:
        """The element's input mappings (unless `inputs` is False: they were applied) and activation behaviour;
        re-run by resolving an incident raised here. Both evaluate every expression before they change anything,
        so a step suspended for an expression (engine/expressions.py) resumes where it stopped: before the input
        mappings, or after them."""
        if node is None:
            node = self.node_of(inst)
        try:
            if inputs and node.inputs:
                variables = self._variables
                context = variables.visible(inst)
                try:
                    values = variables.evaluate_mappings(node.inputs, context)
                except Suspended as suspended:
                    raise suspended.at(functools.partial(self.resume_activation, inst, True)) from None
                for target, value in values:
                    variables.set_local_path(inst, target, value)
            if not node.start_listeners:
                try:
                    self._activation[node.kind._value_](inst, node)
                except Suspended as suspended:
                    raise suspended.at(functools.partial(self.resume_activation, inst, False)) from None
                return
        except ExpressionError as exc:
            raise self._incidents.raise_(
                inst, "EXTRACT_VALUE_ERROR" if not node.inputs else "IO_MAPPING_ERROR", str(exc), ACTIVATE
            ) from None
        self.listeners.create(inst, node, ListenerEvent.START, 0)

    def after_start_listeners(self, inst: ElementInstance, node: FlowNode) -> None:
        """The element's behaviour, once its start listeners are done; an incident raised here runs them again when
        it is resolved, as Zeebe's does."""
        if inst.kind is _PROCESS:
            self.processors.process.resume_start(inst)
            return
        try:
            self._activation[node.kind._value_](inst, node)
        except Suspended as suspended:
            raise suspended.at(functools.partial(self.resume_after_start_listeners, inst, node)) from None
        except ExpressionError as exc:
            raise self._incidents.raise_(
                inst, "EXTRACT_VALUE_ERROR" if not node.inputs else "IO_MAPPING_ERROR", str(exc), START_LISTENERS
            ) from None

    def resume_after_start_listeners(self, inst: ElementInstance, node: FlowNode) -> None:
        """A step suspended in the behaviour that follows the start listeners goes on (unless the element was
        terminated meanwhile)."""
        if inst.state is _ACTIVATING:
            self.after_start_listeners(inst, node)

    def resume_activation(self, inst: ElementInstance, inputs: bool) -> None:
        """A step suspended in the activation of `inst` goes on (the element may have been terminated meanwhile)."""
        if inst.state is _ACTIVATING:
            self.run_activation(inst, inputs=inputs)

    def activated(self, inst: ElementInstance) -> None:
        self._w.element_activated(inst)

    def pass_through(self, inst: ElementInstance, node: FlowNode) -> None:
        """Activated and completed at once (tasks without behaviour, start events, gateways)."""
        writer = self._w
        writer.element_activated(inst)
        writer.element_completing(inst)  # as complete(inst, node=node)
        self.run_completion(inst, node)

    # ================================================================== completion
    def complete(
        self,
        inst: ElementInstance,
        *,
        take_flows: bool = True,
        node: FlowNode | None = None,
        trigger: EventTrigger | None = None,
        clear_scope_joins: bool = False,
    ) -> None:
        """Completes an element: its variables, output mappings, then its outgoing flows. `trigger`: what an event
        delivered, applied at completion."""
        if node is None:
            node = self.node_of(inst)
        self._w.element_completing(inst, trigger, clear_scope_joins)
        self.run_completion(inst, node, take_flows)

    def run_completion(self, inst: ElementInstance, node: FlowNode, take_flows: bool = True) -> None:
        """The completing phase; re-run by resolving an incident raised here."""
        kind = inst.kind
        scope = self._live[inst.flow_scope_key] if inst.flow_scope_key is not None else None
        is_body = kind is _BODY
        loop = node.loop
        loop_counter = inst.loop_counter
        outputs = node.outputs
        trigger = self._triggers.get(inst.key) if self._triggers else None
        output_values: list[tuple[str, Any]] = _NONE
        try:
            # an inner instance of an ad-hoc sub-process: what its sub-process decides when it completes
            ad_hoc_outcome = self.processors.ad_hoc.before_path_completed(inst) if kind is _INNER else None
            flows: list[str]
            if not take_flows or (node.link_target is not None and not is_body):
                flows = _NONE  # a link throw event goes on at its catch event only
            elif is_body:
                flows = node.outgoing
            else:
                select = self._selection.get(node.kind._value_)
                flows = node.outgoing if select is None else select(inst, node)
            element_output: Any = None
            wants_output = loop_counter is not None and loop is not None and loop.output_element
            if not is_body and (outputs or wants_output):
                context = self._variables.visible(inst)
                if trigger is not None:
                    if trigger.locals:
                        context.update(trigger.locals)
                    if trigger.variables:
                        context.update(trigger.variables)
                if outputs:
                    output_values = self._variables.evaluate_mappings(outputs, dict(context))
                if wants_output:
                    assert loop is not None and loop.output_element is not None
                    now = self._state.instant
                    assert now is not None
                    element_output = self._expressions.evaluate(loop.output_element, context, now)
        except ExpressionError as exc:
            raise self._incidents.raise_(
                inst, "EXTRACT_VALUE_ERROR" if not outputs else "IO_MAPPING_ERROR", str(exc), COMPLETE
            ) from None
        except Suspended as suspended:
            raise suspended.at(functools.partial(self.resume_completion, inst, node, take_flows)) from None
        # the decisions are made: from here on, what they change
        if ad_hoc_outcome is not None:
            self._w.element_completed(inst)
            assert scope is not None
            self.processors.ad_hoc.path_completed(scope, ad_hoc_outcome)
            return
        if trigger is not None and trigger.variables:
            variables = self._variables
            if outputs:
                for name, value in trigger.variables.items():
                    variables.set_local(inst, name, value)
            elif scope is not None and kind is not _PROCESS:
                variables.merge_propagating(inst, trigger.variables)
        if scope is not None:
            if output_values:
                set_path_propagating = self._variables.set_path_propagating
                for target, value in output_values:
                    set_path_propagating(scope, target, value)
            if loop is not None and loop.output_collection:
                variables = self._variables
                if is_body:
                    variables.set_propagating(scope, loop.output_collection, inst.variables.get(loop.output_collection))
                if loop_counter is not None:
                    collection = list(scope.variables.get(loop.output_collection) or [])
                    if loop_counter - 1 < len(collection):
                        collection[loop_counter - 1] = element_output
                    variables.set_local(scope, loop.output_collection, collection)
        key = inst.key
        for waits in self._waits:
            if key in waits:
                self.close_waits(inst)
                break
        if node.end_listeners and not is_body:
            self.listeners.create(inst, node, ListenerEvent.END, 0)
            return
        self._completed(inst, node, scope, flows, take_flows)

    def finish_completion(self, inst: ElementInstance, node: FlowNode) -> None:
        """The element completes once its end listeners are done (elements with end listeners choose no flows:
        gateways cannot have them)."""
        scope = self._live[inst.flow_scope_key] if inst.flow_scope_key is not None else None
        self._completed(inst, node, scope, node.outgoing if node.link_target is None else _NONE, True)

    def _completed(
        self, inst: ElementInstance, node: FlowNode, scope: ElementInstance | None, flows: list[str], take_flows: bool
    ) -> None:
        if inst.kind is _PROCESS:
            start_key = self._process_ending(inst)
            self._w.element_completed(inst)
            self._process_ended(inst, "COMPLETED", start_key)
            return
        compensations = self._compensations
        if node.compensation_handler is not None or (compensations.by_scope and inst.key in compensations.by_scope):
            self.compensation.completing(inst, node)
        self._w.element_completed(inst)
        if compensations.by_handler and inst.key in compensations.by_handler:
            self.compensation.handler_completed(inst)
        assert scope is not None
        if inst.loop_counter is not None:
            self.processors.multi_instance.inner_finished(scope, node, inst, completed=True)
            return
        if flows:
            model = self._definitions[inst.process_definition_key].model
            for flow_id in flows:
                self.take_flow(scope, flow_id, model)
        if take_flows and node.link_target is not None:
            # a link throw event continues at its catch event; no sequence flow is taken
            self.schedule_activation(self.model_of(inst).elements[node.link_target], scope)
        if node.kind is _ESP and node.interrupting:
            self.complete_scope_if_done(scope, force=True)
        elif scope.key not in self._pending:  # complete_scope_if_done(scope), inline
            self._queue.append(functools.partial(self._check_scope_done, scope, False))

    def resume_completion(self, inst: ElementInstance, node: FlowNode, take_flows: bool) -> None:
        """A step suspended in the completion of `inst` goes on (the element may have been terminated meanwhile)."""
        if inst.state is _COMPLETING:
            self.run_completion(inst, node, take_flows)

    def take_flow(self, scope: ElementInstance, flow_id: str, model: ProcessModel | None = None) -> None:
        if model is None:
            model = self.model_of(scope)
        flow = model.flows[flow_id]
        target = model.elements[flow.target]
        if len(target.incoming) > 1:
            if target.kind is _PARALLEL:
                joins = self._state.flow.joins.get(scope.key)
                tokens = joins.get(target.id) if joins is not None else None
                complete = all(
                    (tokens.get(f, 0) if tokens else 0) + (1 if f == flow_id else 0) > 0 for f in target.incoming
                )
                self._w.sequence_flow_taken(self._keys.next(), scope, flow_id, target, 2 if complete else 1)
                if complete:
                    self._schedule(target, scope)
                return
            if target.kind is _INCLUSIVE:
                self._w.sequence_flow_taken(self._keys.next(), scope, flow_id, target, 1)
                self.schedule_activation(target, scope, join=True)
                return
        self._w.sequence_flow_taken(self._keys.next(), scope, flow_id, target)
        self._schedule(target, scope)

    def complete_scope_if_done(self, scope: ElementInstance, *, force: bool = False) -> None:
        """Queues the check whether the scope has nothing left to do (then it completes).

        Not while activations queued in the scope are pending: each of them, when it runs, either creates an
        element (whose end queues this check again), finds the scope ended, or, as an inclusive join not ready
        yet, queues the check itself – a check queued now would find the scope busy."""
        if scope.key in self._pending and not force:
            return
        self._queue.append(functools.partial(self.check_scope_done, scope, force))

    def check_scope_done(self, scope: ElementInstance, force: bool) -> None:
        state = scope.state
        if state is not _ACTIVATED and state is not _ACTIVATING:
            return  # not active, or completing already
        if scope.children or scope.key in self._pending:
            return
        if not force and scope.key in self._state.flow.joins:
            return
        if scope.kind is _BODY or (scope.kind is _AD_HOC and not force):  # they decide when they complete
            return
        if state is _ACTIVATED:
            self.complete(scope)

    # ================================================================== termination
    def terminate(self, inst: ElementInstance, *, check_scope: bool = True, interrupted: bool = False) -> bool:
        """Terminates `inst`, its children and the instance a call activity created, innermost first. An explicit
        stack instead of recursion: a chain of call activities (a process calling itself) of any depth ends
        without exhausting Python's stack.

        A user task with `canceling` task listeners does not end at once (Zeebe 8.8's UserTaskProcessor.onTerminate
        returns AWAIT): its task is CANCELING while its listeners run, and it and every element above it that this
        terminates stay TERMINATING until the last listener is done (`finish_terminating`). Returns whether `inst`
        has ended; if not, a caller that goes on after the termination hands that on to `await_terminations`."""
        if not inst.state.is_active:
            return inst.state is _TERMINATED
        self._w.element_terminating(inst, interrupted)
        stack = [(inst, check_scope, self._inner_of(inst))]
        while stack:
            current, check, inner = stack[-1]
            child = next(inner, None)
            if child is not None:
                if child.state.is_active:
                    self._w.element_terminating(child, False)
                    stack.append((child, False, self._inner_of(child)))
                continue
            stack.pop()
            if self._holds(current) or self._starts_canceling(current):
                continue  # stays TERMINATING until what is inside it has ended
            self._terminated(current, check)
        return inst.state is _TERMINATED

    def _holds(self, inst: ElementInstance) -> bool:
        """Whether something inside `inst` is still terminating: a child, or the instance it called."""
        if inst.children:
            return True
        called_key = self._state.instances.called.get(inst.key)
        if called_key is None:
            return False
        called = self._live.get(called_key)
        return called is not None and called.state is _TERMINATING

    def _starts_canceling(self, inst: ElementInstance) -> bool:
        """A user task with canceling listeners: what it waited on is closed and its incidents resolved, its task
        becomes CANCELING and its first canceling listener's job is created (a step of its own: its type and retries
        are expressions); the element stays TERMINATING."""
        task_key = self._state.user_tasks.by_element.get(inst.key)
        if task_key is None:
            return False
        node = self.node_of(inst)
        if _CANCELING not in node.task_listeners:
            return False
        task = self._state.user_tasks.tasks[task_key]
        if not task.state.is_open or task.state is _TASK_CANCELING:
            return task.state is _TASK_CANCELING
        key = inst.key
        if key in self._state.jobs.by_element:
            self._jobs.cancel_of(inst)  # a listener job of the transition under way
        if self._subscriptions.has_waits(key):
            self._subscriptions.close_of(inst)
        self._incidents.resolve_of(inst)
        if self.task_canceled is not None:
            self.task_canceled(task)
        self._w.user_task_transition(task, _TASK_CANCELING, {})
        if self.start_canceling is not None:
            self.start_canceling(inst, node)
        return True

    def finish_terminating(self, inst: ElementInstance) -> None:
        """The canceling listeners of the user task of `inst` are done (its task CANCELED): `inst` ends, and so does
        every element above it that waited only for it (Zeebe's CONTINUE_TERMINATING_ELEMENT); the first one still
        active goes on with what it awaited (`await_terminations`)."""
        current: ElementInstance | None = inst
        while current is not None:
            outer = self._outer_of(current)
            self._terminated(current, False)
            if outer is None:
                return
            if outer.state is _TERMINATING:
                current = None if self._holds(outer) or self._starts_canceling(outer) else outer
                continue
            if outer.state.is_active:
                self._continue_after_terminations(outer)
            return

    def _outer_of(self, inst: ElementInstance) -> ElementInstance | None:
        """The flow scope of `inst`, or for a process instance created by a call activity, that call activity."""
        if inst.flow_scope_key is not None:
            return self._live.get(inst.flow_scope_key)
        if inst.kind is _PROCESS:
            pi = self._state.instances.process_instances[inst.key]
            if pi.parent_element_instance_key is not None:
                return self._live.get(pi.parent_element_instance_key)
        return None

    def await_terminations(self, scope: ElementInstance, continuation: list[Any]) -> None:
        """`scope` goes on with `continuation` ([kind, arguments…], a kind registered in `continuations`) once none of
        its children is terminating any more: at once if none is."""
        live = self._live
        if any(live[key].state is _TERMINATING for key in scope.children or ()):
            self._w.termination_awaited(scope, continuation)
        else:
            self.continuations[continuation[0]](scope, *continuation[1:])

    def _continue_after_terminations(self, scope: ElementInstance) -> None:
        live = self._live
        if any(live[key].state is _TERMINATING for key in scope.children or ()):
            return
        awaited = self._state.flow.awaiting.get(scope.key)
        if awaited:
            self._w.termination_continued(scope)
            for continuation in awaited:
                if scope.state.is_active:
                    self.continuations[continuation[0]](scope, *continuation[1:])
        self.complete_scope_if_done(scope)

    def _activate_after_terminations(
        self, scope: ElementInstance, element_id: str, variables: Any, locals_: Any
    ) -> None:
        """A continuation: an element (an interrupting boundary event) is activated with what its event delivered."""
        node = self.model_of(scope).elements[element_id]
        self.schedule_activation(node, scope, event_variables=variables, event_locals=locals_)

    def _inner_of(self, inst: ElementInstance) -> Iterator[ElementInstance]:
        """What ends with `inst`, in the order it ends: its children (newest first), then the process instance it
        created as a call activity."""
        live = self._live
        for child_key in sorted(inst.children or (), reverse=True):
            yield live[child_key]
        called_key = self._state.instances.called.get(inst.key)
        if called_key is not None:  # a call activity takes the instance it created with it
            called = live.get(called_key)
            if called is not None:
                yield called

    def _terminated(self, inst: ElementInstance, check_scope: bool) -> None:
        """`inst` ends once everything inside it has: what it waited on, its incidents, then its scope is told."""
        self.close_waits(inst)
        self._incidents.resolve_of(inst)
        if inst.kind is _PROCESS:
            start_key = self._process_ending(inst)
            self._w.element_terminated(inst)
            self._process_ended(inst, "TERMINATED", start_key)
            return
        self._w.element_terminated(inst)
        live = self._live
        scope = live.get(inst.flow_scope_key) if inst.flow_scope_key is not None else None
        if scope is None or not check_scope:
            return
        if inst.loop_counter is not None and scope.kind is _BODY:
            self.processors.multi_instance.inner_finished(scope, self.node_of(inst), inst, completed=False)
        elif scope.kind is _AD_HOC:
            self.processors.ad_hoc.child_terminated(scope)
        else:
            self.complete_scope_if_done(scope)

    def close_waits(self, inst: ElementInstance) -> None:
        """Removes what the element waited on: its job, user task, timers and subscriptions."""
        key = inst.key
        state = self._state
        if key in state.jobs.by_element:
            self._jobs.cancel_of(inst)
        task_key = state.user_tasks.by_element.get(key)
        if task_key is not None:
            task = state.user_tasks.tasks[task_key]
            if task.state.is_open:
                if self.task_canceled is not None:
                    self.task_canceled(task)
                self._w.user_task_canceled(task, inst)
        if self._subscriptions.has_waits(key):
            self._subscriptions.close_of(inst)

    def _process_ending(self, root: ElementInstance) -> str | None:
        """Before a process instance ends: closes whatever its element instances still wait on (each one's own: not
        a scan of every timer and subscription of the engine, thousands of which may be waiting in other
        instances). Returns the correlation key of the message that started it, if any."""
        instances = self._state.instances
        if self._compensations.by_process and root.key in self._compensations.by_process:
            self.compensation.process_ending(root)
        if not any(self._subscription_waits):  # nothing waits on a timer or a subscription anywhere
            return instances.message_start_keys.get(root.key)
        pi = instances.process_instances[root.key]
        live = self._live
        for key in pi.element_keys:
            inst = live.get(key)
            if inst is not None and self._subscriptions.has_waits(key):
                self._subscriptions.close_of(inst)
        return instances.message_start_keys.get(root.key)

    def _process_ended(self, root: ElementInstance, state: str, start_key: str | None) -> None:
        if self.on_process_ended is not None:
            self.on_process_ended(root, state, start_key)

    # ================================================================== incidents
    def retry(self, inst: ElementInstance, phase: str) -> None:
        """Resolving an incident raised in `phase` runs that phase of the element again (for a terminating user task,
        only its canceling listeners)."""
        if not inst.state.is_active and not (inst.state is _TERMINATING and phase == _TASK_LISTENERS):
            return
        node = self.node_of(inst)
        if phase == ACTIVATE:
            if inst.kind is _BODY:
                self.processors.multi_instance.activate_body(inst, node)
            elif inst.kind is _PROCESS and inst.state is _ACTIVATING:
                self.processors.process.resume_start(inst)  # its event sub-process starts, then its start elements
            elif inst.kind is _PROCESS or inst.state is _ACTIVATED:
                # (an incident of an earlier release, raised after the instance was activated)
                self._subscriptions.open_event_sub_processes(inst)
            else:
                self.run_activation(inst)
        elif phase == COMPLETE:
            if inst.kind is _BODY and inst.state is _ACTIVATED:
                self.processors.multi_instance.retry_inner_finished(inst, node)
            else:
                self.run_completion(inst, node)
        elif phase == START_LISTENERS:
            self.listeners.create(inst, node, ListenerEvent.START, 0)
        elif phase == END_LISTENERS:
            self.listeners.create(inst, node, ListenerEvent.END, 0)
        else:
            self.processors.retry_other(inst, node, phase)


def incident_is_active(state: EngineState, key: int | None) -> bool:
    return key is not None and state.incidents.incidents[key].state is IncidentState.ACTIVE
