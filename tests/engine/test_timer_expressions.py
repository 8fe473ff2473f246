"""Tests for engine.timer_expressions: timeDuration, timeDate and timeCycle with Zeebe 8.8 semantics."""

from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from engine.errors import EngineError
from engine.timer_expressions import (
    CronCycle,
    Duration,
    IntervalCycle,
    TimerExpressionError,
    TimerSchedule,
    parse_cycle,
    parse_date_time,
    parse_duration,
)

JAKARTA = ZoneInfo("Asia/Jakarta")  # UTC+7, no DST
MAKASSAR = ZoneInfo("Asia/Makassar")  # UTC+8, no DST
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)  # a Thursday


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0, micro: int = 0
) -> datetime:
    """Build a UTC datetime."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT10M", Duration(time=timedelta(minutes=10))),
        ("PT1H30M", Duration(time=timedelta(hours=1, minutes=30))),
        ("P3D", Duration(days=3)),
        ("P1DT2H", Duration(days=1, time=timedelta(hours=2))),
        ("P2W", Duration(days=14)),
        ("P1Y2M", Duration(years=1, months=2)),
        ("PT0.5S", Duration(time=timedelta(milliseconds=500))),
        ("PT1,25S", Duration(time=timedelta(seconds=1, milliseconds=250))),
        ("P3Y6M4DT12H30M5S", Duration(3, 6, 4, timedelta(hours=12, minutes=30, seconds=5))),
        ("PT36H", Duration(time=timedelta(hours=36))),
        ("PT0S", Duration()),
        ("P0M", Duration()),
        ("-PT5M", Duration(time=timedelta(minutes=-5))),
        ("-P1DT2H", Duration(days=-1, time=timedelta(hours=-2))),
        ("PT-0.5S", Duration(time=timedelta(milliseconds=-500))),
        ("P1DT-1H", Duration(days=1, time=timedelta(hours=-1))),
        ("+P1D", Duration(days=1)),
        ("p3d", Duration(days=3)),
        ("  PT10M\n", Duration(time=timedelta(minutes=10))),
    ],
)
def test_parse_duration_accepts_zeebe_forms(text: str, expected: Duration) -> None:
    """Every duration form Zeebe (java.time Period + Duration) accepts parses to the right components."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("PT10M", "PT10M"),
        ("P1DT2H", "P1DT2H"),
        ("P2W", "P14D"),
        ("P1Y2M", "P1Y2M"),
        ("PT0.5S", "PT0.5S"),
        ("PT90M", "PT1H30M"),
        ("PT0S", "PT0S"),
        ("-PT5M", "-PT5M"),
        ("P1DT-1H", "P1DT-1H"),
    ],
)
def test_duration_prints_back_as_iso(text: str, printed: str) -> None:
    """A parsed duration prints as canonical ISO 8601 text that parses back to the same value."""
    duration = parse_duration(text)
    assert str(duration) == printed
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "P",
        "PT",
        "P1DT",
        "PT1.5H",
        "P1.5D",
        "10M",
        "PT10",
        "P1D2H",
        "R3/PT1M",
        "2026-01-01T00:00:00Z",
    ],
)
def test_parse_duration_rejects_malformed_text(text: str) -> None:
    """Malformed durations raise TimerExpressionError naming the text and the expected format."""
    with pytest.raises(TimerExpressionError, match="expected an ISO 8601 duration") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


def test_parse_duration_rejects_a_component_too_large() -> None:
    """A duration whose time part overflows is rejected instead of crashing."""
    with pytest.raises(TimerExpressionError, match="too large"):
        parse_duration("PT99999999999999999H")


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (_utc(2026, 1, 31, 9), "P1M", _utc(2026, 2, 28, 9)),
        (_utc(2028, 1, 31, 9), "P1M", _utc(2028, 2, 29, 9)),
        (_utc(2028, 2, 29, 9), "P1Y", _utc(2029, 2, 28, 9)),
        (_utc(2026, 1, 31, 9), "P1M1D", _utc(2026, 3, 1, 9)),
        (_utc(2026, 11, 30, 9), "P1Y2M", _utc(2028, 1, 30, 9)),
        (_utc(2026, 1, 1, 23, 30), "PT1H", _utc(2026, 1, 2, 0, 30)),
        (_utc(2026, 1, 1, 8), "-PT5M", _utc(2026, 1, 1, 7, 55)),
    ],
)
def test_duration_add_to_is_calendar_aware(start: datetime, text: str, expected: datetime) -> None:
    """Months and years clamp to the month end (Jan 31 + P1M = Feb 28/29) and time parts add exactly."""
    assert parse_duration(text).add_to(start) == expected


def test_duration_add_to_keeps_the_zone_of_its_argument() -> None:
    """Adding to a zoned datetime keeps its zone and its wall-clock time for day-based parts."""
    start = datetime(2026, 1, 31, 9, 0, tzinfo=MAKASSAR)
    result = parse_duration("P1MT2H").add_to(start)
    assert result == datetime(2026, 2, 28, 11, 0, tzinfo=MAKASSAR)
    assert result.tzinfo is MAKASSAR


def test_duration_add_to_rejects_a_naive_datetime() -> None:
    """A naive datetime has no instant, so adding a duration to it is a programming error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_duration("PT1M").add_to(datetime(2026, 1, 1))


def test_duration_add_to_reports_leaving_the_date_range() -> None:
    """A result beyond year 9999 raises TimerExpressionError, not OverflowError."""
    with pytest.raises(TimerExpressionError, match="supported date range"):
        parse_duration("P9000Y").add_to(NOW)


@pytest.mark.parametrize(
    ("text", "expected_utc", "offset_hours"),
    [
        ("2026-11-21T10:00:00+07:00", _utc(2026, 11, 21, 3), 7),
        ("2026-11-21T10:00:00Z", _utc(2026, 11, 21, 10), 0),
        ("2026-11-21T10:00:00z", _utc(2026, 11, 21, 10), 0),
        ("2026-11-21T10:00Z", _utc(2026, 11, 21, 10), 0),
        ("2026-11-21T10:00:00.250+08:00", _utc(2026, 11, 21, 2, 0, micro=250000), 8),
        ("2026-11-21T10:00:00.123456789Z", _utc(2026, 11, 21, 10, 0, micro=123456), 0),
        ("2026-11-21T10:00:00+0700", _utc(2026, 11, 21, 3), 7),
        ("2026-11-21T10:00:00-03", _utc(2026, 11, 21, 13), -3),
        ("2026-11-21T10:00:00[Asia/Jakarta]", _utc(2026, 11, 21, 3), 7),
        ("2026-11-21T10:00:00+07:00[Asia/Jakarta]", _utc(2026, 11, 21, 3), 7),
        ("2026-11-21T10:00:00@Asia/Jakarta", _utc(2026, 11, 21, 3), 7),
        ("2026-11-21T10:00:00@Asia/Makassar", _utc(2026, 11, 21, 2), 8),
        ("2026-11-21T10:00:00[UTC]", _utc(2026, 11, 21, 10), 0),
        ("2026-11-21T10:00:00", _utc(2026, 11, 21, 10), 0),
        (" 2026-11-21T10:00:00Z\n", _utc(2026, 11, 21, 10), 0),
    ],
)
def test_parse_date_time_accepts_zeebe_and_feel_forms(text: str, expected_utc: datetime, offset_hours: int) -> None:
    """Offsets, Z, [zone], FEEL's @zone and offset-less text (read as UTC) give the right aware instant."""
    parsed = parse_date_time(text)
    assert parsed == expected_utc
    assert parsed.utcoffset() == timedelta(hours=offset_hours)


def test_parse_date_time_keeps_the_named_zone() -> None:
    """A bracketed or @ zone id becomes a zoneinfo zone on the result, not just a fixed offset."""
    assert parse_date_time("2026-11-21T10:00:00[Asia/Jakarta]").tzinfo == JAKARTA
    assert parse_date_time("2026-11-21T10:00:00@Asia/Makassar").tzinfo == MAKASSAR


def test_parse_date_time_offset_fixes_the_instant_when_it_disagrees_with_the_zone() -> None:
    """As in java.time, a conflicting offset decides the instant and the zone only the presentation."""
    parsed = parse_date_time("2026-11-21T10:00:00+08:00[Asia/Jakarta]")
    assert parsed == _utc(2026, 11, 21, 2)
    assert parsed.tzinfo == JAKARTA
    assert parsed.hour == 9


def test_parse_date_time_accepts_feel_sub_minute_offsets() -> None:
    """FEEL may print an offset with seconds (+HH:MM:SS); it is honoured exactly."""
    parsed = parse_date_time("2026-11-21T10:00:00+05:30:15")
    assert parsed.tzinfo == timezone(timedelta(hours=5, minutes=30, seconds=15))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected an ISO 8601 date-time"),
        ("garbage", "expected an ISO 8601 date-time"),
        ("2026-11-21", "expected an ISO 8601 date-time"),
        ("2026-11-21 10:00:00Z", "expected an ISO 8601 date-time"),
        ("2026-11-21T10:00:00[]", "expected an ISO 8601 date-time"),
        ("2026-11-21T10:00:00@", "expected an ISO 8601 date-time"),
        ("PT10M", "expected an ISO 8601 date-time"),
        ("2026-02-30T10:00:00Z", "day is out of range"),
        ("2026-11-21T24:00:00Z", "hour must be in"),
        ("2026-11-21T10:00:00+19:00", "outside -18:00..+18:00"),
        ("2026-11-21T10:00:00[Asia/Jakartaa]", "unknown time zone 'Asia/Jakartaa'"),
        ("2026-11-21T10:00:00@Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_parse_date_time_rejects_malformed_text(text: str, reason: str) -> None:
    """Malformed date-times and unknown zones raise TimerExpressionError naming the text and the problem."""
    with pytest.raises(TimerExpressionError, match=reason) as caught:
        parse_date_time(text)
    assert repr(text) in str(caught.value)


def test_repeating_interval_fires_the_given_number_of_times() -> None:
    """R3/PT10M created at now is due at now+10m, +20m, +30m and then never again."""
    cycle = parse_cycle("R3/PT10M")
    assert isinstance(cycle, IntervalCycle)
    assert cycle.repetitions == 3
    assert list(cycle.due_times(NOW)) == [NOW + timedelta(minutes=m) for m in (10, 20, 30)]


def test_repeating_interval_without_count_is_endless() -> None:
    """R/PT1H has no repetition limit and keeps producing hourly due times."""
    cycle = parse_cycle("R/PT1H")
    assert cycle.repetitions is None
    assert list(islice(cycle.due_times(NOW), 4)) == [NOW + timedelta(hours=h) for h in (1, 2, 3, 4)]


def test_repeating_interval_with_zero_count_fires_once() -> None:
    """Zeebe accepts R0 and, like R1, triggers once before its repetitions counter stops it."""
    cycle = parse_cycle("R0/PT1M")
    assert cycle.repetitions == 0
    assert list(cycle.due_times(NOW)) == [NOW + timedelta(minutes=1)]


def test_schedule_can_be_persisted_and_resumed() -> None:
    """(due, repetitions) is all the engine stores; next_schedule counts R3 down and then ends."""
    cycle = parse_cycle("R3/PT10M")
    first = cycle.first_schedule(NOW)
    assert first == TimerSchedule(NOW + timedelta(minutes=10), 3)
    restored = TimerSchedule(first.due, first.repetitions)  # e.g. after a restart
    second = cycle.next_schedule(restored, first.due)
    assert second == TimerSchedule(NOW + timedelta(minutes=20), 2)
    assert second is not None
    third = cycle.next_schedule(second, second.due)
    assert third == TimerSchedule(NOW + timedelta(minutes=30), 1)
    assert third is not None
    assert third.is_last
    assert cycle.next_schedule(third, third.due) is None


def test_late_firing_reschedules_one_interval_after_now() -> None:
    """A firing that happens after the next due already passed is re-anchored to now plus the interval."""
    cycle = parse_cycle("R/PT10M")
    late_now = NOW + timedelta(minutes=35)
    assert cycle.next_due(NOW + timedelta(minutes=10), late_now) == late_now + timedelta(minutes=10)
    assert cycle.next_due(NOW + timedelta(minutes=10), NOW + timedelta(minutes=12)) == NOW + timedelta(minutes=20)


def test_cycle_with_future_start_fires_at_the_start_first() -> None:
    """R5/<future start>/PT1H is first due at the start date, then every hour, five times in all."""
    cycle = parse_cycle("R5/2026-02-01T00:00:00Z/PT1H")
    assert list(cycle.due_times(NOW)) == [_utc(2026, 2, 1, hour) for hour in range(5)]


def test_cycle_with_past_start_fires_immediately_then_every_interval() -> None:
    """A past start date is due at once (Zeebe 8.8.x, camunda#38987), then every interval from there."""
    cycle = parse_cycle("R3/2025-06-01T00:00:00Z/PT1H")
    assert list(cycle.due_times(NOW)) == [NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2)]


def test_cycle_with_zoned_start_adds_months_on_that_zones_calendar() -> None:
    """R/<Jan 31 in Asia/Makassar>/P1M steps Jan 31, Feb 28, then Mar 28 (each step from the previous due)."""
    cycle = parse_cycle("R/2026-01-31T09:00:00[Asia/Makassar]/P1M")
    dues = list(islice(cycle.due_times(NOW), 3))
    assert dues == [datetime(2026, month, day, 9, tzinfo=MAKASSAR) for month, day in ((1, 31), (2, 28), (3, 28))]
    assert all(due.tzinfo == MAKASSAR for due in dues)


def test_cycle_start_accepts_the_feel_zone_format() -> None:
    """A cycle start written as FEEL prints zoned date-times (…@Asia/Jakarta) is understood."""
    cycle = parse_cycle("R2/2026-02-01T07:00:00@Asia/Jakarta/PT30M")
    assert list(cycle.due_times(NOW)) == [_utc(2026, 2, 1, 0), _utc(2026, 2, 1, 0, 30)]


def test_interval_cycle_prints_back_as_iso() -> None:
    """An interval cycle prints as R<n>/[start/]duration and parses back to an equal cycle."""
    for text in ("R3/PT10M", "R/P1D", "R5/2026-01-01T00:00:00+00:00/PT1H"):
        cycle = parse_cycle(text)
        assert str(cycle) == text
        assert parse_cycle(str(cycle)) == cycle


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("0 0 9 * * MON-FRI", NOW, [_utc(2026, 1, 1, 9), _utc(2026, 1, 2, 9), _utc(2026, 1, 5, 9)]),
        ("0 0 9-17 * * MON-FRI", _utc(2026, 1, 2, 16, 30), [_utc(2026, 1, 2, 17), _utc(2026, 1, 5, 9)]),
        ("*/15 * * * * *", NOW, [_utc(2026, 1, 1, 8, 0, second=15), _utc(2026, 1, 1, 8, 0, second=30)]),
        ("10 * * * * *", _utc(2026, 1, 1, 8, 0, second=10), [_utc(2026, 1, 1, 8, 1, second=10)]),
        ("0 5/20 * * * *", NOW, [_utc(2026, 1, 1, 8, 5), _utc(2026, 1, 1, 8, 25), _utc(2026, 1, 1, 8, 45)]),
        ("0 0 0 1,15 * ?", NOW, [_utc(2026, 1, 15), _utc(2026, 2, 1), _utc(2026, 2, 15)]),
        ("0 0 0 * JAN,mar SUN", NOW, [_utc(2026, 1, 4), _utc(2026, 1, 11)]),
        ("0 0 0 ? * 7", NOW, [_utc(2026, 1, 4)]),
        ("0 0 0 * * SAT-SUN", NOW, [_utc(2026, 1, 3), _utc(2026, 1, 4), _utc(2026, 1, 10)]),
        ("0 0 0 13 * FRI", NOW, [_utc(2026, 2, 13), _utc(2026, 3, 13), _utc(2026, 11, 13)]),
        ("0 0 0 L * *", NOW, [_utc(2026, 1, 31), _utc(2026, 2, 28), _utc(2026, 3, 31)]),
        ("0 0 0 L-3 * *", NOW, [_utc(2026, 1, 28), _utc(2026, 2, 25)]),
        ("0 0 0 LW * *", NOW, [_utc(2026, 1, 30), _utc(2026, 2, 27)]),
        ("0 0 0 1W * *", _utc(2026, 1, 15), [_utc(2026, 2, 2), _utc(2026, 3, 2), _utc(2026, 4, 1)]),
        ("0 0 0 1W * *", _utc(2026, 7, 15), [_utc(2026, 8, 3), _utc(2026, 9, 1)]),
        ("0 0 0 31W * *", _utc(2026, 5, 1), [_utc(2026, 5, 29), _utc(2026, 7, 31)]),
        ("0 0 0 ? * FRI#2", NOW, [_utc(2026, 1, 9), _utc(2026, 2, 13)]),
        ("0 0 0 ? * 5L", NOW, [_utc(2026, 1, 30), _utc(2026, 2, 27)]),
        ("0 0 0 29 2 *", NOW, [_utc(2028, 2, 29), _utc(2032, 2, 29)]),
        ("@yearly", NOW, [_utc(2027, 1, 1), _utc(2028, 1, 1)]),
        ("@annually", NOW, [_utc(2027, 1, 1)]),
        ("@monthly", NOW, [_utc(2026, 2, 1), _utc(2026, 3, 1)]),
        ("@weekly", NOW, [_utc(2026, 1, 4), _utc(2026, 1, 11)]),
        ("@daily", NOW, [_utc(2026, 1, 2), _utc(2026, 1, 3)]),
        ("@midnight", NOW, [_utc(2026, 1, 2)]),
        ("@hourly", NOW, [_utc(2026, 1, 1, 9), _utc(2026, 1, 1, 10)]),
    ],
)
def test_cron_cycle_matches_spring_semantics(text: str, now: datetime, expected: list[datetime]) -> None:
    """Spring 5.3 fields, names, steps, ?, L, W, #, ANDed day fields and @-macros give the right dues."""
    cycle = parse_cycle(text)
    assert isinstance(cycle, CronCycle)
    assert cycle.repetitions is None
    assert list(islice(cycle.due_times(now), len(expected))) == expected


def test_cron_first_due_is_strictly_after_now() -> None:
    """A cron timer created exactly on a matching second is due at the next match, not immediately."""
    assert parse_cycle("0 0 9 * * *").first_due(_utc(2026, 1, 1, 9)) == _utc(2026, 1, 2, 9)


def test_cron_next_due_skips_occurrences_missed_by_a_late_firing() -> None:
    """Like Zeebe, a cron timer that fires late is rescheduled after now, not after the missed slots."""
    cycle = parse_cycle("0 0 * * * *")
    assert cycle.next_due(_utc(2026, 1, 1, 9), _utc(2026, 1, 1, 12, 30)) == _utc(2026, 1, 1, 13)


def test_cron_schedule_never_runs_out() -> None:
    """A cron schedule carries no repetitions counter, so next_schedule always continues."""
    cycle = parse_cycle("@hourly")
    schedule = cycle.first_schedule(NOW)
    assert schedule == TimerSchedule(_utc(2026, 1, 1, 9), None)
    assert not schedule.is_last
    assert cycle.next_schedule(schedule, schedule.due) == TimerSchedule(_utc(2026, 1, 1, 10), None)


def test_cron_is_evaluated_in_utc_unless_a_zone_is_given() -> None:
    """Zeebe evaluates cron in the broker zone (UTC); a DST-free zone like Asia/Jakarta shifts every due."""
    assert parse_cycle("0 0 9 * * *").first_due(NOW) == _utc(2026, 1, 1, 9)
    jakarta = parse_cycle("0 0 9 * * *", zone=JAKARTA)
    assert list(islice(jakarta.due_times(NOW), 2)) == [_utc(2026, 1, 2, 2), _utc(2026, 1, 3, 2)]
    assert jakarta.first_due(NOW).tzinfo == JAKARTA


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the text is empty"),
        ("   ", "the text is empty"),
        ("R", "the interval after 'R/' is missing"),
        ("R3", "the interval after 'R3/' is missing"),
        ("R3/", "the interval after 'R3/' is missing"),
        ("R-1/PT1M", "repetition count '-1' is not a non-negative whole number"),
        ("Rx/PT1M", "repetition count 'x'"),
        ("R99999999999/PT1M", "exceeds 2147483647"),
        ("R3/PT", "Invalid timer duration 'PT'"),
        ("R3/P1DT", "Invalid timer duration 'P1DT'"),
        ("R3/PT0S", "the interval 'PT0S' must be positive"),
        ("R/-PT1M", "the interval '-PT1M' must be positive"),
        ("R3//PT1M", "the start date before '/PT1M' is empty"),
        ("R3/garbage/PT1M", "Invalid timer date 'garbage'"),
        ("R3/2026-01-01T00:00:00[Nope/Zone]/PT1M", "unknown time zone 'Nope/Zone'"),
        ("r3/PT1M", "needs 6 fields, found 1"),
        ("garbage", "needs 6 fields, found 1"),
        ("* * * * *", "needs 6 fields, found 5"),
        ("* * * * * * *", "needs 6 fields, found 7"),
        ("60 * * * * *", "second field '60' is invalid: 60 is outside 0-59"),
        ("20-10 * * * * *", "second field '20-10' is invalid: the range 20-10 runs backwards"),
        ("* 60 * * * *", "minute field '60'"),
        ("* * 24 * * *", "hour field '24'"),
        ("* * * 0 * *", "day-of-month field '0'"),
        ("* * * 32 * *", "day-of-month field '32'"),
        ("* * * * 0 *", "month field '0'"),
        ("* * * * 13 *", "month field '13'"),
        ("* * * * FOO *", "month field 'FOO'"),
        ("* * * * * 8", "day-of-week field '8'"),
        ("* * * * * *SUN", "day-of-week field '[*]SUN'"),
        ("* * * * * SUN*", "day-of-week field 'SUN[*]'"),
        ("* * * * * MON#6", "day-of-week field 'MON#6'"),
        ("*/0 * * * * *", "second field '[*]/0'"),
        ("? * * * * *", "second field '[?]'"),
        ("1,,2 * * * * *", "second field '1,,2'"),
        ("0 0 0 31 2 *", "never matches any date"),
        ("0 0 0 30 2 MON", "never matches any date"),
        ("@reboot", "unknown cron macro"),
        ("@every 1h", "unknown cron macro"),
    ],
)
def test_parse_cycle_rejects_malformed_text(text: str, reason: str) -> None:
    """Malformed cycles raise TimerExpressionError naming the text and what is wrong or expected."""
    with pytest.raises(TimerExpressionError, match=reason) as caught:
        parse_cycle(text)
    assert str(caught.value).startswith(f"Invalid timer cycle {text!r}")


def test_timer_expression_error_is_an_engine_error() -> None:
    """TimerExpressionError belongs to the engine's exception hierarchy."""
    assert issubclass(TimerExpressionError, EngineError)


def test_cycles_reject_naive_datetimes() -> None:
    """Scheduling with a naive 'now' is a programming error for both kinds of cycle."""
    for text in ("R3/PT10M", "@daily"):
        with pytest.raises(ValueError, match="timezone-aware"):
            parse_cycle(text).first_due(datetime(2026, 1, 1))
