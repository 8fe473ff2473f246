"""Where a request's process waits and whether it is late – from the engine's element instances, not from clocks.

A step is *late* when its SLA timer fired during the step's current activation: the non-interrupting boundary
event `<Step>SlaTimer` has an element instance that started at or after the step did. The engine fires the timer
when the standard time is up (by its own clock, which tests control), so the answer does not depend on the clock
of the machine running the command; the standard time comes from the deployed diagram (`standar.read_standards`),
and the deadline shown is that standard counted in the province's working calendar from the step's start.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pbj.commands.output import parse_time
from pbj.commands.rest import CamundaRest
from pbj.commands.standar import Standard, covered_elements, read_standards
from workers.constants import SIDE_END_EVENTS
from workers.working_time import WorkingCalendar

STEP_TYPES = frozenset(
    {
        "SERVICE_TASK",
        "USER_TASK",
        "RECEIVE_TASK",
        "SEND_TASK",
        "SCRIPT_TASK",
        "BUSINESS_RULE_TASK",
        "MANUAL_TASK",
        "TASK",
        "CALL_ACTIVITY",
        "SUB_PROCESS",
        "MULTI_INSTANCE_BODY",
        "INTERMEDIATE_CATCH_EVENT",
    }
)
"""Element types a process waits at (gateways and events pass through)."""


@dataclass(frozen=True)
class Step:
    """An active step of a process instance."""

    process_instance_key: int
    element_id: str
    name: str
    element_instance_key: int
    started: datetime
    standard: Standard | None
    breached_at: datetime | None = None
    deadline: datetime | None = None
    """When the standard time is up, in working time (None for a step without one)."""

    @property
    def late(self) -> bool:
        """Whether the step's SLA timer fired during this activation."""
        return self.breached_at is not None


@dataclass(frozen=True)
class Breach:
    """An SLA timer that fired: which step, when."""

    element_id: str
    name: str
    at: datetime
    standard: Standard | None


@dataclass(frozen=True)
class ProcessView:
    """One process instance as a manager reads it."""

    key: int
    process_id: str
    definition_key: int
    state: str
    started: datetime | None
    ended: datetime | None
    steps: list[Step] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    end_event: str | None = None


class Standards:
    """The standards of deployed process definitions, read once per definition from its BPMN XML."""

    def __init__(self, rest: CamundaRest) -> None:
        self.rest = rest
        self._cache: dict[int, dict[str, Standard]] = {}

    async def of(self, definition_key: int) -> dict[str, Standard]:
        """The standards of one process definition, by element id."""
        if definition_key not in self._cache:
            xml = await self.rest.get_text(f"/v2/process-definitions/{definition_key}/xml")
            self._cache[definition_key] = read_standards(xml)
        return self._cache[definition_key]


def build_steps(
    active: Iterable[dict[str, Any]],
    boundaries: Iterable[dict[str, Any]],
    standards: dict[str, Standard],
    calendar: WorkingCalendar,
) -> list[Step]:
    """The active steps of one process instance (one per element id: a multi-instance counts once, from its first
    start; a timed sub-process once, the elements inside it left out – SOP 2 row 7), each with its deadline in the
    province's working `calendar` and the time its SLA timer fired in this activation, oldest first."""
    inside = covered_elements(standards)
    fired: dict[str, list[datetime]] = defaultdict(list)
    for boundary in boundaries:
        moment = parse_time(boundary.get("startDate"))
        if moment is not None:
            fired[str(boundary.get("elementId"))].append(moment)
    first: dict[str, dict[str, Any]] = {}
    for item in active:
        element_id = str(item.get("elementId"))
        if item.get("type") not in STEP_TYPES or element_id in inside:
            continue
        known = first.get(element_id)
        if known is None or (parse_time(item.get("startDate")) or _FAR) < (parse_time(known.get("startDate")) or _FAR):
            first[element_id] = item
    steps = []
    for element_id, item in first.items():
        started = parse_time(item.get("startDate"))
        if started is None:
            continue
        standard = standards.get(element_id)
        breached = None
        if standard is not None and standard.sla_timer_id is not None:
            breached = min((at for at in fired.get(standard.sla_timer_id, []) if at >= started), default=None)
        steps.append(
            Step(
                process_instance_key=int(item["processInstanceKey"]),
                element_id=element_id,
                name=str(item.get("elementName") or element_id),
                element_instance_key=int(item["elementInstanceKey"]),
                started=started,
                standard=standard,
                breached_at=breached,
                deadline=None if standard is None else standard.deadline(started, calendar),
            )
        )
    return sorted(steps, key=lambda step: (step.started, step.element_instance_key))


def build_breaches(boundaries: Iterable[dict[str, Any]], standards: dict[str, Standard]) -> list[Breach]:
    """Every SLA timer of the instance that fired, oldest first."""
    by_timer = {s.sla_timer_id: s for s in standards.values() if s.sla_timer_id}
    breaches = []
    for boundary in boundaries:
        standard = by_timer.get(str(boundary.get("elementId")))
        at = parse_time(boundary.get("startDate"))
        if standard is None or at is None:
            continue
        breaches.append(Breach(standard.element_id, standard.name or standard.element_id, at, standard))
    return sorted(breaches, key=lambda breach: breach.at)


async def process_view(
    rest: CamundaRest, standards: Standards, process_instance_key: int, calendar: WorkingCalendar
) -> ProcessView | None:
    """The instance's state, active steps (their deadlines in the province's working `calendar`), SLA breaches and
    open incidents; None if the engine does not know it."""
    instance = await rest.find(f"/v2/process-instances/{process_instance_key}")
    if instance is None:
        return None
    key = str(process_instance_key)
    definition_key = int(instance["processDefinitionKey"])
    known = await standards.of(definition_key)
    active = await rest.search("element-instances", {"processInstanceKey": key, "state": "ACTIVE"})
    boundaries = await rest.search("element-instances", {"processInstanceKey": key, "type": "BOUNDARY_EVENT"})
    incidents = await rest.search("incidents", {"processInstanceKey": key, "state": "ACTIVE"})
    end_event = None
    if instance.get("state") != "ACTIVE":
        reached = await rest.search("element-instances", {"processInstanceKey": key, "type": "END_EVENT"})
        ends = [item for item in reached if item.get("elementId") not in SIDE_END_EVENTS] or reached
        if ends:
            last = max(
                ends, key=lambda item: (parse_time(item.get("endDate")) or _FAR, int(item["elementInstanceKey"]))
            )
            end_event = str(last.get("elementName") or last.get("elementId"))
    return ProcessView(
        key=process_instance_key,
        process_id=str(instance.get("processDefinitionId")),
        definition_key=definition_key,
        state=str(instance.get("state")),
        started=parse_time(instance.get("startDate")),
        ended=parse_time(instance.get("endDate")),
        steps=build_steps(active, boundaries, known, calendar),
        breaches=build_breaches(boundaries, known),
        incidents=incidents,
        end_event=end_event,
    )


_FAR = datetime.max.replace(tzinfo=UTC)
