"""A scripted run of SOP 1 on the embedded engine with known durations, shared by the compliance tests (the figures
from `/v2`) and the report page's browser test: fourteen requests started over gRPC on Monday 2 March 2026 at 08:00
WITA, their jobs completed at known instants of the engine's clock – row 2 done by seven requests in 6 minutes and by
six in 12 (their SLA timers fire at 10), one request still waiting there; row 5 done in 26 and 20 minutes; rows 6–8
at once. The figures for that Monday: row 2 done 13, median 6, p90 12, 7 within, 7 breaches with the one still
running; row 5 median 26, all within; 13 requests done in 32 working minutes, 7 without a breach, one running over.

SOP 2 row 7 (`run_activations`): four registrations reach the activation on the same Monday at 08:00 WIB (started
at the sub-process that times it, `AktifkanAkunPpbjSubProcess`); two are activated on SiRUP, SPSE and SiPRAJA in 3
minutes, one in 6 (its SLA timer fired at 5), one still waits past its standard. Row 7's figures: done 3, median 3,
p90 5.4, 2 within, 2 breaches with the one still running."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver
from workers.domain import WIB, WITA, RequestKind
from workers.working_time import WorkingTimeSettings, instant, timer_date

ROOT = Path(__file__).resolve().parents[2]
SOP1 = ROOT / "bpmn" / "registrasi-admin-ppe.bpmn"
SOP2 = ROOT / "bpmn" / "pendaftaran-akun-ppbj.bpmn"
MONDAY_0800 = datetime(2026, 3, 2, 8, 0, tzinfo=WITA)
MONDAY_0800_WIB = datetime(2026, 3, 2, 8, 0, tzinfo=WIB)
REQUESTS = 14
ACTIVATION = "AktifkanAkunPpbjSubProcess"


def number(n: int) -> str:
    """The request number of the n-th scripted request."""
    return f"ADM-2026-{n:06d}"


DEADLINES = {kind: WorkingTimeSettings().calendar(kind) for kind in RequestKind}
"""Each province's working calendar with the default office hours: what `hitung-batas-waktu-sla` counts in."""


async def settle(engine: EmbeddedEngine, gw: Driver) -> None:
    """Wait until the engine is idle, answering every timed step's start listener (`hitung-batas-waktu-sla`) as its
    worker does: the step's deadline in working time of its SOP's province, for its SLA timer."""
    await engine.wait_for_idle()
    fetch = ("slaMulai", "slaBatasWaktu", "nomorPendaftaran")
    while jobs := await gw.activate("hitung-batas-waktu-sla", fetch=fetch):
        for job in jobs:
            variables = json.loads(job.variables)
            calendar = DEADLINES[RequestKind.PPBJ if "nomorPendaftaran" in variables else RequestKind.ADMIN_PPE]
            deadline = calendar.deadline(instant(variables["slaMulai"]), variables["slaBatasWaktu"])
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


def registration(n: int) -> str:
    """The registration number of the n-th scripted activation."""
    return f"PPBJ-2026-{n:06d}"


async def run_activations(engine: EmbeddedEngine, gw: Driver) -> list[int]:
    """Run SOP 2 row 7's scripted Monday; the process instance keys: activated in 3, 3 and 6 minutes, still waiting."""
    engine.engine.clock.pin(MONDAY_0800_WIB.astimezone(UTC))
    await gw.deploy(("pendaftaran-akun-ppbj.bpmn", SOP2.read_bytes()))
    keys = []
    for n in range(4):
        answer = await gw.stub.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(
                bpmnProcessId="pendaftaranAkunPpbj",
                version=-1,
                variables=json.dumps({"nomorPendaftaran": registration(n)}),
                startInstructions=[pb.ProcessInstanceCreationStartInstruction(elementId=ACTIVATION)],
            )
        )
        keys.append(int(answer.processInstanceKey))
    await settle(engine, gw)

    async def activate(*chosen: int) -> None:
        """Activate the chosen registrations on their three systems; the others' jobs go back (untouched)."""
        jobs = await gw.activate("aktifkan-akun", fetch=("sistem",))
        for job in jobs:
            if job.processInstanceKey not in chosen:
                await gw.stub.FailJob(pb.FailJobRequest(jobKey=job.key, retries=job.retries, retryBackOff=0))
                continue
            system = json.loads(job.variables)["sistem"]
            await gw.complete(job, {"statusAktivasi": {"sistem": system, "status": "ACTIVE", "idAkunSistem": "x"}})
        assert sum(job.processInstanceKey in chosen for job in jobs) == 3 * len(chosen)  # one job per system
        await settle(engine, gw)
        assert await gw.complete_all("kirim-email") == len(chosen)
        await settle(engine, gw)

    await engine.increase_time(timedelta(minutes=3))
    await activate(*keys[:2])
    await engine.increase_time(timedelta(minutes=3))  # the SLA timers of the other two fired at 5 minutes
    await settle(engine, gw)
    assert await gw.complete_all("kirim-notifikasi-sla") == 2
    await settle(engine, gw)
    await activate(keys[2])
    for key in keys[:3]:
        engine.assert_that(key).is_completed()
    engine.assert_that(keys[3]).is_waiting_at(ACTIVATION)
    return keys
