"""SOP 2 from the PPBJ's and the Admin PPE's side: `pbj ppbj daftar|identitas|penetapan` and `pbj tugas
daftar|lihat|selesaikan` against the embedded engine with the real workers – registering twice, sending the same
identity twice, and the review both ways (complete: the account is activated; not yet complete: back to row 5)."""

import json

import grpc

from engine.testing import EmbeddedEngine
from tests.commands.harness import IDENTITY, Cli, Files, register_until_review, snapshot
from tests.workers.harness import PPBJ_EMAIL, PPBJ_NIK, MailSink, running_worker
from workers.constants import Message
from workers.domain import AccountStatus, PersonRole, System
from workers.services import Services

SOP2 = "pendaftaranAkunPpbj"


async def test_registration_identity_appointment_and_review_activate_the_account(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """PPBJ registers, identifies, sends the SK; the Admin PPE lists, views and completes the review: active."""
    async with running_worker(zeebe_channel, services):
        number = await register_until_review(cli, files, deployed)
        [instance] = deployed.process_instances(SOP2)
        variables = deployed.assert_that(instance.key).variables()
        assert variables["nikTersamar"] == "6171**********03"
        assert PPBJ_NIK not in json.dumps(variables)
        assert variables["dokumenPenetapan"]["jenis"] == "SK"

        listed = await cli("tugas", "daftar", "--grup", "admin-ppe")
        assert listed.code == 0, listed.err
        [task] = [t for t in deployed.user_tasks(instance.key) if t.state.value == "CREATED"]
        assert str(task.key) in listed.out and number in listed.out and "Memeriksa informasi PPBJ" in listed.out
        assert " WIB" in listed.out

        shown = await cli("tugas", "lihat", str(task.key))
        assert shown.code == 0, shown.err
        for text in (
            "Memeriksa informasi PPBJ",
            number,
            "6171**********03",
            "Surat Keputusan (SK)",
            "--hasil",
            "--catatan",
        ):
            assert text in shown.out, text
        assert "lengkap|belum-lengkap" in shown.out
        assert PPBJ_NIK not in shown.out

        done = await cli(
            "tugas",
            "selesaikan",
            str(task.key),
            "--hasil",
            "lengkap",
            "--butir",
            "dokumen-terbaca",
            "identitas-sesuai",
            "penetapan-pengelola-pbj",
            "pejabat-berwenang",
            "--petugas",
            "admin.ppe.kalbar",
        )
        assert done.code == 0, done.err
        assert f"Tugas {task.key} (Memeriksa informasi PPBJ) untuk {number} diselesaikan" in done.out
        await deployed.wait_for_idle()

    deployed.assert_that(instance.key).is_completed().has_no_incidents().has_variable("informasiLengkap", True)
    accounts = {a.system: a for a in services.store.list_accounts(number)}
    assert {System.SIRUP, System.SPSE, System.SIPRAJA} <= set(accounts)
    assert {a.status for a in accounts.values()} == {AccountStatus.ACTIVE}
    assert task.assignee == "admin.ppe.kalbar"
    [decision] = [e for e in services.store.audit_trail(number) if e.action == "tugas.diselesaikan"]
    assert decision.actor == "admin.ppe.kalbar"
    assert decision.detail["hasilPemeriksaan"] == "lengkap"
    assert (await cli("tugas", "daftar", "--grup", "admin-ppe")).out.startswith("Tidak ada tugas terbuka")


async def test_review_not_complete_sends_the_ppbj_back_to_row_5_with_the_note(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """A review completed as not complete, with its note, mails the PPBJ and waits at row 5 again."""
    async with running_worker(zeebe_channel, services):
        number = await register_until_review(cli, files, deployed)
        [instance] = deployed.process_instances(SOP2)
        [task] = [t for t in deployed.user_tasks(instance.key) if t.state.value == "CREATED"]
        note = "Mohon unggah SK yang telah ditandatangani pejabat yang berwenang."

        done = await cli("tugas", "selesaikan", str(task.key), "--hasil", "belum-lengkap", "--catatan", note, "--json")
        await deployed.wait_for_idle()

        assert done.code == 0, done.err
        assert done.json() == {
            "userTaskKey": str(task.key),
            "nomor": number,
            "selesai": True,
            "isian": {"hasilPemeriksaan": "belum-lengkap", "butirPemeriksaan": []},
        }
        deployed.assert_that(instance.key).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask").has_passed(
            "KirimKekuranganInformasiTask"
        ).has_variable("catatanPemeriksaan", note)
        assert note in mail_sink.raw()

        again = await cli("ppbj", "penetapan", number, "--surat-tugas", files.pdf("Surat-Tugas-PBJ.pdf"))
        await deployed.wait_for_idle()
    assert again.code == 0, again.err
    assert deployed.assert_that(instance.key).variables()["dokumenPenetapan"]["jenis"] == "SURAT_TUGAS"
    assert len([t for t in deployed.user_tasks(instance.key) if t.state.value == "CREATED"]) == 1


async def test_registering_twice_and_sending_the_same_identity_twice_change_nothing_the_second_time(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """Registering twice gives one number; the same identity sent twice is one revision and one message."""
    async with running_worker(zeebe_channel, services):
        first = await cli(
            "ppbj", "daftar", "--nama", "Rudi Hartono", "--email", PPBJ_EMAIL, "--wa", "0813-5200-1234", "--json"
        )
        await deployed.wait_for_idle()
        again = await cli(
            "ppbj", "daftar", "--nama", "Rudi Hartono", "--email", PPBJ_EMAIL.upper(), "--wa", "+62 813 5200 1234"
        )
        number = first.json()["nomorPendaftaran"]
        assert again.code == 0, again.err
        assert number in again.out and "tidak diajukan ulang" in again.out
        assert len(deployed.process_instances(SOP2)) == 1

        sent = await cli("ppbj", "identitas", number, *IDENTITY)
        await deployed.wait_for_idle()
        before = snapshot(services, deployed)
        repeated = await cli("ppbj", "identitas", number, *IDENTITY)

    assert sent.code == 0 and repeated.code == 0, repeated.err
    assert "sudah diterima sebelumnya" in repeated.out
    assert snapshot(services, deployed) == before
    assert services.store.get_person(number, PersonRole.PPBJ).revision == 2
    assert [m.name for m in deployed.messages()].count(Message.IDENTITAS_PPBJ_DIISI) == 1  # kept for its TTL
