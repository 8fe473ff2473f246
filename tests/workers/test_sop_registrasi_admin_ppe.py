"""SOP 1 (registrasiAdminPpe) run by the real workers over the embedded engine's gRPC port, with a request in the
store, real documents and a real SMTP server on loopback: complete files at once, and incomplete files completed
through the `berkas-dilengkapi` message."""

import json
import re
from datetime import timedelta
from typing import Any

import grpc
from pyzeebe import ZeebeClient
from pyzeebe.proto import gateway_pb2
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.testing import EmbeddedEngine
from pbj.sample_documents import pdf_document
from tests.workers.harness import (
    ADMIN_EMAIL,
    BPMN_DIR,
    KEPALA_EMAIL,
    MailSink,
    resolve_incident_with_retries,
    running_worker,
    seed_admin_ppe_request,
    text_of,
    upload,
)
from workers.constants import Message
from workers.domain import AccountRole, DocumentType, PersonRole, System
from workers.services import Services
from workers.tasks.berkas import EMAIL_VERIFICATION_BASIS

SOP1 = "registrasiAdminPpe"
TOKEN_LINK = re.compile(r"https://pbj\.kaltimprov\.go\.id/atur-kata-sandi\?t=([A-Za-z0-9_-]+)")


async def test_complete_files_on_first_submission(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """Complete files: row 2 finds nothing missing, the SPSE account is created, the Kepala LPSE is told the user id,
    the Admin PPE gets a working one-time link at the verified address, the files are archived."""
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)

    async with running_worker(zeebe_channel, services):
        created = await zeebe_client.run_process(
            SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references}
        )
        pi = created.process_instance_key
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents().has_passed(
        "PeriksaKelengkapanBerkasTask",
        "BuatAkunAdminPpeTask",
        "KirimInformasiAkunTask",
        "SampaikanAkunKeAdminPpeTask",
        "ArsipkanDokumenTask",
        "AkunAdminPpeTerdaftarEndEvent",
    ).has_not_passed("MintaKelengkapanBerkasTask", "KirimNotifikasiSlaTask")
    [account] = services.store.list_accounts(request.number)
    assert (account.system, account.role, account.must_change_password) == (System.SPSE, AccountRole.ADMIN_PPE, True)
    engine.assert_that(pi).has_variable("berkasLengkap", True).has_variable("kekuranganBerkas", []).has_variable(
        "idAkun", account.id
    ).has_variable("statusAkun", "ACTIVE").has_variable("nomorArsip", f"ARSIP-{request.number}")

    kepala, admin = mail_sink.messages()
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]
    assert kepala["Subject"].startswith("Akun Admin PPE Telah Dibuat")
    assert account.user_id in text_of(kepala)
    assert "Yth. Bapak/Ibu Dr. H. Muhammad Ridwan, M.Si.," in text_of(kepala)
    assert "PM Direktorat e-Procurement LKPP" in text_of(kepala)
    invitation = text_of(admin)
    assert account.user_id in invitation
    assert "WITA" in invitation
    [token] = TOKEN_LINK.findall(invitation)
    assert (await services.provisioning.verify_set_password_token(token)).account_id == account.id

    manifest = services.archiver.read_manifest(request.number)
    assert sorted(d["dokumenId"] for d in manifest["dokumen"]) == sorted(r["dokumenId"] for r in references)
    actions = [entry["tindakan"] for entry in manifest["jejakKeputusan"]]
    assert "berkas.diperiksa" in actions
    assert "akun.dibuat" in actions


async def test_incomplete_files_are_requested_then_completed_by_message(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """The KTP is missing and the LPSE profile is a truncated PDF: the Kepala LPSE is told both with reasons and the
    request waits; after both are uploaded again and `berkas-dilengkapi` is published, row 2 passes."""
    engine.deploy(BPMN_DIR)
    request, _ = seed_admin_ppe_request(services, without=[DocumentType.KTP_ADMIN_PPE, DocumentType.PROFIL_LPSE])
    truncated = upload(services, request.number, DocumentType.PROFIL_LPSE, pdf_document("Profil LPSE")[:300])
    references = [r for r in services_references(services, request.number) if r["dokumenId"] != truncated["dokumenId"]]
    first_submission = [*references, truncated]

    async with running_worker(zeebe_channel, services):
        created = await zeebe_client.run_process(
            SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": first_submission}
        )
        pi = created.process_instance_key
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("LengkapiBerkasReceiveTask").has_variable("berkasLengkap", False)
        shortfalls = engine.assert_that(pi).variables()["kekuranganBerkas"]
        assert [s["dokumen"] for s in shortfalls] == ["PROFIL_LPSE", "KTP_ADMIN_PPE"]
        assert "tidak dapat dibaca sebagai PDF" in shortfalls[0]["alasan"]
        assert shortfalls[1]["alasan"] == "Dokumen belum dilampirkan."
        [request_mail] = mail_sink.messages()
        assert mail_sink.envelopes[0].rcpt_tos == [KEPALA_EMAIL]
        assert request_mail["Subject"].startswith("Permintaan Kelengkapan Dokumen")
        body = text_of(request_mail)
        assert "KTP Admin PPE: Dokumen belum dilampirkan." in body
        assert "Data Profil LPSE: Berkas tidak dapat dibaca sebagai PDF" in body
        assert f"https://pbj.kaltimprov.go.id/permohonan/{request.number}" in body
        assert "ditolak" not in body.lower()
        assert services.store.get_person(request.number, PersonRole.ADMIN_PPE).email_verified_at is None

        # The applicant uploads the two documents again; the application tells the process.
        profile = upload(services, request.number, DocumentType.PROFIL_LPSE)
        ktp = upload(services, request.number, DocumentType.KTP_ADMIN_PPE)
        completed = [*references, profile, ktp]
        await zeebe_client.publish_message(Message.BERKAS_DILENGKAPI, request.number, {"dokumenPermohonan": completed})
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents().has_passed(
        "PeriksaKelengkapanBerkasTask", times=2
    ).has_passed("MintaKelengkapanBerkasTask", "LengkapiBerkasReceiveTask", "AkunAdminPpeTerdaftarEndEvent")
    engine.assert_that(pi).has_variable("berkasLengkap", True).has_variable("kekuranganBerkas", [])
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [KEPALA_EMAIL], [ADMIN_EMAIL]]
    assert services.archiver.read_manifest(request.number)["nomorPermohonan"] == request.number
    archived = services.archiver.read_manifest(request.number)["dokumen"]
    assert sorted(d["dokumenId"] for d in archived) == sorted(r["dokumenId"] for r in completed)
    assert truncated["dokumenId"] not in {d["dokumenId"] for d in archived}
    # accepting the complete file verified the Admin PPE's address (before row 7 sent the link there)
    assert services.store.get_person(request.number, PersonRole.ADMIN_PPE).email_verified_at is not None
    [verified] = [e for e in services.store.audit_trail(request.number) if e.action == "surel.terverifikasi"]
    assert verified.detail == {"peran": "admin-ppe", "dasar": EMAIL_VERIFICATION_BASIS}


def services_references(services: Services, number: str) -> list[dict[str, Any]]:
    """The references of every document the request has in the store."""
    return [record.as_variable() for record in services.documents.list_documents(number)]


async def test_invitation_is_not_sent_to_an_unverified_address(
    engine: EmbeddedEngine,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """Credentials go only to the holder's verified address. An instance started past row 2 (as an operator may
    start one at the account step) has no verified Admin PPE address: row 7 fails without issuing a token until an
    incident says why; once the address is verified, the retry sends the link."""
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)
    variables = {"nomorPermohonan": request.number, "dokumenPermohonan": references, "berkasLengkap": True}

    async with running_worker(zeebe_channel, services):
        gateway: Any = GatewayStub(zeebe_channel)  # the stubs' types are the synchronous ones
        created = await gateway.CreateProcessInstance(
            gateway_pb2.CreateProcessInstanceRequest(
                bpmnProcessId=SOP1,
                version=-1,
                variables=json.dumps(variables),
                startInstructions=[
                    gateway_pb2.ProcessInstanceCreationStartInstruction(elementId="BuatAkunAdminPpeTask")
                ],
            )
        )
        pi = created.processInstanceKey
        for backoff in (0, 5, 10):
            await engine.increase_time(timedelta(seconds=backoff))
            await engine.wait_for_idle()
        [incident] = engine.incidents(pi)
        assert incident.element_id == "SampaikanAkunKeAdminPpeTask"
        assert incident.error_message.startswith(
            f"Alamat e-mail admin-ppe pada permohonan {request.number} belum terverifikasi; tautan sekali pakai hanya "
            "dikirim ke alamat yang terverifikasi."
        )
        assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL]]
        trail = [e.action for e in services.store.audit_trail(request.number)]
        assert "akun.tautan-kata-sandi-diterbitkan" not in trail
        assert "surel.terverifikasi" not in trail

        services.store.mark_email_verified(request.number, PersonRole.ADMIN_PPE, basis="Diperiksa oleh administrator.")
        assert incident.job_key is not None
        await resolve_incident_with_retries(zeebe_channel, incident.job_key, incident.key)
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed()
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]
