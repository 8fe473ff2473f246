"""The engine: a single-partition Zeebe-compatible process engine, built as Zeebe's is.

A command (deploy, create an instance, complete a job, …) is processed into events: its processor
(engine/processing) checks it, decides what happens and writes events; the token flow it starts runs as follow-up
steps (engine/processing/steps.py) through the behaviour of each element kind (engine/bpmn) over shared behaviours
(engine/behaviors). The state (engine/state) changes only by applying events, through the appliers of
engine/events, which also append the history. Then the command is committed (durable mode: its events are logged,
engine/durable) and only then are its effects outside the engine made: jobs pushed to job streams, long polls and
result waiters woken, the scheduler told.

Here: the Engine class – building the parts, running a command, the public commands and the read-only views of the
state that the gateway, the REST API and the test API read.
"""

import asyncio
import concurrent.futures
import copy
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from engine.behaviors import build_behaviors
from engine.bpmn.registry import Processors
from engine.clock import Clock
from engine.decisions.evaluation import NO_KEY, DecisionEvaluation
from engine.dmn import DmnParser, feel_parser
from engine.errors import DeadlineExceededError, FailedPreconditionError, InvalidArgumentError
from engine.events.appliers import Appliers
from engine.expressions import Expressions, Suspended
from engine.feel import FeelEvaluator, default_evaluator
from engine.model import FlowNode, ProcessModel, TimerType
from engine.parser import BpmnParser
from engine.processing.decisions import DecisionOffLoop, DecisionProcessor
from engine.processing.deployment import DeployedResource, Deployment, DeploymentProcessor
from engine.processing.incidents import IncidentProcessor
from engine.processing.jobs import ActivatedJob, JobProcessor, JobStream
from engine.processing.messages import MessageProcessor
from engine.processing.modification import ActivateInstruction, ModificationProcessor
from engine.processing.process_instances import ProcessInstanceProcessor
from engine.processing.signals import SignalProcessor
from engine.processing.steps import MAX_STEPS_PER_TURN, Held, Interrupt, Steps
from engine.processing.timers import TimerProcessor
from engine.processing.user_tasks import UserTaskProcessor
from engine.processing.variables import VariableProcessor
from engine.processing.waiters import Waiters
from engine.state.decisions import DecisionsView
from engine.state.engine_state import EngineState
from engine.state.keys import KeyGenerator
from engine.state.values import (
    ElementInstance,
    FinishedElement,
    Form,
    Incident,
    Job,
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
from engine.timing import check_timer
from engine.variables import parse_variables

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
TERMINATED = "TERMINATED"

# what other modules import from here
__all__ = [
    "ACTIVE",
    "COMPLETED",
    "MAX_STEPS_PER_TURN",
    "TERMINATED",
    "ActivatedJob",
    "DeployedResource",
    "Deployment",
    "Engine",
    "JobStream",
    "TimerType",
    "parse_variables",
]


class Engine:
    """A single-partition Zeebe-compatible process engine, in memory (engine/durable: with a data directory)."""

    def __init__(self, *, clock: Clock | None = None, feel: FeelEvaluator | None = None) -> None:
        self.clock = clock or Clock()
        self.expressions = Expressions(feel or default_evaluator())
        self.state = EngineState(self._key_generator())
        self._appliers = self._make_appliers(self.state)
        self._steps = Steps()
        self._steps.resume = self.resume_steps
        self._steps.overrun = self.expressions.overrun
        self._steps.results = lambda: self.expressions.resumed
        self._behaviors = build_behaviors(self.state, self._appliers, self.expressions, self._steps)
        self._processors = Processors(self._behaviors)
        self._decisions = DecisionProcessor(self._behaviors, self._deploy_dmn_parser)
        self._deployments = DeploymentProcessor(self._behaviors, self._deploy_parser, self._decisions)
        self._process_instances = ProcessInstanceProcessor(self._behaviors)
        self._jobs = JobProcessor(self._behaviors)
        self._messages = MessageProcessor(self._behaviors)
        self._signals = SignalProcessor(self._behaviors)
        self._incidents = IncidentProcessor(self._behaviors)
        self._user_tasks = UserTaskProcessor(self._behaviors)
        self._variables = VariableProcessor(self._behaviors)
        self._timers = TimerProcessor(self._behaviors)
        self._modification = ModificationProcessor(self._behaviors)
        self._behaviors.transitions.on_process_ended = self._process_ended
        self._waiters = Waiters()
        self._touched = self._behaviors.jobs.touched_types
        # the scheduler's wake-up: called after a command that made something due earlier than before, or that
        # fired what was due (the clock may have moved); not after every command – it would wake for nothing
        self.on_change: Callable[[], None] | None = None
        self.commands = 0
        self._command_args: tuple[Any, ...] = ()  # the arguments of the command running now
        self._decisions_off_loop = 0  # EvaluateDecision requests waiting for their decision, evaluated off the loop

    # ------------------------------------------------------------------ parts durable mode replaces
    def _key_generator(self) -> KeyGenerator:
        return KeyGenerator()

    def _make_appliers(self, state: EngineState) -> Appliers:
        return Appliers(state, self._load_model)

    def _deploy_parser(self) -> BpmnParser:
        """The parser of a deployment: it checks every FEEL expression."""
        return BpmnParser(self.expressions.check, check_timer)

    def _deploy_dmn_parser(self) -> DmnParser:
        """The DMN parser of a deployment: it checks every FEEL expression and unary test (bounded)."""
        return feel_parser(self.expressions.feel)

    def _load_model(self, resource_name: str, content: bytes, bpmn_process_id: str) -> ProcessModel:
        """The model of a deployed process, parsed again from its resource (a recovery): not checked again."""
        models = BpmnParser(lambda _expression: None, check_timer).parse(resource_name, content)
        return next(m for m in models if m.bpmn_process_id == bpmn_process_id)

    def _commit(self, name: str) -> None:
        """Makes the command's events durable (nothing to do in memory); raising, the command is not acknowledged
        and none of its effects outside the engine happen."""

    @property
    def unavailable(self) -> str | None:
        """Why the engine takes no commands now (None: it takes them); a durable engine says when its storage failed
        or it was stopped."""
        return None

    # ================================================================== running a command
    def now(self) -> datetime:
        """The clock's time; while a command runs, the instant it started: one command is one instant, so all its
        records carry one timestamp."""
        return self.state.instant or self.clock.now()

    def _command(self, action: Callable[[], Any], name: str = "command", *args: Any) -> Any:
        """Runs one command: its action and every step it causes; commits it; then wakes whoever waits on it.
        `args`: the command's arguments, as the durable engine logs them with its events."""
        state = self.state
        if state.instant is not None:  # inside a command already: part of it
            return action()
        self._before_command()
        self._command_args = args
        self.commands += 1
        self.expressions.new_turn()
        state.instant = self.clock.now()
        failure: BaseException | None = None
        result = None
        try:
            try:
                result = action()
            except Interrupt:
                pass  # an incident was raised; the element waits for its resolution
            except Suspended as suspended:  # an expression goes on off the event loop; its step waits for it
                self._steps.suspend(suspended, self.expressions.resumed)
            self._steps.drain()
            self._jobs.offer_to_streams()
        except BaseException as exc:  # answered after the commit of what it wrote
            failure = exc
        finally:
            state.history.seal()
            try:
                self._commit(name)
            except BaseException:
                self._discard_effects()
                raise
            finally:
                state.instant = None
                if self.expressions.resumed:
                    self.expressions.resumed = {}
        self._effects()
        if failure is not None:
            raise failure
        return result

    def _before_command(self) -> None:
        """Refuses the command if the engine cannot take one (durable mode, after a failed write)."""

    def _effects(self) -> None:
        """What a committed command does outside the engine."""
        if self._steps.held:
            self._evaluate_held()
        jobs = self._jobs
        if jobs.pushed:
            for stream, activated in jobs.pushed:
                stream.queue.put_nowait(activated)
            jobs.pushed.clear()
        waiters = self._waiters
        if self._touched:
            for job_type in self._touched:
                waiters.wake_jobs(job_type)
            self._touched.clear()
        outcomes = self._behaviors.task_listeners.outcomes
        if outcomes:
            for key, outcome in outcomes:
                waiters.resolve_user_task(key, outcome)
            outcomes.clear()
        if waiters.finished:
            for key in waiters.finished:
                waiters.resolve_results(self.state.instances.process_instances[key])
            waiters.finished.clear()
        if self.state.due.moved:
            self.state.due.moved = False
            if self.on_change is not None:
                self.on_change()

    def _discard_effects(self) -> None:
        self._jobs.pushed.clear()
        self._touched.clear()
        self._waiters.finished.clear()
        self._behaviors.task_listeners.outcomes.clear()

    def _process_ended(self, root: ElementInstance, state: str, start_key: str | None) -> None:
        pi = self.state.instances.process_instances[root.key]
        steps = self._steps.queue
        if start_key:
            # a buffered message held back by this instance may start the next one now, as in Zeebe
            steps.append(functools.partial(self._messages.start_buffered, pi.bpmn_process_id, start_key))
        self._waiters.finished.append(root.key)
        if state == COMPLETED and pi.parent_element_instance_key is not None:
            variables = copy.deepcopy(root.variables)
            steps.append(
                functools.partial(
                    self._processors.call_activity.called_process_completed, pi.parent_element_instance_key, variables
                )
            )

    def _evaluate_held(self) -> None:
        """Starts the evaluations off the event loop that held steps wait for (engine/expressions.py); each one's
        steps resume, as a command of their own, when it is done."""
        loop = asyncio.get_running_loop()  # steps are suspended only while an event loop runs
        for held in self._steps.held:
            if not held.started:
                held.started = True
                try:
                    submitted = self.expressions.submit(held.pending)
                except Exception as exc:  # the evaluator is closed: the held steps find the error
                    submitted = concurrent.futures.Future()
                    submitted.set_exception(exc)
                future = asyncio.wrap_future(submitted, loop=loop)
                future.add_done_callback(functools.partial(self._resume_held, held))

    def _resume_held(self, held: Held, future: "asyncio.Future[Any]") -> None:
        """An evaluation off the loop is done: the steps waiting for it run now, finding its outcome. Nothing when
        the engine takes no commands any more (stopped: a durable engine resumes them after its restart)."""
        if held not in self._steps.held or self.unavailable is not None:
            return
        pending = held.pending
        answer = RuntimeError("cancelled") if future.cancelled() else future.exception() or future.result()
        held.results.setdefault(pending.expression, {})[pending.variables] = pending.outcome(answer)
        self._steps.release(held)
        self.expressions.resumed = held.results
        self._command(lambda: None, "resume_steps")

    @property
    def evaluating_off_loop(self) -> bool:
        """Steps wait for an expression evaluated off the event loop (engine/expressions.py), or an EvaluateDecision
        for its decision (engine/decisions/off_loop.py)."""
        return bool(self._steps.held) or self._decisions_off_loop > 0

    @property
    def decisions_off_loop(self) -> int:
        """How many EvaluateDecision requests wait for their decision, evaluated off the event loop."""
        return self._decisions_off_loop

    @property
    def steps_deferred(self) -> bool:
        """Steps are left for a later turn of the event loop (MAX_STEPS_PER_TURN), or held for an expression
        evaluated off it."""
        return self._steps.deferred or bool(self._steps.held)

    def resume_steps(self) -> None:
        """Runs the steps a command left for this turn of the event loop (at most MAX_STEPS_PER_TURN again), as a
        command of its own."""
        self._steps.deferred = False
        if self._steps.queue:
            self._command(lambda: None, "resume_steps")

    # ================================================================== commands
    def deploy(self, resources: list[tuple[str, bytes]]) -> Deployment:
        return self._command(lambda: self._deployments.deploy(resources), "deploy", [name for name, _ in resources])  # type: ignore[no-any-return]

    def evaluate_decision(
        self, decision_id: str = "", decision_key: int = NO_KEY, variables: Mapping[str, Any] | None = None
    ) -> DecisionEvaluation:
        """Zeebe's EvaluateDecision: the latest version of `decision_id`, or else the decision `decision_key`
        (engine/processing/decisions.py); a failed evaluation is answered, not raised. Evaluated in place, within the
        decision's limit (the test API's call; the gateway and REST use `evaluate_decision_off_loop`)."""
        given = dict(variables or {})
        return self._command(  # type: ignore[no-any-return]
            lambda: self._decisions.evaluate(decision_id, decision_key, given, self.now()),
            "evaluate_decision",
            decision_id,
            decision_key,
            given,
        )

    async def evaluate_decision_off_loop(
        self, decision_id: str = "", decision_key: int = NO_KEY, variables: Mapping[str, Any] | None = None
    ) -> DecisionEvaluation:
        """EvaluateDecision as the gateway and REST run it: within a slice of the event loop; a decision that does not
        fit is evaluated off the loop (engine/decisions/off_loop.py) while other clients are served, and a second
        command writes its evaluation (key and event) once the result is there."""
        given = dict(variables or {})
        args = ("evaluate_decision", decision_id, decision_key, given)
        answer: DecisionEvaluation | DecisionOffLoop = self._command(
            lambda: self._decisions.evaluate(decision_id, decision_key, given, self.now(), off_loop=True), *args
        )
        if isinstance(answer, DecisionEvaluation):
            return answer
        pending = answer.pending
        self._decisions_off_loop += 1
        try:  # a client that goes away cancels this wait (CancelledError passes): its evaluation is not written
            result: Any = await asyncio.wrap_future(self.expressions.submit(pending))
        except Exception as exc:  # its outcome: a failed evaluation saying why
            result = exc
        finally:
            self._decisions_off_loop -= 1
        outcome, decision = pending.outcome(result), answer.decision
        return self._command(lambda: self._decisions.evaluated(decision, outcome), *args)  # type: ignore[no-any-return]

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
        """`tags`: Camunda's process instance tags, kept with the instance (duplicates dropped)."""
        return self._command(  # type: ignore[no-any-return]
            lambda: self._process_instances.create(
                bpmn_process_id, version, process_definition_key, variables, start_element_ids, tags
            ),
            "create_process_instance",
            bpmn_process_id,
            version,
            process_definition_key,
            variables,
            start_element_ids,
            tags,
        )

    def modify_process_instance(
        self, key: int, activate: Sequence[ActivateInstruction], terminate: Sequence[int]
    ) -> None:
        """Zeebe's ModifyProcessInstance: activates the elements, then terminates the element instances (so a token
        can be moved); a flow scope left without anything active is terminated with them (engine/processing/
        modification.py)."""
        self._command(
            lambda: self._modification.modify(key, activate, terminate),
            "modify_process_instance",
            key,
            [[i.element_id, i.ancestor_key, [[scope, dict(v)] for scope, v in i.variables]] for i in activate],
            list(terminate),
        )

    def migrate_process_instance(self, key: int, target_definition_key: int, mappings: Mapping[str, str]) -> None:
        """Zeebe's MigrateProcessInstance, for instances waiting on jobs and user tasks (engine/processing/
        modification.py)."""
        self._command(
            lambda: self._modification.migrate(key, target_definition_key, mappings),
            "migrate_process_instance",
            key,
            target_definition_key,
            mappings,
        )

    def delete_resource(self, key: int) -> None:
        """Zeebe's DeleteResource: a process definition without running instances (the version before it becomes
        the latest again, its start events waiting once more) or a form. Instances that ran keep their history."""
        self._command(lambda: self._deployments.delete_resource(key), "delete_resource", key)

    def cancel_process_instance(self, key: int) -> None:
        self._command(lambda: self._process_instances.cancel(key), "cancel_process_instance", key)

    def activate_jobs(
        self,
        job_type: str,
        worker: str,
        timeout_ms: int,
        max_jobs: int,
        fetch_variables: list[str],
        max_bytes: int | None = None,
    ) -> list[ActivatedJob]:
        """Activates up to `max_jobs` jobs of the type for `worker`; `max_bytes`: what one message to the client may
        hold (the jobs that do not fit stay activatable)."""
        _check_activation(job_type, timeout_ms, "activate")
        if max_jobs < 1:
            raise InvalidArgumentError(f"Expected maxJobsToActivate to be greater than 0, but was {max_jobs}")
        return self._command(  # type: ignore[no-any-return]
            lambda: self._jobs.activate_some(job_type, worker, timeout_ms, max_jobs, fetch_variables, max_bytes),
            "activate_jobs",
            job_type,
            worker,
            timeout_ms,
            max_jobs,
            fetch_variables,
        )

    def complete_job(self, key: int, variables: Mapping[str, Any], result: Mapping[str, Any] | None = None) -> None:
        """`result`: a task listener's JobResult – `denied`, `deniedReason`, `corrections` (by their 8.8 names)."""
        if result:
            self._command(
                lambda: self._jobs.complete(key, variables, result), "complete_job", key, variables, dict(result)
            )
        else:
            self._command(lambda: self._jobs.complete(key, variables), "complete_job", key, variables)

    async def user_task_decided(self, key: int, timeout: float) -> None:
        """Waits until the transition of the user task `key` that its task listeners decide on is carried out;
        FailedPreconditionError with the reason when it was denied (or the task canceled), DeadlineExceededError
        after `timeout` seconds. Returns at once when the task waits for no listener."""
        task = self.state.user_tasks.tasks.get(key)
        if task is None or task.state is UserTaskState.CREATED or not task.state.is_open:
            return
        waiter = self._waiters.add_user_task_waiter(key)
        try:
            outcome = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise DeadlineExceededError(
                f"The user task with key '{key}' waits for its task listeners: no worker completed their jobs within "
                f"{timeout:g} s"
            ) from None
        finally:
            self._waiters.remove_user_task_waiter(key, waiter)
        if outcome is not None:
            raise FailedPreconditionError(outcome)

    def fail_job(
        self, key: int, retries: int, error_message: str, backoff_ms: int, variables: Mapping[str, Any]
    ) -> None:
        self._command(
            lambda: self._jobs.fail(key, retries, error_message, backoff_ms, variables),
            "fail_job",
            key,
            retries,
            error_message,
            backoff_ms,
            variables,
        )

    def throw_error(self, key: int, code: str, message: str, variables: Mapping[str, Any]) -> None:
        self._command(
            lambda: self._jobs.throw_error(key, code, message, variables), "throw_error", key, code, message, variables
        )

    def update_job_retries(self, key: int, retries: int) -> None:
        self._command(lambda: self._jobs.update_retries(key, retries), "update_job_retries", key, retries)

    def update_job_timeout(self, key: int, timeout_ms: int) -> None:
        self._command(lambda: self._jobs.update_timeout(key, timeout_ms), "update_job_timeout", key, timeout_ms)

    def set_variables(self, element_instance_key: int, variables: Mapping[str, Any], local: bool) -> int:
        return self._command(  # type: ignore[no-any-return]
            lambda: self._variables.set(element_instance_key, variables, local),
            "set_variables",
            element_instance_key,
            variables,
            local,
        )

    def publish_message(
        self, name: str, correlation_key: str, ttl_ms: int, message_id: str, variables: Mapping[str, Any]
    ) -> int:
        return self._command(  # type: ignore[no-any-return]
            lambda: self._messages.publish(name, correlation_key, ttl_ms, message_id, variables),
            "publish_message",
            name,
            correlation_key,
            ttl_ms,
            message_id,
            variables,
        )

    def correlate_message(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> tuple[int, int]:
        """Zeebe's CorrelateMessage: like a publication without time to live, but refused (NOT_FOUND) when nothing
        takes it; answers the message key and the first process instance it correlated with."""
        return self._command(  # type: ignore[no-any-return]
            lambda: self._messages.correlate(name, correlation_key, variables),
            "correlate_message",
            name,
            correlation_key,
            variables,
        )

    def broadcast_signal(self, name: str, variables: Mapping[str, Any]) -> int:
        """BroadcastSignal: triggers every subscription open now with this name (signals are not buffered)."""
        return self._command(  # type: ignore[no-any-return]
            lambda: self._signals.broadcast(name, dict(variables)), "broadcast_signal", name, variables
        )

    def resolve_incident(self, key: int) -> None:
        self._command(lambda: self._incidents.resolve(key), "resolve_incident", key)

    def activate_ad_hoc_activities(self, key: int, elements: list[Mapping[str, Any]]) -> None:
        """Activates elements of the running ad-hoc sub-process `key` (REST: POST /v2/element-instances/
        ad-hoc-activities/{key}/activation): `elements`, each an `elementId` with optional `variables`."""
        given = [dict(e) for e in elements]
        self._command(
            lambda: self._processors.ad_hoc.activate_command(key, given), "activate_ad_hoc_activities", key, given
        )

    def process_due(self) -> int:
        """Fires everything due by the clock's now (timers in due order); returns how many fired."""
        return self._command(self._timers.process_due, "process_due")  # type: ignore[no-any-return]

    def complete_user_task(self, key: int, variables: Mapping[str, Any], action: str = "") -> None:
        """`action`: what the completion is called (Zeebe's user task action, "complete" if not given)."""
        self._command(
            lambda: self._user_tasks.complete(key, variables, action or "complete"),
            "complete_user_task",
            key,
            variables,
        )

    def assign_user_task(self, key: int, assignee: str | None, allow_override: bool = True, action: str = "") -> None:
        self._command(
            lambda: self._user_tasks.assign(key, assignee, allow_override, action),
            "assign_user_task",
            key,
            assignee,
            allow_override,
        )

    def update_user_task(self, key: int, changes: Mapping[str, Any]) -> None:
        """Zeebe's user task UPDATE (dueDate, followUpDate, candidateGroups, candidateUsers, priority)."""
        self._command(lambda: self._user_tasks.update(key, changes), "update_user_task", key, changes)

    # ------------------------------------------------------------------ job streams and waiters
    def open_job_stream(
        self,
        job_type: str,
        worker: str,
        timeout_ms: int,
        fetch_variables: list[str],
        max_bytes: int | None = None,
    ) -> JobStream:
        """A stream the engine pushes the jobs of a type to as they become activatable (those waiting now at once)."""
        _check_activation(job_type, timeout_ms, "stream")
        stream = JobStream(job_type, worker, timeout_ms, fetch_variables, max_bytes)

        def open_() -> None:
            self._jobs.streams.setdefault(job_type, []).append(stream)
            self._touched.add(job_type)

        self._command(open_, "open_job_stream")
        return stream

    def close_job_stream(self, stream: JobStream) -> None:
        """Closes a stream; jobs pushed to it but never sent are given back (activatable again at once)."""
        streams = self._jobs.streams.get(stream.job_type, [])
        if stream in streams:
            streams.remove(stream)
        queued: list[ActivatedJob] = []
        while not stream.queue.empty():
            queued.append(stream.queue.get_nowait())
        if queued:
            self._command(lambda: self._jobs.give_back(stream, queued), "close_job_stream")

    def has_stream(self, job_type: str) -> bool:
        return bool(self._jobs.streams.get(job_type))

    def add_job_waiter(self, job_type: str) -> "asyncio.Future[None]":
        return self._waiters.add_job_waiter(job_type)

    def remove_job_waiter(self, job_type: str, fut: "asyncio.Future[None]") -> None:
        self._waiters.remove_job_waiter(job_type, fut)

    def poll_started(self, job_type: str) -> None:
        self._waiters.poll_started(job_type)

    def poll_ended(self, job_type: str) -> None:
        self._waiters.poll_ended(job_type)

    def job_types_with_workers(self, grace: float) -> set[str]:
        return self._waiters.job_types_with_workers(grace)

    async def wait_for_result(self, key: int, timeout: float | None) -> ProcessInstance:
        pi = self.state.instances.process_instances[key]
        if pi.state != ACTIVE:
            return pi
        fut: asyncio.Future[ProcessInstance] = asyncio.get_running_loop().create_future()
        results = self._waiters.results
        results.setdefault(key, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            waiting = results.get(key, [])
            if fut in waiting:
                waiting.remove(fut)

    @property
    def inflight(self) -> int:
        """Requests the gateway is serving now (for wait_for_idle)."""
        return self._waiters.inflight

    @inflight.setter
    def inflight(self, value: int) -> None:
        self._waiters.inflight = value

    @property
    def open_polls(self) -> dict[str, int]:
        return self._waiters.open_polls

    @property
    def last_poll(self) -> dict[str, float]:
        return self._waiters.last_poll

    def next_due(self) -> datetime | None:
        return self._timers.next_due()

    # ================================================================== read-only views of the state
    @property
    def keys(self) -> KeyGenerator:
        return self.state.keys

    @property
    def definitions(self) -> Mapping[int, ProcessDefinition]:
        return MappingProxyType(self.state.deployments.definitions)

    @property
    def decision_store(self) -> DecisionsView:
        """The deployed decision requirements graphs and decisions (read-only)."""
        return DecisionsView(self.state.decisions)

    @property
    def forms(self) -> Mapping[int, Form]:
        return MappingProxyType(self.state.deployments.forms)

    @property
    def message_starts(self) -> tuple[MessageStartSubscription, ...]:
        return tuple(self.state.deployments.message_starts)

    @property
    def process_instances(self) -> Mapping[int, ProcessInstance]:
        return MappingProxyType(self.state.instances.process_instances)

    @property
    def element_instances(self) -> Mapping[int, ElementInstance]:
        """The element instances of running process instances (element_instance() reads finished ones too)."""
        return MappingProxyType(self.state.instances.live)

    @property
    def jobs(self) -> Mapping[int, Job]:
        return MappingProxyType(self.state.jobs.jobs)

    @property
    def timers(self) -> Mapping[int, Timer]:
        return MappingProxyType(self.state.timers.timers)

    @property
    def subscriptions(self) -> Mapping[int, MessageSubscription]:
        return MappingProxyType(self.state.messages.subscriptions)

    @property
    def signal_subscriptions(self) -> Mapping[int, SignalSubscription]:
        return MappingProxyType(self.state.signals.subscriptions)

    @property
    def messages(self) -> Mapping[int, Message]:
        return MappingProxyType(self.state.messages.messages)

    @property
    def incidents(self) -> Mapping[int, Incident]:
        return MappingProxyType(self.state.incidents.incidents)

    @property
    def user_tasks(self) -> Mapping[int, UserTask]:
        return MappingProxyType(self.state.user_tasks.tasks)

    @property
    def records(self) -> list[Record]:
        """The history: every record so far, oldest first (a new list on every read)."""
        return self.state.history.records()

    def element_instance(self, key: int) -> ElementInstance | None:
        """The element instance with this key: a live one, or a detached copy of one of a finished instance."""
        return self.state.instances.element_instance(key)

    def all_element_instances(self) -> Iterator[ElementInstance]:
        return self.state.instances.all_element_instances()

    def finished_elements(self) -> Iterator[FinishedElement]:
        return self.state.instances.finished_elements()

    def scope_chain(self, inst: ElementInstance) -> list[ElementInstance]:
        return self.state.instances.scope_chain(inst)

    def visible_variables(self, inst: ElementInstance) -> dict[str, Any]:
        return self.state.instances.visible_variables(inst)

    def variable_key(self, scope_key: int, name: str) -> int:
        """The key of the variable `name` of a scope, as the REST API answers it (`variableKey`)."""
        key = self.state.instances.variable_key(scope_key, name)
        if key is None:
            raise KeyError((scope_key, name))
        return key

    def variable_of_key(self, key: int) -> tuple[ElementInstance, str] | None:
        """The scope and name of a variable key, if the variable is still there."""
        return self.state.instances.variable_of_key(key)

    def timers_of(self, element_key: int) -> list[int]:
        return self.state.timers.of(element_key)

    def subscriptions_of(self, element_key: int) -> list[int]:
        return self.state.messages.subscriptions_of(element_key)

    def signal_subscriptions_of(self, element_key: int) -> list[int]:
        return self.state.signals.subscriptions_of(element_key)

    def join_tokens(self, scope_key: int) -> dict[str, dict[str, int]]:
        """The tokens waiting at the joining gateways of a scope: gateway → incoming flow → count."""
        return {gateway: dict(tokens) for gateway, tokens in self.state.flow.join_tokens(scope_key).items()}

    def definition(self, key: int) -> ProcessDefinition:
        return self.state.deployments.definitions[key]

    def latest_definition(self, bpmn_process_id: str) -> ProcessDefinition | None:
        return self.state.deployments.latest_definition(bpmn_process_id)

    def latest_form(self, form_id: str) -> Form | None:
        return self.state.deployments.latest_form(form_id)

    def model_of(self, inst: ElementInstance) -> ProcessModel:
        return self.state.deployments.definitions[inst.process_definition_key].model

    def node_of(self, inst: ElementInstance) -> FlowNode:
        return self.model_of(inst).elements[inst.element_id]


def _check_activation(job_type: str, timeout_ms: int, verb: str) -> None:
    if not job_type.strip():
        raise InvalidArgumentError(f"Expected to {verb} jobs of a type, but the type is blank")
    if timeout_ms < 1:
        raise InvalidArgumentError(f"Expected the job timeout to be greater than 0 ms, but was {timeout_ms}")
