"""The SLA notice (`kirim-notifikasi-sla`) over the embedded engine: a step overruns its standard time while its
worker is away; the breach is recorded once and the performer and the bureau head are e-mailed, each once."""

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.workers.conftest import FakeClock
from tests.workers.harness import (
    BPMN_DIR,
    BUREAU_HEAD_EMAIL,
    PM_LKPP_EMAIL,
    MailSink,
    resolve_incident_with_retries,
    running_worker,
    seed_admin_ppe_request,
    text_of,
)
from workers.constants import TaskType
from workers.services import Services
from workers.settings import Settings

SOP1 = "registrasiAdminPpe"
SUBJECT = '[Pengingat] Batas Waktu Tugas "Menerima dan memeriksa kelengkapan berkas" – Permohonan No. {}'


@pytest.fixture
async def bureau_services(worker_settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """The services with BUREAU_HEAD_EMAIL set."""
    settings = dataclasses.replace(worker_settings, bureau_head_email=BUREAU_HEAD_EMAIL)
    built = Services.from_settings(settings, clock=clock)
    yield built
    await built.aclose()


async def test_breach_is_recorded_and_mailed_to_the_performer_and_the_bureau_head(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    bureau_services: Services,
    mail_sink: MailSink,
) -> None:
    """Row 2 waits past PT10M: the breach enters the audit trail with step, row, standard time and performer; the
    PM of LKPP and the bureau head get the reminder, both in WITA (the SOP's province), linked to the instance's
    monitoring page (row 2 is the workers' step); the step goes on and the request completes."""
    services = bureau_services
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)

    async with running_worker(zeebe_channel, services, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
        pi = (
            await zeebe_client.run_process(SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references})
        ).process_instance_key
        await engine.wait_for_idle()
        await engine.increase_time(timedelta(minutes=10))
        await engine.wait_for_idle()
    engine.assert_that(pi).is_waiting_exactly_at("PeriksaKelengkapanBerkasTask").has_passed(
        "KirimNotifikasiSlaTask", "NotifikasiSlaTerkirimEndEvent"
    )

    [breach] = [e for e in services.store.audit_trail(request.number) if e.action == "sla.terlampaui"]
    assert breach.detail == {
        "langkah": "PeriksaKelengkapanBerkasTask",
        "kegiatan": "Menerima dan memeriksa kelengkapan berkas",
        "barisSop": 2,
        "batasWaktu": "PT10M",
        "pelaksana": "pm-lkpp",
    }
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[PM_LKPP_EMAIL], [BUREAU_HEAD_EMAIL]]
    pm, head = mail_sink.messages()
    assert {" ".join(str(m["Subject"]).split()) for m in (pm, head)} == {SUBJECT.format(request.number)}
    assert "Yth. Bapak/Ibu PM Direktorat e-Procurement LKPP," in text_of(pm)
    assert "Waktu standar       : 10 menit" in text_of(pm)
    assert "Baris SOP           : 2" in text_of(pm)
    assert "Terlampaui sejak    : Senin, 2 Maret 2026 pukul 09.00 WITA" in text_of(pm)
    assert "Kegiatan            : Menerima dan memeriksa kelengkapan berkas" in text_of(pm)
    assert "PeriksaKelengkapanBerkasTask" not in text_of(pm)
    assert f"{services.settings.app_url}/pemeriksaan/{request.number}" in text_of(pm)  # its data and open tasks
    assert "Yth. Bapak/Ibu Kepala Biro Pengadaan Barang/Jasa," in text_of(head)
    assert "Terlampaui sejak    : Senin, 2 Maret 2026 pukul 09.00 WITA" in text_of(head)
    assert "Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Timur" in text_of(head)
    assert "Salinan ini kami sampaikan kepada Bapak/Ibu sebagai informasi" in text_of(head)
    assert f"{services.settings.app_url}/pantau/{pi}" in text_of(head)  # for information: the instance's monitor
    assert f"{services.settings.app_url}/pemeriksaan/" not in text_of(head)

    async with running_worker(zeebe_channel, services):
        await engine.wait_for_idle()
    engine.assert_that(pi).is_completed().has_passed("AkunAdminPpeTerdaftarEndEvent")
    assert len(mail_sink.envelopes) == 4


async def test_missing_performer_address_is_an_incident_and_the_retry_sends_only_the_missing_copy(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    worker_settings: Settings,
    clock: FakeClock,
    mail_sink: MailSink,
) -> None:
    """Without PM_LKPP_EMAIL the bureau head's copy goes out, then the job fails naming the setting; after three
    attempts (the bureau head still mailed once) an incident stands. The operator sets the address, restarts the
    workers and resolves the incident: the PM gets the reminder, nobody gets a second one, one breach recorded."""
    engine.deploy(BPMN_DIR)
    without_pm = dataclasses.replace(worker_settings, pm_lkpp_email=None, bureau_head_email=BUREAU_HEAD_EMAIL)
    services = Services.from_settings(without_pm, clock=clock)
    request, references = seed_admin_ppe_request(services)
    try:
        async with running_worker(zeebe_channel, services, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
            pi = (
                await zeebe_client.run_process(
                    SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references}
                )
            ).process_instance_key
            await engine.wait_for_idle()
            await engine.increase_time(timedelta(minutes=10))
            await engine.wait_for_idle()
            await engine.increase_time(timedelta(seconds=5))
            await engine.wait_for_idle()
            await engine.increase_time(timedelta(seconds=10))
            await engine.wait_for_idle()
        engine.assert_that(pi).has_incident(element_id="KirimNotifikasiSlaTask")
        [incident] = engine.incidents(pi)
        assert incident.error_message == (
            "Alamat e-mail pelaksana pm-lkpp belum diatur (atur PM_LKPP_EMAIL); pengingat batas waktu langkah "
            f"PeriksaKelengkapanBerkasTask permohonan {request.number} belum terkirim kepada pelaksana. Percobaan "
            "ulang tidak akan berhasil sebelum penyebabnya diperbaiki."
        )
        assert [e.rcpt_tos for e in mail_sink.envelopes] == [[BUREAU_HEAD_EMAIL]]
    finally:
        await services.aclose()

    fixed = Services.from_settings(dataclasses.replace(without_pm, pm_lkpp_email=PM_LKPP_EMAIL), clock=clock)
    try:
        async with running_worker(zeebe_channel, fixed, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
            assert incident.job_key is not None
            await resolve_incident_with_retries(zeebe_channel, incident.job_key, incident.key)
            await engine.wait_for_idle()
        engine.assert_that(pi).has_no_incidents().has_passed("NotifikasiSlaTerkirimEndEvent")
        assert [e.rcpt_tos for e in mail_sink.envelopes] == [[BUREAU_HEAD_EMAIL], [PM_LKPP_EMAIL]]
        trail = [e.action for e in fixed.store.audit_trail(request.number)]
        assert trail.count("sla.terlampaui") == 1
    finally:
        await fixed.aclose()
