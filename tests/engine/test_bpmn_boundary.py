"""BPMN conformance, boundary events: timers (interrupting and not; timeDuration, timeDate, timeCycle),
messages (interrupting and not) and errors thrown by a worker (matching code, catch-all, error variables)."""

from datetime import UTC, timedelta

import grpc
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    end,
    error,
    error_ref,
    ext,
    io,
    message,
    message_ref,
    multi_instance,
    service,
    start,
    timer,
)


def task_with_boundary(process_id: str, definition: str, *, interrupting: bool) -> tuple[str, ...]:
    """Start → Work (job `work`) → End, with boundary `Boundary` on Work → `Escalate` (job) → EscEnd."""
    return (
        process_id,
        start("Start"),
        service("Work", "work"),
        end("End"),
        boundary("Boundary", "Work", definition, interrupting=interrupting),
        service("Escalate", "escalate"),
        end("EscEnd"),
        chain("Start", "Work", "End"),
        chain("Boundary", "Escalate", "EscEnd"),
    )


# ---------------------------------------------------------------------------- timers
async def test_interrupting_timer_boundary_cancels_the_task_and_takes_its_path(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An interrupting timeDuration boundary fires at its time, terminates the task and cancels its job."""
    await gw.deploy_bpmn(*task_with_boundary("timerInt", timer("timeDuration", "PT1H"), interrupting=True))
    pi = await gw.start("timerInt")
    job = await gw.job("work")

    await engine.increase_time(timedelta(minutes=59))
    engine.assert_that(pi).is_waiting_exactly_at("Work")
    await engine.increase_time(timedelta(minutes=1))

    engine.assert_that(pi).has_terminated("Work").is_waiting_exactly_at("Escalate").has_passed("Boundary")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.complete(job)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


async def test_non_interrupting_timer_boundary_fires_once_and_the_task_keeps_waiting(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A non-interrupting timeDuration boundary fires once; the task and its job stay and complete later."""
    await gw.deploy_bpmn(*task_with_boundary("timerNonInt", timer("timeDuration", "PT10M"), interrupting=False))
    pi = await gw.start("timerNonInt")
    job = await gw.job("work")

    await engine.increase_time(timedelta(days=3))

    engine.assert_that(pi).is_waiting_exactly_at("Work", "Escalate").has_passed("Boundary", times=1)
    await gw.complete(job)
    await gw.complete(await gw.job("escalate"))
    engine.assert_that(pi).is_completed().has_passed("End", "EscEnd")


async def test_a_cycle_of_a_millisecond_fires_at_most_ten_times_a_second(gw: Driver, engine: EmbeddedEngine) -> None:
    """`R/PT0.001S` would fire a thousand times a second for ever; as in Zeebe (its timers are checked every
    100 ms) a cycle fires at most every MIN_CYCLE_INTERVAL: once per tick that finds it due, then 100 ms later.
    The clock is pinned: only the test moves it (real time passing on a loaded machine would fire it again)."""
    engine.engine.clock.pin(engine.engine.clock.now())
    await gw.deploy_bpmn(*task_with_boundary("rapid", timer("timeCycle", "R/PT0.001S"), interrupting=False))
    pi = await gw.start("rapid")
    await engine.increase_time(timedelta(seconds=1))
    assert len(engine.element_instances(pi, "Boundary")) == 1
    for _ in range(5):
        await engine.increase_time(timedelta(milliseconds=50))
    assert len(engine.element_instances(pi, "Boundary")) == 3  # at +1.1 s and +1.2 s
    engine.assert_that(pi).is_waiting_at("Work")


async def test_timer_boundary_with_a_time_date_fires_at_that_date(gw: Driver, engine: EmbeddedEngine) -> None:
    """An interrupting timeDate boundary (FEEL date-time from a variable) fires when the clock reaches it."""
    await gw.deploy_bpmn(
        *task_with_boundary("timerDate", timer("timeDate", "=date and time(deadline)"), interrupting=True)
    )
    deadline = (engine.current_time + timedelta(days=5)).astimezone(UTC).replace(microsecond=0)
    pi = await gw.start("timerDate", {"deadline": deadline.isoformat().replace("+00:00", "Z")})

    await engine.increase_time(timedelta(days=4, hours=23))
    engine.assert_that(pi).is_waiting_exactly_at("Work")
    await engine.increase_time(timedelta(hours=1))

    engine.assert_that(pi).has_terminated("Work").is_waiting_exactly_at("Escalate")


async def test_non_interrupting_cycle_boundary_fires_each_repetition_then_stops(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """R3/PT10M non-interrupting: over the next hour it fires exactly 3 times (10, 20, 30 min), no more."""
    await gw.deploy_bpmn(*task_with_boundary("timerCycle", timer("timeCycle", "R3/PT10M"), interrupting=False))
    pi = await gw.start("timerCycle")

    fired = []
    for _ in range(6):  # the hour passes in 10-minute steps
        await engine.increase_time(timedelta(minutes=10))
        fired.append(len(gw.element_keys(pi, "Boundary")))
    await engine.increase_time(timedelta(days=30))

    assert fired == [1, 2, 3, 3, 3, 3]
    engine.assert_that(pi).has_passed("Boundary", times=3).is_waiting_at("Work")
    assert len(await gw.activate("escalate")) == 3


async def test_cycle_boundary_overdue_after_a_long_jump_fires_once_and_reschedules_from_now(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Jumping 30 days past R3/PT10M fires it once (Zeebe fires an overdue cycle once and schedules the next
    one interval after now), the remaining repetitions follow every 10 minutes, and no more than 3."""
    await gw.deploy_bpmn(*task_with_boundary("timerJump", timer("timeCycle", "R3/PT10M"), interrupting=False))
    pi = await gw.start("timerJump")

    await engine.increase_time(timedelta(days=30))
    engine.assert_that(pi).has_passed("Boundary", times=1)
    await engine.increase_time(timedelta(minutes=9))
    engine.assert_that(pi).has_passed("Boundary", times=1)
    await engine.increase_time(timedelta(minutes=1))
    engine.assert_that(pi).has_passed("Boundary", times=2)
    await engine.increase_time(timedelta(days=30))
    await engine.increase_time(timedelta(days=30))

    engine.assert_that(pi).has_passed("Boundary", times=3).is_waiting_at("Work")


# ---------------------------------------------------------------------------- messages
CANCEL_MESSAGE = message("Msg_Cancel", "cancel-request", "=requestId")


async def test_interrupting_message_boundary_cancels_the_task(gw: Driver, engine: EmbeddedEngine) -> None:
    """An interrupting message boundary takes the message with its key, terminates the task, sets its vars."""
    await gw.deploy_bpmn(
        *task_with_boundary("msgInt", message_ref("Msg_Cancel"), interrupting=True), extra=CANCEL_MESSAGE
    )
    pi = await gw.start("msgInt", {"requestId": "R-1"})

    await gw.publish("cancel-request", "R-2", {"reason": "other"})
    engine.assert_that(pi).is_waiting_exactly_at("Work")
    await gw.publish("cancel-request", "R-1", {"reason": "withdrawn"})

    engine.assert_that(pi).has_terminated("Work").is_waiting_exactly_at("Escalate").has_variable("reason", "withdrawn")
    assert await gw.activate("work") == []


async def test_non_interrupting_message_boundary_fires_for_every_message(gw: Driver, engine: EmbeddedEngine) -> None:
    """A non-interrupting message boundary triggers once per published message; the task stays active."""
    await gw.deploy_bpmn(
        *task_with_boundary("msgNonInt", message_ref("Msg_Cancel"), interrupting=False), extra=CANCEL_MESSAGE
    )
    pi = await gw.start("msgNonInt", {"requestId": "R-1"})

    await gw.publish("cancel-request", "R-1", {"n": 1})
    await gw.publish("cancel-request", "R-1", {"n": 2})

    engine.assert_that(pi).has_passed("Boundary", times=2).is_waiting_at("Work").has_variable("n", 2)
    assert len(await gw.activate("escalate")) == 2
    await gw.complete(await gw.job("work"))
    engine.assert_that(pi).has_passed("End").is_waiting_exactly_at("Escalate", "Escalate")


# ---------------------------------------------------------------------------- errors thrown by workers
def error_process(process_id: str, *boundaries: str) -> tuple[str, ...]:
    return (
        process_id,
        start("Start"),
        service("Work", "work"),
        end("End"),
        *boundaries,
        chain("Start", "Work", "End"),
    )


async def test_error_boundary_catches_a_thrown_error_with_its_code(gw: Driver, engine: EmbeddedEngine) -> None:
    """ThrowError with a code is caught by the boundary with that code, not by the catch-all."""
    await gw.deploy_bpmn(
        *error_process(
            "errorCode",
            boundary("CatchRejected", "Work", error_ref("Err_Rejected")),
            boundary("CatchAny", "Work", error_ref()),
            end("RejectedEnd"),
            end("AnyEnd"),
            chain("CatchRejected", "RejectedEnd"),
            chain("CatchAny", "AnyEnd"),
        ),
        extra=error("Err_Rejected", "REJECTED") + error("Err_Other", "OTHER"),
    )
    pi = await gw.start("errorCode")

    await gw.throw_error(await gw.job("work"), "REJECTED", "not allowed")

    engine.assert_that(pi).is_completed().has_terminated("Work").has_passed("CatchRejected").has_not_passed(
        "CatchAny", "End"
    )


async def test_catch_all_error_boundary_maps_error_code_and_message_and_keeps_thrown_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A boundary without errorRef catches any code; its output mappings read errorCode and errorMessage."""
    await gw.deploy_bpmn(
        *error_process(
            "errorAny",
            '<bpmn:boundaryEvent id="CatchAny" attachedToRef="Work">'
            + ext(
                io(
                    outputs=(
                        ("=errorCode", "caughtCode"),
                        ("=errorMessage", "caughtMessage"),
                        ("=detail", "d"),
                    )
                )
            )
            + error_ref()
            + "</bpmn:boundaryEvent>",
            end("AnyEnd"),
            chain("CatchAny", "AnyEnd"),
        )
    )
    pi = await gw.start("errorAny")

    await gw.throw_error(await gw.job("work"), "WHATEVER", "it broke", {"detail": "disk full"})

    engine.assert_that(pi).is_completed().has_passed("CatchAny").has_variable("caughtCode", "WHATEVER")
    engine.assert_that(pi).has_variable("caughtMessage", "it broke").has_variable("d", "disk full")
    engine.assert_that(pi).has_no_variable("errorCode").has_no_variable("detail")


async def test_variables_of_a_thrown_error_land_in_the_process_without_output_mappings(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Without output mappings on the catch event, ThrowError's variables propagate to the process."""
    await gw.deploy_bpmn(
        *error_process(
            "errorVars",
            boundary("CatchRejected", "Work", error_ref("Err_Rejected")),
            service("Explain", "explain"),
            chain("CatchRejected", "Explain"),
        ),
        extra=error("Err_Rejected", "REJECTED"),
    )
    pi = await gw.start("errorVars")

    await gw.throw_error(await gw.job("work"), "REJECTED", "", {"alasan": "dokumen kurang"})

    engine.assert_that(pi).is_waiting_exactly_at("Explain").has_variable("alasan", "dokumen kurang")
    engine.assert_that(pi).has_no_variable("errorCode")


async def test_a_thrown_error_nobody_catches_raises_an_unhandled_error_incident(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error code nobody catches raises UNHANDLED_ERROR_EVENT at the task; resolving it frees the job."""
    await gw.deploy_bpmn(
        *error_process(
            "errorUncaught",
            boundary("CatchRejected", "Work", error_ref("Err_Rejected")),
            end("RejectedEnd"),
            chain("CatchRejected", "RejectedEnd"),
        ),
        extra=error("Err_Rejected", "REJECTED"),
    )
    pi = await gw.start("errorUncaught")

    await gw.throw_error(await gw.job("work"), "UNKNOWN", "surprise")

    engine.assert_that(pi).is_active().has_incident("UNHANDLED_ERROR_EVENT", "Work").has_not_passed("CatchRejected")
    incident = gw.incident(pi, "UNHANDLED_ERROR_EVENT")
    assert "UNKNOWN" in incident.error_message
    await gw.resolve(incident.key)
    await gw.complete(await gw.job("work"))  # the job is activatable again
    engine.assert_that(pi).is_completed().has_no_incidents().has_passed("End")


async def test_timer_boundary_on_a_camunda_user_task_cancels_the_user_task(gw: Driver, engine: EmbeddedEngine) -> None:
    """An interrupting timer on a zeebe:userTask cancels the user task: REST shows it CANCELED, and
    completing it afterwards finds no such task (404)."""
    await gw.deploy_bpmn(
        "userTaskTimeout",
        start("Start"),
        f'<bpmn:userTask id="Approve">{ext("<zeebe:userTask />")}</bpmn:userTask>',
        boundary("Timeout", "Approve", timer("timeDuration", "P2D")),
        end("Approved"),
        end("TimedOut"),
        chain("Start", "Approve", "Approved"),
        chain("Timeout", "TimedOut"),
    )
    pi = await gw.start("userTaskTimeout")
    [task] = await gw.search_user_tasks(processInstanceKey=str(pi))

    await engine.increase_time(timedelta(days=2))

    engine.assert_that(pi).is_completed().has_terminated("Approve").has_passed("TimedOut")
    [canceled] = await gw.search_user_tasks(processInstanceKey=str(pi))
    assert (canceled["userTaskKey"], canceled["state"]) == (task["userTaskKey"], "CANCELED")
    async with gw.http.post(f"{engine.rest_url}/v2/user-tasks/{task['userTaskKey']}/completion", json={}) as response:
        assert response.status == 404, await response.text()


async def test_error_boundary_on_a_multi_instance_task_catches_an_error_of_any_instance(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error thrown by one inner instance is caught by the boundary of the multi-instance activity,
    which terminates every other instance."""
    await gw.deploy_bpmn(
        "miError",
        start("Start"),
        service("Work", "work", body=multi_instance("=[1, 2, 3]", "item")),
        boundary("Failed", "Work", error_ref("Err_Failed")),
        end("End"),
        end("FailedEnd"),
        chain("Start", "Work", "End"),
        chain("Failed", "FailedEnd"),
        extra=error("Err_Failed", "FAILED"),
    )
    pi = await gw.start("miError")
    jobs = await gw.activate("work")
    await gw.complete(jobs[0])

    await gw.throw_error(jobs[1], "FAILED", "item 2 failed")

    engine.assert_that(pi).is_completed().has_passed("Failed", "FailedEnd").has_not_passed("End")
    assert engine.jobs() == []


async def test_timer_date_computed_with_feel_now_fires_on_the_engine_clock(gw: Driver, engine: EmbeddedEngine) -> None:
    """A timeDate `=now() + duration("P1D")` is due one engine-clock day after the task is entered."""
    await engine.increase_time(timedelta(days=100))
    await gw.deploy_bpmn(
        *task_with_boundary("timerNow", timer("timeDate", '=now() + duration("P1D")'), interrupting=False)
    )
    pi = await gw.start("timerNow")

    await engine.increase_time(timedelta(hours=23, minutes=59))
    engine.assert_that(pi).has_not_passed("Boundary")
    await engine.increase_time(timedelta(minutes=1))

    engine.assert_that(pi).has_passed("Boundary", times=1).is_waiting_at("Work", "Escalate")
