"""Load with a crash: 2,000 concurrent instances worked by pyzeebe workers while `pbj engine --data-dir` is killed
with SIGKILL in the middle and started again on the same data directory and ports. Every instance completes, and
each completes exactly once."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import grpc
from pyzeebe import Job, ZeebeWorker
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import open_durable_engine
from tests.engine.bpmn_harness import bpmn, end, flow, service, start
from tests.engine.durable_process import EngineProcess
from tests.engine.rpc_helpers import stub

INSTANCES = 2_000
KILL_AFTER = 700  # completions of the last task before the SIGKILL
JOB_TIMEOUT_MS = 3_000  # jobs at a worker when the engine died come back this long after their activation

LOAD = bpmn(
    "load",
    start("Start"),
    service("First", "load-first"),
    service("Second", "load-second"),
    end("End"),
    flow("f1", "Start", "First"),
    flow("f2", "First", "Second"),
    flow("f3", "Second", "End"),
)
# reconnect quickly once the engine listens again (gRPC's default back-off grows to minutes)
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]


async def _completed(http: aiohttp.ClientSession, engine: EngineProcess) -> int:
    body = {"filter": {"state": "COMPLETED"}, "page": {"limit": 1}}
    async with http.post(f"{engine.rest_url}/process-instances/search", json=body) as response:
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
    return int(answer["page"]["totalItems"])


async def test_two_thousand_instances_complete_once_across_a_sigkill(tmp_path: Path) -> None:
    """2,000 instances created at once; SIGKILL when 700 have passed their last task, restart: all 2,000 complete,
    none is lost and none completes twice (one end-event and one process completion each)."""
    engine = EngineProcess(tmp_path / "mesin")
    await engine.start()
    second_done: Counter[int] = Counter()
    enough = asyncio.Event()
    worker_channel = grpc.aio.insecure_channel(engine.address, options=CHANNEL_OPTIONS)
    # retry for ever (pyzeebe gives up after 10 failed calls by default: fewer than the completions a crash fails)
    worker = ZeebeWorker(worker_channel, name="load-worker", poll_retry_delay=1, max_connection_retries=-1)

    async def first(job: Job) -> dict[str, Any]:
        return {"first": job.key}

    async def second(job: Job) -> dict[str, Any]:
        second_done[job.process_instance_key] += 1
        if len(second_done) >= KILL_AFTER:
            enough.set()
        return {}

    handlers: dict[str, Callable[[Job], Any]] = {"load-first": first, "load-second": second}
    for task_type, handler in handlers.items():
        worker.task(task_type, timeout_ms=JOB_TIMEOUT_MS, max_jobs_to_activate=64, max_running_jobs=128)(handler)

    created: list[int] = []
    working: asyncio.Task[None] | None = None
    try:
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            await gateway.DeployResource(
                pb.DeployResourceRequest(resources=[pb.Resource(name="load.bpmn", content=LOAD)])
            )
            working = asyncio.create_task(worker.work())
            pending = iter(range(INSTANCES))

            async def creator() -> None:
                for n in pending:
                    reply = await gateway.CreateProcessInstance(
                        pb.CreateProcessInstanceRequest(bpmnProcessId="load", version=-1, variables=f'{{"n":{n}}}')
                    )
                    created.append(reply.processInstanceKey)

            await asyncio.gather(*(creator() for _ in range(50)))
        assert len(created) == INSTANCES
        await asyncio.wait_for(enough.wait(), 120)
        await engine.kill()
        await engine.start(same_ports=True)  # the worker keeps its channel
        async with aiohttp.ClientSession() as http:
            give_up = asyncio.get_running_loop().time() + 180
            while await _completed(http, engine) < INSTANCES:
                assert asyncio.get_running_loop().time() < give_up, "the instances did not all complete"
                await asyncio.sleep(0.2)
        await worker.stop()
        await engine.stop()
    finally:
        if working is not None:
            working.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await working
        await worker_channel.close(None)
        await engine.ensure_dead()
    assert len(set(second_done)) == INSTANCES  # the workers saw every instance's last task (some twice: a job
    # at the worker when the engine died is given to a worker again after its time-out)
    recovered = open_durable_engine(engine.data_dir)
    try:
        assert set(recovered.process_instances) == set(created)
        assert {pi.state for pi in recovered.process_instances.values()} == {"COMPLETED"}
        completions = Counter(
            r.key
            for r in recovered.records
            if r.value_type == "PROCESS_INSTANCE"
            and r.intent == "ELEMENT_COMPLETED"
            and r.bpmn_element_type == "PROCESS"
        )
        ends = Counter(
            r.process_instance_key
            for r in recovered.records
            if r.value_type == "PROCESS_INSTANCE" and r.intent == "ELEMENT_COMPLETED" and r.element_id == "End"
        )
        assert set(completions) == set(created) and set(completions.values()) == {1}
        assert set(ends) == set(created) and set(ends.values()) == {1}
        assert not recovered.jobs
    finally:
        recovered.close()
