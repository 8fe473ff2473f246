"""The Zeebe side of the workers: one ZeebeWorker with every router (`create_channel` lives in `workers.channel`).

`create_worker(channel, services)` combines the routers of `workers.tasks` into one worker whose failures go through
`workers.failures.on_job_failure` and whose log lines carry the job's key, type, element and request number.
"""

import socket
from typing import Any

import anyio
import grpc
import structlog
from pyzeebe import Job, ZeebeWorker

from workers.channel import create_channel
from workers.constants import Var
from workers.failures import on_job_failure
from workers.services import Services
from workers.tasks import ROUTER_FACTORIES

# create_channel is re-exported for callers that import it from here; its home is workers.channel
__all__ = ["DrainingZeebeWorker", "bind_job_log_context", "create_channel", "create_worker"]


async def bind_job_log_context(job: Job) -> Job:
    """Before every job: bind its keys and request number to the log context of the job's own asyncio task."""
    number = job.variables.get(Var.NOMOR_PERMOHONAN) or job.variables.get(Var.NOMOR_PENDAFTARAN)
    structlog.contextvars.bind_contextvars(
        tugas=job.type, job=job.key, elemen=job.element_id, instance=job.process_instance_key, nomor=number
    )
    return job


class DrainingZeebeWorker(ZeebeWorker):
    """A ZeebeWorker whose `stop()` takes no job from then on and lets the running ones finish.

    pyzeebe's own `stop()` lets a long poll that is already waiting at the gateway go on, so a job created while
    the worker drains (the next step of a process whose job just completed) is still activated and run. Here the
    polls run in their own cancel scope: `stop()` cancels them first (a job the gateway activated for a cancelled
    poll times out and is handed out again, as with any worker that goes away), then waits for the executors to
    finish the jobs already taken. It relies on pyzeebe 4.x's worker internals (`_init_tasks`, `_job_pollers`,
    `_job_streamers`, `_job_executors`, `_stop_event`); `tests/workers/test_service.py` checks the behaviour.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._polling = anyio.CancelScope()

    async def work(self) -> None:
        """Poll and execute until `stop()`; the polls can be cancelled on their own."""
        self._init_tasks()

        async def poll() -> None:
            with self._polling:
                async with anyio.create_task_group() as polls:
                    for poller in self._job_pollers:
                        polls.start_soon(poller.poll)
                    for streamer in self._job_streamers:
                        polls.start_soon(streamer.poll)

        async with anyio.create_task_group() as group:
            group.start_soon(poll)
            for executor in self._job_executors:
                group.start_soon(executor.execute)
            await self._stop_event.wait()
            group.cancel_scope.cancel()

    async def stop(self) -> None:
        """Stop taking jobs at once, wait for the running jobs to finish, then end `work()`."""
        self._polling.cancel()
        for executor in self._job_executors:
            await executor.stop()
        self._stop_event.set()


def create_worker(channel: grpc.aio.Channel, services: Services, *, name: str | None = None) -> ZeebeWorker:
    """One worker handling every task type of the diagrams; it keeps reconnecting while the gateway is away."""
    worker = DrainingZeebeWorker(
        channel,
        name=name or f"pbj-workers@{socket.gethostname()}",
        before=[bind_job_log_context],
        exception_handler=on_job_failure,
        max_connection_retries=-1,
    )
    worker.include_router(*(create(services) for create in ROUTER_FACTORIES))
    return worker
