"""Jobs: activation, completion, failure, errors, retries and time-outs; job streams and waiters."""

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine._base import EngineBase, _Interrupt
from engine.clock import after
from engine.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.state import (
    Job,
    JobState,
)


@dataclass(frozen=True)
class ActivatedJob:
    """A job as handed to a worker, with the variables it may read."""

    job: Job
    variables: dict[str, Any]


@dataclass
class _JobStream:
    job_type: str
    worker: str
    timeout_ms: int
    fetch_variables: list[str]
    queue: "asyncio.Queue[ActivatedJob]" = field(default_factory=asyncio.Queue)


class JobsMixin(EngineBase):
    # ================================================================== jobs
    def activate_jobs(
        self, job_type: str, worker: str, timeout_ms: int, max_jobs: int, fetch_variables: list[str]
    ) -> list[ActivatedJob]:
        if not job_type.strip():
            raise InvalidArgumentError("Expected to activate jobs of a type, but the type is blank")
        if max_jobs < 1:
            raise InvalidArgumentError(f"Expected maxJobsToActivate to be greater than 0, but was {max_jobs}")
        if timeout_ms < 1:
            raise InvalidArgumentError(f"Expected the job timeout to be greater than 0 ms, but was {timeout_ms}")
        return self._command(  # type: ignore[no-any-return]
            lambda: self._activate_some(job_type, worker, timeout_ms, max_jobs, fetch_variables)
        )

    def _activatable(self, job_type: str) -> list[Job]:
        now = self.now()
        return [
            j
            for j in self.jobs.values()
            if j.type == job_type
            and j.state is JobState.ACTIVATABLE
            and (j.backoff_until is None or j.backoff_until <= now)
        ]

    def _activate_some(
        self, job_type: str, worker: str, timeout_ms: int, max_jobs: int, fetch_variables: list[str]
    ) -> list[ActivatedJob]:
        out: list[ActivatedJob] = []
        for job in self._activatable(job_type)[:max_jobs]:
            out.append(self._activate_job(job, worker, timeout_ms, fetch_variables))
        return out

    def _activate_job(self, job: Job, worker: str, timeout_ms: int, fetch_variables: list[str]) -> ActivatedJob:
        job.state = JobState.ACTIVATED
        job.worker = worker
        job.deadline = after(self.now(), timeout_ms)
        self._schedule_due(job.deadline, "job-deadline", job.key)
        inst = self.element_instances[job.element_instance_key]
        variables = self.visible_variables(inst)
        if fetch_variables:
            variables = {k: v for k, v in variables.items() if k in fetch_variables}
        self._record("JOB", "ACTIVATED", job.key, element=inst)
        return ActivatedJob(job, variables)

    def _job(self, key: int, verb: str) -> Job:
        job = self.jobs.get(key)
        if job is None:
            raise NotFoundError(f"Expected to {verb} job with key '{key}', but no such job was found")
        return job

    def complete_job(self, key: int, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            job = self._job(key, "complete")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to complete job with key '{key}', but it is in state '{job.state.value}'"
                )
            job.state = JobState.COMPLETED
            self._record("JOB", "COMPLETED", key, pi=job.process_instance_key)
            inst = self.element_instances[job.element_instance_key]
            del self.jobs[key]
            inst.job_key = None
            inst.event_variables = dict(variables)
            self._complete(inst)

        self._command(action)

    def fail_job(
        self, key: int, retries: int, error_message: str, backoff_ms: int, variables: Mapping[str, Any]
    ) -> None:
        def action() -> None:
            job = self._job(key, "fail")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to fail job with key '{key}', but it is in state '{job.state.value}'"
                )
            inst = self.element_instances[job.element_instance_key]
            if variables:
                for name, value in variables.items():
                    self._set_local(inst, name, value)
            job.retries = retries
            job.error_message = error_message
            job.worker = ""
            job.deadline = None
            job.backoff_until = None  # a job failed again while backing off follows the new back-off
            self._record("JOB", "FAILED", key, element=inst)
            if retries > 0:
                job.state = JobState.ACTIVATABLE
                if backoff_ms > 0:
                    job.backoff_until = after(self.now(), backoff_ms)
                    self._schedule_due(job.backoff_until, "job-backoff", key)
                else:
                    self._touched_job_types.add(job.type)
                return
            job.state = JobState.FAILED
            message = error_message or "No more retries left."
            with contextlib.suppress(_Interrupt):
                self._raise_incident(inst, "JOB_NO_RETRIES", message, "job", job)

        self._command(action)

    def throw_error(self, key: int, code: str, message: str, variables: Mapping[str, Any]) -> None:
        def action() -> None:
            job = self._job(key, "throw an error for")
            if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
                raise FailedPreconditionError(
                    f"Expected to throw an error for job with key '{key}', but it is in state '{job.state.value}'"
                )
            if not code.strip():
                raise InvalidArgumentError("Expected an error code, but it is blank")
            inst = self.element_instances[job.element_instance_key]
            job.state = JobState.ERROR_THROWN
            job.error_code = code
            job.error_message = message
            self._record("JOB", "ERROR_THROWN", key, element=inst)
            try:
                caught = self._throw_error(inst, code, message, dict(variables))
            except _Interrupt:
                caught = False
                incident = self.incidents[inst.incident_key] if inst.incident_key else None
                if incident is not None:
                    incident.job_key = job.key
            if caught:
                self.jobs.pop(key, None)

        self._command(action)

    def update_job_retries(self, key: int, retries: int) -> None:
        def action() -> None:
            job = self._job(key, "update retries of")
            if retries < 1:
                raise InvalidArgumentError(
                    f"Expected to update retries for job with key '{key}' with a positive amount of retries, "
                    f"but the amount given was '{retries}'"
                )
            job.retries = retries
            self._record("JOB", "RETRIES_UPDATED", key, pi=job.process_instance_key)

        self._command(action)

    def update_job_timeout(self, key: int, timeout_ms: int) -> None:
        def action() -> None:
            job = self._job(key, "update the timeout of")
            if job.state is not JobState.ACTIVATED:
                raise FailedPreconditionError(
                    f"Expected to update the timeout of job with key '{key}', but it is not activated"
                )
            job.deadline = after(self.now(), timeout_ms)
            self._schedule_due(job.deadline, "job-deadline", key)
            self._record("JOB", "TIMEOUT_UPDATED", key, pi=job.process_instance_key)

        self._command(action)

    # ---------------------------------------------------------------- job streams and waiters
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

    def add_job_waiter(self, job_type: str) -> "asyncio.Future[None]":
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._job_waiters.setdefault(job_type, []).append(fut)
        return fut

    def remove_job_waiter(self, job_type: str, fut: "asyncio.Future[None]") -> None:
        waiters = self._job_waiters.get(job_type, [])
        if fut in waiters:
            waiters.remove(fut)

    def open_job_stream(self, job_type: str, worker: str, timeout_ms: int, fetch_variables: list[str]) -> _JobStream:
        if not job_type.strip():
            raise InvalidArgumentError("Expected to stream jobs of a type, but the type is blank")
        if timeout_ms < 1:
            raise InvalidArgumentError(f"Expected the job timeout to be greater than 0 ms, but was {timeout_ms}")
        stream = _JobStream(job_type, worker, timeout_ms, fetch_variables)
        self._job_streams.setdefault(job_type, []).append(stream)
        self._touched_job_types.add(job_type)
        self._wake()
        return stream

    def close_job_stream(self, stream: _JobStream) -> None:
        """Closes a stream; jobs pushed to it but never sent are given back (activatable again at once)."""
        streams = self._job_streams.get(stream.job_type, [])
        if stream in streams:
            streams.remove(stream)

        def give_back() -> None:
            while not stream.queue.empty():
                job = self.jobs.get(stream.queue.get_nowait().job.key)
                if job is not None and job.state is JobState.ACTIVATED:
                    job.state = JobState.ACTIVATABLE
                    job.worker = ""
                    job.deadline = None
                    self._record("JOB", "YIELDED", job.key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)

        self._command(give_back)

    def _offer_to_streams(self, job_type: str) -> None:
        streams = self._job_streams.get(job_type)
        if not streams:
            return
        for job in self._activatable(job_type):
            stream = streams[0]
            streams.append(streams.pop(0))  # round robin
            stream.queue.put_nowait(self._activate_job(job, stream.worker, stream.timeout_ms, stream.fetch_variables))

    def has_stream(self, job_type: str) -> bool:
        return bool(self._job_streams.get(job_type))
