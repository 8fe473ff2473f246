"""SOP 2 (`pendaftaranAkunPpbj`) end to end: the engine's gRPC and REST ports, the real workers, the real SMTP server.

Every path of the SOP: accepted at once (the PPBJ asked for the SK or Surat Tugas after a valid identity) and activated
in SiRUP, SPSE and SiPRAJA, with a one-time set-password link in the activation e-mail; an identity invalid then
corrected; the Admin PPE's review (Tasklist over REST) incomplete then complete; an unanswered registration reminded
and closed after 14 days at either waiting row; the SMTP server down past every retry, the incident resolved and
the registration finished. Each test checks the path, the e-mails, what the application store holds, and ends with
the privacy scan.
"""

from datetime import timedelta

import pytest

from tests.e2e.harness import REVIEW_CHECKLIST, REVIEWER, START, WRONG_NIK, WRONG_NIP, SystemUnderTest
from tests.workers.harness import BUREAU_HEAD_EMAIL, PPBJ_EMAIL
from workers.constants import STATUS_COMPLETED, STATUS_EXPIRED
from workers.domain import AccountRole, AccountStatus, PersonRole, System
from workers.errors import TokenError
from workers.provisioning import hash_token

pytestmark = pytest.mark.e2e

FORM_LINK = "https://pbj.kaltimprov.go.id/pendaftaran-ppbj?t={token}"
REGISTERED = ["PendaftaranDimulaiStartEvent", "BuatAkunPpbjTask", "KirimFormulirRegistrasiTask"]
IDENTITY = ["IsiIdentitasPpbjReceiveTask", "VerifikasiIdentitasPpbjTask"]
ASKED = ["KirimPermintaanInformasiTask"]
INFORMATION = ["LengkapiInformasiPpbjReceiveTask", "PeriksaInformasiPpbjUserTask"]
ACTIVATED = [
    *("AktifkanAkunPpbjSubProcess", "AktivasiAkunPpbjDimulaiStartEvent"),  # row 7 in the sub-process timing it
    *["AktifkanAkunPpbjTask"] * 4,  # the multi-instance body and one activation per system
    *("AktivasiAkunPpbjSelesaiEndEvent", "KirimInformasiAkunAktifTask", "AkunPpbjAktifEndEvent"),
]
NOTE = "Surat Keputusan belum ditandatangani oleh pejabat yang berwenang. Mohon unggah SK yang telah ditandatangani."


def subject(kind: str, number: str) -> str:
    """The subject line of an SOP 2 e-mail."""
    return {
        "formulir": f"Formulir Registrasi Akun Pengelola Pengadaan Barang/Jasa – Pendaftaran No. {number}",
        "perbaikan": f"Verifikasi Data PPBJ Belum Dapat Disetujui – Mohon Perbaikan – Pendaftaran No. {number}",
        "penetapan": f"Permintaan Surat Keputusan atau Surat Tugas – Pendaftaran Akun PPBJ No. {number}",
        "kekurangan": f"Informasi PPBJ Perlu Dilengkapi – Pendaftaran No. {number}",
        "aktif": f"Akun Pengelola Pengadaan Barang/Jasa Anda Telah Aktif – Pendaftaran No. {number}",
        "kedaluwarsa": f"Pemberitahuan Penutupan Pendaftaran Akun PPBJ No. {number}",
    }[kind]


async def assert_form_link(system: SystemUnderTest, number: str) -> None:
    """Row 2's e-mail: the PPBJ's link to the registration form, opening this registration for the PPBJ, after the
    pending directory account was made."""
    [form] = [m for m in system.mails_to(PPBJ_EMAIL) if m.subject == subject("formulir", number)]
    assert form.to == (PPBJ_EMAIL,)
    [token] = form.tokens
    assert FORM_LINK.format(token=token) in form.text
    assert "berlaku sampai Rabu, 1 April 2026 pukul 08.00 WIB" in form.text  # issued at START, for 30 days
    directory = system.services.store.find_account(number, System.DIREKTORI, AccountRole.PPBJ)
    assert directory is not None
    access = system.services.store.redeem_access_token(hash_token(token))
    assert (access.request_number, access.role) == (number, PersonRole.PPBJ)


async def assert_activated(system: SystemUnderTest, number: str, pi: int) -> None:
    """Row 7 and 8: the PPBJ's account active on SiRUP, SPSE and SiPRAJA with the user id of the directory account,
    collected in `hasilAktivasi`, and the PPBJ told so."""
    (await system.instance(pi)).is_completed().has_no_incidents().has_passed("AkunPpbjAktifEndEvent")
    accounts = {a.system: a for a in system.services.store.list_accounts(number)}
    assert set(accounts) == {System.DIREKTORI, System.SIRUP, System.SPSE, System.SIPRAJA}
    assert {a.status for a in accounts.values()} == {AccountStatus.ACTIVE}
    assert {a.role for a in accounts.values()} == {AccountRole.PPBJ}
    user_id = accounts[System.DIREKTORI].user_id
    assert {a.user_id for a in accounts.values()} == {user_id}
    (await system.instance(pi)).has_variable(
        "hasilAktivasi",
        [
            {"sistem": s.value, "status": "ACTIVE", "idAkunSistem": accounts[s].id}
            for s in (System.SIRUP, System.SPSE, System.SIPRAJA)
        ],
    ).has_variable("informasiLengkap", True).has_variable("catatanPemeriksaan", None).has_no_variable("statusAktivasi")
    [active] = [m for m in system.mails() if m.subject == subject("aktif", number)]
    assert active.to == (PPBJ_EMAIL,)
    assert f"Akun Bapak/Ibu dengan User ID {user_id} telah diaktifkan" in active.text
    for line in (
        "- SiRUP (Sistem Informasi Rencana Umum Pengadaan): aktif",
        "- SPSE (Sistem Pengadaan Secara Elektronik): aktif",
        "- SiPRAJA (sistem informasi pengadaan Provinsi Kalimantan Barat): aktif",
    ):
        assert line in active.text
    trail = [e.action for e in system.services.store.audit_trail(number)]
    assert trail.count("akun.dibuat") == 4
    assert system.services.store.get_request(number).status == STATUS_COMPLETED
    [token] = active.tokens  # the PPBJ is told to log in: a one-time set-password link to their own address
    assert system.services.settings.set_password_link(token) in active.text
    provisioning = system.services.provisioning
    assert (await provisioning.consume_set_password_token(token, "Kata-Sandi-Baru-2026")).account_id == (
        accounts[System.DIREKTORI].id
    )
    with pytest.raises(TokenError, match="sudah digunakan"):
        await provisioning.verify_set_password_token(token)


def assert_asked_for_the_appointment(system: SystemUnderTest, number: str) -> None:
    """After a valid identity the PPBJ is asked for the SK or Surat Tugas, with the upload rules and their page."""
    [asked] = [m for m in system.mails() if m.subject == subject("penetapan", number)]
    assert asked.to == (PPBJ_EMAIL,)
    assert "data identitas Bapak/Ibu telah selesai diverifikasi" in asked.text
    assert "- Surat Keputusan (SK) Pengelola Pengadaan Barang/Jasa" in asked.text
    assert "- Surat Tugas Pengelola Pengadaan Barang/Jasa" in asked.text
    assert "PDF, JPG, atau PNG, paling besar" in asked.text
    assert f"https://pbj.kaltimprov.go.id/pendaftaran/{number}" in asked.text


async def test_registration_accepted_at_once_is_activated_in_all_three_systems(system: SystemUnderTest) -> None:
    """Accepted at once (review over REST, group admin-ppe): active in SiRUP, SPSE and SiPRAJA with one user id."""
    async with system.workers():
        number, pi = await system.register_ppbj()
        await system.drive(pi, until="IsiIdentitasPpbjReceiveTask")
        (await system.instance(pi)).has_variable("statusAkun", "PENDING")
        await assert_form_link(system, number)
        await system.submit_identity(number)
        await system.drive(pi, until="LengkapiInformasiPpbjReceiveTask")
        (await system.instance(pi)).has_variable("identitasValid", True).has_variable("nikTersamar", "6171**********03")
        appointment = await system.submit_appointment(number)
        await system.settle()

        task = await system.review_task(pi)
        assert (task["elementId"], task["name"], task["candidateGroups"]) == (
            "PeriksaInformasiPpbjUserTask",
            "Memeriksa informasi PPBJ",
            ["admin-ppe"],
        )
        shown = {v["name"]: v["value"] for v in await system.backend.user_task_variables(task["userTaskKey"])}
        assert shown["nikTersamar"] == '"6171**********03"'
        assert shown["tautanPemeriksaan"] == f'"https://pbj.kaltimprov.go.id/pemeriksaan/{number}"'
        await system.review(pi, "lengkap")
        await system.settle()
        [done] = await system.user_tasks(pi)
        assert (done["assignee"], done["state"]) == (REVIEWER, "COMPLETED")

    assert await system.path(pi) == [*REGISTERED, *IDENTITY, *ASKED, *INFORMATION, *ACTIVATED]
    (await system.instance(pi)).has_variable("butirPemeriksaan", list(REVIEW_CHECKLIST)).has_variable(
        "dokumenPenetapan", appointment["dokumenPenetapan"]
    )
    assert [(m.to, m.subject) for m in system.mails()] == [
        ((PPBJ_EMAIL,), subject("formulir", number)),
        ((PPBJ_EMAIL,), subject("penetapan", number)),
        ((PPBJ_EMAIL,), subject("aktif", number)),
    ]
    assert_asked_for_the_appointment(system, number)
    await assert_activated(system, number, pi)
    await system.assert_privacy()


async def test_invalid_identity_is_sent_back_with_reasons_then_corrected(system: SystemUnderTest) -> None:
    """An invalid NIK and NIP go back to the PPBJ with reasons (never "ditolak"); the corrected identity passes."""
    async with system.workers():
        number, pi = await system.register_ppbj()
        await system.drive(pi, until="IsiIdentitasPpbjReceiveTask")
        await system.submit_identity(number, nik=WRONG_NIK, nip=WRONG_NIP)
        await system.settle()
        (await system.instance(pi)).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask").has_variable(
            "identitasValid", False
        ).has_variable("nikTersamar", "6171**********00")
        notes = (await system.variables(pi))["catatanVerifikasi"]
        assert [(n["kode"], n["tingkat"]) for n in notes] == [
            ("nik-nomor-urut", "galat"),
            ("nip-bulan-pengangkatan", "galat"),
        ]
        fix = system.mails()[-1]
        assert (fix.to, fix.subject) == ((PPBJ_EMAIL,), subject("perbaikan", number))
        assert "1. Nomor urut pada NIK (empat digit terakhir) tidak boleh 0000." in fix.text
        assert "2. Bulan pengangkatan pada NIP (digit ke-13 dan ke-14) harus 01–12." in fix.text
        assert f"https://pbj.kaltimprov.go.id/pendaftaran/{number}" in fix.text
        assert "ditolak" not in fix.text.lower()

        await system.drive(pi)

    assert await system.path(pi) == [
        *REGISTERED,
        *IDENTITY,
        "KirimPerbaikanIdentitasTask",
        *IDENTITY,
        *ASKED,
        *INFORMATION,
        *ACTIVATED,
    ]
    (await system.instance(pi)).has_variable("identitasValid", True).has_variable("catatanVerifikasi", []).has_variable(
        "nikTersamar", "6171**********03"
    )
    assert [m.subject for m in system.mails()] == [
        subject("formulir", number),
        subject("perbaikan", number),
        subject("penetapan", number),
        subject("aktif", number),
    ]
    trail = system.services.store.audit_trail(number)
    assert [e.action for e in trail].count("identitas.diverifikasi") == 2
    await assert_activated(system, number, pi)
    await system.assert_privacy()


async def test_review_incomplete_then_complete_asks_the_ppbj_then_activates(system: SystemUnderTest) -> None:
    """The review's belum-lengkap mails the PPBJ the note; a new SK, a lengkap review, and the account is active."""
    async with system.workers():
        number, pi = await system.register_ppbj()
        await system.drive(pi, until="PeriksaInformasiPpbjUserTask")
        first_sk = (await system.variables(pi))["dokumenPenetapan"]
        await system.review(pi, "belum-lengkap", catatan=NOTE, butir=REVIEW_CHECKLIST[:3])
        await system.settle()
        (await system.instance(pi)).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask").has_variable(
            "informasiLengkap", False
        ).has_variable("catatanPemeriksaan", NOTE).has_variable("butirPemeriksaan", list(REVIEW_CHECKLIST[:3]))
        ask = system.mails()[-1]
        assert (ask.to, ask.subject) == ((PPBJ_EMAIL,), subject("kekurangan", number))
        assert NOTE in ask.text
        assert "Setelah informasi dilengkapi, Admin PPE akan memeriksanya kembali." in ask.text

        second = await system.submit_appointment(number, title="SK Penetapan Pengelola PBJ (ditandatangani)")
        assert second["dokumenPenetapan"]["dokumenId"] != first_sk["dokumenId"]
        await system.drive(pi)

    assert await system.path(pi) == [
        *REGISTERED,
        *IDENTITY,
        *ASKED,
        *INFORMATION,
        "KirimKekuranganInformasiTask",
        *INFORMATION,
        *ACTIVATED,
    ]
    (await system.instance(pi)).has_variable("dokumenPenetapan", second["dokumenPenetapan"]).has_variable(
        "butirPemeriksaan", list(REVIEW_CHECKLIST)
    )
    assert [m.subject for m in system.mails()] == [
        subject("formulir", number),
        subject("penetapan", number),
        subject("kekurangan", number),
        subject("aktif", number),
    ]  # asked for the appointment once: the second pass through row 5 follows the review's note
    assert len([t for t in await system.user_tasks(pi) if t["assignee"] == REVIEWER]) == 2
    await assert_activated(system, number, pi)
    await system.assert_privacy()


EXPIRIES = {
    "IsiIdentitasPpbjReceiveTask": (
        [],
        "IsiIdentitasPpbjKedaluwarsaTimer",
        "KirimKedaluwarsaIdentitasTask",
        "IdentitasKedaluwarsaEndEvent",
    ),
    "LengkapiInformasiPpbjReceiveTask": (
        [*IDENTITY, *ASKED],
        "LengkapiInformasiPpbjKedaluwarsaTimer",
        "KirimKedaluwarsaInformasiTask",
        "InformasiKedaluwarsaEndEvent",
    ),
}


@pytest.mark.parametrize("step", list(EXPIRIES))
async def test_unanswered_registration_is_reminded_then_closed_after_14_days(
    system: SystemUnderTest, step: str
) -> None:
    """Unanswered at a waiting row: the PPBJ is reminded after 15 minutes, the registration closed after 14 days."""
    before, timer, notice, end = EXPIRIES[step]
    async with system.workers():
        number, pi = await system.register_ppbj()
        await system.drive(pi, until=step)
        reached = len(system.mails())

        await system.advance(timedelta(minutes=15, seconds=1))
        (await system.instance(pi)).is_waiting_exactly_at(step)
        reminders = system.mails()[reached:]
        assert sorted(m.to for m in reminders) == sorted([(PPBJ_EMAIL,), (BUREAU_HEAD_EMAIL,)])
        [own] = [m for m in reminders if m.to == (PPBJ_EMAIL,)]
        assert own.subject.startswith('[Pengingat] Batas Waktu Tugas "')
        assert own.subject.endswith(f'" – Pendaftaran No. {number}')
        assert "masih menunggu tindak lanjut dari Bapak/Ibu" in own.text
        assert "terlampaui sejak Senin, 2 Maret 2026 pukul 08.15 WIB" in own.text
        assert f"https://pbj.kaltimprov.go.id/pendaftaran/{number}" in own.text
        assert "kegagalan" not in own.text and step not in own.text

        await system.advance(timedelta(days=14) - timedelta(minutes=15, seconds=1))
        assert system.now == START + timedelta(days=14)

    (await system.instance(pi)).is_completed().has_no_incidents().has_terminated(step)
    sla = step.replace("ReceiveTask", "SlaTimer")
    assert await system.path(pi) == [
        *REGISTERED,
        *before,
        sla,
        "KirimNotifikasiSlaTask",
        "NotifikasiSlaTerkirimEndEvent",
        timer,
        notice,
        end,
    ]
    closed = system.mails()[-1]
    assert len(system.mails()) == reached + 3
    assert (closed.to, closed.subject) == ((PPBJ_EMAIL,), subject("kedaluwarsa", number))
    assert "https://pbj.kaltimprov.go.id/pendaftaran-ppbj" in closed.text
    assert "ditolak" not in closed.text.lower()
    assert system.services.store.get_request(number).status == STATUS_EXPIRED
    [directory] = system.services.store.list_accounts(number)
    assert (directory.system, directory.status) == (System.DIREKTORI, AccountStatus.PENDING)
    await system.assert_privacy()
