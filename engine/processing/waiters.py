"""The callers waiting on the engine: long-polling workers (by job type), CreateProcessInstanceWithResult (by
instance), and what the gateway tells about its polls for `wait_for_idle`."""

import asyncio
import time

from engine.state.values import ProcessInstance


class Waiters:
    def __init__(self) -> None:
        self.jobs: dict[str, list[asyncio.Future[None]]] = {}
        self.results: dict[int, list[asyncio.Future[ProcessInstance]]] = {}
        # user task commands waiting for their task listeners, by task key: None when carried out, else why not
        self.user_tasks: dict[int, list[asyncio.Future[str | None]]] = {}
        self.finished: list[int] = []  # process instances ended by the command now running
        self.inflight = 0
        self.open_polls: dict[str, int] = {}
        self.last_poll: dict[str, float] = {}

    def wake_jobs(self, job_type: str) -> None:
        for waiter in self.jobs.pop(job_type, []):
            if not waiter.done():
                waiter.set_result(None)

    def add_job_waiter(self, job_type: str) -> "asyncio.Future[None]":
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.jobs.setdefault(job_type, []).append(fut)
        return fut

    def remove_job_waiter(self, job_type: str, fut: "asyncio.Future[None]") -> None:
        waiters = self.jobs.get(job_type, [])
        if fut in waiters:
            waiters.remove(fut)

    def resolve_results(self, pi: ProcessInstance) -> None:
        for fut in self.results.pop(pi.key, []):
            if not fut.done():
                fut.set_result(pi)

    def add_user_task_waiter(self, key: int) -> "asyncio.Future[str | None]":
        fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.user_tasks.setdefault(key, []).append(fut)
        return fut

    def remove_user_task_waiter(self, key: int, fut: "asyncio.Future[str | None]") -> None:
        waiters = self.user_tasks.get(key, [])
        if fut in waiters:
            waiters.remove(fut)
        if not waiters:
            self.user_tasks.pop(key, None)

    def resolve_user_task(self, key: int, outcome: str | None) -> None:
        for fut in self.user_tasks.pop(key, []):
            if not fut.done():
                fut.set_result(outcome)

    def poll_started(self, job_type: str) -> None:
        self.open_polls[job_type] = self.open_polls.get(job_type, 0) + 1
        self.last_poll[job_type] = time.monotonic()

    def poll_ended(self, job_type: str) -> None:
        self.open_polls[job_type] = max(0, self.open_polls.get(job_type, 0) - 1)
        self.last_poll[job_type] = time.monotonic()

    def job_types_with_workers(self, grace: float) -> set[str]:
        """Job types that a worker polls now or polled within the last `grace` seconds."""
        now = time.monotonic()
        return {t for t, n in self.open_polls.items() if n > 0} | {
            t for t, at in self.last_poll.items() if now - at <= grace
        }
