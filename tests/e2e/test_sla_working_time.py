"""Standard times in working time, end to end: the real SOP diagrams and the real workers in virtual time.

Each timed step computes its deadline when it starts (the start execution listener `hitung-batas-waktu-sla`, the
worker of `workers/tasks/batas_waktu.py`) and its SLA timer falls due at that instant (`timeDate`). A step that starts
near the end of a working day, before a weekend, or before national holidays with their cuti bersama is due – and
its performer reminded – exactly when its standard time of office hours has passed in the province's zone (WITA for
SOP 1 in Kalimantan Timur, WIB for SOP 2 in Kalimantan Barat), not a second earlier; walking the clock through the
nights, the weekend and the holidays in between sends nothing, and the reminder goes out in office hours.

SOP 2 row 7 activates the account on three systems in parallel (a multi-instance task); its deadline is computed
once, by the embedded sub-process around the task that carries the row's listener and timer
(`AktifkanAkunPpbjSubProcess`), so it is timed in working time like every other step – as is SOP 1's row 7.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import SOP1, SystemUnderTest, local_time
from tests.workers.harness import BUREAU_HEAD_EMAIL
from workers.domain import WIB, WITA, RequestKind

pytestmark = pytest.mark.e2e

SECOND = timedelta(seconds=1)
STRIDE = timedelta(hours=6)
"""How far the clock moves at a time through nights, weekends and holidays (every stop checks that nothing fired)."""


@dataclass(frozen=True)
class Case:
    """A timed step reached at `started` (local time of the SOP's province), due at `due`."""

    process_id: str
    step: str
    timer_id: str
    held: str
    started: datetime
    due: datetime

    @property
    def kind(self) -> RequestKind:
        return RequestKind.ADMIN_PPE if self.process_id == SOP1 else RequestKind.PPBJ


CASES = [
    pytest.param(
        Case(
            SOP1,
            "PeriksaKelengkapanBerkasTask",
            "PeriksaKelengkapanBerkasSlaTimer",
            "periksa-kelengkapan-berkas",
            datetime(2026, 3, 6, 16, 25, tzinfo=WITA),
            datetime(2026, 3, 9, 7, 35, tzinfo=WITA),
        ),
        id="SOP 1, 10 minutes from Friday 16.25 WITA: 5 on Friday, 5 on Monday",
    ),
    pytest.param(
        Case(
            SOP1,
            "PeriksaKelengkapanBerkasTask",
            "PeriksaKelengkapanBerkasSlaTimer",
            "periksa-kelengkapan-berkas",
            datetime(2026, 3, 17, 15, 55, tzinfo=WITA),
            datetime(2026, 3, 25, 7, 35, tzinfo=WITA),
        ),
        id="SOP 1, over Nyepi and Idul Fitri with their cuti bersama (18-24 March)",
    ),
    pytest.param(
        Case(
            "pendaftaranAkunPpbj",
            "BuatAkunPpbjTask",
            "BuatAkunPpbjSlaTimer",
            "buat-akun",
            datetime(2026, 3, 2, 15, 50, tzinfo=WIB),
            datetime(2026, 3, 3, 7, 35, tzinfo=WIB),
        ),
        id="SOP 2, 15 minutes from Monday 15.50 WIB: 10 on Monday, 5 on Tuesday",
    ),
    pytest.param(
        Case(
            "pendaftaranAkunPpbj",
            "BuatAkunPpbjTask",
            "BuatAkunPpbjSlaTimer",
            "buat-akun",
            datetime(2026, 5, 13, 15, 50, tzinfo=WIB),
            datetime(2026, 5, 18, 7, 35, tzinfo=WIB),
        ),
        id="SOP 2, over Kenaikan Yesus Kristus (Thursday) and its cuti bersama (Friday)",
    ),
    pytest.param(
        Case(
            "pendaftaranAkunPpbj",
            "AktifkanAkunPpbjSubProcess",
            "AktifkanAkunPpbjSlaTimer",
            "aktifkan-akun",
            datetime(2026, 3, 6, 16, 28, tzinfo=WIB),
            datetime(2026, 3, 9, 7, 33, tzinfo=WIB),
        ),
        id="SOP 2 row 7 (three systems), 5 minutes from Friday 16.28 WIB: 2 on Friday, 3 on Monday",
    ),
    pytest.param(
        Case(
            "pendaftaranAkunPpbj",
            "AktifkanAkunPpbjSubProcess",
            "AktifkanAkunPpbjSlaTimer",
            "aktifkan-akun",
            datetime(2026, 3, 4, 15, 58, tzinfo=WIB),
            datetime(2026, 3, 5, 7, 33, tzinfo=WIB),
        ),
        id="SOP 2 row 7 (three systems), 5 minutes from Wednesday 15.58 WIB: 2 on Wednesday, 3 on Thursday",
    ),
    pytest.param(
        Case(
            SOP1,
            "SampaikanAkunKeAdminPpeTask",
            "SampaikanAkunKeAdminPpeSlaTimer",
            "kirim-email",
            datetime(2026, 3, 6, 16, 27, tzinfo=WITA),
            datetime(2026, 3, 9, 7, 32, tzinfo=WITA),
        ),
        id="SOP 1 row 7, 5 minutes from Friday 16.27 WITA: 3 on Friday, 2 on Monday",
    ),
]


@pytest.mark.parametrize("case", CASES)
async def test_the_sla_timer_falls_due_after_the_standard_time_of_office_hours(
    system: SystemUnderTest, case: Case
) -> None:
    """The step's local `slaBatasWaktuKerja` is the deadline in the province's zone, its timer is due then; nothing
    is sent before, the performer and the bureau head are reminded at that instant, inside office hours."""
    await system.pin_clock(case.started.astimezone(UTC))
    calendar = system.services.settings.working_time.calendar(case.kind)
    async with system.workers(without=[case.held]):
        if case.process_id == SOP1:
            number, pi = await system.submit_admin_ppe_request()
        else:
            number, pi = await system.register_ppbj()
        await system.drive(pi, until=case.step, held=case.held)
        assert system.now == case.started

        [step] = await system.backend.search_element_instances(processInstanceKey=str(pi), elementId=case.step)
        deadlines = await system.backend.search_variables(processInstanceKey=str(pi), name="slaBatasWaktuKerja")
        [deadline] = [v for v in deadlines if v["scopeKey"] == step["elementInstanceKey"]]  # local to the step
        # SOP 2 row 7: computed once, for the sub-process – none for the multi-instance body or a system's activation
        activations = await system.backend.search_element_instances(
            processInstanceKey=str(pi), elementId="AktifkanAkunPpbjTask"
        )
        assert not {v["scopeKey"] for v in deadlines} & {a["elementInstanceKey"] for a in activations}
        assert deadline["value"] == f'"{case.due.isoformat()}"'
        if engine := system.embedded_only("the timer's due date, read from the engine's timers"):
            timers = engine.engine.state.timers.timers.values()
            [timer] = [t for t in timers if t.process_instance_key == pi and t.target_element_id == case.timer_id]
            assert timer.due == case.due

        reached = len(system.mails())
        while system.now < case.due - SECOND:
            await system.advance(min(STRIDE, case.due - SECOND - system.now))
            (await system.instance(pi)).has_not_passed(case.timer_id)
            assert len(system.mails()) == reached, f"sent at {system.now.astimezone(case.due.tzinfo)}"
        await system.advance(SECOND)

        assert system.now == case.due
        (await system.instance(pi)).is_waiting_at(case.step).has_passed(case.timer_id, "KirimNotifikasiSlaTask")
        reminders = system.mails()[reached:]
        assert len(reminders) == 2
        offset, zone = (timedelta(hours=8), "WITA") if case.process_id == SOP1 else (timedelta(hours=7), "WIB")
        [copy] = [mail for mail in reminders if mail.to == (BUREAU_HEAD_EMAIL,)]
        assert f"{local_time(case.due.astimezone(UTC), offset)} {zone}" in copy.text  # the instant it fell due
        [breach] = [e for e in system.services.store.audit_trail(number) if e.action == "sla.terlampaui"]
        assert breach.at == case.due
        assert any(opens <= breach.at < closes for opens, closes in calendar.working_periods(case.due.date()))
    await system.assert_privacy()
