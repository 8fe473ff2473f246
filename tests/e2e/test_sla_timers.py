"""Every SLA timer of both diagrams, end to end: the step overruns its standard time, the performer is reminded.

The timers are read from bpmn/ (every `*SlaTimer` boundary event), so a timer added in the Modeler is covered
without touching this file. For each one an instance is driven to the timed step – with the step's worker stopped (a
service task, or the service task inside the step's sub-process: SOP 2 row 7; jobs of the same type at earlier steps
are handled one by one by the real handler) or simply not answered (a receive or user task) – and the clock is moved
one second short of the standard time (nothing fires), then past it. The reminder goes to the performer role's
address and to the bureau head, the breach enters the audit trail, the step still waits; the reminder names the
SOP's activity in the SOP province's time zone and links where the step is done (an applicant's own page, the staff
inbox, the request's review page; the instance on the managers' monitor for the bureau head); then the worker comes
back (or the person answers) and the instance finishes. SOP 1 instances start without the KTP, so that their route
passes every row.
"""

from datetime import timedelta

import pytest

from engine.state import JobState
from tests.e2e.harness import (
    PERFORMER_ADDRESSES,
    SOP1,
    WIB,
    WITA,
    SlaTimer,
    SystemUnderTest,
    local_time,
    sla_timers,
)
from tests.workers.harness import BUREAU_HEAD_EMAIL
from workers.constants import DEFAULT_JOB_RETRIES, Performer
from workers.domain import DocumentType

APPLICANTS = frozenset({Performer.KEPALA_LPSE, Performer.PPBJ})

pytestmark = pytest.mark.e2e

TIMERS = sla_timers()
SECOND = timedelta(seconds=1)


def zone_of(timer: SlaTimer) -> tuple[timedelta, str]:
    """The zone every reader of a request's e-mails sees times in: its SOP's province – Kalimantan Timur (WITA) for
    SOP 1, the PM of LKPP in Jakarta included, Kalimantan Barat (WIB) for SOP 2."""
    return (WITA, "WITA") if timer.process_id == SOP1 else (WIB, "WIB")


def noun_of(timer: SlaTimer) -> str:
    """How the request's number is labelled: Permohonan (SOP 1), Pendaftaran (SOP 2)."""
    return "Permohonan" if timer.process_id == SOP1 else "Pendaftaran"


@pytest.mark.parametrize("timer", TIMERS, ids=lambda t: t.timer_id)
async def test_sla_timer_reminds_the_performer_while_the_step_waits(system: SystemUnderTest, timer: SlaTimer) -> None:
    """Past its standard time (not a second before) the step's performer and the bureau head are reminded once."""
    assert (timer.outputs["slaLangkah"], timer.outputs["slaBatasWaktu"]) == (timer.step, timer.duration)
    performer = PERFORMER_ADDRESSES[timer.performer]
    # the step's worker stopped: a service task's, or that of the tasks inside its sub-process (SOP 2 row 7)
    held = timer.task_type if timer.step_kind in ("serviceTask", "subProcess") else None
    async with system.workers(without=[held] if held else []):
        if timer.process_id == SOP1:
            number, pi = await system.submit_admin_ppe_request(without=[DocumentType.KTP_ADMIN_PPE])
        else:
            number, pi = await system.register_ppbj()
        await system.drive(pi, until=timer.step, held=held)
        reached = len(system.mails())

        await system.advance(timer.standard_time - SECOND)
        (await system.instance(pi)).has_not_passed(timer.timer_id)
        assert len(system.mails()) == reached
        await system.advance(SECOND)
        fired = system.now

        (await system.instance(pi)).is_waiting_at(timer.step).has_no_incidents().has_passed(
            timer.timer_id, "KirimNotifikasiSlaTask", "NotifikasiSlaTerkirimEndEvent"
        )
        if held and (engine := system.embedded_only("the held step's jobs untouched, read from the job table")):
            waiting = [j for j in engine.jobs(held) if j.element_id in timer.job_elements]
            assert waiting and all(
                j.retries == DEFAULT_JOB_RETRIES and j.state is JobState.ACTIVATABLE for j in waiting
            )
        if timer.step_kind == "userTask":
            assert (await system.review_task(pi))["state"] == "CREATED"

        reminders = system.mails()[reached:]
        assert sorted(m.to for m in reminders) == sorted([(performer,), (BUREAU_HEAD_EMAIL,)])
        noun = noun_of(timer)
        expected_subject = f'[Pengingat] Batas Waktu Tugas "{timer.kegiatan}" – {noun} No. {number}'
        assert {m.subject for m in reminders} == {expected_subject}
        offset, zone = zone_of(timer)
        for mail in reminders:
            assert timer.step not in mail.text and timer.step not in mail.html  # the activity, never an element id
            if mail.to == (performer,) and timer.performer in APPLICANTS:
                assert f"Nomor {noun} {number}" in mail.text
                assert "kegagalan" not in mail.text and "dipertanggungjawabkan" not in mail.text
                assert f"{system.services.settings.app_url}/pendaftaran/{number}" in mail.text
                if timer.step_kind == "receiveTask":
                    assert "masih menunggu tindak lanjut dari Bapak/Ibu" in mail.text
                    assert f"{local_time(fired, offset)} {zone}" in mail.text
                else:
                    assert "Kami mohon maaf atas keterlambatan ini" in mail.text
                continue
            assert f"Nomor {noun:<14}: {number}" in mail.text
            assert f"Kegiatan            : {timer.kegiatan}" in mail.text
            assert f"Baris SOP           : {timer.outputs['slaBarisSop']}" in mail.text
            assert f"Waktu standar       : {timer.standard_time // timedelta(minutes=1)} menit" in mail.text
            assert f"{local_time(fired, offset)} {zone}" in mail.text
            assert "Sesuai SOP, setiap penyimpangan atas mutu baku" in mail.text
            app = system.services.settings.app_url
            if mail.to == (BUREAU_HEAD_EMAIL,):  # a copy for information: the instance on the managers' monitor
                assert "Salinan ini kami sampaikan kepada Bapak/Ibu sebagai informasi" in mail.text
                assert f"{app}/pantau/{pi}" in mail.text
                assert f"{app}/pemeriksaan/" not in mail.text and f"{app}/tugas" not in mail.text
                continue
            page = f"{app}/tugas" if timer.step_kind == "userTask" else f"{app}/pemeriksaan/{number}"
            assert page in mail.text

        [breach] = [e for e in system.services.store.audit_trail(number) if e.action == "sla.terlampaui"]
        assert breach.at == fired
        assert breach.detail == {
            "langkah": timer.step,
            "kegiatan": timer.kegiatan,
            "barisSop": timer.outputs["slaBarisSop"],
            "batasWaktu": timer.duration,
            "pelaksana": timer.performer.value,
        }

    async with system.workers():
        await system.drive(pi)

    (await system.instance(pi)).is_completed().has_no_incidents().has_passed(timer.step).has_passed(
        "KirimNotifikasiSlaTask", times=1
    )
    assert (await system.path(pi))[-1] in ("AkunAdminPpeTerdaftarEndEvent", "AkunPpbjAktifEndEvent")
    trail = [e.action for e in system.services.store.audit_trail(number)]
    assert trail.count("sla.terlampaui") == 1
    for address in (performer, BUREAU_HEAD_EMAIL):
        assert [m.subject for m in system.mails_to(address)].count(expected_subject) == 1
    await system.assert_privacy()
