"""Tasks a job worker does: service, send, business rule and script tasks with a task definition, message throw
and end events implemented by a worker, and job-based user tasks."""

from engine.bpmn.element import ElementProcessor
from engine.bpmn.user_task import job_user_task_headers
from engine.model import FlowNode
from engine.state.values import ElementInstance


class JobTaskProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.job is not None
        context = self._variables.visible(inst)
        now = self.now()
        job_type = self._expressions.string(node.job.type, context, now)
        retries = self._expressions.integer(node.job.retries, context, now)
        headers = dict(node.headers)
        if node.user_task is not None:  # a job-based user task
            headers.update(job_user_task_headers(self.b, inst, node.user_task, context))
        self._subscriptions.open_boundary_events(inst, node, context)
        # as Zeebe's JobWorkerTaskProcessor: the job CREATED, then the element ACTIVATED
        version = self._state.deployments.definitions[inst.process_definition_key].version
        self.b.jobs.create(inst, job_type, retries, headers, version)
        self._transitions.activated(inst)
