"""What every part of the engine shares: constants, the control-flow interrupt and EngineBase."""

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.model import Kind
from engine.state import ElementState, Record

if TYPE_CHECKING:  # EngineBase's declarations only
    from engine.clock import Clock
    from engine.expressions import Expressions
    from engine.jobs import _JobStream
    from engine.model import FlowNode, ProcessModel
    from engine.parser import BpmnParser
    from engine.state import (
        ElementInstance,
        Form,
        Incident,
        Job,
        KeyGenerator,
        Message,
        MessageStartSubscription,
        MessageSubscription,
        ProcessDefinition,
        ProcessInstance,
        SignalSubscription,
        Timer,
        UserTask,
    )

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
TERMINATED = "TERMINATED"

# the executor's hot paths compare element states by identity and record plain strings: an Enum member's
# `.value` and `in` a set go through Python-level descriptors and hashing
_ACTIVATING: str = ElementState.ACTIVATING.value
_LIVE_STATES = (ElementState.ACTIVATED, ElementState.ACTIVATING, ElementState.COMPLETING)
_CHOOSING_KINDS = (Kind.EXCLUSIVE_GATEWAY, Kind.INCLUSIVE_GATEWAY)  # gateways that evaluate their flows
_RECORD_WIDTH = len(Record._fields)
_HISTORY_CHUNK = _RECORD_WIDTH * 4096  # fields per sealed chunk of the history
_DUE_COMPACT_MIN = 1024  # entries of the due heap before its dead ones are first dropped

# Zeebe's default maxProcessDepth: how deep call activities may nest process instances (a runaway recursion
# raises an incident at the call activity instead of creating instances forever)
MAX_PROCESS_DEPTH = 1000
# Steps one command runs before it lets the event loop serve other requests (far more than an ordinary command
# takes): a loop of tasks and gateways without a wait state never ends by itself; as in Zeebe, which keeps serving
# other commands while such an instance loops (and cancelling it ends it), the rest of the steps runs in later turns
# of the event loop, each as a command of its own
MAX_STEPS_PER_TURN = 1_000


class _Interrupt(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a step to stop it: an incident was created and the element waits for resolution."""


def _added(keys: set[int] | None, key: int) -> set[int]:
    """A key set created on demand: `keys` with `key` added."""
    if keys is None:
        return {key}
    keys.add(key)
    return keys


class EngineBase:
    """The state and the cross-module methods every mixin of Engine uses, declared for the type checker only:
    at run time an empty class (Engine sets the state in its constructor, the mixins define the methods)."""

    if TYPE_CHECKING:
        clock: Clock
        expressions: Expressions
        _parser: BpmnParser
        keys: KeyGenerator
        _positions: itertools.count[int]
        definitions: dict[int, ProcessDefinition]
        forms: dict[int, Form]
        process_instances: dict[int, ProcessInstance]
        element_instances: dict[int, ElementInstance]
        _archive: dict[int, tuple[Any, ...]]
        _variable_keys: dict[tuple[int, str], int]
        _variables_by_key: dict[int, tuple[int, str]]
        jobs: dict[int, Job]
        timers: dict[int, Timer]
        subscriptions: dict[int, MessageSubscription]
        message_starts: list[MessageStartSubscription]
        signal_subscriptions: dict[int, SignalSubscription]
        messages: dict[int, Message]
        incidents: dict[int, Incident]
        user_tasks: dict[int, UserTask]
        _history: list[Any]
        _history_chunks: list[tuple[Any, ...]]
        _due: list[tuple[datetime, int, str, int]]
        _due_seq: itertools.count[int]
        _due_compact_at: int
        _steps: deque[Callable[[], None]]
        _running: bool
        steps_deferred: bool
        _job_waiters: dict[str, list[asyncio.Future[None]]]
        _job_streams: dict[str, list[_JobStream]]
        _result_waiters: dict[int, list[asyncio.Future[ProcessInstance]]]
        _touched_job_types: set[str]
        _finished_instances: list[int]
        _message_start_keys: dict[int, str]
        on_change: Callable[[], None] | None
        _due_moved: bool
        commands: int
        _command_time: datetime | None
        inflight: int
        open_polls: dict[str, int]
        last_poll: dict[str, float]

        def now(self) -> datetime: ...

        def _record(
            self,
            value_type: str,
            intent: str,
            key: int,
            *,
            pi: int | None = None,
            element: ElementInstance | None = None,
        ) -> None: ...

        def _record_element(self, intent: str, inst: ElementInstance) -> None: ...

        def _transition(self, inst: ElementInstance, state: ElementState) -> None: ...

        def _command(self, action: Callable[[], Any]) -> Any: ...

        def _drain(self) -> None: ...

        def _wake(self) -> None: ...

        def _schedule_due(self, due: datetime, kind: str, key: int) -> None: ...

        def model_of(self, inst: ElementInstance) -> ProcessModel: ...

        def node_of(self, inst: ElementInstance) -> FlowNode: ...

        def visible_variables(self, inst: ElementInstance) -> dict[str, Any]: ...

        def scope_chain(self, inst: ElementInstance) -> list[ElementInstance]: ...

        def _set_propagating(self, start: ElementInstance, name: str, value: Any) -> None: ...

        def _merge_propagating(self, start: ElementInstance, variables: Mapping[str, Any]) -> None: ...

        def _set_local(self, inst: ElementInstance, name: str, value: Any) -> None: ...

        def _evaluate_mappings(
            self, inst: ElementInstance, mappings: Iterable[Any], context: dict[str, Any]
        ) -> list[tuple[str, Any]]: ...

        def latest_definition(self, bpmn_process_id: str) -> ProcessDefinition | None: ...

        def latest_form(self, form_id: str) -> Form | None: ...

        def _start_instance(
            self,
            definition: ProcessDefinition,
            variables: dict[str, Any],
            start_ids: list[str],
            *,
            start_event_variables: dict[str, Any] | None = None,
            parent: ElementInstance | None = None,
        ) -> ProcessInstance: ...

        def _new_instance(
            self, node: FlowNode, scope: ElementInstance, kind: Kind | None = None
        ) -> ElementInstance: ...

        def _schedule_activation(self, node: FlowNode, scope: ElementInstance, **options: Any) -> None: ...

        def _run_activation(self, inst: ElementInstance, node: FlowNode | None = None) -> None: ...

        def _called_process_completed(self, call_key: int, variables: dict[str, Any]) -> None: ...

        def _activate_body(self, body: ElementInstance, node: FlowNode) -> None: ...

        def _start_inner(self, body: ElementInstance, node: FlowNode, index: int) -> None: ...

        def _inner_finished(
            self, body: ElementInstance, node: FlowNode, inner: ElementInstance, completed: bool
        ) -> None: ...

        def _complete(
            self, inst: ElementInstance, *, take_flows: bool = True, node: FlowNode | None = None
        ) -> None: ...

        def _run_completion(self, inst: ElementInstance, node: FlowNode, take_flows: bool = True) -> None: ...

        def _inclusive_join_ready(self, node: FlowNode, scope: ElementInstance) -> bool: ...

        def _complete_scope_if_done(self, scope: ElementInstance, *, force: bool = False) -> None: ...

        def _finish_process_instance(self, root: ElementInstance, state: str) -> None: ...

        def element_instance(self, key: int) -> ElementInstance | None: ...

        def _terminate(self, inst: ElementInstance, *, check_scope: bool = True) -> None: ...

        def _close_waits(self, inst: ElementInstance) -> None: ...

        def _open_boundary_events(self, inst: ElementInstance, node: FlowNode, context: dict[str, Any]) -> None: ...

        def _open_event_sub_processes(self, scope: ElementInstance) -> None: ...

        def _trigger_event(
            self,
            host: ElementInstance,
            target_id: str,
            variables: dict[str, Any],
            locals_: dict[str, Any] | None = None,
        ) -> None: ...

        def _throw_error(
            self,
            thrower: ElementInstance,
            code: str,
            message: str,
            variables: dict[str, Any],
            *,
            from_end_event: bool = False,
        ) -> bool: ...

        def _throw_escalation(self, thrower: ElementInstance, code: str) -> bool: ...

        def _signal_name(self, node: FlowNode, context: dict[str, Any]) -> str: ...

        def _open_signal_subscription(
            self,
            host: ElementInstance | None,
            target_id: str,
            name: str,
            *,
            interrupting: bool,
            definition: ProcessDefinition | None = None,
        ) -> None: ...

        def _close_signal_subscription(self, key: int) -> None: ...

        def _broadcast_step(self, name: str, variables: dict[str, Any]) -> None: ...

        def _raise_incident(
            self, inst: ElementInstance, error_type: str, message: str, phase: str, job: Job | None = None
        ) -> None: ...

        def _subscription_target(self, node: FlowNode, context: dict[str, Any]) -> tuple[str, str]: ...

        def _open_subscription(
            self, host: ElementInstance, target_id: str, name: str, correlation_key: str, *, interrupting: bool
        ) -> None: ...

        def _close_subscription(self, key: int) -> None: ...

        def _start_buffered(self, bpmn_process_id: str, correlation_key: str) -> None: ...

        def _timer_schedule(
            self, node: FlowNode, context: dict[str, Any]
        ) -> tuple[datetime, int | None, str | None]: ...

        def _create_timer(
            self,
            node: FlowNode,
            definition: ProcessDefinition,
            host: ElementInstance | None,
            pi_key: int | None,
            context: dict[str, Any],
        ) -> None: ...

        def _add_timer(
            self,
            target_id: str,
            host: ElementInstance | None,
            definition_key: int,
            due: datetime,
            repetitions: int | None,
            cycle: str | None,
        ) -> None: ...

        def _cancel_timer(self, key: int) -> None: ...
