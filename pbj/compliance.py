"""The SOP compliance figures (*kepatuhan Mutu Baku – Waktu*): how well each step keeps its standard time.

Pure: the figures come from the process history as the `/v2` element-instance search returns it (`elementId`,
`startDate`, `endDate`, `processInstanceKey`, `state`, and `type`, `processDefinitionKey`, `processDefinitionId`
when present) and from the standard times of the deployed diagram – `pbj.commands.standar.read_standards`, the one
source `pbj status` and `pbj terlambat` use too – measured in the working calendar of the SOP's province
(`workers.working_time`). `fetch_report` reads both over REST; `build_report` computes.

Definitions, for a period of whole days in the province's zone and an SOP:

- A step is a timed SOP row: an element with an SLA timer in the diagram (the timer's host). Its instance's *working
  time* is the working time between its start and its end (`WorkingCalendar.elapsed`). SOP 2 row 7 is the embedded
  sub-process around its multi-instance task, which carries the row's timer: it counts once per activation however
  many systems it activates, from the sub-process's start to its end (with the version that still timed the task
  itself, as the multi-instance body). A step is identified by its SLA timer (`<Step>SlaTimer`), which keeps its id
  when the process owner moves it to another host, so such versions report as one row.
- *Done* (`selesai`): instances COMPLETED with their end inside the period. *Within the standard*
  (`dalamStandar`): done with working time ≤ the standard. *Running* (`berjalan`): started by the cut-off (the
  period's end, or the report's instant if earlier) and not ended by then; *running over* the standard when their
  working time up to the cut-off exceeds it. *Breaches* (`pelanggaran`) = done over the standard + running over it.
  Terminated instances (a request expired while the step waited) are neither done nor running.
- Median and 90th percentile of the working time of the done instances, by linear interpolation between the
  closest ranks: for sorted values x₁ ≤ … ≤ xₙ and p in [0, 1], h = (n − 1)·p, the value x⌊h⌋₊₁ + (h − ⌊h⌋)·(x⌊h⌋₊₂ −
  x⌊h⌋₊₁) – Excel's PERCENTILE.INC / PERSENTIL.INC and numpy's default, so a bureau head can check them in a
  spreadsheet; the median is the 50th percentile (the mean of the two middle values for an even count).
- A request is *done* in the period when its last element ended inside it with none still active, *running* when
  it started by the cut-off and had not ended by then. Its working time runs from its first element's start to
  its end (or the cut-off); it is *within the standard* when none of its steps breached. The same figures as for a
  step summarise the requests.

Versions: each instance is measured against the standard of its own process definition; a step whose standard
changed between versions gets one row per standard.
"""

import asyncio
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from pbj.commands.errors import CommandError
from pbj.commands.pantau import Standards
from pbj.commands.rest import CamundaRest
from pbj.commands.standar import Standard
from workers.domain import RequestKind
from workers.working_time import WorkingCalendar, WorkingDuration, WorkingTimeError, instant

MULTI_INSTANCE_BODY = "MULTI_INSTANCE_BODY"
COMPLETED = "COMPLETED"
TERMINATED = "TERMINATED"
ACTIVE = "ACTIVE"


class ComplianceError(CommandError):
    """The compliance figures cannot be computed from what was given (a malformed period or history)."""


# --- the period and the history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days, first and last included, in the province's zone."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ComplianceError(
                f"Periode laporan terbalik: {self.first:%d-%m-%Y} sampai {self.last:%d-%m-%Y}; tanggal akhir harus "
                "sama dengan atau sesudah tanggal awal."
            )
        if (self.last - self.first).days > 3660:
            raise ComplianceError("Periode laporan paling panjang 10 tahun.")

    def start(self, calendar: WorkingCalendar) -> datetime:
        """The period's first instant in the province's zone."""
        return datetime.combine(self.first, time(0), calendar.zone)

    def end(self, calendar: WorkingCalendar) -> datetime:
        """The instant right after the period (midnight after its last day) in the province's zone."""
        return datetime.combine(self.last + timedelta(days=1), time(0), calendar.zone)


@dataclass(frozen=True)
class ElementRecord:
    """One element instance of the history, as far as the figures need it."""

    element_id: str
    process_instance_key: str
    started: datetime
    ended: datetime | None
    state: str
    type: str | None = None
    process_definition_key: str | None = None

    @classmethod
    def from_rest(cls, item: Mapping[str, Any]) -> "ElementRecord":
        """An item of `POST /v2/element-instances/search`; `ComplianceError` when it lacks what is needed."""
        try:
            element_id, key, state = item["elementId"], item["processInstanceKey"], item["state"]
            started = instant(item["startDate"])
            ended = instant(item["endDate"]) if item.get("endDate") else None
        except (KeyError, TypeError, WorkingTimeError) as exc:
            raise ComplianceError(f"Riwayat elemen dari mesin proses tidak lengkap atau tidak sah ({exc}).") from None
        definition = item.get("processDefinitionKey")
        return cls(
            element_id=str(element_id),
            process_instance_key=str(key),
            started=started,
            ended=ended,
            state=str(state),
            type=None if item.get("type") is None else str(item["type"]),
            process_definition_key=None if definition is None else str(definition),
        )


# --- the figures --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Counts and working-time statistics of a set of step (or request) instances."""

    done: int
    within: int
    median: timedelta | None
    p90: timedelta | None
    running: int
    running_over: int

    @property
    def over(self) -> int:
        """Done, but over the standard."""
        return self.done - self.within

    @property
    def breaches(self) -> int:
        """Done over the standard plus running over it."""
        return self.over + self.running_over

    @property
    def share_within(self) -> float | None:
        """The share of the done ones within the standard (0–1), None when none is done."""
        return None if self.done == 0 else self.within / self.done


@dataclass(frozen=True)
class StepFigures:
    """The figures of one timed step (SOP row) against one standard time."""

    element_id: str
    """The step's element: its SLA timer's host (in the newest version the period's history ran on)."""
    name: str
    row: int | None
    standard: str
    figures: Figures


@dataclass(frozen=True)
class RequestFigures:
    """One request (process instance) in the period."""

    process_instance_key: str
    number: str | None
    started: datetime
    ended: datetime | None
    working_time: timedelta
    steps_done: int
    steps_within: int
    breaches: int

    @property
    def done(self) -> bool:
        """Whether the request ended (inside the period)."""
        return self.ended is not None


@dataclass(frozen=True)
class ComplianceReport:
    """The figures of one SOP in one province for one period, as of one instant."""

    kind: RequestKind
    period: Period
    as_of: datetime
    steps: tuple[StepFigures, ...]
    requests: tuple[RequestFigures, ...]
    request_figures: Figures

    @property
    def province(self) -> str:
        """The province that runs the SOP."""
        return self.kind.province


def percentile(values: Sequence[timedelta], p: float) -> timedelta | None:
    """The p-th percentile (0 ≤ p ≤ 1) by linear interpolation between closest ranks (PERCENTILE.INC); None for
    no values."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (h - low)


def _figures(done: Sequence[tuple[timedelta, bool]], running: Sequence[bool]) -> Figures:
    """Figures from the done ones' (working time, within) and the running ones' over-the-standard flags."""
    times = [working for working, _ in done]
    return Figures(
        done=len(done),
        within=sum(1 for _, within in done if within),
        median=percentile(times, 0.5),
        p90=percentile(times, 0.9),
        running=len(running),
        running_over=sum(1 for over in running if over),
    )


def build_report(
    kind: RequestKind,
    calendar: WorkingCalendar,
    period: Period,
    as_of: datetime,
    items: Iterable[Mapping[str, Any] | ElementRecord],
    standards: Mapping[str, Mapping[str, Standard]],
    numbers: Mapping[str, str] | None = None,
) -> ComplianceReport:
    """The figures of `kind`'s SOP for `period` as of `as_of`.

    `items` is the history (REST items or records) of the SOP's process; items of another process (their
    `processDefinitionId`) are left out. `standards` holds the standards by process definition key, each by element
    id (`read_standards` of that definition's XML); a key `""` serves items without a definition key. `numbers`
    gives the request numbers by process instance key, where known.
    """
    if as_of.tzinfo is None:
        raise ComplianceError("Waktu laporan harus menyertakan zona waktu.")
    cutoff = min(as_of, period.end(calendar))
    period_start = period.start(calendar)
    records = _records(kind, items)
    by_request: dict[str, list[ElementRecord]] = defaultdict(list)
    for record in _steps_counted_once(records):
        by_request[record.process_instance_key].append(record)

    # by (SLA timer, standard time): a row per step and standard
    done_steps: dict[tuple[str, str], list[tuple[timedelta, bool]]] = defaultdict(list)
    running_steps: dict[tuple[str, str], list[bool]] = defaultdict(list)
    names: dict[tuple[str, str], Standard] = {}
    requests: list[RequestFigures] = []
    done_requests: list[tuple[timedelta, bool]] = []
    running_requests: list[bool] = []

    for _, by_element in sorted(standards.items(), key=lambda item: _version_order(item[0])):
        for timed in by_element.values():  # the newest version names the row and its element
            if timed.sla_timer_id is not None and timed.duration is not None:
                names[(timed.sla_timer_id, timed.duration)] = timed

    for key, elements in by_request.items():
        first_start = min(element.started for element in elements)
        if first_start > cutoff:
            continue
        still_active = any(element.state == ACTIVE or element.ended is None for element in elements)
        last_end = None if still_active else max(element.ended for element in elements if element.ended)
        request_done = last_end is not None and period_start <= last_end <= cutoff
        request_running = last_end is None or last_end > cutoff
        if not (request_done or request_running):
            continue
        steps_done = steps_within = breaches = 0
        for element in elements:
            standard = _standard_of(element, standards)
            if standard is None or standard.duration is None or element.started > cutoff:
                continue
            limit = _limit(calendar, element.started, standard.duration)
            assert standard.sla_timer_id is not None
            row_key = (standard.sla_timer_id, standard.duration)
            names.setdefault(row_key, standard)
            ended_by_cutoff = element.ended is not None and element.ended <= cutoff
            if ended_by_cutoff and element.state == COMPLETED:
                assert element.ended is not None
                working = _elapsed(calendar, element.started, element.ended)
                within = working <= limit
                steps_done += 1
                steps_within += within
                breaches += not within
                if element.ended >= period_start:
                    done_steps[row_key].append((working, within))
            elif not ended_by_cutoff:
                over = _elapsed(calendar, element.started, cutoff) > limit
                breaches += over
                running_steps[row_key].append(over)
        working_time = _elapsed(calendar, first_start, last_end if request_done and last_end else cutoff)
        requests.append(
            RequestFigures(
                process_instance_key=key,
                number=(numbers or {}).get(key),
                started=first_start,
                ended=last_end if request_done else None,
                working_time=working_time,
                steps_done=steps_done,
                steps_within=steps_within,
                breaches=breaches,
            )
        )
        if request_done:
            done_requests.append((working_time, breaches == 0))
        else:
            running_requests.append(breaches > 0)

    steps = [
        StepFigures(
            element_id=standard.element_id,
            name=standard.activity or standard.name or standard.element_id,
            row=standard.row,
            standard=row_key[1],
            figures=_figures(done_steps.get(row_key, []), running_steps.get(row_key, [])),
        )
        for row_key, standard in names.items()
    ]
    steps.sort(key=lambda step: (step.row if step.row is not None else 10**6, step.element_id, step.standard))
    requests.sort(key=lambda request: (request.started, request.process_instance_key))
    return ComplianceReport(
        kind=kind,
        period=period,
        as_of=as_of,
        steps=tuple(steps),
        requests=tuple(requests),
        request_figures=_figures(done_requests, running_requests),
    )


def _records(kind: RequestKind, items: Iterable[Mapping[str, Any] | ElementRecord]) -> list[ElementRecord]:
    records = []
    for item in items:
        if isinstance(item, ElementRecord):
            records.append(item)
        elif item.get("processDefinitionId") in (None, kind.process_id):
            records.append(ElementRecord.from_rest(item))
    return records


def _steps_counted_once(records: list[ElementRecord]) -> list[ElementRecord]:
    """The records with the inner instances of a multi-instance left out (its body stands for the step)."""
    bodies = {(r.process_instance_key, r.element_id) for r in records if r.type == MULTI_INSTANCE_BODY}
    return [r for r in records if r.type == MULTI_INSTANCE_BODY or (r.process_instance_key, r.element_id) not in bodies]


def _version_order(definition_key: str) -> int:
    """Process definition keys in deployment order (keys grow with each deployment); "" (no key) first."""
    return int(definition_key) if definition_key.isdigit() else -1


def _standard_of(element: ElementRecord, standards: Mapping[str, Mapping[str, Standard]]) -> Standard | None:
    by_element = standards.get(element.process_definition_key or "") or standards.get("") or {}
    standard = by_element.get(element.element_id)
    return standard if standard is not None and standard.sla_timer_id is not None else None


def _limit(calendar: WorkingCalendar, started: datetime, duration: str) -> timedelta:
    """The standard as working time from `started`: hours and minutes as they are; working days up to the deadline."""
    try:
        standard = WorkingDuration.parse(duration)
        if not standard.days:
            return standard.time
        return calendar.elapsed(started, calendar.deadline(started, standard))
    except WorkingTimeError as exc:
        raise ComplianceError(f"Waktu standar pada diagram tidak dapat dihitung: {exc}") from None


def working_time(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The working time between two instants in the province's calendar (`ComplianceError` if it cannot be
    computed)."""
    return _elapsed(calendar, start, end)


def past_standard(calendar: WorkingCalendar, started: datetime, duration: str, until: datetime) -> bool:
    """Whether a step started at `started` has run over its standard time (`duration`, ISO 8601) by `until`, in
    working time – the rule of the report's *running over*, for the managers' monitor."""
    return _elapsed(calendar, started, until) > _limit(calendar, started, duration)


def _elapsed(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    try:
        return calendar.elapsed(start, end)
    except WorkingTimeError as exc:
        raise ComplianceError(f"Waktu kerja tidak dapat dihitung: {exc}") from None


async def fetch_report(
    rest: CamundaRest, kind: RequestKind, calendar: WorkingCalendar, period: Period, as_of: datetime
) -> ComplianceReport:
    """The figures from the engine's history over `/v2`: every element instance of the SOP's process (all pages),
    the standards of each deployed version it ran on, and the request numbers; the figures are computed in a
    thread, so a long history does not hold up the caller's event loop."""
    items = await rest.search("element-instances", {"processDefinitionId": kind.process_id})
    reader = Standards(rest)
    standards = {
        str(key): await reader.of(int(key))
        for key in sorted({str(item["processDefinitionKey"]) for item in items if item.get("processDefinitionKey")})
    }
    numbers: dict[str, str] = {}
    for variable in await rest.search("variables", {"name": kind.number_variable}):
        try:
            value = json.loads(str(variable.get("value")))
        except ValueError:
            continue
        if isinstance(value, str) and variable.get("processInstanceKey") is not None:
            numbers[str(variable["processInstanceKey"])] = value
    # a year of history is thousands of elements, each a few calendar days: computed off the event loop
    return await asyncio.to_thread(build_report, kind, calendar, period, as_of, items, standards, numbers)


def minutes(value: timedelta | None) -> float | None:
    """Working time in minutes (None stays None), as the report shows it."""
    return None if value is None else value.total_seconds() / 60
