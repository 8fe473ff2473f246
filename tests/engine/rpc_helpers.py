"""Shared helpers of the RPC conformance tests: a raw gateway stub, error capture, small diagrams."""

import json
from collections.abc import Awaitable
from typing import Any

import grpc
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from tests.engine.bpmn_builder import chain, process, service_task


def stub(channel: grpc.aio.Channel) -> Any:
    """A raw `GatewayStub` on the channel: for status codes and fields pyzeebe hides."""
    return GatewayStub(channel)


async def rpc_error(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """Awaits a call that must fail and returns its gRPC error."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc
    raise AssertionError("expected the call to fail with a gRPC error, but it succeeded")


async def stream_error(call: Any) -> grpc.aio.AioRpcError:
    """Reads a server-streaming call that must fail and returns its gRPC error."""
    try:
        async for _ in call:
            pass
    except grpc.aio.AioRpcError as exc:
        return exc
    raise AssertionError("expected the stream to fail with a gRPC error, but it ended normally")


async def activate(
    gateway: Any,
    job_type: str,
    *,
    worker: str = "test-worker",
    timeout_ms: int = 60_000,
    max_jobs: int = 10,
    fetch: list[str] | None = None,
    request_timeout_ms: int = -1,
) -> list[pb.ActivatedJob]:
    """One ActivateJobs call; by default it does not wait (requestTimeout -1) and returns what is there."""
    jobs: list[pb.ActivatedJob] = []
    request = pb.ActivateJobsRequest(
        type=job_type,
        worker=worker,
        timeout=timeout_ms,
        maxJobsToActivate=max_jobs,
        fetchVariable=fetch or [],
        requestTimeout=request_timeout_ms,
    )
    async for response in gateway.ActivateJobs(request):
        jobs.extend(response.jobs)
    return jobs


async def activate_one(gateway: Any, job_type: str, **options: Any) -> pb.ActivatedJob:
    jobs = await activate(gateway, job_type, max_jobs=1, **options)
    assert len(jobs) == 1, f"expected one activatable job of type '{job_type}', got {len(jobs)}"
    return jobs[0]


async def create(gateway: Any, process_id: str, variables: dict[str, Any] | None = None) -> int:
    """Creates an instance of the latest version; returns its key."""
    response = await gateway.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(bpmnProcessId=process_id, version=-1, variables=json.dumps(variables or {}))
    )
    return int(response.processInstanceKey)


async def complete(gateway: Any, job_key: int, variables: dict[str, Any] | None = None) -> None:
    await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job_key, variables=json.dumps(variables or {})))


def two_tasks(process_id: str = "twoTasks", first: str = "first-job", second: str = "second-job") -> bytes:
    """start → service task A → service task B → end."""
    return process(
        process_id,
        '<bpmn:startEvent id="Start" />'
        + service_task("TaskA", first)
        + service_task("TaskB", second)
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "TaskA", "TaskB", "End"),
    )


def message_def(message_id: str, name: str, correlation_key: str) -> str:
    """A bpmn:message with a zeebe:subscription correlation key (for `process(..., extra=...)`)."""
    return (
        f'<bpmn:message id="{message_id}" name="{name}"><bpmn:extensionElements>'
        f'<zeebe:subscription correlationKey="{correlation_key}" />'
        "</bpmn:extensionElements></bpmn:message>"
    )


def receive_task_process(
    process_id: str = "waitForPayment", name: str = "payment-received", key: str = "=orderId"
) -> bytes:
    """start → receive task (message `name`, correlation key `key`) → end."""
    return process(
        process_id,
        '<bpmn:startEvent id="Start" />'
        '<bpmn:receiveTask id="WaitForPayment" messageRef="Message_Payment" />'
        '<bpmn:endEvent id="End" />' + chain("Start", "WaitForPayment", "End"),
        extra=message_def("Message_Payment", name, key),
    )
