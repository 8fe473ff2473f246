"""BPMN conformance, escalation events: intermediate throw and end events, boundary events on sub-processes and
call activities (interrupting or not), escalation event sub-processes, code matching and catch-all, the nearest
scope winning, FEEL codes, and an uncaught escalation that goes on without an incident, as in Zeebe."""

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    call_activity,
    end,
    escalation,
    escalation_ref,
    service,
    start,
    sub_process,
    throw,
)

ESCALATIONS = escalation("Esc_Late", "LATE") + escalation("Esc_Other", "OTHER") + escalation("Esc_Code", "=level")


def escalating_sub_process(thrower: str) -> str:
    """Sub: SubStart → `thrower` (id Throw) → AfterThrow (job `after-throw`) → SubEnd."""
    return sub_process(
        "Sub",
        start("SubStart")
        + thrower
        + service("AfterThrow", "after-throw")
        + end("SubEnd")
        + chain("SubStart", "Throw", "AfterThrow", "SubEnd"),
    )


def with_boundary(process_id: str, thrower: str, definition: str, *, interrupting: bool) -> tuple[str, ...]:
    """Start → Sub (escalating) → Done (job `done`) → End; boundary Caught on Sub → Handle (job `handle`)."""
    return (
        process_id,
        start("Start"),
        escalating_sub_process(thrower),
        service("Done", "done"),
        end("End"),
        boundary("Caught", "Sub", definition, interrupting=interrupting),
        service("Handle", "handle"),
        end("HandleEnd"),
        chain("Start", "Sub", "Done", "End"),
        chain("Caught", "Handle", "HandleEnd"),
    )


async def test_non_interrupting_boundary_catches_and_the_thrower_goes_on(gw: Driver, engine: EmbeddedEngine) -> None:
    """An intermediate escalation throw event caught by a non-interrupting boundary: both the thrower's outgoing
    flow and the boundary's are taken."""
    await gw.deploy_bpmn(
        *with_boundary(
            "escNonInt", throw("Throw", escalation_ref("Esc_Late")), escalation_ref("Esc_Late"), interrupting=False
        ),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escNonInt")

    engine.assert_that(pi).has_passed("Throw", "Caught").is_waiting_exactly_at("AfterThrow", "Handle")
    assert [r.intent for r in engine.engine.records if r.value_type == "ESCALATION"] == ["ESCALATED"]


async def test_interrupting_boundary_terminates_the_scope_and_the_thrower_does_not_go_on(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An interrupting escalation boundary terminates the sub-process with the thrower in it; the thrower's
    outgoing flow is not taken."""
    await gw.deploy_bpmn(
        *with_boundary(
            "escInt", throw("Throw", escalation_ref("Esc_Late")), escalation_ref("Esc_Late"), interrupting=True
        ),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escInt")

    engine.assert_that(pi).has_terminated("Sub", "Throw").has_not_passed("Throw").is_waiting_exactly_at("Handle")
    engine.assert_that(pi).has_not_passed("AfterThrow")


async def test_escalation_end_event_caught_by_a_non_interrupting_boundary_lets_the_scope_complete(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An escalation end event completes its path; a non-interrupting boundary catches it and the sub-process
    completes as usual."""
    await gw.deploy_bpmn(
        "escEnd",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart") + end("EscEnd", escalation_ref("Esc_Late")) + chain("SubStart", "EscEnd"),
        ),
        service("Done", "done"),
        end("End"),
        boundary("Caught", "Sub", escalation_ref("Esc_Late"), interrupting=False),
        service("Handle", "handle"),
        chain("Start", "Sub", "Done", "End"),
        chain("Caught", "Handle"),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escEnd")

    engine.assert_that(pi).has_passed("EscEnd", "Sub", "Caught").is_waiting_exactly_at("Done", "Handle")


async def test_an_uncaught_escalation_is_no_incident_and_the_process_goes_on(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """With no catch event for its code, an escalation throw event just goes on and an escalation end event
    completes: no incident, the escalation is recorded as NOT_ESCALATED."""
    await gw.deploy_bpmn(
        "escLost",
        start("Start"),
        throw("Throw", escalation_ref("Esc_Late")),
        end("EscEnd", escalation_ref("Esc_Other")),
        chain("Start", "Throw", "EscEnd"),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escLost")

    engine.assert_that(pi).is_completed().has_passed("Throw", "EscEnd").has_no_incidents()
    assert [r.intent for r in engine.engine.records if r.value_type == "ESCALATION"] == ["NOT_ESCALATED"] * 2


async def test_a_code_specific_catch_wins_over_a_catch_all_and_other_codes_fall_to_the_catch_all(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """On one sub-process, the boundary with the thrown code catches it even next to a catch-all; a code no
    boundary names is caught by the catch-all."""
    for code_ref, expected in (("Esc_Late", "Handle"), ("Esc_Other", "HandleAll")):
        process_id = f"escMatch{code_ref}"
        await gw.deploy_bpmn(
            process_id,
            start("Start"),
            escalating_sub_process(throw("Throw", escalation_ref(code_ref))),
            end("End"),
            boundary("Caught", "Sub", escalation_ref("Esc_Late"), interrupting=False),
            boundary("CaughtAll", "Sub", escalation_ref(), interrupting=False),
            service("Handle", "handle"),
            service("HandleAll", "handle-all"),
            chain("Start", "Sub", "End"),
            chain("Caught", "Handle"),
            chain("CaughtAll", "HandleAll"),
            extra=ESCALATIONS,
        )
        pi = await gw.start(process_id)
        engine.assert_that(pi).is_waiting_exactly_at("AfterThrow", expected)


async def test_escalation_event_sub_processes_interrupting_and_not(gw: Driver, engine: EmbeddedEngine) -> None:
    """A non-interrupting escalation event sub-process runs next to the thrower's path; an interrupting one ends
    everything else in its scope."""
    for interrupting in (False, True):
        process_id = "escEspInt" if interrupting else "escEspNonInt"
        attrs = "" if interrupting else 'isInterrupting="false"'
        await gw.deploy_bpmn(
            process_id,
            start("Start"),
            throw("Throw", escalation_ref("Esc_Late")),
            service("AfterThrow", "after-throw"),
            end("End"),
            chain("Start", "Throw", "AfterThrow", "End"),
            sub_process(
                "OnLate",
                start("LateStart", escalation_ref("Esc_Late"), attrs=attrs)
                + service("Handle", "handle")
                + end("LateEnd")
                + chain("LateStart", "Handle", "LateEnd"),
                event=True,
            ),
            extra=ESCALATIONS,
        )
        pi = await gw.start(process_id)
        if interrupting:
            engine.assert_that(pi).is_waiting_exactly_at("Handle").has_terminated("Throw")
        else:
            engine.assert_that(pi).is_waiting_exactly_at("AfterThrow", "Handle").has_passed("Throw")


async def test_the_nearest_scope_catches_first_even_with_a_catch_all(gw: Driver, engine: EmbeddedEngine) -> None:
    """A catch-all boundary on the inner sub-process around the thrower catches before a boundary with the exact
    code on the outer one: scopes are searched from the thrower outwards."""
    await gw.deploy_bpmn(
        "escNearest",
        start("Start"),
        sub_process(
            "Outer",
            start("OuterStart")
            + sub_process(
                "Inner",
                start("InnerStart")
                + throw("Throw", escalation_ref("Esc_Late"))
                + end("InnerEnd")
                + chain("InnerStart", "Throw", "InnerEnd"),
            )
            + end("OuterEnd")
            + boundary("InnerCaught", "Inner", escalation_ref(), interrupting=False)
            + service("InnerHandle", "inner-handle")
            + chain("OuterStart", "Inner", "OuterEnd")
            + chain("InnerCaught", "InnerHandle"),
        ),
        end("End"),
        boundary("OuterCaught", "Outer", escalation_ref("Esc_Late"), interrupting=False),
        service("OuterHandle", "outer-handle"),
        chain("Start", "Outer", "End"),
        chain("OuterCaught", "OuterHandle"),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escNearest")

    engine.assert_that(pi).is_waiting_exactly_at("InnerHandle").has_not_passed("OuterCaught")


async def test_within_one_element_an_event_sub_process_catches_before_a_boundary_with_the_same_code(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """With the same code on an escalation event sub-process inside the sub-process and on the sub-process's own
    boundary, the event sub-process catches (Zeebe's precedence: event sub-processes, then boundary events)."""
    await gw.deploy_bpmn(
        "escPrecedence",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart")
            + throw("Throw", escalation_ref("Esc_Late"))
            + end("SubEnd")
            + chain("SubStart", "Throw", "SubEnd")
            + sub_process(
                "OnLate",
                start("LateStart", escalation_ref("Esc_Late"), attrs='isInterrupting="false"')
                + service("InnerHandle", "inner-handle")
                + chain("LateStart", "InnerHandle"),
                event=True,
            ),
        ),
        end("End"),
        boundary("Outer", "Sub", escalation_ref("Esc_Late"), interrupting=False),
        service("OuterHandle", "outer-handle"),
        chain("Start", "Sub", "End"),
        chain("Outer", "OuterHandle"),
        extra=ESCALATIONS,
    )
    pi = await gw.start("escPrecedence")

    engine.assert_that(pi).is_waiting_exactly_at("InnerHandle").has_not_passed("Outer")


async def test_a_feel_escalation_code_is_evaluated_when_thrown(gw: Driver, engine: EmbeddedEngine) -> None:
    """escalationCode="=level" on a throw event is evaluated when it is reached; a catch event with that static
    code catches it."""
    await gw.deploy_bpmn(
        *with_boundary(
            "escFeel", throw("Throw", escalation_ref("Esc_Code")), escalation_ref("Esc_Late"), interrupting=False
        ),
        extra=ESCALATIONS,
    )
    caught = await gw.start("escFeel", {"level": "LATE"})
    missed = await gw.start("escFeel", {"level": "EARLY"})

    engine.assert_that(caught).is_waiting_exactly_at("AfterThrow", "Handle")
    engine.assert_that(missed).is_waiting_exactly_at("AfterThrow").has_no_incidents()


async def test_an_escalation_in_a_called_process_is_caught_on_the_call_activity(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An escalation thrown in a child instance is caught by an escalation boundary on the call activity in the
    parent; as the boundary interrupts, the child is terminated."""
    await gw.deploy(
        (
            "escParent.bpmn",
            bpmn(
                "escParent",
                start("Start"),
                call_activity("Call", "escChild"),
                end("End"),
                boundary("Caught", "Call", escalation_ref("Esc_Late")),
                service("Handle", "handle"),
                chain("Start", "Call", "End"),
                chain("Caught", "Handle"),
                extra=ESCALATIONS,
            ),
        ),
        (
            "escChild.bpmn",
            bpmn(
                "escChild",
                start("ChildStart"),
                throw("Throw", escalation_ref("Esc_Late")),
                service("ChildWork", "child-work"),
                chain("ChildStart", "Throw", "ChildWork"),
                extra=ESCALATIONS,
            ),
        ),
    )
    pi = await gw.start("escParent")

    [called] = gw.called(pi)
    engine.assert_that(called.key).is_terminated().has_not_passed("Throw")
    engine.assert_that(pi).has_terminated("Call").is_waiting_exactly_at("Handle")
    assert engine.jobs("child-work") == []
