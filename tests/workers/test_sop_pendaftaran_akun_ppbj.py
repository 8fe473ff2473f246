"""SOP 2 (pendaftaranAkunPpbj) run by the real workers over the embedded engine's gRPC port, with registrations in
the store and a real SMTP server on loopback: an identity that is invalid and then corrected, the activation on
SiRUP, SPSE and SiPRAJA with one user id, and a duplicate registration detected until the earlier one expires."""

import re
from datetime import timedelta

import grpc
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.workers.harness import (
    BPMN_DIR,
    PPBJ_EMAIL,
    PPBJ_NIK,
    MailSink,
    appointment_message,
    complete_review,
    fill_identity,
    identity_message,
    running_worker,
    seed_ppbj_registration,
    text_of,
)
from workers.constants import STATUS_COMPLETED, STATUS_EXPIRED, Message
from workers.domain import AccountRole, AccountStatus, PersonRole, System
from workers.provisioning import hash_token
from workers.services import Services

SOP2 = "pendaftaranAkunPpbj"
SET_PASSWORD_LINK = re.compile(r"https://pbj\.kaltimprov\.go\.id/atur-kata-sandi\?t=([A-Za-z0-9_-]+)")
FORM_LINK = re.compile(r"https://pbj\.kaltimprov\.go\.id/pendaftaran-ppbj\?t=([A-Za-z0-9_-]+)")


async def test_invalid_identity_is_corrected_and_the_account_activated_on_three_systems(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """Row 2 makes a pending account and mails a one-time form link; a NIK with serial 0000 and a NIP with month 13
    go back to the PPBJ with reasons; the corrected identity passes and the PPBJ is asked for the SK or Surat Tugas;
    after the review the account is active on
    SiRUP, SPSE and SiPRAJA with one user id, collected in hasilAktivasi and mailed to the PPBJ with a one-time
    set-password link; the registration is then complete in the store."""
    engine.deploy(BPMN_DIR)
    registration = seed_ppbj_registration(services)
    number = registration.number

    async with running_worker(zeebe_channel, services):
        pi = (await zeebe_client.run_process(SOP2, {"nomorPendaftaran": number})).process_instance_key
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask").has_variable(
            "statusAkun", "PENDING"
        )
        directory = services.store.find_account(number, System.DIREKTORI, AccountRole.PPBJ)
        assert directory is not None and directory.status is AccountStatus.PENDING
        [form_mail] = mail_sink.messages()
        [token] = FORM_LINK.findall(text_of(form_mail))
        access = services.store.redeem_access_token(hash_token(token))
        assert (access.request_number, access.role) == (number, PersonRole.PPBJ)
        assert "WIB" in text_of(form_mail)

        wrong = fill_identity(services, number, nik="6171011204850000", nip="198504122010131003")
        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, number, identity_message(wrong))
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask").has_passed(
            "KirimPerbaikanIdentitasTask"
        ).has_variable("identitasValid", False)
        notes = engine.assert_that(pi).variables()["catatanVerifikasi"]
        assert [(n["kode"], n["tingkat"]) for n in notes] == [
            ("nik-nomor-urut", "galat"),
            ("nip-bulan-pengangkatan", "galat"),
        ]
        fix_mail = mail_sink.messages()[-1]
        assert fix_mail["Subject"].startswith("Verifikasi Data PPBJ Belum Dapat Disetujui")
        assert "Nomor urut pada NIK" in text_of(fix_mail)
        assert "ditolak" not in text_of(fix_mail).lower()

        right = fill_identity(services, number)
        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, number, identity_message(right))
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask").has_variable(
            "identitasValid", True
        ).has_variable("catatanVerifikasi", []).has_variable("nikTersamar", "6171**********03").has_passed(
            "KirimPermintaanInformasiTask"
        )
        asked = mail_sink.messages()[-1]
        assert (
            str(asked["Subject"]) == f"Permintaan Surat Keputusan atau Surat Tugas – Pendaftaran Akun PPBJ No. {number}"
        )
        assert "Surat Tugas Pengelola Pengadaan Barang/Jasa" in text_of(asked)
        assert "PDF, JPG, atau PNG, paling besar" in text_of(asked)
        assert f"https://pbj.kaltimprov.go.id/pendaftaran/{number}" in text_of(asked)

        await zeebe_client.publish_message(
            Message.INFORMASI_PPBJ_DILENGKAPI, number, appointment_message(services, number)
        )
        await engine.wait_for_idle()
        await complete_review(engine.rest_url, pi, {"hasilPemeriksaan": "lengkap"})
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents().has_passed("AktifkanAkunPpbjTask", times=4).has_passed(
        "KirimInformasiAkunAktifTask", "AkunPpbjAktifEndEvent"
    )
    accounts = {a.system: a for a in services.store.list_accounts(number)}
    assert set(accounts) == {System.DIREKTORI, System.SIRUP, System.SPSE, System.SIPRAJA}
    assert {a.status for a in accounts.values()} == {AccountStatus.ACTIVE}
    assert {a.user_id for a in accounts.values()} == {directory.user_id}
    engine.assert_that(pi).has_variable(
        "hasilAktivasi",
        [
            {"sistem": system.value, "status": "ACTIVE", "idAkunSistem": accounts[system].id}
            for system in (System.SIRUP, System.SPSE, System.SIPRAJA)
        ],
    ).has_no_variable("statusAktivasi")
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[PPBJ_EMAIL]] * 4
    active_mail = text_of(mail_sink.messages()[-1])
    assert f"User ID {directory.user_id}" in active_mail
    for label in ("SiRUP (Sistem", "SPSE (Sistem", "SiPRAJA (sistem"):
        assert label in active_mail
    [set_password] = SET_PASSWORD_LINK.findall(active_mail)
    assert (await services.provisioning.verify_set_password_token(set_password)).account_id == directory.id
    assert "WIB" in active_mail
    assert services.store.get_request(number).status == STATUS_COMPLETED


async def test_duplicate_registration_is_found_until_the_earlier_one_expires(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """A second registration with the NIK and NIP of an open one is invalid (`duplikat-nik`, `duplikat-nip`, without
    naming the other registration); once the first expires after 14 days (its expiry mail closes it), it passes."""
    engine.deploy(BPMN_DIR)
    first = seed_ppbj_registration(services)
    second = seed_ppbj_registration(services, email="rudi.h@kalbarprov.go.id", whatsapp="0857-5012-3344")

    async with running_worker(zeebe_channel, services):
        first_pi = (await zeebe_client.run_process(SOP2, {"nomorPendaftaran": first.number})).process_instance_key
        await engine.wait_for_idle()
        person = fill_identity(services, first.number)
        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, first.number, identity_message(person))
        await engine.wait_for_idle()
        engine.assert_that(first_pi).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask")

        await engine.increase_time(timedelta(days=7))
        await engine.wait_for_idle()
        second_pi = (await zeebe_client.run_process(SOP2, {"nomorPendaftaran": second.number})).process_instance_key
        await engine.wait_for_idle()
        again = fill_identity(services, second.number, nik=PPBJ_NIK)
        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, second.number, identity_message(again))
        await engine.wait_for_idle()
        engine.assert_that(second_pi).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask").has_variable(
            "identitasValid", False
        )
        notes = engine.assert_that(second_pi).variables()["catatanVerifikasi"]
        assert [(n["kode"], n["tingkat"]) for n in notes] == [("duplikat-nik", "galat"), ("duplikat-nip", "galat")]
        assert notes[0]["pesan"].startswith("NIK ini sudah digunakan pada pendaftaran akun PPBJ lain")
        assert all(first.number not in n["pesan"] for n in notes)
        assert "NIK ini sudah digunakan" in text_of(mail_sink.to("rudi.h@kalbarprov.go.id")[-1])
        audit = [e for e in services.store.audit_trail(second.number) if e.action == "identitas.diverifikasi"]
        assert audit[-1].detail["duplikatDengan"] == [first.number]

        await engine.increase_time(timedelta(days=7))
        await engine.wait_for_idle()
        engine.assert_that(first_pi).is_completed().has_passed("InformasiKedaluwarsaEndEvent")
        assert services.store.get_request(first.number).status == STATUS_EXPIRED
        assert any(
            str(m["Subject"]).startswith("Pemberitahuan Penutupan Pendaftaran") for m in mail_sink.to(PPBJ_EMAIL)
        )

        await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, second.number, identity_message(again))
        await engine.wait_for_idle()
        engine.assert_that(second_pi).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask").has_variable(
            "identitasValid", True
        )
