"""Working time per province: the SOPs' standard times (*Mutu Baku – Waktu*) count only office hours.

A province's calendar (`WorkingCalendar`) knows its time zone (the one rule of `workers.domain`: the zone of the
province that runs the SOP, `RequestKind.timezone` – WITA for Kalimantan Timur, WIB for Kalimantan Barat), its
office hours per weekday (`OfficeHours`, set with `OFFICE_HOURS_KALTIM` / `OFFICE_HOURS_KALBAR`), Indonesia's
national holidays and *cuti bersama* from the maintained `holidays` package, and the bureau's own additional
closed days (`CLOSED_DAYS_KALTIM` / `CLOSED_DAYS_KALBAR`).

`holidays` gives the national holidays (category `public`: Tahun Baru, Idul Fitri and its second day, Nyepi,
Waisak, Natal, …; Islamic dates of years not yet decreed are the package's estimates, marked "perkiraan") and the
*cuti bersama* decreed by the joint ministerial decree (SKB) of each year (category `government`, from 2015 as far
as the package has the decree – at the time of writing up to 2027). A cuti bersama the bureau does not take, or a
regional day off, is the bureau's to set: closed days are added with `CLOSED_DAYS_*` (days cannot be re-opened).

Two calculations, both in bounded steps (at most one step per calendar day, never per minute, over at most
`MAX_SPAN`):

- `deadline(start, standard)`: the instant a step started at `start` reaches its standard time, a
  `WorkingDuration` (ISO 8601 `PnDTnHnMnS`): the days are working days (the same time of day that many working
  days later, held to that day's office hours), then hours, minutes and seconds are counted inside office hours
  only. A step started outside office hours starts counting at the next opening.
- `elapsed(start, end)`: the working time between two instants (for the compliance report).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Final

import holidays

from workers.domain import RequestKind
from workers.errors import WorkersError


class WorkingTimeError(WorkersError):
    """A working-time calculation got input it cannot honour (a malformed standard time, an absurd span)."""


MAX_SPAN: Final = timedelta(days=3653)
"""The longest span a calculation covers (ten years): a deadline or an elapsed time beyond it is refused."""

FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099
"""The years the calendar covers (the `holidays` package's Islamic estimates run out in the 2100s)."""

HOLIDAY_CATEGORIES: Final = ("public", "government")
"""`holidays` categories of Indonesia that close the office: national holidays and cuti bersama."""

PROVINCE_CODES: Mapping[RequestKind, str] = MappingProxyType(
    {RequestKind.ADMIN_PPE: "KALTIM", RequestKind.PPBJ: "KALBAR"}
)
"""The suffix of a province's settings (`OFFICE_HOURS_KALTIM`, `CLOSED_DAYS_KALBAR`), by the SOP it runs."""

DEFAULT_OFFICE_HOURS: Final = "Sen-Kam 07:30-16:00; Jum 07:30-16:30"
"""Office hours of a provincial bureau unless set: Monday to Thursday 07:30–16:00, Friday 07:30–16:30 (the
five-day week of Perpres 21/2023; breaks counted as working time – set them as gaps to exclude them)."""

DAY_NAMES: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_DAY_KEYS: Final = {
    **{name.lower(): index for index, name in enumerate(DAY_NAMES)},
    **{name[:3].lower(): index for index, name in enumerate(DAY_NAMES)},
    "jum'at": 4,
}
_GROUP = re.compile(r"^(\D+?)\s+(\d.*)$")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>\d{1,5})D)?(?:T(?!$)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,8})M)?"
    r"(?:(?P<seconds>\d{1,10})S)?)?$"
)
_DATE_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*\.\.\s*(\d{4}-\d{2}-\d{2}))?$")
MAX_CLOSED_DAYS: Final = 3660
"""The most additional closed days a setting may list (ranges included), so a typo cannot make a huge set."""


# --- standard times ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingDuration:
    """A standard time in working time: whole working days, then working hours/minutes/seconds."""

    days: int = 0
    time: timedelta = timedelta(0)

    @classmethod
    def parse(cls, text: str) -> "WorkingDuration":
        """Parse `PT10M`, `PT1H30M`, `P2D`, `P1DT4H`; `WorkingTimeError` (in Indonesian) on anything else."""
        raw = text.strip().upper() if isinstance(text, str) else ""
        match = _DURATION.match(raw)
        if not match:
            raise WorkingTimeError(
                f"Waktu standar {text!r} bukan durasi ISO 8601 dalam hari kerja/jam/menit/detik "
                "(contoh: PT10M, PT1H30M, P2D); tahun, bulan dan minggu tidak dipakai."
            )
        days, hours, minutes, seconds = (
            int(match.group(name) or 0) for name in ("days", "hours", "minutes", "seconds")
        )
        duration = cls(days=days, time=timedelta(hours=hours, minutes=minutes, seconds=seconds))
        if days == 0 and duration.time == timedelta(0):
            raise WorkingTimeError(f"Waktu standar {text!r} harus lebih dari 0.")
        if days > MAX_SPAN.days or duration.time > MAX_SPAN:
            raise WorkingTimeError(f"Waktu standar {text!r} melebihi batas perhitungan (10 tahun).")
        return duration

    def __str__(self) -> str:
        seconds = int(self.time.total_seconds())
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value)
        return "P" + (f"{self.days}D" if self.days else "") + (f"T{clock}" if clock else "")


# --- office hours ------------------------------------------------------------------------------------------------

Interval = tuple[time, time]


@dataclass(frozen=True)
class OfficeHours:
    """Working intervals per weekday (Monday first); a day without intervals is closed."""

    days: tuple[tuple[Interval, ...], ...]

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        """Parse `Sen-Kam 07:30-16:00; Jum 07:30-11:30,13:00-16:30`: groups of days (names or their first three
        letters, ranges with `-`, lists with `,`) and their intervals; days not named are closed. `ValueError`
        with the reason in Indonesian."""
        days: list[tuple[Interval, ...] | None] = [None] * 7
        groups = [group.strip() for group in text.split(";") if group.strip()]
        if not groups:
            raise ValueError("tidak ada hari kerja; contoh: Sen-Kam 07:30-16:00; Jum 07:30-16:30.")
        for group in groups:
            match = _GROUP.match(group)
            if not match:
                raise ValueError(f"{group!r} harus berbentuk HARI JAM-JAM, contoh: Sen-Kam 07:30-16:00.")
            day_part, hours_part = match.groups()
            intervals = _intervals(hours_part)
            for day in _day_set(day_part):
                if days[day] is not None:
                    raise ValueError(f"hari {DAY_NAMES[day]} disebut lebih dari sekali.")
                days[day] = intervals
        return cls(days=tuple(day or () for day in days))

    def intervals(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of `day`'s weekday."""
        return self.days[day.weekday()]

    def __str__(self) -> str:
        parts = []
        for index, intervals in enumerate(self.days):
            if intervals:
                hours = ",".join(f"{_clock_text(start)}-{_clock_text(end)}" for start, end in intervals)
                parts.append(f"{DAY_NAMES[index][:3]} {hours}")
        return "; ".join(parts)


def _clock_text(clock: time) -> str:
    return "24:00" if clock == time.max else f"{clock:%H:%M}"


def _day_set(text: str) -> list[int]:
    found: list[int] = []
    for item in (part.strip() for part in text.split(",")):
        first, sep, last = (part.strip() for part in item.lower().partition("-"))
        if first not in _DAY_KEYS or (sep and last not in _DAY_KEYS):
            raise ValueError(f"{item!r} bukan nama hari (Sen, Sel, Rab, Kam, Jum, Sab, Min atau nama lengkapnya).")
        start = _DAY_KEYS[first]
        end = _DAY_KEYS[last] if sep else start
        if end < start:
            raise ValueError(f"rentang hari {item!r} terbalik; tulis dari Senin ke Minggu, contoh: Sen-Kam.")
        found.extend(range(start, end + 1))
    return found


def _clock(text: str) -> time:
    match = _CLOCK.match(text.strip())
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise ValueError(f"{text.strip()!r} bukan jam (JJ:MM, contoh 07:30).")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        if minute:
            raise ValueError(f"{text.strip()!r} bukan jam (JJ:MM, paling akhir 24:00).")
        return time.max
    return time(hour, minute)


def _intervals(text: str) -> tuple[Interval, ...]:
    intervals: list[Interval] = []
    for item in (part.strip() for part in text.split(",")):
        start_text, sep, end_text = item.partition("-")
        if not sep:
            raise ValueError(f"{item!r} bukan rentang jam (JJ:MM-JJ:MM, contoh 07:30-16:00).")
        start, end = _clock(start_text), _clock(end_text)
        if end <= start:
            raise ValueError(f"rentang jam {item!r}: jam selesai harus setelah jam mulai.")
        if intervals and start < intervals[-1][1]:
            raise ValueError(f"rentang jam {item!r} tumpang tindih atau tidak berurutan.")
        intervals.append((start, end))
    return tuple(intervals)


def parse_closed_days(text: str) -> frozenset[date]:
    """Parse `2026-12-31, 2027-01-02..2027-01-04`: dates and inclusive ranges; `ValueError` in Indonesian."""
    days: set[date] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        match = _DATE_RANGE.match(item)
        try:
            if not match:
                raise ValueError
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            raise ValueError(
                f"{item!r} bukan tanggal (TTTT-BB-HH) atau rentang tanggal (TTTT-BB-HH..TTTT-BB-HH)."
            ) from None
        if last < first:
            raise ValueError(f"rentang {item!r} terbalik: tanggal akhir sebelum tanggal awal.")
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            raise ValueError(f"{item!r} di luar tahun {FIRST_YEAR}–{LAST_YEAR}.")
        if len(days) + (last - first).days + 1 > MAX_CLOSED_DAYS:
            raise ValueError(f"terlalu banyak hari libur tambahan (paling banyak {MAX_CLOSED_DAYS} hari).")
        days.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return frozenset(days)


# --- national holidays ---------------------------------------------------------------------------------------------

_NATIONAL: dict[int, Mapping[date, str]] = {}


def national_holidays(year: int) -> Mapping[date, str]:
    """Indonesia's national holidays and cuti bersama of `year`, named in Indonesian (from `holidays`)."""
    found = _NATIONAL.get(year)
    if found is None:
        days = holidays.country_holidays("ID", years=year, categories=HOLIDAY_CATEGORIES, language="id")
        found = MappingProxyType({day: str(name) for day, name in sorted(days.items())})
        _NATIONAL[year] = found  # the same value for every caller: a race only computes it twice
    return found


# --- the calendar ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingCalendar:
    """One province's working time: zone, office hours, national holidays and the bureau's closed days."""

    zone: tzinfo
    office_hours: OfficeHours
    closed_days: frozenset[date] = frozenset()
    zone_name: str = ""

    def closed_reason(self, day: date) -> str | None:
        """Why `day` has no working time (the holiday's name, the bureau's closure, the weekend), else None."""
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise WorkingTimeError(f"Tanggal {day.isoformat()} di luar kalender kerja ({FIRST_YEAR}–{LAST_YEAR}).")
        holiday = national_holidays(day.year).get(day)
        if holiday is not None:
            return holiday
        if day in self.closed_days:
            return "Hari libur tambahan biro"
        if not self.office_hours.intervals(day):
            return "Di luar hari kerja"
        return None

    def is_working_day(self, day: date) -> bool:
        """Whether `day` has office hours and is neither a holiday nor a closed day of the bureau."""
        return self.closed_reason(day) is None

    def working_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """`day`'s working intervals as aware instants in the province's zone (none on a closed day)."""
        if not self.is_working_day(day):
            return []
        return [(self._at(day, start), self._at(day, end)) for start, end in self.office_hours.intervals(day)]

    def deadline(self, start: datetime, standard: WorkingDuration | str) -> datetime:
        """When a step started at `start` reaches `standard` working time, in the province's zone."""
        duration = WorkingDuration.parse(standard) if isinstance(standard, str) else standard
        local = self._local(start)
        limit = local + MAX_SPAN
        moment = self._next_working_instant(local, limit)
        if duration.days:
            moment = self._after_working_days(moment, duration.days, limit)
        if duration.time > timedelta(0):
            moment = self._add_working_time(moment, duration.time, limit)
        return moment

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The working time between `start` and `end` (`end` not before `start`, at most `MAX_SPAN` apart)."""
        first, last = self._local(start), self._local(end)
        if last < first:
            raise WorkingTimeError("Waktu selesai tidak boleh sebelum waktu mulai.")
        if last - first > MAX_SPAN:
            raise WorkingTimeError("Rentang waktu lebih dari 10 tahun tidak dihitung.")
        total = timedelta(0)
        for day in _days(first.date(), last.date()):
            for opens, closes in self.working_periods(day):
                overlap = min(closes, last) - max(opens, first)
                if overlap > timedelta(0):
                    total += overlap
        return total

    # --- steps of the calculations ---------------------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise WorkingTimeError("Waktu harus menyertakan zona waktu (misalnya +08:00).")
        local = moment.astimezone(self.zone)
        if not FIRST_YEAR <= local.year <= LAST_YEAR:
            raise WorkingTimeError(f"Waktu {local.isoformat()} di luar kalender kerja ({FIRST_YEAR}–{LAST_YEAR}).")
        return local

    def _at(self, day: date, clock: time) -> datetime:
        if clock == time.max:
            return datetime.combine(day + timedelta(days=1), time(0), self.zone)
        return datetime.combine(day, clock, self.zone)

    def _periods_from(self, moment: datetime, limit: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working periods that end after `moment`, day by day (the first one cut to start at `moment`)."""
        for day in _days(moment.date(), limit.date()):
            for opens, closes in self.working_periods(day):
                if closes > moment:
                    yield max(opens, moment), closes
        raise WorkingTimeError(
            "Tidak ada cukup waktu kerja dalam 10 tahun sejak "
            f"{moment.isoformat()}: periksa jam kerja dan hari libur tambahan."
        )

    def _next_working_instant(self, moment: datetime, limit: datetime) -> datetime:
        opens, _ = next(self._periods_from(moment, limit))
        return opens

    def _add_working_time(self, moment: datetime, amount: timedelta, limit: datetime) -> datetime:
        remaining = amount
        for opens, closes in self._periods_from(moment, limit):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable: _periods_from raises at its limit")  # pragma: no cover

    def _after_working_days(self, moment: datetime, count: int, limit: datetime) -> datetime:
        """The same time of day `count` working days after `moment`'s day, held inside that day's office hours."""
        day = moment.date()
        for candidate in _days(day + timedelta(days=1), limit.date()):
            if self.is_working_day(candidate):
                count -= 1
                if count == 0:
                    return self._held_to_office_hours(candidate, moment.timetz().replace(tzinfo=None))
        raise WorkingTimeError(f"Tidak ada cukup hari kerja dalam 10 tahun sejak {moment.isoformat()}.")

    def _held_to_office_hours(self, day: date, clock: time) -> datetime:
        """`clock` on `day` if it is office time; else the last closing before it (or the day's first opening)."""
        at = datetime.combine(day, clock, self.zone)
        periods = self.working_periods(day)
        held = periods[0][0]
        for opens, closes in periods:
            if opens <= at <= closes:
                return at
            if closes < at:
                held = closes
        return held


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def timer_date(moment: datetime) -> str:
    """`moment` as an ISO 8601 date-time with its offset, rounded up to the whole second, for a timer's `timeDate`
    (`2026-03-09T08:10:00+08:00`): Zeebe and the embedded engine read it as the same instant."""
    whole = moment.replace(microsecond=0)
    if whole < moment:
        whole += timedelta(seconds=1)
    return whole.isoformat(timespec="seconds")


def instant(text: str) -> datetime:
    """An ISO 8601 date-time with an offset or `Z`, also as FEEL's `now()` writes it with a zone id in brackets
    (`2026-03-06T08:55:00Z[UTC]`, `2026-03-06T16:55:00+08:00[Asia/Makassar]`); `WorkingTimeError` otherwise."""
    raw = text.strip() if isinstance(text, str) else ""
    raw = raw.split("[", 1)[0].split("@", 1)[0]
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise WorkingTimeError(
            f"{text!r} bukan tanggal dan jam ISO 8601 dengan zona waktu (contoh: 2026-03-06T08:55:00+08:00)."
        )
    return moment


@dataclass(frozen=True)
class WorkingTimeSettings:
    """The calendars' settings of both provinces, as `Settings` reads them once."""

    office_hours: Mapping[RequestKind, OfficeHours] = field(
        default_factory=lambda: MappingProxyType(
            {kind: OfficeHours.parse(DEFAULT_OFFICE_HOURS) for kind in RequestKind}
        )
    )
    closed_days: Mapping[RequestKind, frozenset[date]] = field(
        default_factory=lambda: MappingProxyType({kind: frozenset[date]() for kind in RequestKind})
    )

    def calendar(self, kind: RequestKind) -> WorkingCalendar:
        """The working calendar of the province that runs `kind`'s SOP."""
        return WorkingCalendar(
            zone=kind.timezone,
            office_hours=self.office_hours[kind],
            closed_days=self.closed_days.get(kind, frozenset()),
            zone_name=kind.zone,
        )
