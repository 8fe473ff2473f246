"""Incidents: raising and resolving them."""

from engine._base import EngineBase, _Interrupt
from engine.errors import (
    FailedPreconditionError,
    NotFoundError,
)
from engine.model import FlowNode, Kind
from engine.state import (
    ElementInstance,
    ElementState,
    Incident,
    IncidentState,
    Job,
    JobState,
)


class IncidentsMixin(EngineBase):
    # ================================================================== incidents
    def _raise_incident(
        self, inst: ElementInstance, error_type: str, message: str, phase: str, job: Job | None = None
    ) -> None:
        key = self.keys.next()
        incident = Incident(
            key=key,
            error_type=error_type,
            error_message=message,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            bpmn_process_id=inst.bpmn_process_id,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            job_key=job.key if job else None,
            state=IncidentState.ACTIVE,
            created_at=self.now(),
            phase=phase,
        )
        self.incidents[key] = incident
        inst.incident_key = key
        self._record("INCIDENT", "CREATED", key, element=inst)
        raise _Interrupt

    def resolve_incident(self, key: int) -> None:
        def action() -> None:
            incident = self.incidents.get(key)
            if incident is None or incident.state is not IncidentState.ACTIVE:
                raise NotFoundError(f"Expected to resolve incident with key '{key}', but no such incident was found")
            if incident.job_key is not None:
                job = self.jobs.get(incident.job_key)
                if job is not None and job.retries <= 0 and incident.phase == "job":
                    raise FailedPreconditionError(
                        f"Expected to resolve incident with key '{key}', but the job '{job.key}' has no retries "
                        "left; update the job's retries first"
                    )
            incident.state = IncidentState.RESOLVED
            incident.resolved_at = self.now()
            inst = self.element_instances[incident.element_instance_key]
            inst.incident_key = None
            self._record("INCIDENT", "RESOLVED", key, element=inst)
            if incident.job_key is not None:
                job = self.jobs.get(incident.job_key)
                if job is not None:
                    job.state = JobState.ACTIVATABLE
                    job.backoff_until = None
                    self._touched_job_types.add(job.type)
                return
            if not inst.state.is_active:
                return
            node = self.node_of(inst)

            def retry() -> None:
                if incident.phase == "activate":
                    if inst.kind is Kind.MULTI_INSTANCE_BODY:
                        self._activate_body(inst, node)
                    elif inst.kind is Kind.PROCESS or (inst.state is ElementState.ACTIVATED):
                        self._open_event_sub_processes(inst)
                    else:
                        self._run_activation(inst)
                elif incident.phase == "complete":
                    if inst.kind is Kind.MULTI_INSTANCE_BODY and inst.state is ElementState.ACTIVATED:
                        self._inner_finished_retry(inst, node)
                    else:
                        self._run_completion(inst, node)
                elif incident.phase == "error" and node.event is not None and node.event.error_code:
                    # an error end event throws again, as Zeebe re-activates it: caught now, or a new incident
                    self._throw_error(inst, node.event.error_code, "", {}, from_end_event=True)

            self._steps.append(retry)

        self._command(action)

    def _inner_finished_retry(self, body: ElementInstance, node: FlowNode) -> None:
        assert node.loop is not None and body.mi_collection is not None
        total = len(body.mi_collection)
        active = len([k for k in body.children or () if self.element_instances[k].state.is_active])
        if node.loop.sequential and body.mi_next_index < total:
            self._start_inner(body, node, body.mi_next_index)
        elif active == 0:
            self._complete(body)
