"""The working calendar of each province: standard times count only office hours, never weekends, national holidays,
cuti bersama or the bureau's own closed days; every instant in the province's zone (WITA for Kalimantan Timur, WIB
for Kalimantan Barat)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.domain import WIB, WITA, RequestKind
from workers.errors import SettingsError
from workers.settings import Settings
from workers.working_time import (
    DEFAULT_OFFICE_HOURS,
    MAX_CLOSED_DAYS,
    OfficeHours,
    WorkingCalendar,
    WorkingDuration,
    WorkingTimeError,
    instant,
    national_holidays,
    parse_closed_days,
    timer_date,
)

KALTIM = Settings.from_env({}).working_time.calendar(RequestKind.ADMIN_PPE)
KALBAR = Settings.from_env({}).working_time.calendar(RequestKind.PPBJ)


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=WITA)


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def test_each_province_counts_in_its_own_zone_with_the_default_office_hours() -> None:
    """SOP 1 runs in Kalimantan Timur (WITA), SOP 2 in Kalimantan Barat (WIB); both Mon–Thu 07:30–16:00, Fri
    07:30–16:30 unless set."""
    assert (KALTIM.zone, KALTIM.zone_name, RequestKind.ADMIN_PPE.province) == (WITA, "WITA", "Kalimantan Timur")
    assert (KALBAR.zone, KALBAR.zone_name, RequestKind.PPBJ.province) == (WIB, "WIB", "Kalimantan Barat")
    assert (
        str(KALTIM.office_hours)
        == "Sen 07:30-16:00; Sel 07:30-16:00; Rab 07:30-16:00; Kam 07:30-16:00; Jum 07:30-16:30"
    )
    assert KALTIM.office_hours == KALBAR.office_hours == OfficeHours.parse(DEFAULT_OFFICE_HOURS)


def test_friday_afternoon_request_is_not_late_over_the_weekend() -> None:
    """Friday 16:25 WITA with 10 minutes: five minutes on Friday, five on Monday morning – due Monday 07:35 WITA;
    the same instant in WIB (Kalbar) is 15:25, well inside Friday."""
    start = wita(2026, 3, 6, 16, 25)
    assert KALTIM.deadline(start, "PT10M") == wita(2026, 3, 9, 7, 35)
    assert KALBAR.deadline(start, "PT10M") == wib(2026, 3, 6, 15, 35)
    assert KALTIM.elapsed(start, wita(2026, 3, 9, 7, 35)) == timedelta(minutes=10)
    assert KALTIM.elapsed(start, wita(2026, 3, 9, 7, 30)) == timedelta(minutes=5)  # the 16:55 → 17:05 case
    assert KALTIM.elapsed(wita(2026, 3, 6, 16, 55), wita(2026, 3, 6, 17, 5)) == timedelta(0)


def test_end_of_a_working_day_carries_over_to_the_next_morning() -> None:
    """Monday 15:55 WITA with 10 minutes: due Tuesday 07:35; a start at closing time counts from the next opening."""
    assert KALTIM.deadline(wita(2026, 3, 2, 15, 55), "PT10M") == wita(2026, 3, 3, 7, 35)
    assert KALTIM.deadline(wita(2026, 3, 2, 16, 0), "PT10M") == wita(2026, 3, 3, 7, 40)
    assert KALTIM.deadline(wita(2026, 3, 2, 6, 0), "PT30M") == wita(2026, 3, 2, 8, 0)
    assert KALTIM.deadline(wita(2026, 3, 2, 15, 50), "PT10M") == wita(2026, 3, 2, 16, 0)  # due exactly at closing


def test_national_holidays_and_cuti_bersama_are_skipped() -> None:
    """Tuesday 17 March 2026 15:55 WITA, 10 minutes: 18 March is cuti bersama for Nyepi, 19 Nyepi, 20 cuti bersama
    for Idul Fitri, 21–22 Idul Fitri, 23–24 cuti bersama – the step is due Wednesday 25 March 07:35 WITA. In
    Kalbar, Wednesday 13 May 2026 15:50 WIB with 30 minutes skips Kenaikan Yesus Kristus (14 May) and its cuti
    bersama (15 May): due Monday 18 May 07:50 WIB."""
    assert national_holidays(2026)[date(2026, 3, 18)] == "Cuti Bersama Hari Suci Nyepi"
    assert national_holidays(2026)[date(2026, 3, 19)] == "Hari Suci Nyepi"
    assert KALTIM.deadline(wita(2026, 3, 17, 15, 55), "PT10M") == wita(2026, 3, 25, 7, 35)
    assert KALBAR.deadline(wib(2026, 5, 13, 15, 50), "PT30M") == wib(2026, 5, 18, 7, 50)
    assert KALTIM.closed_reason(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
    assert KALTIM.closed_reason(date(2026, 3, 7)) == "Di luar hari kerja"
    assert KALTIM.closed_reason(date(2026, 3, 9)) is None


def test_the_bureaus_closed_days_and_office_hours_come_from_the_settings() -> None:
    """CLOSED_DAYS_KALTIM closes Tuesday 3 March 2026 in Kaltim only; OFFICE_HOURS_KALBAR with a lunch break makes
    the break no working time."""
    settings = Settings.from_env(
        {
            "CLOSED_DAYS_KALTIM": "2026-03-03, 2026-03-05..2026-03-06",
            "OFFICE_HOURS_KALBAR": "Sen-Jum 08:00-12:00,13:00-16:00",
        }
    )
    kaltim = settings.working_time.calendar(RequestKind.ADMIN_PPE)
    kalbar = settings.working_time.calendar(RequestKind.PPBJ)
    assert kaltim.closed_reason(date(2026, 3, 3)) == "Hari libur tambahan biro"
    assert kaltim.deadline(wita(2026, 3, 2, 15, 55), "PT10M") == wita(2026, 3, 4, 7, 35)
    assert kaltim.deadline(wita(2026, 3, 4, 15, 55), "PT10M") == wita(2026, 3, 9, 7, 35)
    assert kalbar.is_working_day(date(2026, 3, 3))
    assert kalbar.deadline(wib(2026, 3, 3, 11, 50), "PT15M") == wib(2026, 3, 3, 13, 5)
    assert kalbar.elapsed(wib(2026, 3, 3, 11, 0), wib(2026, 3, 3, 14, 0)) == timedelta(hours=2)
    assert kalbar.deadline(wib(2026, 3, 6, 15, 50), "PT15M") == wib(2026, 3, 9, 8, 5)  # Friday closes at 16:00 now


def test_working_days_keep_the_time_of_day() -> None:
    """P2D from Thursday 10:00 is Monday 10:00; P1D from Friday 16:20 is held to Monday's closing at 16:00; P1D
    after closing counts from the next opening; days then hours: P1DT1H."""
    assert KALTIM.deadline(wita(2026, 3, 5, 10, 0), "P2D") == wita(2026, 3, 9, 10, 0)
    assert KALTIM.deadline(wita(2026, 3, 6, 16, 20), "P1D") == wita(2026, 3, 9, 16, 0)
    assert KALTIM.deadline(wita(2026, 3, 5, 17, 0), "P1D") == wita(2026, 3, 9, 7, 30)
    assert KALTIM.deadline(wita(2026, 3, 5, 15, 30), "P1DT1H") == wita(2026, 3, 6, 16, 30)  # Friday closes 16:30
    assert KALTIM.deadline(wita(2026, 3, 4, 15, 30), "P1DT1H") == wita(2026, 3, 6, 8, 0)


def test_instants_in_other_zones_are_the_same_instants() -> None:
    """A start given in UTC is read in the province's zone; the deadline comes back in that zone."""
    deadline = KALTIM.deadline(datetime(2026, 3, 6, 8, 25, tzinfo=UTC), "PT10M")
    assert deadline == wita(2026, 3, 9, 7, 35)
    assert deadline.utcoffset() == timedelta(hours=8)
    assert timer_date(deadline) == "2026-03-09T07:35:00+08:00"
    assert timer_date(wita(2026, 3, 9, 7, 35, 0, 1)) == "2026-03-09T07:35:01+08:00"  # never earlier than due
    assert instant("2026-03-06T08:25:00Z[UTC]") == datetime(2026, 3, 6, 8, 25, tzinfo=UTC)
    assert instant("2026-03-06T16:25:00.250+08:00[Asia/Makassar]") == wita(2026, 3, 6, 16, 25, 0, 250_000)


def test_a_deadline_years_away_is_computed_and_absurd_inputs_are_refused() -> None:
    """Large standard times compute in day steps; beyond ten years, an empty calendar, naive instants and malformed
    durations are refused in Indonesian."""
    far = KALTIM.deadline(wita(2026, 1, 5, 7, 30), "PT15000H")
    assert wita(2032, 1, 1) < far < wita(2034, 1, 1)
    assert KALTIM.elapsed(wita(2026, 1, 5, 7, 30), far) == timedelta(hours=15000)
    with pytest.raises(WorkingTimeError, match="hari kerja dalam 10 tahun"):
        KALTIM.deadline(wita(2026, 1, 5), "P3000D")
    with pytest.raises(WorkingTimeError, match="waktu kerja dalam 10 tahun"):
        KALTIM.deadline(wita(2026, 1, 5), "PT80000H")
    with pytest.raises(WorkingTimeError, match="melebihi batas"):
        WorkingDuration.parse("PT999999H")
    never_open = WorkingCalendar(zone=WITA, office_hours=OfficeHours(days=((),) * 7))
    with pytest.raises(WorkingTimeError, match="periksa jam kerja"):
        never_open.deadline(wita(2026, 1, 5), "PT1M")
    for bad in ("10 menit", "P1W", "P1M", "PT0M", "", "PT1.5M", "-PT5M", "PT" + "9" * 40 + "M"):
        with pytest.raises(WorkingTimeError, match="Waktu standar"):
            WorkingDuration.parse(bad)
    with pytest.raises(WorkingTimeError, match="zona waktu"):
        KALTIM.deadline(datetime(2026, 3, 6, 8, 25), "PT10M")  # naive: the point of the test
    with pytest.raises(WorkingTimeError, match="di luar kalender kerja"):
        KALTIM.deadline(wita(2150, 1, 1), "PT10M")
    with pytest.raises(WorkingTimeError, match="sebelum waktu mulai"):
        KALTIM.elapsed(wita(2026, 3, 6), wita(2026, 3, 5))
    with pytest.raises(WorkingTimeError, match="bukan tanggal dan jam"):
        instant("2026-03-06T08:25:00")
    assert str(WorkingDuration.parse("P1DT1H30M")) == "P1DT1H30M"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("OFFICE_HOURS_KALTIM", "Senn 07:30-16:00", "'Senn' bukan nama hari"),
        ("OFFICE_HOURS_KALTIM", "Sen-Kam", "harus berbentuk HARI JAM-JAM"),
        ("OFFICE_HOURS_KALTIM", "Sen 16:00-07:30", "jam selesai harus setelah jam mulai"),
        ("OFFICE_HOURS_KALTIM", "Sen 07:30-12:00,11:00-16:00", "tumpang tindih"),
        ("OFFICE_HOURS_KALTIM", "Sen 7.30-16.00", "bukan jam"),
        ("OFFICE_HOURS_KALBAR", "Sen-Jum 07:30-16:00; Jum 07:30-16:30", "Jumat disebut lebih dari sekali"),
        ("OFFICE_HOURS_KALBAR", "Kam-Sen 07:30-16:00", "terbalik"),
        ("OFFICE_HOURS_KALBAR", ";", "tidak ada hari kerja"),
        ("CLOSED_DAYS_KALTIM", "31-12-2026", "bukan tanggal (TTTT-BB-HH)"),
        ("CLOSED_DAYS_KALTIM", "2026-02-30", "bukan tanggal"),
        ("CLOSED_DAYS_KALBAR", "2026-12-31..2026-12-01", "terbalik"),
        ("CLOSED_DAYS_KALBAR", "2000-01-01..2099-12-31", "terlalu banyak hari libur tambahan"),
        ("CLOSED_DAYS_KALBAR", "2150-01-01", "di luar tahun 2000–2099"),
    ],
)
def test_a_malformed_calendar_setting_is_refused_naming_it(name: str, value: str, reason: str) -> None:
    """Every malformed calendar setting stops the start with a message naming the setting and the reason."""
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert raised.value.setting == name
    assert str(raised.value).startswith(f"Pengaturan {name}: ")
    assert reason in str(raised.value)


def test_office_hours_and_closed_days_notation() -> None:
    """Full day names, lists, 24:00 and ranges of dates are understood."""
    hours = OfficeHours.parse("Senin, Rabu 08:00-24:00; sabtu 09:00-12:00")
    assert [bool(day) for day in hours.days] == [True, False, True, False, False, True, False]
    assert str(hours) == "Sen 08:00-24:00; Rab 08:00-24:00; Sab 09:00-12:00"
    assert OfficeHours.parse(str(hours)) == hours
    calendar = WorkingCalendar(zone=WIB, office_hours=hours)
    assert calendar.deadline(wib(2026, 3, 2, 23, 50), "PT20M") == wib(2026, 3, 4, 8, 10)
    assert parse_closed_days("2026-12-30..2027-01-02, 2026-12-31") == {
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 2),
    }
    assert len(parse_closed_days(f"2026-01-01..{date(2026, 1, 1) + timedelta(days=MAX_CLOSED_DAYS - 1)}")) == (
        MAX_CLOSED_DAYS
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(min_value=1, max_value=60 * 200),
    province=st.sampled_from([RequestKind.ADMIN_PPE, RequestKind.PPBJ]),
)
def test_every_deadline_lies_in_office_hours_and_is_exactly_the_standard_away(
    start: datetime, minutes: int, province: RequestKind
) -> None:
    """For any start and any standard time in minutes: the deadline falls inside (or at the close of) a working
    period of a working day – so no reminder is due at night, at a weekend or on a holiday – and exactly the
    standard's working time lies between start and deadline."""
    calendar = KALTIM if province is RequestKind.ADMIN_PPE else KALBAR
    begun = start.replace(tzinfo=calendar.zone)
    deadline = calendar.deadline(begun, f"PT{minutes}M")
    assert any(opens < deadline <= closes for opens, closes in calendar.working_periods(deadline.date()))
    assert calendar.elapsed(begun, deadline) == timedelta(minutes=minutes)
