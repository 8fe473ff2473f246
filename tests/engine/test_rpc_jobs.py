"""Conformance: ActivateJobs, StreamActivatedJobs, CompleteJob, FailJob, ThrowError, UpdateJobRetries and
UpdateJobTimeout – with the controlled clock for time-outs and back-offs."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import grpc
import pytest
from pyzeebe import Job, ZeebeWorker
from pyzeebe.proto import gateway_pb2 as pb

from engine.clock import to_millis
from engine.state import IncidentState, JobState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task, simple_service_process
from tests.engine.rpc_helpers import (
    activate,
    activate_one,
    complete,
    create,
    rpc_error,
    stream_error,
    two_tasks,
)

HEADERS = '<zeebe:taskHeaders><zeebe:header key="template" value="welcome" /><zeebe:header key="lang" value="id" />'


def headers_process() -> bytes:
    return process(
        "withHeaders",
        '<bpmn:startEvent id="Start" />'
        + service_task("Notify", "notify", extensions=HEADERS + "</zeebe:taskHeaders>")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "Notify", "End"),
    )


@pytest.fixture
def simple(engine: EmbeddedEngine) -> None:
    engine.engine.deploy([("simple.bpmn", simple_service_process())])


# ---------------------------------------------------------------------- ActivateJobs
async def test_an_activated_job_carries_every_field_of_its_element(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """An activated job names its type, instance, definition, element, worker, retries, deadline and tenant."""
    pi_key = await create(gateway, "simple")
    before = to_millis(engine.current_time)
    job = await activate_one(gateway, "do-work", worker="clerk-1", timeout_ms=30_000)
    after = to_millis(engine.current_time)
    [element] = engine.element_instances(pi_key, "Work")
    definition = engine.process_instance(pi_key)
    assert job.type == "do-work"
    assert job.processInstanceKey == pi_key
    assert (job.bpmnProcessId, job.processDefinitionVersion) == ("simple", 1)
    assert job.processDefinitionKey == definition.process_definition_key
    assert (job.elementId, job.elementInstanceKey) == ("Work", element.key)
    assert (job.worker, job.retries) == ("clerk-1", 3)
    assert before + 30_000 <= job.deadline <= after + 30_000
    assert job.tenantId == "<default>"


async def test_headers_and_variables_are_json_objects_even_when_empty(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """Without headers or variables a job still carries `{}` for both, never an empty string."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    assert job.customHeaders == "{}"
    assert job.variables == "{}"


async def test_custom_headers_arrive_as_a_json_object(engine: EmbeddedEngine, gateway: Any) -> None:
    """zeebe:taskHeaders arrive as one JSON object of strings."""
    engine.engine.deploy([("headers.bpmn", headers_process())])
    await create(gateway, "withHeaders")
    job = await activate_one(gateway, "notify")
    assert json.loads(job.customHeaders) == {"template": "welcome", "lang": "id"}


async def test_fetch_variable_limits_the_variables_of_the_job(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """fetchVariable hands over only the named variables; without it the job gets every visible variable."""
    await create(gateway, "simple", {"nama": "Sari", "nomor": 3, "rahasia": "x"})
    [job] = await activate(gateway, "do-work", fetch=["nama", "nomor", "absent"])
    assert json.loads(job.variables) == {"nama": "Sari", "nomor": 3}
    await create(gateway, "simple", {"a": 1, "b": [1, 2]})
    [everything] = await activate(gateway, "do-work")
    assert json.loads(everything.variables) == {"a": 1, "b": [1, 2]}


async def test_max_jobs_to_activate_bounds_each_batch(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """maxJobsToActivate caps a batch; the jobs left over come with the next request."""
    for n in range(3):
        await create(gateway, "simple", {"n": n})
    first = await activate(gateway, "do-work", max_jobs=2)
    second = await activate(gateway, "do-work", max_jobs=2)
    assert (len(first), len(second)) == (2, 1)
    assert {j.key for j in first}.isdisjoint({j.key for j in second})
    assert await activate(gateway, "do-work") == []


async def test_a_batch_is_cut_to_what_the_client_can_receive(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """Three jobs of 2 MiB each: one message of the three would pass the client's 4 MB limit (RESOURCE_EXHAUSTED at
    the worker, the jobs activated for nothing); each batch holds what fits, the rest stay activatable."""
    for n in range(3):
        await create(gateway, "simple", {"n": n, "berkas": "x" * 2 * 1024 * 1024})
    sizes = [len(await activate(gateway, "do-work", max_jobs=3)) for _ in range(3)]
    assert sizes == [1, 1, 1]
    assert all(j.state is JobState.ACTIVATED for j in engine.engine.jobs.values())


async def test_a_job_larger_than_a_client_message_gets_an_incident_instead_of_being_activated(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """A job whose variables alone pass the limit can never be received: an incident names it (as Zeebe's
    MESSAGE_SIZE_EXCEEDED), and the jobs after it are still handed out."""
    engine.engine.create_process_instance(
        bpmn_process_id="simple", variables={"a": "x" * 2_500_000, "b": "y" * 2_500_000}
    )
    small = await create(gateway, "simple", {"n": 1})
    [job] = await activate(gateway, "do-work", max_jobs=5)
    assert job.processInstanceKey == small
    [incident] = engine.engine.incidents.values()
    assert incident.error_type == "MESSAGE_SIZE_EXCEEDED"
    assert "larger than the configured message size" in incident.error_message


async def test_an_activated_job_is_not_handed_out_again_before_its_timeout(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """Until its timeout passes, an activated job is handed to no other worker."""
    await create(gateway, "simple")
    await activate_one(gateway, "do-work", timeout_ms=60_000)
    await engine.increase_time(timedelta(seconds=59))
    assert await activate(gateway, "do-work", worker="other") == []


async def test_a_job_not_completed_in_time_becomes_activatable_again(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """After its timeout an uncompleted job is activatable again: same key, same retries, the new worker."""
    pi_key = await create(gateway, "simple")
    first = await activate_one(gateway, "do-work", worker="slow", timeout_ms=1_000)
    await engine.increase_time(timedelta(seconds=2))
    again = await activate_one(gateway, "do-work", worker="fast")
    assert again.key == first.key
    assert (again.retries, again.worker) == (first.retries, "fast")
    await complete(gateway, again.key)
    engine.assert_that(pi_key).is_completed()


async def test_a_timed_out_job_can_still_be_completed_by_its_late_worker(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """A job whose timeout passed (activatable again) still accepts CompleteJob from the late worker."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=1_000)
    await engine.increase_time(timedelta(seconds=2))
    await complete(gateway, job.key, {"late": True})
    engine.assert_that(pi_key).is_completed().has_variable("late", True)


@pytest.mark.parametrize("job_type", ["", "   "])
async def test_a_blank_job_type_is_invalid_argument(engine: EmbeddedEngine, gateway: Any, job_type: str) -> None:
    """ActivateJobs with a blank type is INVALID_ARGUMENT saying the type is blank."""
    error = await rpc_error(activate(gateway, job_type))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "type" in (error.details() or "")
    assert "blank" in (error.details() or "")


async def test_max_jobs_to_activate_below_one_is_invalid_argument(engine: EmbeddedEngine, gateway: Any) -> None:
    """ActivateJobs with maxJobsToActivate 0 is INVALID_ARGUMENT naming the field."""
    error = await rpc_error(activate(gateway, "do-work", max_jobs=0))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "maxJobsToActivate" in (error.details() or "")


async def test_a_job_timeout_below_one_ms_is_invalid_argument(engine: EmbeddedEngine, gateway: Any) -> None:
    """ActivateJobs with timeout 0 is INVALID_ARGUMENT naming the timeout, as Zeebe refuses it."""
    error = await rpc_error(activate(gateway, "do-work", timeout_ms=0))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "timeout" in (error.details() or "")


async def test_a_pyzeebe_worker_sees_its_name_headers_and_variables(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel, gateway: Any
) -> None:
    """A pyzeebe worker's jobs carry its name, the headers as a dict and the variables as a dict."""
    engine.engine.deploy([("headers.bpmn", headers_process())])
    worker = ZeebeWorker(zeebe_channel, name="clerk-7")
    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    @worker.task(task_type="notify")  # type: ignore[arg-type]  # pyzeebe's decorator typing rejects typed handlers
    async def notify(job: Job) -> dict[str, Any]:
        seen.append((job.worker, dict(job.custom_headers), dict(job.variables)))
        return {"sent": True}

    task = asyncio.create_task(worker.work())
    try:
        pi_key = await create(gateway, "withHeaders", {"to": "sari@example.id"})
        await engine.wait_for_idle()
    finally:
        await worker.stop()
        await task
    assert seen == [("clerk-7", {"template": "welcome", "lang": "id"}, {"to": "sari@example.id"})]
    engine.assert_that(pi_key).is_completed().has_variable("sent", True)


# ---------------------------------------------------------------------- StreamActivatedJobs
async def _open_stream(engine: EmbeddedEngine, gateway: Any, job_type: str, **fields: Any) -> Any:
    call = gateway.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(type=job_type, worker="streamer", timeout=60_000, **fields)
    )
    for _ in range(500):  # the stream is registered once the server has read the request
        if engine.engine.has_stream(job_type):
            return call
        await asyncio.sleep(0.01)
    raise AssertionError(f"the job stream for '{job_type}' was never registered")


async def test_a_job_stream_pushes_new_jobs_to_the_worker(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """StreamActivatedJobs pushes each new job, activated for the streaming worker, until the stream closes."""
    call = await _open_stream(engine, gateway, "do-work", fetchVariable=["wanted"])
    try:
        first_pi = await create(gateway, "simple", {"wanted": 1, "unwanted": 2})
        second_pi = await create(gateway, "simple", {"wanted": 2})
        first = await call.read()
        second = await call.read()
    finally:
        call.cancel()
    assert [first.processInstanceKey, second.processInstanceKey] == [first_pi, second_pi]
    assert first.worker == "streamer"
    assert json.loads(first.variables) == {"wanted": 1}
    assert first.customHeaders == "{}"
    assert engine.engine.jobs[first.key].state is JobState.ACTIVATED
    await complete(gateway, first.key)
    engine.assert_that(first_pi).is_completed()


async def test_a_closed_stream_no_longer_takes_jobs(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """After the stream is closed, new jobs stay activatable for pollers."""
    call = await _open_stream(engine, gateway, "do-work")
    call.cancel()
    for _ in range(500):
        if not engine.engine.has_stream("do-work"):
            break
        await asyncio.sleep(0.01)
    await create(gateway, "simple")
    assert len(await activate(gateway, "do-work")) == 1


async def test_a_job_stream_with_a_blank_type_is_invalid_argument(engine: EmbeddedEngine, gateway: Any) -> None:
    """StreamActivatedJobs with a blank type fails with INVALID_ARGUMENT."""
    error = await stream_error(
        gateway.StreamActivatedJobs(pb.StreamActivatedJobsRequest(type=" ", worker="w", timeout=1000))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "blank" in (error.details() or "")


# ---------------------------------------------------------------------- CompleteJob
async def test_complete_job_merges_variables_and_moves_the_token_on(engine: EmbeddedEngine, gateway: Any) -> None:
    """CompleteJob's variables reach the process instance and the next job sees them."""
    engine.engine.deploy([("two.bpmn", two_tasks())])
    pi_key = await create(gateway, "twoTasks", {"count": 1})
    first = await activate_one(gateway, "first-job")
    await complete(gateway, first.key, {"count": 2, "note": "checked"})
    second = await activate_one(gateway, "second-job")
    assert json.loads(second.variables) == {"count": 2, "note": "checked"}
    await complete(gateway, second.key)
    engine.assert_that(pi_key).is_completed().has_passed("TaskA", "TaskB").has_variable("count", 2)


async def test_complete_of_an_unknown_job_is_not_found(engine: EmbeddedEngine, gateway: Any) -> None:
    """CompleteJob with an unknown key is NOT_FOUND naming the key."""
    error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=987654321)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'987654321'" in (error.details() or "")


async def test_completing_a_job_twice_is_not_found(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """A completed job no longer exists: completing it again is NOT_FOUND."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await complete(gateway, job.key)
    error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert f"'{job.key}'" in (error.details() or "")


async def test_complete_with_invalid_json_variables_is_invalid_argument(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """CompleteJob with variables that are not a JSON object is INVALID_ARGUMENT; the job stays activated."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    for document in ("{oops", "[]"):
        error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables=document)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "'variables'" in (error.details() or "")
    assert engine.engine.jobs[job.key].state is JobState.ACTIVATED
    engine.assert_that(pi_key).is_waiting_at("Work")


async def test_complete_of_a_failed_job_is_failed_precondition(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """A job that failed without retries (it has an incident) cannot be completed: FAILED_PRECONDITION."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="boom"))
    error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"'{job.key}'" in (error.details() or "")
    assert "FAILED" in (error.details() or "")


# ---------------------------------------------------------------------- FailJob
async def test_fail_with_retries_left_makes_the_job_activatable_again(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """FailJob with retries left hands the job out again at once with the new retries; no incident."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=2, errorMessage="mail server down"))
    again = await activate_one(gateway, "do-work")
    assert (again.key, again.retries) == (job.key, 2)
    assert engine.engine.jobs[job.key].error_message == "mail server down"
    assert engine.incidents(pi_key) == []


async def test_fail_with_a_retry_back_off_waits_for_the_controlled_clock(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """retryBackOff keeps the failed job back until the clock passed it, then it is activatable again."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=1, retryBackOff=60_000))
    assert await activate(gateway, "do-work") == []
    await engine.increase_time(timedelta(seconds=59))
    assert await activate(gateway, "do-work") == []
    await engine.increase_time(timedelta(seconds=1))
    again = await activate_one(gateway, "do-work")
    assert (again.key, again.retries) == (job.key, 1)


async def test_fail_without_retries_raises_a_job_incident(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """FailJob with retries 0 raises a JOB_NO_RETRIES incident carrying the error message; the job rests."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="kode pos tidak valid"))
    [incident] = engine.incidents(pi_key)
    assert (incident.error_type, incident.error_message) == ("JOB_NO_RETRIES", "kode pos tidak valid")
    assert (incident.job_key, incident.element_id, incident.state) == (job.key, "Work", IncidentState.ACTIVE)
    assert engine.engine.jobs[job.key].state is JobState.FAILED
    assert await activate(gateway, "do-work") == []
    engine.assert_that(pi_key).is_active().is_waiting_at("Work")


async def test_fail_without_retries_or_message_uses_zeebes_default_message(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """Without an error message the incident says 'No more retries left.', as Zeebe's does."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0))
    [incident] = engine.incidents(pi_key)
    assert incident.error_message == "No more retries left."


async def test_fail_job_variables_are_set_locally_on_the_task(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """FailJob's variables land on the task's own scope, not on the process instance."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=1, variables='{"attempt": 1}'))
    assert engine.variables(job.elementInstanceKey) == {"attempt": 1}
    assert "attempt" not in engine.variables(pi_key)
    again = await activate_one(gateway, "do-work")
    assert json.loads(again.variables) == {"attempt": 1}


async def test_a_late_worker_may_fail_a_job_that_timed_out(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """FailJob is accepted for a job that timed out and is activatable again, as Zeebe accepts it."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=1_000)
    await engine.increase_time(timedelta(seconds=2))
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=2, errorMessage="late"))
    again = await activate_one(gateway, "do-work")
    assert (again.key, again.retries) == (job.key, 2)


async def test_fail_of_an_unknown_or_failed_job_is_refused(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """FailJob with an unknown key is NOT_FOUND; failing an already failed job is FAILED_PRECONDITION."""
    unknown = await rpc_error(gateway.FailJob(pb.FailJobRequest(jobKey=55555, retries=1)))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'55555'" in (unknown.details() or "")
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0))
    again = await rpc_error(gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0)))
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"'{job.key}'" in (again.details() or "")


# ---------------------------------------------------------------------- ThrowError
async def test_an_uncaught_error_raises_an_unhandled_error_incident(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """ThrowError with no catching event raises UNHANDLED_ERROR_EVENT naming the code and message."""
    pi_key = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.ThrowError(pb.ThrowErrorRequest(jobKey=job.key, errorCode="NO_STOCK", errorMessage="habis"))
    [incident] = engine.incidents(pi_key)
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert "'NO_STOCK'" in incident.error_message
    assert "'habis'" in incident.error_message
    assert (incident.element_id, incident.job_key) == ("Work", job.key)
    engine.assert_that(pi_key).is_active().is_waiting_at("Work")


async def test_throw_error_for_an_unknown_job_is_not_found(engine: EmbeddedEngine, gateway: Any) -> None:
    """ThrowError with an unknown job key is NOT_FOUND naming the key."""
    error = await rpc_error(gateway.ThrowError(pb.ThrowErrorRequest(jobKey=31337, errorCode="X")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "'31337'" in (error.details() or "")


# ---------------------------------------------------------------------- UpdateJobRetries / UpdateJobTimeout
async def test_update_job_retries_changes_the_retries_the_worker_sees(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """UpdateJobRetries sets the job's retries; the next activation carries them."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=1_000)
    await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=7))
    await engine.increase_time(timedelta(seconds=2))
    again = await activate_one(gateway, "do-work")
    assert again.retries == 7


async def test_update_job_retries_refuses_unknown_jobs_and_non_positive_retries(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """UpdateJobRetries: unknown key is NOT_FOUND; retries below 1 are INVALID_ARGUMENT naming key and amount."""
    unknown = await rpc_error(gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=777, retries=1)))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'777'" in (unknown.details() or "")
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    zero = await rpc_error(gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=0)))
    assert zero.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"'{job.key}'" in (zero.details() or "")
    assert "'0'" in (zero.details() or "")
    assert engine.engine.jobs[job.key].retries == 3


async def test_update_job_timeout_moves_the_deadline(engine: EmbeddedEngine, gateway: Any, simple: None) -> None:
    """UpdateJobTimeout gives the worker a new deadline from now: the old one no longer frees the job."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=1_000)
    await gateway.UpdateJobTimeout(pb.UpdateJobTimeoutRequest(jobKey=job.key, timeout=60_000))
    await engine.increase_time(timedelta(seconds=30))
    assert await activate(gateway, "do-work") == []
    await engine.increase_time(timedelta(seconds=31))
    assert (await activate_one(gateway, "do-work")).key == job.key


async def test_update_job_timeout_refuses_unknown_and_inactive_jobs(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """UpdateJobTimeout: unknown key is NOT_FOUND; a job not activated is FAILED_PRECONDITION."""
    unknown = await rpc_error(gateway.UpdateJobTimeout(pb.UpdateJobTimeoutRequest(jobKey=888, timeout=1000)))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert "'888'" in (unknown.details() or "")
    await create(gateway, "simple")
    [job] = engine.jobs("do-work")
    inactive = await rpc_error(gateway.UpdateJobTimeout(pb.UpdateJobTimeoutRequest(jobKey=job.key, timeout=1000)))
    assert inactive.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"'{job.key}'" in (inactive.details() or "")


# ---------------------------------------------------------------------- timers and jobs
def deadline_process() -> bytes:
    """start → Work (job do-work) with an interrupting one-hour timer boundary → TimedOut end; Work → Done end."""
    return process(
        "deadline",
        '<bpmn:startEvent id="Start" />'
        + service_task("Work", "do-work")
        + '<bpmn:boundaryEvent id="OneHour" attachedToRef="Work" cancelActivity="true">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
        '<bpmn:endEvent id="Done" /><bpmn:endEvent id="TimedOut" />'
        + chain("Start", "Work", "Done")
        + chain("OneHour", "TimedOut"),
    )


async def test_a_timer_boundary_under_the_controlled_clock_cancels_the_job(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """The boundary timer fires only when the controlled clock reaches it; its job is then gone (NOT_FOUND)."""
    engine.engine.deploy([("deadline.bpmn", deadline_process())])
    pi_key = await create(gateway, "deadline")
    job = await activate_one(gateway, "do-work", timeout_ms=24 * 3_600_000)
    await engine.increase_time(timedelta(minutes=59))
    engine.assert_that(pi_key).is_waiting_at("Work")
    await engine.increase_time(timedelta(minutes=1))
    engine.assert_that(pi_key).is_completed().has_passed("OneHour", "TimedOut")
    error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert f"'{job.key}'" in (error.details() or "")


async def test_negative_back_offs_and_time_outs_are_invalid_argument(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """A job cannot come back before it failed, nor fall due before it was activated: negative values are refused
    and the job is left as it was."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    failing = gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=2, errorMessage="x", retryBackOff=-1))
    assert (await rpc_error(failing)).code() is grpc.StatusCode.INVALID_ARGUMENT
    updating = gateway.UpdateJobTimeout(pb.UpdateJobTimeoutRequest(jobKey=job.key, timeout=-1))
    assert (await rpc_error(updating)).code() is grpc.StatusCode.INVALID_ARGUMENT
    assert engine.engine.jobs[job.key].state is JobState.ACTIVATED
