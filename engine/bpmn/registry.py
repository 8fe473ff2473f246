"""The element processors by kind, and the hooks the token flow calls per kind."""

from collections.abc import Callable

from engine.behaviors import BpmnBehaviors
from engine.behaviors.incidents import ERROR
from engine.behaviors.task_listeners import TASK_LISTENERS
from engine.bpmn.ad_hoc_sub_process import AdHocSubProcessProcessor
from engine.bpmn.business_rule_task import BusinessRuleTaskProcessor
from engine.bpmn.call_activity import CallActivityProcessor
from engine.bpmn.element import ElementProcessor
from engine.bpmn.end_event import EndEventProcessor
from engine.bpmn.event_based_gateway import EventBasedGatewayProcessor
from engine.bpmn.event_sub_process import EventSubProcessProcessor
from engine.bpmn.exclusive_gateway import ExclusiveGatewayProcessor
from engine.bpmn.inclusive_gateway import InclusiveGatewayProcessor
from engine.bpmn.intermediate_catch_event import IntermediateCatchEventProcessor
from engine.bpmn.intermediate_throw_event import IntermediateThrowEventProcessor
from engine.bpmn.job_task import JobTaskProcessor
from engine.bpmn.multi_instance import MultiInstanceProcessor
from engine.bpmn.pass_through import PassThroughProcessor
from engine.bpmn.process import ProcessProcessor
from engine.bpmn.receive_task import ReceiveTaskProcessor
from engine.bpmn.script_task import ScriptTaskProcessor
from engine.bpmn.sub_process import SubProcessProcessor
from engine.bpmn.user_task import UserTaskProcessor
from engine.model import FlowNode, Kind
from engine.state.values import ElementInstance

Activation = Callable[[ElementInstance, FlowNode], None]
FlowSelection = Callable[[ElementInstance, FlowNode], list[str]]


def _activation(processor: ElementProcessor, behaviors: BpmnBehaviors) -> Activation:
    """A processor's activation behaviour; the token flow's pass-through itself where the processor does not define
    one (one call less per element of those kinds: start events, gateways, tasks without behaviour)."""
    if type(processor).activate is ElementProcessor.activate:
        return behaviors.transitions.pass_through
    return processor.activate


class Processors:
    """What the token flow calls per kind: the activation behaviour (by the Kind's plain string value: Enum members
    hash in Python, plain strings in C), the flow selection of gateways that choose, the inclusive join, the
    multi-instance body and the call activity."""

    def __init__(self, behaviors: BpmnBehaviors) -> None:
        pass_through = PassThroughProcessor(behaviors)
        exclusive = ExclusiveGatewayProcessor(behaviors)
        inclusive = InclusiveGatewayProcessor(behaviors)
        self.process = ProcessProcessor(behaviors)
        self.end_event = EndEventProcessor(behaviors)
        self.call_activity = CallActivityProcessor(behaviors)
        self.multi_instance = MultiInstanceProcessor(behaviors)
        self.ad_hoc = AdHocSubProcessProcessor(behaviors)
        by_kind = {
            Kind.JOB_TASK: JobTaskProcessor(behaviors),
            Kind.SCRIPT_TASK: ScriptTaskProcessor(behaviors),
            Kind.BUSINESS_RULE_TASK: BusinessRuleTaskProcessor(behaviors),
            Kind.USER_TASK: UserTaskProcessor(behaviors),
            Kind.RECEIVE_TASK: ReceiveTaskProcessor(behaviors),
            Kind.INTERMEDIATE_CATCH_EVENT: IntermediateCatchEventProcessor(behaviors),
            Kind.INTERMEDIATE_THROW_EVENT: IntermediateThrowEventProcessor(behaviors),
            Kind.END_EVENT: self.end_event,
            Kind.SUB_PROCESS: SubProcessProcessor(behaviors),
            Kind.EVENT_SUB_PROCESS: EventSubProcessProcessor(behaviors),
            Kind.EVENT_BASED_GATEWAY: EventBasedGatewayProcessor(behaviors),
            Kind.CALL_ACTIVITY: self.call_activity,
            Kind.AD_HOC_SUB_PROCESS: self.ad_hoc,
            Kind.EXCLUSIVE_GATEWAY: exclusive,
            Kind.INCLUSIVE_GATEWAY: inclusive,
        }
        self.activation: dict[str, Activation] = {
            kind.value: _activation(by_kind.get(kind, pass_through), behaviors) for kind in Kind
        }
        self.flow_selection: dict[str, FlowSelection] = {
            Kind.EXCLUSIVE_GATEWAY.value: exclusive.select_flows,
            Kind.INCLUSIVE_GATEWAY.value: inclusive.select_flows,
        }
        self.inclusive_join_ready = inclusive.join_ready
        self._task_listeners = behaviors.task_listeners
        behaviors.transitions.use(self)
        behaviors.start_instance = self.process.start
        behaviors.steps.register(self.call_activity.called_process_completed)

    def retry_other(self, inst: ElementInstance, node: FlowNode, phase: str) -> None:
        if phase == ERROR:
            self.end_event.rethrow(inst, node)
        elif phase == TASK_LISTENERS:
            self._task_listeners.retry(inst, node)
