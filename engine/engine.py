"""The engine: commands (deploy, create, jobs, messages, incidents, user tasks) and the BPMN executor.

Every command runs to completion synchronously on the event loop thread: it changes the state, follows
the tokens until each waits (a job, a timer, a message, a user task) and records every transition – in turns of
at most MAX_STEPS_PER_TURN steps, so an instance that loops without waiting cannot hold the loop.
Waiting callers (long-polling workers, job streams, CreateProcessInstanceWithResult) are woken after.

Here: the Engine class – its state, the history records, running a command and its steps, waking waiters. The rest
is in mixin classes Engine inherits, one module each (EngineBase in engine._base declares what they share):
variables, deployment, process_instances, element_instances; the executor in activation, completion and
termination; boundary_events, error_events (errors and escalations), signals, incidents, jobs, messages, timers
(timers and time), user_tasks; modification (modifying and migrating running instances).
"""

import asyncio
import contextlib
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterator
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
    _Interrupt,
)
from engine.activation import ActivationMixin
from engine.boundary_events import BoundaryEventsMixin
from engine.clock import Clock
from engine.completion import CompletionMixin
from engine.deployment import DeployedResource, Deployment, DeploymentMixin
from engine.element_instances import ElementInstancesMixin
from engine.error_events import ErrorEventsMixin
from engine.expressions import Expressions
from engine.feel import FeelEvaluator, default_evaluator
from engine.incidents import IncidentsMixin
from engine.jobs import ActivatedJob, JobsMixin, _JobStream
from engine.messages import MessagesMixin
from engine.model import FlowNode, ProcessModel, TimerType
from engine.modification import ModificationMixin
from engine.parser import BpmnParser
from engine.process_instances import ProcessInstancesMixin
from engine.signals import SignalsMixin
from engine.state import (
    ElementInstance,
    ElementState,
    Form,
    Incident,
    Job,
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
)
from engine.termination import TerminationMixin
from engine.timers import TimersMixin
from engine.timing import check_timer
from engine.user_tasks import UserTasksMixin
from engine.variables import VariablesMixin, parse_variables

# what other modules import from here (the engine's parts live in the mixin modules above)
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
    SignalsMixin,
    IncidentsMixin,
    JobsMixin,
    MessagesMixin,
    TimersMixin,
    UserTasksMixin,
    ModificationMixin,
):
    """A single-partition Zeebe-compatible process engine, in memory."""

    def __init__(self, *, clock: Clock | None = None, feel: FeelEvaluator | None = None) -> None:
        self.clock = clock or Clock()
        self.expressions = Expressions(feel or default_evaluator())
        self._parser = BpmnParser(self.expressions.check, check_timer)
        # deployed decisions (decision_store), the DMN parser and evaluator: engine/decisions/commands.py, a mixin of
        # DeploymentMixin
        self._init_decisions(self.expressions.feel)
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
    @property
    def unavailable(self) -> str | None:
        """Why the engine takes no commands now (None: it takes them); a durable engine says when its storage failed
        or it was stopped."""
        return None

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


_ = TimerType  # re-exported for callers that build timer definitions
