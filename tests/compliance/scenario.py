"""A scripted run of SOP 1 on the embedded engine with known durations, shared by the compliance tests (the figures
from `/v2`) and the report page's browser test: fourteen requests started over gRPC on Monday 2 March 2026 at 08:00
WITA, their jobs completed at known instants of the engine's clock – row 2 done by seven requests in 6 minutes and by
six in 12 (their SLA timers fire at 10), one request still waiting there; row 5 done in 26 and 20 minutes; rows 6–8
at once. The figures for that Monday: row 2 done 13, median 6, p90 12, 7 within, 7 breaches with the one still
running; row 5 median 26, all within; 13 requests done in 32 working minutes, 7 without a breach, one running over."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver
from workers.domain import WITA, RequestKind
from workers.working_time import WorkingTimeSettings, instant, timer_date

ROOT = Path(__file__).resolve().parents[2]
SOP1 = ROOT / "bpmn" / "registrasi-admin-ppe.bpmn"
MONDAY_0800 = datetime(2026, 3, 2, 8, 0, tzinfo=WITA)
REQUESTS = 14


def number(n: int) -> str:
    """The request number of the n-th scripted request."""
    return f"ADM-2026-{n:06d}"


DEADLINES = WorkingTimeSettings().calendar(RequestKind.ADMIN_PPE)
"""Kalimantan Timur's working calendar with the default office hours: what `hitung-batas-waktu-sla` counts in."""


async def settle(engine: EmbeddedEngine, gw: Driver) -> None:
    """Wait until the engine is idle, answering every timed step's start listener (`hitung-batas-waktu-sla`) as its
    worker does: the step's deadline in working time, for its SLA timer."""
    await engine.wait_for_idle()
    while jobs := await gw.activate("hitung-batas-waktu-sla", fetch=("slaMulai", "slaBatasWaktu")):
        for job in jobs:
            variables = json.loads(job.variables)
            deadline = DEADLINES.deadline(instant(variables["slaMulai"]), variables["slaBatasWaktu"])
            await gw.complete(job, {"slaBatasWaktuKerja": timer_date(deadline)})
        await engine.wait_for_idle()


async def run_monday(engine: EmbeddedEngine, gw: Driver) -> tuple[list[int], int]:
    """Run the scripted Monday; the process instance keys, and the one still waiting at row 2."""
    engine.engine.clock.pin(MONDAY_0800.astimezone(UTC))
    await gw.deploy(("registrasi-admin-ppe.bpmn", SOP1.read_bytes()))
    keys = [await gw.start("registrasiAdminPpe", {"nomorPermohonan": number(n)}) for n in range(REQUESTS)]
    await settle(engine, gw)

    complete = {"berkasLengkap": True, "kekuranganBerkas": []}
    await engine.increase_time(timedelta(minutes=6))
    for job in await gw.activate("periksa-kelengkapan-berkas", max_jobs=7):
        await gw.complete(job, complete)
    await settle(engine, gw)

    await engine.increase_time(timedelta(minutes=6))  # the SLA timers of the other seven fired at 10 minutes
    await settle(engine, gw)
    for job in await gw.activate("periksa-kelengkapan-berkas", max_jobs=6):
        await gw.complete(job, complete)
    assert await gw.complete_all("kirim-notifikasi-sla") == 7
    await settle(engine, gw)

    await engine.increase_time(timedelta(minutes=20))
    assert await gw.complete_all("buat-akun", {"idAkun": "akun-0001", "statusAkun": "ACTIVE"}) == 13
    await settle(engine, gw)
    for _ in ("KirimInformasiAkunTask", "SampaikanAkunKeAdminPpeTask"):
        assert await gw.complete_all("kirim-email") == 13
        await settle(engine, gw)
    assert await gw.complete_all("arsipkan-dokumen", {"nomorArsip": "ARSIP-2026-0001"}) == 13
    await settle(engine, gw)
    [waiting] = [key for key in keys if engine.process_instance(key).state != "COMPLETED"]
    engine.assert_that(waiting).is_waiting_at("PeriksaKelengkapanBerkasTask")
    return keys, waiting
