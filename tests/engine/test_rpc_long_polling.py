"""Conformance: ActivateJobs long polling – an idle pyzeebe worker never spins, a held request is answered as
soon as a job is there, and requestTimeout bounds the wait."""

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from pyzeebe import ZeebeWorker
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.rpc_helpers import activate, activate_one, create

IDLE_SECONDS = 5
AT_MOST_CALLS_WHILE_IDLE = 5  # "a handful, not thousands": with the default 10 s long poll it is one


if TYPE_CHECKING:
    _Interceptor = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
else:
    _Interceptor = grpc.aio.UnaryStreamClientInterceptor


class CallCounter(_Interceptor):
    """Counts the server-streaming calls (ActivateJobs, StreamActivatedJobs) made through a channel."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()

    async def intercept_unary_stream(
        self, continuation: Callable[[Any, Any], Any], client_call_details: Any, request: Any
    ) -> Any:
        method = client_call_details.method
        self.calls[method.decode() if isinstance(method, bytes) else method] += 1
        return await continuation(client_call_details, request)

    @property
    def activate_jobs(self) -> int:
        return self.calls["/gateway_protocol.Gateway/ActivateJobs"]


@pytest.fixture
def counter() -> CallCounter:
    return CallCounter()


@pytest.fixture
async def counted_channel(engine: EmbeddedEngine, counter: CallCounter) -> AsyncIterator[grpc.aio.Channel]:
    channel = grpc.aio.insecure_channel(engine.address, interceptors=[counter])  # type: ignore[list-item]
    yield channel
    await channel.close(grace=None)


async def _wait_for_polls(engine: EmbeddedEngine, job_type: str, count: int) -> None:
    """Waits (bounded) until `count` ActivateJobs requests for `job_type` are held by the engine."""
    for _ in range(500):
        if engine.engine.open_polls.get(job_type, 0) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} held ActivateJobs request(s) for '{job_type}'")


async def test_an_idle_pyzeebe_worker_does_not_spin(
    engine: EmbeddedEngine, counted_channel: grpc.aio.Channel, counter: CallCounter, gateway: Any
) -> None:
    """With no jobs, a pyzeebe worker makes a handful of ActivateJobs calls in 5 s, not thousands; the held
    request then delivers the first job that appears."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    worker = ZeebeWorker(counted_channel, name="idle-worker")
    done: list[int] = []

    @worker.task(task_type="do-work")  # type: ignore[arg-type]  # pyzeebe's decorator typing rejects typed handlers
    async def do_work(nomor: int) -> dict[str, int]:
        done.append(nomor)
        return {"hasil": nomor + 1}

    task = asyncio.create_task(worker.work())
    try:
        await asyncio.sleep(IDLE_SECONDS)  # the measurement window of the issue: 5 s of idleness
        idle_calls = counter.activate_jobs
        pi_key = await create(gateway, "simple", {"nomor": 1})
        await engine.wait_for_idle()
    finally:
        await worker.stop()
        await task
    assert 1 <= idle_calls <= AT_MOST_CALLS_WHILE_IDLE, f"{idle_calls} ActivateJobs calls in {IDLE_SECONDS} s"
    assert done == [1]
    engine.assert_that(pi_key).is_completed().has_variable("hasil", 2)


async def test_a_held_request_is_answered_when_a_job_is_created(engine: EmbeddedEngine, gateway: Any) -> None:
    """An ActivateJobs request with no job to hand out is held open and answered with the job created later."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    held = asyncio.create_task(activate(gateway, "do-work", request_timeout_ms=60_000))
    await _wait_for_polls(engine, "do-work", 1)
    assert not held.done()
    pi_key = await create(gateway, "simple")
    [job] = await held
    assert job.processInstanceKey == pi_key


async def test_a_held_request_is_answered_when_a_timed_out_job_recurs(engine: EmbeddedEngine, gateway: Any) -> None:
    """A job freed by its timeout under the controlled clock wakes a held ActivateJobs request."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=1_000)
    held = asyncio.create_task(activate(gateway, "do-work", worker="second", request_timeout_ms=60_000))
    await _wait_for_polls(engine, "do-work", 1)
    await engine.increase_time(timedelta(seconds=2))
    [again] = await held
    assert (again.key, again.worker) == (job.key, "second")


async def test_a_held_request_is_answered_when_a_back_off_ends(engine: EmbeddedEngine, gateway: Any) -> None:
    """A failed job whose retry back-off ends under the controlled clock wakes a held ActivateJobs request."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=2, retryBackOff=30_000))
    held = asyncio.create_task(activate(gateway, "do-work", request_timeout_ms=60_000))
    await _wait_for_polls(engine, "do-work", 1)
    await engine.increase_time(timedelta(seconds=31))
    [again] = await held
    assert (again.key, again.retries) == (job.key, 2)


async def test_one_job_goes_to_one_of_two_held_requests(engine: EmbeddedEngine, gateway: Any) -> None:
    """Two workers wait for the same type: a single job answers exactly one; the next job answers the other."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    first = asyncio.create_task(activate(gateway, "do-work", worker="a", request_timeout_ms=60_000))
    second = asyncio.create_task(activate(gateway, "do-work", worker="b", request_timeout_ms=60_000))
    await _wait_for_polls(engine, "do-work", 2)
    await create(gateway, "simple")
    finished, pending = await asyncio.wait({first, second}, return_when=asyncio.FIRST_COMPLETED)
    [winner] = finished
    assert len(winner.result()) == 1
    [loser] = pending
    assert not loser.done()
    await create(gateway, "simple")
    assert len(await loser) == 1


async def test_a_request_without_jobs_ends_empty_after_its_request_timeout(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """When requestTimeout runs out with no job, ActivateJobs ends normally with no jobs."""
    assert await activate(gateway, "nothing-here", request_timeout_ms=50) == []
    assert engine.engine.open_polls.get("nothing-here", 0) == 0


async def test_a_negative_request_timeout_answers_at_once(engine: EmbeddedEngine, gateway: Any) -> None:
    """requestTimeout -1 disables long polling: the request answers at once, with no jobs if none are there."""
    assert await activate(gateway, "nothing-here", request_timeout_ms=-1) == []
