"""Job commands: activation (long polls and job streams, in batches a client can receive), completion, failure,
errors, retries and time-outs."""

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.behaviors.incidents import JOB
from engine.behaviors.task_listeners import user_task_properties
from engine.clock import after
from engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.state.values import AD_HOC_SUB_PROCESS, BPMN_ELEMENT, EXECUTION_LISTENER, TASK_LISTENER, Job, JobState

# what an activated job adds to a gRPC message besides its variables, custom headers and names (the numbers and
# tags of ActivatedJob, the tenant id): a generous bound, so that a batch estimated under the limit is under it
JOB_MESSAGE_OVERHEAD = 256

# the incident a job failed without retries raises, by the job's kind (Zeebe's JobFailProcessor)
_NO_RETRIES = {
    EXECUTION_LISTENER: "EXECUTION_LISTENER_NO_RETRIES",
    TASK_LISTENER: "TASK_LISTENER_NO_RETRIES",
    AD_HOC_SUB_PROCESS: "AD_HOC_SUB_PROCESS_NO_RETRIES",
}


@dataclass(frozen=True)
class ActivatedJob:
    """A job as handed to a worker, with the variables it may read (`variables_json`: those variables as the JSON
    text the gateway sends, when the activation measured the job's size)."""

    job: Job
    variables: dict[str, Any]
    variables_json: str | None = None
    # a task listener job: its user task's properties (Zeebe 8.8's UserTaskProperties, by their protocol names)
    user_task: dict[str, Any] | None = None


@dataclass
class JobStream:
    job_type: str
    worker: str
    timeout_ms: int
    fetch_variables: list[str]
    max_bytes: int | None = None
    queue: "asyncio.Queue[ActivatedJob]" = field(default_factory=asyncio.Queue)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def job_message_size(job: Job, worker: str, variables_json: str) -> int:
    """A bound of the size of the gRPC message that hands `job` to a worker."""
    return (
        len(variables_json.encode())
        + len(_json(job.custom_headers).encode())
        + len(job.type.encode())
        + len(job.bpmn_process_id.encode())
        + len(job.element_id.encode())
        + len(worker.encode())
        + JOB_MESSAGE_OVERHEAD
    )


def too_large_message(key: int, size: int) -> str:
    return (
        f"The job with key '{key}' can not be activated, because with {size} bytes it is larger than the configured "
        "message size (per default is 4 MB). Try to reduce the size by reducing the number of fetched variables or "
        "modifying the variable values."
    )


class JobProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._w = behaviors.writer
        self._jobs = behaviors.state.jobs
        self._live = behaviors.state.instances.live
        self._touched = behaviors.jobs.touched_types
        self.streams: dict[str, list[JobStream]] = {}
        self.pushed: list[tuple[JobStream, ActivatedJob]] = []  # handed to streams by the command now running

    def _now(self) -> datetime:
        now = self._state.instant
        assert now is not None
        return now

    # ------------------------------------------------------------------ activation
    def activate_some(
        self,
        job_type: str,
        worker: str,
        timeout_ms: int,
        max_jobs: int,
        fetch_variables: list[str],
        max_bytes: int | None = None,
    ) -> list[ActivatedJob]:
        """Activates up to `max_jobs` jobs of the type, oldest first; with `max_bytes`, only as many as one message
        of that size holds, as Zeebe: the batch stops at the first job that does not fit (it stays activatable for the
        next request), and a job that alone does not fit gets a MESSAGE_SIZE_EXCEEDED incident instead of being
        activated."""
        out: list[ActivatedJob] = []
        used = 0
        for job in self._jobs.activatable(job_type, self._now())[:max_jobs]:
            variables = self._variables_for(job, fetch_variables)
            if max_bytes is None:
                out.append(self._activate(job, worker, timeout_ms, variables))
                continue
            text = _json(variables)
            size = job_message_size(job, worker, text)
            if size > max_bytes:  # never receivable: an incident, and the batch goes on with the next job
                self._too_large(job, size)
                continue
            if used + size > max_bytes:
                break
            used += size
            out.append(self._activate(job, worker, timeout_ms, variables, text))
        return out

    def _variables_for(self, job: Job, fetch_variables: list[str]) -> dict[str, Any]:
        variables = self.b.variables.visible(self._live[job.element_instance_key])
        if fetch_variables:
            variables = {k: v for k, v in variables.items() if k in fetch_variables}
        return variables

    def _activate(
        self, job: Job, worker: str, timeout_ms: int, variables: dict[str, Any], text: str | None = None
    ) -> ActivatedJob:
        self._w.job_activated(job, worker, after(self._now(), timeout_ms))
        if job.kind == TASK_LISTENER:
            task = self.b.task_listeners.task_of(self._live[job.element_instance_key])
            return ActivatedJob(job, variables, text, user_task_properties(task))
        return ActivatedJob(job, variables, text)

    def _too_large(self, job: Job, size: int) -> None:
        inst = self._live[job.element_instance_key]
        self.b.incidents.create(inst, "MESSAGE_SIZE_EXCEEDED", too_large_message(job.key, size), JOB, job)

    def offer_to_streams(self) -> None:
        """Hands the activatable jobs of the types touched by the command to the job streams open for them (round
        robin); they are pushed to the streams once the command is committed (`pushed`)."""
        if not self._touched:
            return
        for job_type in sorted(self._touched):
            streams = self.streams.get(job_type)
            if not streams:
                continue
            for job in self._jobs.activatable(job_type, self._now()):
                stream = streams[0]
                variables = self._variables_for(job, stream.fetch_variables)
                text = None
                if stream.max_bytes is not None:
                    text = _json(variables)
                    size = job_message_size(job, stream.worker, text)
                    if size > stream.max_bytes:
                        self._too_large(job, size)
                        continue
                streams.append(streams.pop(0))  # round robin
                self.pushed.append((stream, self._activate(job, stream.worker, stream.timeout_ms, variables, text)))

    def give_back(self, stream: JobStream, queued: list[ActivatedJob]) -> None:
        """Jobs pushed to a closed stream but never sent become activatable again at once."""
        for item in queued:
            job = self._jobs.jobs.get(item.job.key)
            if job is not None and job.state is JobState.ACTIVATED:
                self._w.job_yielded(job)
                self._touched.add(job.type)

    # ------------------------------------------------------------------ the other commands
    def job(self, key: int, verb: str) -> Job:
        job = self._jobs.jobs.get(key)
        if job is None:
            raise NotFoundError(f"Expected to {verb} job with key '{key}', but no such job was found")
        return job

    def complete(self, key: int, variables: Mapping[str, Any], result: Mapping[str, Any] | None = None) -> None:
        """`result`: a task listener's JobResult (denied, deniedReason, corrections)."""
        job = self.job(key, "complete")
        if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
            raise FailedPreconditionError(
                f"Expected to complete job with key '{key}', but it is in state '{job.state.value}'"
            )
        inst = self._live[job.element_instance_key]
        if job.kind == TASK_LISTENER:
            node = self.b.transitions.node_of(inst)
            given = dict(result or {})
            self.b.task_listeners.check_result(job, node, dict(variables), given)
            self.b.task_listeners.completed(inst, node, job, given)
            return
        if job.kind == EXECUTION_LISTENER:
            self.b.listeners.completed(inst, job, dict(variables))
            return
        if job.kind == AD_HOC_SUB_PROCESS:
            self.b.transitions.processors.ad_hoc.job_completed(inst, job, dict(variables), dict(result or {}))
            return
        self._w.job_completed(job, dict(variables))
        self.b.transitions.complete(inst)

    def fail(self, key: int, retries: int, error_message: str, backoff_ms: int, variables: Mapping[str, Any]) -> None:
        job = self.job(key, "fail")
        if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
            raise FailedPreconditionError(
                f"Expected to fail job with key '{key}', but it is in state '{job.state.value}'"
            )
        if backoff_ms < 0:
            raise InvalidArgumentError(
                f"Expected to fail job with key '{key}' with a back-off of at least 0 ms, but it was {backoff_ms}"
            )
        inst = self._live[job.element_instance_key]
        for name, value in variables.items():
            self.b.variables.set_local(inst, name, value)
        backoff_until = after(self._now(), backoff_ms) if retries > 0 and backoff_ms > 0 else None
        self._w.job_failed(job, retries, error_message, backoff_until)
        if retries > 0:
            if backoff_until is None:
                self._touched.add(job.type)
            return
        error_type = _NO_RETRIES.get(job.kind, "JOB_NO_RETRIES")
        self.b.incidents.create(inst, error_type, error_message or "No more retries left.", JOB, job)

    def throw_error(self, key: int, code: str, message: str, variables: Mapping[str, Any]) -> None:
        job = self.job(key, "throw an error for")
        if job.state not in (JobState.ACTIVATABLE, JobState.ACTIVATED):
            raise FailedPreconditionError(
                f"Expected to throw an error for job with key '{key}', but it is in state '{job.state.value}'"
            )
        if job.kind not in (BPMN_ELEMENT, AD_HOC_SUB_PROCESS):  # an ad-hoc sub-process's job may throw
            raise FailedPreconditionError(
                f"Cannot throw BPMN error from {job.kind} job with key '{key}', type '{job.type}' and "
                f"processInstanceKey '{job.process_instance_key}'"
            )
        if not code.strip():
            raise InvalidArgumentError("Expected an error code, but it is blank")
        inst = self._live[job.element_instance_key]
        self._w.job_error_thrown(job, code, message)
        caught = self.b.errors.throw_error(inst, code, message, dict(variables), job=job)
        if caught and job.key in self._jobs.jobs:
            self._w.job_canceled(job, inst)

    def update_retries(self, key: int, retries: int) -> None:
        job = self.job(key, "update retries of")
        if retries < 1:
            raise InvalidArgumentError(
                f"Expected to update retries for job with key '{key}' with a positive amount of retries, "
                f"but the amount given was '{retries}'"
            )
        self._w.job_retries_updated(job, retries)

    def update_timeout(self, key: int, timeout_ms: int) -> None:
        job = self.job(key, "update the timeout of")
        if timeout_ms < 0:
            raise InvalidArgumentError(
                f"Expected to update the timeout of job with key '{key}' to at least 0 ms, but it was {timeout_ms}"
            )
        if job.state is not JobState.ACTIVATED:
            raise FailedPreconditionError(
                f"Expected to update the timeout of job with key '{key}', but it is not activated"
            )
        self._w.job_timeout_updated(job, after(self._now(), timeout_ms))
