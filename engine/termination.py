"""The executor: terminating elements and closing what they wait for."""

from engine._base import TERMINATED, EngineBase
from engine.model import Kind
from engine.state import (
    ElementInstance,
    ElementState,
    IncidentState,
    JobState,
    UserTaskState,
)


class TerminationMixin(EngineBase):
    # ================================================================== termination
    def _terminate(self, inst: ElementInstance, *, check_scope: bool = True) -> None:
        if not inst.state.is_active:
            return
        inst.state = ElementState.TERMINATING
        self._record("PROCESS_INSTANCE", inst.state.value, inst.key, element=inst)
        for child_key in sorted(inst.children or (), reverse=True):
            self._terminate(self.element_instances[child_key], check_scope=False)
        if inst.called_instance_key is not None:  # a call activity takes the instance it created with it
            called = self.element_instances.get(inst.called_instance_key)
            inst.called_instance_key = None
            if called is not None:
                self._terminate(called, check_scope=False)
        self._close_waits(inst)
        if inst.incident_key is not None:
            incident = self.incidents[inst.incident_key]
            if incident.state is IncidentState.ACTIVE:
                incident.state = IncidentState.RESOLVED
                incident.resolved_at = self.now()
                self._record("INCIDENT", "RESOLVED", incident.key, element=inst)
            inst.incident_key = None
        inst.state = ElementState.TERMINATED
        inst.ended_at = self.now()
        self._record("PROCESS_INSTANCE", inst.state.value, inst.key, element=inst)
        if inst.kind is Kind.PROCESS:
            self._finish_process_instance(inst, TERMINATED)
            return
        scope = self.element_instances[inst.flow_scope_key] if inst.flow_scope_key is not None else None
        if scope is None:
            return
        if scope.children:
            scope.children.discard(inst.key)
        if inst.loop_counter is not None and scope.kind is Kind.MULTI_INSTANCE_BODY and check_scope:
            self._inner_finished(scope, self.node_of(inst), inst, completed=False)
        elif check_scope:
            self._complete_scope_if_done(scope)

    def _close_waits(self, inst: ElementInstance) -> None:
        """Removes what the element waited on: its job, user task, timers and subscriptions."""
        if inst.job_key is not None:
            job = self.jobs.pop(inst.job_key, None)
            if job is not None and job.state is not JobState.COMPLETED:
                job.state = JobState.CANCELED
                self._record("JOB", "CANCELED", job.key, element=inst)
            inst.job_key = None
        if inst.user_task_key is not None:
            task = self.user_tasks.get(inst.user_task_key)
            if task is not None and task.state is UserTaskState.CREATED:
                task.state = UserTaskState.CANCELED
                task.completion_date = self.now()
                self._record("USER_TASK", "CANCELED", task.key, element=inst)
        for timer_key in sorted(inst.timer_keys or ()):
            self._cancel_timer(timer_key)
        for sub_key in sorted(inst.subscription_keys or ()):
            self._close_subscription(sub_key)
        for signal_key in sorted(inst.signal_subscription_keys or ()):
            self._close_signal_subscription(signal_key)
