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
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine._base import (
    _DUE_COMPACT_MIN,
    _HISTORY_CHUNK,
    _RECORD_WIDTH,
    ACTIVE,
    COMPLETED,
    MAX_PROCESS_DEPTH,
    MAX_STEPS_PER_TURN,
    TERMINATED,
    _added,
    _Interrupt,
)
from engine.activation import ActivationMixin
from engine.boundary_events import BoundaryEventsMixin
from engine.clock import Clock, after
from engine.completion import CompletionMixin
from engine.deployment import DeployedResource, Deployment, DeploymentMixin
from engine.element_instances import ElementInstancesMixin
from engine.error_events import ErrorEventsMixin
from engine.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.expressions import ExpressionError, Expressions
from engine.feel import FeelEvaluator, default_evaluator
from engine.model import FlowNode, Kind, ProcessModel, TimerType
from engine.parser import BpmnParser
from engine.process_instances import ProcessInstancesMixin
from engine.state import (
    ElementInstance,
    ElementState,
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
from engine.termination import TerminationMixin
from engine.timing import TimerExpressionError, check_timer, first_due, next_cycle_due
from engine.variables import VariablesMixin, parse_variables

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
    ActivationMixin,
    CompletionMixin,
    ElementInstancesMixin,
    TerminationMixin,
    BoundaryEventsMixin,
    ErrorEventsMixin,
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


_ = TimerType  # re-exported for callers that build timer definitions
