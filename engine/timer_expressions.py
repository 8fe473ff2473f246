"""Parse BPMN timer definitions (timeDuration, timeDate, timeCycle) the way Zeebe 8.8 does.

The engine evaluates `=...` FEEL expressions first; this module only sees the resulting text.
Zeebe computes due dates in the broker's zone, which is UTC in its images, so everything here
defaults to UTC; a cycle with an explicit start date does its calendar arithmetic in that date's zone.
"""

from __future__ import annotations

import calendar
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import EngineError

__all__ = [
    "CronCycle",
    "Cycle",
    "Duration",
    "IntervalCycle",
    "TimerExpressionError",
    "TimerSchedule",
    "parse_cycle",
    "parse_date_time",
    "parse_duration",
]


class TimerExpressionError(EngineError):
    """A timer duration, date or cycle text is malformed."""


_DURATION_HINT: Final = "expected an ISO 8601 duration such as 'PT10M', 'PT1H30M', 'P3D', 'P1DT2H' or 'P2W'"
_DATE_HINT: Final = (
    "expected an ISO 8601 date-time such as '2026-11-21T10:00:00+07:00', '2026-11-21T03:00:00Z' "
    "or '2026-11-21T10:00:00[Asia/Jakarta]'"
)
_CYCLE_HINT: Final = (
    "expected an ISO 8601 repeating interval such as 'R3/PT10M', 'R/P1D' or 'R5/2026-01-01T00:00:00Z/PT1H', "
    "or a 6-field cron expression 'second minute hour day-of-month month day-of-week' "
    "such as '0 0 9 * * MON-FRI'"
)

# Java's Period.parse and Duration.parse grammar, joined the way Zeebe's Interval.parse joins them.
_DURATION_RE: Final = re.compile(
    r"(?P<sign>[-+]?)P(?:(?P<years>[-+]?\d+)Y)?(?:(?P<months>[-+]?\d+)M)?(?:(?P<weeks>[-+]?\d+)W)?"
    r"(?:(?P<days>[-+]?\d+)D)?(?P<time>T(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?"
    r"(?:(?P<seconds>[-+]?\d+)(?:[.,](?P<fraction>\d{0,9}))?S)?)?",
    re.IGNORECASE | re.ASCII,
)
_OFFSET_PATTERN: Final = r"Z|[+-]\d{2}(?::\d{2}(?::\d{2})?|\d{2})?"
_OFFSET_RE: Final = re.compile(_OFFSET_PATTERN, re.IGNORECASE | re.ASCII)
_DATE_TIME_RE: Final = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    rf"(?P<offset>{_OFFSET_PATTERN})?(?:\[(?P<bracket_zone>[^\[\]]+)\]|@(?P<at_zone>\S+))?",
    re.IGNORECASE | re.ASCII,
)
_MAX_REPETITIONS: Final = 2**31 - 1  # Zeebe stores repetitions in a Java int


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration: calendar years, months and days plus an exact time part."""

    years: int = 0
    months: int = 0
    days: int = 0
    time: timedelta = timedelta(0)

    def add_to(self, moment: datetime) -> datetime:
        """Add years, months (clamped to month end) and days on `moment`'s wall clock, then the exact time."""
        _require_aware(moment, "moment")
        try:
            total_months = moment.month - 1 + self.years * 12 + self.months
            year, month = moment.year + total_months // 12, total_months % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            shifted = moment.replace(year=year, month=month, day=day) + timedelta(days=self.days)
            return (shifted.astimezone(UTC) + self.time).astimezone(moment.tzinfo)
        except (OverflowError, ValueError) as exc:
            raise TimerExpressionError(
                f"Adding the duration '{self}' to {moment.isoformat()} leaves the supported date range"
            ) from exc

    def __neg__(self) -> Duration:
        """Return the duration with every component negated."""
        return Duration(-self.years, -self.months, -self.days, -self.time)

    def __str__(self) -> str:
        """Print the duration as ISO 8601, e.g. 'P1DT2H', 'PT0.5S', '-PT5M' or 'PT0S'."""
        parts = (self.years, self.months, self.days, _micros(self.time))
        if any(value < 0 for value in parts) and all(value <= 0 for value in parts):
            return f"-{-self}"
        date_part = "".join(f"{value}{unit}" for value, unit in zip(parts[:3], "YMD", strict=True) if value)
        time_part = _format_time(parts[3])
        if not date_part and not time_part:
            return "PT0S"
        return f"P{date_part}{'T' + time_part if time_part else ''}"

    def _moves_forward(self) -> bool:
        """Tell whether no component is negative and at least one is positive."""
        parts = (self.years, self.months, self.days, _micros(self.time))
        return all(value >= 0 for value in parts) and any(value > 0 for value in parts)


def _micros(delta: timedelta) -> int:
    """Return a timedelta as a whole number of microseconds."""
    return delta // timedelta(microseconds=1)


def _format_time(micros: int) -> str:
    """Format an exact time span as the 'nHnMn.nS' part of an ISO duration."""
    sign = "-" if micros < 0 else ""
    hours, rest = divmod(abs(micros), 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    text = f"{sign}{hours}H" if hours else ""
    text += f"{sign}{minutes}M" if minutes else ""
    if seconds or fraction:
        decimals = f".{fraction:06d}".rstrip("0") if fraction else ""
        text += f"{sign}{seconds}{decimals}S"
    return text


def _require_aware(moment: datetime, name: str) -> None:
    """Reject naive datetimes, which have no defined instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


def _fail(kind: str, text: str, reason: str) -> TimerExpressionError:
    """Build the error for malformed timer text of the given kind."""
    return TimerExpressionError(f"Invalid timer {kind} {text!r}: {reason}")


def parse_duration(text: str) -> Duration:
    """Parse a `timeDuration` such as 'PT10M', 'P1DT2H', 'P2W', 'PT0.5S' or '-PT5M' (negative: due now)."""
    source = text.strip()
    match = _DURATION_RE.fullmatch(source)
    if match is None or not any(match.group(name) for name in ("years", "months", "weeks", "days", "time")):
        raise _fail("duration", text, _DURATION_HINT)
    if match.group("time") and not any(match.group(name) for name in ("hours", "minutes", "seconds")):
        raise _fail("duration", text, f"'T' must be followed by hours, minutes or seconds; {_DURATION_HINT}")
    number = {name: int(match.group(name) or 0) for name in ("years", "months", "weeks", "days", "hours", "minutes")}
    seconds_text = match.group("seconds") or "0"
    micros = int((match.group("fraction") or "").ljust(6, "0")[:6])
    try:
        duration = Duration(
            years=number["years"],
            months=number["months"],
            days=number["weeks"] * 7 + number["days"],
            time=timedelta(
                hours=number["hours"],
                minutes=number["minutes"],
                seconds=int(seconds_text),
                microseconds=-micros if seconds_text.startswith("-") else micros,
            ),
        )
    except OverflowError as exc:
        raise _fail("duration", text, "a component is too large") from exc
    return -duration if match.group("sign") == "-" else duration


def parse_date_time(text: str) -> datetime:
    """Parse a `timeDate` with an offset, 'Z', '[Asia/Jakarta]' or FEEL's '@Asia/Jakarta' (none means UTC)."""
    source = text.strip()
    match = _DATE_TIME_RE.fullmatch(source)
    if match is None:
        raise _fail("date", text, _DATE_HINT)
    fraction = (match.group("fraction") or "").ljust(6, "0")[:6]
    try:
        local = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise _fail("date", text, f"{exc}; {_DATE_HINT}") from exc
    offset = _offset(match.group("offset"), text) if match.group("offset") else None
    zone_name = match.group("bracket_zone") or match.group("at_zone")
    zone = _zone(zone_name, text) if zone_name else None
    if offset is None:
        # Without an offset the wall time is read in the zone (UTC when none is given either).
        return local.replace(tzinfo=zone or UTC).astimezone(UTC).astimezone(zone or UTC)
    # Like java.time, an explicit offset fixes the instant and the zone only chooses how it is shown.
    return local.replace(tzinfo=offset).astimezone(zone or offset)


def _offset(text: str, source: str) -> tzinfo:
    """Turn 'Z', '+07', '+0700', '+07:00' or '+07:00:00' into a fixed-offset zone."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if hours > 18 or minutes > 59 or seconds > 59 or (hours == 18 and minutes + seconds > 0):
        raise _fail("date", source, f"the offset '{text}' is outside -18:00..+18:00")
    delta = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return timezone(-delta if text.startswith("-") else delta)


def _zone(name: str, source: str) -> tzinfo:
    """Resolve an IANA zone id (or an offset written as a zone) with zoneinfo."""
    if _OFFSET_RE.fullmatch(name):
        return _offset(name, source)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise _fail(
            "date", source, f"unknown time zone '{name}'; expected an IANA zone id such as 'Asia/Jakarta'"
        ) from exc


@dataclass(frozen=True)
class TimerSchedule:
    """A cycle timer's next firing: its due time and Zeebe's repetitions counter (None = endless)."""

    due: datetime
    repetitions: int | None

    @property
    def is_last(self) -> bool:
        """Tell whether this firing is the last one, i.e. Zeebe would not reschedule after it."""
        return self.repetitions is not None and self.repetitions <= 1


class Cycle(ABC):
    """A parsed `timeCycle`: a repeating interval or a cron expression."""

    repetitions: int | None

    @abstractmethod
    def first_due(self, now: datetime) -> datetime:
        """Return when a timer created at `now` is first due."""

    @abstractmethod
    def next_due(self, previous_due: datetime, now: datetime) -> datetime | None:
        """Return the due time following a firing that was due at `previous_due`, ignoring repetitions."""

    def first_schedule(self, now: datetime) -> TimerSchedule:
        """Return the schedule of a timer created at `now`, to persist as (due, repetitions)."""
        return TimerSchedule(self.first_due(now), self.repetitions)

    def next_schedule(self, fired: TimerSchedule, now: datetime) -> TimerSchedule | None:
        """Return the schedule after `fired` has triggered at `now`, or None when the cycle is finished."""
        if fired.is_last:
            return None
        due = self.next_due(fired.due, now)
        if due is None:
            return None
        return TimerSchedule(due, None if fired.repetitions is None else fired.repetitions - 1)

    def due_times(self, now: datetime) -> Iterator[datetime]:
        """Yield every due time of a timer created at `now`, assuming each firing happens on time."""
        schedule: TimerSchedule | None = self.first_schedule(now)
        while schedule is not None:
            yield schedule.due
            schedule = self.next_schedule(schedule, max(schedule.due, now))


@dataclass(frozen=True)
class IntervalCycle(Cycle):
    """An ISO 8601 repeating interval 'R[n]/[start/]duration'; `repetitions` None means endless."""

    interval: Duration
    repetitions: int | None = None
    start: datetime | None = None

    def first_due(self, now: datetime) -> datetime:
        """Return the start date (now if it has passed, as Zeebe 8.8.x does) or else now plus the interval."""
        _require_aware(now, "now")
        if self.start is not None:
            return self.start if self.start >= now else now
        return self.interval.add_to(now.astimezone(UTC))

    def next_due(self, previous_due: datetime, now: datetime) -> datetime:
        """Return previous due plus the interval, or now plus the interval when that has already passed."""
        _require_aware(previous_due, "previous_due")
        _require_aware(now, "now")
        zone = self.start.tzinfo if self.start is not None and self.start.tzinfo is not None else UTC
        natural = self.interval.add_to(previous_due.astimezone(zone))
        return natural if natural > now else self.interval.add_to(now.astimezone(zone))

    def __str__(self) -> str:
        """Print the cycle back in ISO 8601 form."""
        count = "" if self.repetitions is None else str(self.repetitions)
        start = "" if self.start is None else f"{self.start.isoformat()}/"
        return f"R{count}/{start}{self.interval}"


_DaysFn = Callable[[int, int], frozenset[int]]
_T = TypeVar("_T")


@dataclass(frozen=True)
class CronCycle(Cycle):
    """A Spring 5.3 cron `timeCycle` (as Zeebe parses it with cron-utils), evaluated in `zone`."""

    text: str
    seconds: tuple[int, ...] = field(repr=False, compare=False)
    minutes: tuple[int, ...] = field(repr=False, compare=False)
    hours: tuple[int, ...] = field(repr=False, compare=False)
    months: frozenset[int] = field(repr=False, compare=False)
    days_of_month: _DaysFn = field(repr=False, compare=False)
    days_of_week: _DaysFn = field(repr=False, compare=False)
    zone: tzinfo = UTC
    repetitions: int | None = field(default=None, init=False)

    def first_due(self, now: datetime) -> datetime:
        """Return the first matching second strictly after `now`."""
        _require_aware(now, "now")
        due = self._after(now)
        if due is None:
            raise TimerExpressionError(f"The cron expression {self.text!r} has no occurrence after {now.isoformat()}")
        return due

    def next_due(self, previous_due: datetime, now: datetime) -> datetime | None:
        """Return the first matching second after `now` (Zeebe skips the occurrences a late firing missed)."""
        _require_aware(previous_due, "previous_due")
        _require_aware(now, "now")
        return self._after(max(previous_due, now))

    def __str__(self) -> str:
        """Print the cron expression as written."""
        return self.text

    def _after(self, moment: datetime) -> datetime | None:
        """Return the first matching whole second strictly after `moment`, in this cycle's zone."""
        local = moment.astimezone(self.zone).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
        while (found := self._search(local)) is not None:
            due = found.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
            if due > moment:
                return due
            local = found + timedelta(seconds=1)  # a wall time repeated by a DST fold
        return None

    def _days(self, year: int, month: int) -> frozenset[int]:
        """Return the days of a month both day fields allow (Spring ANDs them; '?' means '*')."""
        if month not in self.months:
            return frozenset()
        return self.days_of_month(year, month) & self.days_of_week(year, month)

    def _search(self, start: datetime) -> datetime | None:
        """Return the first matching wall time at or after `start`, looking one 400-year calendar ahead."""
        year, month = start.year, start.month
        for _ in range(400 * 12 + 1):
            for day in sorted(self._days(year, month)):
                if (year, month, day) < (start.year, start.month, start.day):
                    continue
                same_day = (year, month, day) == (start.year, start.month, start.day)
                hit = self._first_time(start.time() if same_day else time.min)
                if hit is not None:
                    return datetime.combine(date(year, month, day), hit)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            if year > 9999:
                return None
        return None

    def _first_time(self, floor: time) -> time | None:
        """Return the first matching time of day at or after `floor`."""
        for hour in self.hours:
            if hour < floor.hour:
                continue
            for minute in self.minutes:
                if (hour, minute) < (floor.hour, floor.minute):
                    continue
                for second in self.seconds:
                    if (hour, minute, second) >= (floor.hour, floor.minute, floor.second):
                        return time(hour, minute, second)
        return None


_CRON_MACROS: Final[Mapping[str, str]] = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_MONTH_NAMES: Final[Mapping[str, int]] = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_DAY_NAMES: Final[Mapping[str, int]] = {
    "SUN": 0,
    "MON": 1,
    "TUE": 2,
    "WED": 3,
    "THU": 4,
    "FRI": 5,
    "SAT": 6,
}
_CRON_FIELDS: Final = ("second", "minute", "hour", "day-of-month", "month", "day-of-week")


def parse_cycle(text: str, *, zone: tzinfo = UTC) -> Cycle:
    """Parse a `timeCycle`: 'R3/PT10M', 'R/PT1H', 'R5/<date-time>/PT1H' or a cron like '0 0 9 * * MON-FRI'."""
    source = text.strip()
    if not source:
        raise _fail("cycle", text, f"the text is empty; {_CYCLE_HINT}")
    if source.startswith("R"):
        return _parse_repeating_interval(source, text)
    return _parse_cron(source, text, zone)


def _parse_repeating_interval(source: str, text: str) -> IntervalCycle:
    """Parse 'R[n]/[start/]duration' like Zeebe's RepeatingInterval.parse."""
    count_text, slash, rest = source[1:].partition("/")
    if not slash or not rest:
        raise _fail("cycle", text, f"the interval after 'R{count_text}/' is missing; {_CYCLE_HINT}")
    if count_text and not (count_text.isascii() and count_text.isdigit()):
        raise _fail("cycle", text, f"the repetition count '{count_text}' is not a non-negative whole number")
    repetitions = int(count_text) if count_text else None
    if repetitions is not None and repetitions > _MAX_REPETITIONS:
        raise _fail("cycle", text, f"the repetition count {repetitions} exceeds {_MAX_REPETITIONS}")
    start_text, start_slash, interval_text = rest.rpartition("/")
    if start_slash and not start_text:
        raise _fail("cycle", text, f"the start date before '/{interval_text}' is empty; {_CYCLE_HINT}")
    try:
        start = parse_date_time(start_text) if start_text else None
        interval = parse_duration(interval_text)
    except TimerExpressionError as exc:
        raise _fail("cycle", text, str(exc)) from exc
    if not interval._moves_forward():
        raise _fail("cycle", text, f"the interval '{interval_text}' must be positive")
    return IntervalCycle(interval=interval, repetitions=repetitions, start=start)


def _parse_cron(source: str, text: str, zone: tzinfo) -> CronCycle:
    """Parse a Spring 5.3 cron expression (6 fields, or one of the @-macros cron-utils knows)."""
    if source.startswith("@"):
        if source not in _CRON_MACROS:
            raise _fail("cycle", text, f"unknown cron macro; supported are {', '.join(_CRON_MACROS)}")
        source = _CRON_MACROS[source]
    parts = source.upper().split()
    if len(parts) != 6:
        raise _fail("cycle", text, f"a cron expression needs 6 fields, found {len(parts)}; {_CYCLE_HINT}")
    second, minute, hour, day_of_month, month, day_of_week = parts
    cron = CronCycle(
        text=text.strip(),
        seconds=tuple(sorted(_cron_field(text, 0, second, lambda raw: _field_values(raw, 0, 59, {})))),
        minutes=tuple(sorted(_cron_field(text, 1, minute, lambda raw: _field_values(raw, 0, 59, {})))),
        hours=tuple(sorted(_cron_field(text, 2, hour, lambda raw: _field_values(raw, 0, 23, {})))),
        days_of_month=_cron_field(text, 3, day_of_month, _day_of_month_rule),
        months=_cron_field(text, 4, month, lambda raw: _field_values(raw, 1, 12, _MONTH_NAMES)),
        days_of_week=_cron_field(text, 5, day_of_week, _day_of_week_rule),
        zone=zone,
    )
    if not any(cron._days(year, month) for year in range(2000, 2400) for month in range(1, 13)):
        raise _fail("cycle", text, "the cron expression never matches any date")
    return cron


def _cron_field(text: str, index: int, raw: str, build: Callable[[str], _T]) -> _T:
    """Run one field's parser, naming the field and its value when it is malformed."""
    try:
        return build(raw)
    except _CronFieldError as exc:
        raise _fail("cycle", text, f"the cron {_CRON_FIELDS[index]} field '{raw}' is invalid: {exc}") from exc


class _CronFieldError(ValueError):
    """One cron field is malformed."""


def _field_values(
    text: str, low: int, high: int, names: Mapping[str, int], *, question: bool = False
) -> frozenset[int]:
    """Expand a comma list of '*', '?', 'n', 'a-b', '*/s', 'a/s' and 'a-b/s' into the values it allows."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = _field_number(step_text, 1, high, {}) if slash else 1
        if base == "*" or (base == "?" and question and not slash):
            first, last = low, high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first = _field_number(first_text, low, high, names)
            last = _field_number(last_text, low, high, names)
            if first > last:
                raise _CronFieldError(f"the range {base} runs backwards")
        else:
            first = _field_number(base, low, high, names)
            last = high if slash else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _field_number(token: str, low: int, high: int, names: Mapping[str, int]) -> int:
    """Read one number or name of a cron field and check it lies in low..high."""
    if token in names:
        return names[token]
    if not (token.isascii() and token.isdigit()):
        raise _CronFieldError(f"'{token}' is not a number" + (" or a name" if names else ""))
    value = int(token)
    if not low <= value <= high:
        raise _CronFieldError(f"{value} is outside {low}-{high}")
    return value


def _day_of_month_rule(text: str) -> _DaysFn:
    """Build the day-of-month matcher: a value list, 'L', 'L-n', 'LW' or 'nW'."""
    if text == "L" or text.startswith("L-"):
        back = _field_number(text[2:], 0, 30, {}) if text != "L" else 0

        def last_days(year: int, month: int) -> frozenset[int]:
            day = _month_length(year, month) - back
            return frozenset({day}) if day >= 1 else frozenset()

        return last_days
    if text == "LW":
        return lambda year, month: frozenset({_nearest_weekday(year, month, _month_length(year, month))})
    if text.endswith("W"):
        day = _field_number(text[:-1], 1, 31, {})
        return lambda year, month: (
            frozenset({_nearest_weekday(year, month, day)}) if day <= _month_length(year, month) else frozenset()
        )
    allowed = _field_values(text, 1, 31, {}, question=True)
    return lambda year, month: frozenset(day for day in allowed if day <= _month_length(year, month))


def _day_of_week_rule(text: str) -> _DaysFn:
    """Build the day-of-week matcher: a value list (0 and 7 are Sunday), 'dL' (last d) or 'd#n' (n-th d)."""
    if "#" in text:
        day_text, _, nth_text = text.partition("#")
        weekday, nth = _cron_weekday(day_text), _field_number(nth_text, 1, 5, {})
        return lambda year, month: frozenset(_weekday_dates(year, month, weekday)[nth - 1 : nth])
    if len(text) > 1 and text.endswith("L"):
        weekday = _cron_weekday(text[:-1])
        return lambda year, month: frozenset(_weekday_dates(year, month, weekday)[-1:])
    spelled = text.replace("-SUN", "-7")  # Spring reads SUN as 7 at the end of a range, so SAT-SUN works
    allowed = {(value - 1) % 7 for value in _field_values(spelled, 0, 7, _DAY_NAMES, question=True)}
    return lambda year, month: frozenset(
        day for day in range(1, _month_length(year, month) + 1) if date(year, month, day).weekday() in allowed
    )


def _cron_weekday(token: str) -> int:
    """Turn a cron day of week (0-7 or SUN-SAT) into Python's weekday number (Monday is 0)."""
    return (_field_number(token, 0, 7, _DAY_NAMES) - 1) % 7


def _month_length(year: int, month: int) -> int:
    """Return the number of days in a month."""
    return calendar.monthrange(year, month)[1]


def _weekday_dates(year: int, month: int, weekday: int) -> list[int]:
    """Return the days of a month that fall on the given Python weekday."""
    return [day for day in range(1, _month_length(year, month) + 1) if date(year, month, day).weekday() == weekday]


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """Return the Monday-to-Friday day nearest to `day` without leaving the month (Quartz 'W')."""
    weekday, length = date(year, month, day).weekday(), _month_length(year, month)
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the month ends on a Sunday
        return day + 1 if day < length else day - 2
    return day
