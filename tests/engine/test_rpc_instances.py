"""Conformance: CreateProcessInstance, CreateProcessInstanceWithResult and CancelProcessInstance."""

import asyncio
import json

import grpc
import pytest
from pyzeebe import ZeebeClient
from pyzeebe.errors import ProcessDefinitionNotFoundError
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, simple_service_process
from tests.engine.rpc_helpers import activate_one, complete, create, message_def, rpc_error, stub


def straight_through(process_id: str = "straight") -> bytes:
    """start → end: the instance completes as soon as it is created."""
    return process(process_id, '<bpmn:startEvent id="Start" /><bpmn:endEvent id="End" />' + chain("Start", "End"))


def message_start_only(process_id: str = "onlyByMessage") -> bytes:
    return process(
        process_id,
        '<bpmn:startEvent id="Start"><bpmn:messageEventDefinition messageRef="Message_Go" /></bpmn:startEvent>'
        '<bpmn:endEvent id="End" />' + chain("Start", "End"),
        extra=message_def("Message_Go", "go", "=key"),
    )


# ---------------------------------------------------------------------- CreateProcessInstance
async def test_create_by_process_id_uses_the_latest_version(engine: EmbeddedEngine, zeebe_client: ZeebeClient) -> None:
    """CreateProcessInstance by process id (version -1) starts the latest version with the variables given."""
    engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v1"))])
    latest = engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v2"))]).resources[0]
    response = await zeebe_client.run_process("simple", {"nomor": 7})
    assert response.bpmn_process_id == "simple"
    assert response.version == 2
    assert response.process_definition_key == latest.key
    engine.assert_that(response.process_instance_key).is_waiting_at("Work").has_variable("nomor", 7)


async def test_create_by_process_id_and_version_uses_that_version(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """CreateProcessInstance with an explicit version starts that version, not the latest."""
    first = engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v1"))]).resources[0]
    engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v2"))])
    response = await stub(zeebe_channel).CreateProcessInstance(
        pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=1)
    )
    assert (response.version, response.processDefinitionKey) == (1, first.key)
    assert [j.type for j in engine.jobs()] == ["v1"]


async def test_create_by_process_definition_key(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> None:
    """CreateProcessInstance by processDefinitionKey starts exactly that definition."""
    first = engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v1"))]).resources[0]
    engine.engine.deploy([("simple.bpmn", simple_service_process(job_type="v2"))])
    response = await stub(zeebe_channel).CreateProcessInstance(
        pb.CreateProcessInstanceRequest(processDefinitionKey=first.key)
    )
    assert (response.bpmnProcessId, response.version, response.processDefinitionKey) == ("simple", 1, first.key)


async def test_create_with_a_start_instruction_starts_at_that_element(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A start instruction starts the instance at the named element instead of the none start event."""
    engine.engine.deploy(
        [
            (
                "two.bpmn",
                process(
                    "two",
                    '<bpmn:startEvent id="Start" />'
                    '<bpmn:serviceTask id="First"><bpmn:extensionElements><zeebe:taskDefinition type="first" />'
                    "</bpmn:extensionElements></bpmn:serviceTask>"
                    '<bpmn:serviceTask id="Second"><bpmn:extensionElements><zeebe:taskDefinition type="second" />'
                    '</bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="End" />'
                    + chain("Start", "First", "Second", "End"),
                ),
            )
        ]
    )
    response = await stub(zeebe_channel).CreateProcessInstance(
        pb.CreateProcessInstanceRequest(
            bpmnProcessId="two",
            version=-1,
            startInstructions=[pb.ProcessInstanceCreationStartInstruction(elementId="Second")],
        )
    )
    engine.assert_that(response.processInstanceKey).is_waiting_exactly_at("Second")


async def test_create_of_an_unknown_process_id_is_not_found(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """An unknown process id is NOT_FOUND naming the id; pyzeebe turns it into ProcessDefinitionNotFoundError."""
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="noSuchProcess", version=-1)
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'noSuchProcess'" in (error.details() or "")
    with pytest.raises(ProcessDefinitionNotFoundError):
        await zeebe_client.run_process("noSuchProcess")


async def test_create_of_an_unknown_version_is_not_found(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A process id with a version that was never deployed is NOT_FOUND naming id and version."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=9))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    details = error.details() or ""
    assert "'simple'" in details
    assert "'9'" in details


async def test_version_zero_is_not_the_latest_but_a_version_that_never_exists(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """As in Zeebe only -1 means the latest version: an unset version (0) is NOT_FOUND naming version '0'."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="simple"))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'simple'" in (error.details() or "")
    assert "'0'" in (error.details() or "")
    assert engine.process_instances() == []


async def test_create_of_an_unknown_definition_key_is_not_found(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """An unknown processDefinitionKey is NOT_FOUND naming the key."""
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(pb.CreateProcessInstanceRequest(processDefinitionKey=123456789))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'123456789'" in (error.details() or "")


async def test_create_of_a_process_without_none_start_event_is_failed_precondition(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A process that only starts by message cannot be created by command: FAILED_PRECONDITION."""
    engine.engine.deploy([("msg.bpmn", message_start_only())])
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="onlyByMessage", version=-1)
        )
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = error.details() or ""
    assert "none start event" in details
    assert "'onlyByMessage'" in details
    assert engine.process_instances() == []


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [("{not json", "could not be parsed"), ("[1, 2]", "root level object"), ('"text"', "root level object")],
)
async def test_create_with_invalid_json_variables_is_invalid_argument(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel, variables: str, complaint: str
) -> None:
    """Variables that are not a JSON object are INVALID_ARGUMENT naming the property; no instance starts."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1, variables=variables)
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'variables'" in details
    assert complaint in details
    assert engine.process_instances() == []


async def test_create_without_process_id_or_key_is_invalid_argument(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A request with no process id and definition key -1 names no process: INVALID_ARGUMENT, as in Zeebe."""
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstance(pb.CreateProcessInstanceRequest(processDefinitionKey=-1))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "bpmnProcessId" in (error.details() or "")


# ---------------------------------------------------------------------- CreateProcessInstanceWithResult
async def test_create_with_result_answers_the_final_variables(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """CreateProcessInstanceWithResult answers when the instance completed, with its root variables."""
    engine.engine.deploy([("straight.bpmn", straight_through())])
    result = await zeebe_client.run_process_with_result("straight", {"a": 1, "b": {"c": [1, 2]}})
    assert result.variables == {"a": 1, "b": {"c": [1, 2]}}
    assert result.bpmn_process_id == "straight"
    engine.assert_that(result.process_instance_key).is_completed()


async def test_create_with_result_waits_for_the_job_and_returns_its_output(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """The result waits for a job to complete and includes the variables the job set; fetchVariables filters."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    gateway = stub(zeebe_channel)
    call = asyncio.ensure_future(
        gateway.CreateProcessInstanceWithResult(
            pb.CreateProcessInstanceWithResultRequest(
                request=pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1, variables='{"input": 1}'),
                fetchVariables=["output"],
            )
        )
    )
    job = await activate_one(gateway, "do-work", request_timeout_ms=5_000)
    await complete(gateway, job.key, {"output": "done", "noise": True})
    result = await call
    assert json.loads(result.variables) == {"output": "done"}
    assert result.processInstanceKey == job.processInstanceKey


async def test_create_with_result_times_out_with_deadline_exceeded(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """An instance that does not complete within requestTimeout answers DEADLINE_EXCEEDED; it keeps running."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstanceWithResult(
            pb.CreateProcessInstanceWithResultRequest(
                request=pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1), requestTimeout=50
            )
        )
    )
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    [instance] = engine.process_instances("simple")
    assert str(instance.key) in (error.details() or "")
    engine.assert_that(instance.key).is_active().is_waiting_at("Work")


async def test_create_with_result_of_an_unknown_process_is_not_found(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """CreateProcessInstanceWithResult of an unknown process id is NOT_FOUND, like the plain create."""
    error = await rpc_error(
        stub(zeebe_channel).CreateProcessInstanceWithResult(
            pb.CreateProcessInstanceWithResultRequest(
                request=pb.CreateProcessInstanceRequest(bpmnProcessId="nope", version=-1)
            )
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'nope'" in (error.details() or "")


# ---------------------------------------------------------------------- CancelProcessInstance
async def test_cancel_terminates_the_instance_and_its_job(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: grpc.aio.Channel
) -> None:
    """CancelProcessInstance terminates the instance; its job is gone, so completing it is NOT_FOUND."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    gateway = stub(zeebe_channel)
    key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await zeebe_client.cancel_process_instance(key)
    engine.assert_that(key).is_terminated()
    assert [e.state.value for e in engine.element_instances(key, "Work")] == ["ELEMENT_TERMINATED"]
    error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key)))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_cancel_of_an_unknown_or_finished_instance_is_not_found(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """Cancelling an unknown key, or an instance already cancelled, is NOT_FOUND naming the key."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    gateway = stub(zeebe_channel)
    unknown = await rpc_error(gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=42)))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'42'" in (unknown.details() or "")
    key = await create(gateway, "simple")
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=key))
    again = await rpc_error(gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=key)))
    assert again.code() == grpc.StatusCode.NOT_FOUND
    assert f"'{key}'" in (again.details() or "")
