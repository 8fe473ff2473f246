"""The SOP's standard times (*Mutu Baku – Waktu*), read from the deployed diagram rather than repeated here.

Every timed step carries a non-interrupting timer boundary event `<Step>SlaTimer` with the standard time as a
literal (processes.md): its `timeDuration`, or – for a timer at the step's working-time deadline (`timeDate`) – its
output `slaBatasWaktu`; its other output mappings name the SOP row (`slaBarisSop`) and the performer role
(`slaPelaksana`). A step waiting on an outside person may also carry an interrupting timer: the request's expiry.
`read_standards(xml)` returns, per step (the element the timers are attached to), what the process owner set in
the Modeler – so a changed diagram changes what `pbj status` and `pbj terlambat` measure against. The standard
times are working time: `Standard.deadline` counts them in the province's working calendar
(`workers.working_time`).

A step may be an embedded sub-process around the SOP row's own element: SOP 2 row 7's timer and deadline sit on
`AktifkanAkunPpbjSubProcess`, around the multi-instance `AktifkanAkunPpbjTask` (Zeebe runs a multi-instance's start
listeners per inner instance, after its body's timer was set). Its standard is read like any other, by the
sub-process's id – the row is measured from the sub-process's start to its end – and `Standard.covers` names the
elements inside it, which are part of that step rather than steps of their own.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from workers.working_time import WorkingCalendar, WorkingTimeError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
_NS = {"bpmn": BPMN, "zeebe": ZEEBE}

PERFORMERS = {
    "kepala-lpse": "Kepala LPSE",
    "pm-lkpp": "PM LKPP",
    "ppbj": "PPBJ",
    "admin-ppe": "Admin PPE",
}
"""Performer roles (`slaPelaksana`) as people read them."""


@dataclass(frozen=True)
class Standard:
    """A step's standard time and who performs it, from its SLA timer; its expiry, if it has one."""

    element_id: str
    name: str | None
    sla_timer_id: str | None = None
    duration: str | None = None
    row: int | None = None
    performer: str | None = None
    expiry: str | None = None
    activity: str | None = None
    """The SOP row's Kegiatan (the timer's `slaKegiatan`), as reminders and reports name the step."""
    covers: frozenset[str] = frozenset()
    """The elements inside the step when it is an embedded sub-process: parts of this step, not steps of their own."""

    @property
    def performer_label(self) -> str | None:
        """The performer role as people read it."""
        return None if self.performer is None else PERFORMERS.get(self.performer, self.performer)

    def deadline(self, started: datetime, calendar: WorkingCalendar) -> datetime | None:
        """When the step, started at `started`, reaches its standard time counted in working time of `calendar` (the
        province's), in the province's zone; None without a standard time or with one the calendar cannot count."""
        if not self.duration:
            return None
        try:
            return calendar.deadline(started, self.duration)
        except WorkingTimeError:
            return None


def read_standards(xml: bytes | str) -> dict[str, Standard]:
    """The standards of every step of the diagram's processes that has an SLA timer or an expiry, by element id."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    names = {
        element.get("id"): element.get("name")
        for element in root.iter()
        if isinstance(element.tag, str) and element.get("id")
    }
    found: dict[str, Standard] = {}
    hosts = {element.get("id"): element for element in root.iterfind(".//bpmn:subProcess", _NS)}
    for event in root.iterfind(".//bpmn:boundaryEvent", _NS):
        duration = event.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=_NS)
        attached = event.get("attachedToRef")
        timer_id = event.get("id") or ""
        is_sla_timer = event.get("cancelActivity") == "false" and timer_id.endswith("SlaTimer")
        if duration is None and is_sla_timer and event.find("bpmn:timerEventDefinition/bpmn:timeDate", _NS) is not None:
            # a timer at its working-time deadline (`timeDate` = `slaBatasWaktuKerja`): the standard time is the
            # literal of its `slaBatasWaktu` output (docs/processes-design.md, "Standard times in working time")
            literal = _outputs(event).get("slaBatasWaktu")
            duration = literal if isinstance(literal, str) else None
        if duration is None or not attached:
            continue
        step = found.get(attached) or Standard(
            element_id=attached, name=names.get(attached), covers=_inner_elements(hosts.get(attached))
        )
        if is_sla_timer:
            outputs = _outputs(event)
            row = outputs.get("slaBarisSop")
            performer = outputs.get("slaPelaksana")
            activity = outputs.get("slaKegiatan")
            step = Standard(
                element_id=attached,
                name=step.name,
                sla_timer_id=timer_id,
                duration=duration.strip(),
                row=row if isinstance(row, int) else None,
                performer=performer if isinstance(performer, str) else None,
                expiry=step.expiry,
                activity=activity if isinstance(activity, str) else None,
                covers=step.covers,
            )
        elif event.get("cancelActivity") != "false":
            step = Standard(**{**step.__dict__, "expiry": duration.strip()})
        found[attached] = step
    return found


def covered_elements(standards: dict[str, Standard]) -> frozenset[str]:
    """The elements inside timed sub-processes: while one of them runs, its sub-process is the step that waits."""
    return frozenset(element for standard in standards.values() for element in standard.covers)


def _inner_elements(sub_process: etree._Element | None) -> frozenset[str]:
    """The ids of the flow nodes inside an embedded sub-process (none for another element)."""
    if sub_process is None:
        return frozenset()
    return frozenset(
        str(node.get("id"))
        for node in sub_process.iterdescendants()
        if isinstance(node.tag, str)
        and node.get("id")
        and etree.QName(node).namespace == BPMN
        and etree.QName(node).localname in _FLOW_NODES
    )


_FLOW_NODES = frozenset(
    {
        *("task", "serviceTask", "userTask", "receiveTask", "sendTask", "scriptTask", "businessRuleTask", "manualTask"),
        *("callActivity", "subProcess", "adHocSubProcess", "transaction"),
        *("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"),
        *("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"),
    }
)
"""The BPMN elements a process instance passes through (element instances), by local name."""


def _outputs(event: etree._Element) -> dict[str, object]:
    """The literal values of a timer's output mappings (`=6`, `="pm-lkpp"`), by target."""
    values: dict[str, object] = {}
    for output in event.iterfind("bpmn:extensionElements/zeebe:ioMapping/zeebe:output", _NS):
        source, target = (output.get("source") or "").strip(), output.get("target")
        if not target or not source.startswith("="):
            continue
        try:
            values[target] = json.loads(source[1:].strip())
        except ValueError:
            continue  # an expression, not a literal
    return values
