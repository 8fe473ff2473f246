"""Retries without duplicates, over the embedded engine's gRPC port with a real SMTP server on loopback.

A job is delivered twice when its worker dies after the side effects (the completion never reaches Zeebe, the job
times out and is handed out again), when it fails after part of its work and is retried, or when an operator
retries it after an incident. Each test gets the second delivery from the engine itself and counts the effects.
"""

import re
from datetime import UTC, datetime, timedelta

import grpc
from pyzeebe import ZeebeClient

from engine.state import IncidentState
from engine.testing import EmbeddedEngine
from tests.workers.harness import (
    ADMIN_EMAIL,
    BPMN_DIR,
    DEADLINES_ONLY,
    KEPALA_EMAIL,
    MailSink,
    appointment_message,
    complete_review,
    deliver,
    deliver_and_die,
    fill_identity,
    identity_message,
    resolve_incident_with_retries,
    running_worker,
    seed_admin_ppe_request,
    seed_ppbj_registration,
    text_of,
)
from workers.constants import JOB_TIMEOUT_MS, Message, TaskType
from workers.mail import message_id_for, message_reference
from workers.services import Services
from workers.store import mail_idempotency_key

SOP1 = "registrasiAdminPpe"
TOKEN_LINK = re.compile(r"atur-kata-sandi\?t=([A-Za-z0-9_-]+)")
JOB_TIMEOUT = timedelta(milliseconds=JOB_TIMEOUT_MS)
TOKENS_ISSUED = "akun.tautan-kata-sandi-diterbitkan"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_every_sop1_job_delivered_twice_has_its_effect_once(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """buat-akun, both kirim-email jobs and arsipkan-dokumen each run to their side effect and die before
    CompleteJob; the job times out, the same job (same key) is delivered again and completes: one account, one
    e-mail per step, one set-password token, one archive – and the process finishes."""
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)
    pi = (
        await zeebe_client.run_process(SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references})
    ).process_instance_key
    side_effects = [TaskType.BUAT_AKUN, TaskType.KIRIM_EMAIL, TaskType.ARSIPKAN_DOKUMEN]
    async with running_worker(zeebe_channel, services, without=side_effects):
        await engine.wait_for_idle()

    steps = [
        (TaskType.BUAT_AKUN, "BuatAkunAdminPpeTask"),
        (TaskType.KIRIM_EMAIL, "KirimInformasiAkunTask"),
        (TaskType.KIRIM_EMAIL, "SampaikanAkunKeAdminPpeTask"),
        (TaskType.ARSIPKAN_DOKUMEN, "ArsipkanDokumenTask"),
    ]
    async with running_worker(zeebe_channel, services, without=DEADLINES_ONLY):  # each step's deadline listener
        for job_type, element_id in steps:
            engine.assert_that(pi).is_waiting_exactly_at(element_id)
            first, died = await deliver_and_die(zeebe_channel, services, job_type)
            engine.assert_that(pi).is_waiting_exactly_at(element_id)
            await engine.increase_time(JOB_TIMEOUT + timedelta(seconds=1))
            second = await deliver(zeebe_channel, services, job_type)
            assert (second.key, second.element_id) == (first.key, element_id)
            await engine.wait_for_idle()
            engine.assert_that(pi).has_passed(element_id)
            if job_type is TaskType.BUAT_AKUN:
                engine.assert_that(pi).has_variable("idAkun", (died.lost or {})["idAkun"])

    engine.assert_that(pi).is_completed().has_no_incidents().has_passed("AkunAdminPpeTerdaftarEndEvent")
    [account] = services.store.list_accounts(request.number)
    engine.assert_that(pi).has_variable("idAkun", account.id)
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]
    trail = [e.action for e in services.store.audit_trail(request.number)]
    assert (trail.count("akun.dibuat"), trail.count(TOKENS_ISSUED), trail.count("arsip.dibuat")) == (1, 1, 1)
    assert len(list(services.settings.archive_dir.rglob("*.zip"))) == 1
    [token] = TOKEN_LINK.findall(text_of(mail_sink.messages()[1]))
    assert (await services.provisioning.verify_set_password_token(token)).account_id == account.id


async def test_smtp_down_until_an_incident_then_resolved_sends_exactly_once(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """With the SMTP server stopped, KirimInformasiAkunTask fails with a formal Indonesian message and a growing
    back-off (5 s, then 10 s) until its three retries are spent and an incident stands at the task; with the server
    back, UpdateJobRetries + ResolveIncident let the process finish, and that e-mail was sent exactly once."""
    engine.deploy(BPMN_DIR)
    engine.engine.clock.pin(START)  # back-offs are compared exactly
    request, references = seed_admin_ppe_request(services)
    await mail_sink.stop()

    async with running_worker(zeebe_channel, services):
        pi = (
            await zeebe_client.run_process(SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references})
        ).process_instance_key
        await engine.wait_for_idle()
        [job] = [j for j in engine.jobs(TaskType.KIRIM_EMAIL) if j.element_id == "KirimInformasiAkunTask"]
        assert job.retries == 2
        key = mail_idempotency_key(job.element_instance_key, "akun-admin-ppe-dibuat", "kepala-lpse")
        reference = message_reference(message_id_for(key, "kaltimprov.go.id"))
        assert job.error_message == (
            f"E-mail {reference} tidak dapat dikirim melalui server SMTP 127.0.0.1:{mail_sink.port} (SMTPConnectError)."
        )
        assert job.backoff_until == engine.current_time + timedelta(seconds=5)

        await engine.increase_time(timedelta(seconds=5))
        await engine.wait_for_idle()
        assert (job.retries, job.backoff_until) == (1, engine.current_time + timedelta(seconds=10))
        await engine.increase_time(timedelta(seconds=10))
        await engine.wait_for_idle()
        assert job.retries == 0
        engine.assert_that(pi).has_incident(element_id="KirimInformasiAkunTask").is_waiting_exactly_at(
            "KirimInformasiAkunTask"
        )
        [incident] = engine.incidents(pi)
        assert "tidak dapat dikirim melalui server SMTP" in incident.error_message
        assert KEPALA_EMAIL not in incident.error_message
        assert mail_sink.envelopes == []

        await mail_sink.start()
        await resolve_incident_with_retries(zeebe_channel, job.key, incident.key)
        await engine.wait_for_idle()

    assert incident.state is IncidentState.RESOLVED
    engine.assert_that(pi).is_completed().has_passed("AkunAdminPpeTerdaftarEndEvent")
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]
    assert [str(m["Subject"]).split(" – ")[0] for m in mail_sink.messages()] == [
        "Akun Admin PPE Telah Dibuat",
        "Akun Admin PPE Anda Telah Dibuat",
    ]


async def test_invitation_retried_after_a_refusal_carries_the_only_working_link(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """The Admin PPE's mailbox refuses the invitation once (451): the job fails after issuing a token, the retry
    issues a new one (revoking the first, which never left the system) and sends one invitation whose link works."""
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)
    mail_sink.refuse.add(ADMIN_EMAIL)

    async with running_worker(zeebe_channel, services):
        pi = (
            await zeebe_client.run_process(SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references})
        ).process_instance_key
        await engine.wait_for_idle()
        [job] = [j for j in engine.jobs(TaskType.KIRIM_EMAIL) if j.element_id == "SampaikanAkunKeAdminPpeTask"]
        assert job.retries == 2
        assert "menolak penerima" in job.error_message
        mail_sink.refuse.clear()
        await engine.increase_time(timedelta(seconds=5))
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents()
    [invitation] = mail_sink.to(ADMIN_EMAIL)
    [token] = TOKEN_LINK.findall(text_of(invitation))
    [account] = services.store.list_accounts(request.number)
    assert (await services.provisioning.verify_set_password_token(token)).account_id == account.id
    assert [e.action for e in services.store.audit_trail(request.number)].count(TOKENS_ISSUED) == 2
    assert len(mail_sink.to(KEPALA_EMAIL)) == 1


async def test_an_activation_delivered_twice_makes_one_account_per_system(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """One of the three parallel `aktifkan-akun` jobs dies after activating its system's account; delivered again
    after its time-out it returns the same statusAktivasi: three system accounts, hasilAktivasi complete."""
    engine.deploy(BPMN_DIR)
    number = seed_ppbj_registration(services).number
    async with running_worker(zeebe_channel, services, without=[TaskType.AKTIFKAN_AKUN]):
        pi = (await zeebe_client.run_process("pendaftaranAkunPpbj", {"nomorPendaftaran": number})).process_instance_key
        await engine.wait_for_idle()
        person = fill_identity(services, number)
        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, number, identity_message(person))
        await engine.wait_for_idle()
        await zeebe_client.publish_message(
            Message.INFORMASI_PPBJ_DILENGKAPI, number, appointment_message(services, number)
        )
        await engine.wait_for_idle()
        await complete_review(engine.rest_url, pi, {"hasilPemeriksaan": "lengkap"})
        await engine.wait_for_idle()
    assert len(engine.jobs(TaskType.AKTIFKAN_AKUN)) == 3

    first, died = await deliver_and_die(zeebe_channel, services, TaskType.AKTIFKAN_AKUN)
    system = first.variables["sistem"]
    assert len(services.store.list_accounts(number)) == 2  # the directory account and the one just activated
    await engine.increase_time(JOB_TIMEOUT + timedelta(seconds=1))
    async with running_worker(zeebe_channel, services):
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents()
    accounts = services.store.list_accounts(number)
    assert sorted(a.system.value for a in accounts) == ["DIREKTORI", "SPSE", "SiPRAJA", "SiRUP"]
    results = engine.assert_that(pi).variables()["hasilAktivasi"]
    assert [r["sistem"] for r in results] == ["SiRUP", "SPSE", "SiPRAJA"]
    assert (died.lost or {})["statusAktivasi"] in results
    assert [r for r in results if r["sistem"] == system] == [(died.lost or {})["statusAktivasi"]]
    assert [e.action for e in services.store.audit_trail(number)].count("akun.dibuat") == 4
