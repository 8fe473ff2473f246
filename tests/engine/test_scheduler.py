"""The server's scheduler on the real clock: woken only when something falls due earlier than what it sleeps
towards (not after every command), it still fires each timer when it is due."""

import asyncio

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import bpmn, catch, end, flow, start, timer


def waiting(process_id: str, duration: str) -> bytes:
    """start → Wait (timer catch event) → end."""
    return bpmn(
        process_id,
        start("Start"),
        catch("Wait", timer("timeDuration", duration)),
        end("End"),
        flow("F1", "Start", "Wait"),
        flow("F2", "Wait", "End"),
    )


async def _completed(engine: EmbeddedEngine, key: int, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while engine.engine.process_instances[key].state != "COMPLETED":
        if loop.time() >= give_up:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_an_earlier_timer_wakes_the_sleeping_scheduler() -> None:
    """With the scheduler asleep towards a one-hour timer (it sleeps up to 30 s at a time), a 0.2 s timer created
    after it fires in time and its instance completes; the one-hour timer still waits."""
    async with EmbeddedEngine(controlled_clock=False) as engine:
        engine.engine.deploy([("slow.bpmn", waiting("slow", "PT1H")), ("quick.bpmn", waiting("quick", "PT0.2S"))])
        slow = engine.engine.create_process_instance(bpmn_process_id="slow").key
        await asyncio.sleep(0.05)  # the scheduler plans its sleep towards the hour
        for _ in range(3):  # again and again, each time while it sleeps towards the hour
            quick = engine.engine.create_process_instance(bpmn_process_id="quick").key
            assert await _completed(engine, quick)
        engine.assert_that(slow).is_waiting_at("Wait")
