"""Resolving incidents: the job's incident makes the job activatable again; any other runs the step that failed
again."""

import functools

from engine.behaviors import BpmnBehaviors
from engine.errors import FailedPreconditionError, NotFoundError
from engine.state.values import ElementState, IncidentState


class IncidentProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        behaviors.steps.register(behaviors.transitions.retry)

    def resolve(self, key: int) -> None:
        state = self._state
        incident = state.incidents.incidents.get(key)
        if incident is None or incident.state is not IncidentState.ACTIVE:
            raise NotFoundError(f"Expected to resolve incident with key '{key}', but no such incident was found")
        if incident.job_key is not None:
            job = state.jobs.jobs.get(incident.job_key)
            if job is not None and job.retries <= 0 and incident.phase == "job":
                raise FailedPreconditionError(
                    f"Expected to resolve incident with key '{key}', but the job '{job.key}' has no retries "
                    "left; update the job's retries first"
                )
        inst = state.instances.live[incident.element_instance_key]
        self.b.writer.incident_resolved(incident, inst, reactivate_job=True)
        if incident.job_key is not None:
            job = state.jobs.jobs.get(incident.job_key)
            if job is not None:
                self.b.jobs.touched_types.add(job.type)
            return
        if not inst.state.is_active and inst.state is not ElementState.TERMINATING:
            return  # a terminating element retries only its canceling task listeners (Transitions.retry)
        self.b.steps.queue.append(functools.partial(self.b.transitions.retry, inst, incident.phase))
