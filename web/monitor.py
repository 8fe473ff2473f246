"""What the managers' monitor shows, read from the Orchestration Cluster REST API `/v2` only – the same calls on the
embedded engine and on Camunda 8.8 (beside Operate):

- per SOP (`overview`): the deployed versions of its process, the newest one's diagram, and per element the number
  waiting there and with an incident (`POST /v2/process-definitions/{key}/statistics/element-instances`, summed over
  the versions), and the steps past their standard time – the active element instances
  (`POST /v2/element-instances/search`) measured in the province's working time against the standard of their own
  version (`pbj.compliance.past_standard`, the report's rule for *running over*);
- per instance (`instance_view`): its element instances, the sequence flows it took
  (`GET /v2/process-instances/{key}/sequence-flows`), the timeline of its steps against their standard times and
  its open incidents (`POST /v2/incidents/search`).

Nothing here reads personal data: an instance is named by its request number only.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from pbj.commands.output import parse_time
from pbj.commands.pantau import STEP_TYPES, Standards
from pbj.commands.rest import CamundaRest
from pbj.commands.standar import Standard, covered_elements
from pbj.compliance import past_standard, working_time
from workers.domain import RequestKind
from workers.working_time import WorkingCalendar

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODE_TAGS = frozenset(
    f"{{{BPMN}}}{tag}"
    for tag in (
        "task",
        "serviceTask",
        "userTask",
        "receiveTask",
        "sendTask",
        "scriptTask",
        "businessRuleTask",
        "manualTask",
        "callActivity",
        "subProcess",
        "intermediateCatchEvent",
        "startEvent",
        "endEvent",
        "boundaryEvent",
        "intermediateThrowEvent",
        "exclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "inclusiveGateway",
    )
)
MULTI_INSTANCE_BODY = "MULTI_INSTANCE_BODY"


class MonitorError(Exception):
    """The monitor cannot show what was asked (an unknown process, element or instance)."""


def kind_of_process(process_id: str) -> RequestKind | None:
    """The SOP whose process has this id (None for another process)."""
    return next((kind for kind in RequestKind if kind.process_id == process_id), None)


def element_names(xml: str) -> dict[str, str]:
    """The flow nodes of a diagram, by id, with their names (their id where unnamed), in document order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode(), parser)
    return {
        str(node.get("id")): str(node.get("name") or node.get("id"))
        for node in root.iter()
        if node.tag in FLOW_NODE_TAGS and node.get("id")
    }


# --- one SOP ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """An active step instance: where a request waits."""

    process_instance_key: str
    element_id: str
    started: datetime
    late: bool
    incident: bool


@dataclass
class ElementFigures:
    """What waits at one element of a process."""

    element_id: str
    name: str
    waiting: int = 0
    incidents: int = 0
    late: int = 0

    def as_json(self) -> dict[str, int]:
        """The overlay's numbers."""
        return {"menunggu": self.waiting, "insiden": self.incidents, "terlambat": self.late}


@dataclass
class Overview:
    """One SOP's process as the monitor draws it (`definition_key` None: not deployed)."""

    kind: RequestKind
    definition_key: str | None = None
    version: int | None = None
    elements: dict[str, ElementFigures] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)

    @property
    def busy(self) -> list[ElementFigures]:
        """The elements where something waits or failed, in diagram order."""
        return [e for e in self.elements.values() if e.waiting or e.incidents or e.late]

    def overlays(self) -> dict[str, dict[str, int]]:
        """The numbers per element for the diagram's overlays."""
        return {e.element_id: e.as_json() for e in self.busy}

    def at(self, element_id: str) -> list[Waiting]:
        """The instances waiting at one element, oldest first."""
        return sorted((w for w in self.waiting if w.element_id == element_id), key=lambda w: w.started)


async def overview(
    rest: CamundaRest, standards: Standards, kind: RequestKind, calendar: WorkingCalendar, now: datetime
) -> Overview:
    """The SOP's process: its newest diagram and what waits at each element over every deployed version."""
    result = Overview(kind)
    definitions = await rest.search("process-definitions", {"processDefinitionId": kind.process_id})
    if not definitions:
        return result
    newest = max(definitions, key=lambda d: int(d.get("version") or 0))
    result.definition_key, result.version = str(newest["processDefinitionKey"]), int(newest.get("version") or 0)
    names = element_names(await rest.get_text(f"/v2/process-definitions/{result.definition_key}/xml"))
    result.elements = {element_id: ElementFigures(element_id, name) for element_id, name in names.items()}
    for definition in definitions:
        key = str(definition["processDefinitionKey"])
        answer = await rest.post(f"/v2/process-definitions/{key}/statistics/element-instances", {})
        for item in answer.get("items") or []:
            element_id = str(item.get("elementId"))
            figures = result.elements.setdefault(element_id, ElementFigures(element_id, element_id))
            figures.waiting += int(item.get("active") or 0)
            figures.incidents += int(item.get("incidents") or 0)
    active = await rest.search("element-instances", {"processDefinitionId": kind.process_id, "state": "ACTIVE"})
    known = {key: await standards.of(int(key)) for key in {str(i["processDefinitionKey"]) for i in active}}
    # every active step measured in working time (calendar days, holidays): off the event loop
    result.waiting = await asyncio.to_thread(waiting_steps, active, known, calendar, now)
    for waiting in result.waiting:
        if waiting.late:
            result.elements.setdefault(
                waiting.element_id, ElementFigures(waiting.element_id, waiting.element_id)
            ).late += 1
    return result


def waiting_steps(
    active: list[dict[str, Any]], known: dict[str, dict[str, Standard]], calendar: WorkingCalendar, now: datetime
) -> list[Waiting]:
    """The active steps (a multi-instance once, as its body), each measured against the standard of its own version:
    SOP 2 row 7's at the sub-process that times it (the activations inside it wait there too, never late)."""
    bodies = {
        (str(i["processInstanceKey"]), str(i["elementId"])) for i in active if i.get("type") == MULTI_INSTANCE_BODY
    }
    found = []
    for item in active:
        element_id, key = str(item.get("elementId")), str(item.get("processInstanceKey"))
        if item.get("type") not in STEP_TYPES:
            continue
        if item.get("type") != MULTI_INSTANCE_BODY and (key, element_id) in bodies:
            continue
        started = parse_time(item.get("startDate"))
        if started is None:
            continue
        standard = known.get(str(item["processDefinitionKey"]), {}).get(element_id)
        found.append(
            Waiting(key, element_id, started, _late(calendar, standard, started, now), bool(item.get("hasIncident")))
        )
    return found


def _late(calendar: WorkingCalendar, standard: Standard | None, started: datetime, now: datetime) -> bool:
    if standard is None or standard.sla_timer_id is None or standard.duration is None:
        return False
    return past_standard(calendar, started, standard.duration, now)


# --- one instance -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineStep:
    """One step of an instance against its standard time."""

    element_id: str
    name: str
    started: datetime
    ended: datetime | None
    working_time: timedelta
    standard: str | None
    state: str
    verdict: str
    """`dalam` (within the standard), `lampau` (past it), `berjalan` (running, within so far), `tanpa` (no
    standard)."""


@dataclass
class InstanceView:
    """One process instance as the monitor shows it."""

    key: str
    kind: RequestKind
    definition_key: str
    state: str
    started: datetime | None
    ended: datetime | None
    completed_elements: list[str]
    active_elements: list[str]
    taken_flows: list[str]
    timeline: list[TimelineStep]
    incidents: list[dict[str, Any]]

    def diagram_data(self) -> dict[str, list[str]]:
        """What the diagram marks: elements done, elements active, sequence flows taken, elements with an incident."""
        return {
            "selesai": self.completed_elements,
            "aktif": self.active_elements,
            "alur": self.taken_flows,
            "insiden": sorted({str(i.get("elementId")) for i in self.incidents}),
        }


async def instance_view(
    rest: CamundaRest,
    standards: Standards,
    key: str,
    calendar_of: Callable[[RequestKind], WorkingCalendar],
    now: datetime,
) -> InstanceView | None:
    """The instance's path, timeline and open incidents; None when the engine does not know it or it is not one of
    the SOPs' processes. `calendar_of(kind)` gives the province's working calendar."""
    instance = await rest.find(f"/v2/process-instances/{key}")
    if instance is None:
        return None
    kind = kind_of_process(str(instance.get("processDefinitionId")))
    if kind is None:
        return None
    calendar = calendar_of(kind)
    definition_key = str(instance["processDefinitionKey"])
    known = await standards.of(int(definition_key))
    items = await rest.search(
        "element-instances", {"processInstanceKey": key}, sort=[{"field": "startDate", "order": "ASC"}]
    )
    flows = await rest.get(f"/v2/process-instances/{key}/sequence-flows")
    incidents = await rest.search("incidents", {"processInstanceKey": key, "state": "ACTIVE"})
    bodies = {str(i["elementId"]) for i in items if i.get("type") == MULTI_INSTANCE_BODY}
    inside = covered_elements(known)  # parts of a timed sub-process's step (SOP 2 row 7): the sub-process's row
    timeline: list[TimelineStep] = []
    completed: dict[str, None] = {}
    active: dict[str, None] = {}
    for item in items:
        element_id = str(item.get("elementId"))
        if item.get("type") == "PROCESS":
            continue
        (active if item.get("state") == "ACTIVE" else completed).setdefault(element_id, None)
        if item.get("type") not in STEP_TYPES or (item.get("type") != MULTI_INSTANCE_BODY and element_id in bodies):
            continue
        if element_id in inside:
            continue
        started, ended = parse_time(item.get("startDate")), parse_time(item.get("endDate"))
        if started is None:
            continue
        standard = known.get(element_id)
        timed = standard is not None and standard.sla_timer_id is not None and standard.duration is not None
        until = ended or now
        elapsed = working_time(calendar, started, until)
        if not timed or standard is None or standard.duration is None:
            verdict = "tanpa"
        elif past_standard(calendar, started, standard.duration, until):
            verdict = "lampau"
        else:
            verdict = "dalam" if ended is not None else "berjalan"
        name = (standard.activity if standard is not None and standard.activity else None) or str(
            item.get("elementName") or element_id
        )
        timeline.append(
            TimelineStep(
                element_id=element_id,
                name=name,
                started=started,
                ended=ended,
                working_time=elapsed,
                standard=standard.duration if timed and standard is not None else None,
                state=str(item.get("state")),
                verdict=verdict,
            )
        )
    by_flow: dict[str, None] = {str(f.get("sequenceFlowId")): None for f in (flows or {}).get("items") or []}
    return InstanceView(
        key=key,
        kind=kind,
        definition_key=definition_key,
        state=str(instance.get("state")),
        started=parse_time(instance.get("startDate")),
        ended=parse_time(instance.get("endDate")),
        completed_elements=[e for e in completed if e not in active],
        active_elements=list(active),
        taken_flows=list(by_flow),
        timeline=timeline,
        incidents=incidents,
    )


def minutes_text(value: timedelta) -> str:
    """A working time as people read it: `1 jam 5 menit`, `40 menit`, `0 menit`."""
    total = int(value.total_seconds() // 60)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return f"{hours} jam {rest} menit"
    return f"{hours} jam" if hours else f"{rest} menit"
