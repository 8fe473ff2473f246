"""What element processors share (Zeebe's BpmnBehaviors): the token flow, variables, jobs, incidents, event
subscriptions, event triggers, errors and escalations, called decisions – each in a module of its own."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.behaviors.compensation import CompensationBehavior
from engine.behaviors.decisions import DecisionBehavior
from engine.behaviors.errors import ErrorBehavior
from engine.behaviors.events import EventTriggerBehavior
from engine.behaviors.incidents import IncidentBehavior
from engine.behaviors.jobs import JobBehavior
from engine.behaviors.listeners import ExecutionListenerBehavior
from engine.behaviors.subscriptions import SubscriptionBehavior
from engine.behaviors.task_listeners import TaskListenerBehavior
from engine.behaviors.transitions import Transitions
from engine.behaviors.variables import VariableBehavior
from engine.events.appliers import Appliers
from engine.expressions import Expressions
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import ProcessInstance


def _not_ready(*args: Any, **kwargs: Any) -> ProcessInstance:
    raise RuntimeError("the element processors are not built yet")


@dataclass
class BpmnBehaviors:
    state: EngineState
    writer: Appliers
    expressions: Expressions
    steps: Steps
    variables: VariableBehavior
    incidents: IncidentBehavior
    jobs: JobBehavior
    listeners: ExecutionListenerBehavior
    subscriptions: SubscriptionBehavior
    transitions: Transitions
    task_listeners: TaskListenerBehavior
    events: EventTriggerBehavior
    errors: ErrorBehavior
    decisions: DecisionBehavior
    compensation: CompensationBehavior
    # queues a signal broadcast (a throw event's), as Zeebe writes a BROADCAST command; set by the engine
    broadcast: Callable[[str, dict[str, Any]], None] | None = None
    # starts a process instance (engine/bpmn/process.py); set by the processor registry
    start_instance: Callable[..., ProcessInstance] = _not_ready


def build_behaviors(state: EngineState, writer: Appliers, expressions: Expressions, steps: Steps) -> BpmnBehaviors:
    variables = VariableBehavior(state, writer, expressions)
    incidents = IncidentBehavior(state, writer)
    jobs = JobBehavior(state, writer)
    listeners = ExecutionListenerBehavior(state, writer, expressions, variables, incidents, jobs, steps)
    subscriptions = SubscriptionBehavior(state, writer, expressions, steps, incidents)
    transitions = Transitions(state, writer, steps, expressions, variables, incidents, subscriptions, jobs, listeners)
    task_listeners = TaskListenerBehavior(state, writer, jobs, listeners, steps)
    task_listeners.complete_element = transitions.complete
    task_listeners.finish_terminating = transitions.finish_terminating
    transitions.task_canceled = task_listeners.canceled
    transitions.start_canceling = task_listeners.start_canceling
    events = EventTriggerBehavior(state, writer, steps, transitions, subscriptions)
    errors = ErrorBehavior(state, writer, incidents)
    errors.events = events
    decisions = DecisionBehavior(state, writer, expressions, incidents)
    compensation = CompensationBehavior(state, writer, steps)
    transitions.use_compensation(compensation)
    return BpmnBehaviors(
        state,
        writer,
        expressions,
        steps,
        variables,
        incidents,
        jobs,
        listeners,
        subscriptions,
        transitions,
        task_listeners,
        events,
        errors,
        decisions,
        compensation,
    )
