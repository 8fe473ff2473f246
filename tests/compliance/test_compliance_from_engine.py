"""The compliance figures read from a real run: SOP 1's committed diagram on the embedded engine, fourteen requests
started over gRPC on a Monday morning in Kalimantan Timur, their jobs completed at known instants of the engine's
clock, and the report built from what `/v2` serves – every element instance of the process through the search's
pages, the standards from the deployed XML, the request numbers from the variables."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.testing import EmbeddedEngine
from pbj.commands.rest import PAGE_SIZE, CamundaRest
from pbj.commands.settings import CommandSettings
from pbj.compliance import Period, fetch_report, minutes
from tests.engine.bpmn_harness import Driver, gw_fixture  # noqa: F401 - the gw fixture
from workers.domain import WITA, RequestKind
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SOP1 = ROOT / "bpmn" / "registrasi-admin-ppe.bpmn"
MONDAY_0800 = datetime(2026, 3, 2, 8, 0, tzinfo=WITA)
REQUESTS = 14


async def test_figures_from_the_engines_history(engine: EmbeddedEngine, gw: Driver) -> None:
    """Row 2 done by seven requests in 6 minutes and by six in 12 (their SLA timers fire at 10), one request still
    waiting there; row 5 done in 26 and 20 minutes; rows 6–8 at once. The figures: row 2 done 13, median 6, p90 12,
    7 within, 7 breaches with the one still running; row 5 median 26, all within; 13 requests done in 32 working
    minutes, 7 without a breach, one running over."""
    engine.engine.clock.pin(MONDAY_0800.astimezone(UTC))
    await gw.deploy(("registrasi-admin-ppe.bpmn", SOP1.read_bytes()))
    keys = [await gw.start("registrasiAdminPpe", {"nomorPermohonan": f"ADM-2026-{n:06d}"}) for n in range(REQUESTS)]
    await engine.wait_for_idle()

    complete = {"berkasLengkap": True, "kekuranganBerkas": []}
    await engine.increase_time(timedelta(minutes=6))
    for job in await gw.activate("periksa-kelengkapan-berkas", max_jobs=7):
        await gw.complete(job, complete)
    await engine.wait_for_idle()

    await engine.increase_time(timedelta(minutes=6))  # the SLA timers of the other seven fired at 10 minutes
    await engine.wait_for_idle()
    for job in await gw.activate("periksa-kelengkapan-berkas", max_jobs=6):
        await gw.complete(job, complete)
    assert await gw.complete_all("kirim-notifikasi-sla") == 7
    await engine.wait_for_idle()

    await engine.increase_time(timedelta(minutes=20))
    assert await gw.complete_all("buat-akun", {"idAkun": "akun-0001", "statusAkun": "ACTIVE"}) == 13
    await engine.wait_for_idle()
    for _ in ("KirimInformasiAkunTask", "SampaikanAkunKeAdminPpeTask"):
        assert await gw.complete_all("kirim-email") == 13
        await engine.wait_for_idle()
    assert await gw.complete_all("arsipkan-dokumen", {"nomorArsip": "ARSIP-2026-0001"}) == 13
    await engine.wait_for_idle()
    [waiting] = [key for key in keys if engine.process_instance(key).state != "COMPLETED"]
    engine.assert_that(waiting).is_waiting_at("PeriksaKelengkapanBerkasTask")

    settings = CommandSettings.from_env({"CAMUNDA_REST_ADDRESS": engine.rest_url})
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.ADMIN_PPE)
    async with CamundaRest(settings) as rest:
        history = await rest.search("element-instances", {"processDefinitionId": "registrasiAdminPpe"})
        assert len(history) > PAGE_SIZE  # the report reads past the first page
        report = await fetch_report(
            rest, RequestKind.ADMIN_PPE, calendar, Period(date(2026, 3, 2), date(2026, 3, 2)), engine.current_time
        )

    rows = {step.row: step.figures for step in report.steps}
    assert list(rows) == [2, 3, 5, 6, 7, 8]
    row2 = rows[2]
    assert (row2.done, row2.within, minutes(row2.median), minutes(row2.p90)) == (13, 7, 6, 12)
    assert row2.share_within == pytest.approx(7 / 13)
    assert (row2.running, row2.running_over, row2.breaches) == (1, 1, 7)
    row5 = rows[5]
    assert (row5.done, row5.within, minutes(row5.median), minutes(row5.p90), row5.breaches) == (13, 13, 26, 26, 0)
    for row in (6, 7, 8):
        assert (rows[row].done, rows[row].within, minutes(rows[row].median)) == (13, 13, 0)
    assert (rows[3].done, rows[3].running) == (0, 0)

    summary = report.request_figures
    assert (summary.done, summary.within, minutes(summary.median), minutes(summary.p90)) == (13, 7, 32, 32)
    assert (summary.running, summary.running_over, summary.breaches) == (1, 1, 7)
    assert sorted(request.number or "" for request in report.requests) == [f"ADM-2026-{n:06d}" for n in range(REQUESTS)]
    [running] = [request for request in report.requests if not request.done]
    assert running.process_instance_key == str(waiting)
    assert (minutes(running.working_time), running.breaches) == (32, 1)
