"""Conformance: the clock of the Orchestration Cluster REST API – `PUT /v2/clock` (pin) and `POST /v2/clock/reset`
– with Camunda 8.8's shapes and RFC 9457 problems, driven with aiohttp's client against processes run through the
gRPC gateway; refused outside test mode."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import grpc
import pytest

from engine.clock import to_millis
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process
from tests.engine.bpmn_harness import catch, timer
from tests.engine.rpc_helpers import create, stub

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def sla_timer_process() -> bytes:
    """start → Wait (timer catch event, PT1H) → end."""
    return process(
        "slaTimer",
        '<bpmn:startEvent id="Start" />'
        + catch("WaitAnHour", timer("timeDuration", "PT1H"))
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "WaitAnHour", "End"),
    )


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    engine.engine.deploy([("sla.bpmn", sla_timer_process())])
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


@pytest.fixture
def gateway(zeebe_channel: grpc.aio.Channel) -> Any:
    return stub(zeebe_channel)


async def problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """Checks an RFC 9457 problem answer and returns it."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert (body["status"], body["instance"]) == (status, response.url.path)
    assert body["title"]
    assert body["detail"]
    return body


async def pin(http: aiohttp.ClientSession, moment: datetime) -> None:
    async with http.put("/v2/clock", json={"timestamp": to_millis(moment)}) as response:
        assert response.status == 204, await response.text()


# ---------------------------------------------------------------------- clock
async def test_pinning_the_clock_past_a_timer_fires_it(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """PUT /v2/clock answers 204 and freezes the engine's time there; pinning before the timer is due leaves it,
    pinning past it fires it and the instance completes."""
    await pin(http, T0)
    waiting = await create(gateway, "slaTimer")
    await pin(http, T0 + timedelta(minutes=59))
    assert engine.current_time == T0 + timedelta(minutes=59)
    engine.assert_that(waiting).is_waiting_at("WaitAnHour")
    await pin(http, T0 + timedelta(hours=1, seconds=1))
    engine.assert_that(waiting).has_passed("WaitAnHour").is_completed()
    [wait] = engine.element_instances(waiting, "WaitAnHour")
    assert wait.ended_at == T0 + timedelta(hours=1, seconds=1)


async def test_reset_returns_the_clock_to_real_time(engine: EmbeddedEngine, http: aiohttp.ClientSession) -> None:
    """POST /v2/clock/reset answers 204 and the engine's time is real time again."""
    await pin(http, T0)
    async with http.post("/v2/clock/reset") as response:
        assert response.status == 204, await response.text()
    assert abs(engine.current_time - datetime.now(UTC)) < timedelta(minutes=1)


async def test_bad_pins_are_400_problems(engine: EmbeddedEngine, http: aiohttp.ClientSession) -> None:
    """A missing, negative or non-integer timestamp answers 400 naming it, and the clock does not move."""
    await pin(http, T0)
    for body in ({}, {"timestamp": -1}, {"timestamp": "2025-03-03T08:00:00Z"}, {"timestamp": True}):
        async with http.put("/v2/clock", json=body) as response:
            assert "timestamp" in (await problem(response, 400))["detail"], body
    assert engine.current_time == T0


async def test_the_clock_cannot_be_moved_outside_test_mode() -> None:
    """An engine without a controlled clock answers the clock endpoints with a 403 problem saying it is not in
    test mode; its time stays real."""
    async with (
        EmbeddedEngine(controlled_clock=False) as engine,
        aiohttp.ClientSession(base_url=engine.rest_url) as http,
    ):
        async with http.put("/v2/clock", json={"timestamp": to_millis(T0)}) as response:
            assert "not controlled" in (await problem(response, 403))["detail"]
        async with http.post("/v2/clock/reset") as response:
            assert "not controlled" in (await problem(response, 403))["detail"]
        assert abs(engine.current_time - datetime.now(UTC)) < timedelta(minutes=1)
