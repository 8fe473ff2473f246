"""Jobs of elements: creating an element's job, cancelling it when the element ends."""

from typing import Any

from engine.events.appliers import Appliers
from engine.state.engine_state import EngineState
from engine.state.values import BPMN_ELEMENT, ElementInstance, Job, JobState


class JobBehavior:
    def __init__(self, state: EngineState, writer: Appliers) -> None:
        self._state = state
        self._w = writer
        self._jobs = state.jobs
        self.touched_types: set[str] = set()  # job types with new activatable jobs: waiters and streams to wake

    def create(
        self,
        inst: ElementInstance,
        job_type: str,
        retries: int,
        headers: dict[str, Any],
        version: int,
        *,
        kind: str = BPMN_ELEMENT,
        listener_event_type: str = "UNSPECIFIED",
        listener_index: int = 0,
    ) -> Job:
        assert self._state.instant is not None
        job = Job(
            key=self._state.keys.next(),
            type=job_type,
            process_instance_key=inst.process_instance_key,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            bpmn_process_id=inst.bpmn_process_id,
            process_definition_key=inst.process_definition_key,
            process_definition_version=version,
            custom_headers=headers,
            retries=retries,
            state=JobState.ACTIVATABLE,
            created_at=self._state.instant,
            kind=kind,
            listener_event_type=listener_event_type,
            listener_index=listener_index,
        )
        self._w.job_created(job, inst)
        self.touched_types.add(job_type)
        return job

    def cancel_of(self, inst: ElementInstance) -> None:
        """Cancels the element's job, if it has one."""
        key = self._jobs.by_element.get(inst.key)
        if key is not None:
            job = self._jobs.jobs.get(key)
            if job is not None:
                self._w.job_canceled(job, inst)
