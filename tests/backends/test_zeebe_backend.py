"""The Zeebe backend's own logic without Docker: its REST calls (clock pinning, searches, idleness, cancelling what a
test left active) against the embedded engine, which serves the same `/v2` endpoints and, like Camunda with
`ZEEBE_CLOCK_CONTROLLED=true`, a clock that runs in real time until `PUT /v2/clock` pins it; plus how the containers
are chosen and how a missing Docker engine is reported."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.backends.backend import (
    BUSY_QUIET_FACTOR,
    COMPOSE_ENV,
    CamundaContainers,
    StandIn,
    ZeebeBackend,
    _partition_healthy,
    compose_versions,
    docker_problem,
    eventually,
)
from tests.workers.harness import BPMN_DIR


@pytest.fixture
async def zeebe_backend(engine: EmbeddedEngine) -> AsyncIterator[ZeebeBackend]:
    """A ZeebeBackend whose 'cluster' is the embedded engine (quiet period shortened)."""
    async with ZeebeBackend(StandIn(engine), quiet=0.3) as backend:
        yield backend


TEN_MINUTES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="SepuluhMenit" \
targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="tungguSepuluhMenit" isExecutable="true">
    <bpmn:startEvent id="MulaiEvent"><bpmn:outgoing>KeTunggu</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="KeTunggu" sourceRef="MulaiEvent" targetRef="TungguEvent"/>
    <bpmn:intermediateCatchEvent id="TungguEvent">
      <bpmn:incoming>KeTunggu</bpmn:incoming>
      <bpmn:outgoing>KeSelesai</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT10M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="KeSelesai" sourceRef="TungguEvent" targetRef="SelesaiEvent"/>
    <bpmn:endEvent id="SelesaiEvent"><bpmn:incoming>KeSelesai</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
"""A process that waits ten minutes of wall-clock time (the SOPs' SLA timers count working time: their instant
depends on the time of day)."""


async def test_time_moves_by_pinning_the_clock_through_rest(
    zeebe_backend: ZeebeBackend, engine: EmbeddedEngine, zeebe_client: ZeebeClient, tmp_path: Path
) -> None:
    """increase_time pins the clock `delta` after now, then after the last pin; a 10-minute timer fires at 10."""
    diagram = tmp_path / "tunggu-sepuluh-menit.bpmn"
    diagram.write_text(TEN_MINUTES, encoding="utf-8")
    await zeebe_backend.deploy(diagram)
    pi = (await zeebe_client.run_process("tungguSepuluhMenit", {})).process_instance_key
    before = datetime.now(UTC)
    await zeebe_backend.increase_time(timedelta(minutes=9))
    first_pin = zeebe_backend.containers.pinned
    assert first_pin is not None
    assert (
        before + timedelta(minutes=9) - timedelta(milliseconds=1)
        <= first_pin
        <= datetime.now(UTC) + timedelta(minutes=9)
    )
    assert engine.current_time == first_pin
    assert not await zeebe_backend.search_element_instances(processInstanceKey=str(pi), elementId="SelesaiEvent")

    await zeebe_backend.increase_time(timedelta(minutes=2))
    assert engine.current_time == first_pin + timedelta(minutes=2)
    [end] = await eventually(
        lambda: zeebe_backend.search_element_instances(processInstanceKey=str(pi), elementId="SelesaiEvent"),
        bool,
    )
    assert end["state"] == "COMPLETED"


async def test_pinning_the_clock_sets_the_time_the_tests_read(
    zeebe_backend: ZeebeBackend, engine: EmbeddedEngine
) -> None:
    """pin_clock pins the engine over REST and current_time (the workers' clock in a test) follows, to the ms; time
    then moves on from the pin, backwards included (a shared Camunda starts each test at the same moment)."""
    moment = datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC)
    await zeebe_backend.pin_clock(moment)
    assert zeebe_backend.current_time == engine.current_time == moment.replace(microsecond=123000)
    await zeebe_backend.increase_time(timedelta(days=14))
    assert engine.current_time == zeebe_backend.current_time == datetime(2026, 3, 16, 1, 0, 0, 123000, tzinfo=UTC)
    await zeebe_backend.pin_clock(moment.replace(microsecond=0))
    assert engine.current_time == zeebe_backend.current_time == moment.replace(microsecond=0)


async def test_the_instance_snapshot_reads_the_searches(
    zeebe_backend: ZeebeBackend, engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """instance(), variables() and active_element_ids() answer what the embedded engine's own assertions see."""
    await zeebe_backend.deploy(BPMN_DIR)
    pi = (
        await zeebe_client.run_process("registrasiAdminPpe", {"nomorPermohonan": "ADM-2026-900007"})
    ).process_instance_key
    await zeebe_backend.wait_for_workers(["periksa-kelengkapan-berkas"])  # Camunda cannot tell: returns at once
    await zeebe_backend.wait_for_idle()

    state = await zeebe_backend.instance(pi)
    state.is_active().is_waiting_exactly_at("PeriksaKelengkapanBerkasTask").has_passed(
        "PermohonanDiajukanStartEvent"
    ).has_variable("nomorPermohonan", "ADM-2026-900007").has_no_incidents()
    own = engine.assert_that(pi)
    assert state.active_elements() == own.active_elements() == await zeebe_backend.active_element_ids(pi)
    assert state.passed_elements() == own.passed_elements()
    assert state.variables == own.variables() == await zeebe_backend.variables(pi)
    with pytest.raises(AssertionError, match="expected the instance to be completed, but process instance"):
        state.is_completed()


async def test_leaving_cancels_the_instances_still_active(engine: EmbeddedEngine, zeebe_client: ZeebeClient) -> None:
    """When a test's backend closes, every root instance still active is cancelled: the next test starts clean."""
    async with ZeebeBackend(StandIn(engine), quiet=0.3) as backend:
        await backend.deploy(BPMN_DIR)
        for number in ("ADM-2026-900004", "ADM-2026-900005"):
            await zeebe_client.run_process("registrasiAdminPpe", {"nomorPermohonan": number})
        assert len(await backend.search_process_instances(state="ACTIVE")) == 2
    assert {p.state for p in engine.process_instances()} == {"TERMINATED"}


async def test_idle_means_the_searches_stay_unchanged_for_the_quiet_period(
    zeebe_backend: ZeebeBackend, engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """wait_for_idle returns once the element-instance and incident searches stop changing, not before."""
    await zeebe_backend.deploy(BPMN_DIR)
    await zeebe_client.run_process("registrasiAdminPpe", {"nomorPermohonan": "ADM-2026-900006"})
    loop = asyncio.get_running_loop()
    started = loop.time()
    await zeebe_backend.wait_for_idle()
    assert loop.time() - started >= zeebe_backend.quiet


async def test_a_job_a_served_worker_may_be_at_keeps_it_busy_longer(
    zeebe_backend: ZeebeBackend, engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """The job types come from the deployed XML; while an active step's job is of a served type, idle takes five
    quiet periods (a worker may be at it), and one when its type is not served."""
    await zeebe_backend.deploy(BPMN_DIR)
    pi = (
        await zeebe_client.run_process("registrasiAdminPpe", {"nomorPermohonan": "ADM-2026-900008"})
    ).process_instance_key
    [step] = await eventually(
        lambda: zeebe_backend.search_element_instances(processInstanceKey=str(pi), state="ACTIVE"), bool
    )
    types = await zeebe_backend.job_types(step["processDefinitionKey"])
    assert types[step["elementId"]] == "periksa-kelengkapan-berkas"
    assert types["KirimNotifikasiSlaTask"] == "kirim-notifikasi-sla"
    loop = asyncio.get_running_loop()
    started = loop.time()
    await zeebe_backend.wait_for_idle(served=["periksa-kelengkapan-berkas"])
    assert loop.time() - started >= BUSY_QUIET_FACTOR * zeebe_backend.quiet
    started = loop.time()
    await zeebe_backend.wait_for_idle(served=["kirim-email"])
    assert loop.time() - started >= zeebe_backend.quiet


def test_containers_use_the_image_tags_of_compose_env() -> None:
    """The Camunda and Elasticsearch tags are compose.env's, so tests and the production stack run the same 8.8."""
    versions = compose_versions(COMPOSE_ENV)
    containers = CamundaContainers.from_compose_env()
    assert containers.camunda_version == versions["CAMUNDA_VERSION"]
    assert containers.camunda_version.startswith("8.8.")
    assert containers.elasticsearch_version == versions["ELASTICSEARCH_VERSION"]


async def test_readiness_reads_a_healthy_leader_of_partition_1(engine: EmbeddedEngine) -> None:
    """The topology predicate accepts a healthy leader of partition 1 (the embedded answer) and nothing less."""
    async with aiohttp.ClientSession() as http, http.get(f"{engine.rest_url}/v2/topology") as response:
        assert _partition_healthy(await response.text())
    assert not _partition_healthy('{"brokers": [{"partitions": [{"partitionId": 1, "role": "follower"}]}]}')
    assert not _partition_healthy("not json")


def test_a_missing_docker_engine_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """With DOCKER_HOST pointing nowhere, the reason the zeebe tests give is a single line."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    problem = docker_problem()
    assert problem is not None
    assert "\n" not in problem
