"""BPMN XML → ProcessModel: a table from BPMN tag to builder, and validation that refuses at deploy
whatever the engine could not run, naming the file, the element, its type, the line and the reason."""

from collections.abc import Callable

from lxml import etree

from engine.errors import InvalidArgumentError
from engine.model import (
    BindingType,
    CalledDecision,
    CalledElement,
    EventDefinition,
    EventType,
    FlowNode,
    JobDefinition,
    Kind,
    ListenerDefinition,
    ListenerEvent,
    LoopDefinition,
    Mapping,
    MessageDefinition,
    ProcessModel,
    ScriptDefinition,
    SequenceFlow,
    TimerDefinition,
    TimerType,
    UserTaskDefinition,
)
from engine.resource_problems import ResourceProblem
from engine.resource_problems import local_name as _local
from engine.resource_problems import source_line as _line

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

JOB_USER_TASK_TYPE = "io.camunda.zeebe:userTask"

# Validates a FEEL expression (without "="); returns an error sentence or None.
ExpressionCheck = Callable[[str], str | None]
# Validates a static timer value; returns an error sentence or None.
TimerCheck = Callable[[TimerType, str], str | None]

_TASK_TAGS = {"serviceTask", "sendTask", "scriptTask", "businessRuleTask", "receiveTask", "userTask"}
_PASS_TAGS = {"task", "manualTask"}
_EVENT_TAGS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_GATEWAY_TAGS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
_IGNORED_TAGS = {
    "laneSet",
    "textAnnotation",
    "association",
    "group",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "documentation",
    "extensionElements",
    "ioSpecification",
    "property",
    "dataInputAssociation",
    "dataOutputAssociation",
    "incoming",
    "outgoing",
    "multiInstanceLoopCharacteristics",
    "sequenceFlow",
}
# elements refused whatever their content: not in Zeebe 8.8, or in Zeebe 8.8 but not in the embedded engine
_REFUSED_TAGS = {
    "complexGateway": "complex gateways are not supported by Zeebe",
    "transaction": "transactions are not supported by Zeebe",
    "adHocSubProcess": "ad-hoc sub-processes are not supported by the embedded engine (Zeebe 8.8 runs them)",
}
_EVENT_DEFINITIONS = {
    "timerEventDefinition": EventType.TIMER,
    "messageEventDefinition": EventType.MESSAGE,
    "errorEventDefinition": EventType.ERROR,
    "terminateEventDefinition": EventType.TERMINATE,
    "signalEventDefinition": EventType.SIGNAL,
    "escalationEventDefinition": EventType.ESCALATION,
    "linkEventDefinition": EventType.LINK,
}
_REFUSED_EVENT_DEFINITIONS = {
    "compensateEventDefinition": "compensation events are not supported by the embedded engine (Zeebe 8.8 runs them)",
    "conditionalEventDefinition": "conditional events are not supported by Zeebe 8.8",
    "cancelEventDefinition": "cancel events are not supported by Zeebe (it has no transactions)",
}
# the activities an escalation boundary event may be attached to (Zeebe's BoundaryEventValidator)
_ESCALATION_HOSTS = (Kind.SUB_PROCESS, Kind.CALL_ACTIVITY)
# what may follow an event-based gateway
_GATEWAY_EVENTS = (EventType.TIMER, EventType.MESSAGE, EventType.SIGNAL)
_KNOWN_ZEEBE_EXTENSIONS = {
    "taskDefinition",
    "ioMapping",
    "taskHeaders",
    "loopCharacteristics",
    "formDefinition",
    "userTask",
    "assignmentDefinition",
    "taskSchedule",
    "priorityDefinition",
    "script",
    "properties",
    "versionTag",
    "subscription",
    "calledElement",
    "calledDecision",
    "executionListeners",
    "taskListeners",
}
# Zeebe 8.8's task listener event types; the deprecated names of earlier releases mean the same
_TASK_LISTENER_EVENTS = {
    "creating": ListenerEvent.CREATING,
    "assigning": ListenerEvent.ASSIGNING,
    "updating": ListenerEvent.UPDATING,
    "completing": ListenerEvent.COMPLETING,
    "canceling": ListenerEvent.CANCELING,
    "create": ListenerEvent.CREATING,
    "assignment": ListenerEvent.ASSIGNING,
    "update": ListenerEvent.UPDATING,
    "complete": ListenerEvent.COMPLETING,
    "cancel": ListenerEvent.CANCELING,
}
_GATEWAY_KINDS = (Kind.EXCLUSIVE_GATEWAY, Kind.INCLUSIVE_GATEWAY, Kind.PARALLEL_GATEWAY, Kind.EVENT_BASED_GATEWAY)


def _ns(tag: object) -> str:
    return etree.QName(tag).namespace or "" if isinstance(tag, str) else ""


class BpmnParser:
    """Parses one BPMN resource into its executable processes, or refuses it with every problem found."""

    def __init__(self, check_expression: ExpressionCheck, check_timer: TimerCheck) -> None:
        self._check_expression = check_expression
        self._check_timer = check_timer

    def parse(self, resource_name: str, content: bytes) -> list[ProcessModel]:
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            root = etree.fromstring(content, parser)
        except etree.XMLSyntaxError as exc:
            raise InvalidArgumentError(
                f"Expected to deploy new resources, but encountered the following errors:\n"
                f"'{resource_name}': the XML is not well-formed: {exc}"
            ) from None
        if _ns(root.tag) != BPMN or _local(root.tag) != "definitions":
            raise InvalidArgumentError(
                f"Expected to deploy new resources, but encountered the following errors:\n"
                f"'{resource_name}': not a BPMN 2.0 document (the root element must be bpmn:definitions)"
            )
        run = _ParseRun(resource_name, root, self._check_expression, self._check_timer)
        models = run.parse()
        if run.problems:
            lines = "\n".join(p.render() for p in run.problems)
            raise InvalidArgumentError(
                f"Expected to deploy new resources, but encountered the following errors:\n'{resource_name}':\n{lines}"
            )
        if not models:
            raise InvalidArgumentError(
                "Expected to deploy new resources, but encountered the following errors:\n"
                f"'{resource_name}': the document contains no executable process (isExecutable=\"true\")"
            )
        return models


class _ParseRun:
    def __init__(
        self,
        resource_name: str,
        root: etree._Element,
        check_expression: ExpressionCheck,
        check_timer: TimerCheck,
    ) -> None:
        self.resource_name = resource_name
        self.root = root
        self.check_expression = check_expression
        self.check_timer = check_timer
        self.problems: list[ResourceProblem] = []
        self.messages: dict[str, etree._Element] = {}
        self.errors: dict[str, etree._Element] = {}
        self.signals: dict[str, etree._Element] = {}
        self.escalations: dict[str, etree._Element] = {}
        # elements refused whole (and so not in the model): what refers to them is not reported again
        self.refused: set[str] = set()
        self.flow_lines: dict[str, int | None] = {}
        # events whose definition was reported as a problem: checks that read the definition skip them
        self.broken: set[str] = set()

    # ---------------------------------------------------------------- helpers
    def problem(self, el: etree._Element, reason: str) -> None:
        self.problems.append(ResourceProblem.at(el, "bpmn", reason))

    def expression(self, el: etree._Element, text: str | None, what: str, *, required: bool = True) -> None:
        """Checks that a Zeebe expression attribute is present and, if it is FEEL, parses."""
        if text is None or not text.strip():
            if required:
                self.problem(el, f"{what} must not be empty")
            return
        if text.startswith("="):
            error = self.check_expression(text[1:])
            if error:
                self.problem(el, f"{what} is not a valid FEEL expression: {error}")

    def refuse(self, el: etree._Element, reason: str) -> None:
        """Reports an element that is left out of the model: flows and boundary events referring to it are then
        follow-ons of this one problem and not reported again."""
        self.problem(el, reason)
        if el.get("id"):
            self.refused.add(el.get("id", ""))

    def zeebe(self, el: etree._Element, name: str) -> etree._Element | None:
        ext = el.find(f"{{{BPMN}}}extensionElements")
        if ext is None:
            return None
        return ext.find(f"{{{ZEEBE}}}{name}")

    def check_extensions(self, el: etree._Element) -> None:
        ext = el.find(f"{{{BPMN}}}extensionElements")
        if ext is None:
            return
        for child in ext:
            if _ns(child.tag) != ZEEBE or _local(child.tag) in _KNOWN_ZEEBE_EXTENSIONS:
                continue
            if _local(child.tag) == "userTaskForm" and _local(el.tag) == "process":
                self.user_task_form(el, child)
                continue
            self.problem(el, f"the extension zeebe:{_local(child.tag)} is not supported by the embedded engine")

    def user_task_form(self, process: etree._Element, form: etree._Element) -> None:
        """A form embedded in the process (Zeebe's ZeebeUserTaskFormValidator): an id and a non-empty text. A
        job-based user task refers to it by its formKey (camunda-forms:bpmn:<id>), handed to the job's worker
        in the io.camunda.zeebe:formKey header as written; nothing else in the engine reads it."""
        if not (form.get("id") or "").strip():
            self.problem(process, "a zeebe:userTaskForm must have an id")
        if not form.text:
            self.problem(process, "the text content of a zeebe:userTaskForm has to be present and not empty")

    # ---------------------------------------------------------------- document level
    def parse(self) -> list[ProcessModel]:
        for el in self.root:
            if _local(el.tag) == "message" and el.get("id"):
                self.messages[el.get("id", "")] = el
            elif _local(el.tag) == "error" and el.get("id"):
                self.errors[el.get("id", "")] = el
            elif _local(el.tag) == "signal" and el.get("id"):
                self.signals[el.get("id", "")] = el
            elif _local(el.tag) == "escalation" and el.get("id"):
                self.escalations[el.get("id", "")] = el
        models: list[ProcessModel] = []
        for el in self.root.iterchildren(f"{{{BPMN}}}process"):
            if el.get("isExecutable", "false").lower() != "true":
                continue
            model = self.process(el)
            if model is not None:
                models.append(model)
        return models

    def process(self, el: etree._Element) -> ProcessModel | None:
        process_id = el.get("id")
        if not process_id:
            self.problem(el, "a process must have an id")
            return None
        node = FlowNode(id=process_id, tag="process", kind=Kind.PROCESS, name=el.get("name"), line=_line(el))
        model = ProcessModel(
            bpmn_process_id=process_id,
            name=el.get("name"),
            resource_name=self.resource_name,
            elements={process_id: node},
            flows={},
        )
        version_tag = self.zeebe(el, "versionTag")
        if version_tag is not None and version_tag.get("value"):
            model.version_tag = version_tag.get("value")
        self.execution_listeners(el, node)
        self.scope(el, node, model)
        starts = [model.elements[c] for c in node.children if model.elements[c].kind is Kind.START_EVENT]
        if not starts:
            self.problem(el, "a process must have at least one start event")
        none_starts = [
            s for s in starts if s.id not in self.broken and (s.event is None or s.event.type is EventType.NONE)
        ]
        if len(none_starts) > 1:
            self.problem(el, "a process can have at most one none start event")
        for s in starts:
            if s.event is not None and s.event.type is EventType.MESSAGE:
                model.message_starts.append(s.id)
            elif s.event is not None and s.event.type is EventType.TIMER:
                model.timer_starts.append(s.id)
            elif s.event is not None and s.event.type is EventType.SIGNAL:
                model.signal_starts.append(s.id)
            elif s.event is not None and s.event.type is not EventType.NONE:
                self.problem(el, f"start event '{s.id}': a {s.event.type.lower()} start event is not supported here")
        self.flows_and_links(model)
        return model

    def scope(self, el: etree._Element, node: FlowNode, model: ProcessModel) -> None:
        """Parses the flow elements directly inside a process or sub-process."""
        self.check_extensions(el)
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = _local(child.tag)
            if _ns(child.tag) != BPMN:
                continue
            if tag in _IGNORED_TAGS and tag != "sequenceFlow":
                continue
            if tag == "sequenceFlow":
                self.sequence_flow(child, model)
                continue
            if tag in _REFUSED_TAGS:
                self.refuse(child, _REFUSED_TAGS[tag])
                continue
            if child.get("isForCompensation", "false").lower() == "true":
                self.refuse(
                    child, "compensation handlers are not supported by the embedded engine (Zeebe 8.8 runs them)"
                )
                continue
            builder = _BUILDERS.get(tag)
            if builder is None:
                self.refuse(child, f"the element type bpmn:{tag} is not supported by the embedded engine")
                continue
            child_id = child.get("id")
            if not child_id:
                self.problem(child, "the element has no id")
                continue
            if child_id in model.elements:
                self.problem(child, "the id is used by another element of the process")
                continue
            flow_node = builder(self, child, model)
            if flow_node is None:
                self.refused.add(child_id)
                continue
            flow_node.scope_id = node.id
            flow_node.line = _line(child)
            model.elements[child_id] = flow_node
            node.children.append(child_id)
            if (
                flow_node.kind is Kind.START_EVENT
                and child_id not in self.broken
                and (flow_node.event is None or flow_node.event.type is EventType.NONE)
            ):
                node.none_start = child_id
            if flow_node.kind is Kind.EVENT_SUB_PROCESS:
                node.event_sub_processes.append(child_id)

    def sequence_flow(self, el: etree._Element, model: ProcessModel) -> None:
        flow_id = el.get("id")
        source, target = el.get("sourceRef"), el.get("targetRef")
        if not flow_id or not source or not target:
            self.problem(el, "a sequence flow needs an id, a sourceRef and a targetRef")
            return
        condition = None
        cond_el = el.find(f"{{{BPMN}}}conditionExpression")
        if cond_el is not None:
            text = (cond_el.text or "").strip()
            if not text.startswith("="):
                self.problem(el, "a condition must be a FEEL expression starting with '='")
            else:
                condition = text[1:]
                self.expression(el, text, "the condition")
        model.flows[flow_id] = SequenceFlow(flow_id, source, target, condition)
        self.flow_lines[flow_id] = _line(el)

    def flows_and_links(self, model: ProcessModel) -> None:
        """Connects flows to their nodes and checks the cross-references of the whole process."""
        for flow in model.flows.values():
            src, tgt = model.elements.get(flow.source), model.elements.get(flow.target)
            fake = self._fake_flow(flow.id)
            if src is None or tgt is None:
                missing = flow.source if src is None else flow.target
                if missing not in self.refused:
                    self.problem(fake, f"refers to '{missing}', which is not a flow node of this process")
                continue
            if src.scope_id != tgt.scope_id:
                self.problem(fake, "a sequence flow cannot cross the border of a sub-process")
                continue
            src.outgoing.append(flow.id)
            tgt.incoming.append(flow.id)
        for node in list(model.elements.values()):
            self.check_node(node, model)
        for node in list(model.elements.values()):
            if node.is_scope:
                self.check_scope(node, model)

    @staticmethod
    def _fake(node: FlowNode, tag: str | None = None) -> etree._Element:
        """An element standing for a parsed node, to report a problem found after parsing."""
        fake = etree.Element(f"{{{BPMN}}}{tag or node.tag}", id=node.id)
        fake.sourceline = node.line  # type: ignore[assignment]
        return fake

    def _fake_flow(self, flow_id: str) -> etree._Element:
        """A sequence flow standing for a parsed one, with its line."""
        fake = etree.Element(f"{{{BPMN}}}sequenceFlow", id=flow_id)
        fake.sourceline = self.flow_lines.get(flow_id)  # type: ignore[assignment]
        return fake

    def check_scope(self, scope: FlowNode, model: ProcessModel) -> None:
        """Checks what belongs to a scope as a whole: link pairs, and catch events that would compete."""
        children = [model.elements[c] for c in scope.children]
        catches: dict[str, list[FlowNode]] = {}
        for node in children:
            if node.kind is Kind.INTERMEDIATE_CATCH_EVENT and node.event is not None and node.event.link_name:
                catches.setdefault(node.event.link_name, []).append(node)
        for name, found in catches.items():
            if len(found) > 1:
                self.problem(
                    self._fake(scope),
                    f"multiple intermediate catch link events with the same name '{name}' are not allowed",
                )
        for node in children:
            if node.kind is Kind.INTERMEDIATE_THROW_EVENT and node.event is not None and node.event.link_name:
                targets = catches.get(node.event.link_name)
                if not targets:
                    self.problem(
                        self._fake(node),
                        f"there is no link catch event named '{node.event.link_name}' in the same scope",
                    )
                else:
                    node.link_target = targets[0].id
        # a process's own signal start events and the start events of its event sub-processes compete
        starts = [c for c in children if c.kind is Kind.START_EVENT and scope.kind is Kind.PROCESS]
        for esp_id in scope.event_sub_processes:
            esp = model.elements[esp_id]
            if esp.none_start is not None:
                starts.append(model.elements[esp.none_start])
        self.check_competing_catches(scope, starts)
        for node in children:
            if node.boundary_events:
                self.check_competing_catches(node, [model.elements[b] for b in node.boundary_events])

    def check_competing_catches(self, owner: FlowNode, events: list[FlowNode]) -> None:
        """Catch events that compete in one scope (the boundary events of an activity, the start events of a
        process and its event sub-processes, the events after an event-based gateway), as Zeebe checks: escalation
        codes distinct with at most one catch-all, signal names distinct."""
        codes: list[str | None] = [
            e.event.escalation_code for e in events if e.event is not None and e.event.type is EventType.ESCALATION
        ]
        if codes.count(None) > 1:
            self.problem(
                self._fake(owner),
                "the same scope can not contain more than one escalation catch event without escalation code",
            )
        for code in sorted({c for c in codes if c is not None}):
            if codes.count(code) > 1:
                self.problem(
                    self._fake(owner),
                    f"multiple escalation catch events with the same escalation code '{code}' are not supported "
                    "on the same scope",
                )
        names = [e.event.signal_name for e in events if e.event is not None and e.event.type is EventType.SIGNAL]
        for name in sorted({n for n in names if n is not None}):
            if names.count(name) > 1:
                self.problem(
                    self._fake(owner), f"multiple signal event definitions with the same name '{name}' are not allowed"
                )

    def check_node(self, node: FlowNode, model: ProcessModel) -> None:
        fake = self._fake(node)
        conditional = [f for f in node.outgoing if model.flows[f].condition is not None]
        if node.kind in (Kind.EXCLUSIVE_GATEWAY, Kind.INCLUSIVE_GATEWAY):
            what = "exclusive" if node.kind is Kind.EXCLUSIVE_GATEWAY else "inclusive"
            if node.default_flow and node.default_flow not in node.outgoing:
                self.problem(fake, f"the default flow '{node.default_flow}' is not an outgoing flow of the gateway")
            if len(node.outgoing) > 1:
                for f in node.outgoing:
                    if f != node.default_flow and model.flows[f].condition is None:
                        # reported on the flow, as Zeebe's SequenceFlowValidator does
                        self.problem(
                            self._fake_flow(f),
                            f"an outgoing flow of the {what} gateway '{node.id}' must have a condition "
                            "or be the default flow",
                        )
            default = model.flows.get(node.default_flow or "")
            # Zeebe allows (and never evaluates) a condition on the default flow of an inclusive gateway
            if default is not None and default.condition is not None and node.kind is Kind.EXCLUSIVE_GATEWAY:
                self.problem(fake, "the default flow must not have a condition")
        elif conditional:
            self.problem(fake, "conditional sequence flows are only supported after an exclusive or inclusive gateway")
        if node.kind is Kind.EVENT_BASED_GATEWAY:
            self.check_event_gateway(node, model)
        if node.kind is Kind.START_EVENT and node.incoming:
            self.problem(fake, "a start event cannot have incoming sequence flows")
        if node.kind is Kind.BOUNDARY_EVENT:
            host = model.elements.get(node.attached_to or "")
            if host is None and node.attached_to in self.refused:
                pass  # the activity's own refusal is the problem
            elif host is None or host.kind in (
                Kind.START_EVENT,
                Kind.END_EVENT,
                Kind.BOUNDARY_EVENT,
                Kind.EXCLUSIVE_GATEWAY,
                Kind.PARALLEL_GATEWAY,
                Kind.INCLUSIVE_GATEWAY,
                Kind.EVENT_BASED_GATEWAY,
                Kind.INTERMEDIATE_CATCH_EVENT,
                Kind.INTERMEDIATE_THROW_EVENT,
            ):
                self.problem(fake, f"attachedToRef '{node.attached_to}' is not an activity of this process")
            else:
                host.boundary_events.append(node.id)
                if host.scope_id != node.scope_id:
                    self.problem(fake, "a boundary event must be in the same scope as its activity")
                if (
                    node.event is not None
                    and node.event.type is EventType.ESCALATION
                    and host.kind not in _ESCALATION_HOSTS
                ):
                    self.problem(
                        fake, "an escalation boundary event should only be attached to a subprocess, or a call activity"
                    )
            if node.incoming:
                self.problem(fake, "a boundary event cannot have incoming sequence flows")
            if node.event is not None and node.event.type is EventType.ERROR and not node.cancel_activity:
                self.problem(fake, "an error boundary event must be interrupting")
        broken_start = any(model.elements[c].kind is Kind.START_EVENT and c in self.broken for c in node.children)
        if node.kind is Kind.SUB_PROCESS and node.none_start is None and not broken_start:
            self.problem(fake, "an embedded sub-process must have exactly one none start event")
        if node.kind is Kind.SUB_PROCESS and not broken_start:
            others = [c for c in node.children if model.elements[c].kind is Kind.START_EVENT and c != node.none_start]
            if others:
                self.problem(fake, "an embedded sub-process can only have a none start event")
        if node.kind is Kind.EVENT_SUB_PROCESS:
            starts = [model.elements[c] for c in node.children if model.elements[c].kind is Kind.START_EVENT]
            if broken_start:
                pass  # its start event's own problem is the one to report
            elif (
                len(starts) != 1
                or starts[0].event is None
                or starts[0].event.type
                not in (
                    EventType.TIMER,
                    EventType.MESSAGE,
                    EventType.ERROR,
                    EventType.SIGNAL,
                    EventType.ESCALATION,
                )
            ):
                self.problem(
                    fake,
                    "an event sub-process needs exactly one timer, message, error, signal or escalation start event",
                )
            else:
                start = starts[0]
                node.none_start = start.id
                node.interrupting = start.interrupting
                if node.incoming or node.outgoing:
                    self.problem(fake, "an event sub-process cannot have sequence flows")
                timer = start.event.timer if start.event is not None else None
                if start.interrupting and timer is not None and timer.type is TimerType.CYCLE:
                    self.problem(fake, "an interrupting timer event cannot have a timeCycle (Zeebe refuses it)")
                message = start.event.message if start.event is not None else None
                if message is not None and not message.correlation_key:
                    # its subscription belongs to one process instance, so it needs a key
                    start_el = etree.Element(f"{{{BPMN}}}startEvent", id=start.id)
                    start_el.sourceline = start.line  # type: ignore[assignment]
                    self.problem(
                        start_el,
                        "a message start event of an event sub-process needs a correlation key (zeebe:subscription)",
                    )
        if node.kind is Kind.PROCESS:
            for c in node.children:
                start = model.elements[c]
                if start.kind is Kind.START_EVENT and start.event is not None and (start.event.type is EventType.ERROR):
                    self.problem(fake, f"'{c}': an error start event is only allowed in an event sub-process")

    def check_event_gateway(self, node: FlowNode, model: ProcessModel) -> None:
        """Zeebe's EventBasedGatewayValidator: two or more flows, each to a timer, message or signal intermediate
        catch event that nothing else leads to; no two message catch events with the same name."""
        fake = self._fake(node)
        if len(node.outgoing) < 2:
            self.problem(fake, "an event-based gateway must have at least 2 outgoing sequence flows")
        targets = [model.elements[model.flows[f].target] for f in node.outgoing]
        if any(
            t.kind is not Kind.INTERMEDIATE_CATCH_EVENT or t.event is None or t.event.type not in _GATEWAY_EVENTS
            for t in targets
            if t.id not in self.broken
        ):
            self.problem(
                fake,
                "an event-based gateway must not have an outgoing sequence flow to other elements than "
                "message, timer or signal intermediate catch events",
            )
        if any(len(t.incoming) > 1 for t in targets):
            self.problem(
                fake,
                "target elements of an event-based gateway must not have any additional incoming sequence flows "
                "other than that from the event-based gateway",
            )
        names = [t.event.message.name for t in targets if t.event is not None and t.event.message is not None]
        if len(names) != len(set(names)):
            self.problem(fake, "multiple message catch events with the same name are not allowed after a gateway")
        self.check_competing_catches(node, targets)

    # ---------------------------------------------------------------- element builders
    def common(self, el: etree._Element, kind: Kind) -> FlowNode:
        self.check_extensions(el)
        node = FlowNode(id=el.get("id", ""), tag=_local(el.tag), kind=kind, name=el.get("name"))
        io = self.zeebe(el, "ioMapping")
        if io is not None:
            for m in io:
                if not isinstance(m.tag, str):
                    continue
                source, target = m.get("source"), m.get("target")
                if not target:
                    self.problem(el, f"a zeebe:{_local(m.tag)} mapping needs a target")
                    continue
                self.expression(el, source, f"the source of the mapping to '{target}'", required=False)
                mapping = Mapping(source or "=null", target)
                (node.inputs if _local(m.tag) == "input" else node.outputs).append(mapping)
        headers = self.zeebe(el, "taskHeaders")
        if headers is not None:
            for h in headers:
                if isinstance(h.tag, str) and h.get("key"):
                    node.headers[h.get("key", "")] = h.get("value", "")
        self.execution_listeners(el, node)
        loop_el = el.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics")
        if loop_el is not None:
            node.loop = self.loop(el, loop_el)
        if el.find(f"{{{BPMN}}}standardLoopCharacteristics") is not None:
            self.problem(el, "standard loops are not supported by Zeebe; use multi-instance")
        return node

    def listener(self, el: etree._Element, listener: etree._Element, event: ListenerEvent) -> ListenerDefinition:
        job_type = listener.get("type") or ""
        what = f"the job type of the {event.value} listener"
        if not job_type.strip():
            self.problem(el, f"{what} must not be empty")
        else:
            self.expression(el, job_type, what)
        retries = listener.get("retries") or "3"
        self.expression(el, retries, f"the retries of the {event.value} listener")
        if not retries.startswith("=") and not retries.strip().isdigit():
            self.problem(el, f"retries must be a whole number or an expression, not '{retries}'")
        return ListenerDefinition(event, job_type, retries)

    def execution_listeners(self, el: etree._Element, node: FlowNode) -> None:
        """zeebe:executionListeners, checked as Zeebe 8.8 checks them (ExecutionListenersValidator and the validators
        of start events, boundary events, gateways and error end events)."""
        found = self.zeebe(el, "executionListeners")
        if found is None:
            return
        seen: dict[tuple[str, str], int] = {}
        for listener in found:
            if not isinstance(listener.tag, str) or _local(listener.tag) != "executionListener":
                continue
            event_type = listener.get("eventType") or ""
            if event_type not in (ListenerEvent.START.value, ListenerEvent.END.value):
                self.problem(el, f"the eventType of an execution listener must be start or end, not '{event_type}'")
                continue
            definition = self.listener(el, listener, ListenerEvent(event_type))
            pair = (event_type, definition.type)
            seen[pair] = seen.get(pair, 0) + 1
            (node.start_listeners if definition.event is ListenerEvent.START else node.end_listeners).append(definition)
        for (event_type, job_type), count in seen.items():
            if count > 1:
                self.problem(
                    el,
                    f"Found '{count}' duplicates based on eventType[{event_type}] and type[{job_type}], these "
                    "combinations should be unique.",
                )
        tag = _local(el.tag)
        if node.start_listeners and tag == "startEvent":
            self.problem(el, "Execution listeners of type 'start' are not supported by start events")
        if node.start_listeners and tag == "boundaryEvent":
            self.problem(el, "Execution listeners of type 'start' are not supported by boundary events")
        if node.end_listeners and tag in _GATEWAY_TAGS:
            self.problem(el, "Execution listeners of type 'end' are not supported by gateways")

    def task_listeners(self, el: etree._Element, node: FlowNode, camunda: bool) -> None:
        found = self.zeebe(el, "taskListeners")
        if found is None:
            return
        if not camunda:
            self.problem(el, "task listeners are only supported by Camunda user tasks (zeebe:userTask)")
            return
        seen: set[tuple[ListenerEvent, str]] = set()
        for listener in found:
            if not isinstance(listener.tag, str) or _local(listener.tag) != "taskListener":
                continue
            event_type = listener.get("eventType") or ""
            event = _TASK_LISTENER_EVENTS.get(event_type)
            if event is None:
                self.problem(
                    el,
                    f"the eventType of a task listener must be one of creating, assigning, updating, completing, "
                    f"canceling, not '{event_type}'",
                )
                continue
            definition = self.listener(el, listener, event)
            if (event, definition.type) in seen:
                self.problem(
                    el,
                    f"Found duplicates based on eventType[{event.value}] and type[{definition.type}], these "
                    "combinations should be unique.",
                )
            seen.add((event, definition.type))
            node.task_listeners.setdefault(event, []).append(definition)

    def loop(self, el: etree._Element, loop_el: etree._Element) -> LoopDefinition | None:
        zl = self.zeebe(loop_el, "loopCharacteristics")
        if zl is None or not zl.get("inputCollection"):
            self.problem(el, "a multi-instance activity needs zeebe:loopCharacteristics with an inputCollection")
            return None
        self.expression(el, zl.get("inputCollection"), "the inputCollection")
        if zl.get("outputElement"):
            self.expression(el, zl.get("outputElement"), "the outputElement")
        if bool(zl.get("outputCollection")) != bool(zl.get("outputElement")):
            self.problem(el, "outputCollection and outputElement must be set together")
        cond_el = loop_el.find(f"{{{BPMN}}}completionCondition")
        condition = None
        if cond_el is not None and (cond_el.text or "").strip():
            text = (cond_el.text or "").strip()
            self.expression(el, text, "the completionCondition")
            condition = text[1:] if text.startswith("=") else text
        return LoopDefinition(
            sequential=loop_el.get("isSequential", "false").lower() == "true",
            input_collection=zl.get("inputCollection", ""),
            input_element=zl.get("inputElement") or None,
            output_collection=zl.get("outputCollection") or None,
            output_element=zl.get("outputElement") or None,
            completion_condition=condition,
        )

    def event_definition(self, el: etree._Element, *, throw: bool = False) -> EventDefinition | None:
        defs = [c for c in el if isinstance(c.tag, str) and _local(c.tag).endswith("EventDefinition")]
        if not defs:
            return EventDefinition(EventType.NONE)
        if len(defs) > 1:
            self.problem(el, "an event with several event definitions (a multiple event) is not supported by Zeebe")
            return None
        d = defs[0]
        etype = _EVENT_DEFINITIONS.get(_local(d.tag))
        if etype is None:
            kind = _local(d.tag).removesuffix("EventDefinition")
            self.problem(el, _REFUSED_EVENT_DEFINITIONS.get(_local(d.tag), f"{kind} events are not supported by Zeebe"))
            return None
        if etype is EventType.SIGNAL:
            signal = self.signals.get(d.get("signalRef") or "")
            name = (signal.get("name") or "").strip() if signal is not None else ""
            if not name:
                self.problem(el, "a signal event needs a signalRef to a bpmn:signal with a name")
                return None
            self.expression(el, name, "the signal name")
            return EventDefinition(etype, signal_name=name)
        if etype is EventType.ESCALATION:
            return self.escalation_definition(el, d, throw=throw)
        if etype is EventType.LINK:
            link_name = (d.get("name") or "").strip()
            if not link_name:
                self.problem(el, "a link name must be present and not empty")
                return None
            return EventDefinition(etype, link_name=link_name)
        if etype is EventType.TIMER:
            parts = [c for c in d if isinstance(c.tag, str) and _local(c.tag) in {t.value for t in TimerType}]
            if len(parts) != 1 or not (parts[0].text or "").strip():
                self.problem(el, "a timer needs exactly one of timeDuration, timeDate or timeCycle")
                return None
            ttype = TimerType(_local(parts[0].tag))
            text = (parts[0].text or "").strip()
            if text.startswith("="):
                self.expression(el, text, f"the {ttype.value}")
            else:
                error = self.check_timer(ttype, text)
                if error:
                    self.problem(el, f"the {ttype.value} '{text}' is invalid: {error}")
            return EventDefinition(etype, timer=TimerDefinition(ttype, text))
        if etype is EventType.MESSAGE:
            ref = d.get("messageRef")
            msg = self.messages.get(ref or "")
            if throw:
                # a job worker implements it (zeebe:taskDefinition); as in Zeebe, no message is needed
                if ref is not None and msg is None:
                    self.problem(el, f"messageRef '{ref}' does not refer to a bpmn:message of this document")
                    return None
                return EventDefinition(etype)
            if msg is None or not (msg.get("name") or "").strip():
                self.problem(el, "a message event needs a messageRef to a bpmn:message with a name")
                return None
            name = msg.get("name", "")
            self.expression(el, name, "the message name")
            sub = self.zeebe(msg, "subscription")
            key = sub.get("correlationKey") if sub is not None else None
            if key:
                self.expression(el, key, "the correlation key")
            return EventDefinition(etype, message=MessageDefinition(name, key or None))
        if etype is EventType.ERROR:
            ref = d.get("errorRef")
            if ref is None:
                return EventDefinition(etype, error_code=None)
            err = self.errors.get(ref)
            if err is None:
                self.problem(el, f"errorRef '{ref}' does not refer to a bpmn:error of this document")
                return None
            code = err.get("errorCode") or None
            if code and code.startswith("="):
                self.problem(el, "error codes given as expressions are not supported by the embedded engine")
            return EventDefinition(etype, error_code=code)
        return EventDefinition(etype)

    def escalation_definition(self, el: etree._Element, d: etree._Element, *, throw: bool) -> EventDefinition | None:
        """A throw event needs an escalation with a (static or FEEL) code; a catch event without one catches all."""
        ref = d.get("escalationRef")
        escalation = self.escalations.get(ref or "")
        if ref is not None and escalation is None:
            self.problem(el, f"escalationRef '{ref}' does not refer to a bpmn:escalation of this document")
            return None
        code = (escalation.get("escalationCode") or "").strip() if escalation is not None else ""
        if throw:
            if escalation is None:
                self.problem(el, "an escalation throw event must reference an escalation")
                return None
            if not code:
                self.problem(el, "the escalationCode must be present and not empty")
                return None
            self.expression(el, code, "the escalation code")
        elif code.startswith("="):
            self.problem(el, "the escalation code of a catch event must be a static value")
            return None
        return EventDefinition(EventType.ESCALATION, escalation_code=code or None)

    def job_definition(self, el: etree._Element, *, required: bool = True) -> JobDefinition | None:
        td = self.zeebe(el, "taskDefinition")
        if td is None:
            if required:
                self.problem(el, "must have a zeebe:taskDefinition with a job type")
            return None
        job_type = td.get("type", "")
        if not job_type.strip():
            self.problem(el, "the job type of zeebe:taskDefinition must not be blank")
            return None
        self.expression(el, job_type, "the job type")
        retries = td.get("retries") or "3"
        self.expression(el, retries, "the retries")
        if not retries.startswith("=") and not retries.strip().isdigit():
            self.problem(el, f"retries must be a whole number or an expression, not '{retries}'")
        return JobDefinition(job_type, retries)

    def build_task(self, el: etree._Element, model: ProcessModel) -> FlowNode | None:
        tag = _local(el.tag)
        if tag == "receiveTask":
            node = self.common(el, Kind.RECEIVE_TASK)
            ref = el.get("messageRef")
            msg = self.messages.get(ref or "")
            if msg is None or not (msg.get("name") or "").strip():
                self.problem(el, "a receive task needs a messageRef to a bpmn:message with a name")
                return node
            sub = self.zeebe(msg, "subscription")
            key = sub.get("correlationKey") if sub is not None else None
            self.expression(el, key, "the correlation key of the message")
            self.expression(el, msg.get("name"), "the message name")
            node.event = EventDefinition(EventType.MESSAGE, message=MessageDefinition(msg.get("name", ""), key))
            return node
        if tag == "scriptTask" and self.zeebe(el, "script") is not None:
            node = self.common(el, Kind.SCRIPT_TASK)
            script = self.zeebe(el, "script")
            assert script is not None
            expr, result = script.get("expression"), script.get("resultVariable")
            self.expression(el, expr, "the script expression")
            if not expr or not expr.startswith("=") or not result:
                self.problem(el, "zeebe:script needs an expression starting with '=' and a resultVariable")
                return node
            node.script = ScriptDefinition(expr[1:], result)
            return node
        if tag == "businessRuleTask" and self.zeebe(el, "calledDecision") is not None:
            return self.business_rule_task(el)
        if tag == "userTask":
            return self.user_task(el)
        node = self.common(el, Kind.JOB_TASK)
        node.job = self.job_definition(el)
        return node

    def business_rule_task(self, el: etree._Element) -> FlowNode:
        """A business rule task calling a DMN decision (zeebe:calledDecision), with Zeebe's deploy refusals."""
        node = self.common(el, Kind.BUSINESS_RULE_TASK)
        called = self.zeebe(el, "calledDecision")
        assert called is not None
        decision_id = (called.get("decisionId") or "").strip()
        result_variable = (called.get("resultVariable") or "").strip()
        self.expression(el, decision_id, "the decisionId of zeebe:calledDecision")
        if not result_variable:
            self.problem(el, "the resultVariable of zeebe:calledDecision must not be empty")
        binding = self.binding_type(el, called)
        if binding is None:
            return node
        version_tag = (called.get("versionTag") or "").strip() or None
        if binding is BindingType.VERSION_TAG:
            self.expression(el, version_tag, "the versionTag of zeebe:calledDecision with bindingType versionTag")
        if decision_id and result_variable:
            node.called_decision = CalledDecision(decision_id, result_variable, binding, version_tag)
        return node

    def user_task(self, el: etree._Element) -> FlowNode:
        camunda = self.zeebe(el, "userTask") is not None
        node = self.common(el, Kind.USER_TASK if camunda else Kind.JOB_TASK)
        form = self.zeebe(el, "formDefinition")
        assignment = self.zeebe(el, "assignmentDefinition")
        schedule = self.zeebe(el, "taskSchedule")
        priority = self.zeebe(el, "priorityDefinition")

        def attr(source: etree._Element | None, name: str) -> str | None:
            value = source.get(name) if source is not None else None
            if value:
                self.expression(el, value, f"the {name}", required=False)
            return value or None

        if form is not None:
            self.form_definition(el, form, camunda=camunda)
        definition = UserTaskDefinition(
            form_id=attr(form, "formId"),
            external_form_reference=attr(form, "externalReference" if camunda else "formKey"),
            assignee=attr(assignment, "assignee"),
            candidate_groups=attr(assignment, "candidateGroups"),
            candidate_users=attr(assignment, "candidateUsers"),
            due_date=attr(schedule, "dueDate"),
            follow_up_date=attr(schedule, "followUpDate"),
            priority=attr(priority, "priority"),
        )
        node.user_task = definition
        self.task_listeners(el, node, camunda)
        if not camunda:
            # a job-based user task: the engine evaluates the definition into io.camunda.zeebe:* job headers
            node.job = JobDefinition(JOB_USER_TASK_TYPE, "1")
        return node

    def form_definition(self, el: etree._Element, form: etree._Element, *, camunda: bool) -> None:
        """Zeebe's ZeebeFormDefinitionValidator: a Camunda user task links a form (formId) or names an external
        one (externalReference); a job-based one links a form (formId) or gives a form key (formKey: an
        embedded form's camunda-forms:bpmn:<id>, or any key its worker understands). Exactly one of the two."""
        first, second = ("formId", "externalReference") if camunda else ("formId", "formKey")
        if bool((form.get(first) or "").strip()) == bool((form.get(second) or "").strip()):
            native = " for native user tasks" if camunda else ""
            self.problem(el, f"exactly one of the attributes '{first}, {second}' must be present and not blank{native}")
        if form.get("bindingType") is not None and (form.get(second) or "").strip():
            self.problem(el, f"attribute '{second}' must not be used in combination with attribute 'bindingType'")

    def build_pass_task(self, el: etree._Element, model: ProcessModel) -> FlowNode:
        return self.common(el, Kind.PASS_THROUGH_TASK)

    def build_gateway(self, el: etree._Element, model: ProcessModel) -> FlowNode:
        kind = {
            "exclusiveGateway": Kind.EXCLUSIVE_GATEWAY,
            "parallelGateway": Kind.PARALLEL_GATEWAY,
            "inclusiveGateway": Kind.INCLUSIVE_GATEWAY,
            "eventBasedGateway": Kind.EVENT_BASED_GATEWAY,
        }[_local(el.tag)]
        node = self.common(el, kind)
        node.default_flow = el.get("default") or None
        if node.default_flow and kind not in (Kind.EXCLUSIVE_GATEWAY, Kind.INCLUSIVE_GATEWAY):
            self.problem(el, "only an exclusive or inclusive gateway can have a default flow")
        return node

    def binding_type(self, el: etree._Element, called: etree._Element) -> BindingType | None:
        """The bindingType of zeebe:calledElement or zeebe:calledDecision (latest when absent), or None, reported."""
        try:
            return BindingType(called.get("bindingType") or "latest")
        except ValueError:
            self.problem(el, f"the bindingType '{called.get('bindingType')}' is not latest, deployment or versionTag")
            return None

    def build_call_activity(self, el: etree._Element, model: ProcessModel) -> FlowNode:
        node = self.common(el, Kind.CALL_ACTIVITY)
        called = self.zeebe(el, "calledElement")
        process_id = (called.get("processId") or "").strip() if called is not None else ""
        if called is None or not process_id:
            self.problem(el, "a call activity needs a zeebe:calledElement with a processId")
            return node
        self.expression(el, process_id, "the processId")
        binding = self.binding_type(el, called)
        if binding is None:
            return node
        version_tag = (called.get("versionTag") or "").strip() or None
        if binding is BindingType.VERSION_TAG and version_tag is None:
            self.problem(el, "a call activity with bindingType versionTag needs a versionTag")
        node.called = CalledElement(
            process_id=process_id,
            binding_type=binding,
            version_tag=version_tag,
            propagate_all_child_variables=called.get("propagateAllChildVariables", "true").lower() != "false",
            propagate_all_parent_variables=called.get("propagateAllParentVariables", "true").lower() != "false",
        )
        return node

    def build_sub_process(self, el: etree._Element, model: ProcessModel) -> FlowNode:
        event_triggered = el.get("triggeredByEvent", "false").lower() == "true"
        node = self.common(el, Kind.EVENT_SUB_PROCESS if event_triggered else Kind.SUB_PROCESS)
        node.id = el.get("id", "")
        model.elements[node.id] = node  # children refer to it while it is being parsed
        self.scope(el, node, model)
        del model.elements[node.id]
        return node

    def build_event(self, el: etree._Element, model: ProcessModel) -> FlowNode | None:
        tag = _local(el.tag)
        kind = {
            "startEvent": Kind.START_EVENT,
            "endEvent": Kind.END_EVENT,
            "intermediateCatchEvent": Kind.INTERMEDIATE_CATCH_EVENT,
            "intermediateThrowEvent": Kind.INTERMEDIATE_THROW_EVENT,
            "boundaryEvent": Kind.BOUNDARY_EVENT,
        }[tag]
        node = self.common(el, kind)
        if kind is Kind.BOUNDARY_EVENT:
            node.attached_to = el.get("attachedToRef")
            node.cancel_activity = el.get("cancelActivity", "true").lower() != "false"
        event = self.event_definition(el, throw=kind in (Kind.END_EVENT, Kind.INTERMEDIATE_THROW_EVENT))
        if event is None:
            self.broken.add(node.id)
            return node
        node.event = event
        etype = event.type
        if kind is Kind.START_EVENT:
            node.interrupting = el.get("isInterrupting", "true").lower() != "false"
            if etype is EventType.ERROR and not node.interrupting:
                self.problem(el, "an error start event must be interrupting")
            if etype is EventType.LINK:
                self.problem(el, "a link event can only be an intermediate throw or catch event")
        elif kind is Kind.END_EVENT:
            if etype is EventType.ERROR and node.end_listeners:
                self.problem(el, "Execution listeners of type 'end' are not supported by error end events")
            if etype is EventType.MESSAGE:
                node.kind = Kind.JOB_TASK
                node.job = self.job_definition(el)
            elif etype is EventType.ERROR and not event.error_code:
                self.problem(el, "an error end event must refer to a bpmn:error with an errorCode")
            elif etype not in (
                EventType.NONE,
                EventType.ERROR,
                EventType.TERMINATE,
                EventType.SIGNAL,
                EventType.ESCALATION,
            ):
                self.problem(el, f"a {etype.lower()} end event is not supported")
        elif kind is Kind.INTERMEDIATE_CATCH_EVENT:
            if etype not in (EventType.TIMER, EventType.MESSAGE, EventType.SIGNAL, EventType.LINK):
                self.problem(el, "an intermediate catch event needs a timer, message, signal or link definition")
            elif (etype is EventType.MESSAGE and not event.message) or (
                event.message is not None and not event.message.correlation_key
            ):
                self.problem(el, "a message catch event needs a correlation key (zeebe:subscription)")
            elif event.timer is not None and event.timer.type is TimerType.CYCLE:
                self.problem(el, "an intermediate timer catch event must have a timeDuration or a timeDate")
        elif kind is Kind.INTERMEDIATE_THROW_EVENT:
            if etype is EventType.MESSAGE:
                node.kind = Kind.JOB_TASK
                node.job = self.job_definition(el)
            elif etype not in (EventType.NONE, EventType.SIGNAL, EventType.ESCALATION, EventType.LINK):
                self.problem(el, f"a {etype.lower()} intermediate throw event is not supported")
        elif kind is Kind.BOUNDARY_EVENT:
            if etype not in (
                EventType.TIMER,
                EventType.MESSAGE,
                EventType.ERROR,
                EventType.SIGNAL,
                EventType.ESCALATION,
            ):
                self.problem(el, "a boundary event needs a timer, message, error, signal or escalation definition")
            elif etype is EventType.MESSAGE and event.message is not None and not event.message.correlation_key:
                self.problem(el, "a message boundary event needs a correlation key (zeebe:subscription)")
            elif (
                etype is EventType.TIMER
                and event.timer is not None
                and (event.timer.type is TimerType.CYCLE and node.cancel_activity)
            ):
                self.problem(el, "an interrupting timer event cannot have a timeCycle (Zeebe refuses it)")
        return node


_Builder = Callable[[_ParseRun, etree._Element, ProcessModel], FlowNode | None]
_BUILDERS: dict[str, _Builder] = {
    **dict.fromkeys(_TASK_TAGS, _ParseRun.build_task),
    **dict.fromkeys(_PASS_TAGS, _ParseRun.build_pass_task),
    **dict.fromkeys(_EVENT_TAGS, _ParseRun.build_event),
    **dict.fromkeys(_GATEWAY_TAGS, _ParseRun.build_gateway),
    "subProcess": _ParseRun.build_sub_process,
    "callActivity": _ParseRun.build_call_activity,
}
