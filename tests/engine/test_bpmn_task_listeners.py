"""BPMN conformance, task listeners of Camunda user tasks (zeebe:taskListeners) as Zeebe 8.8 runs them: jobs of kind
TASK_LISTENER that block the user task's transition (creating, assigning, updating, completing) until they are
completed, may correct the task's attributes or deny the transition, carry the task's data in their headers and
UserTaskProperties; the REST command waits for them. Cases from Camunda's documentation "User task listeners" (8.8)."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import open_durable_engine
from engine.durable.snapshot import decode_state, encode_state
from engine.engine import Engine
from engine.protocol_fields import encode_job_result, read_activated_job_fields
from engine.state import UserTaskState
from engine.state.engine_state import EngineState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    call_activity,
    end,
    ext,
    flow,
    fork,
    message,
    message_ref,
    multi_instance,
    start,
    sub_process,
    task_def,
)
from tests.engine.test_corpus import corpus_dir


def task_listeners(*pairs: tuple[str, str]) -> str:
    body = "".join(
        f"<zeebe:taskListener eventType={quoteattr(event)} type={quoteattr(job_type)} />" for event, job_type in pairs
    )
    return f"<zeebe:taskListeners>{body}</zeebe:taskListeners>"


def user_task(element_id: str, *extensions: str) -> str:
    return f'<bpmn:userTask id="{element_id}">{ext("<zeebe:userTask />", *extensions)}</bpmn:userTask>'


async def deploy_review(gw: Driver, *pairs: tuple[str, str], assignment: str = "") -> None:
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        user_task("Review", assignment, task_listeners(*pairs)),
        end("End"),
        chain("Start", "Review", "End"),
    )


async def complete_with_result(gw: Driver, job: pb.ActivatedJob, **result: Any) -> None:
    base = pb.CompleteJobRequest(jobKey=job.key, variables="{}").SerializeToString()
    await gw.stub.CompleteJob(pb.CompleteJobRequest.FromString(base + encode_job_result(**result)))


async def rest(gw: Driver, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with gw.http.request(method, f"{gw.engine.rest_url}{path}", json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def next_job(gw: Driver, job_type: str) -> pb.ActivatedJob:
    """Waits (long polling) for the job of this type a command under way creates."""
    request = pb.ActivateJobsRequest(
        type=job_type, worker="uji", timeout=600_000, maxJobsToActivate=1, requestTimeout=30_000
    )
    async for response in gw.stub.ActivateJobs(request):
        if response.jobs:
            job: pb.ActivatedJob = response.jobs[0]
            return job
    raise AssertionError(f"no job of type '{job_type}' came")


def the_task(engine: EmbeddedEngine, pi: int) -> Any:
    (task,) = engine.user_tasks(pi)
    return task


async def test_creating_listeners_run_before_the_task_is_created_and_may_set_its_assignee(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The task is CREATING until its creating listener's job is completed; the job carries the task's data (headers
    and UserTaskProperties) and may correct the assignee the model leaves open."""
    await deploy_review(gw, ("creating", "assign-new-task"))
    pi = await gw.start("review")
    task = the_task(engine, pi)
    assert task.state is UserTaskState.CREATING
    job = await gw.job("assign-new-task")
    kind, event, properties = read_activated_job_fields(job)
    assert (kind, event) == ("TASK_LISTENER", "CREATING")
    assert properties is not None and properties["userTaskKey"] == task.key
    assert json.loads(job.customHeaders)["io.camunda.zeebe:userTaskKey"] == str(task.key)

    await complete_with_result(gw, job, corrections={"assignee": "budi", "priority": 80})
    task = the_task(engine, pi)
    assert (task.state, task.assignee, task.priority) == (UserTaskState.CREATED, "budi", 80)


async def test_completion_waits_for_the_completing_listener_and_then_completes_the_task(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A REST completion is answered once the completing listeners are done; the element completes with the
    completion's variables."""
    await deploy_review(gw, ("completing", "check-completion"))
    pi = await gw.start("review")
    task = the_task(engine, pi)
    completion = asyncio.create_task(
        rest(gw, "POST", f"/v2/user-tasks/{task.key}/completion", {"variables": {"approved": True}})
    )
    job = await next_job(gw, "check-completion")
    assert not completion.done()
    assert the_task(engine, pi).state is UserTaskState.COMPLETING
    kind, event, properties = read_activated_job_fields(job)
    assert (kind, event, properties and properties["action"]) == ("TASK_LISTENER", "COMPLETING", "complete")
    assert json.loads(job.customHeaders)["io.camunda.zeebe:action"] == "complete"

    await gw.complete(job)
    assert await completion == (204, None)
    engine.assert_that(pi).is_completed().has_variable("approved", True)


async def test_a_completing_listener_can_deny_the_completion(gw: Driver, engine: EmbeddedEngine) -> None:
    """A denied completion is rejected with the listener's reason; the task is CREATED again and can be completed
    later."""
    await deploy_review(gw, ("completing", "check-completion"))
    pi = await gw.start("review")
    task = the_task(engine, pi)
    completion = asyncio.create_task(rest(gw, "POST", f"/v2/user-tasks/{task.key}/completion", {}))
    job = await next_job(gw, "check-completion")
    await complete_with_result(gw, job, denied=True, denied_reason="dokumen belum lengkap")

    status, problem = await completion
    assert status == 409
    assert problem["detail"] == (
        f"Completion of the User Task with key '{task.key}' was denied by Task Listener. "
        "Reason to deny: 'dokumen belum lengkap'"
    )
    assert the_task(engine, pi).state is UserTaskState.CREATED
    engine.assert_that(pi).is_waiting_exactly_at("Review")


async def test_assigning_and_updating_listeners_correct_the_transition(gw: Driver, engine: EmbeddedEngine) -> None:
    """An assigning listener may correct the assignee asked for; an updating listener sees the changed attributes
    and its corrections are carried out with the update."""
    await deploy_review(gw, ("assigning", "check-assignee"), ("updating", "check-update"))
    pi = await gw.start("review")
    task = the_task(engine, pi)

    assignment = asyncio.create_task(rest(gw, "POST", f"/v2/user-tasks/{task.key}/assignment", {"assignee": "ani"}))
    job = await next_job(gw, "check-assignee")
    headers = json.loads(job.customHeaders)
    assert headers["io.camunda.zeebe:changedAttributes"] == '["assignee"]'
    await complete_with_result(gw, job, corrections={"assignee": "ani.supervisor"})
    assert await assignment == (204, None)
    assert the_task(engine, pi).assignee == "ani.supervisor"

    update = asyncio.create_task(
        rest(gw, "PATCH", f"/v2/user-tasks/{task.key}", {"changeset": {"priority": 10, "candidateGroups": ["a"]}})
    )
    job = await next_job(gw, "check-update")
    properties = read_activated_job_fields(job)[2]
    assert properties is not None and properties["changedAttributes"] == ["candidateGroups", "priority"]
    await complete_with_result(gw, job, corrections={"priority": 90})
    assert await update == (204, None)
    task = the_task(engine, pi)
    assert (task.priority, task.candidate_groups, task.state) == (90, ["a"], UserTaskState.CREATED)


async def test_task_listener_jobs_are_refused_what_zeebe_refuses(gw: Driver, engine: EmbeddedEngine) -> None:
    """No variables on a task listener job, no denial of a creating listener, no unknown corrections (REST)."""
    await deploy_review(gw, ("creating", "on-create"))
    pi = await gw.start("review")
    job = await gw.job("on-create")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.complete(job, {"x": 1})
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "Task Listener job completion with variables payload provided is not yet supported" in str(
        refused.value.details()
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await complete_with_result(gw, job, denied=True)
    assert "Denying result is not supported for 'CREATING' task listener jobs" in str(refused.value.details())
    status, problem = await rest(
        gw, "POST", f"/v2/jobs/{job.key}/completion", {"result": {"corrections": {"name": "x"}}}
    )
    assert status == 400 and "property 'name' cannot be corrected" in problem["detail"]
    await rest(gw, "POST", f"/v2/jobs/{job.key}/completion", {"result": {"corrections": {"dueDate": None}}})
    assert the_task(engine, pi).state is UserTaskState.CREATED


async def test_a_task_listener_without_retries_is_an_incident(gw: Driver, engine: EmbeddedEngine) -> None:
    await deploy_review(gw, ("creating", "on-create"))
    pi = await gw.start("review")
    job = await gw.job("on-create")
    await gw.stub.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="down"))
    incident = gw.incident(pi, "TASK_LISTENER_NO_RETRIES")
    await gw.stub.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=1))
    await gw.resolve(incident.key)
    await gw.complete(await gw.job("on-create"))
    assert the_task(engine, pi).state is UserTaskState.CREATED


# ------------------------------------------------------------------------------- a task created with an assignee
ASSIGNEE = '<zeebe:assignmentDefinition assignee="ani" />'


def task_intents(engine: EmbeddedEngine, pi: int) -> list[str]:
    return [r.intent for r in engine.engine.records if r.process_instance_key == pi and r.value_type == "USER_TASK"]


async def test_a_task_created_with_an_assignee_is_assigned_through_its_assigning_listeners(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """As Zeebe 8.8 (TaskListenerTest.shouldTriggerAssignmentListenersAfterUserTaskCreationWithDefinedAssignee…):
    the task is CREATED without the model's assignee, then ASSIGNING it – the listeners see the assignee, no action
    and the assignee as changed attribute, one after the other – and ASSIGNED after the last."""
    await deploy_review(gw, ("assigning", "check-assignee"), ("assigning", "check-assignee-2"), assignment=ASSIGNEE)
    pi = await gw.start("review")
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.ASSIGNING, None)
    job = await gw.job("check-assignee")
    kind, event, properties = read_activated_job_fields(job)
    assert (kind, event) == ("TASK_LISTENER", "ASSIGNING")
    assert properties is not None
    assert (properties["assignee"], properties["action"], properties["changedAttributes"]) == ("ani", "", ["assignee"])
    headers = json.loads(job.customHeaders)
    assert headers["io.camunda.zeebe:assignee"] == "ani" and "io.camunda.zeebe:action" not in headers
    await complete_with_result(gw, job, corrections={"priority": 70})
    await gw.complete(await gw.job("check-assignee-2"))
    task = the_task(engine, pi)
    assert (task.state, task.assignee, task.priority) == (UserTaskState.CREATED, "ani", 70)
    assert task_intents(engine, pi) == ["CREATING", "CREATED", "ASSIGNING", "CORRECTED", "ASSIGNED"]


async def test_a_task_created_with_an_assignee_runs_creating_then_assigning_listeners(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await deploy_review(gw, ("creating", "on-create"), ("assigning", "check-assignee"), assignment=ASSIGNEE)
    pi = await gw.start("review")
    assert the_task(engine, pi).state is UserTaskState.CREATING
    await gw.complete(await gw.job("on-create"))
    assert (the_task(engine, pi).state, the_task(engine, pi).assignee) == (UserTaskState.ASSIGNING, None)
    await gw.complete(await gw.job("check-assignee"))
    assert (the_task(engine, pi).state, the_task(engine, pi).assignee) == (UserTaskState.CREATED, "ani")
    assert task_intents(engine, pi) == ["CREATING", "CREATED", "ASSIGNING", "ASSIGNED"]


async def test_an_assigning_listener_may_deny_the_assignment_of_a_new_task(gw: Driver, engine: EmbeddedEngine) -> None:
    """The task stays CREATED and unassigned (Zeebe's shouldRevertCorrectedUserTaskDataWhenAssigningOnCreation…)."""
    await deploy_review(gw, ("assigning", "check-assignee"), assignment=ASSIGNEE)
    pi = await gw.start("review")
    await complete_with_result(gw, await gw.job("check-assignee"), denied=True, denied_reason="tidak berwenang")
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.CREATED, None)
    assert task_intents(engine, pi) == ["CREATING", "CREATED", "ASSIGNING", "ASSIGNMENT_DENIED"]


async def test_a_task_created_with_an_assignee_and_no_listeners_is_created_then_assigned(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await deploy_review(gw, assignment=ASSIGNEE)
    pi = await gw.start("review")
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.CREATED, "ani")
    assert task_intents(engine, pi) == ["CREATING", "CREATED", "ASSIGNING", "ASSIGNED"]


# ---------------------------------------------------------------------------------------------- record order
# Zeebe 8.8's UserTaskProcessor.onFinalizeActivation: the task CREATING (BpmnUserTaskBehavior.createNewUserTask), then
# the first creating listener's job – or, without creating listeners, the task CREATED without the model's assignee –,
# then the element ACTIVATED, then the assignee assigned: ASSIGNING, the assigning listeners' jobs, ASSIGNED.
# (`trail` and the records it reads are defined with the canceling listeners below.)
ACTIVATING = ("PROCESS_INSTANCE", "ELEMENT_ACTIVATING")
ACTIVATED = ("PROCESS_INSTANCE", "ELEMENT_ACTIVATED")
CREATING = ("USER_TASK", "CREATING")
CREATED = ("USER_TASK", "CREATED")
ASSIGNING = ("USER_TASK", "ASSIGNING")
ASSIGNED = ("USER_TASK", "ASSIGNED")
JOB_CREATED = ("JOB", "CREATED")
JOB_ACTIVATED = ("JOB", "ACTIVATED")  # the engine's record of each job a worker activated (Zeebe: JOB_BATCH)
JOB_COMPLETED = ("JOB", "COMPLETED")


async def trail_of_length(engine: EmbeddedEngine, pi: int, length: int) -> list[tuple[str, str]]:
    """The trail once it has `length` records (waiting up to 30 s for steps held off the event loop)."""
    for _ in range(3000):
        found = trail(engine, pi)
        if len(found) >= length:
            return found
        await asyncio.sleep(0.01)
    return trail(engine, pi)


async def test_a_task_without_listeners_is_creating_then_created_before_its_element_is_activated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await deploy_review(gw)
    pi = await gw.start("review")
    assert trail(engine, pi) == [ACTIVATING, CREATING, CREATED, ACTIVATED]
    assert the_task(engine, pi).state is UserTaskState.CREATED


async def test_a_task_with_an_assignee_is_assigned_after_its_element_is_activated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await deploy_review(gw, assignment=ASSIGNEE)
    pi = await gw.start("review")
    assert trail(engine, pi) == [ACTIVATING, CREATING, CREATED, ACTIVATED, ASSIGNING, ASSIGNED]
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.CREATED, "ani")


async def test_a_task_with_creating_listeners_has_its_element_activated_after_the_first_listener_job(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The element is ACTIVATED while the task is still CREATING (Zeebe: transitionToActivated right after the first
    creating listener's job); the task is CREATED after the last creating listener, then assigned."""
    await deploy_review(
        gw, ("creating", "on-create"), ("creating", "on-create-2"), ("assigning", "check-assignee"), assignment=ASSIGNEE
    )
    pi = await gw.start("review")
    assert trail(engine, pi) == [ACTIVATING, CREATING, JOB_CREATED, ACTIVATED]
    assert element_states(engine, pi)["Review"] == "ELEMENT_ACTIVATED"
    assert the_task(engine, pi).state is UserTaskState.CREATING
    await gw.complete(await gw.job("on-create"))
    await gw.complete(await gw.job("on-create-2"))
    await gw.complete(await gw.job("check-assignee"))
    assert trail(engine, pi) == [
        ACTIVATING,
        CREATING,
        JOB_CREATED,
        ACTIVATED,
        JOB_ACTIVATED,
        JOB_COMPLETED,
        JOB_CREATED,
        JOB_ACTIVATED,
        JOB_COMPLETED,
        CREATED,
        ASSIGNING,
        JOB_CREATED,
        JOB_ACTIVATED,
        JOB_COMPLETED,
        ASSIGNED,
    ]
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.CREATED, "ani")


async def test_a_creating_listener_whose_type_fails_is_an_incident_and_the_element_is_activated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """As Zeebe's createNewTaskListenerJob: the incident is raised, the element activated all the same; resolving
    it creates the listener's job, and the task is CREATED after it."""
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        user_task(
            "Review",
            '<zeebe:taskListeners><zeebe:taskListener eventType="creating" type="=jenis" /></zeebe:taskListeners>',
        ),
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("review")
    # the type's evaluation may go off the event loop (feelin, a missing variable): the answer can come before it
    assert await trail_of_length(engine, pi, 3) == [ACTIVATING, CREATING, ACTIVATED]
    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    await gw.set_variables(pi, {"jenis": "on-create"})
    await gw.resolve(incident.key)
    # long polling: the FEEL type may be evaluated off the event loop, the job created after the resolution's answer
    await gw.complete(await next_job(gw, "on-create"))
    assert trail(engine, pi)[3:] == [JOB_CREATED, JOB_ACTIVATED, JOB_COMPLETED, CREATED]
    assert the_task(engine, pi).state is UserTaskState.CREATED


async def test_commands_on_a_task_without_listeners_write_the_transition_then_its_end(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """As Zeebe 8.8's command processors (`onCommand` writes ASSIGNING, UPDATING, COMPLETING; `onFinalizeCommand`
    the end), also when no listener runs between them."""
    await deploy_review(gw)
    pi = await gw.start("review")
    task = the_task(engine, pi)
    assert (await rest(gw, "POST", f"/v2/user-tasks/{task.key}/assignment", {"assignee": "ani"}))[0] == 204
    assert (await rest(gw, "PATCH", f"/v2/user-tasks/{task.key}", {"changeset": {"priority": 60}}))[0] == 204
    assert (await rest(gw, "DELETE", f"/v2/user-tasks/{task.key}/assignee"))[0] == 204
    assert (await rest(gw, "POST", f"/v2/user-tasks/{task.key}/completion", {"variables": {"ok": True}}))[0] == 204
    assert task_intents(engine, pi) == [
        "CREATING",
        "CREATED",
        "ASSIGNING",
        "ASSIGNED",
        "UPDATING",
        "UPDATED",
        "ASSIGNING",
        "ASSIGNED",
        "COMPLETING",
        "COMPLETED",
    ]
    task = engine.engine.user_tasks[task.key]
    assert (task.state, task.assignee, task.priority, task.pending) == (UserTaskState.COMPLETED, None, 60, None)
    engine.assert_that(pi).is_completed()


def test_a_task_keeps_the_creation_date_it_got_when_creating(tmp_path: Path) -> None:
    """Camunda's creationDate is the CREATING record's timestamp: a creating listener done an hour later leaves it;
    a restarted durable engine (USER_TASK CREATED version 2 replayed) has the same date."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    created_at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    engine.clock.pin(created_at)
    engine.deploy(
        [
            (
                "review.bpmn",
                bpmn(
                    "review",
                    start("Start"),
                    user_task("Review", task_listeners(("creating", "on-create"))),
                    end("End"),
                    chain("Start", "Review", "End"),
                ),
            )
        ]
    )
    pi = engine.create_process_instance(bpmn_process_id="review").key
    engine.clock.increase(timedelta(hours=1))
    (job,) = engine.activate_jobs("on-create", "uji", 60_000, 1, [])
    engine.complete_job(job.job.key, {}, {})
    (task,) = [t for t in engine.user_tasks.values() if t.process_instance_key == pi]
    assert (task.state, task.creation_date) == (UserTaskState.CREATED, created_at)
    engine.close(snapshot=False)
    restarted = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert restarted.user_tasks[task.key].creation_date == created_at
    finally:
        restarted.close(snapshot=False)


async def test_a_job_based_user_task_has_its_job_created_before_its_element_is_activated(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A user task without zeebe:userTask is a job (type io.camunda.zeebe:userTask), as Zeebe's
    JobWorkerTaskProcessor: JOB CREATED, then ELEMENT_ACTIVATED; no user task records."""
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        f'<bpmn:userTask id="Review">{ext(ASSIGNEE)}</bpmn:userTask>',
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("review")
    assert trail(engine, pi) == [ACTIVATING, JOB_CREATED, ACTIVATED]


# ---------------------------------------------------------------------------------------------- canceling listeners
CANCELING = (("canceling", "on-cancel"), ("canceling", "on-cancel-2"), ("canceling", "on-cancel-3"))


def trail(engine: EmbeddedEngine, pi: int, element_id: str = "Review") -> list[tuple[str, str]]:
    """The records of the user task (its element instance and its task) and of the listener jobs, in order."""
    return [
        (r.value_type, r.intent)
        for r in engine.engine.records
        if r.process_instance_key == pi
        and (
            r.value_type in ("USER_TASK", "JOB") or (r.value_type == "PROCESS_INSTANCE" and r.element_id == element_id)
        )
    ]


def element_states(engine: EmbeddedEngine, pi: int) -> dict[str, str]:
    """The last intent of each element of the instance (the process among them), from its records."""
    return {
        r.element_id: r.intent
        for r in engine.engine.records
        if r.process_instance_key == pi
        and r.value_type == "PROCESS_INSTANCE"
        and r.element_id is not None
        and r.bpmn_element_type != "SEQUENCE_FLOW"
    }


def withdrawable_review(*pairs: tuple[str, str]) -> bytes:
    """The review with task listeners, interrupted by the message `permohonan-dicabut` for its request (boundary
    event Cabut → end Dicabut)."""
    return bpmn(
        "review",
        start("Start"),
        user_task("Review", task_listeners(*pairs)),
        boundary("Cabut", "Review", message_ref("Msg")),
        end("End"),
        end("Dicabut"),
        chain("Start", "Review", "End"),
        flow("f-cabut", "Cabut", "Dicabut"),
        extra=message("Msg", "permohonan-dicabut", "=nomorPermohonan"),
    )


async def listener_ends_the_cancellation(gw: Driver, engine: EmbeddedEngine, pi: int, task_key: int) -> None:
    """The task is CANCELING and the instance still active until its canceling listener's job is completed."""
    assert engine.engine.user_tasks[task_key].state is UserTaskState.CANCELING
    engine.assert_that(pi).is_active()
    await gw.complete(await gw.job("on-cancel"))


async def complete_canceling_listeners(gw: Driver, *types: str) -> None:
    for job_type in types:
        await gw.complete(await gw.job(job_type))


async def test_a_cancelled_instance_waits_for_the_canceling_listeners_of_its_user_task(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Cancelling the instance answers at once; the task is CANCELING and its element and the instance stay
    TERMINATING while the canceling listeners run one after the other, each job seeing the task's data and the
    element's variables; after the last the task is CANCELED and the instance terminated."""
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        user_task(
            "Review",
            '<zeebe:ioMapping><zeebe:input source="=1" target="lokal" /></zeebe:ioMapping>',
            task_listeners(*CANCELING),
        ),
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("review", {"nomorPermohonan": "PPBJ-1"})
    task = the_task(engine, pi)
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    assert the_task(engine, pi).state is UserTaskState.CANCELING
    assert element_states(engine, pi) == {
        "review": "ELEMENT_TERMINATING",
        "Start": "ELEMENT_COMPLETED",
        "Review": "ELEMENT_TERMINATING",
    }
    job = await gw.job("on-cancel")
    kind, event, properties = read_activated_job_fields(job)
    assert (kind, event) == ("TASK_LISTENER", "CANCELING")
    assert properties is not None and properties["userTaskKey"] == task.key and properties["action"] == ""
    assert json.loads(job.variables) == {"nomorPermohonan": "PPBJ-1", "lokal": 1}
    await gw.complete(job)
    engine.assert_that(pi).is_active()
    await complete_canceling_listeners(gw, "on-cancel-2", "on-cancel-3")

    engine.assert_that(pi).is_terminated()
    assert the_task(engine, pi).state is UserTaskState.CANCELED
    records = trail(engine, pi)
    assert records[records.index(("PROCESS_INSTANCE", "ELEMENT_TERMINATING")) :] == [
        ("PROCESS_INSTANCE", "ELEMENT_TERMINATING"),
        ("USER_TASK", "CANCELING"),
        ("JOB", "CREATED"),
        ("JOB", "ACTIVATED"),
        ("JOB", "COMPLETED"),
        ("JOB", "CREATED"),
        ("JOB", "ACTIVATED"),
        ("JOB", "COMPLETED"),
        ("JOB", "CREATED"),
        ("JOB", "ACTIVATED"),
        ("JOB", "COMPLETED"),
        ("USER_TASK", "CANCELED"),
        ("PROCESS_INSTANCE", "ELEMENT_TERMINATED"),
    ], records


async def test_an_interrupting_boundary_event_is_activated_after_the_canceling_listeners(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A message boundary event interrupts the task: its canceling listener runs first, then the boundary event is
    activated and the instance goes on along its path."""
    await gw.deploy(("review.bpmn", withdrawable_review(CANCELING[0])))
    pi = await gw.start("review", {"nomorPermohonan": "PPBJ-2"})
    await gw.publish("permohonan-dicabut", "PPBJ-2", {"alasan": "ditarik"})
    assert the_task(engine, pi).state is UserTaskState.CANCELING
    assert "Cabut" not in element_states(engine, pi)
    await gw.complete(await gw.job("on-cancel"))
    engine.assert_that(pi).is_completed().has_variable("alasan", "ditarik")
    assert element_states(engine, pi)["Review"] == "ELEMENT_TERMINATED"
    records = [(r.element_id, r.intent) for r in engine.engine.records if r.process_instance_key == pi]
    assert records.index(("Review", "ELEMENT_TERMINATED")) < records.index(("Cabut", "ELEMENT_ACTIVATING"))


async def test_cancelling_the_instance_while_an_interrupted_task_cancels_lets_its_listeners_finish(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """As Zeebe's shouldTriggerCancelingAfterHavingBeenInterrupted: the listeners under way go on (not again from the
    first), the boundary event is never activated, and the instance ends after the last one."""
    await gw.deploy(("review.bpmn", withdrawable_review(*CANCELING[:2])))
    pi = await gw.start("review", {"nomorPermohonan": "PPBJ-3"})
    await gw.publish("permohonan-dicabut", "PPBJ-3")
    await gw.complete(await gw.job("on-cancel"))
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    await gw.complete(await gw.job("on-cancel-2"))
    engine.assert_that(pi).is_terminated()
    assert "Cabut" not in element_states(engine, pi)
    assert [intent for kind, intent in trail(engine, pi) if kind == "JOB"].count("CREATED") == 2


async def test_an_interrupting_event_sub_process_starts_after_the_canceling_listeners(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        user_task("Review", task_listeners(CANCELING[0])),
        end("End"),
        chain("Start", "Review", "End"),
        sub_process(
            "Pembatalan",
            start("DibatalkanStart", message_ref("Msg"))
            + end("DibatalkanEnd")
            + flow("f-esp", "DibatalkanStart", "DibatalkanEnd"),
            event=True,
        ),
        extra=message("Msg", "permohonan-dicabut", "=nomorPermohonan"),
    )
    pi = await gw.start("review", {"nomorPermohonan": "PPBJ-4"})
    await gw.publish("permohonan-dicabut", "PPBJ-4")
    assert "Pembatalan" not in element_states(engine, pi)
    await gw.complete(await gw.job("on-cancel"))
    engine.assert_that(pi).is_completed()
    assert element_states(engine, pi)["Pembatalan"] == "ELEMENT_COMPLETED"


async def test_a_called_task_cancels_before_the_call_activity_and_its_instance_end(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Cancelling the parent terminates the call activity from above: the called instance's task runs its canceling
    listener while the called instance, the call activity and the parent stay TERMINATING."""
    await deploy_review(gw, CANCELING[0])
    await gw.deploy_bpmn("induk", start("S"), call_activity("Panggil", "review"), end("E"), chain("S", "Panggil", "E"))
    parent = await gw.start("induk")
    (child,) = gw.called(parent)
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=parent))
    assert element_states(engine, parent)["Panggil"] == "ELEMENT_TERMINATING"
    assert element_states(engine, child.key)["review"] == "ELEMENT_TERMINATING"
    await gw.complete(await gw.job("on-cancel"))
    engine.assert_that(child.key).is_terminated()
    engine.assert_that(parent).is_terminated()
    assert element_states(engine, parent)["Panggil"] == "ELEMENT_TERMINATED"


async def test_a_modification_terminating_the_task_waits_for_its_canceling_listener(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A terminate instruction: the task cancels through its listener; the instance, left with nothing, is
    terminated after it."""
    await deploy_review(gw, CANCELING[0])
    pi = await gw.start("review")
    (element_key,) = gw.element_keys(pi, "Review")
    status, _ = await rest(
        gw,
        "POST",
        f"/v2/process-instances/{pi}/modification",
        {"terminateInstructions": [{"elementInstanceKey": str(element_key)}]},
    )
    assert status == 204
    await listener_ends_the_cancellation(gw, engine, pi, the_task(engine, pi).key)
    engine.assert_that(pi).is_terminated()


async def test_a_terminate_end_event_completes_the_instance_after_the_canceling_listeners(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        fork("Fork"),
        user_task("Review", task_listeners(CANCELING[0])),
        end("End"),
        end("Stop", "<bpmn:terminateEventDefinition />"),
        chain("Start", "Fork", "Review", "End"),
        flow("f-stop", "Fork", "Stop"),
    )
    pi = await gw.start("review")
    await listener_ends_the_cancellation(gw, engine, pi, the_task(engine, pi).key)
    engine.assert_that(pi).is_completed()


async def test_a_multi_instance_body_completes_after_the_canceling_listeners_of_the_instances_it_ends(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The completion condition holds when one review is done: the other review cancels through its listener, then
    the body completes."""
    loop = multi_instance("=[1, 2]", "nomor", completion_condition="=true")
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        f'<bpmn:userTask id="Review">{ext("<zeebe:userTask />", task_listeners(CANCELING[0]))}{loop}</bpmn:userTask>',
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("review")
    first, second = sorted(engine.user_tasks(pi), key=lambda t: t.key)
    await gw.complete_user_task(first.key)
    await listener_ends_the_cancellation(gw, engine, pi, second.key)
    engine.assert_that(pi).is_completed()


ACTIVE_PERIKSA_AND_REVIEW = '<zeebe:adHoc activeElementsCollection="=[&quot;Periksa&quot;, &quot;Review&quot;]" />'


async def test_an_ad_hoc_sub_process_completes_after_the_canceling_listeners_of_the_activities_it_ends(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The completion condition of an ad-hoc sub-process holds when one activity is done: the other activity, a user
    task, cancels through its listener (cancelRemainingInstances), then the sub-process and the instance complete."""
    body = (
        f'<bpmn:serviceTask id="Periksa">{ext(task_def("periksa"))}</bpmn:serviceTask>'
        + user_task("Review", task_listeners(CANCELING[0]))
        + '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">=selesai</bpmn:completionCondition>'
    )
    await gw.deploy_bpmn(
        "review",
        start("Start"),
        f'<bpmn:adHocSubProcess id="AdHoc">{ext(ACTIVE_PERIKSA_AND_REVIEW)}{body}</bpmn:adHocSubProcess>',
        end("End"),
        chain("Start", "AdHoc", "End"),
    )
    pi = await gw.start("review", {"selesai": False})
    review = the_task(engine, pi)
    await gw.complete(await gw.job("periksa"), {"selesai": True})
    assert element_states(engine, pi)["AdHoc"] == "ELEMENT_ACTIVATED"
    await listener_ends_the_cancellation(gw, engine, pi, review.key)
    engine.assert_that(pi).is_completed()
    assert element_states(engine, pi)["Review"] == "ELEMENT_TERMINATED"
    assert element_states(engine, pi)["AdHoc"] == "ELEMENT_COMPLETED"


async def test_a_canceling_listener_without_retries_is_an_incident_and_cannot_deny(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """TASK_LISTENER_NO_RETRIES while the task cancels; resolved, the failed listener runs again and the
    termination goes on. Denying is refused as Zeebe 8.8 refuses it; corrections are applied to the task."""
    await deploy_review(gw, CANCELING[0])
    pi = await gw.start("review")
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    job = await gw.job("on-cancel")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await complete_with_result(gw, job, denied=True)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "Denying result is not supported for 'CANCELING' task listener jobs" in str(refused.value.details())
    await gw.stub.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="arsip tidak tersedia"))
    incident = gw.incident(pi, "TASK_LISTENER_NO_RETRIES")
    await gw.stub.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=1))
    await gw.resolve(incident.key)
    await complete_with_result(gw, await gw.job("on-cancel"), corrections={"priority": 5})
    engine.assert_that(pi).is_terminated()
    task = the_task(engine, pi)
    assert (task.state, task.priority) == (UserTaskState.CANCELED, 5)


async def test_a_canceling_listener_type_that_fails_is_an_incident_while_the_task_cancels(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An EXTRACT_VALUE_ERROR for the listener's type: the element stays TERMINATING with its incident; its variables
    cannot be set any more (as on Zeebe: the terminating instance's elements are not found), and resolving runs the
    listeners again – the same incident again."""
    await deploy_review(gw, ("canceling", "=jenisPendengar"))
    pi = await gw.start("review")
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.set_variables(pi, {"jenisPendengar": "on-cancel"})
    assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    await gw.resolve(incident.key)
    again = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    assert again.key != incident.key
    assert the_task(engine, pi).state is UserTaskState.CANCELING
    assert element_states(engine, pi)["Review"] == "ELEMENT_TERMINATING"


@pytest.mark.parametrize("canceling", [False, True])
async def test_cancelling_the_instance_answers_a_waiting_completion(
    gw: Driver, engine: EmbeddedEngine, canceling: bool
) -> None:
    """A completion waiting for its completing listener: the instance is cancelled, the completing listener's job is
    canceled and the waiting REST call answered; the task is CANCELED – after its canceling listener, if it has one."""
    await deploy_review(gw, ("completing", "check-completion"), *CANCELING[: 1 if canceling else 0])
    pi = await gw.start("review")
    task = the_task(engine, pi)
    completion = asyncio.create_task(rest(gw, "POST", f"/v2/user-tasks/{task.key}/completion", {}))
    await next_job(gw, "check-completion")
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    status, problem = await completion
    assert status == 409 and "was canceled before its task listeners finished" in problem["detail"]
    assert not engine.jobs("check-completion")
    if canceling:
        await listener_ends_the_cancellation(gw, engine, pi, task.key)
    engine.assert_that(pi).is_terminated()
    assert the_task(engine, pi).state is UserTaskState.CANCELED


@pytest.mark.parametrize("snapshot", [False, True])
def test_a_restarted_durable_engine_goes_on_where_canceling_listeners_hold_a_boundary_event(
    tmp_path: Path, snapshot: bool
) -> None:
    """A boundary event waiting for the canceling listener of the task it interrupted, and the engine restarted
    (recovery from the log's events, or from a snapshot): the task is still CANCELING, the scope still awaits the
    boundary event, and completing the listener's job on the restarted engine activates it."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("review.bpmn", withdrawable_review(CANCELING[0]))])
    pi = engine.create_process_instance(bpmn_process_id="review", variables={"nomorPermohonan": "a"})
    engine.publish_message("permohonan-dicabut", "a", 0, "", {"alasan": "ditarik"})
    assert dict(engine.state.flow.awaiting) == {pi.key: [["activate", "Cabut", {"alasan": "ditarik"}, None]]}
    engine.close(snapshot=snapshot)

    restarted = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert dict(restarted.state.flow.awaiting) == {pi.key: [["activate", "Cabut", {"alasan": "ditarik"}, None]]}
        (task,) = [t for t in restarted.user_tasks.values() if t.process_instance_key == pi.key]
        assert task.state is UserTaskState.CANCELING
        (job,) = restarted.activate_jobs("on-cancel", "uji", 60_000, 1, [])
        restarted.complete_job(job.job.key, {}, {})
        assert not restarted.state.flow.awaiting
        finished = restarted.process_instances[pi.key]
        expected = {"nomorPermohonan": "a", "alasan": "ditarik"}
        assert (finished.state, finished.final_variables) == ("COMPLETED", expected)
    finally:
        restarted.close()


async def test_the_corpus_diagram_with_a_creating_listener_runs(gw: Driver, engine: EmbeddedEngine) -> None:
    """Camunda's task listener quick start: its creating listener assigns the new task."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus is not beside this checkout (PBJ_CORPUS_DIR names it)")
    name = "tut--quick-start--task-listeners--worker-java--Quick_Start_Task_Listeners.bpmn"
    forms = sorted((corpus / name.replace(".bpmn", ".forms")).glob("*.form"))
    response = await gw.deploy((name, (corpus / name).read_bytes()), *((f.name, f.read_bytes()) for f in forms))
    process_id = next(d.process.bpmnProcessId for d in response.deployments if d.HasField("process"))
    pi = await gw.start(process_id)
    job = await gw.job("assign_new_task")
    assert read_activated_job_fields(job)[:2] == ("TASK_LISTENER", "CREATING")
    await complete_with_result(gw, job, corrections={"assignee": "demo"})
    task = the_task(engine, pi)
    assert (task.state, task.assignee) == (UserTaskState.CREATED, "demo")


def test_a_snapshot_keeps_listener_jobs_and_a_task_in_its_transition() -> None:
    """A snapshot taken while a completion waits for its task listener holds the listener job's kind, event type
    and index and the task's state and pending completion; decoded, the state is the same."""
    engine = Engine()
    engine.deploy(
        [
            (
                "review.bpmn",
                bpmn(
                    "review",
                    start("Start"),
                    user_task("Review", task_listeners(("completing", "a"), ("completing", "b"))),
                    end("End"),
                    chain("Start", "Review", "End"),
                ),
            )
        ]
    )
    pi = engine.create_process_instance(bpmn_process_id="review")
    (task,) = [t for t in engine.user_tasks.values() if t.process_instance_key == pi.key]
    engine.complete_user_task(task.key, {"approved": True})
    (first,) = engine.activate_jobs("a", "uji", 60_000, 1, [])
    engine.complete_job(first.job.key, {}, {"corrections": {"priority": 70}})

    state = EngineState()
    decode_state(encode_state(engine.state), state, engine._load_model)

    (job,) = state.jobs.jobs.values()
    assert (job.type, job.kind, job.listener_event_type, job.listener_index) == ("b", "TASK_LISTENER", "COMPLETING", 1)
    decoded = state.user_tasks.tasks[task.key]
    assert (decoded.state, decoded.priority) == (UserTaskState.COMPLETING, 70)
    assert decoded.pending == {"action": "complete", "variables": {"approved": True}}
    assert state.user_tasks.by_element[decoded.element_instance_key] == task.key


async def test_the_rest_api_activates_and_completes_task_listener_jobs(gw: Driver, engine: EmbeddedEngine) -> None:
    """REST activation answers a task listener job with its kind, listenerEventType and userTask (checked against
    the 8.8 spec like every answer), and REST completion takes its result."""
    await deploy_review(gw, ("creating", "on-create"), assignment='<zeebe:assignmentDefinition assignee="ani" />')
    pi = await gw.start("review")
    body = {"type": "on-create", "worker": "uji", "timeout": 60_000, "maxJobsToActivate": 1, "requestTimeout": -1}
    status, answer = await rest(gw, "POST", "/v2/jobs/activation", body)
    assert status == 200
    (job,) = answer["jobs"]
    task = the_task(engine, pi)
    assert (job["kind"], job["listenerEventType"]) == ("TASK_LISTENER", "CREATING")
    assert job["userTask"]["userTaskKey"] == str(task.key) and job["userTask"]["assignee"] == "ani"
    status, problem = await rest(
        gw, "POST", f"/v2/jobs/{job['jobKey']}/completion", {"result": {"corrections": {"assignee": "budi"}}}
    )
    assert status == 400 and "correcting the assignee on 'CREATING' event is not supported" in problem["detail"]
    status, _ = await rest(
        gw, "POST", f"/v2/jobs/{job['jobKey']}/completion", {"result": {"corrections": {"candidateGroups": ["g"]}}}
    )
    assert status == 204
    task = the_task(engine, pi)
    assert (task.state, task.assignee, task.candidate_groups) == (UserTaskState.CREATED, "ani", ["g"])
