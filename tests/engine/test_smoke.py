"""The engine end to end through its gRPC port with an unchanged pyzeebe client and worker."""

import asyncio

from pyzeebe import ZeebeClient, ZeebeWorker

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import simple_service_process


async def test_pyzeebe_worker_completes_a_service_task(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, zeebe_channel: object
) -> None:
    """A deployed process runs to its end when a pyzeebe worker completes its job over gRPC."""
    engine.engine.deploy([("simple.bpmn", simple_service_process())])
    worker = ZeebeWorker(zeebe_channel)  # type: ignore[arg-type]
    seen: list[int] = []

    @worker.task(task_type="do-work")  # type: ignore[arg-type]  # pyzeebe's decorator typing rejects typed handlers
    async def do_work(nomor: int) -> dict[str, int]:
        seen.append(nomor)
        return {"hasil": nomor * 2}

    task = asyncio.create_task(worker.work())
    try:
        result = await zeebe_client.run_process("simple", {"nomor": 21})
        await engine.wait_for_idle()
        engine.assert_that(result.process_instance_key).is_completed().has_passed("Work").has_variable("hasil", 42)
        assert seen == [21]
    finally:
        await worker.stop()
        await task
