"""`hitung-batas-waktu-sla` over the embedded engine, in virtual time: the worker computes a step's deadline in the
province's working calendar and a timer with `timeDate` = that deadline falls due at exactly that instant – not a
second earlier – across a weekend, national holidays with cuti bersama, and the end of a working day, in WITA for
SOP 1 (Kalimantan Timur) and WIB for SOP 2 (Kalimantan Barat)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.workers.harness import running_worker
from workers.domain import WIB, WITA
from workers.services import Services

DIAGRAM = Path(__file__).parent / "diagrams" / "batas-waktu-kerja.bpmn"
WITH_START = "batasWaktuKerja"
WITHOUT_START = "batasWaktuKerjaTanpaMulai"


async def run_until_due(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    *,
    process_id: str,
    started: datetime,
    variables: dict[str, str],
) -> tuple[int, str]:
    """Start the step at `started` (the engine's clock pinned there), let the worker compute the deadline; the
    instance key and `slaBatasWaktuKerja`."""
    engine.engine.clock.pin(started.astimezone(UTC))
    engine.deploy(DIAGRAM)
    async with running_worker(zeebe_channel, services):
        pi = (await zeebe_client.run_process(process_id, variables)).process_instance_key
        await engine.wait_for_idle()
    engine.assert_that(pi).is_waiting_exactly_at(timer_of(pi, engine))
    deadline = engine.variables(pi)["slaBatasWaktuKerja"]
    return pi, deadline


def timer_of(pi: int, engine: EmbeddedEngine) -> str:
    """The timer event's id in the instance's process."""
    return "BatasWaktuTimerEvent" if engine.process_instance(pi).bpmn_process_id == WITH_START else "TimerEvent"


async def assert_due_exactly_at(engine: EmbeddedEngine, pi: int, due: datetime) -> None:
    """The timer has not fired a second before `due` and has fired at `due`."""
    await engine.increase_time(due - engine.current_time - timedelta(seconds=1))
    await engine.wait_for_idle()
    engine.assert_that(pi).is_active().is_waiting_exactly_at(timer_of(pi, engine))
    await engine.increase_time(timedelta(seconds=1))
    await engine.wait_for_idle()
    engine.assert_that(pi).is_completed()
    assert engine.current_time == due


@pytest.mark.parametrize(
    ("number", "standard", "started", "expected"),
    [
        pytest.param(
            {"nomorPermohonan": "ADM-2026-000101"},
            "PT10M",
            datetime(2026, 3, 6, 16, 25, tzinfo=WITA),
            "2026-03-09T07:35:00+08:00",
            id="SOP 1, Friday 16:25 WITA over the weekend",
        ),
        pytest.param(
            {"nomorPermohonan": "ADM-2026-000102"},
            "PT10M",
            datetime(2026, 3, 17, 15, 55, tzinfo=WITA),
            "2026-03-25T07:35:00+08:00",
            id="SOP 1, Nyepi and Idul Fitri with their cuti bersama",
        ),
        pytest.param(
            {"nomorPendaftaran": "PPBJ-2026-000201"},
            "PT15M",
            datetime(2026, 3, 2, 15, 50, tzinfo=WIB),
            "2026-03-03T07:35:00+07:00",
            id="SOP 2, end of Monday in WIB",
        ),
        pytest.param(
            {"nomorPendaftaran": "PPBJ-2026-000202"},
            "PT30M",
            datetime(2026, 5, 13, 15, 50, tzinfo=WIB),
            "2026-05-18T07:50:00+07:00",
            id="SOP 2, Kenaikan Yesus Kristus and its cuti bersama",
        ),
    ],
)
async def test_the_sla_timer_falls_due_at_the_working_time_deadline(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    number: dict[str, str],
    standard: str,
    started: datetime,
    expected: str,
) -> None:
    """The deadline is the province's working time after the start (the step's `slaMulai`, the engine's `now()`),
    written with the province's offset; the timer fires exactly then."""
    pi, deadline = await run_until_due(
        engine,
        zeebe_client,
        zeebe_channel,
        services,
        process_id=WITH_START,
        started=started,
        variables={**number, "waktuStandar": standard},
    )
    assert deadline == expected
    await assert_due_exactly_at(engine, pi, datetime.fromisoformat(expected))


async def test_without_a_start_variable_the_jobs_activation_is_the_start(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel, services: Services
) -> None:
    """A step without `slaMulai` counts from the instant the engine activated the job (its deadline less the time-out):
    Thursday 15:55 WITA with 10 minutes of SOP 1 is due Friday 07:35 WITA."""
    started = datetime(2026, 3, 5, 15, 55, tzinfo=WITA)
    pi, deadline = await run_until_due(
        engine,
        zeebe_client,
        zeebe_channel,
        services,
        process_id=WITHOUT_START,
        started=started,
        variables={"nomorPermohonan": "ADM-2026-000103", "waktuStandar": "PT10M"},
    )
    assert deadline == "2026-03-06T07:35:00+08:00"
    await assert_due_exactly_at(engine, pi, datetime(2026, 3, 6, 7, 35, tzinfo=WITA))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"nomorPermohonan": "ADM-2026-000104", "waktuStandar": "10 menit"}, "Waktu standar '10 menit' bukan durasi"),
        ({"waktuStandar": "PT10M"}, "nomorPermohonan atau nomorPendaftaran tidak tersedia"),
        (
            {"nomorPermohonan": "ADM-2026-000105", "nomorPendaftaran": "PPBJ-2026-000205", "waktuStandar": "PT10M"},
            "sekaligus",
        ),
    ],
)
async def test_bad_job_data_is_an_incident_in_indonesian(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    services: Services,
    variables: dict[str, str],
    message: str,
) -> None:
    """A malformed standard time or a missing or doubled request number cannot be retried into a deadline: the job
    fails with no retries left and the incident says why, naming the step."""
    engine.deploy(DIAGRAM)
    async with running_worker(zeebe_channel, services):
        pi = (await zeebe_client.run_process(WITH_START, variables)).process_instance_key
        await engine.wait_for_idle()
        for backoff in (5, 10):  # the workers' back-offs before the second and third attempt
            await engine.increase_time(timedelta(seconds=backoff))
            await engine.wait_for_idle()
    [incident] = engine.incidents(pi)
    assert message in incident.error_message
