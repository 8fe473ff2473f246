"""BPMN conformance, multi-instance activities: parallel and sequential, on a service task and on a
sub-process; inputCollection/inputElement, outputCollection/outputElement, loopCounter,
completionCondition, the empty collection, and a boundary timer on the multi-instance body."""

import json
from datetime import timedelta

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    end,
    error_ref,
    multi_instance,
    service,
    start,
    sub_process,
    timer,
)


def mi_task_process(process_id: str, loop: str, *extra_elements: str) -> tuple[str, ...]:
    """Start → Review (job `review`, multi-instance `loop`) → End."""
    return (
        process_id,
        start("Start"),
        service("Review", "review", body=loop),
        end("End"),
        chain("Start", "Review", "End"),
        *extra_elements,
    )


COLLECT = multi_instance("=reviewers", "reviewer", output_collection="verdicts", output_element="=verdict")


async def test_parallel_multi_instance_task_runs_one_job_per_item_and_collects_outputs(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Parallel MI creates a job per item, each seeing its inputElement and loopCounter; outputCollection
    holds each instance's outputElement at its item's position, whatever the completion order."""
    await gw.deploy_bpmn(*mi_task_process("miParallel", COLLECT))
    pi = await gw.start("miParallel", {"reviewers": ["ani", "budi", "citra"]})

    jobs = await gw.activate("review")
    seen = sorted((json.loads(j.variables)["loopCounter"], json.loads(j.variables)["reviewer"]) for j in jobs)
    assert seen == [(1, "ani"), (2, "budi"), (3, "citra")]
    engine.assert_that(pi).is_waiting_at("Review")
    for job in reversed(jobs):
        variables = json.loads(job.variables)
        await gw.complete(job, {"verdict": f"{variables['reviewer']}-ok"})

    engine.assert_that(pi).is_completed().has_passed("Review", times=4)
    engine.assert_that(pi).has_variable("verdicts", ["ani-ok", "budi-ok", "citra-ok"])
    engine.assert_that(pi).has_no_variable("reviewer").has_no_variable("loopCounter")


async def test_sequential_multi_instance_task_runs_one_item_after_the_other(gw: Driver, engine: EmbeddedEngine) -> None:
    """Sequential MI has one active instance at a time, in collection order."""
    await gw.deploy_bpmn(
        *mi_task_process(
            "miSequential",
            multi_instance(
                "=reviewers",
                "reviewer",
                sequential=True,
                output_collection="verdicts",
                output_element="=verdict",
            ),
        )
    )
    pi = await gw.start("miSequential", {"reviewers": ["ani", "budi", "citra"]})

    order = []
    for n in range(3):
        jobs = await gw.activate("review")
        assert len(jobs) == 1
        variables = json.loads(jobs[0].variables)
        order.append((variables["loopCounter"], variables["reviewer"]))
        await gw.complete(jobs[0], {"verdict": n * 10})

    assert order == [(1, "ani"), (2, "budi"), (3, "citra")]
    engine.assert_that(pi).is_completed().has_variable("verdicts", [0, 10, 20])


async def test_completion_condition_terminates_the_remaining_instances(gw: Driver, engine: EmbeddedEngine) -> None:
    """completionCondition numberOfCompletedInstances >= 2 completes the body, terminating the rest."""
    await gw.deploy_bpmn(
        *mi_task_process(
            "miCondition",
            multi_instance(
                "=reviewers",
                "reviewer",
                output_collection="verdicts",
                output_element="=verdict",
                completion_condition="=numberOfCompletedInstances >= 2",
            ),
        )
    )
    pi = await gw.start("miCondition", {"reviewers": ["ani", "budi", "citra", "dewi"]})
    jobs = await gw.activate("review")
    assert len(jobs) == 4

    await gw.complete(jobs[0], {"verdict": "yes"})
    engine.assert_that(pi).is_waiting_at("Review")
    await gw.complete(jobs[2], {"verdict": "no"})

    engine.assert_that(pi).is_completed().has_variable("verdicts", ["yes", None, "no", None])
    terminated = [e for e in engine.element_instances(pi, "Review") if e.state.value == "ELEMENT_TERMINATED"]
    assert len(terminated) == 2
    assert engine.jobs() == []


async def test_empty_input_collection_passes_straight_through(gw: Driver, engine: EmbeddedEngine) -> None:
    """An empty inputCollection completes the multi-instance body at once with an empty outputCollection."""
    await gw.deploy_bpmn(*mi_task_process("miEmpty", COLLECT))

    pi = await gw.start("miEmpty", {"reviewers": []})

    engine.assert_that(pi).is_completed().has_passed("End").has_variable("verdicts", [])
    assert engine.jobs() == []


async def test_boundary_timer_on_a_multi_instance_activity_interrupts_every_instance(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A timer boundary on a parallel MI activity fires once for the body and terminates all instances."""
    await gw.deploy_bpmn(
        *mi_task_process(
            "miBoundary",
            COLLECT,
            boundary("TooLate", "Review", timer("timeDuration", "PT30M")),
            end("LateEnd"),
            chain("TooLate", "LateEnd"),
        )
    )
    pi = await gw.start("miBoundary", {"reviewers": ["ani", "budi", "citra"]})
    jobs = await gw.activate("review")
    await gw.complete(jobs[0], {"verdict": "yes"})

    await engine.increase_time(timedelta(minutes=30))

    engine.assert_that(pi).is_completed().has_passed("TooLate", times=1).has_passed("LateEnd").has_not_passed("End")
    assert len([e for e in engine.element_instances(pi, "Review") if e.state.value == "ELEMENT_TERMINATED"]) == 3
    assert engine.jobs() == []


async def test_multi_instance_sub_process_scopes_each_item(gw: Driver, engine: EmbeddedEngine) -> None:
    """A parallel MI sub-process runs its inner flow once per item; each inner job sees its own item."""
    await gw.deploy_bpmn(
        "miSub",
        start("Start"),
        sub_process(
            "PerSystem",
            start("SubStart")
            + service("Activate", "activate")
            + service("Verify", "verify")
            + end("SubEnd")
            + chain("SubStart", "Activate", "Verify", "SubEnd"),
            loop=multi_instance(
                '=["SiRUP", "SPSE", "SiPRAJA"]', "sistem", output_collection="status", output_element="=hasil"
            ),
        ),
        end("End"),
        chain("Start", "PerSystem", "End"),
    )
    pi = await gw.start("miSub")

    activations = await gw.activate("activate")
    assert sorted(json.loads(j.variables)["sistem"] for j in activations) == ["SPSE", "SiPRAJA", "SiRUP"]
    for job in activations:
        await gw.complete(job, {"hasil": "aktif-" + json.loads(job.variables)["sistem"]})
    engine.assert_that(pi).is_waiting_exactly_at("Verify", "Verify", "Verify")
    verifications = await gw.activate("verify")
    assert sorted(json.loads(j.variables)["hasil"] for j in verifications) == [
        "aktif-SPSE",
        "aktif-SiPRAJA",
        "aktif-SiRUP",
    ]
    for job in verifications:
        await gw.complete(job)

    engine.assert_that(pi).is_completed().has_variable("status", ["aktif-SiRUP", "aktif-SPSE", "aktif-SiPRAJA"])
    engine.assert_that(pi).has_no_variable("hasil").has_no_variable("sistem")


async def test_sequential_multi_instance_sub_process_with_completion_condition(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A sequential MI sub-process stops starting items once its completion condition holds."""
    await gw.deploy_bpmn(
        "miSubSeq",
        start("Start"),
        sub_process(
            "TryMirror",
            start("SubStart")
            + service("Download", "download")
            + end("SubEnd")
            + chain("SubStart", "Download", "SubEnd"),
            loop=multi_instance(
                "=mirrors",
                "mirror",
                sequential=True,
                completion_condition="=ok = true",
            ),
        ),
        end("End"),
        chain("Start", "TryMirror", "End"),
    )
    pi = await gw.start("miSubSeq", {"mirrors": ["m1", "m2", "m3"], "ok": False})

    first = await gw.job("download")
    assert json.loads(first.variables)["mirror"] == "m1"
    await gw.complete(first, {"ok": False})
    second = await gw.job("download")
    assert json.loads(second.variables)["mirror"] == "m2"
    await gw.complete(second, {"ok": True})

    engine.assert_that(pi).is_completed().has_variable("ok", True)
    assert len(engine.element_instances(pi, "Download")) == 2


async def test_an_input_collection_that_is_not_a_list_raises_an_incident_until_fixed(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """inputCollection that is not a list raises EXTRACT_VALUE_ERROR on the body; after SetVariables and
    ResolveIncident the instances start."""
    await gw.deploy_bpmn(*mi_task_process("miBadCollection", COLLECT))
    pi = await gw.start("miBadCollection", {"reviewers": "ani"})

    engine.assert_that(pi).is_active().has_incident("EXTRACT_VALUE_ERROR", "Review")
    await gw.set_variables(pi, {"reviewers": ["ani", "budi"]})
    await gw.resolve(gw.incident(pi, "EXTRACT_VALUE_ERROR").key)

    assert await gw.complete_all("review", {"verdict": "ok"}) == 2
    engine.assert_that(pi).is_completed().has_no_incidents().has_variable("verdicts", ["ok", "ok"])


async def test_an_output_element_path_is_local_to_each_inner_instance(gw: Driver, engine: EmbeddedEngine) -> None:
    """outputElement `=result.status` makes `result` local to each inner instance (as Zeebe does for a
    variable or a path of one): the statuses are collected and no `result` leaks into the process."""
    await gw.deploy_bpmn(
        *mi_task_process(
            "miOutputPath",
            multi_instance("=[1, 2]", "n", output_collection="statuses", output_element="=result.status"),
        )
    )
    pi = await gw.start("miOutputPath")

    jobs = await gw.activate("review")
    for job in jobs:
        n = json.loads(job.variables)["n"]
        await gw.complete(job, {"result": {"status": f"done-{n}", "log": "..."}})

    engine.assert_that(pi).is_completed().has_variable("statuses", ["done-1", "done-2"])
    engine.assert_that(pi).has_no_variable("result")


async def test_an_error_event_sub_process_in_a_multi_instance_sub_process_handles_one_item(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error inside one inner instance of an MI sub-process is handled by that instance's own error
    event sub-process; the other instances carry on and the body completes."""
    await gw.deploy_bpmn(
        "miSubError",
        start("Start"),
        sub_process(
            "PerItem",
            start("SubStart")
            + service("Process", "process")
            + chain("SubStart", "Process")
            + sub_process(
                "OnError",
                start("ErrStart", error_ref()) + service("Repair", "repair") + chain("ErrStart", "Repair"),
                event=True,
            ),
            loop=multi_instance("=[1, 2]", "item"),
        ),
        end("End"),
        chain("Start", "PerItem", "End"),
    )
    pi = await gw.start("miSubError")
    jobs = {json.loads(j.variables)["item"]: j for j in await gw.activate("process")}

    await gw.throw_error(jobs[1], "BROKEN")
    repair = await gw.job("repair")
    assert json.loads(repair.variables)["item"] == 1
    engine.assert_that(pi).is_waiting_exactly_at("Process", "Repair")
    await gw.complete(repair)
    await gw.complete(jobs[2])

    engine.assert_that(pi).is_completed().has_passed("PerItem", times=3).has_passed("End")
