"""BPMN conformance, call activities: the child instance and its parent keys, variable propagation both ways
(propagateAllParentVariables, propagateAllChildVariables, input and output mappings), FEEL process ids, binding
types, the CALLED_ELEMENT_ERROR incident, cancellation, boundary events on the call activity and errors thrown in
the child caught in the parent."""

import json
from datetime import timedelta

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.bpmn.call_activity import MAX_PROCESS_DEPTH
from engine.state import ElementState, IncidentState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    call_activity,
    end,
    error,
    error_ref,
    ext,
    flow,
    io,
    message,
    message_ref,
    multi_instance,
    service,
    start,
    timer,
    xor,
)


def child(process_id: str = "child", job_type: str = "child-work", *extensions: str) -> tuple[str, bytes]:
    """start → one service task → end, as its own resource."""
    return (
        f"{process_id}.bpmn",
        bpmn(
            process_id,
            start("ChildStart"),
            service("ChildWork", job_type, *extensions),
            end("ChildEnd"),
            chain("ChildStart", "ChildWork", "ChildEnd"),
        ),
    )


def parent(process_id: str, call: str, *more: str, extra: str = "") -> tuple[str, bytes]:
    """start → the given call activity (id Call) → After (job `after`) → end."""
    return (
        f"{process_id}.bpmn",
        bpmn(
            process_id,
            start("Start"),
            call,
            service("After", "after"),
            end("End"),
            chain("Start", "Call", "After", "End"),
            *more,
            extra=extra,
        ),
    )


async def test_call_activity_creates_a_child_instance_and_continues_when_it_completes(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The call activity starts the called process at its none start event with the parent's keys, waits, and
    leaves when the child completes; the child's variables land in the parent by default."""
    await gw.deploy(parent("parent", call_activity("Call", "child")), child())
    pi = await gw.start("parent", {"orderId": "A-1"})

    [called] = gw.called(pi)
    [call_key] = gw.element_keys(pi, "Call")
    assert (called.bpmn_process_id, called.parent_process_instance_key) == ("child", pi)
    assert called.parent_element_instance_key == call_key
    engine.assert_that(pi).is_waiting_exactly_at("Call")
    engine.assert_that(called.key).is_waiting_exactly_at("ChildWork").has_variable("orderId", "A-1")

    job = await gw.job("child-work")
    assert job.processInstanceKey == called.key and job.bpmnProcessId == "child"
    await gw.complete(job, {"shipped": True})

    engine.assert_that(called.key).is_completed()
    engine.assert_that(pi).is_waiting_exactly_at("After").has_passed("Call").has_variable("shipped", True)
    await gw.complete(await gw.job("after"))
    engine.assert_that(pi).is_completed()


async def test_input_mappings_reach_the_child_and_propagate_all_parent_variables_off_limits_it_to_them(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """By default the child gets every variable the call activity sees (its input-mapped locals too); with
    propagateAllParentVariables="false" it gets only what the input mappings created."""
    mapping = io(inputs=(("=amount * 2", "doubled"),))
    await gw.deploy(
        parent("copyAll", call_activity("Call", "child", mapping)),
        parent("copyMapped", call_activity("Call", "child", mapping, attrs='propagateAllParentVariables="false"')),
        child(),
    )
    every = await gw.start("copyAll", {"amount": 21, "secret": "s"})
    mapped = await gw.start("copyMapped", {"amount": 21, "secret": "s"})

    assert engine.variables(gw.called(every)[0].key) == {"amount": 21, "secret": "s", "doubled": 42}
    assert engine.variables(gw.called(mapped)[0].key) == {"doubled": 42}


async def test_propagate_all_child_variables_off_drops_the_child_variables(gw: Driver, engine: EmbeddedEngine) -> None:
    """With propagateAllChildVariables="false" and no output mappings, nothing of the child reaches the parent."""
    await gw.deploy(
        parent("dropChild", call_activity("Call", "child", attrs='propagateAllChildVariables="false"')), child()
    )
    pi = await gw.start("dropChild", {"keep": 1})

    await gw.complete(await gw.job("child-work"), {"result": "ok", "keep": 2})

    engine.assert_that(pi).is_waiting_at("After").has_no_variable("result").has_variable("keep", 1)


async def test_output_mappings_choose_what_the_parent_gets_even_with_propagation_on(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """With output mappings only the mapped values reach the parent scope; the child's variables stay local to
    the call activity, whatever propagateAllChildVariables says (as Zeebe's output mappings ignore it)."""
    await gw.deploy(
        parent("mapOut", call_activity("Call", "child", io(outputs=(("=result", "verdict"),)))),
        parent(
            "mapOutOff",
            call_activity(
                "Call", "child", io(outputs=(("=result", "verdict"),)), attrs='propagateAllChildVariables="false"'
            ),
        ),
        child(),
    )
    on = await gw.start("mapOut")
    off = await gw.start("mapOutOff")

    jobs = {j.processInstanceKey: j for j in await gw.activate("child-work")}
    for pi in (on, off):
        await gw.complete(jobs[gw.called(pi)[0].key], {"result": "approved", "noise": 1})
        [call_key] = gw.element_keys(pi, "Call")
        engine.assert_that(pi).is_waiting_at("After").has_variable("verdict", "approved").has_no_variable("noise")
        assert engine.variables(call_key) == {"result": "approved", "noise": 1}


async def test_the_process_id_can_be_a_feel_expression(gw: Driver, engine: EmbeddedEngine) -> None:
    """processId="=…" is evaluated when the call activity is entered and picks the process to call."""
    await gw.deploy(
        parent("dynamic", call_activity("Call", '="check-" + region')),
        child("check-east", "east-work"),
        child("check-west", "west-work"),
    )
    pi = await gw.start("dynamic", {"region": "west"})

    assert [c.bpmn_process_id for c in gw.called(pi)] == ["check-west"]
    assert [j.type for j in await gw.activate("west-work")] == ["west-work"]
    assert await gw.activate("east-work") == []


async def test_calling_a_process_that_is_not_deployed_raises_an_incident_resolved_by_deploying_it(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A missing called process is a CALLED_ELEMENT_ERROR incident at the call activity; after deploying the
    process, resolving the incident creates the child."""
    await gw.deploy(parent("callsMissing", call_activity("Call", "notYet")))
    pi = await gw.start("callsMissing")

    incident = gw.incident(pi, "CALLED_ELEMENT_ERROR")
    assert incident.element_id == "Call"
    assert incident.error_message == "Expected process with BPMN process id 'notYet' to be deployed, but not found."
    assert gw.called(pi) == []

    await gw.deploy(child("notYet"))
    await gw.resolve(incident.key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("Call")
    assert [c.bpmn_process_id for c in gw.called(pi)] == ["notYet"]


async def test_binding_types_latest_deployment_and_version_tag_choose_the_version(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """latest (the default) takes the newest version, deployment the one deployed with the caller, versionTag the
    newest version carrying that zeebe:versionTag."""

    def tagged(tag: str, job_type: str) -> tuple[str, bytes]:
        name, content = child("child", job_type)
        tag_ext = ext(f'<zeebe:versionTag value="{tag}" />')
        return name, content.replace(b'isExecutable="true">', b'isExecutable="true">' + tag_ext.encode(), 1)

    await gw.deploy(
        parent("byLatest", call_activity("Call", "child")),
        parent("byDeployment", call_activity("Call", "child", attrs='bindingType="deployment"')),
        parent("byTag", call_activity("Call", "child", attrs='bindingType="versionTag" versionTag="v1"')),
        tagged("v1", "v1-work"),
    )
    await gw.deploy(tagged("v2", "v2-work"))

    versions = {}
    for process_id in ("byLatest", "byDeployment", "byTag"):
        pi = await gw.start(process_id)
        versions[process_id] = gw.called(pi)[0].version
    assert versions == {"byLatest": 2, "byDeployment": 1, "byTag": 1}


async def test_cancelling_the_parent_terminates_the_child_and_the_child_cannot_be_cancelled_alone(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """CancelProcessInstance on the parent terminates the call activity and the child (its job is gone);
    cancelling the child directly is FAILED_PRECONDITION naming the root instance."""
    await gw.deploy(parent("cancelTree", call_activity("Call", "child")), child())
    pi = await gw.start("cancelTree")
    [called] = gw.called(pi)
    job = await gw.job("child-work")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=called.key))
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert f"Cancel the root process instance '{pi}' instead" in (refused.value.details() or "")

    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))

    engine.assert_that(pi).is_terminated().has_terminated("Call")
    engine.assert_that(called.key).is_terminated().has_terminated("ChildWork")
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await gw.complete(job)
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND


async def test_cancelling_a_process_that_called_itself_as_deep_as_allowed_ends_every_instance(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A process calling itself until `tingkat` reaches 999 (one call activity inside the other, as deep as Zeebe's
    maximum process depth of 1,000 allows, and deeper than Python's stack holds frames for a recursive walk):
    cancelling the root terminates all 1,000 instances – the termination walks the tree with a stack of its own."""
    depth = MAX_PROCESS_DEPTH - 1
    await gw.deploy_bpmn(
        "memanggilDiri",
        start("Start"),
        xor("Cek", default="KeKerja"),
        call_activity(
            "Panggil",
            "memanggilDiri",
            io(inputs=(("=tingkat + 1", "tingkat"),)),
            attrs='propagateAllParentVariables="false"',
        ),
        service("Kerja", "kerja-terdalam"),
        end("End"),
        flow("KeCek", "Start", "Cek"),
        flow("KePanggil", "Cek", "Panggil", f"=tingkat < {depth}"),
        flow("KeKerja", "Cek", "Kerja"),
        flow("DariPanggil", "Panggil", "End"),
        flow("DariKerja", "Kerja", "End"),
    )
    root = await gw.start("memanggilDiri", {"tingkat": 0})
    await engine.wait_for_idle()
    instances = [pi for pi in engine.engine.process_instances.values() if pi.bpmn_process_id == "memanggilDiri"]
    assert len(instances) == depth + 1
    [job] = engine.jobs("kerja-terdalam")

    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=root))

    for pi in instances:
        engine.assert_that(pi.key).is_terminated()
    assert not engine.jobs("kerja-terdalam")
    assert job.key not in engine.engine.jobs


async def test_interrupting_timer_boundary_on_the_call_activity_terminates_the_child(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An interrupting timer boundary on the call activity terminates it and the child instance; the child's
    variables are not propagated."""
    await gw.deploy(
        parent(
            "timedCall",
            call_activity("Call", "child"),
            boundary("TooLong", "Call", timer("timeDuration", "PT1H")),
            service("Chase", "chase"),
            chain("TooLong", "Chase"),
        ),
        child(),
    )
    pi = await gw.start("timedCall")
    [called] = gw.called(pi)
    await gw.stub.SetVariables(
        pb.SetVariablesRequest(elementInstanceKey=called.key, variables=json.dumps({"partial": 1}))
    )

    await engine.increase_time(timedelta(hours=1))

    engine.assert_that(pi).has_terminated("Call").is_waiting_exactly_at("Chase").has_no_variable("partial")
    engine.assert_that(called.key).is_terminated()
    assert engine.jobs("child-work") == []


async def test_non_interrupting_message_boundary_on_the_call_activity_leaves_the_child_alone(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A non-interrupting message boundary on the call activity takes its path; the child keeps running and
    completing it still completes the call activity."""
    await gw.deploy(
        parent(
            "nudgedCall",
            call_activity("Call", "child"),
            boundary("Nudge", "Call", message_ref("Msg_Nudge"), interrupting=False),
            service("Remind", "remind"),
            chain("Nudge", "Remind"),
            extra=message("Msg_Nudge", "nudge", "=orderId"),
        ),
        child(),
    )
    pi = await gw.start("nudgedCall", {"orderId": "A-7"})

    await gw.publish("nudge", "A-7")

    engine.assert_that(pi).is_waiting_exactly_at("Call", "Remind")
    await gw.complete(await gw.job("child-work"))
    engine.assert_that(pi).is_waiting_exactly_at("After", "Remind").has_passed("Call")


async def test_an_error_thrown_in_the_child_is_caught_by_an_error_boundary_on_the_call_activity(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A worker's ThrowError in the child, not caught there, is caught by the error boundary event of the call
    activity in the parent: the child is terminated and the parent takes the boundary path."""
    await gw.deploy(
        parent(
            "catchChildError",
            call_activity("Call", "child"),
            boundary("Rejected", "Call", error_ref("Err_Rejected")),
            service("Notify", "notify"),
            chain("Rejected", "Notify"),
            extra=error("Err_Rejected", "REJECTED"),
        ),
        child(),
    )
    pi = await gw.start("catchChildError")
    [called] = gw.called(pi)

    await gw.throw_error(await gw.job("child-work"), "REJECTED", "no stock", {"reason": "stock"})

    engine.assert_that(called.key).is_terminated().has_no_incidents()
    engine.assert_that(pi).has_terminated("Call").has_passed("Rejected").is_waiting_exactly_at("Notify")
    engine.assert_that(pi).has_variable("reason", "stock")


async def test_an_error_caught_nowhere_is_an_incident_in_the_child(gw: Driver, engine: EmbeddedEngine) -> None:
    """An error that neither the child nor the parent catches is an UNHANDLED_ERROR_EVENT incident at the
    throwing task in the child; the parent keeps waiting at the call activity."""
    await gw.deploy(parent("uncaught", call_activity("Call", "child")), child())
    pi = await gw.start("uncaught")
    [called] = gw.called(pi)

    await gw.throw_error(await gw.job("child-work"), "BOOM")

    assert gw.incident(called.key, "UNHANDLED_ERROR_EVENT").element_id == "ChildWork"
    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("Call")


async def test_a_multi_instance_call_activity_creates_one_child_per_item(gw: Driver, engine: EmbeddedEngine) -> None:
    """A parallel multi-instance call activity creates one child per item, each seeing its item, and collects
    their results in order."""
    await gw.deploy(
        parent(
            "fanOut",
            call_activity(
                "Call",
                "child",
                io(outputs=(("=score", "score"),)),
                loop=multi_instance("=items", "item", output_collection="scores", output_element="=score"),
            ),
        ),
        child(),
    )
    pi = await gw.start("fanOut", {"items": ["a", "bb", "ccc"]})

    assert len(gw.called(pi)) == 3
    for job in await gw.activate("child-work"):
        await gw.complete(job, {"score": len(json.loads(job.variables)["item"])})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("scores", [1, 2, 3])


async def test_a_recursive_call_stops_at_the_maximum_depth_with_an_incident(gw: Driver, engine: EmbeddedEngine) -> None:
    """A process that calls itself forever stops at Zeebe's default maximum depth (1000 nested instances) with a
    CALLED_ELEMENT_ERROR incident, instead of creating instances without end."""
    await gw.deploy(
        (
            "loop.bpmn",
            bpmn(
                "loop",
                start("Start"),
                call_activity("Deeper", "loop"),
                end("End"),
                chain("Start", "Deeper", "End"),
            ),
        )
    )
    root = await gw.start("loop")
    await engine.wait_for_idle()  # 1000 nested instances take more steps than one turn of the event loop runs

    instances = engine.process_instances("loop")
    assert len(instances) == 1000
    [incident] = [i for i in engine.incidents() if i.state is IncidentState.ACTIVE]
    assert incident.error_type == "CALLED_ELEMENT_ERROR" and "maximum depth of 1000" in incident.error_message
    deepest = max(instances, key=lambda p: p.key)
    assert incident.process_instance_key == deepest.key
    [call] = engine.element_instances(root, "Deeper")
    assert call.state is ElementState.ACTIVATED
