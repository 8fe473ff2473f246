"""The server's scheduler on the real clock: woken only when something falls due earlier than what it sleeps
towards (not after every command), it still fires each timer when it is due. What is due is kept without the
entries that no longer count, and what still counts fires."""

import asyncio
from datetime import timedelta

from engine.clock import Clock
from engine.engine import Engine
from engine.state import JobState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, simple_service_process
from tests.engine.bpmn_harness import bpmn, catch, end, flow, service, start, sub_process, timer


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


STOP_BOUND_SECONDS = 20.0  # a stop takes milliseconds; a scheduler that missed its cancellation sleeps for ever


def with_reminder(process_id: str) -> bytes:
    """start → Work (a service task), with a non-interrupting timer event sub-process reminding after an hour."""
    return bpmn(
        process_id,
        start("Start"),
        service("Work", "work"),
        chain("Start", "Work"),
        sub_process(
            "Reminder",
            start("RemindStart", timer("timeDuration", "PT1H"), attrs='isInterrupting="false"')
            + end("RemindEnd")
            + chain("RemindStart", "RemindEnd"),
            event=True,
        ),
    )


async def test_a_server_no_client_connected_to_stops_right_after_a_timer_was_opened() -> None:
    """An instance created in process (no gRPC client ever connected) opens its event sub-process's timer, which
    wakes the scheduler; the server is stopped before the scheduler ran again. The stop returns (it once waited for
    ever: the scheduler's cancellation was lost when it arrived together with the wake-up)."""
    engine = EmbeddedEngine()
    await engine.server.start()
    engine.engine.deploy([("reminder.bpmn", with_reminder("reminder"))])
    await asyncio.sleep(0.01)  # the loop runs what is ready first: the scheduler is asleep afterwards
    key = engine.engine.create_process_instance(bpmn_process_id="reminder").key
    # bounded by asyncio.wait rather than wait_for: a stop that swallowed wait_for's cancellation would return late
    # and pass
    stopping = asyncio.ensure_future(engine.server.stop(grace=0.2))
    done, _ = await asyncio.wait({stopping}, timeout=STOP_BOUND_SECONDS)
    assert stopping in done, f"the server did not stop within {STOP_BOUND_SECONDS} s"
    stopping.result()
    assert len(engine.engine.timers_of(key)) == 1  # the timer still waits: stopping the server changes no state


def test_completed_jobs_leave_no_deadlines_behind_and_a_live_one_still_times_out() -> None:
    """3,000 jobs, 100 at a time, activated with a one-minute time-out and completed, one left at its worker: the
    engine's due heap stays near what is live (not the deadlines of every completed job until their minute is
    over); a minute later the one left times out and can be activated again."""
    engine = Engine(clock=Clock(controlled=True))
    engine.deploy([("simple.bpmn", simple_service_process())])
    engine.create_process_instance(bpmn_process_id="simple")
    [left] = [a.job.key for a in engine.activate_jobs("do-work", "slow", 60_000, 1, [])]
    for _ in range(30):
        for _ in range(100):
            engine.create_process_instance(bpmn_process_id="simple")
        for activated in engine.activate_jobs("do-work", "quick", 60_000, 100, []):
            engine.complete_job(activated.job.key, {})
    assert len(engine.state.due.heap) < 2048  # the size of the heap is what this test is about

    engine.clock.increase(timedelta(seconds=61))
    engine.process_due()
    assert engine.jobs[left].state is JobState.ACTIVATABLE
    assert [r.key for r in engine.records if r.intent == "TIMED_OUT"] == [left]
    assert [a.job.key for a in engine.activate_jobs("do-work", "again", 60_000, 10, [])] == [left]
