"""SOP 1 from the Kepala LPSE's side: `pbj permohonan ajukan` against the embedded engine with the real workers,
the same submission twice (one after the other and at once), a submission without one of its documents, and
`pbj permohonan lengkapi` answering the request for the missing documents."""

import asyncio
import json

import grpc
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.commands.harness import Cli, Files, ajukan_args, run_pbj, snapshot
from tests.workers.harness import (
    ADMIN_EMAIL,
    ADMIN_NIK,
    KEPALA_EMAIL,
    MailSink,
    running_worker,
    seed_admin_ppe_request,
    text_of,
)
from workers.constants import Message
from workers.domain import DocumentType, PersonRole
from workers.services import Services

SOP1 = "registrasiAdminPpe"


async def test_submitted_request_runs_to_the_admin_ppe_account(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """`ajukan` stores the request, starts SOP 1 with references only, and the workers make the account."""
    result = await cli(
        *ajukan_args(files.admin_ppe_documents(), admin_nip="19900505 201503 2 001", admin_wa="0812 3456 7890")
    )

    assert result.code == 0, result.err
    assert "Permohonan akun Admin PPE diterima dengan nomor ADM-" in result.out
    [request] = services.store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=ADMIN_NIK)
    assert request.number in result.out
    admin = services.store.get_person(request.number, PersonRole.ADMIN_PPE)
    assert (admin.nip, admin.whatsapp, admin.email) == ("199005052015032001", "+6281234567890", ADMIN_EMAIL)
    assert services.store.get_person(request.number, PersonRole.KEPALA_LPSE).email == KEPALA_EMAIL
    documents = services.documents.list_documents(request.number)
    assert sorted(d.document_type for d in documents) == sorted(
        [
            DocumentType.SK_PEMBENTUKAN_LPSE,
            DocumentType.PROFIL_LPSE,
            DocumentType.DATA_PERSONIL_ADMIN_PPE,
            DocumentType.KTP_ADMIN_PPE,
        ]
    )
    [instance] = deployed.process_instances(SOP1)
    assert request.process_instance_key == instance.key
    variables = deployed.variables(instance.key)
    assert variables["nomorPermohonan"] == request.number
    assert [r["jenis"] for r in variables["dokumenPermohonan"]] == [
        "SK_PEMBENTUKAN_LPSE",
        "PROFIL_LPSE",
        "DATA_PERSONIL_ADMIN_PPE",
        "KTP_ADMIN_PPE",
    ]
    assert ADMIN_NIK not in json.dumps(variables)

    async with running_worker(zeebe_channel, services):
        await deployed.wait_for_idle()
    deployed.assert_that(instance.key).is_completed().has_no_incidents().has_passed("AkunAdminPpeTerdaftarEndEvent")
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]


async def test_the_same_submission_twice_answers_with_the_first_number_and_starts_one_process(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """The same submission again answers with the first number and stores or starts nothing."""
    documents = files.admin_ppe_documents()
    first = await cli(*ajukan_args(documents), "--json")
    before = snapshot(services, deployed)

    again = await cli(*ajukan_args(documents))

    assert again.code == 0, again.err
    number = first.json()["nomorPermohonan"]
    assert "sudah diajukan pada" in again.out and number in again.out and "tidak diajukan ulang" in again.out
    assert snapshot(services, deployed) == before
    assert len(deployed.process_instances(SOP1)) == 1
    assert (await cli(*ajukan_args(documents), "--json")).json() == {
        "nomorPermohonan": number,
        "baru": False,
        "prosesDimulai": False,
        "processInstanceKey": first.json()["processInstanceKey"],
    }


async def test_identical_submissions_at_once_make_one_request_and_one_process(
    deployed: EmbeddedEngine, environ: dict[str, str], files: Files, services: Services
) -> None:
    """Four identical submissions in four processes at once make one request and one process instance."""
    documents = files.admin_ppe_documents()

    results = await asyncio.gather(*(run_pbj(environ, *ajukan_args(documents), "--json") for _ in range(4)))

    assert [r.code for r in results] == [0, 0, 0, 0], [r.err for r in results]
    numbers = {r.json()["nomorPermohonan"] for r in results}
    assert len(numbers) == 1
    assert sum(r.json()["baru"] for r in results) == 1
    assert len(services.store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=ADMIN_NIK)) == 1
    [instance] = deployed.process_instances(SOP1)
    assert {r.json()["processInstanceKey"] for r in results} == {str(instance.key)}


async def test_other_documents_for_an_admin_ppe_with_an_open_request_are_refused(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """Other files for an Admin PPE whose request is open are refused, pointing to `lengkapi`, not naming it."""
    first = await cli(*ajukan_args(files.admin_ppe_documents()), "--json")
    before = snapshot(services, deployed)

    other = await cli(*ajukan_args(files.admin_ppe_documents("-revisi")))

    assert other.code == 1
    assert "NIK ini sudah tercantum pada permohonan lain" in other.err
    assert "pbj permohonan lengkapi" in other.err
    assert first.json()["nomorPermohonan"] not in other.err
    assert other.out == ""
    assert snapshot(services, deployed) == before


async def test_missing_documents_are_sent_with_lengkapi_and_the_request_goes_on(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """`lengkapi --ktp` answers row 4 and the request goes on; sent again, nothing is published twice."""
    request, references = seed_admin_ppe_request(services, without=[DocumentType.KTP_ADMIN_PPE])
    async with running_worker(zeebe_channel, services):
        pi = (
            await zeebe_client.run_process(SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references})
        ).process_instance_key
        services.store.link_process_instance(request.number, pi)
        await deployed.wait_for_idle()
        deployed.assert_that(pi).is_waiting_exactly_at("LengkapiBerkasReceiveTask")
        ktp = files.png("KTP-Sari.png")

        sent = await cli("permohonan", "lengkapi", request.number, "--ktp", ktp)
        await deployed.wait_for_idle()

        assert sent.code == 0, sent.err
        assert f"Berkas permohonan {request.number} dikirim" in sent.out
        assert "KTP Admin PPE" in sent.out
        deployed.assert_that(pi).is_completed().has_no_incidents().has_passed("PeriksaKelengkapanBerkasTask", times=2)
        assert [r["jenis"] for r in deployed.variables(pi)["dokumenPermohonan"]] == [
            "SK_PEMBENTUKAN_LPSE",
            "PROFIL_LPSE",
            "DATA_PERSONIL_ADMIN_PPE",
            "KTP_ADMIN_PPE",
        ]
        messages = len(deployed.messages())

        again = await cli("permohonan", "lengkapi", request.number, "--ktp", ktp)

    assert again.code == 0, again.err
    assert "sudah diterima sebelumnya" in again.out
    assert len(deployed.messages()) == messages
    assert [m.name for m in deployed.messages()].count(Message.BERKAS_DILENGKAPI) == 1  # kept for its TTL


async def test_a_request_without_the_ktp_is_asked_for_it_and_completed_with_lengkapi(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """SOP 1 rows 1–4 in real use: the Kepala LPSE submits without the KTP, row 2 finds it missing, row 3 e-mails
    the request for it, row 4 waits; `lengkapi --ktp` sends it and the request runs to the Admin PPE's account."""
    documents = files.admin_ppe_documents()
    ktp = documents.pop("--ktp")
    async with running_worker(zeebe_channel, services):
        submitted = await cli(*ajukan_args(documents))
        await deployed.wait_for_idle()

        assert submitted.code == 0, submitted.err
        [request] = services.store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=ADMIN_NIK)
        assert "Belum dilampirkan: KTP Admin PPE." in submitted.out
        assert f".venv/bin/pbj permohonan lengkapi {request.number} …" in submitted.out
        assert sorted(d.document_type for d in services.documents.list_documents(request.number)) == sorted(
            [DocumentType.SK_PEMBENTUKAN_LPSE, DocumentType.PROFIL_LPSE, DocumentType.DATA_PERSONIL_ADMIN_PPE]
        )
        pi = request.process_instance_key
        assert pi is not None
        deployed.assert_that(pi).is_waiting_exactly_at("LengkapiBerkasReceiveTask")
        assert deployed.variables(pi)["kekuranganBerkas"] == [
            {"dokumen": "KTP_ADMIN_PPE", "alasan": "Dokumen belum dilampirkan."}
        ]
        [asked] = mail_sink.to(KEPALA_EMAIL)
        assert str(asked["Subject"]) == (
            f"Permintaan Kelengkapan Dokumen – Permohonan Akun Admin PPE No. {request.number}"
        )
        assert "1. KTP Admin PPE: Dokumen belum dilampirkan." in text_of(asked)

        completed = await cli("permohonan", "lengkapi", request.number, "--ktp", ktp)
        await deployed.wait_for_idle()

    assert completed.code == 0, completed.err
    deployed.assert_that(pi).is_completed().has_no_incidents().has_passed("MintaKelengkapanBerkasTask")
    deployed.assert_that(pi).has_passed("PeriksaKelengkapanBerkasTask", times=2)
    deployed.assert_that(pi).has_passed("AkunAdminPpeTerdaftarEndEvent")
    assert len(services.documents.list_documents(request.number)) == 4
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [KEPALA_EMAIL], [ADMIN_EMAIL]]
