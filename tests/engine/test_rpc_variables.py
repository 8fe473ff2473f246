"""Conformance: SetVariables (local and propagating) and Zeebe's variable scoping as jobs see it."""

import json
from typing import Any

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task, simple_service_process
from tests.engine.rpc_helpers import activate_one, complete, create, rpc_error, stub

SUB_INPUTS = '<zeebe:ioMapping><zeebe:input source="=0" target="attempts" /></zeebe:ioMapping>'
TASK_IO = (
    '<zeebe:ioMapping><zeebe:input source="=customer.name" target="name" />'
    '<zeebe:output source="=greeting" target="letter" /></zeebe:ioMapping>'
)


def review_process() -> bytes:
    """start → sub-process Review (local `attempts` = 0: Check → Approve) → Archive → end."""
    return process(
        "review",
        '<bpmn:startEvent id="Start" />'
        f'<bpmn:subProcess id="Review"><bpmn:extensionElements>{SUB_INPUTS}</bpmn:extensionElements>'
        '<bpmn:startEvent id="ReviewStart" />'
        + service_task("CheckTask", "check")
        + service_task("ApproveTask", "approve")
        + '<bpmn:endEvent id="ReviewEnd" />'
        + chain("ReviewStart", "CheckTask", "ApproveTask", "ReviewEnd")
        + "</bpmn:subProcess>"
        + service_task("ArchiveTask", "archive")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "Review", "ArchiveTask", "End"),
    )


def mapped_task_process() -> bytes:
    """start → Greet (input name = customer.name, output letter = greeting) → Send → end."""
    return process(
        "mapped",
        '<bpmn:startEvent id="Start" />'
        + service_task("GreetTask", "greet", extensions=TASK_IO)
        + service_task("SendTask", "send")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "GreetTask", "SendTask", "End"),
    )


@pytest.fixture
def gateway(zeebe_channel: grpc.aio.Channel) -> Any:
    return stub(zeebe_channel)


@pytest.fixture
def review(engine: EmbeddedEngine) -> None:
    engine.engine.deploy([("review.bpmn", review_process())])


def _review_scope(engine: EmbeddedEngine, pi_key: int) -> int:
    [sub] = engine.element_instances(pi_key, "Review")
    return sub.key


async def set_variables(gateway: Any, scope_key: int, variables: dict[str, Any], *, local: bool) -> int:
    response = await gateway.SetVariables(
        pb.SetVariablesRequest(elementInstanceKey=scope_key, variables=json.dumps(variables), local=local)
    )
    return int(response.key)


async def test_set_variables_propagating_updates_the_nearest_scope_that_has_the_variable(
    engine: EmbeddedEngine, gateway: Any, review: None
) -> None:
    """SetVariables (local=false) on a sub-process updates a variable where it already lives and puts a new
    one on the process instance; the next job sees both."""
    pi_key = await create(gateway, "review", {"order": "A-1"})
    sub_key = _review_scope(engine, pi_key)
    key = await set_variables(gateway, sub_key, {"attempts": 2, "reviewer": "Budi"}, local=False)
    assert key > 0
    assert engine.variables(sub_key) == {"attempts": 2}
    assert engine.variables(pi_key) == {"order": "A-1", "reviewer": "Budi"}
    check = await activate_one(gateway, "check")
    assert json.loads(check.variables) == {"order": "A-1", "attempts": 2, "reviewer": "Budi"}


async def test_set_variables_local_keeps_them_in_the_scope(engine: EmbeddedEngine, gateway: Any, review: None) -> None:
    """SetVariables with local=true puts every variable on the given scope: it dies with the sub-process."""
    pi_key = await create(gateway, "review")
    sub_key = _review_scope(engine, pi_key)
    await set_variables(gateway, sub_key, {"draft": "v1"}, local=True)
    assert engine.variables(sub_key) == {"attempts": 0, "draft": "v1"}
    check = await activate_one(gateway, "check")
    assert json.loads(check.variables) == {"attempts": 0, "draft": "v1"}
    await complete(gateway, check.key)
    await complete(gateway, (await activate_one(gateway, "approve")).key)
    archive = await activate_one(gateway, "archive")
    assert json.loads(archive.variables) == {}


async def test_set_variables_local_on_the_task_shadows_the_outer_variable(engine: EmbeddedEngine, gateway: Any) -> None:
    """A local variable on the task's scope shadows the process variable of the same name for its job only."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple", {"status": "new"})
    [task] = engine.element_instances(pi_key, "Work")
    await set_variables(gateway, task.key, {"status": "in-review"}, local=True)
    job = await activate_one(gateway, "do-work")
    assert json.loads(job.variables) == {"status": "in-review"}
    assert engine.variables(pi_key) == {"status": "new"}


async def test_complete_job_variables_follow_the_same_propagation_rule(
    engine: EmbeddedEngine, gateway: Any, review: None
) -> None:
    """CompleteJob inside a sub-process updates `attempts` in the sub-process and creates `verdict` on the
    process instance, so the job after the sub-process sees only `verdict`."""
    pi_key = await create(gateway, "review")
    sub_key = _review_scope(engine, pi_key)
    check = await activate_one(gateway, "check")
    await complete(gateway, check.key, {"attempts": 1, "verdict": "ok"})
    assert engine.variables(sub_key) == {"attempts": 1}
    assert engine.variables(pi_key) == {"verdict": "ok"}
    approve = await activate_one(gateway, "approve")
    assert json.loads(approve.variables) == {"attempts": 1, "verdict": "ok"}
    await complete(gateway, approve.key)
    archive = await activate_one(gateway, "archive")
    assert json.loads(archive.variables) == {"verdict": "ok"}


async def test_input_and_output_mappings_shape_what_the_job_sees_and_returns(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """An input mapping gives the job a local `name`; with an output mapping only `letter` leaves the task."""
    engine.engine.deploy([("mapped.bpmn", mapped_task_process())])
    pi_key = await create(gateway, "mapped", {"customer": {"name": "Sari"}})
    greet = await activate_one(gateway, "greet")
    assert json.loads(greet.variables) == {"customer": {"name": "Sari"}, "name": "Sari"}
    await complete(gateway, greet.key, {"greeting": "Halo Sari", "scratch": 1})
    send = await activate_one(gateway, "send")
    assert json.loads(send.variables) == {"customer": {"name": "Sari"}, "letter": "Halo Sari"}
    await complete(gateway, send.key)
    engine.assert_that(pi_key).is_completed().has_variable("letter", "Halo Sari")
    assert "name" not in engine.variables(pi_key)
    assert "scratch" not in engine.variables(pi_key)


async def test_set_variables_on_the_process_instance_reaches_the_waiting_job_on_next_activation(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """SetVariables on the process instance key changes what the next activation of a job sees."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple", {"amount": 10})
    await set_variables(gateway, pi_key, {"amount": 25, "currency": "IDR"}, local=False)
    job = await activate_one(gateway, "do-work")
    assert json.loads(job.variables) == {"amount": 25, "currency": "IDR"}


async def test_set_variables_on_an_unknown_or_finished_scope_is_not_found(engine: EmbeddedEngine, gateway: Any) -> None:
    """SetVariables on a key that is no active element instance is NOT_FOUND naming the key."""
    unknown = await rpc_error(gateway.SetVariables(pb.SetVariablesRequest(elementInstanceKey=99, variables="{}")))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'99'" in (unknown.details() or "")
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi_key))
    finished = await rpc_error(
        gateway.SetVariables(pb.SetVariablesRequest(elementInstanceKey=pi_key, variables='{"a": 1}'))
    )
    assert finished.code() == grpc.StatusCode.NOT_FOUND
    assert f"'{pi_key}'" in (finished.details() or "")


@pytest.mark.parametrize("document", ["{broken", "[1]", "42"])
async def test_set_variables_with_a_document_that_is_no_json_object_is_invalid_argument(
    engine: EmbeddedEngine, gateway: Any, document: str
) -> None:
    """SetVariables with variables that are not a JSON object is INVALID_ARGUMENT; nothing changes."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple", {"keep": True})
    error = await rpc_error(gateway.SetVariables(pb.SetVariablesRequest(elementInstanceKey=pi_key, variables=document)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'variables'" in (error.details() or "")
    assert engine.variables(pi_key) == {"keep": True}
