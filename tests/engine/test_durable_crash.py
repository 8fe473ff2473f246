"""Crash recovery of `pbj engine --data-dir` as a real subprocess: SIGKILL at varied moments, then a restart on the
same data directory (on ports the system picks). What was acknowledged is there; job deadlines and timers that fell
due while the engine was down take effect once; a locked or foreign data directory is refused in Indonesian."""

import asyncio
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import open_durable_engine
from engine.state import JobState
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.bpmn_harness import bpmn, catch, end, flow, service, start, timer
from tests.engine.durable_process import EngineProcess, ready_ports
from tests.engine.rpc_helpers import activate, rpc_error, stub

TIMED = bpmn(
    "timed",
    start("Start"),
    catch("Wait", timer("timeDuration", "PT10M")),
    service("AfterWait", "after-wait"),
    end("End"),
    flow("f1", "Start", "Wait"),
    flow("f2", "Wait", "AfterWait"),
    flow("f3", "AfterWait", "End"),
)


async def _deploy(gateway: Any, *resources: tuple[str, bytes]) -> None:
    await gateway.DeployResource(
        pb.DeployResourceRequest(resources=[pb.Resource(name=n, content=c) for n, c in resources])
    )


@pytest.mark.parametrize("kill_after", [0, 25, 150])
async def test_every_acknowledged_command_survives_sigkill_during_a_burst(tmp_path: Path, kill_after: int) -> None:
    """A burst of creations and job completions is cut by SIGKILL after `kill_after` answers: after a restart every
    acknowledged creation and completion is there, and new keys never reuse an acknowledged one."""
    engine = EngineProcess(tmp_path / "mesin")
    await engine.start()
    created: list[int] = []
    completed: list[int] = []
    try:
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            await _deploy(gateway, ("simple.bpmn", simple_service_process()))
            for _ in range(20):
                reply = await gateway.CreateProcessInstance(
                    pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1)
                )
                created.append(reply.processInstanceKey)
            jobs = await activate(gateway, "do-work", max_jobs=20)
            assert len(jobs) == 20
            enough = asyncio.Event()
            if kill_after == 0:
                enough.set()

            def answered() -> None:
                if len(created) + len(completed) - 20 >= kill_after:
                    enough.set()

            async def create() -> None:
                reply = await gateway.CreateProcessInstance(
                    pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1, variables='{"burst":true}')
                )
                created.append(reply.processInstanceKey)
                answered()

            async def complete(key: int) -> None:
                await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=key, variables='{"done":true}'))
                completed.append(key)
                answered()

            calls = [asyncio.ensure_future(create()) for _ in range(300)]
            calls += [asyncio.ensure_future(complete(job.key)) for job in jobs]
            await asyncio.wait_for(enough.wait(), 60)
            await engine.kill()
            results = await asyncio.gather(*calls, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(f, grpc.aio.AioRpcError) for f in failures), failures
        await engine.start()
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            for key in completed:  # an acknowledged completion cannot be repeated
                error = await rpc_error(gateway.CompleteJob(pb.CompleteJobRequest(jobKey=key)))
                assert error.code() is grpc.StatusCode.NOT_FOUND
            reply = await gateway.CreateProcessInstance(
                pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1)
            )
            assert reply.processInstanceKey > max(created)
            async with aiohttp.ClientSession() as http:
                for key in created[-5:]:
                    async with http.get(f"{engine.rest_url}/process-instances/{key}") as response:
                        assert response.status == 200
        await engine.stop()
    finally:
        await engine.ensure_dead()
    recovered = open_durable_engine(engine.data_dir)
    try:
        assert set(created) <= set(recovered.process_instances)
        job_instances = {recovered.jobs[k].process_instance_key for k in recovered.jobs}
        completed_instances = {k for k, pi in recovered.process_instances.items() if pi.state == "COMPLETED"}
        assert len(completed_instances) >= len(completed)
        assert not completed_instances & job_instances
        for key in created:
            pi = recovered.process_instances[key]
            assert pi.state == "COMPLETED" or key in job_instances
    finally:
        recovered.close()


async def test_deadlines_and_timers_that_fell_due_while_down_take_effect_once(tmp_path: Path) -> None:
    """Run on a clock pinned an hour back, the engine holds an activated job and a 10-minute timer; killed and
    started on real time, the job is activatable again (same key) and the timer fires once – also across a second
    SIGKILL right after."""
    engine = EngineProcess(tmp_path / "mesin")
    await engine.start("--controlled-clock")
    try:
        async with aiohttp.ClientSession() as http:
            pinned = int(time.time() * 1000) - 3_600_000
            async with http.put(f"{engine.rest_url}/clock", json={"timestamp": pinned}) as response:
                assert response.status == 204
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            await _deploy(gateway, ("simple.bpmn", simple_service_process()), ("timed.bpmn", TIMED))
            await gateway.CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="timed", version=-1))
            await gateway.CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1))
            [job] = await activate(gateway, "do-work", timeout_ms=60_000)
            assert await activate(gateway, "do-work") == []
            assert await activate(gateway, "after-wait") == []  # the clock stands: the timer is not due
        await engine.kill()
        await engine.start()  # real time: the deadline and the timer are an hour past
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            again = await activate(gateway, "do-work", request_timeout_ms=30_000)
            assert [j.key for j in again] == [job.key]
            after = await activate(gateway, "after-wait", request_timeout_ms=30_000)
            assert len(after) == 1
        await engine.kill()
        await engine.start()
        async with grpc.aio.insecure_channel(engine.address) as channel:
            gateway = stub(channel)
            await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=after[0].key))
        await engine.stop()
    finally:
        await engine.ensure_dead()
    recovered = open_durable_engine(engine.data_dir)
    try:
        fired = [r for r in recovered.records if r.value_type == "TIMER" and r.intent == "TRIGGERED"]
        assert len(fired) == 1
        waits = [i for i in recovered.all_element_instances() if i.element_id == "Wait"]
        assert [w.state.value for w in waits] == ["ELEMENT_COMPLETED"]
        timed = [pi for pi in recovered.process_instances.values() if pi.bpmn_process_id == "timed"]
        assert [pi.state for pi in timed] == ["COMPLETED"]
        assert recovered.jobs[job.key].state is JobState.ACTIVATED
        assert not recovered.timers
    finally:
        recovered.close()


async def test_a_clean_stop_snapshots_and_the_log_continues_after_it(tmp_path: Path) -> None:
    """With --sync full and a snapshot every 7 commands: stopped with SIGTERM (snapshot), started again, killed (the
    log after the snapshot), started again, three times: the state of every run is there, and the later runs'
    deployments are duplicates, not new versions."""
    engine = EngineProcess(tmp_path / "mesin", "--snapshot-every", "7", "--sync", "full")
    await engine.start()
    try:
        for _ in range(3):
            async with grpc.aio.insecure_channel(engine.address) as channel:
                gateway = stub(channel)
                await _deploy(gateway, ("simple.bpmn", simple_service_process()))
                for _ in range(5):
                    await gateway.CreateProcessInstance(
                        pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1)
                    )
                for job in await activate(gateway, "do-work", max_jobs=3):
                    await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key))
            await engine.stop()
            await engine.start()
            await engine.kill()
            await engine.start()
        await engine.stop()
    finally:
        await engine.ensure_dead()
    recovered = open_durable_engine(engine.data_dir)
    try:
        assert [d.version for d in recovered.definitions.values()] == [1]
        states = sorted(pi.state for pi in recovered.process_instances.values())
        assert states == ["ACTIVE"] * 6 + ["COMPLETED"] * 9
    finally:
        recovered.close()


async def _refused(data_dir: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pbj",
        "engine",
        "--port",
        "0",
        "--rest-port",
        "0",
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, out.decode()
    text = err.decode()
    assert "Traceback" not in text
    assert text.startswith("Mesin proses tidak dapat dijalankan")
    return text


async def test_a_data_dir_held_by_a_running_engine_is_refused(tmp_path: Path) -> None:
    """A second engine on the data directory of a running one exits 1 naming the holder; the first runs on."""
    engine = EngineProcess(tmp_path / "mesin")
    await engine.start()
    try:
        text = await _refused(engine.data_dir)
        assert "sedang dipakai oleh mesin proses lain" in text
        assert engine.proc is not None and str(engine.proc.pid) in text
        async with grpc.aio.insecure_channel(engine.address) as channel:
            await _deploy(stub(channel), ("simple.bpmn", simple_service_process()))
        await engine.stop()
    finally:
        await engine.ensure_dead()


async def test_an_incompatible_or_foreign_data_dir_is_refused(tmp_path: Path) -> None:
    """A data directory of another format version, or whose database file is not the engine's, is refused."""
    engine = EngineProcess(tmp_path / "mesin")
    await engine.start()
    await engine.stop()
    with sqlite3.connect(engine.data_dir / "engine.sqlite3") as db:
        db.execute("PRAGMA user_version=99")
    db.close()
    assert "format versi 99" in await _refused(engine.data_dir)
    foreign = tmp_path / "lain"
    foreign.mkdir()
    (foreign / "engine.sqlite3").write_bytes(b"not a database at all, just text" * 100)
    assert "bukan basis data mesin proses" in await _refused(foreign)
    other_app = tmp_path / "aplikasi"
    other_app.mkdir()
    with sqlite3.connect(other_app / "engine.sqlite3") as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    assert "bukan basis data mesin proses" in await _refused(other_app)


async def test_in_memory_keeps_nothing(tmp_path: Path) -> None:
    """`--in-memory` writes no data directory (not even the default one) and starts empty after a restart."""
    env_dir = tmp_path / "pbj-data"
    engine = EngineProcess(tmp_path / "unused")
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pbj",
            "engine",
            "--in-memory",
            "--port",
            "0",
            "--rest-port",
            "0",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PBJ_DATA_DIR": str(env_dir)},
        )
        assert proc.stdout is not None
        ready = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert "disimpan di memori" in ready
        port, _rest_port = ready_ports(ready)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                gateway = stub(channel)
                error = await rpc_error(
                    gateway.CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1))
                )
                assert error.code() is grpc.StatusCode.NOT_FOUND  # what the first run deployed is gone
                await _deploy(gateway, ("simple.bpmn", simple_service_process()))
        finally:
            proc.kill()
            await proc.wait()
    assert not env_dir.exists()
    assert not engine.data_dir.exists()
