"""Execution listeners (zeebe:executionListeners), as Zeebe 8.8 runs them: jobs of kind EXECUTION_LISTENER, one after
the other in the diagram's order.

- Start listeners run after the element's input mappings and before its own behaviour (its boundary events, its
  expressions, its job or wait); the element stays ELEMENT_ACTIVATING meanwhile. Variables a start listener's job is
  completed with become local variables of the element.
- End listeners run after the output mappings (the element is ELEMENT_COMPLETING, its boundary events closed) and
  before it completes and takes its flows. Their variables are set in the element's flow scope (the process
  instance's own for a process's end listeners), as Zeebe's BpmnStreamProcessor merges them.
- A listener job failing without retries is an EXECUTION_LISTENER_NO_RETRIES incident: resolving it makes that job
  activatable again. A listener whose type or retries cannot be evaluated is an EXTRACT_VALUE_ERROR incident:
  resolving it runs the element's listeners of that event again from the first (Zeebe's documented behaviour).
"""

import functools
from typing import TYPE_CHECKING, Any

from engine.behaviors.incidents import IncidentBehavior
from engine.behaviors.jobs import JobBehavior
from engine.behaviors.variables import VariableBehavior
from engine.events.appliers import Appliers
from engine.expressions import ExpressionError, Expressions, Suspended
from engine.model import FlowNode, ListenerDefinition, ListenerEvent
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import EXECUTION_LISTENER, ElementInstance, ElementState, Job

if TYPE_CHECKING:
    from engine.behaviors.transitions import Transitions

# the incident phases whose resolution runs an element's start or end listeners again from the first
START_LISTENERS = "start-listeners"
END_LISTENERS = "end-listeners"


def listeners_of(node: FlowNode, event: ListenerEvent) -> list[ListenerDefinition]:
    return node.start_listeners if event is ListenerEvent.START else node.end_listeners


class ExecutionListenerBehavior:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        expressions: Expressions,
        variables: VariableBehavior,
        incidents: IncidentBehavior,
        jobs: JobBehavior,
        steps: Steps,
    ) -> None:
        self._state = state
        self._w = writer
        self._expressions = expressions
        self._variables = variables
        self._incidents = incidents
        self._jobs = jobs
        self.transitions: Transitions  # set once the token flow exists
        steps.register(self.resume_create)

    def job_properties(self, inst: ElementInstance, listener: ListenerDefinition, phase: str) -> tuple[str, int]:
        """A listener's job type and retries, evaluated in the element's scope; an EXTRACT_VALUE_ERROR incident (in
        `phase`) if they cannot be, or the type is empty, as Zeebe's BpmnJobBehavior."""
        now = self._state.instant
        assert now is not None
        context = self._variables.visible(inst)
        try:
            job_type = self._expressions.string(listener.type, context, now)
            retries = self._expressions.integer(listener.retries, context, now)
        except ExpressionError as exc:
            raise self._incidents.raise_(inst, "EXTRACT_VALUE_ERROR", str(exc), phase) from None
        if not job_type:
            raise self._incidents.raise_(
                inst,
                "EXTRACT_VALUE_ERROR",
                f"Expected result of the expression '{listener.type.removeprefix('=')}' to be a not-empty string, "
                "but was an empty string.",
                phase,
            )
        return job_type, retries

    def create(self, inst: ElementInstance, node: FlowNode, event: ListenerEvent, index: int) -> None:
        """Creates the job of the element's `index`-th listener of `event`; an incident if its type or retries
        cannot be evaluated."""
        listener = listeners_of(node, event)[index]
        phase = START_LISTENERS if event is ListenerEvent.START else END_LISTENERS
        try:
            job_type, retries = self.job_properties(inst, listener, phase)
        except Suspended as suspended:  # a costly type or retries expression goes on off the event loop
            raise suspended.at(functools.partial(self.resume_create, inst, node, event.value, index)) from None
        version = self._state.deployments.definitions[inst.process_definition_key].version
        self._jobs.create(
            inst,
            job_type,
            retries,
            {},
            version,
            kind=EXECUTION_LISTENER,
            listener_event_type=event.job_value,
            listener_index=index,
        )

    def resume_create(self, inst: ElementInstance, node: FlowNode, event: str, index: int) -> None:
        """A listener job's creation suspended for an expression goes on, unless the element left the phase of its
        listeners meanwhile (terminated)."""
        listener_event = ListenerEvent(event)
        waiting = ElementState.ACTIVATING if listener_event is ListenerEvent.START else ElementState.COMPLETING
        if inst.state is waiting:
            self.create(inst, node, listener_event, index)

    def completed(self, inst: ElementInstance, job: Job, variables: dict[str, Any]) -> None:
        """The listener job `job` of `inst` was completed with `variables`: they are set, then the next listener's
        job is created or, after the last one, the element goes on (its behaviour, or its completion)."""
        self._w.listener_job_completed(job)
        event = ListenerEvent(job.listener_event_type.lower())
        if variables:
            target = inst
            if event is ListenerEvent.END and inst.flow_scope_key is not None:
                target = self._state.instances.live[inst.flow_scope_key]
            for name, value in variables.items():
                self._variables.set_local(target, name, value)
        transitions = self.transitions
        node = transitions.node_of(inst)
        following = job.listener_index + 1
        if following < len(listeners_of(node, event)):
            self.create(inst, node, event, following)
        elif event is ListenerEvent.START:
            transitions.after_start_listeners(inst, node)
        else:
            transitions.finish_completion(inst, node)
