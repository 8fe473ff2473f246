"""BPMN conformance, events: start events (none, message, timer), end events (none, error, terminate),
intermediate timer and message catch events, and FEEL's now() on the engine clock."""

from datetime import UTC, datetime, timedelta

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    catch,
    end,
    error,
    error_ref,
    ext,
    fork,
    message,
    message_ref,
    service,
    start,
    sub_process,
    task_def,
    throw,
    timer,
)


# ---------------------------------------------------------------------------- start events
async def test_none_start_and_none_end(gw: Driver, engine: EmbeddedEngine) -> None:
    """A none start event flows straight to a none end event and the instance completes."""
    await gw.deploy_bpmn("noneStartEnd", start("Start"), end("End"), chain("Start", "End"))

    pi = await gw.start("noneStartEnd", {"a": 1})

    engine.assert_that(pi).is_completed().has_passed("Start", "End").has_variable("a", 1)


MESSAGE_START = (
    "messageStart",
    start("Start", message_ref("Msg_Order")),
    service("Handle", "handle-order"),
    end("End"),
    chain("Start", "Handle", "End"),
)
ORDER_MESSAGE = message("Msg_Order", "order-placed")


async def test_message_start_event_creates_an_instance_with_the_message_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """PublishMessage to a message start event creates an instance carrying the message's variables."""
    await gw.deploy_bpmn(*MESSAGE_START, extra=ORDER_MESSAGE)

    await gw.publish("order-placed", "order-1", {"orderId": "order-1", "total": 10})

    [instance] = engine.process_instances("messageStart")
    engine.assert_that(instance.key).is_waiting_at("Handle").has_variable("orderId", "order-1")
    job = await gw.job("handle-order")
    assert job.processInstanceKey == instance.key


async def test_message_start_allows_one_active_instance_per_correlation_key(gw: Driver, engine: EmbeddedEngine) -> None:
    """While an instance started by key K is active, another message with K starts none; other keys do."""
    await gw.deploy_bpmn(*MESSAGE_START, extra=ORDER_MESSAGE)

    await gw.publish("order-placed", "order-1")
    await gw.publish("order-placed", "order-1")
    await gw.publish("order-placed", "order-2")
    await gw.publish("order-placed", "")  # an empty key always creates an instance
    await gw.publish("order-placed", "")

    assert len(engine.process_instances("messageStart")) == 4
    await gw.complete_all("handle-order")
    await gw.publish("order-placed", "order-1")
    assert len(engine.process_instances("messageStart")) == 5


async def test_buffered_start_message_starts_an_instance_when_the_active_one_ends(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A buffered message held back by an active instance with its key starts a new one when that ends."""
    await gw.deploy_bpmn(*MESSAGE_START, extra=ORDER_MESSAGE)
    await gw.publish("order-placed", "order-1", {"attempt": 1})
    await gw.publish("order-placed", "order-1", {"attempt": 2}, ttl_ms=3_600_000)
    [first] = engine.process_instances("messageStart")

    await gw.complete(await gw.job("handle-order"))

    engine.assert_that(first.key).is_completed()
    [second] = [p for p in engine.process_instances("messageStart") if p.key != first.key]
    engine.assert_that(second.key).is_active().has_variable("attempt", 2)


async def test_timer_start_cycle_fires_as_often_as_it_repeats(gw: Driver, engine: EmbeddedEngine) -> None:
    """A timeCycle R2/PT1H start event creates one instance an hour after deploy, another an hour later,
    then no more."""
    await gw.deploy_bpmn(
        "timerStartCycle", start("Start", timer("timeCycle", "R2/PT1H")), end("End"), chain("Start", "End")
    )
    assert engine.process_instances("timerStartCycle") == []

    await engine.increase_time(timedelta(minutes=59))
    assert engine.process_instances("timerStartCycle") == []
    await engine.increase_time(timedelta(minutes=1))
    assert len(engine.process_instances("timerStartCycle")) == 1
    await engine.increase_time(timedelta(hours=1))
    assert len(engine.process_instances("timerStartCycle")) == 2
    await engine.increase_time(timedelta(hours=5))

    instances = engine.process_instances("timerStartCycle")
    assert len(instances) == 2
    for instance in instances:
        engine.assert_that(instance.key).is_completed().has_passed("Start", "End")


async def test_timer_start_date_fires_once_at_that_date(gw: Driver, engine: EmbeddedEngine) -> None:
    """A timeDate start event creates exactly one instance when the clock reaches the date."""
    at = (engine.current_time + timedelta(days=2)).astimezone(UTC).replace(microsecond=0)
    await gw.deploy_bpmn(
        "timerStartDate",
        start("Start", timer("timeDate", at.isoformat().replace("+00:00", "Z"))),
        end("End"),
        chain("Start", "End"),
    )

    await engine.increase_time(timedelta(days=1))
    assert engine.process_instances("timerStartDate") == []
    await engine.increase_time(timedelta(days=1, seconds=1))
    assert len(engine.process_instances("timerStartDate")) == 1
    await engine.increase_time(timedelta(days=30))
    assert len(engine.process_instances("timerStartDate")) == 1


# ---------------------------------------------------------------------------- end events
async def test_error_end_event_is_caught_by_a_boundary_event_of_the_enclosing_sub_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error end event inside a sub-process is caught by the sub-process's error boundary event."""
    await gw.deploy_bpmn(
        "errorEndBoundary",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart") + end("Fail", error_ref("Err_Rejected")) + chain("SubStart", "Fail"),
        ),
        boundary("Caught", "Sub", error_ref("Err_Rejected")),
        end("Done"),
        end("Handled"),
        chain("Start", "Sub", "Done"),
        chain("Caught", "Handled"),
        extra=error("Err_Rejected", "REJECTED"),
    )

    pi = await gw.start("errorEndBoundary")

    engine.assert_that(pi).is_completed().has_terminated("Sub").has_passed("Caught", "Handled").has_not_passed("Done")


async def test_error_end_event_is_caught_by_an_error_event_sub_process(gw: Driver, engine: EmbeddedEngine) -> None:
    """An error end event is caught by the process's error event sub-process; errorCode is visible there."""
    await gw.deploy_bpmn(
        "errorEndEsp",
        start("Start"),
        fork("Fork"),
        service("Busy", "busy"),
        end("Fail", error_ref("Err_Rejected")),
        sub_process(
            "OnError",
            start("ErrStart", error_ref("Err_Rejected"))
            + service("Compensate", "compensate")
            + end("ErrEnd")
            + chain("ErrStart", "Compensate", "ErrEnd"),
            event=True,
        ),
        chain("Start", "Fork", "Busy"),
        chain("Fork", "Fail"),
        extra=error("Err_Rejected", "REJECTED"),
    )

    pi = await gw.start("errorEndEsp")

    engine.assert_that(pi).is_active().has_terminated("Busy").is_waiting_exactly_at("Compensate")
    await gw.complete(await gw.job("compensate"))
    engine.assert_that(pi).is_completed().has_passed("ErrStart", "Compensate", "ErrEnd", "OnError")


async def test_uncaught_error_end_event_raises_an_unhandled_error_incident(gw: Driver, engine: EmbeddedEngine) -> None:
    """An error end event nobody catches raises an UNHANDLED_ERROR_EVENT incident at the end event."""
    await gw.deploy_bpmn(
        "errorEndUncaught",
        start("Start"),
        end("Fail", error_ref("Err_Rejected")),
        chain("Start", "Fail"),
        extra=error("Err_Rejected", "REJECTED"),
    )

    pi = await gw.start("errorEndUncaught")

    engine.assert_that(pi).is_active().has_incident("UNHANDLED_ERROR_EVENT", "Fail")
    assert "REJECTED" in gw.incident(pi, "UNHANDLED_ERROR_EVENT").error_message


async def test_terminate_end_event_kills_parallel_branches_and_completes(gw: Driver, engine: EmbeddedEngine) -> None:
    """A terminate end event terminates the other parallel branches; the instance is completed."""
    await gw.deploy_bpmn(
        "terminateEnd",
        start("Start"),
        fork("Fork"),
        service("Slow", "slow"),
        catch("Wait", timer("timeDuration", "PT1H")),
        service("Fast", "fast"),
        end("SlowEnd"),
        end("Kill", "<bpmn:terminateEventDefinition />"),
        chain("Start", "Fork", "Slow", "SlowEnd"),
        chain("Fork", "Wait"),
        chain("Fork", "Fast", "Kill"),
    )
    pi = await gw.start("terminateEnd")
    slow = await gw.job("slow")

    await gw.complete(await gw.job("fast"))

    engine.assert_that(pi).is_completed().has_passed("Kill").has_terminated("Slow", "Wait").has_not_passed("SlowEnd")
    assert engine.jobs() == []
    assert not [t for t in engine.engine.timers.values() if t.process_instance_key == pi]
    del slow


# ---------------------------------------------------------------------------- intermediate catch events
async def test_timer_intermediate_catch_event_waits_for_its_duration(gw: Driver, engine: EmbeddedEngine) -> None:
    """A timer catch event (duration from a FEEL expression) holds the token until the clock passes it."""
    await gw.deploy_bpmn(
        "timerCatch",
        start("Start"),
        catch("Wait", timer("timeDuration", '=duration("PT" + string(minutes) + "M")')),
        end("End"),
        chain("Start", "Wait", "End"),
    )
    pi = await gw.start("timerCatch", {"minutes": 30})

    await engine.increase_time(timedelta(minutes=29))
    engine.assert_that(pi).is_waiting_at("Wait")
    await engine.increase_time(timedelta(minutes=1))

    engine.assert_that(pi).is_completed().has_passed("Wait", "End")


async def test_message_intermediate_catch_event_correlates_by_key(gw: Driver, engine: EmbeddedEngine) -> None:
    """A message catch event takes only the message with its correlation key and merges its variables."""
    await gw.deploy_bpmn(
        "messageCatch",
        start("Start"),
        catch("WaitPayment", message_ref("Msg_Paid")),
        end("End"),
        chain("Start", "WaitPayment", "End"),
        extra=message("Msg_Paid", "payment-received", "=orderId"),
    )
    first = await gw.start("messageCatch", {"orderId": "A-1"})
    second = await gw.start("messageCatch", {"orderId": "A-2"})

    await gw.publish("payment-received", "A-2", {"amount": 99})

    engine.assert_that(first).is_waiting_at("WaitPayment")
    engine.assert_that(second).is_completed().has_variable("amount", 99)
    await gw.publish("payment-received", "A-1", {"amount": 5})
    engine.assert_that(first).is_completed().has_variable("amount", 5)


async def test_buffered_message_is_correlated_when_the_catch_event_is_entered(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A message published with a TTL before the catch event is reached is correlated on arrival."""
    await gw.deploy_bpmn(
        "messageBuffered",
        start("Start"),
        service("Before", "before"),
        catch("WaitPayment", message_ref("Msg_Paid")),
        end("End"),
        chain("Start", "Before", "WaitPayment", "End"),
        extra=message("Msg_Paid", "payment-received", "=orderId"),
    )
    pi = await gw.start("messageBuffered", {"orderId": "B-1"})
    await gw.publish("payment-received", "B-1", {"amount": 7}, ttl_ms=60_000)

    await gw.complete(await gw.job("before"))

    engine.assert_that(pi).is_completed().has_variable("amount", 7)


# ---------------------------------------------------------------------------- message throw events
async def test_message_throw_and_end_events_are_jobs_and_need_no_message(gw: Driver, engine: EmbeddedEngine) -> None:
    """A message intermediate throw event and a message end event implemented by job workers (zeebe:taskDefinition,
    here with a FEEL job type) need no messageRef in Zeebe 8.8: the worker sends whatever it sends."""
    await gw.deploy_bpmn(
        "messageThrows",
        start("Start"),
        throw("SendResponse", "<bpmn:messageEventDefinition />", task_def('="responseFor_" + requestId')),
        end("Done", ext(task_def("bucketResultSender")) + "<bpmn:messageEventDefinition />"),
        chain("Start", "SendResponse", "Done"),
    )
    pi = await gw.start("messageThrows", {"requestId": "r7"})

    job = await gw.job("responseFor_r7")
    assert job.elementId == "SendResponse"
    await gw.complete(job, {"sent": True})
    engine.assert_that(pi).is_waiting_exactly_at("Done")
    await gw.complete(await gw.job("bucketResultSender"))
    engine.assert_that(pi).is_completed().has_passed("SendResponse", "Done").has_variable("sent", True)


# ---------------------------------------------------------------------------- FEEL on the engine clock
async def test_feel_now_follows_the_engine_clock(gw: Driver, engine: EmbeddedEngine) -> None:
    """FEEL's now() evaluated after increase_time reads the moved engine clock, not the wall clock."""
    await gw.deploy_bpmn(
        "feelNow",
        start("Start"),
        catch("Wait", timer("timeDuration", "P10D")),
        '<bpmn:scriptTask id="Stamp"><bpmn:extensionElements>'
        '<zeebe:script expression="=string(now())" resultVariable="stamp" />'
        "</bpmn:extensionElements></bpmn:scriptTask>",
        end("End"),
        chain("Start", "Wait", "Stamp", "End"),
    )
    pi = await gw.start("feelNow")

    await engine.increase_time(timedelta(days=10))

    engine.assert_that(pi).is_completed()
    stamp = datetime.fromisoformat(engine.assert_that(pi).variables()["stamp"].replace("Z", "+00:00"))
    assert abs(stamp - engine.current_time) < timedelta(minutes=1)
    assert stamp - datetime.now(UTC) > timedelta(days=9)


async def test_an_element_without_outgoing_flows_ends_its_path_implicitly(gw: Driver, engine: EmbeddedEngine) -> None:
    """A task with no outgoing flow is an implicit end: the instance completes when the last token stops."""
    await gw.deploy_bpmn(
        "implicitEnd",
        start("Start"),
        fork("Fork"),
        service("A", "task-a"),
        service("B", "task-b"),
        chain("Start", "Fork", "A"),
        chain("Fork", "B"),
    )
    pi = await gw.start("implicitEnd")

    await gw.complete(await gw.job("task-a"))
    engine.assert_that(pi).is_active().is_waiting_exactly_at("B")
    await gw.complete(await gw.job("task-b"))

    engine.assert_that(pi).is_completed()


async def test_terminate_end_event_in_a_sub_process_ends_only_the_sub_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A terminate end event inside a sub-process terminates its siblings there; the sub-process completes
    and the process continues after it."""
    await gw.deploy_bpmn(
        "terminateSub",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart")
            + fork("SubFork")
            + service("Slow", "slow")
            + end("Kill", "<bpmn:terminateEventDefinition />")
            + chain("SubStart", "SubFork", "Slow")
            + chain("SubFork", "Kill"),
        ),
        service("After", "after"),
        end("End"),
        chain("Start", "Sub", "After", "End"),
    )

    pi = await gw.start("terminateSub")

    engine.assert_that(pi).is_active().has_terminated("Slow").has_passed("Kill", "Sub").is_waiting_exactly_at("After")
    assert await gw.activate("slow") == []


async def test_timer_catch_event_with_a_date_in_the_past_fires_at_once(gw: Driver, engine: EmbeddedEngine) -> None:
    """A timeDate that has already passed fires as soon as the catch event is entered."""
    await gw.deploy_bpmn(
        "timerPast",
        start("Start"),
        catch("Wait", timer("timeDate", "2020-01-01T00:00:00Z")),
        end("End"),
        chain("Start", "Wait", "End"),
    )

    pi = await gw.start("timerPast")
    await engine.wait_for_idle()

    engine.assert_that(pi).is_completed().has_passed("Wait")


async def test_a_new_version_replaces_the_timer_start_of_the_previous_one(gw: Driver, engine: EmbeddedEngine) -> None:
    """Redeploying the same diagram keeps one start timer; a new version without the timer cancels it."""
    timed = (
        "timerStartVersions",
        start("Start", timer("timeCycle", "R/PT1H")),
        end("End"),
        chain("Start", "End"),
    )
    await gw.deploy_bpmn(*timed)
    await gw.deploy_bpmn(*timed)  # unchanged: still version 1, still one timer
    await engine.increase_time(timedelta(hours=1))
    assert len(engine.process_instances("timerStartVersions")) == 1

    await gw.deploy_bpmn("timerStartVersions", start("Start"), end("End"), chain("Start", "End"))
    await engine.increase_time(timedelta(hours=5))

    assert len(engine.process_instances("timerStartVersions")) == 1


async def test_resolving_an_unhandled_error_end_event_throws_it_again(gw: Driver, engine: EmbeddedEngine) -> None:
    """Resolving UNHANDLED_ERROR_EVENT at an error end event re-runs it: still nobody catches the error, so
    a new incident is raised instead of the instance waiting silently."""
    await gw.deploy_bpmn(
        "errorEndAgain",
        start("Start"),
        end("Fail", error_ref("Err_Rejected")),
        chain("Start", "Fail"),
        extra=error("Err_Rejected", "REJECTED"),
    )
    pi = await gw.start("errorEndAgain")
    first = gw.incident(pi, "UNHANDLED_ERROR_EVENT")

    await gw.resolve(first.key)

    second = gw.incident(pi, "UNHANDLED_ERROR_EVENT")
    assert second.key != first.key
    engine.assert_that(pi).is_active().has_incident("UNHANDLED_ERROR_EVENT", "Fail")


async def test_a_subscription_keeps_the_correlation_key_it_opened_with(gw: Driver, engine: EmbeddedEngine) -> None:
    """The correlation key is evaluated when the catch event is entered; changing the variable later does
    not move the subscription."""
    await gw.deploy_bpmn(
        "keyFixed",
        start("Start"),
        catch("WaitPayment", message_ref("Msg_Paid")),
        end("End"),
        chain("Start", "WaitPayment", "End"),
        extra=message("Msg_Paid", "payment-received", "=orderId"),
    )
    pi = await gw.start("keyFixed", {"orderId": "first"})
    await gw.set_variables(pi, {"orderId": "second"})

    await gw.publish("payment-received", "second")
    engine.assert_that(pi).is_waiting_exactly_at("WaitPayment")
    await gw.publish("payment-received", "first")

    engine.assert_that(pi).is_completed()
