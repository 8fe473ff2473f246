"""BPMN conformance, compensation (as Zeebe 8.8 runs it, cases from its CompensationEventExecutionTest and the
"Compensation events" documentation): compensation boundary events with their handlers (isForCompensation, joined by
an association), intermediate throw and end events with and without activityRef, the throw event waiting for its
handlers, which activities are compensated (completed ones, in the throw event's scope and inside its completed
sub-processes, once each time they completed, a multi-instance activity once, a multi-instance sub-process per inner
instance), handlers started from an event sub-process, handler variables and incidents, termination while handlers
run, the COMPENSATION_SUBSCRIPTION records, and the two compensation diagrams of the shared corpus (Camunda's RPA
and car rental examples) driven through their compensation."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.durable.snapshot import decode_state, encode_state
from engine.errors import InvalidArgumentError
from engine.state.engine_state import EngineState
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    end,
    error,
    error_ref,
    ext,
    fork,
    io,
    multi_instance,
    service,
    start,
    sub_process,
    task_def,
    throw,
    xor,
)
from tests.engine.bpmn_harness import flow as seq_flow
from tests.engine.test_corpus import Diagram, corpus_dir

COMPENSATE = "<bpmn:compensateEventDefinition />"


@pytest.fixture(autouse=True)
def consistent_after(engine: EmbeddedEngine) -> Iterator[None]:
    """After each test the engine's state is sound (engine/testing/consistency.py, compensation store included)."""
    yield
    assert_consistent(engine.engine)


def compensate(activity_ref: str) -> str:
    return f'<bpmn:compensateEventDefinition activityRef="{activity_ref}" />'


def handler(element_id: str, job_type: str, *extensions: str, tag: str = "serviceTask") -> str:
    """A compensation handler: a job-worker task marked isForCompensation."""
    return f'<bpmn:{tag} id="{element_id}" isForCompensation="true">{ext(task_def(job_type), *extensions)}</bpmn:{tag}>'


def compensable(activity_id: str, job_type: str, handler_id: str, handler_type: str, *extensions: str) -> str:
    """A service task with a compensation boundary event associated with its handler (a service task)."""
    return (
        service(activity_id, job_type, *extensions)
        + boundary(f"{activity_id}Undo", activity_id, COMPENSATE)
        + handler(handler_id, handler_type)
        + association(f"{activity_id}Undo", handler_id)
    )


def association(source: str, target: str) -> str:
    return (
        f'<bpmn:association id="Assoc_{source}" associationDirection="One" sourceRef="{source}" targetRef="{target}" />'
    )


async def book_then_compensate(gw: Driver, process_id: str, *, end_event: bool) -> int:
    """Deploys Start → Book (handler Unbook, job `unbook`) → a compensation end event `Compensate`, or a compensation
    throw event `Throw` → End; starts an instance and completes Book (the compensation has started)."""
    thrower = (end("Compensate", COMPENSATE),) if end_event else (throw("Throw", COMPENSATE), end("End"))
    ids = ("Compensate",) if end_event else ("Throw", "End")
    await gw.deploy_bpmn(
        process_id,
        start("Start"),
        compensable("Book", "book", "Unbook", "unbook"),
        *thrower,
        chain("Start", "Book", *ids),
    )
    pi = await gw.start(process_id)
    await gw.complete(await gw.job("book"))
    return pi


def subscription_records(engine: EmbeddedEngine, pi: int) -> list[str]:
    return [
        r.intent
        for r in engine.engine.records
        if r.value_type == "COMPENSATION_SUBSCRIPTION" and r.process_instance_key == pi
    ]


def element_records(engine: EmbeddedEngine, pi: int, element_id: str) -> list[tuple[str, str]]:
    return [
        (r.intent, r.bpmn_element_type or "")
        for r in engine.engine.records
        if r.value_type == "PROCESS_INSTANCE" and r.process_instance_key == pi and r.element_id == element_id
    ]


def element_order(engine: EmbeddedEngine, pi: int, intent: str) -> list[str]:
    return [
        r.element_id or ""
        for r in engine.engine.records
        if r.value_type == "PROCESS_INSTANCE" and r.process_instance_key == pi and r.intent == intent
    ]


async def test_a_throw_event_runs_the_handler_and_waits_until_it_completes(gw: Driver, engine: EmbeddedEngine) -> None:
    """Book → throw (compensate all) → End: after Book the throw event activates the compensation boundary event
    (activated and completed at once) and the handler, and completes only when the handler has."""
    pi = await book_then_compensate(gw, "comp", end_event=False)

    engine.assert_that(pi).is_waiting_exactly_at("Throw", "Unbook")
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED"]
    assert element_records(engine, pi, "BookUndo") == [
        ("ELEMENT_ACTIVATING", "BOUNDARY_EVENT"),
        ("ELEMENT_ACTIVATED", "BOUNDARY_EVENT"),
        ("ELEMENT_COMPLETING", "BOUNDARY_EVENT"),
        ("ELEMENT_COMPLETED", "BOUNDARY_EVENT"),
    ]

    await gw.complete(await gw.job("unbook"))

    engine.assert_that(pi).is_completed().has_passed("Unbook", "Throw", "End")
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]
    assert ("ELEMENT_ACTIVATED", "SERVICE_TASK") in element_records(engine, pi, "Unbook")
    assert ("ELEMENT_ACTIVATED", "INTERMEDIATE_THROW_EVENT") in element_records(engine, pi, "Throw")
    completed = element_order(engine, pi, "ELEMENT_COMPLETED")
    assert completed.index("Unbook") < completed.index("Throw") < completed.index("End")
    assert engine.engine.state.compensations.subscriptions == {}  # completed: gone from the state
    # the REST API (Operate's view) types the elements as Zeebe's does
    search = f"{engine.rest_url}/v2/element-instances/search"
    async with gw.http.post(search, json={"filter": {"processInstanceKey": str(pi)}}) as got:
        assert got.status == 200, await got.text()
        items = (await got.json())["items"]
    types = {(item["elementId"], item["type"], item["state"]) for item in items}
    assert {
        ("Throw", "INTERMEDIATE_THROW_EVENT", "COMPLETED"),
        ("BookUndo", "BOUNDARY_EVENT", "COMPLETED"),
        ("Unbook", "SERVICE_TASK", "COMPLETED"),
    } <= types


async def test_the_handler_is_the_associated_activity_marked_for_compensation(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A boundary event's associations may also lead to text annotations (as in Camunda's examples): the handler is
    the one marked isForCompensation."""
    await gw.deploy_bpmn(
        "compNote",
        start("Start"),
        service("Book", "book"),
        boundary("BookUndo", "Book", COMPENSATE),
        '<bpmn:textAnnotation id="Note"><bpmn:text>undo the booking</bpmn:text></bpmn:textAnnotation>',
        '<bpmn:association id="ToNote" sourceRef="BookUndo" targetRef="Note" />',
        handler("Unbook", "unbook"),
        association("BookUndo", "Unbook"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Compensate"),
    )
    pi = await gw.start("compNote")
    await gw.complete(await gw.job("book"))
    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "Unbook")


async def test_an_end_event_compensates_and_the_process_completes_after_the_handler(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    pi = await book_then_compensate(gw, "compEnd", end_event=True)
    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "Unbook")

    await gw.complete(await gw.job("unbook"))

    engine.assert_that(pi).is_completed()
    completed = element_order(engine, pi, "ELEMENT_COMPLETED")
    assert completed.index("Unbook") < completed.index("Compensate") < completed.index("comp" + "End")


async def test_nothing_completed_to_compensate_completes_the_throw_event_at_once(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The throw event comes before the compensable activity completed: no handler, it completes at once."""
    await gw.deploy_bpmn(
        "compNone",
        start("Start"),
        throw("Throw", COMPENSATE),
        compensable("Book", "book", "Unbook", "unbook"),
        end("End"),
        chain("Start", "Throw", "Book", "End"),
    )
    pi = await gw.start("compNone")
    engine.assert_that(pi).has_passed("Throw").is_waiting_exactly_at("Book")
    await gw.complete(await gw.job("book"))

    engine.assert_that(pi).is_completed().has_not_passed("Unbook")
    # the subscription made when Book completed is deleted with the process instance
    assert subscription_records(engine, pi) == ["CREATED", "DELETED"]
    assert engine.engine.state.compensations.subscriptions == {}


def two_compensable_branches(process_id: str, thrower: str) -> tuple[str, ...]:
    """Start → fork → A, B (each with a handler) → join → `thrower` (id Throw) → End."""
    return (
        process_id,
        start("Start"),
        fork("Fork"),
        compensable("A", "a", "UndoA", "undo-a"),
        compensable("B", "b", "UndoB", "undo-b"),
        fork("Join"),
        thrower,
        end("End"),
        chain("Start", "Fork", "A", "Join", "Throw", "End"),
        seq_flow("ToB", "Fork", "B"),
        seq_flow("FromB", "B", "Join"),
    )


async def test_without_activity_ref_every_completed_activity_of_the_scope_is_compensated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await gw.deploy_bpmn(*two_compensable_branches("compAll", throw("Throw", COMPENSATE)))
    pi = await gw.start("compAll")
    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).is_waiting_exactly_at("Throw", "UndoA", "UndoB")
    await gw.complete(await gw.job("undo-a"))
    engine.assert_that(pi).is_waiting_exactly_at("Throw", "UndoB")
    await gw.complete(await gw.job("undo-b"))
    engine.assert_that(pi).is_completed()


async def test_an_activity_ref_compensates_only_that_activity(gw: Driver, engine: EmbeddedEngine) -> None:
    await gw.deploy_bpmn(*two_compensable_branches("compRef", end("Throw", compensate("A"))))
    pi = await gw.start("compRef")
    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).is_waiting_exactly_at("Throw", "UndoA")
    await gw.complete(await gw.job("undo-a"))

    engine.assert_that(pi).is_completed().has_not_passed("UndoB")
    assert subscription_records(engine, pi) == ["CREATED", "CREATED", "TRIGGERED", "COMPLETED", "DELETED"]


async def test_the_handler_runs_as_often_as_the_activity_completed(gw: Driver, engine: EmbeddedEngine) -> None:
    """A in a loop twice (Zeebe's shouldTriggerCompensationForActivityTheSameAmountAsExecuted): two handlers."""
    await gw.deploy_bpmn(
        "compLoop",
        start("Start", ext(io(outputs=(("=0", "iteration"),)))),
        compensable("A", "a", "UndoA", "undo-a", io(outputs=(("=iteration + 1", "iteration"),))),
        xor("Again", default="Back"),
        throw("Throw", compensate("A")),
        end("End"),
        chain("Start", "A", "Again"),
        seq_flow("Back", "Again", "A"),
        seq_flow("Done", "Again", "Throw", "=iteration > 1"),
        chain("Throw", "End"),
    )
    pi = await gw.start("compLoop")
    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("a"))

    assert await gw.complete_all("undo-a") == 2
    engine.assert_that(pi).is_completed()


async def test_an_activity_is_not_compensated_twice(gw: Driver, engine: EmbeddedEngine) -> None:
    """Two throw events for A in parallel: A's handler runs once; the second throw event finds nothing left and
    completes at once, the first when the handler has (Zeebe's shouldNotTriggerCompensationForActivityAgain)."""
    await gw.deploy_bpmn(
        "compTwice",
        start("Start"),
        compensable("A", "a", "UndoA", "undo-a"),
        fork("Fork"),
        throw("Throw1", compensate("A")),
        throw("Throw2", compensate("A")),
        end("End1"),
        end("End2"),
        chain("Start", "A", "Fork", "Throw1", "End1"),
        seq_flow("ToThrow2", "Fork", "Throw2"),
        chain("Throw2", "End2"),
    )
    pi = await gw.start("compTwice")
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_waiting_exactly_at("Throw1", "UndoA").has_passed("Throw2")
    await gw.complete(await gw.job("undo-a"))

    engine.assert_that(pi).is_completed()
    assert element_order(engine, pi, "ELEMENT_ACTIVATED").count("UndoA") == 1


async def test_an_activity_still_running_is_not_compensated(gw: Driver, engine: EmbeddedEngine) -> None:
    await gw.deploy_bpmn(
        "compActive",
        start("Start"),
        fork("Fork"),
        compensable("A", "a", "UndoA", "undo-a"),
        service("B", "b"),
        throw("Throw", compensate("A")),
        end("EndA"),
        end("EndB"),
        chain("Start", "Fork", "A", "EndA"),
        seq_flow("ToB", "Fork", "B"),
        chain("B", "Throw", "EndB"),
    )
    pi = await gw.start("compActive")
    await gw.complete(await gw.job("b"))
    engine.assert_that(pi).has_passed("Throw").is_waiting_exactly_at("A")
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_completed().has_not_passed("UndoA")


def compensable_sub_process(element_id: str, *, loop: str = "", inner_extra: str = "") -> str:
    """A sub-process: Start → A (handler UndoA, job `undo-a`) → [inner_extra] → End."""
    inner = [f"{element_id}Start", "A"] + (["InnerThrow"] if inner_extra else []) + [f"{element_id}End"]
    return sub_process(
        element_id,
        start(f"{element_id}Start")
        + compensable("A", "a", "UndoA", "undo-a")
        + inner_extra
        + end(f"{element_id}End")
        + chain(*inner),
        loop=loop,
    )


async def test_a_completed_sub_process_is_compensated_top_to_bottom(gw: Driver, engine: EmbeddedEngine) -> None:
    """activityRef names a completed sub-process: the handlers of the activities inside it run; the sub-process's
    own subscription (no handler) completes when they have, then the throw event (shouldTriggerCompensationFor
    Subprocess)."""
    await gw.deploy_bpmn(
        "compSub",
        start("Start"),
        compensable_sub_process("Sub"),
        throw("Throw", compensate("Sub")),
        end("End"),
        chain("Start", "Sub", "Throw", "End"),
    )
    pi = await gw.start("compSub")
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_waiting_exactly_at("Throw", "UndoA")
    await gw.complete(await gw.job("undo-a"))

    engine.assert_that(pi).is_completed()
    # A's subscription, then Sub's; both triggered (A's handler first), A's completed, then Sub's
    assert subscription_records(engine, pi) == [
        "CREATED",
        "CREATED",
        "TRIGGERED",
        "TRIGGERED",
        "COMPLETED",
        "COMPLETED",
    ]


async def test_without_activity_ref_the_activities_inside_completed_sub_processes_are_compensated_too(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """shouldTriggerCompensationHandlerInSubprocesses: B in the process and A inside the completed Sub."""
    await gw.deploy_bpmn(
        "compAllSub",
        start("Start"),
        compensable("B", "b", "UndoB", "undo-b"),
        compensable_sub_process("Sub"),
        end("Compensate", COMPENSATE),
        chain("Start", "B", "Sub", "Compensate"),
    )
    pi = await gw.start("compAllSub")
    await gw.complete(await gw.job("b"))
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "UndoA", "UndoB")
    await gw.complete(await gw.job("undo-a"))
    await gw.complete(await gw.job("undo-b"))
    engine.assert_that(pi).is_completed()


async def test_the_activities_of_a_sub_process_still_running_are_not_compensated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """shouldNotTriggerCompensationIfSubprocessIsNotCompleted: A completed inside Sub, which still waits at B; the
    throw event outside finds no subscription in its scope and completes at once."""
    await gw.deploy_bpmn(
        "compSubActive",
        start("Start"),
        fork("Fork"),
        sub_process(
            "Sub",
            start("SubStart")
            + compensable("A", "a", "UndoA", "undo-a")
            + service("B", "b")
            + end("SubEnd")
            + chain("SubStart", "A", "B", "SubEnd"),
        ),
        service("C", "c"),
        throw("Throw", COMPENSATE),
        end("EndSub"),
        end("EndC"),
        chain("Start", "Fork", "Sub", "EndSub"),
        seq_flow("ToC", "Fork", "C"),
        chain("C", "Throw", "EndC"),
    )
    pi = await gw.start("compSubActive")
    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("c"))
    engine.assert_that(pi).has_passed("Throw").is_waiting_exactly_at("B")
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).is_completed().has_not_passed("UndoA")


async def test_an_embedded_sub_process_as_handler(gw: Driver, engine: EmbeddedEngine) -> None:
    """The documentation's embedded sub-process as compensation handler: several steps undo the activity."""
    await gw.deploy_bpmn(
        "compSubHandler",
        start("Start"),
        service("Book", "book"),
        boundary("BookUndo", "Book", COMPENSATE),
        '<bpmn:subProcess id="Undo" isForCompensation="true">'
        + start("UndoStart")
        + service("Cancel", "cancel")
        + service("Notify", "notify")
        + end("UndoEnd")
        + chain("UndoStart", "Cancel", "Notify", "UndoEnd")
        + "</bpmn:subProcess>",
        association("BookUndo", "Undo"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Compensate"),
    )
    pi = await gw.start("compSubHandler")
    await gw.complete(await gw.job("book"))
    await gw.complete(await gw.job("cancel"))
    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "Notify")
    await gw.complete(await gw.job("notify"))

    engine.assert_that(pi).is_completed()
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]


async def test_a_multi_instance_handler_undoes_each_item(gw: Driver, engine: EmbeddedEngine) -> None:
    """The documentation's advice for a multi-instance activity: the handler over the same collection runs once per
    item; the throw event waits for its whole body."""
    await gw.deploy_bpmn(
        "compMiHandler",
        start("Start"),
        service("Book", "book", body=multi_instance("=rooms", "room")),
        boundary("BookUndo", "Book", COMPENSATE),
        '<bpmn:serviceTask id="Unbook" isForCompensation="true">'
        + ext(task_def("unbook"))
        + multi_instance("=rooms", "room")
        + "</bpmn:serviceTask>",
        association("BookUndo", "Unbook"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Compensate"),
    )
    pi = await gw.start("compMiHandler", {"rooms": ["A1", "B2"]})
    assert await gw.complete_all("book") == 2

    jobs = await gw.activate("unbook")
    assert sorted(job_variables(job)["room"] for job in jobs) == ["A1", "B2"]
    await gw.complete(jobs[0])
    engine.assert_that(pi).is_waiting_at("Compensate", "Unbook")
    await gw.complete(jobs[1])
    engine.assert_that(pi).is_completed()
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]


async def test_the_activities_of_a_called_process_are_not_compensated_by_the_caller(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """As the documentation says of call activities: the handlers of a child process are not invoked by the
    parent's throw event; the child's subscriptions end with the child."""
    await gw.deploy_bpmn(
        "compChild",
        start("ChildStart"),
        compensable("A", "a", "UndoA", "undo-a"),
        end("ChildEnd"),
        chain("ChildStart", "A", "ChildEnd"),
    )
    await gw.deploy_bpmn(
        "compCaller",
        start("Start"),
        '<bpmn:callActivity id="Call">' + ext('<zeebe:calledElement processId="compChild" />') + "</bpmn:callActivity>",
        end("Compensate", COMPENSATE),
        chain("Start", "Call", "Compensate"),
    )
    pi = await gw.start("compCaller")
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_completed().has_passed("Compensate")
    assert not await gw.activate("undo-a")
    assert subscription_records(engine, pi) == []
    assert engine.engine.state.compensations.subscriptions == {}


async def test_a_throw_event_inside_a_sub_process_does_not_compensate_the_parent_scope(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Zeebe's shouldNotTriggerCompensationOnParentScope: B (outside) completed; the throw event inside Sub
    compensates Sub's A only; B's subscription is deleted with the instance."""
    await gw.deploy_bpmn(
        "compParent",
        start("Start"),
        compensable("B", "b", "UndoB", "undo-b"),
        compensable_sub_process("Sub", inner_extra=throw("InnerThrow", COMPENSATE)),
        end("End"),
        chain("Start", "B", "Sub", "End"),
    )
    pi = await gw.start("compParent")
    await gw.complete(await gw.job("b"))
    await gw.complete(await gw.job("a"))

    engine.assert_that(pi).is_waiting_exactly_at("InnerThrow", "UndoA")
    await gw.complete(await gw.job("undo-a"))

    engine.assert_that(pi).is_completed().has_not_passed("UndoB")
    assert subscription_records(engine, pi)[-1] == "DELETED"


async def test_a_multi_instance_activity_is_compensated_once(gw: Driver, engine: EmbeddedEngine) -> None:
    """The boundary event of a multi-instance activity belongs to its body: one subscription, one handler
    (shouldTriggerCompensationForMultiInstanceActivityOnlyOnce; the documentation: mark the handler multi-instance
    to undo each item)."""
    await gw.deploy_bpmn(
        "compMi",
        start("Start"),
        service("A", "a", body=multi_instance("=[1, 2, 3]", "item")),
        boundary("AUndo", "A", COMPENSATE),
        handler("UndoA", "undo-a"),
        association("AUndo", "UndoA"),
        end("Compensate", COMPENSATE),
        chain("Start", "A", "Compensate"),
    )
    pi = await gw.start("compMi")
    assert await gw.complete_all("a") == 3

    assert await gw.complete_all("undo-a") == 1
    engine.assert_that(pi).is_completed()
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]


async def test_each_inner_instance_of_a_multi_instance_sub_process_is_compensated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """shouldTriggerCompensationForMultiInstanceSubprocess: A ran in three inner instances of Sub; compensating Sub
    runs A's handler three times."""
    await gw.deploy_bpmn(
        "compMiSub",
        start("Start"),
        compensable_sub_process("Sub", loop=multi_instance("=[1, 2, 3]", "item")),
        throw("Throw", compensate("Sub")),
        end("End"),
        chain("Start", "Sub", "Throw", "End"),
    )
    pi = await gw.start("compMiSub")
    assert await gw.complete_all("a") == 3

    engine.assert_that(pi).is_waiting_at("Throw")
    assert await gw.complete_all("undo-a") == 3
    engine.assert_that(pi).is_completed()
    # A ×3, each inner Sub ×3, the body: 7 subscriptions, each created, triggered and completed
    intents = subscription_records(engine, pi)
    assert (intents.count("CREATED"), intents.count("TRIGGERED"), intents.count("COMPLETED")) == (7, 7, 7)


async def test_a_throw_event_in_an_inner_instance_runs_the_handler_with_that_instance_s_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """shouldCompleteThrowEventThatTriggeredCompensationHandler: each inner instance of a multi-instance sub-process
    compensates its own A; the handler runs in that inner instance and sees its variables (the item)."""
    await gw.deploy_bpmn(
        "compMiThrow",
        start("Start"),
        compensable_sub_process(
            "Sub", loop=multi_instance("=[1, 2, 3]", "item"), inner_extra=throw("InnerThrow", COMPENSATE)
        ),
        end("End"),
        chain("Start", "Sub", "End"),
    )
    pi = await gw.start("compMiThrow")
    assert await gw.complete_all("a") == 3

    jobs = await gw.activate("undo-a", max_jobs=3)
    assert sorted(job_variables(job)["item"] for job in jobs) == [1, 2, 3]
    for job in jobs:
        await gw.complete(job)
    engine.assert_that(pi).is_completed()
    assert element_order(engine, pi, "ELEMENT_COMPLETED").count("InnerThrow") == 3


def job_variables(job: Any) -> dict[str, Any]:
    return dict(json.loads(job.variables))


async def test_an_error_event_sub_process_compensates_the_activities_of_its_parent_scope(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The saga pattern: Book completed, Pay throws an error; the error event sub-process's compensation end event
    compensates the process's activities (the scope the event sub-process runs in)."""
    await gw.deploy_bpmn(
        "compEsp",
        start("Start"),
        compensable("Book", "book", "Unbook", "unbook"),
        service("Pay", "pay"),
        end("End"),
        chain("Start", "Book", "Pay", "End"),
        sub_process(
            "OnFailure",
            start("Failed", error_ref("Err_Pay")) + end("Compensate", COMPENSATE) + chain("Failed", "Compensate"),
            event=True,
        ),
        extra=error("Err_Pay", "PAYMENT_FAILED"),
    )
    pi = await gw.start("compEsp")
    await gw.complete(await gw.job("book"))
    await gw.throw_error(await gw.job("pay"), "PAYMENT_FAILED")

    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "Unbook")
    await gw.complete(await gw.job("unbook"))
    engine.assert_that(pi).is_completed().has_not_passed("End")


async def test_handler_input_and_output_mappings_and_variables(gw: Driver, engine: EmbeddedEngine) -> None:
    """shouldApplyInputMappingsOfCompensationHandler / shouldApplyOutputMappingsOfCompensationHandler: the input
    mapping is local to the handler; the output mapping and the job's variables go to the throw event's scope."""
    await gw.deploy_bpmn(
        "compVars",
        start("Start"),
        service("Book", "book"),
        boundary("BookUndo", "Book", COMPENSATE),
        handler("Unbook", "unbook", io(inputs=(("=x + 1", "y"),), outputs=(("=refund * 2", "refunded"),))),
        association("BookUndo", "Unbook"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Compensate"),
    )
    pi = await gw.start("compVars", {"x": 1})
    await gw.complete(await gw.job("book"))
    job = await gw.job("unbook")
    assert job_variables(job)["y"] == 2
    await gw.complete(job, {"refund": 21})

    engine.assert_that(pi).is_completed()
    variables = engine.engine.process_instances[pi].final_variables
    assert variables is not None
    assert variables["refunded"] == 42
    assert "y" not in variables


async def test_an_incident_in_a_handler_holds_the_throw_event_until_resolved(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    pi = await book_then_compensate(gw, "compIncident", end_event=True)
    job = await gw.job("unbook")
    engine.engine.fail_job(job.key, 0, "the booking system is down", 0, {})

    incident = gw.incident(pi, "JOB_NO_RETRIES")
    engine.assert_that(pi).is_waiting_exactly_at("Compensate", "Unbook")
    engine.engine.update_job_retries(job.key, 1)
    await gw.resolve(incident.key)
    await gw.complete(await gw.job("unbook"))
    engine.assert_that(pi).is_completed()


async def test_cancelling_the_instance_terminates_the_handlers_and_deletes_the_subscriptions(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """shouldTerminateCompensationHandler: the throw event and its handler are terminated; the triggered
    subscription is deleted with the instance."""
    pi = await book_then_compensate(gw, "compCancel", end_event=False)
    engine.engine.cancel_process_instance(pi)

    engine.assert_that(pi).has_terminated("Throw", "Unbook")
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "DELETED"]
    assert engine.engine.state.compensations.subscriptions == {}
    assert not [j for j in engine.engine.jobs.values() if j.type == "unbook"]


async def test_terminating_the_scope_of_the_throw_event_ends_its_handlers(gw: Driver, engine: EmbeddedEngine) -> None:
    """An interrupting boundary event on the sub-process ends the throw event inside it and the handler running
    there; the instance goes on along the boundary's flow."""
    await gw.deploy_bpmn(
        "compScope",
        start("Start"),
        compensable_sub_process("Sub", inner_extra=throw("InnerThrow", COMPENSATE)),
        boundary("Stop", "Sub", '<bpmn:messageEventDefinition messageRef="Msg_Stop" />'),
        service("After", "after"),
        end("End"),
        end("Stopped"),
        chain("Start", "Sub", "End"),
        chain("Stop", "After", "Stopped"),
        extra='<bpmn:message id="Msg_Stop" name="stop"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=&quot;k&quot;" /></bpmn:extensionElements></bpmn:message>',
    )
    pi = await gw.start("compScope")
    await gw.complete(await gw.job("a"))
    engine.assert_that(pi).is_waiting_exactly_at("InnerThrow", "UndoA")

    await gw.publish("stop", "k")

    engine.assert_that(pi).has_terminated("InnerThrow", "UndoA").is_waiting_exactly_at("After")
    await gw.complete(await gw.job("after"))
    engine.assert_that(pi).is_completed()
    assert subscription_records(engine, pi)[-1] == "DELETED"


async def test_user_task_and_script_task_handlers(gw: Driver, engine: EmbeddedEngine) -> None:
    """Handlers of other kinds: a Camunda user task (waits for its completion) and a script task (completes at
    once)."""
    await gw.deploy_bpmn(
        "compKinds",
        start("Start"),
        service("Book", "book"),
        boundary("BookUndo", "Book", COMPENSATE),
        '<bpmn:userTask id="CheckRefund" isForCompensation="true">' + ext("<zeebe:userTask />") + "</bpmn:userTask>",
        association("BookUndo", "CheckRefund"),
        service("Pay", "pay"),
        boundary("PayUndo", "Pay", COMPENSATE),
        '<bpmn:scriptTask id="Refund" isForCompensation="true">'
        + ext('<zeebe:script expression="=&quot;refunded&quot;" resultVariable="refund" />')
        + "</bpmn:scriptTask>",
        association("PayUndo", "Refund"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Pay", "Compensate"),
    )
    pi = await gw.start("compKinds")
    await gw.complete(await gw.job("book"))
    await gw.complete(await gw.job("pay"))

    engine.assert_that(pi).has_passed("Refund").is_waiting_exactly_at("Compensate", "CheckRefund")
    task = next(iter(engine.engine.user_tasks.values()))
    engine.engine.complete_user_task(task.key, {})
    engine.assert_that(pi).is_completed()
    assert (engine.engine.process_instances[pi].final_variables or {})["refund"] == "refunded"


async def test_undefined_and_manual_task_handlers_complete_at_once(gw: Driver, engine: EmbeddedEngine) -> None:
    """Handlers without behaviour of their own (an undefined task, a manual task) pass through: the throw event
    completes in the same command."""
    await gw.deploy_bpmn(
        "compPass",
        start("Start"),
        service("Book", "book"),
        boundary("BookUndo", "Book", COMPENSATE),
        '<bpmn:task id="Note" isForCompensation="true" />',
        association("BookUndo", "Note"),
        service("Pay", "pay"),
        boundary("PayUndo", "Pay", COMPENSATE),
        '<bpmn:manualTask id="CallBank" isForCompensation="true" />',
        association("PayUndo", "CallBank"),
        throw("Throw", COMPENSATE),
        service("After", "after"),
        chain("Start", "Book", "Pay", "Throw", "After"),
    )
    pi = await gw.start("compPass")
    await gw.complete(await gw.job("book"))
    await gw.complete(await gw.job("pay"))

    engine.assert_that(pi).has_passed("Note", "CallBank", "Throw").is_waiting_exactly_at("After")
    assert subscription_records(engine, pi) == [
        "CREATED",
        "CREATED",
        "TRIGGERED",
        "TRIGGERED",
        "COMPLETED",
        "COMPLETED",
    ]


def test_a_snapshot_keeps_the_compensation_subscriptions(engine: EmbeddedEngine) -> None:
    """The compensation store is part of the snapshot document: a subscription waiting for its throw event and one
    triggered come back with every field."""
    engine.engine.deploy(
        [
            (
                "comp.bpmn",
                bpmn(
                    "compSnap",
                    start("Start"),
                    compensable("A", "a", "UndoA", "undo-a"),
                    compensable("B", "b", "UndoB", "undo-b"),
                    throw("Throw", compensate("A")),
                    end("End"),
                    chain("Start", "A", "B", "Throw", "End"),
                ),
            )
        ]
    )
    state = engine.engine.state
    pi = engine.engine.create_process_instance(bpmn_process_id="compSnap").key
    for job_type in ("a", "b"):
        job = next(j for j in engine.engine.jobs.values() if j.type == job_type)
        engine.engine.complete_job(job.key, {})
    subs = list(state.compensations.subscriptions.values())
    assert [(s.activity_id, s.triggered) for s in subs] == [("A", True), ("B", False)]

    restored = EngineState()
    decode_state(encode_state(state), restored, engine.engine._load_model)

    assert list(restored.compensations.subscriptions.values()) == subs
    assert restored.compensations.by_process == {pi: [s.key for s in subs]}
    for index in ("by_handler", "by_throw", "by_scope", "by_activity"):
        assert getattr(restored.compensations, index) == getattr(state.compensations, index), index
    # a snapshot written before compensation existed has no such field: it loads with none
    earlier = encode_state(state)
    del earlier["compensation_subscriptions"]
    older = EngineState()
    decode_state(earlier, older, engine.engine._load_model)
    assert older.compensations.subscriptions == {}


RPA_DIAGRAM = "tut--solutions--rpa-orchestration-uipath--RPA_Orchestration_-_with_compensation.bpmn"


async def test_camunda_s_rpa_example_reverts_the_bot_s_job_when_the_item_fails(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Camunda's RPA orchestration example (the shared corpus, read where it is): the queue item is added (a
    compensable connector task), the bot reports it failed, the error boundary leads to the compensation throw
    event, which runs the connector task's handler "revert RPA job" and waits for it; then the manual path ends."""
    directory = corpus_dir()
    if directory is None or not (directory / RPA_DIAGRAM).is_file():
        pytest.skip("the diagram corpus is not there (shared/corpus beside the repository, or PBJ_CORPUS_DIR)")
    await gw.deploy((RPA_DIAGRAM, (directory / RPA_DIAGRAM).read_bytes()))
    pi = await gw.start("Orchestrate_UiPath_Bot")
    [add] = await gw.activate("io.camunda:http-json:1")
    assert add.elementId == "Activity_118pfe1"
    await gw.complete(add, {"queueItemId": "Q-1"})
    engine.assert_that(pi).is_waiting_exactly_at("Gateway_1j8nunf")

    await gw.publish("36a59b39-c6d5-41e6-aa34-bd805badab31", "Q-1", {"queueItemStatus": "queueItem.transactionFailed"})

    engine.assert_that(pi).has_passed("Event_0f7bls8", "Event_04itckl").is_waiting_exactly_at(
        "Event_0gq12nk", "Activity_1dibkd5"
    )
    [revert] = await gw.activate("io.camunda:http-json:1")
    assert revert.elementId == "Activity_1dibkd5"
    assert job_variables(revert)["queueItemId"] == "Q-1"
    await gw.complete(revert)

    engine.assert_that(pi).is_completed().has_passed("Event_0gq12nk", "Activity_1umb1rv", "Event_0qel938")
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]


async def test_an_instance_with_compensation_subscriptions_is_not_migrated(gw: Driver, engine: EmbeddedEngine) -> None:
    """The embedded engine migrates instances without compensation subscriptions only: refused with the reason,
    the instance unchanged (its compensation still runs)."""
    elements = (
        start("Start"),
        compensable("Book", "book", "Unbook", "unbook"),
        service("Pay", "pay"),
        end("Compensate", COMPENSATE),
        chain("Start", "Book", "Pay", "Compensate"),
    )
    await gw.deploy_bpmn("compMigrate", *elements)
    pi = await gw.start("compMigrate")
    await gw.complete(await gw.job("book"))
    await gw.deploy_bpmn("compMigrate", *elements, service("Extra", "extra"))
    target = max(d.key for d in engine.engine.definitions.values() if d.bpmn_process_id == "compMigrate")

    with pytest.raises(InvalidArgumentError, match="compensation subscriptions"):
        engine.engine.migrate_process_instance(pi, target, {"Pay": "Pay"})

    await gw.complete(await gw.job("pay"))
    await gw.complete(await gw.job("unbook"))
    engine.assert_that(pi).is_completed()


CAR_RENTAL_DIAGRAM = "tut--solutions--car-rental-booking-process--car-rental-booking-process.bpmn"


async def test_camunda_s_car_rental_example_cancels_the_reservation_when_the_car_is_not_ready(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Camunda's car rental example (the shared corpus): the car is reserved (a compensable task in the "Car
    Availability Check" sub-process), the inspection finds it not ready, the compensation throw event runs "cancel car
    reservation and report case" and waits for it; then the error end event starts the proposal of another car."""
    directory = corpus_dir()
    if directory is None or not (directory / CAR_RENTAL_DIAGRAM).is_file():
        pytest.skip("the diagram corpus is not there (shared/corpus beside the repository, or PBJ_CORPUS_DIR)")
    await gw.deploy(*Diagram(directory / CAR_RENTAL_DIAGRAM).resources())  # with its forms
    pi = await gw.start("Process_0bgtcqq", {"bookingId": "B-7", "rentalCarValue": 10_000})
    await gw.complete(await gw.job("get_credit_score"), {"creditScore": 700})
    await gw.complete(await gw.job("validate_drivers_license"))
    await gw.complete(await gw.job("check_car_availability_and_reserve_car"))
    engine.assert_that(pi).is_waiting_exactly_at("Activity_05f95ch")
    [inspection] = [t for t in engine.engine.user_tasks.values() if t.element_id == "Activity_05f95ch"]

    engine.engine.complete_user_task(inspection.key, {"isCarReady": False})

    engine.assert_that(pi).has_passed("Event_1hlbn3w").is_waiting_exactly_at("Event_0p8oxrp", "Activity_0k4m2k8")
    await gw.complete(await gw.job("cancel_car_reservation_and_report_case"))

    engine.assert_that(pi).has_passed("Event_0p8oxrp", "Event_0izwftr").is_waiting_exactly_at("Activity_0skmsoh")
    assert subscription_records(engine, pi) == ["CREATED", "TRIGGERED", "COMPLETED"]
