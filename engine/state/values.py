"""The values the engine's state holds, addressed by key: what the appliers create and change (engine/events),
and what readers (the gateway, REST, the test API) get through the Engine's read-only views (engine/engine.py)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from engine.dmn import DecisionRequirementsGraph
from engine.model import Kind, ProcessModel


class ElementState(StrEnum):
    ACTIVATING = "ELEMENT_ACTIVATING"
    ACTIVATED = "ELEMENT_ACTIVATED"
    COMPLETING = "ELEMENT_COMPLETING"
    COMPLETED = "ELEMENT_COMPLETED"
    TERMINATING = "ELEMENT_TERMINATING"
    TERMINATED = "ELEMENT_TERMINATED"

    @property
    def is_active(self) -> bool:
        return self in (ElementState.ACTIVATING, ElementState.ACTIVATED, ElementState.COMPLETING)


class JobState(StrEnum):
    ACTIVATABLE = "ACTIVATABLE"
    ACTIVATED = "ACTIVATED"
    FAILED = "FAILED"
    ERROR_THROWN = "ERROR_THROWN"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class IncidentState(StrEnum):
    ACTIVE = "ACTIVE"
    RESOLVED = "RESOLVED"


class UserTaskState(StrEnum):
    CREATING = "CREATING"  # its creating task listeners run
    CREATED = "CREATED"
    ASSIGNING = "ASSIGNING"  # an assignment waits for its assigning task listeners
    UPDATING = "UPDATING"
    COMPLETING = "COMPLETING"
    COMPLETED = "COMPLETED"
    CANCELING = "CANCELING"  # its element is terminated: its canceling task listeners run
    CANCELED = "CANCELED"

    @property
    def is_open(self) -> bool:
        """Not completed or canceled (created, or in a transition its task listeners decide)."""
        return self is not UserTaskState.COMPLETED and self is not UserTaskState.CANCELED


@dataclass
class ProcessDefinition:
    key: int
    bpmn_process_id: str
    version: int
    resource_name: str
    checksum: str
    model: ProcessModel
    deployment_key: int
    deployed_at: datetime
    resource: bytes


@dataclass
class Form:
    key: int
    form_id: str
    version: int
    resource_name: str
    checksum: str
    schema: str
    deployment_key: int


@dataclass(frozen=True)
class DeployedDecisionRequirements:
    """One version of a decision requirements graph (a deployed `.dmn` resource), parsed."""

    key: int
    requirements_id: str
    name: str
    version: int
    resource_name: str
    checksum: str
    resource: bytes
    deployment_key: int
    graph: DecisionRequirementsGraph


@dataclass(frozen=True)
class DeployedDecision:
    """One version of a decision, within the version of its graph it was deployed with."""

    key: int
    decision_id: str
    name: str
    version: int
    requirements_key: int
    requirements_id: str
    deployment_key: int


# slots: an element instance is the engine's most numerous object; without an instance dict it is smaller and
# faster to create
@dataclass(slots=True)
class ElementInstance:
    """An element instance, whatever the element's kind: what each kind keeps besides (a job, timers, message and
    signal subscriptions, a user task, a multi-instance body's counters, the variables an event delivered, join
    tokens) is in the state store of that kind, by this key."""

    key: int
    process_instance_key: int
    process_definition_key: int
    bpmn_process_id: str
    element_id: str
    kind: Kind
    bpmn_element_type: str
    flow_scope_key: int | None
    state: ElementState
    started_at: datetime
    ended_at: datetime | None = None
    variables: dict[str, Any] = field(default_factory=dict)  # its local variables (a scope's, a mapping's)
    children: set[int] | None = None  # the element instances in it, while they are active (created on demand)
    loop_counter: int | None = None  # an inner instance of a multi-instance body: its 1-based index
    incident_key: int | None = None  # its active incident
    interrupted: bool = False  # terminated by an interrupting event


@dataclass(slots=True)
class ProcessInstance:
    key: int
    bpmn_process_id: str
    version: int
    process_definition_key: int
    state: str  # ACTIVE, COMPLETED, TERMINATED
    started_at: datetime
    ended_at: datetime | None = None
    final_variables: dict[str, Any] | None = None
    # an instance created by a call activity: the parent instance and the call activity's element instance
    parent_process_instance_key: int | None = None
    parent_element_instance_key: int | None = None
    # while it runs, the keys of its element instances (its root too); when it ends they move from the live
    # state to the engine's archive of finished element instances, and this list is emptied
    element_keys: list[int] = field(default_factory=list)
    tags: tuple[str, ...] = ()  # given at creation (Camunda's process instance tags)


class FinishedElement(NamedTuple):
    """An element instance of a finished process instance, as the engine archives it: what the read API and the
    history need, as a plain tuple (the engine stores the bare tuples; like history entries, tuples of ints,
    strings and datetimes drop out of the cyclic garbage collector, element instances would not)."""

    key: int
    process_instance_key: int
    process_definition_key: int
    bpmn_process_id: str
    element_id: str
    kind: str  # a Kind value
    bpmn_element_type: str
    flow_scope_key: int | None
    state: str  # an ElementState value: ELEMENT_COMPLETED or ELEMENT_TERMINATED
    started_at: datetime
    ended_at: datetime | None
    variables: dict[str, Any] | None  # None: none (the root's are the process instance's final_variables)
    loop_counter: int | None
    incident_key: int | None

    @classmethod
    def of(cls, inst: ElementInstance) -> tuple[Any, ...]:
        """The bare tuple of an element instance (archived once it has ended; a live one's for a REST row)."""
        return (
            inst.key,
            inst.process_instance_key,
            inst.process_definition_key,
            inst.bpmn_process_id,
            inst.element_id,
            inst.kind._value_,
            inst.bpmn_element_type,
            inst.flow_scope_key,
            inst.state._value_,
            inst.started_at,
            inst.ended_at,
            inst.variables if inst.variables and inst.flow_scope_key is not None else None,
            inst.loop_counter,
            inst.incident_key,
        )

    def element_instance(self, root_variables: dict[str, Any] | None) -> ElementInstance:
        """A detached ElementInstance with these values, for readers (changing it changes nothing)."""
        variables = root_variables if self.flow_scope_key is None else self.variables
        return ElementInstance(
            key=self.key,
            process_instance_key=self.process_instance_key,
            process_definition_key=self.process_definition_key,
            bpmn_process_id=self.bpmn_process_id,
            element_id=self.element_id,
            kind=Kind(self.kind),
            bpmn_element_type=self.bpmn_element_type,
            flow_scope_key=self.flow_scope_key,
            state=ElementState(self.state),
            started_at=self.started_at,
            ended_at=self.ended_at,
            variables=dict(variables or {}),
            loop_counter=self.loop_counter,
            incident_key=self.incident_key,
        )


@dataclass
class Job:
    key: int
    type: str
    process_instance_key: int
    element_instance_key: int
    element_id: str
    bpmn_process_id: str
    process_definition_key: int
    process_definition_version: int
    custom_headers: dict[str, str]
    retries: int
    state: JobState
    created_at: datetime
    worker: str = ""
    deadline: datetime | None = None
    backoff_until: datetime | None = None
    error_message: str = ""
    error_code: str = ""
    # Zeebe's JobKind (BPMN_ELEMENT, EXECUTION_LISTENER, TASK_LISTENER) and JobListenerEventType; a listener job's
    # position among its element's listeners of that event
    kind: str = "BPMN_ELEMENT"
    listener_event_type: str = "UNSPECIFIED"
    listener_index: int = 0


BPMN_ELEMENT = "BPMN_ELEMENT"
EXECUTION_LISTENER = "EXECUTION_LISTENER"
TASK_LISTENER = "TASK_LISTENER"


@dataclass
class Timer:
    key: int
    process_definition_key: int
    process_instance_key: int | None
    element_instance_key: int | None  # the host: catch event, activity (boundary) or scope (event sub-process)
    target_element_id: str
    due: datetime
    repetitions: int | None  # remaining firings; None = unbounded
    cycle: str | None  # the evaluated timeCycle text, to compute the next due


@dataclass
class MessageSubscription:
    key: int
    message_name: str
    correlation_key: str
    process_instance_key: int
    element_instance_key: int  # the host: catch event, receive task, activity (boundary) or scope
    target_element_id: str
    interrupting: bool
    opened_at: datetime


@dataclass
class SignalSubscription:
    """A signal catch event, boundary event, event sub-process start or event-based gateway waiting for a
    broadcast; for a signal start event of a process (the latest version) no instance is set."""

    key: int
    signal_name: str
    process_definition_key: int
    bpmn_process_id: str
    process_instance_key: int | None
    element_instance_key: int | None
    target_element_id: str
    interrupting: bool


@dataclass
class MessageStartSubscription:
    process_definition_key: int
    bpmn_process_id: str
    message_name: str
    start_event_id: str


@dataclass
class Message:
    key: int
    name: str
    correlation_key: str
    variables: dict[str, Any]
    message_id: str
    published_at: datetime
    expires_at: datetime
    correlated_process_instances: set[int] = field(default_factory=set)
    correlated_process_ids: set[str] = field(default_factory=set)


@dataclass
class Incident:
    key: int
    error_type: str
    error_message: str
    process_instance_key: int
    process_definition_key: int
    bpmn_process_id: str
    element_instance_key: int
    element_id: str
    job_key: int | None
    state: IncidentState
    created_at: datetime
    phase: str  # "activate" | "complete" | "job" | "error" – what resolving retries
    resolved_at: datetime | None = None


@dataclass
class UserTask:
    key: int
    element_instance_key: int
    process_instance_key: int
    process_definition_key: int
    process_definition_version: int
    bpmn_process_id: str
    element_id: str
    name: str | None
    state: UserTaskState
    creation_date: datetime
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    due_date: str | None
    follow_up_date: str | None
    form_key: int | None
    external_form_reference: str | None
    priority: int
    custom_headers: dict[str, str]
    completion_date: datetime | None = None
    # the transition its task listeners decide on (ASSIGNING, UPDATING, COMPLETING): what the command asked –
    # action, assignee, changes, variables
    pending: dict[str, Any] | None = None


class Record(NamedTuple):
    """One entry of the engine's history: what happened to which key, and when.

    A named tuple: the engine keeps its history as plain tuples of these fields (the executor records several
    per element and keeps them all) and makes Records of them only when `Engine.records` is read."""

    position: int
    value_type: str
    intent: str
    key: int
    timestamp: datetime
    process_instance_key: int | None = None
    element_id: str | None = None
    bpmn_element_type: str | None = None
    flow_scope_key: int | None = None


@dataclass(slots=True)
class MultiInstanceBody:
    """What a multi-instance body keeps: the evaluated input collection and how far its inner instances are."""

    collection: list[Any]
    next_index: int = 0  # the 0-based index of the next inner instance to start (a sequential body)
    completed: int = 0
    terminated: int = 0


@dataclass(frozen=True, slots=True)
class EventTrigger:
    """What an event delivered to an element (a job's or user task's completion, a message, a signal, an error): the
    variables it brings, and its local variables (errorCode and errorMessage of an error), applied when the element
    completes."""

    variables: dict[str, Any] | None
    locals: dict[str, Any] | None = None
    occurred: bool = False  # a catch event entered because its event already occurred (after an event-based gateway)
