"""Conformance: incidents raised through the RPCs and their resolution with ResolveIncident."""

import asyncio
import json
from typing import Any

import grpc
from pyzeebe import ZeebeWorker
from pyzeebe.proto import gateway_pb2 as pb

from engine.state import IncidentState, JobState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task, simple_service_process
from tests.engine.rpc_helpers import activate, activate_one, complete, create, rpc_error


def one_retry_process() -> bytes:
    """start → service task `flaky` with a single retry → end."""
    return process(
        "flaky",
        '<bpmn:startEvent id="Start" />'
        + service_task("CallPartnerTask", "call-partner", retries=1)
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "CallPartnerTask", "End"),
    )


def job_type_expression_process() -> bytes:
    """start → service task whose job type is the FEEL expression `service + "-job"` → end."""
    return process(
        "dynamicType",
        '<bpmn:startEvent id="Start" />'
        + service_task("DynamicTask", "=service + &quot;-job&quot;")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "DynamicTask", "End"),
    )


async def _fail_without_retries(gateway: Any, pi_key: int) -> pb.ActivatedJob:
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="printer on fire"))
    return job


async def test_a_job_incident_is_resolved_by_retries_and_resolve_then_the_worker_runs_again(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel, gateway: Any
) -> None:
    """A pyzeebe job that ran out of retries waits in an incident; UpdateJobRetries + ResolveIncident run it
    again, and the instance completes."""
    engine.engine.deploy([("flaky.bpmn", one_retry_process())])
    worker = ZeebeWorker(zeebe_channel, name="partner-caller")
    calls: list[int] = []

    @worker.task(task_type="call-partner")  # type: ignore[arg-type]  # pyzeebe's decorator typing rejects typed handlers
    async def call_partner() -> dict[str, Any]:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            raise ConnectionError("partner is down")
        return {"partnerAnswer": "ok"}

    task = asyncio.create_task(worker.work())
    try:
        pi_key = await create(gateway, "flaky")
        await engine.wait_for_idle()
        [incident] = engine.incidents(pi_key)
        assert incident.error_type == "JOB_NO_RETRIES"
        assert "partner is down" in incident.error_message
        assert incident.job_key is not None
        engine.assert_that(pi_key).is_active().is_waiting_at("CallPartnerTask")

        await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=incident.job_key, retries=1))
        await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key))
        await engine.wait_for_idle()
    finally:
        await worker.stop()
        await task
    assert calls == [1, 2]
    assert incident.state is IncidentState.RESOLVED
    engine.assert_that(pi_key).is_completed().has_variable("partnerAnswer", "ok")


async def test_resolving_a_job_incident_without_retries_is_failed_precondition(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """ResolveIncident on a job incident whose job still has no retries is FAILED_PRECONDITION naming both keys."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    job = await _fail_without_retries(gateway, pi_key)
    [incident] = engine.incidents(pi_key)
    error = await rpc_error(gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = error.details() or ""
    assert f"'{incident.key}'" in details
    assert str(job.key) in details
    assert "retries" in details
    assert incident.state is IncidentState.ACTIVE


async def test_resolving_an_unknown_or_resolved_incident_is_not_found(engine: EmbeddedEngine, gateway: Any) -> None:
    """ResolveIncident with an unknown key, or an incident already resolved, is NOT_FOUND naming the key."""
    unknown = await rpc_error(gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=4242)))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'4242'" in (unknown.details() or "")
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    job = await _fail_without_retries(gateway, pi_key)
    [incident] = engine.incidents(pi_key)
    await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=1))
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key))
    again = await rpc_error(gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key)))
    assert again.code() == grpc.StatusCode.NOT_FOUND
    assert f"'{incident.key}'" in (again.details() or "")


async def test_a_resolved_job_incident_hands_the_job_out_with_the_new_retries(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """After UpdateJobRetries and ResolveIncident the same job is activatable with the retries given."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    job = await _fail_without_retries(gateway, pi_key)
    assert await activate(gateway, "do-work") == []
    [incident] = engine.incidents(pi_key)
    await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=2))
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key))
    again = await activate_one(gateway, "do-work")
    assert (again.key, again.retries) == (job.key, 2)
    await complete(gateway, again.key)
    engine.assert_that(pi_key).is_completed()


async def test_an_unhandled_error_incident_resolves_into_a_new_attempt_of_the_job(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """Resolving the incident of an uncaught ThrowError makes the job activatable again, as in Zeebe."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.ThrowError(pb.ThrowErrorRequest(jobKey=job.key, errorCode="NOT_MODELLED"))
    [incident] = engine.incidents(pi_key)
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key))
    again = await activate_one(gateway, "do-work")
    assert again.key == job.key
    await complete(gateway, again.key)
    engine.assert_that(pi_key).is_completed()


async def test_an_expression_incident_is_resolved_after_set_variables(engine: EmbeddedEngine, gateway: Any) -> None:
    """A job type expression over a missing variable raises EXTRACT_VALUE_ERROR; SetVariables + ResolveIncident
    re-run the activation and the job is created with the evaluated type."""
    engine.engine.deploy([("dynamic.bpmn", job_type_expression_process())])
    pi_key = await create(gateway, "dynamicType")
    [incident] = engine.incidents(pi_key)
    assert (incident.error_type, incident.element_id, incident.job_key) == ("EXTRACT_VALUE_ERROR", "DynamicTask", None)
    assert "service" in incident.error_message
    await gateway.SetVariables(
        pb.SetVariablesRequest(elementInstanceKey=pi_key, variables=json.dumps({"service": "mail"}))
    )
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident.key))
    job = await activate_one(gateway, "mail-job")
    assert job.elementId == "DynamicTask"
    await complete(gateway, job.key)
    engine.assert_that(pi_key).is_completed().has_no_incidents()


async def test_an_expression_incident_resolved_without_a_fix_raises_a_new_incident(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """Resolving an expression incident whose cause is still there raises a new incident at the same element."""
    engine.engine.deploy([("dynamic.bpmn", job_type_expression_process())])
    pi_key = await create(gateway, "dynamicType")
    [first] = engine.incidents(pi_key)
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=first.key))
    active = [i for i in engine.incidents(pi_key) if i.state is IncidentState.ACTIVE]
    assert [(i.element_id, i.error_type) for i in active] == [("DynamicTask", "EXTRACT_VALUE_ERROR")]
    assert active[0].key != first.key


async def test_cancelling_an_instance_resolves_its_incidents(engine: EmbeddedEngine, gateway: Any) -> None:
    """CancelProcessInstance on an instance with an incident terminates it and resolves the incident."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    pi_key = await create(gateway, "simple")
    job = await _fail_without_retries(gateway, pi_key)
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi_key))
    engine.assert_that(pi_key).is_terminated()
    [incident] = engine.incidents(pi_key)
    assert incident.state is IncidentState.RESOLVED
    assert job.key not in engine.engine.jobs or engine.engine.jobs[job.key].state is JobState.CANCELED
