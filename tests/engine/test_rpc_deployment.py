"""Conformance: DeployResource – BPMN and forms, versioning, and every refusal as INVALID_ARGUMENT."""

import json
from pathlib import Path
from typing import Any

import grpc
from pyzeebe import ZeebeClient
from pyzeebe.grpc_internals.types import DeployResourceResponse
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, simple_service_process
from tests.engine.rpc_helpers import create, rpc_error, stub


def form(form_id: str = "review-form", label: str = "Approved?") -> bytes:
    schema = {
        "id": form_id,
        "type": "default",
        "schemaVersion": 16,
        "components": [{"key": "approved", "label": label, "type": "checkbox"}],
    }
    return json.dumps(schema).encode()


def request(*resources: tuple[str, bytes]) -> pb.DeployResourceRequest:
    return pb.DeployResourceRequest(resources=[pb.Resource(name=n, content=c) for n, c in resources])


async def deploy(gateway: Any, *resources: tuple[str, bytes]) -> pb.DeployResourceResponse:
    response: pb.DeployResourceResponse = await gateway.DeployResource(request(*resources))
    return response


async def deploy_error(gateway: Any, *resources: tuple[str, bytes]) -> grpc.aio.AioRpcError:
    return await rpc_error(gateway.DeployResource(request(*resources)))


# ---------------------------------------------------------------------- happy paths
async def test_pyzeebe_deploys_a_bpmn_file_and_a_form_file(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, tmp_path: Path
) -> None:
    """pyzeebe's deploy_resource deploys a BPMN and a .form file: version 1 each, with keys and names."""
    (tmp_path / "simple.bpmn").write_bytes(simple_service_process())
    (tmp_path / "review.form").write_bytes(form())
    response = await zeebe_client.deploy_resource(tmp_path / "simple.bpmn", tmp_path / "review.form")
    assert response.key > 0
    [proc, frm] = response.deployments
    assert isinstance(proc, DeployResourceResponse.ProcessMetadata)
    assert (proc.bpmn_process_id, proc.version, proc.resource_name) == ("simple", 1, "simple.bpmn")
    assert proc.process_definition_key > 0
    assert isinstance(frm, DeployResourceResponse.FormMetadata)
    assert (frm.form_id, frm.version, frm.resource_name) == ("review-form", 1, "review.form")
    assert frm.form_key > 0
    assert engine.engine.definitions[proc.process_definition_key].bpmn_process_id == "simple"


async def test_a_deployed_process_can_be_instantiated(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> None:
    """A process is instantiable right after DeployResource answered."""
    gateway = stub(zeebe_channel)
    await deploy(gateway, ("simple.bpmn", simple_service_process()))
    key = await create(gateway, "simple")
    engine.assert_that(key).is_active().is_waiting_at("Work")


async def test_redeploying_identical_content_keeps_version_and_key(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """Deploying the same BPMN and form again answers the existing version and key (a new deployment key)."""
    gateway = stub(zeebe_channel)
    resources = (("simple.bpmn", simple_service_process()), ("review.form", form()))
    first = await deploy(gateway, *resources)
    second = await deploy(gateway, *resources)
    assert second.key != first.key
    assert second.deployments[0].process == first.deployments[0].process
    assert second.deployments[1].form == first.deployments[1].form
    assert len(engine.engine.definitions) == 1
    assert len(engine.engine.forms) == 1


async def test_changed_content_makes_a_new_version_that_new_instances_use(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A changed BPMN becomes version 2 with a new key, and CreateProcessInstance (latest) uses it."""
    gateway = stub(zeebe_channel)
    v1 = (await deploy(gateway, ("simple.bpmn", simple_service_process(job_type="old-work")))).deployments[0]
    v2 = (await deploy(gateway, ("simple.bpmn", simple_service_process(job_type="new-work")))).deployments[0]
    assert (v1.process.version, v2.process.version) == (1, 2)
    assert v2.process.processDefinitionKey != v1.process.processDefinitionKey
    key = await create(gateway, "simple")
    assert engine.process_instance(key).version == 2
    assert [j.type for j in engine.jobs()] == ["new-work"]


async def test_a_changed_form_makes_a_new_form_version(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> None:
    """A form with the same id but different content becomes version 2 with a new form key."""
    gateway = stub(zeebe_channel)
    v1 = (await deploy(gateway, ("review.form", form(label="Approved?")))).deployments[0].form
    v2 = (await deploy(gateway, ("review.form", form(label="Approve it?")))).deployments[0].form
    assert (v1.version, v2.version) == (1, 2)
    assert v1.formKey != v2.formKey


async def test_the_same_content_under_another_resource_name_is_a_new_version(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """Zeebe's duplicate check compares checksum and resource name: a renamed file is a new version."""
    gateway = stub(zeebe_channel)
    await deploy(gateway, ("simple.bpmn", simple_service_process()))
    await deploy(gateway, ("review.form", form()))
    renamed_process = await deploy(gateway, ("renamed.bpmn", simple_service_process()))
    renamed_form = await deploy(gateway, ("renamed.form", form()))
    assert renamed_process.deployments[0].process.version == 2
    assert renamed_form.deployments[0].form.version == 2


async def test_resources_of_one_deployment_are_versioned_together(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """When one resource of a deployment changed, the unchanged ones get a new version too (as in Zeebe)."""
    gateway = stub(zeebe_channel)
    await deploy(gateway, ("a.bpmn", simple_service_process("a", "work-a")), ("review.form", form()))
    response = await deploy(
        gateway, ("a.bpmn", simple_service_process("a", "work-a")), ("b.bpmn", simple_service_process("b"))
    )
    [a, b] = [d.process for d in response.deployments]
    assert (a.bpmnProcessId, a.version) == ("a", 2)
    assert (b.bpmnProcessId, b.version) == ("b", 1)
    unchanged_form = await deploy(gateway, ("review.form", form()))
    assert unchanged_form.deployments[0].form.version == 1


# ---------------------------------------------------------------------- refusals
async def test_malformed_xml_is_invalid_argument_naming_the_file(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """XML that is not well-formed is refused with INVALID_ARGUMENT naming the resource."""
    error = await deploy_error(stub(zeebe_channel), ("broken.bpmn", b"<bpmn:definitions><unclosed>"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'broken.bpmn'" in details
    assert "not well-formed" in details


async def test_an_unsupported_element_is_refused_with_file_id_type_and_reason(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """An unsupported element is refused with the file, the element id, its BPMN type and the reason."""
    bpmn = process(
        "calls",
        '<bpmn:startEvent id="Start" /><bpmn:complexGateway id="MergeGateway" />'
        '<bpmn:endEvent id="End" />' + chain("Start", "MergeGateway", "End"),
    )
    error = await deploy_error(stub(zeebe_channel), ("calls.bpmn", bpmn))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'calls.bpmn'" in details
    assert "'MergeGateway'" in details
    assert "bpmn:complexGateway" in details
    assert "not supported" in details


async def test_a_service_task_without_job_type_is_refused_with_element_and_reason(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A service task without a job type is refused with its id, its type and what is missing."""
    bpmn = process(
        "untyped",
        '<bpmn:startEvent id="Start" /><bpmn:serviceTask id="DoNothingTask" /><bpmn:endEvent id="End" />'
        + chain("Start", "DoNothingTask", "End"),
    )
    error = await deploy_error(stub(zeebe_channel), ("untyped.bpmn", bpmn))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'untyped.bpmn'" in details
    assert "'DoNothingTask' (bpmn:serviceTask)" in details
    assert "zeebe:taskDefinition" in details


async def test_a_failed_deployment_deploys_nothing(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> None:
    """A deployment with one bad resource is refused whole: its good resources are not deployed either."""
    gateway = stub(zeebe_channel)
    error = await deploy_error(gateway, ("good.bpmn", simple_service_process("good")), ("bad.bpmn", b"not xml at all"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'bad.bpmn'" in (error.details() or "")
    assert engine.engine.definitions == {}
    not_found = await rpc_error(
        gateway.CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="good", version=-1))
    )
    assert not_found.code() == grpc.StatusCode.NOT_FOUND


async def test_a_deployment_without_resources_is_invalid_argument(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """DeployResource with no resource at all is INVALID_ARGUMENT."""
    error = await deploy_error(stub(zeebe_channel))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at least one resource" in (error.details() or "")


async def test_an_unknown_file_type_is_refused_naming_the_file(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A resource that is neither .bpmn/.xml nor .form is refused naming the file."""
    error = await deploy_error(stub(zeebe_channel), ("notes.txt", b"hello"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'notes.txt'" in (error.details() or "")


async def test_a_dmn_resource_that_is_not_dmn_is_refused_naming_the_file(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A `.dmn` resource whose root is no DMN definitions is refused with INVALID_ARGUMENT saying so (DMN itself is
    deployed: tests/engine/test_rpc_decisions.py)."""
    error = await deploy_error(stub(zeebe_channel), ("rules.dmn", b"<definitions/>"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.details() or "").endswith(
        "'rules.dmn': not a DMN 1.1–1.5 document (the root element must be dmn:definitions)"
    )


async def test_a_form_that_is_not_json_or_has_no_id_is_refused(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A .form that is not JSON, or has no id, is refused with INVALID_ARGUMENT naming the file."""
    gateway = stub(zeebe_channel)
    not_json = await deploy_error(gateway, ("broken.form", b"{not json"))
    assert not_json.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'broken.form'" in (not_json.details() or "")
    no_id = await deploy_error(gateway, ("anonymous.form", b'{"components": []}'))
    assert no_id.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'anonymous.form'" in (no_id.details() or "")
    assert "id" in (no_id.details() or "")


async def test_a_process_id_twice_in_one_deployment_is_refused_naming_both_files(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """Two resources defining the same process id in one deployment are refused naming both."""
    error = await deploy_error(
        stub(zeebe_channel), ("one.bpmn", simple_service_process("same")), ("two.bpmn", simple_service_process("same"))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'one.bpmn'" in details
    assert "'two.bpmn'" in details
    assert "'same'" in details


async def test_a_document_without_an_executable_process_is_refused(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """A BPMN document whose processes are all non-executable is refused naming the file."""
    bpmn = simple_service_process("draft").replace(b'isExecutable="true"', b'isExecutable="false"')
    error = await deploy_error(stub(zeebe_channel), ("draft.bpmn", bpmn))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error.details() or ""
    assert "'draft.bpmn'" in details
    assert "executable" in details
