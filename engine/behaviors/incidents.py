"""Raising incidents: the element stops where it is until the incident is resolved."""

from engine.events.appliers import Appliers
from engine.processing.steps import Interrupt
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance, Incident, IncidentState, Job

# what resolving an incident retries: the element's activation or completion, the job, or the throw of an error end
# event
ACTIVATE = "activate"
COMPLETE = "complete"
JOB = "job"
ERROR = "error"


class IncidentBehavior:
    def __init__(self, state: EngineState, writer: Appliers) -> None:
        self._state = state
        self._w = writer

    def create(
        self, inst: ElementInstance, error_type: str, message: str, phase: str, job: Job | None = None
    ) -> Incident:
        assert self._state.instant is not None
        incident = Incident(
            key=self._state.keys.next(),
            error_type=error_type,
            error_message=message,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            bpmn_process_id=inst.bpmn_process_id,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            job_key=job.key if job else None,
            state=IncidentState.ACTIVE,
            created_at=self._state.instant,
            phase=phase,
        )
        self._w.incident_created(incident, inst)
        return incident

    def raise_(
        self, inst: ElementInstance, error_type: str, message: str, phase: str, job: Job | None = None
    ) -> Interrupt:
        """Creates the incident and returns the Interrupt to raise (`raise incidents.raise_(…)`): the step stops."""
        self.create(inst, error_type, message, phase, job)
        return Interrupt()

    def resolve_of(self, inst: ElementInstance) -> None:
        """Resolves the element's active incident, if any (the element is terminated)."""
        if inst.incident_key is None:
            return
        incident = self._state.incidents.incidents[inst.incident_key]
        if incident.state is IncidentState.ACTIVE:
            self._w.incident_resolved(incident, inst, reactivate_job=False)
