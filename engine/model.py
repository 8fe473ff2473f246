"""Parse-time specs of a BPMN process: what the diagram says, separate from any running instance."""

import functools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The behaviour an element has at run time (several BPMN tags may share one)."""

    PROCESS = "PROCESS"
    SUB_PROCESS = "SUB_PROCESS"
    EVENT_SUB_PROCESS = "EVENT_SUB_PROCESS"
    START_EVENT = "START_EVENT"
    END_EVENT = "END_EVENT"
    INTERMEDIATE_CATCH_EVENT = "INTERMEDIATE_CATCH_EVENT"
    INTERMEDIATE_THROW_EVENT = "INTERMEDIATE_THROW_EVENT"
    BOUNDARY_EVENT = "BOUNDARY_EVENT"
    JOB_TASK = "JOB_TASK"
    SCRIPT_TASK = "SCRIPT_TASK"
    BUSINESS_RULE_TASK = "BUSINESS_RULE_TASK"  # one calling a DMN decision (with a job it is a JOB_TASK)
    RECEIVE_TASK = "RECEIVE_TASK"
    USER_TASK = "USER_TASK"
    PASS_THROUGH_TASK = "PASS_THROUGH_TASK"
    CALL_ACTIVITY = "CALL_ACTIVITY"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    INCLUSIVE_GATEWAY = "INCLUSIVE_GATEWAY"
    EVENT_BASED_GATEWAY = "EVENT_BASED_GATEWAY"
    MULTI_INSTANCE_BODY = "MULTI_INSTANCE_BODY"
    AD_HOC_SUB_PROCESS = "AD_HOC_SUB_PROCESS"
    # the scope each activation of an element of an ad-hoc sub-process gets (Zeebe's inner instance)
    AD_HOC_INNER_INSTANCE = "AD_HOC_SUB_PROCESS_INNER_INSTANCE"


class EventType(StrEnum):
    """The event definition of an event element."""

    NONE = "NONE"
    TIMER = "TIMER"
    MESSAGE = "MESSAGE"
    ERROR = "ERROR"
    TERMINATE = "TERMINATE"
    SIGNAL = "SIGNAL"
    ESCALATION = "ESCALATION"
    LINK = "LINK"
    COMPENSATION = "COMPENSATION"


class TimerType(StrEnum):
    """Which child of bpmn:timerEventDefinition defines the timer."""

    DURATION = "timeDuration"
    DATE = "timeDate"
    CYCLE = "timeCycle"


# The BPMN element type names that Zeebe reports (Operate, REST API) for each BPMN tag.
BPMN_ELEMENT_TYPES = {
    "process": "PROCESS",
    "subProcess": "SUB_PROCESS",
    "startEvent": "START_EVENT",
    "endEvent": "END_EVENT",
    "intermediateCatchEvent": "INTERMEDIATE_CATCH_EVENT",
    "intermediateThrowEvent": "INTERMEDIATE_THROW_EVENT",
    "boundaryEvent": "BOUNDARY_EVENT",
    "serviceTask": "SERVICE_TASK",
    "sendTask": "SEND_TASK",
    "scriptTask": "SCRIPT_TASK",
    "businessRuleTask": "BUSINESS_RULE_TASK",
    "receiveTask": "RECEIVE_TASK",
    "userTask": "USER_TASK",
    "manualTask": "MANUAL_TASK",
    "task": "TASK",
    "callActivity": "CALL_ACTIVITY",
    "exclusiveGateway": "EXCLUSIVE_GATEWAY",
    "parallelGateway": "PARALLEL_GATEWAY",
    "inclusiveGateway": "INCLUSIVE_GATEWAY",
    "eventBasedGateway": "EVENT_BASED_GATEWAY",
    "adHocSubProcess": "AD_HOC_SUB_PROCESS",
    "adHocSubProcessInnerInstance": "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
}

# the element id of the inner instances of an ad-hoc sub-process (Zeebe's ExecutableAdHocSubProcess#getInnerInstanceId)
AD_HOC_INNER_INSTANCE_SUFFIX = "#innerInstance"


@dataclass(frozen=True)
class Mapping:
    """One zeebe:input or zeebe:output: a FEEL or static source and a (possibly dotted) target."""

    source: str
    target: str


@dataclass(frozen=True)
class TimerDefinition:
    type: TimerType
    expression: str


@dataclass(frozen=True)
class MessageDefinition:
    name: str
    correlation_key: str | None


@dataclass(frozen=True)
class EventDefinition:
    type: EventType
    timer: TimerDefinition | None = None
    message: MessageDefinition | None = None
    error_code: str | None = None  # None on a catch event means "catch every error"
    signal_name: str | None = None  # static or FEEL ("=...")
    escalation_code: str | None = None  # None on a catch event means "catch every escalation"; FEEL on a throw
    link_name: str | None = None
    # a compensation throw or end event: the activity it compensates (None: every one in its scope)
    activity_ref: str | None = None


class BindingType(StrEnum):
    """Which version of the called process a call activity creates (zeebe:calledElement bindingType)."""

    LATEST = "latest"
    DEPLOYMENT = "deployment"
    VERSION_TAG = "versionTag"


@dataclass(frozen=True)
class CalledElement:
    """zeebe:calledElement of a call activity."""

    process_id: str  # static or FEEL ("=...")
    binding_type: BindingType = BindingType.LATEST
    version_tag: str | None = None
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True


@dataclass(frozen=True)
class CalledDecision:
    """zeebe:calledDecision of a business rule task."""

    decision_id: str  # static or FEEL ("=...")
    result_variable: str
    binding_type: BindingType = BindingType.LATEST
    version_tag: str | None = None  # static or FEEL


@dataclass(frozen=True)
class JobDefinition:
    type: str
    retries: str


class ListenerEvent(StrEnum):
    """When a listener runs: execution listeners (start, end) and the task listeners of Camunda user tasks, as
    zeebe:executionListener / zeebe:taskListener name them; the job's listenerEventType is the upper-case name."""

    START = "start"
    END = "end"
    CREATING = "creating"
    ASSIGNING = "assigning"
    UPDATING = "updating"
    COMPLETING = "completing"
    CANCELING = "canceling"

    @property
    def job_value(self) -> str:
        return self.value.upper()


@dataclass(frozen=True)
class ListenerDefinition:
    """One zeebe:executionListener or zeebe:taskListener: its event, job type and retries (static or FEEL)."""

    event: ListenerEvent
    type: str
    retries: str


@dataclass(frozen=True)
class UserTaskDefinition:
    form_id: str | None
    external_form_reference: str | None
    assignee: str | None
    candidate_groups: str | None
    candidate_users: str | None
    due_date: str | None
    follow_up_date: str | None
    priority: str | None


@dataclass(frozen=True)
class ScriptDefinition:
    expression: str
    result_variable: str


@dataclass(frozen=True)
class LoopDefinition:
    sequential: bool
    input_collection: str
    input_element: str | None
    output_collection: str | None
    output_element: str | None
    completion_condition: str | None


@dataclass(frozen=True)
class AdHocDefinition:
    """bpmn:adHocSubProcess with zeebe:adHoc: which activities it starts with (FEEL, a list of element ids), when it is
    done, what it collects; `job` when a job worker decides what to activate (zeebe:taskDefinition, the AI agent's
    implementation). `activities`: the ids of its elements without incoming sequence flows (filled in once the flows
    are known), `elements`: their metadata as the variable adHocSubProcessElements carries it."""

    active_elements_collection: str | None = None  # FEEL, with its "="
    completion_condition: str | None = None  # FEEL, with its "="
    cancel_remaining_instances: bool = True
    output_collection: str | None = None
    output_element: str | None = None  # FEEL, with its "="
    job: JobDefinition | None = None
    activities: tuple[str, ...] = ()
    elements: tuple[dict[str, Any], ...] = ()


@dataclass
class FlowNode:
    """One flow node (or the process itself) as the diagram defines it."""

    id: str
    tag: str
    kind: Kind
    name: str | None = None
    scope_id: str | None = None  # the process or sub-process that contains it
    line: int | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    inputs: list[Mapping] = field(default_factory=list)
    outputs: list[Mapping] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    event: EventDefinition | None = None
    job: JobDefinition | None = None
    user_task: UserTaskDefinition | None = None
    script: ScriptDefinition | None = None
    loop: LoopDefinition | None = None
    called: CalledElement | None = None
    called_decision: CalledDecision | None = None
    ad_hoc: AdHocDefinition | None = None
    link_target: str | None = None  # a link throw event: the link catch event it continues at
    # execution listeners (run as jobs, in this order) and, for a Camunda user task, its task listeners by event
    start_listeners: list[ListenerDefinition] = field(default_factory=list)
    end_listeners: list[ListenerDefinition] = field(default_factory=list)
    task_listeners: dict[ListenerEvent, list[ListenerDefinition]] = field(default_factory=dict)
    attached_to: str | None = None
    # compensation: an activity's handler (from its compensation boundary event's association), and whether this
    # activity is a handler itself (isForCompensation: started by a compensation throw event, never by a flow)
    compensation_handler: str | None = None
    for_compensation: bool = False
    cancel_activity: bool = True
    interrupting: bool = True  # for start events of event sub-processes
    default_flow: str | None = None
    boundary_events: list[str] = field(default_factory=list)
    # scopes (process, sub-process, event sub-process)
    children: list[str] = field(default_factory=list)
    none_start: str | None = None
    event_sub_processes: list[str] = field(default_factory=list)

    @functools.cached_property  # read for every element instance; kind and tag are final once parsed
    def bpmn_element_type(self) -> str:
        if self.kind is Kind.EVENT_SUB_PROCESS:
            return "EVENT_SUB_PROCESS"
        if self.kind is Kind.MULTI_INSTANCE_BODY:
            return "MULTI_INSTANCE_BODY"
        return BPMN_ELEMENT_TYPES.get(self.tag, self.tag.upper())

    @property
    def is_scope(self) -> bool:
        return self.kind in (Kind.PROCESS, Kind.SUB_PROCESS, Kind.EVENT_SUB_PROCESS, Kind.AD_HOC_SUB_PROCESS)


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    condition: str | None  # FEEL, without the leading "="


@dataclass
class ProcessModel:
    """One executable process of a deployed resource."""

    bpmn_process_id: str
    name: str | None
    resource_name: str
    elements: dict[str, FlowNode]
    flows: dict[str, SequenceFlow]
    message_starts: list[str] = field(default_factory=list)
    timer_starts: list[str] = field(default_factory=list)
    signal_starts: list[str] = field(default_factory=list)
    version_tag: str | None = None

    @property
    def root(self) -> FlowNode:
        return self.elements[self.bpmn_process_id]

    def element(self, element_id: str) -> FlowNode:
        return self.elements[element_id]
