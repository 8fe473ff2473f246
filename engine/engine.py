"""The engine: commands (deploy, create, jobs, messages, incidents, user tasks) and the BPMN executor.

Every command runs to completion synchronously on the event loop thread: it changes the state, follows
the tokens until each waits (a job, a timer, a message, a user task) and records every transition – in turns of
at most MAX_STEPS_PER_TURN steps, so an instance that loops without waiting cannot hold the loop.
Waiting callers (long-polling workers, job streams, CreateProcessInstanceWithResult) are woken after.
"""

import asyncio
import contextlib
import copy
import functools
import heapq
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine._base import (
    _ACTIVATING,
    _CHOOSING_KINDS,
    _DUE_COMPACT_MIN,
    _HISTORY_CHUNK,
    _LIVE_STATES,
    _RECORD_WIDTH,
    ACTIVE,
    COMPLETED,
    MAX_PROCESS_DEPTH,
    MAX_STEPS_PER_TURN,
    TERMINATED,
    _added,
    _Interrupt,
)
from engine.clock import Clock, after
from engine.deployment import DeployedResource, Deployment, DeploymentMixin
from engine.element_instances import ElementInstancesMixin
from engine.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.expressions import ExpressionError, Expressions
from engine.feel import FeelEvaluator, default_evaluator
from engine.model import BindingType, EventType, FlowNode, Kind, ProcessModel, TimerType, UserTaskDefinition
from engine.parser import BpmnParser
from engine.process_instances import ProcessInstancesMixin
from engine.state import (
    ElementInstance,
    ElementState,
    FinishedElement,
    Form,
    Incident,
    IncidentState,
    Job,
    JobState,
    KeyGenerator,
    Message,
    MessageStartSubscription,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Record,
    SignalSubscription,
    Timer,
    UserTask,
    UserTaskState,
)
from engine.timing import TimerExpressionError, check_timer, first_due, next_cycle_due
from engine.variables import VariablesMixin, _assign_path, _path_root, parse_variables

# what other modules import from here
__all__ = [
    "ACTIVE",
    "COMPLETED",
    "MAX_PROCESS_DEPTH",
    "MAX_STEPS_PER_TURN",
    "TERMINATED",
    "ActivatedJob",
    "DeployedResource",
    "Deployment",
    "Engine",
    "TimerType",
    "_JobStream",
    "parse_variables",
]


@dataclass(frozen=True)
class ActivatedJob:
    """A job as handed to a worker, with the variables it may read."""

    job: Job
    variables: dict[str, Any]


@dataclass
class _JobStream:
    job_type: str
    worker: str
    timeout_ms: int
    fetch_variables: list[str]
    queue: "asyncio.Queue[ActivatedJob]" = field(default_factory=asyncio.Queue)


class Engine(
    VariablesMixin,
    DeploymentMixin,
    ProcessInstancesMixin,
    ElementInstancesMixin,
):
    """A single-partition Zeebe-compatible process engine, in memory."""

    def __init__(self, *, clock: Clock | None = None, feel: FeelEvaluator | None = None) -> None:
        self.clock = clock or Clock()
        self.expressions = Expressions(feel or default_evaluator())
        self._parser = BpmnParser(self.expressions.check, check_timer)
        self.keys = KeyGenerator()
        self._positions = itertools.count(1)
        # state
        self.definitions: dict[int, ProcessDefinition] = {}
        self.forms: dict[int, Form] = {}
        self.process_instances: dict[int, ProcessInstance] = {}
        # the element instances of running process instances; when a process instance ends, its element
        # instances move to _archive as plain tuples (FinishedElement fields): read them with element_instance()
        # and all_element_instances()
        self.element_instances: dict[int, ElementInstance] = {}
        self._archive: dict[int, tuple[Any, ...]] = {}
        self._variable_keys: dict[tuple[int, str], int] = {}
        self._variables_by_key: dict[int, tuple[int, str]] = {}
        self.jobs: dict[int, Job] = {}
        self.timers: dict[int, Timer] = {}
        self.subscriptions: dict[int, MessageSubscription] = {}
        self.message_starts: list[MessageStartSubscription] = []
        self.signal_subscriptions: dict[int, SignalSubscription] = {}
        self.messages: dict[int, Message] = {}
        self.incidents: dict[int, Incident] = {}
        self.user_tasks: dict[int, UserTask] = {}
        # the history: the fields of each Record one after another in a flat list (no object per record for the
        # cyclic garbage collector to count and scan), sealed every _HISTORY_CHUNK fields into a tuple (of ints,
        # strings and datetimes: the collector stops tracking it, and full collections skip it)
        self._history: list[Any] = []
        self._history_chunks: list[tuple[Any, ...]] = []
        # scheduling
        self._due: list[tuple[datetime, int, str, int]] = []
        self._due_seq = itertools.count()
        self._due_compact_at = _DUE_COMPACT_MIN
        self._steps: deque[Callable[[], None]] = deque()
        self._running = False
        self.steps_deferred = False  # steps left for a later turn of the event loop (MAX_STEPS_PER_TURN)
        # waiters
        self._job_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._job_streams: dict[str, list[_JobStream]] = {}
        self._result_waiters: dict[int, list[asyncio.Future[ProcessInstance]]] = {}
        self._touched_job_types: set[str] = set()
        self._finished_instances: list[int] = []
        self._message_start_keys: dict[int, str] = {}  # instance → correlation key of its start message
        # the scheduler's wake-up: called after a command that made something due earlier than before, or that
        # fired what was due (the clock may have moved); not after every command – it would wake for nothing
        self.on_change: Callable[[], None] | None = None
        self._due_moved = False
        self.commands = 0
        self._command_time: datetime | None = None  # the instant of the command running now
        # what the gateway is doing, for wait_for_idle
        self.inflight = 0
        self.open_polls: dict[str, int] = {}
        self.last_poll: dict[str, float] = {}

    # ================================================================== helpers
    def now(self) -> datetime:
        """The clock's time; while a command runs, the instant it started: one command is one instant, so all
        its records carry one timestamp (and the clock is read once, not for every record)."""
        return self._command_time or self.clock.now()

    @property
    def records(self) -> list[Record]:
        """The history: every transition so far, oldest first (a new list on every read)."""
        return [Record._make(entry) for entry in self._history_entries()]

    def _history_entries(self) -> Iterator[tuple[Any, ...]]:
        """The history as tuples of Record's fields, oldest first."""
        for chunk in [*self._history_chunks, list(self._history)]:
            fields = iter(chunk)
            yield from zip(*[fields] * _RECORD_WIDTH, strict=False)  # consecutive groups of a record's fields

    def _record(
        self,
        value_type: str,
        intent: str,
        key: int,
        *,
        pi: int | None = None,
        element: ElementInstance | None = None,
    ) -> None:
        now = self._command_time or self.clock.now()
        if element is None:
            self._history += (next(self._positions), value_type, intent, key, now, pi, None, None, None)
        else:
            self._history += (
                next(self._positions),
                value_type,
                intent,
                key,
                now,
                element.process_instance_key,
                element.element_id,
                element.bpmn_element_type,
                element.flow_scope_key,
            )

    def _record_element(self, intent: str, inst: ElementInstance) -> None:
        """A PROCESS_INSTANCE record of an element instance (the executor writes several per element)."""
        self._history += (
            next(self._positions),
            "PROCESS_INSTANCE",
            intent,
            inst.key,
            self._command_time or self.clock.now(),
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )

    def _seal_history(self) -> None:
        if len(self._history) >= _HISTORY_CHUNK:
            self._history_chunks.append(tuple(self._history))
            self._history = []

    def _transition(self, inst: ElementInstance, state: ElementState) -> None:
        """The element enters `state`, recorded (as _record_element does, inlined: the executor's hottest call)."""
        inst.state = state
        self._history += (
            next(self._positions),
            "PROCESS_INSTANCE",
            state._value_,
            inst.key,
            self._command_time or self.clock.now(),
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )

    def _command(self, action: Callable[[], Any]) -> Any:
        """Runs one command and every step it causes, then wakes whoever waits on the result."""
        self.commands += 1
        outermost = self._command_time is None
        if outermost:
            self._command_time = self.clock.now()
        try:
            result = None
            with contextlib.suppress(_Interrupt):  # an incident was raised; the element waits for its resolution
                result = action()
            self._drain()
            self._wake()
            return result
        finally:
            if outermost:
                self._command_time = None

    def _drain(self) -> None:
        if self._running:
            return
        self._running = True
        steps = self._steps
        budget = MAX_STEPS_PER_TURN
        try:
            while steps:
                try:
                    while steps:
                        if budget <= 0:
                            if self._defer_steps():
                                return
                            budget = MAX_STEPS_PER_TURN  # no event loop to yield to: run on
                        budget -= 1
                        steps.popleft()()
                except _Interrupt:
                    pass  # an incident was raised in that step; the element waits for its resolution
        finally:
            self._running = False
            self._seal_history()

    def _defer_steps(self) -> bool:
        """Leaves the queued steps to a later turn of the running event loop (see MAX_STEPS_PER_TURN); False when
        no loop runs (the engine driven synchronously), and the steps run on."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not self.steps_deferred:
            self.steps_deferred = True
            loop.call_soon(self._resume_turn)
        return True

    def _resume_turn(self) -> None:
        """The event loop's callback for deferred steps."""
        self.resume_steps()

    def resume_steps(self) -> None:
        """Runs the steps a command left for this turn of the event loop (at most MAX_STEPS_PER_TURN again): a
        command of its own, so that the durable engine logs where the steps resumed among the other commands."""
        self.steps_deferred = False
        if self._steps:
            self._command(lambda: None)

    def _wake(self) -> None:
        for job_type in self._touched_job_types:
            self._offer_to_streams(job_type)
            for waiter in self._job_waiters.pop(job_type, []):
                if not waiter.done():
                    waiter.set_result(None)
        self._touched_job_types.clear()
        for pi_key in self._finished_instances:
            pi = self.process_instances[pi_key]
            for fut in self._result_waiters.pop(pi_key, []):
                if not fut.done():
                    fut.set_result(pi)
        self._finished_instances.clear()
        if self._due_moved:
            self._due_moved = False
            if self.on_change is not None:
                self.on_change()

    def _schedule_due(self, due: datetime, kind: str, key: int) -> None:
        entry = (due, next(self._due_seq), kind, key)
        heapq.heappush(self._due, entry)
        if self._due[0] is entry:  # earlier than anything the scheduler sleeps towards
            self._due_moved = True
        if len(self._due) >= self._due_compact_at:
            self._compact_due()

    def _compact_due(self) -> None:
        """Drops the entries that no longer count (the deadline of a job completed long before it, a cancelled
        timer): each would be skipped when it came due, but until then it stays in the heap – for a job, as long
        as its time-out, thousands a minute under load. Done when the heap has doubled since the last time."""
        self._due = [entry for entry in self._due if self._is_live(entry[2], entry[3], entry[0])]
        heapq.heapify(self._due)
        self._due_compact_at = max(_DUE_COMPACT_MIN, 2 * len(self._due))

    def definition(self, key: int) -> ProcessDefinition:
        return self.definitions[key]

    def model_of(self, inst: ElementInstance) -> ProcessModel:
        return self.definitions[inst.process_definition_key].model

    def node_of(self, inst: ElementInstance) -> FlowNode:
        return self.model_of(inst).elements[inst.element_id]

    # ================================================================== the executor: activation
    def _new_instance(self, node: FlowNode, scope: ElementInstance, kind: Kind | None = None) -> ElementInstance:
        key = self.keys.next()
        inst = ElementInstance(
            key,
            scope.process_instance_key,
            scope.process_definition_key,
            scope.bpmn_process_id,
            node.id,
            kind or node.kind,
            "MULTI_INSTANCE_BODY" if kind is Kind.MULTI_INSTANCE_BODY else node.bpmn_element_type,
            scope.key,
            ElementState.ACTIVATING,
            self._command_time or self.clock.now(),
        )
        self.element_instances[key] = inst
        self.process_instances[inst.process_instance_key].element_keys.append(key)
        if scope.children is None:
            scope.children = {key}
        else:
            scope.children.add(key)
        self._record_element(_ACTIVATING, inst)
        return inst

    def _schedule_activation(self, node: FlowNode, scope: ElementInstance, **options: Any) -> None:
        """Queues the activation of `node` in `scope`; until it runs, the scope counts it as a token, so the
        scope cannot complete between an element completing and its successor being activated."""
        scope.pending_activations += 1
        targets = scope.pending_targets
        targets[node.id] = targets.get(node.id, 0) + 1
        if options:
            self._steps.append(functools.partial(self._run_scheduled, node, scope, options))
        else:
            self._steps.append(functools.partial(self._run_scheduled, node, scope))

    def _run_scheduled(self, node: FlowNode, scope: ElementInstance, options: dict[str, Any] | None = None) -> None:
        scope.pending_activations -= 1
        targets = scope.pending_targets
        left = targets[node.id] - 1
        if left:
            targets[node.id] = left
        else:
            del targets[node.id]
        if options is None:
            self._activate(node, scope)
        else:
            self._activate(node, scope, **options)

    def _activate(
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
    ) -> None:
        if scope.state not in _LIVE_STATES:
            return
        if join and not self._inclusive_join_ready(node, scope):
            self._complete_scope_if_done(scope)  # this token is gone without an element
            return
        if node.loop is not None and loop_counter is None:
            body = self._new_instance(node, scope, Kind.MULTI_INSTANCE_BODY)
            self._activate_body(body, node)
            return
        inst = self._new_instance(node, scope)
        if event_variables is not None:
            inst.event_variables = event_variables
        if event_locals is not None:
            inst.event_locals = event_locals
        if triggered:
            inst.triggered = True
        if loop_counter is not None:
            inst.loop_counter = loop_counter
            assert loop_item is not None
            name, item = loop_item
            if name:
                self._set_local(inst, name, item)
            self._set_local(inst, "loopCounter", loop_counter)
            output = _path_root(node.loop.output_element) if node.loop else None
            if output:
                # Zeebe creates the output element's variable (the root of `=x` or `=x.y`) as a local
                # variable of each inner instance, so that parallel instances do not overwrite each other
                self._set_local(inst, output, None)
        self._run_activation(inst, node)

    def _run_activation(self, inst: ElementInstance, node: FlowNode | None = None) -> None:
        """The element's activation behaviour; re-run by resolving an incident raised here."""
        if node is None:
            node = self.node_of(inst)
        try:
            if node.inputs:
                context = self.visible_variables(inst)
                for target, value in self._evaluate_mappings(inst, node.inputs, context):
                    self._set_local_path(inst, target, value)
            _ACTIVATION.get(node.kind._value_, Engine._activate_pass_through)(self, inst, node)
        except ExpressionError as exc:
            self._raise_incident(
                inst, "EXTRACT_VALUE_ERROR" if not node.inputs else "IO_MAPPING_ERROR", str(exc), "activate"
            )

    def _set_local_path(self, inst: ElementInstance, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self._set_local(inst, head, value)
            return
        current = inst.variables.get(head)
        container = dict(current) if isinstance(current, dict) else {}
        _assign_path(container, rest, value)
        self._set_local(inst, head, container)

    def _mark_activated(self, inst: ElementInstance) -> None:
        self._transition(inst, ElementState.ACTIVATED)

    def _activate_pass_through(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        self._complete(inst, node=node)

    def _activate_job_task(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.job is not None
        context = self.visible_variables(inst)
        job_type = self.expressions.string(node.job.type, context, self.now())
        retries = self.expressions.integer(node.job.retries, context, self.now())
        headers = dict(node.headers)
        if node.user_task is not None:  # a job-based user task
            headers.update(self._job_user_task_headers(inst, node.user_task, context))
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        key = self.keys.next()
        job = Job(
            key=key,
            type=job_type,
            process_instance_key=inst.process_instance_key,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            bpmn_process_id=inst.bpmn_process_id,
            process_definition_key=inst.process_definition_key,
            process_definition_version=self.definitions[inst.process_definition_key].version,
            custom_headers=headers,
            retries=retries,
            state=JobState.ACTIVATABLE,
            created_at=self.now(),
        )
        self.jobs[key] = job
        inst.job_key = key
        self._record("JOB", "CREATED", key, element=inst)
        self._touched_job_types.add(job_type)

    def _activate_script(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.script is not None
        context = self.visible_variables(inst)
        value = self.expressions.evaluate("=" + node.script.expression, context, self.now())
        self._mark_activated(inst)
        inst.event_variables = {node.script.result_variable: value}
        self._complete(inst, node=node)

    def _linked_form_key(self, inst: ElementInstance, form_id_text: str, context: dict[str, Any]) -> int:
        """The key of the latest deployed form with the (evaluated) id; FORM_NOT_FOUND if there is none."""
        form_id = self.expressions.string(form_id_text, context, self.now())
        form = self.latest_form(form_id)
        if form is None:
            self._raise_incident(
                inst,
                "FORM_NOT_FOUND",
                f"Expected to find a form with id '{form_id}', but no form with this id is found, "
                "at least a form with this id should be available. To resolve the Incident please deploy "
                "a form with the same id",
                "activate",
            )
        assert form is not None
        return form.key

    def _job_user_task_headers(
        self, inst: ElementInstance, definition: UserTaskDefinition, context: dict[str, Any]
    ) -> dict[str, str]:
        """The io.camunda.zeebe:* headers of a job-based user task, evaluated on activation as Zeebe does:
        candidate groups and users as a JSON list literal, a linked form (formId) as its form key."""
        now = self.now()
        headers: dict[str, str] = {}
        for header, text in (
            ("io.camunda.zeebe:assignee", definition.assignee),
            ("io.camunda.zeebe:dueDate", definition.due_date),
            ("io.camunda.zeebe:followUpDate", definition.follow_up_date),
        ):
            value = self.expressions.string(text, context, now) if text else ""
            if value:
                headers[header] = value
        for header, text in (
            ("io.camunda.zeebe:candidateGroups", definition.candidate_groups),
            ("io.camunda.zeebe:candidateUsers", definition.candidate_users),
        ):
            if text:
                values = self.expressions.string_list(text, context, now)
                headers[header] = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        if definition.form_id:
            headers["io.camunda.zeebe:formKey"] = str(self._linked_form_key(inst, definition.form_id, context))
        elif definition.external_form_reference:
            headers["io.camunda.zeebe:formKey"] = self.expressions.string(
                definition.external_form_reference, context, now
            )
        return headers

    def _activate_user_task(self, inst: ElementInstance, node: FlowNode) -> None:
        definition = node.user_task
        assert definition is not None
        context = self.visible_variables(inst)
        now = self.now()

        def opt_string(text: str | None) -> str | None:
            return self.expressions.string(text, context, now) if text else None

        assignee = opt_string(definition.assignee)
        groups = (
            self.expressions.string_list(definition.candidate_groups, context, now)
            if (definition.candidate_groups)
            else []
        )
        users = (
            self.expressions.string_list(definition.candidate_users, context, now)
            if (definition.candidate_users)
            else []
        )
        due_date = opt_string(definition.due_date)
        follow_up = opt_string(definition.follow_up_date)
        priority = self.expressions.integer(definition.priority, context, now) if definition.priority else 50
        form_key: int | None = None
        if definition.form_id:
            form_key = self._linked_form_key(inst, definition.form_id, context)
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        key = self.keys.next()
        task = UserTask(
            key=key,
            element_instance_key=inst.key,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            process_definition_version=self.definitions[inst.process_definition_key].version,
            bpmn_process_id=inst.bpmn_process_id,
            element_id=inst.element_id,
            name=node.name,
            state=UserTaskState.CREATED,
            creation_date=now,
            assignee=assignee or None,
            candidate_groups=groups,
            candidate_users=users,
            due_date=due_date,
            follow_up_date=follow_up,
            form_key=form_key,
            external_form_reference=opt_string(definition.external_form_reference),
            priority=priority,
            custom_headers=dict(node.headers),
        )
        self.user_tasks[key] = task
        inst.user_task_key = key
        self._record("USER_TASK", "CREATED", key, element=inst)

    def _activate_message_catch(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None and node.event.message is not None
        context = self.visible_variables(inst)
        name, key = self._subscription_target(node, context)
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        self._open_subscription(inst, node.id, name, key, interrupting=True)

    def _activate_timer_catch(self, inst: ElementInstance, node: FlowNode) -> None:
        context = self.visible_variables(inst)
        due, repetitions, cycle = self._timer_schedule(node, context)
        self._mark_activated(inst)
        self._add_timer(node.id, inst, inst.process_definition_key, due, repetitions, cycle)

    def _activate_catch_event(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if inst.triggered or node.event.type is EventType.LINK:
            # its event already occurred (it follows an event-based gateway), or a link throw event led here
            self._mark_activated(inst)
            self._complete(inst)
        elif node.event.type is EventType.TIMER:
            self._activate_timer_catch(inst, node)
        elif node.event.type is EventType.SIGNAL:
            name = self._signal_name(node, self.visible_variables(inst))
            self._mark_activated(inst)
            self._open_signal_subscription(inst, node.id, name, interrupting=True)
        else:
            self._activate_message_catch(inst, node)

    def _activate_throw_event(self, inst: ElementInstance, node: FlowNode) -> None:
        """Intermediate throw events: none and link (the link's catch event follows), signal, escalation."""
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            self._throw_signal(inst, node)
        elif node.event.type is EventType.ESCALATION:
            code = self._escalation_code(inst, node)
            self._mark_activated(inst)
            if not self._throw_escalation(inst, code):
                return  # an interrupting catch event terminates the thrower's scope
        else:
            self._mark_activated(inst)
        self._complete(inst)

    def _throw_signal(self, inst: ElementInstance, node: FlowNode) -> None:
        """Broadcasts the signal of a throw or end event with its local variables (its input mappings), as a
        follow-up of its activation, as Zeebe writes a BROADCAST command."""
        name = self._signal_name(node, self.visible_variables(inst))
        variables = copy.deepcopy(inst.variables)
        self._steps.append(functools.partial(self._broadcast_step, name, variables))
        self._mark_activated(inst)

    def _escalation_code(self, inst: ElementInstance, node: FlowNode) -> str:
        assert node.event is not None and node.event.escalation_code is not None
        return self.expressions.string(node.event.escalation_code, self.visible_variables(inst), self.now())

    def _activate_call_activity(self, inst: ElementInstance, node: FlowNode) -> None:
        """Creates an instance of the called process at its none start event (input mappings were applied)."""
        called = node.called
        assert called is not None
        context = self.visible_variables(inst)
        process_id = self.expressions.string(called.process_id, context, self.now())
        definition = self._called_definition(inst, process_id, called.binding_type, called.version_tag)
        if definition.model.root.none_start is None:
            self._raise_incident(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"Expected process with BPMN process id '{process_id}' to have a none start event, but not found.",
                "activate",
            )
        depth = 1
        pi = self.process_instances[inst.process_instance_key]
        while pi.parent_process_instance_key is not None:
            depth += 1
            pi = self.process_instances[pi.parent_process_instance_key]
        if depth >= MAX_PROCESS_DEPTH:
            self._raise_incident(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"The call activity has reached the maximum depth of {MAX_PROCESS_DEPTH}. This is likely due to a "
                "recursive call. Cancel the root process instance if this was unintentional. Otherwise, consider "
                "increasing the maximum depth, or use process instance modification to adjust the process instance.",
                "activate",
            )
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        if called.propagate_all_parent_variables:
            variables = copy.deepcopy(context)
        else:  # only the call activity's locals, i.e. what its input mappings created
            variables = copy.deepcopy(inst.variables) if node.inputs else {}
        root = definition.model.root
        assert root.none_start is not None
        self._start_instance(definition, variables, [root.none_start], parent=inst)

    def _called_definition(
        self, inst: ElementInstance, process_id: str, binding: BindingType, version_tag: str | None
    ) -> ProcessDefinition:
        """The process definition a call activity creates an instance of; CALLED_ELEMENT_ERROR if there is none."""
        found: ProcessDefinition | None
        if binding is BindingType.DEPLOYMENT:
            deployment_key = self.definitions[inst.process_definition_key].deployment_key
            found = next(
                (
                    d
                    for d in self.definitions.values()
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
                for d in self.definitions.values()
                if d.bpmn_process_id == process_id and d.model.version_tag == version_tag
            ]
            found = max(tagged, key=lambda d: d.version) if tagged else None
            message = (
                f"Expected to call process with BPMN process id '{process_id}' and version tag '{version_tag}', but no "
                "such process found. To resolve this incident, deploy a process with the given process id and "
                "version tag."
            )
        else:
            found = self.latest_definition(process_id)
            message = f"Expected process with BPMN process id '{process_id}' to be deployed, but not found."
        if found is None:
            self._raise_incident(inst, "CALLED_ELEMENT_ERROR", message, "activate")
        assert found is not None
        return found

    def _called_process_completed(self, call_key: int, variables: dict[str, Any]) -> None:
        """The instance a call activity created has completed: the call activity completes with its variables,
        unless propagateAllChildVariables is off and there are no output mappings (then they are dropped)."""
        call = self.element_instances.get(call_key)
        if call is None or call.state is not ElementState.ACTIVATED:
            return
        node = self.node_of(call)
        assert node.called is not None
        call.called_instance_key = None
        if node.outputs or node.called.propagate_all_child_variables:
            call.event_variables = variables
        self._complete(call)

    def _activate_event_gateway(self, inst: ElementInstance, node: FlowNode) -> None:
        """Waits for the first of the events after it: opens a timer, message or signal subscription for each."""
        model = self.model_of(inst)
        context = self.visible_variables(inst)
        opens: list[Callable[[], None]] = []
        for flow_id in node.outgoing:
            target = model.elements[model.flows[flow_id].target]
            assert target.event is not None
            if target.event.type is EventType.TIMER:
                due, repetitions, cycle = self._timer_schedule(target, context)
                opens.append(
                    functools.partial(
                        self._add_timer, target.id, inst, inst.process_definition_key, due, repetitions, cycle
                    )
                )
            elif target.event.type is EventType.MESSAGE:
                name, key = self._subscription_target(target, context)
                opens.append(functools.partial(self._open_subscription, inst, target.id, name, key, interrupting=True))
            else:
                signal = self._signal_name(target, context)
                opens.append(
                    functools.partial(self._open_signal_subscription, inst, target.id, signal, interrupting=True)
                )
        self._mark_activated(inst)
        for open_ in opens:
            open_()

    def _activate_sub_process(self, inst: ElementInstance, node: FlowNode) -> None:
        context = self.visible_variables(inst)
        self._open_boundary_events(inst, node, context)
        self._open_event_sub_processes(inst)
        self._mark_activated(inst)
        assert node.none_start is not None
        start = self.model_of(inst).elements[node.none_start]
        self._schedule_activation(start, inst)

    def _activate_event_sub_process(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        assert node.none_start is not None
        start = self.model_of(inst).elements[node.none_start]
        variables, locals_ = inst.event_variables, inst.event_locals
        inst.event_variables = inst.event_locals = None
        self._schedule_activation(start, inst, event_variables=variables, event_locals=locals_)

    def _activate_end_event(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            self._throw_signal(inst, node)
            self._complete(inst)
            return
        if node.event.type is EventType.ESCALATION:
            code = self._escalation_code(inst, node)
            self._mark_activated(inst)
            if self._throw_escalation(inst, code):
                self._complete(inst)
            return
        self._mark_activated(inst)
        if node.event.type is EventType.ERROR:
            assert node.event.error_code is not None
            self._throw_error(inst, node.event.error_code, "", {}, from_end_event=True)
            return
        if node.event.type is EventType.TERMINATE:
            scope = self.element_instances[inst.flow_scope_key or inst.process_instance_key]
            for child_key in sorted(scope.children or ()):
                child = self.element_instances[child_key]
                if child.key != inst.key and child.state.is_active:
                    self._terminate(child, check_scope=False)
            scope.join_tokens.clear()
            self._complete(inst, take_flows=False)
            return
        self._complete(inst, node=node)

    def _activate_gateway(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        self._complete(inst, node=node)

    # ---------------------------------------------------------------- multi-instance
    def _activate_body(self, body: ElementInstance, node: FlowNode) -> None:
        assert node.loop is not None
        try:
            context = self.visible_variables(body)
            collection = self.expressions.array(node.loop.input_collection, context, self.now())
            self._open_boundary_events(body, node, context)
        except ExpressionError as exc:
            self._raise_incident(body, "EXTRACT_VALUE_ERROR", str(exc), "activate")
        body.mi_collection = collection
        if node.loop.output_collection:
            self._set_local(body, node.loop.output_collection, [None] * len(collection))
        self._mark_activated(body)
        if not collection:
            self._complete(body)
            return
        if node.loop.sequential:
            self._start_inner(body, node, 0)
        else:
            for index in range(len(collection)):
                self._start_inner(body, node, index)

    def _start_inner(self, body: ElementInstance, node: FlowNode, index: int) -> None:
        assert node.loop is not None and body.mi_collection is not None
        body.mi_next_index = index + 1
        item = body.mi_collection[index]
        self._schedule_activation(node, body, loop_counter=index + 1, loop_item=(node.loop.input_element, item))

    def _inner_finished(self, body: ElementInstance, node: FlowNode, inner: ElementInstance, completed: bool) -> None:
        assert node.loop is not None and body.mi_collection is not None
        if completed:
            body.mi_completed += 1
        else:
            body.mi_terminated += 1
        if not body.state.is_active or body.interrupted:
            return
        total = len(body.mi_collection)
        done = body.mi_completed + body.mi_terminated
        active = len([k for k in body.children or () if self.element_instances[k].state.is_active])
        if completed and node.loop.completion_condition:
            context = self.visible_variables(inner)
            context.update(
                numberOfInstances=total,
                numberOfActiveInstances=active,
                numberOfCompletedInstances=body.mi_completed,
                numberOfTerminatedInstances=body.mi_terminated,
                loopCounter=inner.loop_counter,
            )
            try:
                finished = self.expressions.boolean(node.loop.completion_condition, context, self.now())
            except ExpressionError as exc:
                self._raise_incident(body, "EXTRACT_VALUE_ERROR", str(exc), "complete")
                return
            if finished:
                for key in sorted(body.children or ()):
                    child = self.element_instances[key]
                    if child.state.is_active:
                        self._terminate(child, check_scope=False)
                self._complete(body)
                return
        if node.loop.sequential and body.mi_next_index < total:
            self._start_inner(body, node, body.mi_next_index)
        elif done >= total and active == 0:
            self._complete(body)

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
            None,
            None,
            None,
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

    # ================================================================== termination
    def _terminate(self, inst: ElementInstance, *, check_scope: bool = True) -> None:
        if not inst.state.is_active:
            return
        inst.state = ElementState.TERMINATING
        self._record("PROCESS_INSTANCE", inst.state.value, inst.key, element=inst)
        for child_key in sorted(inst.children or (), reverse=True):
            self._terminate(self.element_instances[child_key], check_scope=False)
        if inst.called_instance_key is not None:  # a call activity takes the instance it created with it
            called = self.element_instances.get(inst.called_instance_key)
            inst.called_instance_key = None
            if called is not None:
                self._terminate(called, check_scope=False)
        self._close_waits(inst)
        if inst.incident_key is not None:
            incident = self.incidents[inst.incident_key]
            if incident.state is IncidentState.ACTIVE:
                incident.state = IncidentState.RESOLVED
                incident.resolved_at = self.now()
                self._record("INCIDENT", "RESOLVED", incident.key, element=inst)
            inst.incident_key = None
        inst.state = ElementState.TERMINATED
        inst.ended_at = self.now()
        self._record("PROCESS_INSTANCE", inst.state.value, inst.key, element=inst)
        if inst.kind is Kind.PROCESS:
            self._finish_process_instance(inst, TERMINATED)
            return
        scope = self.element_instances[inst.flow_scope_key] if inst.flow_scope_key is not None else None
        if scope is None:
            return
        if scope.children:
            scope.children.discard(inst.key)
        if inst.loop_counter is not None and scope.kind is Kind.MULTI_INSTANCE_BODY and check_scope:
            self._inner_finished(scope, self.node_of(inst), inst, completed=False)
        elif check_scope:
            self._complete_scope_if_done(scope)

    def _close_waits(self, inst: ElementInstance) -> None:
        """Removes what the element waited on: its job, user task, timers and subscriptions."""
        if inst.job_key is not None:
            job = self.jobs.pop(inst.job_key, None)
            if job is not None and job.state is not JobState.COMPLETED:
                job.state = JobState.CANCELED
                self._record("JOB", "CANCELED", job.key, element=inst)
            inst.job_key = None
        if inst.user_task_key is not None:
            task = self.user_tasks.get(inst.user_task_key)
            if task is not None and task.state is UserTaskState.CREATED:
                task.state = UserTaskState.CANCELED
                task.completion_date = self.now()
                self._record("USER_TASK", "CANCELED", task.key, element=inst)
        for timer_key in sorted(inst.timer_keys or ()):
            self._cancel_timer(timer_key)
        for sub_key in sorted(inst.subscription_keys or ()):
            self._close_subscription(sub_key)
        for signal_key in sorted(inst.signal_subscription_keys or ()):
            self._close_signal_subscription(signal_key)

    # ================================================================== boundary events and event sub-processes
    def _open_boundary_events(self, inst: ElementInstance, node: FlowNode, context: dict[str, Any]) -> None:
        """Opens the timers and subscriptions of the activity's boundary events (all evaluated first)."""
        if inst.loop_counter is not None:
            return  # the boundary events of a multi-instance activity belong to its body
        model = self.model_of(inst)
        timers: list[tuple[FlowNode, datetime, int | None, str | None]] = []
        messages: list[tuple[FlowNode, str, str]] = []
        signals: list[tuple[FlowNode, str]] = []
        for boundary_id in node.boundary_events:
            boundary = model.elements[boundary_id]
            assert boundary.event is not None
            if boundary.event.type is EventType.TIMER:
                due, repetitions, cycle = self._timer_schedule(boundary, context)
                timers.append((boundary, due, repetitions, cycle))
            elif boundary.event.type is EventType.MESSAGE:
                name, key = self._subscription_target(boundary, context)
                messages.append((boundary, name, key))
            elif boundary.event.type is EventType.SIGNAL:
                signals.append((boundary, self._signal_name(boundary, context)))
        for boundary, due, repetitions, cycle in timers:
            self._add_timer(boundary.id, inst, inst.process_definition_key, due, repetitions, cycle)
        for boundary, name, key in messages:
            self._open_subscription(inst, boundary.id, name, key, interrupting=boundary.cancel_activity)
        for boundary, name in signals:
            self._open_signal_subscription(inst, boundary.id, name, interrupting=boundary.cancel_activity)

    def _open_event_sub_processes(self, scope: ElementInstance) -> None:
        model = self.model_of(scope)
        node = model.elements[scope.element_id]
        if not node.event_sub_processes:
            return
        context = self.visible_variables(scope)
        opens: list[Callable[[], None]] = []
        try:
            for esp_id in node.event_sub_processes:
                esp = model.elements[esp_id]
                assert esp.none_start is not None
                start = model.elements[esp.none_start]
                assert start.event is not None
                if start.event.type is EventType.TIMER:
                    due, repetitions, cycle = self._timer_schedule(start, context)
                    opens.append(
                        functools.partial(
                            self._add_timer,
                            start.id,
                            scope,
                            scope.process_definition_key,
                            due,
                            repetitions,
                            cycle,
                        )
                    )
                elif start.event.type is EventType.MESSAGE:
                    name, key = self._subscription_target(start, context)
                    opens.append(
                        functools.partial(
                            self._open_subscription, scope, start.id, name, key, interrupting=esp.interrupting
                        )
                    )
                elif start.event.type is EventType.SIGNAL:
                    signal = self._signal_name(start, context)
                    opens.append(
                        functools.partial(
                            self._open_signal_subscription, scope, start.id, signal, interrupting=esp.interrupting
                        )
                    )
        except ExpressionError as exc:
            self._raise_incident(scope, "EXTRACT_VALUE_ERROR", str(exc), "activate")
        for open_ in opens:
            open_()

    def _trigger_event(
        self,
        host: ElementInstance,
        target_id: str,
        variables: dict[str, Any],
        locals_: dict[str, Any] | None = None,
    ) -> None:
        """A timer, message or error has arrived for `target_id` (boundary, catch event or event sub-process
        start) hosted by `host`."""
        model = self.model_of(host)
        target = model.elements[target_id]
        if host.kind is Kind.EVENT_BASED_GATEWAY:
            # the first event wins: the gateway completes (closing the other events' subscriptions) and the
            # process continues at that event, without taking the sequence flow to it (as in BPMN and Zeebe)
            scope = self.element_instances[host.flow_scope_key] if host.flow_scope_key is not None else None
            if scope is None or host.state is not ElementState.ACTIVATED:
                return
            self._schedule_activation(target, scope, event_variables=variables, event_locals=locals_, triggered=True)
            self._complete(host, take_flows=False)
            return
        if target.kind is Kind.BOUNDARY_EVENT:
            scope = self.element_instances[host.flow_scope_key] if host.flow_scope_key is not None else None
            if scope is None or not host.state.is_active:
                return
            if target.cancel_activity:
                host.interrupted = True
                self._terminate(host, check_scope=False)
            self._schedule_activation(target, scope, event_variables=variables, event_locals=locals_)
            return
        if (
            target.kind is Kind.START_EVENT
            and target.scope_id is not None
            and (model.elements[target.scope_id].kind is Kind.EVENT_SUB_PROCESS)
        ):
            esp = model.elements[target.scope_id]
            scope = host
            if not scope.state.is_active:
                return
            if esp.interrupting:
                for child_key in sorted(scope.children or ()):
                    child = self.element_instances[child_key]
                    if child.state.is_active:
                        self._terminate(child, check_scope=False)
                # the scope's own boundary events stay; its event sub-process starts close
                for timer_key in sorted(scope.timer_keys or ()):
                    if model.elements[self.timers[timer_key].target_element_id].kind is Kind.START_EVENT:
                        self._cancel_timer(timer_key)
                for sub_key in sorted(scope.subscription_keys or ()):
                    if model.elements[self.subscriptions[sub_key].target_element_id].kind is Kind.START_EVENT:
                        self._close_subscription(sub_key)
                for signal_key in sorted(scope.signal_subscription_keys or ()):
                    signal_target = self.signal_subscriptions[signal_key].target_element_id
                    if model.elements[signal_target].kind is Kind.START_EVENT:
                        self._close_signal_subscription(signal_key)
                scope.join_tokens.clear()
            inst = self._new_instance(esp, scope)
            inst.event_variables = variables
            inst.event_locals = locals_
            self._run_activation(inst)
            return
        # an intermediate catch event or a receive task completes
        if host.state is ElementState.ACTIVATED:
            host.event_variables = variables
            host.event_locals = locals_
            self._complete(host)

    # ================================================================== errors
    def _throw_error(
        self,
        thrower: ElementInstance,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        from_end_event: bool = False,
    ) -> bool:
        """Finds the nearest catching boundary or error event sub-process; returns False if none."""
        start: ElementInstance | None = self._enclosing(thrower) if from_end_event else thrower
        found = self._find_catch(start, EventType.ERROR, code)
        if found is None:
            self._raise_incident(
                thrower,
                "UNHANDLED_ERROR_EVENT",
                f"Expected to throw an error event with the code '{code}' with message '{message}', "
                "but it was not caught. No error events are available in the scope.",
                "error",
            )
            return False
        host, target_id = found
        locals_ = {"errorCode": code, "errorMessage": message}
        self._trigger_event(host, target_id, variables, locals_)
        return True

    def _enclosing(self, inst: ElementInstance) -> ElementInstance | None:
        """The flow scope of an element; for the root of an instance a call activity created, that call activity."""
        if inst.flow_scope_key is not None:
            return self.element_instances[inst.flow_scope_key]
        parent_key = self.process_instances[inst.process_instance_key].parent_element_instance_key
        return self.element_instances.get(parent_key) if parent_key is not None else None

    def _find_catch(
        self, start: ElementInstance | None, etype: EventType, code: str
    ) -> tuple[ElementInstance, str] | None:
        """The nearest error or escalation catch event for `code`, from `start` outwards, across call activities:
        in each element, its event sub-process starts and its boundary events (a multi-instance activity's
        belong to its body); one with the same code wins over a catch-all."""
        current = start
        while current is not None and current.state.is_active:
            model = self.model_of(current)
            node = model.elements[current.element_id]
            candidates: list[tuple[str, str | None]] = []
            if current.kind in (Kind.PROCESS, Kind.SUB_PROCESS, Kind.EVENT_SUB_PROCESS):
                for esp_id in node.event_sub_processes:
                    esp = model.elements[esp_id]
                    esp_start = model.elements[esp.none_start] if esp.none_start else None
                    if esp_start is not None and esp_start.event is not None and esp_start.event.type is etype:
                        candidates.append((esp_start.id, _catch_code(esp_start)))
            if current.loop_counter is None and current.kind is not Kind.PROCESS:
                for boundary_id in node.boundary_events:
                    boundary = model.elements[boundary_id]
                    if boundary.event is not None and boundary.event.type is etype:
                        candidates.append((boundary.id, _catch_code(boundary)))
            match = _best_error_match(candidates, code)
            if match is not None:
                return current, match
            current = self._enclosing(current)
        return None

    def _throw_escalation(self, thrower: ElementInstance, code: str) -> bool:
        """Escalates to the nearest catching boundary or escalation event sub-process. Returns whether the thrower
        goes on: yes unless an interrupting catch event caught it; an uncaught escalation is no incident."""
        found = self._find_catch(self._enclosing(thrower), EventType.ESCALATION, code)
        key = self.keys.next()
        if found is None:
            self._record("ESCALATION", "NOT_ESCALATED", key, element=thrower)
            return True
        host, target_id = found
        model = self.model_of(host)
        target = model.elements[target_id]
        if target.kind is Kind.BOUNDARY_EVENT:
            interrupting = target.cancel_activity
        else:
            interrupting = model.elements[target.scope_id or ""].interrupting
        self._record("ESCALATION", "ESCALATED", key, element=thrower)
        self._trigger_event(host, target_id, {})
        return not interrupting

    # ================================================================== signals
    def _signal_name(self, node: FlowNode, context: dict[str, Any]) -> str:
        assert node.event is not None and node.event.signal_name is not None
        return self.expressions.string(node.event.signal_name, context, self.now())

    def _open_signal_subscription(
        self,
        host: ElementInstance | None,
        target_id: str,
        name: str,
        *,
        interrupting: bool,
        definition: ProcessDefinition | None = None,
    ) -> None:
        """A subscription of a waiting element (host), or of a signal start event of a process (no host)."""
        key = self.keys.next()
        definition_key = host.process_definition_key if host is not None else definition.key if definition else 0
        sub = SignalSubscription(
            key=key,
            signal_name=name,
            process_definition_key=definition_key,
            bpmn_process_id=self.definitions[definition_key].bpmn_process_id,
            process_instance_key=host.process_instance_key if host is not None else None,
            element_instance_key=host.key if host is not None else None,
            target_element_id=target_id,
            interrupting=interrupting,
        )
        self.signal_subscriptions[key] = sub
        if host is not None:
            host.signal_subscription_keys = _added(host.signal_subscription_keys, key)
        self._record("SIGNAL_SUBSCRIPTION", "CREATED", key, pi=sub.process_instance_key)

    def _close_signal_subscription(self, key: int) -> None:
        sub = self.signal_subscriptions.pop(key, None)
        if sub is None:
            return
        if sub.element_instance_key is not None:
            host = self.element_instances.get(sub.element_instance_key)
            if host is not None and host.signal_subscription_keys:
                host.signal_subscription_keys.discard(key)
        self._record("SIGNAL_SUBSCRIPTION", "DELETED", key, pi=sub.process_instance_key)

    def broadcast_signal(self, name: str, variables: Mapping[str, Any]) -> int:
        """BroadcastSignal: triggers every subscription open now with this name (signals are not buffered)."""
        return self._command(lambda: self._broadcast(name, dict(variables)))  # type: ignore[no-any-return]

    def _broadcast_step(self, name: str, variables: dict[str, Any]) -> None:
        self._broadcast(name, variables)

    def _broadcast(self, name: str, variables: dict[str, Any]) -> int:
        key = self.keys.next()
        subscriptions = sorted(
            (s for s in self.signal_subscriptions.values() if s.signal_name == name), key=lambda s: s.key
        )
        self._record("SIGNAL", "BROADCASTED", key)
        for sub in subscriptions:
            if sub.key not in self.signal_subscriptions:
                continue
            if sub.element_instance_key is None:  # a signal start event: a new instance of that process
                definition = self.definitions[sub.process_definition_key]
                self._start_instance(
                    definition, {}, [sub.target_element_id], start_event_variables=copy.deepcopy(variables)
                )
                continue
            host = self.element_instances[sub.element_instance_key]
            if sub.interrupting:
                self._close_signal_subscription(sub.key)
            self._record("SIGNAL_SUBSCRIPTION", "TRIGGERED", sub.key, element=host)
            self._steps.append(
                functools.partial(self._trigger_event, host, sub.target_element_id, copy.deepcopy(variables))
            )
        return key

    # ================================================================== incidents
    def _raise_incident(
        self, inst: ElementInstance, error_type: str, message: str, phase: str, job: Job | None = None
    ) -> None:
        key = self.keys.next()
        incident = Incident(
            key=key,
            error_type=error_type,
            error_message=message,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            bpmn_process_id=inst.bpmn_process_id,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            job_key=job.key if job else None,
            state=IncidentState.ACTIVE,
            created_at=self.now(),
            phase=phase,
        )
        self.incidents[key] = incident
        inst.incident_key = key
        self._record("INCIDENT", "CREATED", key, element=inst)
        raise _Interrupt

    def resolve_incident(self, key: int) -> None:
        def action() -> None:
            incident = self.incidents.get(key)
            if incident is None or incident.state is not IncidentState.ACTIVE:
                raise NotFoundError(f"Expected to resolve incident with key '{key}', but no such incident was found")
            if incident.job_key is not None:
                job = self.jobs.get(incident.job_key)
                if job is not None and job.retries <= 0 and incident.phase == "job":
                    raise FailedPreconditionError(
                        f"Expected to resolve incident with key '{key}', but the job '{job.key}' has no retries "
                        "left; update the job's retries first"
                    )
            incident.state = IncidentState.RESOLVED
            incident.resolved_at = self.now()
            inst = self.element_instances[incident.element_instance_key]
            inst.incident_key = None
            self._record("INCIDENT", "RESOLVED", key, element=inst)
            if incident.job_key is not None:
                job = self.jobs.get(incident.job_key)
                if job is not None:
                    job.state = JobState.ACTIVATABLE
                    job.backoff_until = None
                    self._touched_job_types.add(job.type)
                return
            if not inst.state.is_active:
                return
            node = self.node_of(inst)

            def retry() -> None:
                if incident.phase == "activate":
                    if inst.kind is Kind.MULTI_INSTANCE_BODY:
                        self._activate_body(inst, node)
                    elif inst.kind is Kind.PROCESS or (inst.state is ElementState.ACTIVATED):
                        self._open_event_sub_processes(inst)
                    else:
                        self._run_activation(inst)
                elif incident.phase == "complete":
                    if inst.kind is Kind.MULTI_INSTANCE_BODY and inst.state is ElementState.ACTIVATED:
                        self._inner_finished_retry(inst, node)
                    else:
                        self._run_completion(inst, node)
                elif incident.phase == "error" and node.event is not None and node.event.error_code:
                    # an error end event throws again, as Zeebe re-activates it: caught now, or a new incident
                    self._throw_error(inst, node.event.error_code, "", {}, from_end_event=True)

            self._steps.append(retry)

        self._command(action)

    def _inner_finished_retry(self, body: ElementInstance, node: FlowNode) -> None:
        assert node.loop is not None and body.mi_collection is not None
        total = len(body.mi_collection)
        active = len([k for k in body.children or () if self.element_instances[k].state.is_active])
        if node.loop.sequential and body.mi_next_index < total:
            self._start_inner(body, node, body.mi_next_index)
        elif active == 0:
            self._complete(body)

    # ================================================================== jobs
    def activate_jobs(
        self, job_type: str, worker: str, timeout_ms: int, max_jobs: int, fetch_variables: list[str]
    ) -> list[ActivatedJob]:
        if not job_type.strip():
            raise InvalidArgumentError("Expected to activate jobs of a type, but the type is blank")
        if max_jobs < 1:
            raise InvalidArgumentError(f"Expected maxJobsToActivate to be greater than 0, but was {max_jobs}")
        if timeout_ms < 1:
            raise InvalidArgumentError(f"Expected the job timeout to be greater than 0 ms, but was {timeout_ms}")
        return self._command(  # type: ignore[no-any-return]
            lambda: self._activate_some(job_type, worker, timeout_ms, max_jobs, fetch_variables)
        )

    def _activatable(self, job_type: str) -> list[Job]:
        now = self.now()
        return [
            j
            for j in self.jobs.values()
            if j.type == job_type
            and j.state is JobState.ACTIVATABLE
            and (j.backoff_until is None or j.backoff_until <= now)
        ]

    def _activate_some(
        self, job_type: str, worker: str, timeout_ms: int, max_jobs: int, fetch_variables: list[str]
    ) -> list[ActivatedJob]:
        out: list[ActivatedJob] = []
        for job in self._activatable(job_type)[:max_jobs]:
            out.append(self._activate_job(job, worker, timeout_ms, fetch_variables))
        return out

    def _activate_job(self, job: Job, worker: str, timeout_ms: int, fetch_variables: list[str]) -> ActivatedJob:
        job.state = JobState.ACTIVATED
        job.worker = worker
        job.deadline = after(self.now(), timeout_ms)
        self._schedule_due(job.deadline, "job-deadline", job.key)
        inst = self.element_instances[job.element_instance_key]
        variables = self.visible_variables(inst)
        if fetch_variables:
            variables = {k: v for k, v in variables.items() if k in fetch_variables}
        self._record("JOB", "ACTIVATED", job.key, element=inst)
        return ActivatedJob(job, variables)

    def _job(self, key: int, verb: str) -> Job:
        job = self.jobs.get(key)
        if job is None:
            raise NotFoundError(f"Expected to {verb} job with key '{key}', but no such job was found")
        return job

    def complete_job(self, key: int, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            job = self._job(key, "complete")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to complete job with key '{key}', but it is in state '{job.state.value}'"
                )
            job.state = JobState.COMPLETED
            self._record("JOB", "COMPLETED", key, pi=job.process_instance_key)
            inst = self.element_instances[job.element_instance_key]
            del self.jobs[key]
            inst.job_key = None
            inst.event_variables = dict(variables)
            self._complete(inst)

        self._command(action)

    def fail_job(
        self, key: int, retries: int, error_message: str, backoff_ms: int, variables: Mapping[str, Any]
    ) -> None:
        def action() -> None:
            job = self._job(key, "fail")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to fail job with key '{key}', but it is in state '{job.state.value}'"
                )
            inst = self.element_instances[job.element_instance_key]
            if variables:
                for name, value in variables.items():
                    self._set_local(inst, name, value)
            job.retries = retries
            job.error_message = error_message
            job.worker = ""
            job.deadline = None
            job.backoff_until = None  # a job failed again while backing off follows the new back-off
            self._record("JOB", "FAILED", key, element=inst)
            if retries > 0:
                job.state = JobState.ACTIVATABLE
                if backoff_ms > 0:
                    job.backoff_until = after(self.now(), backoff_ms)
                    self._schedule_due(job.backoff_until, "job-backoff", key)
                else:
                    self._touched_job_types.add(job.type)
                return
            job.state = JobState.FAILED
            message = error_message or "No more retries left."
            with contextlib.suppress(_Interrupt):
                self._raise_incident(inst, "JOB_NO_RETRIES", message, "job", job)

        self._command(action)

    def throw_error(self, key: int, code: str, message: str, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            job = self._job(key, "throw an error for")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to throw an error for job with key '{key}', but it is in state '{job.state.value}'"
                )
            if not code.strip():
                raise InvalidArgumentError("Expected an error code, but it is blank")
            inst = self.element_instances[job.element_instance_key]
            job.state = JobState.ERROR_THROWN
            job.error_code = code
            job.error_message = message
            self._record("JOB", "ERROR_THROWN", key, element=inst)
            try:
                caught = self._throw_error(inst, code, message, dict(variables))
            except _Interrupt:
                caught = False
                incident = self.incidents[inst.incident_key] if inst.incident_key else None
                if incident is not None:
                    incident.job_key = job.key
            if caught:
                self.jobs.pop(key, None)

        self._command(action)

    def update_job_retries(self, key: int, retries: int) -> None:
        def action() -> None:
            job = self._job(key, "update retries of")
            if retries < 1:
                raise InvalidArgumentError(
                    f"Expected to update retries for job with key '{key}' with a positive amount of retries, "
                    f"but the amount given was '{retries}'"
                )
            job.retries = retries
            self._record("JOB", "RETRIES_UPDATED", key, pi=job.process_instance_key)

        self._command(action)

    def update_job_timeout(self, key: int, timeout_ms: int) -> None:
        def action() -> None:
            job = self._job(key, "update the timeout of")
            if job.state is not JobState.ACTIVATED:
                raise FailedPreconditionError(
                    f"Expected to update the timeout of job with key '{key}', but it is not activated"
                )
            job.deadline = after(self.now(), timeout_ms)
            self._schedule_due(job.deadline, "job-deadline", key)
            self._record("JOB", "TIMEOUT_UPDATED", key, pi=job.process_instance_key)

        self._command(action)

    # ---------------------------------------------------------------- job streams and waiters
    def poll_started(self, job_type: str) -> None:
        self.open_polls[job_type] = self.open_polls.get(job_type, 0) + 1
        self.last_poll[job_type] = time.monotonic()

    def poll_ended(self, job_type: str) -> None:
        self.open_polls[job_type] = max(0, self.open_polls.get(job_type, 0) - 1)
        self.last_poll[job_type] = time.monotonic()

    def job_types_with_workers(self, grace: float) -> set[str]:
        """Job types that a worker polls now or polled within the last `grace` seconds."""
        now = time.monotonic()
        return {t for t, n in self.open_polls.items() if n > 0} | {
            t for t, at in self.last_poll.items() if now - at <= grace
        }

    def add_job_waiter(self, job_type: str) -> "asyncio.Future[None]":
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._job_waiters.setdefault(job_type, []).append(fut)
        return fut

    def remove_job_waiter(self, job_type: str, fut: "asyncio.Future[None]") -> None:
        waiters = self._job_waiters.get(job_type, [])
        if fut in waiters:
            waiters.remove(fut)

    def open_job_stream(self, job_type: str, worker: str, timeout_ms: int, fetch_variables: list[str]) -> _JobStream:
        if not job_type.strip():
            raise InvalidArgumentError("Expected to stream jobs of a type, but the type is blank")
        if timeout_ms < 1:
            raise InvalidArgumentError(f"Expected the job timeout to be greater than 0 ms, but was {timeout_ms}")
        stream = _JobStream(job_type, worker, timeout_ms, fetch_variables)
        self._job_streams.setdefault(job_type, []).append(stream)
        self._touched_job_types.add(job_type)
        self._wake()
        return stream

    def close_job_stream(self, stream: _JobStream) -> None:
        """Closes a stream; jobs pushed to it but never sent are given back (activatable again at once)."""
        streams = self._job_streams.get(stream.job_type, [])
        if stream in streams:
            streams.remove(stream)

        def give_back() -> None:
            while not stream.queue.empty():
                job = self.jobs.get(stream.queue.get_nowait().job.key)
                if job is not None and job.state is JobState.ACTIVATED:
                    job.state = JobState.ACTIVATABLE
                    job.worker = ""
                    job.deadline = None
                    self._record("JOB", "YIELDED", job.key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)

        self._command(give_back)

    def _offer_to_streams(self, job_type: str) -> None:
        streams = self._job_streams.get(job_type)
        if not streams:
            return
        for job in self._activatable(job_type):
            stream = streams[0]
            streams.append(streams.pop(0))  # round robin
            stream.queue.put_nowait(self._activate_job(job, stream.worker, stream.timeout_ms, stream.fetch_variables))

    def has_stream(self, job_type: str) -> bool:
        return bool(self._job_streams.get(job_type))

    # ================================================================== messages
    def _subscription_target(self, node: FlowNode, context: dict[str, Any]) -> tuple[str, str]:
        assert node.event is not None and node.event.message is not None
        name = self.expressions.string(node.event.message.name, context, self.now())
        key_text = node.event.message.correlation_key or ""
        key = self.expressions.string(key_text, context, self.now(), allow_number=True) if key_text else ""
        return name, key

    def _open_subscription(
        self, host: ElementInstance, target_id: str, name: str, correlation_key: str, *, interrupting: bool
    ) -> None:
        key = self.keys.next()
        sub = MessageSubscription(
            key,
            name,
            correlation_key,
            host.process_instance_key,
            host.key,
            target_id,
            interrupting,
            self.now(),
        )
        self.subscriptions[key] = sub
        host.subscription_keys = _added(host.subscription_keys, key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CREATED", key, element=host)
        # a buffered message may already be waiting for it
        self._steps.append(lambda: self._correlate_buffered(sub))

    def _correlate_buffered(self, sub: MessageSubscription) -> None:
        if sub.key not in self.subscriptions:
            return
        now = self.now()
        bpmn_process_id = self.process_instances[sub.process_instance_key].bpmn_process_id
        for message in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                message.name == sub.message_name
                and message.correlation_key == sub.correlation_key
                and message.expires_at > now
                and bpmn_process_id not in message.correlated_process_ids  # once per process, as in Zeebe
            ):
                self._correlate(message, sub)
                return

    def _close_subscription(self, key: int) -> None:
        sub = self.subscriptions.pop(key, None)
        if sub is None:
            return
        host = self.element_instances.get(sub.element_instance_key)
        if host is not None and host.subscription_keys:
            host.subscription_keys.discard(key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "DELETED", key, pi=sub.process_instance_key)

    def _correlate(self, message: Message, sub: MessageSubscription) -> None:
        host = self.element_instances[sub.element_instance_key]
        message.correlated_process_instances.add(sub.process_instance_key)
        message.correlated_process_ids.add(host.bpmn_process_id)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CORRELATED", sub.key, element=host)
        if sub.interrupting:
            self._close_subscription(sub.key)
        variables = dict(message.variables)
        self._steps.append(lambda: self._trigger_event(host, sub.target_element_id, variables))

    def publish_message(
        self, name: str, correlation_key: str, ttl_ms: int, message_id: str, variables: Mapping[str, Any]
    ) -> int:
        def action() -> int:
            if not name.strip():
                raise InvalidArgumentError("Expected a message name, but it is blank")
            now = self.now()
            if message_id:
                for m in self.messages.values():
                    if (
                        m.message_id == message_id
                        and m.name == name
                        and m.correlation_key == correlation_key
                        and m.expires_at > now
                    ):
                        raise AlreadyExistsError(
                            f"Expected to publish a new message with id '{message_id}', but a message with that "
                            "id was already published"
                        )
            key = self.keys.next()
            message = Message(
                key,
                name,
                correlation_key,
                dict(variables),
                message_id,
                now,
                after(now, max(ttl_ms, 0)),
            )
            self._record("MESSAGE", "PUBLISHED", key)
            # Zeebe correlates a message only once per process (BPMN process id, across versions): of all the
            # instances of one process waiting for it, only the oldest subscription gets it
            by_process: dict[str, MessageSubscription] = {}
            for sub in sorted(self.subscriptions.values(), key=lambda s: s.key):
                if sub.message_name == name and sub.correlation_key == correlation_key:
                    pid = self.process_instances[sub.process_instance_key].bpmn_process_id
                    by_process.setdefault(pid, sub)
            for sub in by_process.values():
                self._correlate(message, sub)
            self._start_by_message(message)
            if ttl_ms > 0:
                self.messages[key] = message
                self._schedule_due(message.expires_at, "message-expiry", key)
            else:
                self._record("MESSAGE", "EXPIRED", key)
            return key

        return self._command(action)  # type: ignore[no-any-return]

    def _start_buffered(self, bpmn_process_id: str, correlation_key: str) -> None:
        """The oldest live buffered message with this key that a message start event of the process takes."""
        now = self.now()
        names = {s.message_name for s in self.message_starts if s.bpmn_process_id == bpmn_process_id}
        for message in sorted(self.messages.values(), key=lambda m: m.key):
            if (
                message.correlation_key == correlation_key
                and message.name in names
                and message.expires_at > now
                and bpmn_process_id not in message.correlated_process_ids
            ):
                self._start_by_message(message, only=bpmn_process_id)
                return

    def _start_by_message(self, message: Message, only: str | None = None) -> None:
        for start in list(self.message_starts):
            if start.message_name != message.name or start.bpmn_process_id in message.correlated_process_ids:
                continue
            if only is not None and start.bpmn_process_id != only:
                continue
            if message.correlation_key and any(
                self.process_instances[pi_key].bpmn_process_id == start.bpmn_process_id
                and key == message.correlation_key
                for pi_key, key in self._message_start_keys.items()
            ):
                continue
            definition = self.definitions[start.process_definition_key]
            message.correlated_process_ids.add(start.bpmn_process_id)
            pi = self._start_instance(
                definition, {}, [start.start_event_id], start_event_variables=dict(message.variables)
            )
            message.correlated_process_instances.add(pi.key)
            if message.correlation_key:
                # one active instance per correlation key and process, as in Zeebe
                self._message_start_keys[pi.key] = message.correlation_key

    # ================================================================== timers
    def _timer_schedule(self, node: FlowNode, context: dict[str, Any]) -> tuple[datetime, int | None, str | None]:
        assert node.event is not None and node.event.timer is not None
        timer = node.event.timer
        text = self.expressions.string(timer.expression, context, self.now())
        try:
            return first_due(timer.type, text, self.now())
        except TimerExpressionError as exc:
            raise ExpressionError(str(exc)) from None

    def _create_timer(
        self,
        node: FlowNode,
        definition: ProcessDefinition,
        host: ElementInstance | None,
        pi_key: int | None,
        context: dict[str, Any],
    ) -> None:
        try:
            due, repetitions, cycle = self._timer_schedule(node, context)
        except ExpressionError:
            return  # a start timer whose expression needs variables cannot be scheduled (refused at deploy)
        self._add_timer(node.id, host, definition.key, due, repetitions, cycle)

    def _add_timer(
        self,
        target_id: str,
        host: ElementInstance | None,
        definition_key: int,
        due: datetime,
        repetitions: int | None,
        cycle: str | None,
    ) -> None:
        key = self.keys.next()
        timer = Timer(
            key,
            definition_key,
            host.process_instance_key if host else None,
            host.key if host else None,
            target_id,
            due,
            repetitions,
            cycle,
        )
        self.timers[key] = timer
        if host is not None:
            host.timer_keys = _added(host.timer_keys, key)
        self._schedule_due(due, "timer", key)
        self._record("TIMER", "CREATED", key, pi=timer.process_instance_key)

    def _cancel_timer(self, key: int) -> None:
        timer = self.timers.pop(key, None)
        if timer is None:
            return
        if timer.element_instance_key is not None:
            host = self.element_instances.get(timer.element_instance_key)
            if host is not None and host.timer_keys:
                host.timer_keys.discard(key)
        self._record("TIMER", "CANCELED", key, pi=timer.process_instance_key)

    def _fire_timer(self, timer: Timer) -> None:
        self._record("TIMER", "TRIGGERED", timer.key, pi=timer.process_instance_key)
        remaining = None if timer.repetitions is None else timer.repetitions - 1
        next_due = None
        if timer.cycle is not None and (remaining is None or remaining > 0):
            next_due = next_cycle_due(timer.cycle, timer.due, self.now())
        host = self.element_instances.get(timer.element_instance_key) if timer.element_instance_key else None
        if next_due is not None:
            timer.due = next_due
            timer.repetitions = remaining
            self._schedule_due(next_due, "timer", timer.key)
        else:
            self.timers.pop(timer.key, None)
            if host is not None and host.timer_keys:
                host.timer_keys.discard(timer.key)
        if host is None:
            definition = self.definitions[timer.process_definition_key]
            self._start_instance(definition, {}, [timer.target_element_id])
            return
        self._trigger_event(host, timer.target_element_id, {})

    # ================================================================== time
    def next_due(self) -> datetime | None:
        while self._due:
            due, _, kind, key = self._due[0]
            if self._is_live(kind, key, due):
                return due
            heapq.heappop(self._due)
        return None

    def _is_live(self, kind: str, key: int, due: datetime) -> bool:
        if kind == "timer":
            timer = self.timers.get(key)
            return timer is not None and timer.due == due
        if kind == "job-deadline":
            job = self.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATED and job.deadline == due
        if kind == "job-backoff":
            job = self.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATABLE and job.backoff_until == due
        if kind == "message-expiry":
            return key in self.messages
        return False

    def process_due(self) -> int:
        """Fires everything due by the clock's now (timers in due order); returns how many fired."""
        fired = 0

        def action() -> None:
            nonlocal fired
            self._due_moved = True  # the scheduler plans its next wake-up anew
            now = self.now()
            while self._due and self._due[0][0] <= now:
                if fired >= MAX_STEPS_PER_TURN or self.steps_deferred:
                    break  # the rest stays due for the scheduler's next turn (a loop through a timer due at once)
                due, _, kind, key = heapq.heappop(self._due)
                if not self._is_live(kind, key, due):
                    continue
                fired += 1
                if kind == "timer":
                    timer = self.timers[key]
                    self._steps.append(functools.partial(self._fire_timer, timer))
                elif kind == "job-deadline":
                    job = self.jobs[key]
                    job.state = JobState.ACTIVATABLE
                    job.worker = ""
                    job.deadline = None
                    self._record("JOB", "TIMED_OUT", key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)
                elif kind == "job-backoff":
                    job = self.jobs[key]
                    job.backoff_until = None
                    self._record("JOB", "RECURRED_AFTER_BACKOFF", key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)
                elif kind == "message-expiry":
                    self.messages.pop(key, None)
                    self._record("MESSAGE", "EXPIRED", key)
                self._drain()

        self._command(action)
        return fired

    # ================================================================== user tasks
    def complete_user_task(self, key: int, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            task = self.user_tasks.get(key)
            # Zeebe removes a completed or canceled user task from its state: commands on it are NOT_FOUND
            if task is None or task.state is not UserTaskState.CREATED:
                raise NotFoundError(f"Expected to complete user task with key '{key}', but no such user task was found")
            task.state = UserTaskState.COMPLETED
            task.completion_date = self.now()
            inst = self.element_instances[task.element_instance_key]
            self._record("USER_TASK", "COMPLETED", key, element=inst)
            inst.user_task_key = None
            inst.event_variables = dict(variables)
            self._complete(inst)

        self._command(action)

    def assign_user_task(self, key: int, assignee: str | None, allow_override: bool = True) -> None:
        def action() -> None:
            task = self.user_tasks.get(key)
            if task is None or task.state is not UserTaskState.CREATED:
                raise NotFoundError(f"Expected to assign user task with key '{key}', but no such user task was found")
            if not allow_override and task.assignee and task.assignee != assignee:
                raise FailedPreconditionError(
                    f"Expected to assign user task with key '{key}', but it is already assigned to '{task.assignee}'"
                )
            task.assignee = assignee or None
            self._record("USER_TASK", "ASSIGNED", key, pi=task.process_instance_key)

        self._command(action)


def _catch_code(node: FlowNode) -> str | None:
    """The error or escalation code an event catches; None catches every one."""
    assert node.event is not None
    return node.event.error_code if node.event.type is EventType.ERROR else node.event.escalation_code


def _best_error_match(candidates: list[tuple[str, str | None]], code: str) -> str | None:
    for element_id, candidate in candidates:
        if candidate == code:
            return element_id
    for element_id, candidate in candidates:
        if candidate is None:
            return element_id
    return None


# by the Kind's plain string value: Enum members hash in Python, plain strings in C
_ACTIVATION: dict[str, Callable[[Engine, ElementInstance, FlowNode], None]] = {
    Kind.JOB_TASK.value: Engine._activate_job_task,
    Kind.SCRIPT_TASK.value: Engine._activate_script,
    Kind.USER_TASK.value: Engine._activate_user_task,
    Kind.RECEIVE_TASK.value: Engine._activate_message_catch,
    Kind.INTERMEDIATE_CATCH_EVENT.value: Engine._activate_catch_event,
    Kind.SUB_PROCESS.value: Engine._activate_sub_process,
    Kind.EVENT_SUB_PROCESS.value: Engine._activate_event_sub_process,
    Kind.END_EVENT.value: Engine._activate_end_event,
    Kind.EXCLUSIVE_GATEWAY.value: Engine._activate_gateway,
    Kind.PARALLEL_GATEWAY.value: Engine._activate_gateway,
    Kind.INCLUSIVE_GATEWAY.value: Engine._activate_gateway,
    Kind.EVENT_BASED_GATEWAY.value: Engine._activate_event_gateway,
    Kind.INTERMEDIATE_THROW_EVENT.value: Engine._activate_throw_event,
    Kind.CALL_ACTIVITY.value: Engine._activate_call_activity,
}


_ = TimerType  # re-exported for callers that build timer definitions
