"""BPMN conformance, embedded and event sub-processes: variable scopes, boundary events on a sub-process,
error event sub-processes catching before the enclosing boundary, timer and message event sub-processes."""

import json
from datetime import timedelta

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
    service,
    start,
    sub_process,
    timer,
)


async def test_sub_process_input_mapping_locals_vanish_after_it_completes(gw: Driver, engine: EmbeddedEngine) -> None:
    """An input mapping on a sub-process makes a local its job sees and updates; the local is gone after,
    while a new variable from the job lands in the process instance."""
    await gw.deploy_bpmn(
        "subScope",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart") + service("Inner", "inner") + end("SubEnd") + chain("SubStart", "Inner", "SubEnd"),
            io(inputs=(("=amount * 2", "doubled"),)),
        ),
        service("After", "after"),
        end("End"),
        chain("Start", "Sub", "After", "End"),
    )
    pi = await gw.start("subScope", {"amount": 21})

    inner = await gw.job("inner")
    assert json.loads(inner.variables) == {"amount": 21, "doubled": 42}
    [sub_key] = gw.element_keys(pi, "Sub")
    await gw.complete(inner, {"doubled": 43, "verdict": "ok"})
    assert engine.variables(sub_key) == {"doubled": 43}

    after = await gw.job("after")
    assert json.loads(after.variables) == {"amount": 21, "verdict": "ok"}
    await gw.complete(after)
    engine.assert_that(pi).is_completed().has_no_variable("doubled").has_variable("verdict", "ok")


async def test_interrupting_boundary_on_a_sub_process_terminates_its_children(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A timer boundary on a sub-process terminates the sub-process and every element inside it."""
    await gw.deploy_bpmn(
        "subBoundary",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart")
            + '<bpmn:parallelGateway id="Fork" />'
            + service("InnerA", "inner-a")
            + service("InnerB", "inner-b")
            + chain("SubStart", "Fork", "InnerA")
            + chain("Fork", "InnerB"),
        ),
        boundary("Timeout", "Sub", timer("timeDuration", "P1D")),
        end("Done"),
        end("TimedOut"),
        chain("Start", "Sub", "Done"),
        chain("Timeout", "TimedOut"),
    )
    pi = await gw.start("subBoundary")
    engine.assert_that(pi).is_waiting_exactly_at("InnerA", "InnerB")

    await engine.increase_time(timedelta(days=1))

    engine.assert_that(pi).is_completed().has_terminated("Sub", "InnerA", "InnerB").has_passed("TimedOut")
    assert engine.jobs() == []


async def test_error_event_sub_process_inside_a_sub_process_catches_before_its_boundary(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error thrown inside a sub-process is caught by the sub-process's own error event sub-process, not
    by the error boundary on the sub-process; the sub-process then completes normally."""
    await gw.deploy_bpmn(
        "subErrorEsp",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart")
            + service("Inner", "inner")
            + end("SubEnd")
            + chain("SubStart", "Inner", "SubEnd")
            + sub_process(
                "InnerOnError",
                start("InnerErrStart", error_ref("Err_Failed"))
                + service("Repair", "repair")
                + end("InnerErrEnd")
                + chain("InnerErrStart", "Repair", "InnerErrEnd"),
                event=True,
            ),
        ),
        boundary("CatchOnSub", "Sub", error_ref("Err_Failed")),
        end("Done"),
        end("FailedEnd"),
        chain("Start", "Sub", "Done"),
        chain("CatchOnSub", "FailedEnd"),
        extra=error("Err_Failed", "FAILED"),
    )
    pi = await gw.start("subErrorEsp")

    await gw.throw_error(await gw.job("inner"), "FAILED", "inner failure")
    engine.assert_that(pi).has_terminated("Inner").is_waiting_exactly_at("Repair").has_not_passed("CatchOnSub")
    await gw.complete(await gw.job("repair"))

    engine.assert_that(pi).is_completed().has_passed("InnerOnError", "Sub", "Done").has_not_passed(
        "CatchOnSub", "FailedEnd", "SubEnd"
    )


async def test_error_from_a_sub_process_without_its_own_handler_reaches_the_boundary(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error thrown in a nested sub-process propagates outwards to the first scope that catches it."""
    await gw.deploy_bpmn(
        "subErrorOuter",
        start("Start"),
        sub_process(
            "Outer",
            start("OuterStart")
            + sub_process(
                "Inner",
                start("InnerStart") + service("Work", "work") + chain("InnerStart", "Work"),
            )
            + chain("OuterStart", "Inner"),
        ),
        boundary("CatchOnOuter", "Outer", error_ref("Err_Failed")),
        end("FailedEnd"),
        chain("Start", "Outer"),
        chain("CatchOnOuter", "FailedEnd"),
        extra=error("Err_Failed", "FAILED"),
    )
    pi = await gw.start("subErrorOuter")

    await gw.throw_error(await gw.job("work"), "FAILED")

    engine.assert_that(pi).is_completed().has_terminated("Outer", "Inner", "Work").has_passed("FailedEnd")


async def test_non_interrupting_timer_event_sub_process_runs_beside_the_main_flow(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A non-interrupting timer event sub-process starts when due while the main flow keeps waiting."""
    await gw.deploy_bpmn(
        "espTimer",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "Reminder",
            start("RemindStart", timer("timeDuration", "PT2H"), attrs='isInterrupting="false"')
            + service("Remind", "remind")
            + end("RemindEnd")
            + chain("RemindStart", "Remind", "RemindEnd"),
            event=True,
        ),
    )
    pi = await gw.start("espTimer")

    await engine.increase_time(timedelta(hours=2))
    engine.assert_that(pi).is_waiting_exactly_at("Work", "Remind")
    await gw.complete(await gw.job("remind"))
    await gw.complete(await gw.job("work"))

    engine.assert_that(pi).is_completed().has_passed("RemindEnd", "End")


async def test_interrupting_message_event_sub_process_cancels_the_main_flow(gw: Driver, engine: EmbeddedEngine) -> None:
    """An interrupting message event sub-process terminates the main flow and finishes the instance."""
    await gw.deploy_bpmn(
        "espMessage",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "OnCancel",
            start("CancelStart", message_ref("Msg_Cancel"))
            + service("Cleanup", "cleanup")
            + end("CancelEnd")
            + chain("CancelStart", "Cleanup", "CancelEnd"),
            event=True,
        ),
        extra=message("Msg_Cancel", "cancel", "=id"),
    )
    pi = await gw.start("espMessage", {"id": "X"})

    await gw.publish("cancel", "X", {"why": "duplicate"})

    engine.assert_that(pi).has_terminated("Work").is_waiting_exactly_at("Cleanup").has_variable("why", "duplicate")
    await gw.complete(await gw.job("cleanup"))
    engine.assert_that(pi).is_completed().has_passed("CancelEnd").has_not_passed("End")


async def test_sub_process_output_mappings_lift_chosen_locals_to_the_parent(gw: Driver, engine: EmbeddedEngine) -> None:
    """Output mappings of a sub-process read its scope when it completes; only mapped values reach the
    process, its locals vanish."""
    await gw.deploy_bpmn(
        "subOutputs",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart") + service("Inner", "inner") + chain("SubStart", "Inner"),
            io(inputs=(("=[]", "notes"),), outputs=(("=count(notes)", "noteCount"),)),
        ),
        end("End"),
        chain("Start", "Sub", "End"),
    )
    pi = await gw.start("subOutputs")

    await gw.complete(await gw.job("inner"), {"notes": ["a", "b", "c"]})

    engine.assert_that(pi).is_completed().has_variable("noteCount", 3).has_no_variable("notes")


async def test_non_interrupting_timer_cycle_event_sub_process_starts_once_per_repetition(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A non-interrupting timer event sub-process with R3/PT1H starts an instance each hour, three in all."""
    await gw.deploy_bpmn(
        "espCycle",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "Remind",
            start("RemindStart", timer("timeCycle", "R3/PT1H"), attrs='isInterrupting="false"')
            + end("RemindEnd")
            + chain("RemindStart", "RemindEnd"),
            event=True,
        ),
    )
    pi = await gw.start("espCycle")

    for _ in range(5):
        await engine.increase_time(timedelta(hours=1))

    engine.assert_that(pi).has_passed("Remind", times=3).is_waiting_exactly_at("Work")


async def test_error_event_sub_process_start_maps_error_code_and_message(gw: Driver, engine: EmbeddedEngine) -> None:
    """The error start event of an event sub-process can map errorCode and errorMessage in its outputs."""
    await gw.deploy_bpmn(
        "espErrorMapping",
        start("Start"),
        service("Work", "work"),
        chain("Start", "Work"),
        sub_process(
            "OnError",
            '<bpmn:startEvent id="ErrStart">'
            + ext(io(outputs=(("=errorCode", "kode"), ("=errorMessage", "pesan"))))
            + error_ref()
            + "</bpmn:startEvent>"
            + end("ErrEnd")
            + chain("ErrStart", "ErrEnd"),
            event=True,
        ),
    )
    pi = await gw.start("espErrorMapping")

    await gw.throw_error(await gw.job("work"), "DITOLAK", "berkas palsu")

    engine.assert_that(pi).is_completed().has_variable("kode", "DITOLAK").has_variable("pesan", "berkas palsu")


async def test_an_event_sub_process_start_that_fails_at_creation_is_an_incident_of_the_created_instance(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A timer event sub-process whose duration needs a variable the new instance lacks: CreateProcessInstance is
    answered with the instance (once an internal error: the creation returned nothing), which waits with an
    EXTRACT_VALUE_ERROR incident at the process."""
    await gw.deploy_bpmn(
        "espNeedsVariable",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "Reminder",
            start("RemindStart", timer("timeDuration", "=tenggat"), attrs='isInterrupting="false"')
            + end("RemindEnd")
            + chain("RemindStart", "RemindEnd"),
            event=True,
        ),
    )
    pi = await gw.start("espNeedsVariable")

    engine.assert_that(pi).is_active().has_incident("EXTRACT_VALUE_ERROR", "espNeedsVariable")
    assert process_records(engine, pi) == ["ELEMENT_ACTIVATING"]  # as in Zeebe: activated once its waits are open
    assert not engine.element_instances(pi, "Start")

    await gw.set_variables(pi, {"tenggat": "PT1H"})
    await gw.resolve(gw.incident(pi, "EXTRACT_VALUE_ERROR").key)

    await gw.complete(await gw.job("work"))  # the none start event ran: the instance reached its task
    engine.assert_that(pi).is_completed().has_passed("Start", "Work", "End", times=1).has_no_incidents()
    assert process_records(engine, pi) == ["ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED", "ELEMENT_COMPLETING",
                                           "ELEMENT_COMPLETED"]  # fmt: skip


async def test_a_message_event_sub_process_whose_correlation_key_fails_at_creation_starts_once_resolved(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A message event sub-process correlated by a variable the new instance lacks: the instance waits with an
    EXTRACT_VALUE_ERROR incident at the process (not activated, its none start event not run). Once the variable is
    set and the incident resolved, the subscription opens with the key, the instance is activated and runs from its
    none start event – and the message then reaches the event sub-process."""
    await gw.deploy_bpmn(
        "espKeyLater",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "Cancel",
            start("CancelStart", message_ref("Msg_Cancel")) + end("CancelEnd") + chain("CancelStart", "CancelEnd"),
            event=True,
        ),
        extra=message("Msg_Cancel", "batalkan", "=nomorPermohonan"),
    )
    pi = await gw.start("espKeyLater")

    engine.assert_that(pi).is_active().has_incident("EXTRACT_VALUE_ERROR", "espKeyLater")
    assert process_records(engine, pi) == ["ELEMENT_ACTIVATING"]
    assert not engine.element_instances(pi, "Start")

    await gw.set_variables(pi, {"nomorPermohonan": "PBJ-7"})
    await gw.resolve(gw.incident(pi, "EXTRACT_VALUE_ERROR").key)

    await gw.job("work")  # the none start event ran once: the instance waits at its task
    engine.assert_that(pi).is_waiting_at("Work").has_passed("Start", times=1).has_no_incidents()
    assert process_records(engine, pi) == ["ELEMENT_ACTIVATING", "ELEMENT_ACTIVATED"]
    await gw.publish("batalkan", "PBJ-7")
    engine.assert_that(pi).is_completed().has_passed("CancelEnd").has_not_passed("End")


def process_records(engine: EmbeddedEngine, pi: int) -> list[str]:
    """The intents of the process element's own records."""
    return [
        r.intent
        for r in engine.engine.records
        if r.value_type == "PROCESS_INSTANCE" and r.key == pi and r.bpmn_element_type == "PROCESS"
    ]
