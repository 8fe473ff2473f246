"""BPMN conformance, the real SOP diagrams in bpmn/: each deploys through the gateway and runs its happy
path with in-test pyzeebe workers (and REST for the user task); an SLA timer fires while its step waits."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import isodate
import pytest
from pyzeebe import Job, ZeebeClient, ZeebeWorker

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver

ROOT = Path(__file__).resolve().parents[2]
SOP1 = ROOT / "bpmn" / "registrasi-admin-ppe.bpmn"
SOP2 = ROOT / "bpmn" / "pendaftaran-akun-ppbj.bpmn"
FORM = ROOT / "bpmn" / "forms" / "periksa-informasi-ppbj.form"

Result = Callable[[Job], dict[str, Any]]

OFFICE_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
"""Monday 2 March 2026, 09.00 WITA / 08.00 WIB: office hours in both provinces, no holiday in the two weeks after."""


@pytest.fixture(autouse=True)
def _at_office_morning(engine: EmbeddedEngine) -> None:
    """The engine's clock at a working instant of both provinces: the SOPs' standard times count working time."""
    engine.engine.clock.pin(OFFICE_MORNING)


def _aktivasi(job: Job) -> dict[str, Any]:
    sistem = job.variables["sistem"]
    return {"statusAktivasi": {"sistem": sistem, "status": "AKTIF", "idAkunSistem": f"{sistem}-0042"}}


def _batas_waktu(job: Job) -> dict[str, Any]:
    """Stands in for the working-time worker of a timed step's start listener: from `OFFICE_MORNING`, a standard of
    minutes ends the same morning, so the deadline is the step's start (`slaMulai`) plus its standard."""
    started = datetime.fromisoformat(str(job.variables["slaMulai"]).split("[")[0].replace("Z", "+00:00"))
    standard = isodate.parse_duration(job.variables["slaBatasWaktu"])
    return {"slaBatasWaktuKerja": (started + standard).isoformat()}


# What each job type returns: the variables the diagrams read after it (docs/processes-design.md).
RESULTS: dict[str, Result] = {
    "hitung-batas-waktu-sla": _batas_waktu,
    "periksa-kelengkapan-berkas": lambda job: {"berkasLengkap": True, "kekuranganBerkas": []},
    "buat-akun": lambda job: {"idAkun": "akun-0042", "statusAkun": job.custom_headers.get("status", "AKTIF")},
    "kirim-email": lambda job: {},
    "arsipkan-dokumen": lambda job: {"nomorArsip": "ARSIP-2025-0001"},
    "kirim-notifikasi-sla": lambda job: {},
    "verifikasi-identitas": lambda job: {"identitasValid": True, "catatanVerifikasi": []},
    "aktifkan-akun": _aktivasi,
}


class Workers:
    """pyzeebe workers for some job types, recording every job they completed."""

    def __init__(self, channel: grpc.aio.Channel, results: dict[str, Result]) -> None:
        self.worker = ZeebeWorker(channel)
        self.done: list[Job] = []
        for job_type, result in results.items():
            self.worker.task(task_type=job_type)(self._handler(result))  # type: ignore[arg-type]

    def _handler(self, result: Result) -> Callable[[Job], Awaitable[dict[str, Any]]]:
        async def handle(job: Job) -> dict[str, Any]:
            self.done.append(job)
            return result(job)

        return handle

    def jobs(self, job_type: str) -> list[Job]:
        return [j for j in self.done if j.type == job_type]


@asynccontextmanager
async def running(
    channel: grpc.aio.Channel, results: dict[str, Result], engine: EmbeddedEngine
) -> AsyncIterator[Workers]:
    """The workers for `results` working until the block ends; inside it the engine counts their job types as served
    (`EmbeddedEngine.workers_running`), so `wait_for_idle` waits for their jobs even before the first poll."""
    workers = Workers(channel, results)
    task = asyncio.create_task(workers.worker.work())
    served = set(results) - engine.workers_running
    engine.workers_running |= served
    try:
        yield workers
    finally:
        engine.workers_running -= served
        await workers.worker.stop()
        await task


SOP1_START: dict[str, Any] = {
    "nomorPermohonan": "ADMPPE-2025-000123",
    "dokumenPermohonan": [
        {
            "jenis": jenis,
            "dokumenId": f"dok-{n}",
            "sha256": "0" * 64,
            "ukuran": 1024,
            "tipe": "application/pdf",
        }
        for n, jenis in enumerate(["SK_PEMBENTUKAN_LPSE", "PROFIL_LPSE", "DATA_PERSONIL_ADMIN_PPE", "KTP_ADMIN_PPE"])
    ],
}


async def test_registrasi_admin_ppe_happy_path(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """SOP 1 deploys and runs rows 1–8 with complete files: account created, both e-mails sent, archived."""
    deployed = await zeebe_client.deploy_resource(SOP1)
    assert [getattr(p, "bpmn_process_id", None) for p in deployed.deployments] == ["registrasiAdminPpe"]

    async with running(zeebe_channel, RESULTS, engine) as workers:
        created = await zeebe_client.run_process("registrasiAdminPpe", SOP1_START)
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
    engine.assert_that(pi).has_variable("idAkun", "akun-0042").has_variable("nomorArsip", "ARSIP-2025-0001")
    [buat_akun] = workers.jobs("buat-akun")
    assert buat_akun.custom_headers == {"sistem": "SPSE", "peran": "ADMIN_PPE"}
    assert [j.custom_headers["template"] for j in workers.jobs("kirim-email")] == [
        "akun-admin-ppe-dibuat",
        "undangan-admin-ppe",
    ]


async def test_registrasi_admin_ppe_incomplete_files_loop_back_after_the_message(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """Incomplete files: the Kepala LPSE is e-mailed, the request waits for berkas-dilengkapi by its number,
    then row 2 checks again and the request goes on."""
    await zeebe_client.deploy_resource(SOP1)
    verdicts = iter([False, True])

    def periksa(job: Job) -> dict[str, Any]:
        lengkap = next(verdicts)
        kurang = [] if lengkap else [{"dokumen": "KTP_ADMIN_PPE", "alasan": "tidak terbaca"}]
        return {"berkasLengkap": lengkap, "kekuranganBerkas": kurang}

    async with running(zeebe_channel, {**RESULTS, "periksa-kelengkapan-berkas": periksa}, engine) as workers:
        created = await zeebe_client.run_process("registrasiAdminPpe", SOP1_START)
        pi = created.process_instance_key
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("LengkapiBerkasReceiveTask")
        kurang: Any = workers.jobs("kirim-email")[0].variables["kekuranganBerkas"]
        assert kurang == [{"dokumen": "KTP_ADMIN_PPE", "alasan": "tidak terbaca"}]
        await zeebe_client.publish_message(
            "berkas-dilengkapi", "ADMPPE-2025-000123", {"dokumenPermohonan": SOP1_START["dokumenPermohonan"]}
        )
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_passed("MintaKelengkapanBerkasTask", "LengkapiBerkasReceiveTask")
    engine.assert_that(pi).has_passed("PeriksaKelengkapanBerkasTask", times=2).has_variable("kekuranganBerkas", [])
    assert workers.jobs("kirim-email")[0].custom_headers["template"] == "permintaan-kelengkapan-berkas"


async def test_registrasi_admin_ppe_sla_timer_fires_while_the_step_keeps_waiting(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """With the row-2 worker stopped, PeriksaKelengkapanBerkasSlaTimer (PT10M) fires at 10 minutes and the
    SLA notification carries the step's sla* values, while the check itself keeps waiting."""
    await zeebe_client.deploy_resource(SOP1)
    others = {t: r for t, r in RESULTS.items() if t != "periksa-kelengkapan-berkas"}

    async with running(zeebe_channel, others, engine) as workers:
        created = await zeebe_client.run_process("registrasiAdminPpe", SOP1_START)
        pi = created.process_instance_key
        await engine.wait_for_idle()
        await engine.increase_time(timedelta(minutes=9))
        await engine.wait_for_idle()
        engine.assert_that(pi).has_not_passed("PeriksaKelengkapanBerkasSlaTimer")
        await engine.increase_time(timedelta(minutes=1))
        await engine.wait_for_idle()

    engine.assert_that(pi).is_active().is_waiting_exactly_at("PeriksaKelengkapanBerkasTask").has_passed(
        "PeriksaKelengkapanBerkasSlaTimer", "KirimNotifikasiSlaTask", "NotifikasiSlaTerkirimEndEvent"
    )
    [notification] = workers.jobs("kirim-notifikasi-sla")
    assert notification.custom_headers == {"template": "pengingat-sla"}
    assert {k: v for k, v in notification.variables.items() if k.startswith("sla")} == {
        "slaLangkah": "PeriksaKelengkapanBerkasTask",
        "slaKegiatan": "Menerima dan memeriksa kelengkapan berkas",
        "slaBarisSop": 2,
        "slaBatasWaktu": "PT10M",
        "slaPelaksana": "pm-lkpp",
    }
    [job] = engine.jobs("periksa-kelengkapan-berkas")
    assert job.state.value == "ACTIVATABLE"

    async with running(zeebe_channel, RESULTS, engine):
        await engine.wait_for_idle()
    engine.assert_that(pi).is_completed().has_passed("AkunAdminPpeTerdaftarEndEvent")


async def test_pendaftaran_akun_ppbj_happy_path(
    gw: Driver, engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """SOP 2 deploys with its form and runs rows 1–8: messages by registration number, the Admin PPE's
    review completed over REST, the account activated on the three systems in parallel."""
    deployed = await zeebe_client.deploy_resource(SOP2, FORM)
    [form_key] = [d.form_key for d in deployed.deployments if hasattr(d, "form_key")]
    nomor = "PPBJ-2025-000777"

    async with running(zeebe_channel, RESULTS, engine) as workers:
        created = await zeebe_client.run_process("pendaftaranAkunPpbj", {"nomorPendaftaran": nomor})
        pi = created.process_instance_key
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask")
        await zeebe_client.publish_message(
            "identitas-ppbj-diisi", nomor, {"nikTersamar": "6171**********01", "identitasRef": "idt-777"}
        )
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask")
        await zeebe_client.publish_message(
            "informasi-ppbj-dilengkapi",
            nomor,
            {
                "dokumenPenetapan": {
                    "jenis": "SK",
                    "dokumenId": "dok-sk-1",
                    "sha256": "f" * 64,
                    "ukuran": 2048,
                    "tipe": "application/pdf",
                },
                "tautanPemeriksaan": "https://pbj.example.go.id/pemeriksaan/PPBJ-2025-000777",
            },
        )
        await engine.wait_for_idle()

        [task] = await gw.search_user_tasks(processInstanceKey=str(pi), state="CREATED")
        assert task["elementId"] == "PeriksaInformasiPpbjUserTask"
        assert task["candidateGroups"] == ["admin-ppe"]
        assert task["formKey"] == str(form_key)
        await gw.complete_user_task(
            task["userTaskKey"],
            {"hasilPemeriksaan": "lengkap", "butirPemeriksaan": ["dokumen-terbaca", "identitas-sesuai"]},
        )
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_no_incidents().has_passed(
        "BuatAkunPpbjTask",
        "KirimFormulirRegistrasiTask",
        "VerifikasiIdentitasPpbjTask",
        "PeriksaInformasiPpbjUserTask",
        "KirimInformasiAkunAktifTask",
        "AkunPpbjAktifEndEvent",
    ).has_not_passed("KirimPerbaikanIdentitasTask", "KirimKekuranganInformasiTask")
    engine.assert_that(pi).has_passed("AktifkanAkunPpbjTask", times=4)
    engine.assert_that(pi).has_variable("informasiLengkap", True).has_variable("catatanPemeriksaan", None)
    engine.assert_that(pi).has_variable(
        "hasilAktivasi",
        [{"sistem": s, "status": "AKTIF", "idAkunSistem": f"{s}-0042"} for s in ("SiRUP", "SPSE", "SiPRAJA")],
    )
    engine.assert_that(pi).has_no_variable("hasilPemeriksaan").has_no_variable("statusAktivasi")
    assert sorted(str(j.variables["sistem"]) for j in workers.jobs("aktifkan-akun")) == [
        "SPSE",
        "SiPRAJA",
        "SiRUP",
    ]
    [buat_akun] = workers.jobs("buat-akun")
    assert buat_akun.custom_headers == {"peran": "PPBJ", "status": "PENDING"}


async def test_pendaftaran_akun_ppbj_each_review_starts_empty_and_needs_a_result(
    gw: Driver, engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """Row 6, the Admin PPE's review: a second review does not inherit the first review's checklist or notes (the
    task's form starts empty), and a completion without one of the form's two results does not silently mean
    "Tidak": the gateway raises an incident and the process waits until the answer is corrected."""
    await zeebe_client.deploy_resource(SOP2, FORM)
    nomor = "PPBJ-2025-000778"
    penetapan: dict[str, Any] = {
        "dokumenPenetapan": {
            "jenis": "SK",
            "dokumenId": "dok-sk-2",
            "sha256": "e" * 64,
            "ukuran": 2048,
            "tipe": "application/pdf",
        },
        "tautanPemeriksaan": f"https://pbj.example.go.id/pemeriksaan/{nomor}",
    }

    async with running(zeebe_channel, RESULTS, engine):
        pi = (await zeebe_client.run_process("pendaftaranAkunPpbj", {"nomorPendaftaran": nomor})).process_instance_key
        await engine.wait_for_idle()
        await zeebe_client.publish_message("identitas-ppbj-diisi", nomor, {"nikTersamar": "6171**********01"})
        await engine.wait_for_idle()

        async def review() -> dict[str, Any]:
            await zeebe_client.publish_message("informasi-ppbj-dilengkapi", nomor, penetapan)
            await engine.wait_for_idle()
            [task] = await gw.search_user_tasks(processInstanceKey=str(pi), state="CREATED")
            return task

        first = await review()
        await gw.complete_user_task(
            first["userTaskKey"],
            {
                "hasilPemeriksaan": "belum-lengkap",
                "butirPemeriksaan": ["dokumen-terbaca"],
                "catatanPemeriksaan": "SK penetapan belum ditandatangani pejabat yang berwenang.",
            },
        )
        await engine.wait_for_idle()
        engine.assert_that(pi).is_waiting_exactly_at("LengkapiInformasiPpbjReceiveTask").has_passed(
            "KirimKekuranganInformasiTask"
        ).has_variable("informasiLengkap", False).has_variable("butirPemeriksaan", ["dokumen-terbaca"])

        second = await review()
        own = engine.variables(int(second["elementInstanceKey"]))
        answers = {name: value for name, value in own.items() if not name.startswith("sla")}
        assert answers == {"hasilPemeriksaan": None, "butirPemeriksaan": None, "catatanPemeriksaan": None}
        assert set(own) - set(answers) == {"slaMulai", "slaBatasWaktu", "slaBatasWaktuKerja"}  # the step's deadline
        await gw.complete_user_task(second["userTaskKey"], {"butirPemeriksaan": ["dokumen-terbaca"]})
        await engine.wait_for_idle()
        [incident] = engine.incidents(pi)
        assert incident.element_id == "InformasiLengkapGateway"
        engine.assert_that(pi).has_variable("informasiLengkap", None).has_not_passed("KirimInformasiAkunAktifTask")
        assert engine.assert_that(pi).variables()["catatanPemeriksaan"] is None

        await gw.set_variables(pi, {"informasiLengkap": True})
        await gw.resolve(incident.key)
        await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_passed("AkunPpbjAktifEndEvent").has_passed(
        "PeriksaInformasiPpbjUserTask", times=2
    )
