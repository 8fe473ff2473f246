"""SOP 1 (`registrasiAdminPpe`) end to end: the engine's gRPC and REST ports, the real workers, the real SMTP server.

Every path of the SOP: complete files at once; incomplete, completed, then accepted; incomplete twice; an
unanswered request reminded three times and closed after 14 days. Each test checks the path, the e-mails, what the
application store holds, and ends with the privacy scan.
"""

from datetime import timedelta

import pytest

from pbj.sample_documents import png_image
from tests.e2e.harness import START, SystemUnderTest
from tests.workers.harness import ADMIN_EMAIL, KEPALA_EMAIL
from workers.constants import STATUS_EXPIRED, Message
from workers.domain import AccountRole, AccountStatus, DocumentType, System
from workers.errors import TokenError

pytestmark = pytest.mark.e2e

ACCEPTED = [
    "BuatAkunAdminPpeTask",
    "KirimInformasiAkunTask",
    "SampaikanAkunKeAdminPpeTask",
    "ArsipkanDokumenTask",
    "AkunAdminPpeTerdaftarEndEvent",
]
REQUESTED = ["PeriksaKelengkapanBerkasTask", "MintaKelengkapanBerkasTask", "LengkapiBerkasReceiveTask"]


def subject(kind: str, number: str) -> str:
    """The subject line of an SOP 1 e-mail."""
    return {
        "permintaan": f"Permintaan Kelengkapan Dokumen – Permohonan Akun Admin PPE No. {number}",
        "pengingat": f"[Pengingat] Kelengkapan Dokumen – Permohonan Akun Admin PPE No. {number}",
        "kedaluwarsa": f"Pemberitahuan Penutupan Permohonan Akun Admin PPE No. {number}",
        "akun": f"Akun Admin PPE Telah Dibuat – Segera Login dan Ganti Kata Sandi – Permohonan No. {number}",
        "undangan": (
            f"Akun Admin PPE Anda Telah Dibuat – Buat Kata Sandi Melalui Tautan Sekali Pakai – Permohonan No. {number}"
        ),
    }[kind]


async def assert_registered(system: SystemUnderTest, number: str, pi: int, documents: int = 4) -> None:
    """The end of the accepted path: one SPSE account, the Kepala LPSE told the user id without a password, the
    Admin PPE's invitation with a working one-time link that sets a password exactly once, the files archived."""
    (await system.instance(pi)).is_completed().has_no_incidents().has_not_passed("KirimNotifikasiSlaTask")
    [account] = system.services.store.list_accounts(number)
    assert (account.system, account.role, account.status) == (
        System.SPSE,
        AccountRole.ADMIN_PPE,
        AccountStatus.ACTIVE,
    )
    assert account.must_change_password and not account.has_password
    (await system.instance(pi)).has_variable("berkasLengkap", True).has_variable("kekuranganBerkas", []).has_variable(
        "idAkun", account.id
    ).has_variable("statusAkun", "ACTIVE").has_variable("nomorArsip", f"ARSIP-{number}")

    [info] = [m for m in system.mails_to(KEPALA_EMAIL) if m.subject == subject("akun", number)]
    assert f"User ID        : {account.user_id}" in info.text
    assert "kata sandi tidak dikirimkan melalui email" in info.text
    assert "Penggantian kata sandi wajib dilakukan pada saat login pertama kali." in info.text
    assert not info.tokens
    [invitation] = system.mails_to(ADMIN_EMAIL)
    assert invitation.to == (ADMIN_EMAIL,)
    assert invitation.subject == subject("undangan", number)
    assert account.user_id in invitation.text
    assert "berlaku sampai Selasa, 3 Maret 2026 pukul 09.00 WITA" in invitation.text  # issued at START, for 24 h
    [token] = invitation.tokens
    assert f"https://pbj.kaltimprov.go.id/atur-kata-sandi?t={token}" in invitation.text

    assert await system.set_password(token) == account.id
    with pytest.raises(TokenError, match="sudah digunakan"):
        await system.set_password(token, "Kata-Sandi-Lain-2026!")
    holder = system.services.store.get_account(account.id)
    assert holder.has_password and not holder.must_change_password

    manifest = system.services.archiver.read_manifest(number)
    archived = sorted(d["dokumenId"] for d in manifest["dokumen"])
    assert archived == sorted(r["dokumenId"] for r in system.references[number])
    assert len(archived) == documents
    trail = [e.action for e in system.services.store.audit_trail(number)]
    for action in ("akun.dibuat", "akun.tautan-kata-sandi-diterbitkan", "arsip.dibuat", "akun.kata-sandi-ditetapkan"):
        assert trail.count(action) == 1, (action, trail)


async def test_complete_files_on_first_submission_register_the_admin_ppe(system: SystemUnderTest) -> None:
    """Complete files at once: rows 2, 5–8 in order, two e-mails, one account, one archive, one working link."""
    async with system.workers():
        number, pi = await system.submit_admin_ppe_request()
        await system.drive(pi)

    assert await system.path(pi) == ["PermohonanDiajukanStartEvent", "PeriksaKelengkapanBerkasTask", *ACCEPTED]
    assert [(m.to, m.subject) for m in system.mails()] == [
        ((KEPALA_EMAIL,), subject("akun", number)),
        ((ADMIN_EMAIL,), subject("undangan", number)),
    ]
    await assert_registered(system, number, pi)
    assert [e.action for e in system.services.store.audit_trail(number)].count("berkas.diperiksa") == 1
    await system.assert_privacy()


async def test_incomplete_files_are_requested_completed_and_accepted(system: SystemUnderTest) -> None:
    """Missing KTP: row 3 asks the Kepala LPSE with the reason, the KTP arrives by message, row 2 then accepts."""
    async with system.workers():
        number, pi = await system.submit_admin_ppe_request(without=[DocumentType.KTP_ADMIN_PPE])
        await system.settle()
        (await system.instance(pi)).is_waiting_exactly_at("LengkapiBerkasReceiveTask").has_variable(
            "berkasLengkap", False
        ).has_variable("kekuranganBerkas", [{"dokumen": "KTP_ADMIN_PPE", "alasan": "Dokumen belum dilampirkan."}])
        [request_mail] = system.mails()
        assert (request_mail.to, request_mail.subject) == ((KEPALA_EMAIL,), subject("permintaan", number))
        assert "1. KTP Admin PPE: Dokumen belum dilampirkan." in request_mail.text
        assert f"https://pbj.kaltimprov.go.id/permohonan/{number}" in request_mail.text
        assert "ditolak" not in request_mail.text.lower()
        assert system.services.store.list_accounts(number) == []

        await system.drive(pi)

    assert await system.path(pi) == [
        "PermohonanDiajukanStartEvent",
        *REQUESTED,
        "PeriksaKelengkapanBerkasTask",
        *ACCEPTED,
    ]
    assert [(m.to, m.subject) for m in system.mails()] == [
        ((KEPALA_EMAIL,), subject("permintaan", number)),
        ((KEPALA_EMAIL,), subject("akun", number)),
        ((ADMIN_EMAIL,), subject("undangan", number)),
    ]
    await assert_registered(system, number, pi)
    assert [e.action for e in system.services.store.audit_trail(number)].count("berkas.diperiksa") == 2
    await system.assert_privacy()


async def test_files_incomplete_twice_are_requested_twice_then_accepted(system: SystemUnderTest) -> None:
    """Incomplete twice (missing, then a truncated scan): two requests naming what is wrong, then accepted."""
    async with system.workers():
        number, pi = await system.submit_admin_ppe_request(
            without=[DocumentType.PROFIL_LPSE, DocumentType.KTP_ADMIN_PPE]
        )
        await system.settle()
        first = (await system.variables(pi))["kekuranganBerkas"]
        assert [s["dokumen"] for s in first] == ["PROFIL_LPSE", "KTP_ADMIN_PPE"]

        second = await system.resubmit_files(
            number, {DocumentType.PROFIL_LPSE: None, DocumentType.KTP_ADMIN_PPE: png_image()[:200]}
        )
        await system.settle()
        (await system.instance(pi)).is_waiting_exactly_at("LengkapiBerkasReceiveTask")
        [shortfall] = (await system.variables(pi))["kekuranganBerkas"]
        assert shortfall["dokumen"] == "KTP_ADMIN_PPE"
        assert shortfall["alasan"].startswith("Berkas tidak dapat dibaca sebagai PNG")
        broken = next(r for r in second if r["jenis"] == "KTP_ADMIN_PPE")

        await system.resubmit_files(number, {DocumentType.KTP_ADMIN_PPE: None})
        await system.drive(pi)

    assert await system.path(pi) == [
        "PermohonanDiajukanStartEvent",
        *REQUESTED,
        *REQUESTED,
        "PeriksaKelengkapanBerkasTask",
        *ACCEPTED,
    ]
    first_mail, second_mail = (m for m in system.mails() if m.subject == subject("permintaan", number))
    assert "1. Data Profil LPSE: Dokumen belum dilampirkan." in first_mail.text
    assert "2. KTP Admin PPE: Dokumen belum dilampirkan." in first_mail.text
    assert "Data Profil LPSE" not in second_mail.text
    assert "1. KTP Admin PPE: Berkas tidak dapat dibaca sebagai PNG" in second_mail.text
    assert [m.to for m in system.mails()] == [(KEPALA_EMAIL,), (KEPALA_EMAIL,), (KEPALA_EMAIL,), (ADMIN_EMAIL,)]
    await assert_registered(system, number, pi)
    archived = {d["dokumenId"] for d in system.services.archiver.read_manifest(number)["dokumen"]}
    assert broken["dokumenId"] not in archived
    assert [e.action for e in system.services.store.audit_trail(number)].count("berkas.diperiksa") == 3
    await system.assert_privacy()


async def test_unanswered_request_is_reminded_three_times_then_closed_after_14_days(system: SystemUnderTest) -> None:
    """Unanswered: reminders on days 3, 6 and 9, closed on day 14, no account; a late answer changes nothing."""
    async with system.workers():
        number, pi = await system.submit_admin_ppe_request(without=[DocumentType.KTP_ADMIN_PPE])
        await system.settle()
        for day in (3, 6, 9, 12):
            await system.advance(timedelta(days=3))
            (await system.instance(pi)).is_waiting_exactly_at("LengkapiBerkasReceiveTask")
            reminders = [m for m in system.mails() if m.subject == subject("pengingat", number)]
            assert len(reminders) == min(day // 3, 3), day
        await system.advance(timedelta(days=2))
        assert system.now == START + timedelta(days=14)

    (await system.instance(pi)).is_completed().has_no_incidents().has_passed(
        "PermohonanKedaluwarsaEndEvent"
    ).has_terminated("LengkapiBerkasReceiveTask").has_not_passed("BuatAkunAdminPpeTask", "KirimNotifikasiSlaTask")
    assert await system.path(pi) == [
        "PermohonanDiajukanStartEvent",
        "PeriksaKelengkapanBerkasTask",
        "MintaKelengkapanBerkasTask",
        *["LengkapiBerkasPengingatTimer", "KirimPengingatKelengkapanTask", "PengingatKelengkapanTerkirimEndEvent"] * 3,
        "LengkapiBerkasKedaluwarsaTimer",
        "KirimPemberitahuanKedaluwarsaTask",
        "PermohonanKedaluwarsaEndEvent",
    ]
    mails = system.mails()
    assert [m.subject for m in mails] == [
        subject("permintaan", number),
        *[subject("pengingat", number)] * 3,
        subject("kedaluwarsa", number),
    ]
    assert {m.to for m in mails} == {(KEPALA_EMAIL,)}
    for reminder in mails[1:4]:
        assert "1. KTP Admin PPE: Dokumen belum dilampirkan." in reminder.text
        assert "akan ditutup secara otomatis" in reminder.text
    closed = mails[-1]
    assert f"Nomor Permohonan {number} telah kami tutup" in closed.text
    assert "https://pbj.kaltimprov.go.id/permohonan/baru" in closed.text
    assert "ditolak" not in closed.text.lower()

    assert system.services.store.get_request(number).status == STATUS_EXPIRED
    assert system.services.store.list_accounts(number) == []
    assert system.services.store.get_archive(number) is None
    await system.publish(Message.BERKAS_DILENGKAPI, number, {"dokumenPermohonan": system.references[number]})
    await system.settle()
    (await system.instance(pi)).is_completed()
    assert len(system.mails()) == 5
    await system.assert_privacy()
