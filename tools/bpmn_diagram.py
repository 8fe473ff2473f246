"""A tiny builder for Camunda 8 BPMN files with full diagram interchange.

It writes what Camunda Modeler 5.x writes for a Camunda 8.8 diagram: one collaboration with one
pool (participant) and horizontal lanes, the process with its flow nodes and sequence flows, the
messages, and a BPMN DI plane in which every flow node has a shape and every flow an edge.
Coordinates are given explicitly by the caller (see ``generate_diagrams.py``); this module only
knows element sizes and how to turn a layout into XML.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI, "zeebe": ZEEBE, "modeler": MODELER}

EXPORTER_VERSION = "5.37.0"
PLATFORM_VERSION = "8.8.0"

SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "boundaryEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "serviceTask": (120, 80),
    "receiveTask": (120, 80),
    "userTask": (120, 80),
}
POOL_LABEL_WIDTH = 30

Point = tuple[float, float]


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


@dataclass
class Label:
    """External label bounds (events, gateways, flows)."""

    x: float
    y: float
    width: float
    height: float


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str | None
    cx: float
    cy: float
    documentation: str | None = None
    extension: list[etree._Element] = field(default_factory=list)
    event_definition: etree._Element | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    loop: etree._Element | None = None
    label: Label | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)

    @property
    def width(self) -> float:
        return SIZES[self.kind][0]

    @property
    def height(self) -> float:
        return SIZES[self.kind][1]

    @property
    def left(self) -> Point:
        return (self.cx - self.width / 2, self.cy)

    @property
    def right(self) -> Point:
        return (self.cx + self.width / 2, self.cy)

    @property
    def top(self) -> Point:
        return (self.cx, self.cy - self.height / 2)

    @property
    def bottom(self) -> Point:
        return (self.cx, self.cy + self.height / 2)


@dataclass
class Flow:
    id: str
    source: str
    target: str
    waypoints: list[Point]
    name: str | None = None
    condition: str | None = None
    label: Label | None = None


@dataclass
class Lane:
    id: str
    name: str
    top: float
    height: float


def text_label(text: str, cx: float, top: float, *, max_width: float = 90) -> Label:
    """Bounds of an external label centred on ``cx`` whose first line starts at ``top``."""
    width = min(max_width, len(text) * 5.6)
    lines = 1
    line, words = "", text.split()
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) * 5.6 > max_width and line:
            lines += 1
            line = word
        else:
            line = candidate
    return Label(round(cx - width / 2), round(top), round(width), 14 * lines)


def extension(tag: str, attributes: dict[str, str] | None = None) -> etree._Element:
    element = etree.Element(_q(ZEEBE, tag), nsmap=NSMAP)
    for key, value in (attributes or {}).items():
        element.set(key, value)
    return element


def task_definition(task_type: str) -> etree._Element:
    return extension("taskDefinition", {"type": task_type})


def task_headers(headers: dict[str, str]) -> etree._Element:
    element = extension("taskHeaders")
    for key, value in headers.items():
        etree.SubElement(element, _q(ZEEBE, "header"), key=key, value=value)
    return element


def io_mapping(inputs: Sequence[tuple[str, str]] = (), outputs: Sequence[tuple[str, str]] = ()) -> etree._Element:
    """``zeebe:ioMapping`` from (target, source-expression) pairs."""
    element = extension("ioMapping")
    for target, source in inputs:
        etree.SubElement(element, _q(ZEEBE, "input"), source=source, target=target)
    for target, source in outputs:
        etree.SubElement(element, _q(ZEEBE, "output"), source=source, target=target)
    return element


class Diagram:
    """One executable process in one pool, with lanes, laid out by the caller."""

    def __init__(self, process_id: str, process_name: str, participant_id: str, documentation: str) -> None:
        self.process_id = process_id
        self.process_name = process_name
        self.participant_id = participant_id
        self.documentation = documentation
        self.lanes: list[Lane] = []
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages: list[tuple[str, str, str]] = []
        self.pool_x = 150.0
        self.pool_right = 0.0

    # --- structure ---------------------------------------------------------------------------
    def lane(self, lane_id: str, name: str, top: float, height: float) -> None:
        self.lanes.append(Lane(lane_id, name, top, height))

    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate id {node.id}")
        self.nodes[node.id] = node
        return node

    def __getitem__(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def message(self, message_id: str, name: str, correlation_key: str) -> str:
        self.messages.append((message_id, name, correlation_key))
        return message_id

    def flow(
        self,
        source: str,
        target: str,
        waypoints: Sequence[Point],
        *,
        flow_id: str | None = None,
        name: str | None = None,
        condition: str | None = None,
        label: Label | None = None,
    ) -> Flow:
        flow = Flow(
            flow_id or f"Flow_{source}_{target}",
            source,
            target,
            [(float(x), float(y)) for x, y in waypoints],
            name,
            condition,
            label,
        )
        for a, b in itertools.pairwise(flow.waypoints):
            if a[0] != b[0] and a[1] != b[1]:
                raise ValueError(f"{flow.id}: segment {a}->{b} is not orthogonal")
        self.nodes[source].outgoing.append(flow.id)
        self.nodes[target].incoming.append(flow.id)
        self.flows.append(flow)
        return flow

    # --- XML ---------------------------------------------------------------------------------
    def to_xml(self) -> bytes:
        definitions = etree.Element(_q(BPMN, "definitions"), nsmap=NSMAP)
        definitions.set("id", f"Definitions_{self.process_id}")
        definitions.set("targetNamespace", "http://bpmn.io/schema/bpmn")
        definitions.set("exporter", "Camunda Modeler")
        definitions.set("exporterVersion", EXPORTER_VERSION)
        definitions.set(_q(MODELER, "executionPlatform"), "Camunda Cloud")
        definitions.set(_q(MODELER, "executionPlatformVersion"), PLATFORM_VERSION)

        collaboration_id = f"{self.participant_id.removesuffix('Participant')}Collaboration"
        collaboration = etree.SubElement(definitions, _q(BPMN, "collaboration"), id=collaboration_id)
        etree.SubElement(
            collaboration,
            _q(BPMN, "participant"),
            id=self.participant_id,
            name=self.process_name,
            processRef=self.process_id,
        )

        process = etree.SubElement(
            definitions, _q(BPMN, "process"), id=self.process_id, name=self.process_name, isExecutable="true"
        )
        etree.SubElement(process, _q(BPMN, "documentation")).text = self.documentation
        lane_set = etree.SubElement(process, _q(BPMN, "laneSet"), id=f"{self.process_id}LaneSet")
        for lane in self.lanes:
            lane_element = etree.SubElement(lane_set, _q(BPMN, "lane"), id=lane.id, name=lane.name)
            for node in self.nodes.values():
                if node.lane == lane.id:
                    etree.SubElement(lane_element, _q(BPMN, "flowNodeRef")).text = node.id

        for node in self.nodes.values():
            self._node_xml(process, node)
        for flow in self.flows:
            element = etree.SubElement(
                process, _q(BPMN, "sequenceFlow"), id=flow.id, sourceRef=flow.source, targetRef=flow.target
            )
            if flow.name:
                element.set("name", flow.name)
            if flow.condition:
                condition = etree.SubElement(element, _q(BPMN, "conditionExpression"))
                condition.set(_q(XSI, "type"), "bpmn:tFormalExpression")
                condition.text = flow.condition

        for message_id, name, correlation_key in self.messages:
            message = etree.SubElement(definitions, _q(BPMN, "message"), id=message_id, name=name)
            ext = etree.SubElement(message, _q(BPMN, "extensionElements"))
            ext.append(extension("subscription", {"correlationKey": correlation_key}))

        self._di_xml(definitions, collaboration_id)
        etree.indent(definitions, space="  ")
        body = etree.tostring(definitions, encoding="UTF-8", xml_declaration=False)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"

    def _node_xml(self, process: etree._Element, node: Node) -> None:
        element = etree.SubElement(process, _q(BPMN, node.kind), id=node.id)
        if node.name:
            element.set("name", node.name)
        for key, value in node.attributes.items():
            element.set(key, value)
        if node.documentation:
            etree.SubElement(element, _q(BPMN, "documentation")).text = node.documentation
        if node.extension:
            ext = etree.SubElement(element, _q(BPMN, "extensionElements"))
            for child in node.extension:
                ext.append(child)
        for flow_id in node.incoming:
            etree.SubElement(element, _q(BPMN, "incoming")).text = flow_id
        for flow_id in node.outgoing:
            etree.SubElement(element, _q(BPMN, "outgoing")).text = flow_id
        if node.loop is not None:
            element.append(node.loop)
        if node.event_definition is not None:
            element.append(node.event_definition)

    def _di_xml(self, definitions: etree._Element, collaboration_id: str) -> None:
        diagram = etree.SubElement(definitions, _q(BPMNDI, "BPMNDiagram"), id=f"{self.process_id}Diagram")
        plane = etree.SubElement(
            diagram, _q(BPMNDI, "BPMNPlane"), id=f"{self.process_id}Plane", bpmnElement=collaboration_id
        )
        top = min(lane.top for lane in self.lanes)
        bottom = max(lane.top + lane.height for lane in self.lanes)
        lane_x = self.pool_x + POOL_LABEL_WIDTH
        self._shape(plane, self.participant_id, self.pool_x, top, self.pool_right - self.pool_x, bottom - top, True)
        for lane in self.lanes:
            self._shape(plane, lane.id, lane_x, lane.top, self.pool_right - lane_x, lane.height, True)
        for node in self.nodes.values():
            shape = self._shape(
                plane,
                node.id,
                node.cx - node.width / 2,
                node.cy - node.height / 2,
                node.width,
                node.height,
                None,
            )
            if node.label is not None:
                self._label(shape, node.label)
        for flow in self.flows:
            edge = etree.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{flow.id}_di", bpmnElement=flow.id)
            for x, y in flow.waypoints:
                etree.SubElement(edge, _q(DI, "waypoint"), x=_num(x), y=_num(y))
            if flow.label is not None:
                self._label(edge, flow.label)

    @staticmethod
    def _shape(
        plane: etree._Element,
        element_id: str,
        x: float,
        y: float,
        width: float,
        height: float,
        horizontal: bool | None,
    ) -> etree._Element:
        shape = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
        if horizontal is not None:
            shape.set("isHorizontal", "true" if horizontal else "false")
        etree.SubElement(shape, _q(DC, "Bounds"), x=_num(x), y=_num(y), width=_num(width), height=_num(height))
        return shape

    @staticmethod
    def _label(parent: etree._Element, label: Label) -> None:
        element = etree.SubElement(parent, _q(BPMNDI, "BPMNLabel"))
        etree.SubElement(
            element,
            _q(DC, "Bounds"),
            x=_num(label.x),
            y=_num(label.y),
            width=_num(label.width),
            height=_num(label.height),
        )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
