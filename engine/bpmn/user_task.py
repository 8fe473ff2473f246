"""User tasks: Camunda user tasks (completed through the REST API), and the headers of job-based ones."""

import functools
import json
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.behaviors.incidents import ACTIVATE
from engine.bpmn.element import ElementProcessor
from engine.expressions import Suspended
from engine.model import FlowNode, ListenerEvent, UserTaskDefinition
from engine.processing.steps import Interrupt
from engine.state.values import ElementInstance, ElementState, UserTask, UserTaskState


def linked_form_key(b: BpmnBehaviors, inst: ElementInstance, form_id_text: str, context: dict[str, Any]) -> int:
    """The key of the latest deployed form with the (evaluated) id; FORM_NOT_FOUND if there is none."""
    now = b.state.instant
    assert now is not None
    form_id = b.expressions.string(form_id_text, context, now)
    form = b.state.deployments.latest_form(form_id)
    if form is None:
        raise b.incidents.raise_(
            inst,
            "FORM_NOT_FOUND",
            f"Expected to find a form with id '{form_id}', but no form with this id is found, "
            "at least a form with this id should be available. To resolve the Incident please deploy "
            "a form with the same id",
            ACTIVATE,
        )
    return form.key


def job_user_task_headers(
    b: BpmnBehaviors, inst: ElementInstance, definition: UserTaskDefinition, context: dict[str, Any]
) -> dict[str, str]:
    """The io.camunda.zeebe:* headers of a job-based user task, evaluated on activation as Zeebe does: candidate
    groups and users as a JSON list literal, a linked form (formId) as its form key."""
    now = b.state.instant
    assert now is not None
    expressions = b.expressions
    headers: dict[str, str] = {}
    for header, text in (
        ("io.camunda.zeebe:assignee", definition.assignee),
        ("io.camunda.zeebe:dueDate", definition.due_date),
        ("io.camunda.zeebe:followUpDate", definition.follow_up_date),
    ):
        value = expressions.string(text, context, now) if text else ""
        if value:
            headers[header] = value
    for header, text in (
        ("io.camunda.zeebe:candidateGroups", definition.candidate_groups),
        ("io.camunda.zeebe:candidateUsers", definition.candidate_users),
    ):
        if text:
            values = expressions.string_list(text, context, now)
            headers[header] = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    if definition.form_id:
        headers["io.camunda.zeebe:formKey"] = str(linked_form_key(b, inst, definition.form_id, context))
    elif definition.external_form_reference:
        headers["io.camunda.zeebe:formKey"] = expressions.string(definition.external_form_reference, context, now)
    return headers


class UserTaskProcessor(ElementProcessor):
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        super().__init__(behaviors)
        behaviors.steps.register(self.activated_after_listener_job)

    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        definition = node.user_task
        assert definition is not None
        context = self._variables.visible(inst)
        now = self.now()
        expressions = self._expressions

        def opt_string(text: str | None) -> str | None:
            return expressions.string(text, context, now) if text else None

        assignee = opt_string(definition.assignee)
        groups = (
            expressions.string_list(definition.candidate_groups, context, now) if definition.candidate_groups else []
        )
        users = expressions.string_list(definition.candidate_users, context, now) if definition.candidate_users else []
        due_date = opt_string(definition.due_date)
        follow_up = opt_string(definition.follow_up_date)
        priority = expressions.integer(definition.priority, context, now) if definition.priority else 50
        external = opt_string(definition.external_form_reference)
        form_key: int | None = None
        if definition.form_id:
            form_key = linked_form_key(self.b, inst, definition.form_id, context)
        opens = self._subscriptions.boundary_opens(inst, node, context)
        for open_ in opens:
            open_()
        task = UserTask(
            key=self._state.keys.next(),
            element_instance_key=inst.key,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            process_definition_version=self._state.deployments.definitions[inst.process_definition_key].version,
            bpmn_process_id=inst.bpmn_process_id,
            element_id=inst.element_id,
            name=node.name,
            state=UserTaskState.CREATING,
            creation_date=now,
            assignee=assignee or None,
            candidate_groups=groups,
            candidate_users=users,
            due_date=due_date,
            follow_up_date=follow_up,
            form_key=form_key,
            external_form_reference=external,
            priority=priority,
            custom_headers=dict(node.headers),
        )
        # as Zeebe 8.8's UserTaskProcessor: the task CREATING (with the model's assignee), then the first creating
        # listener's job – or the task CREATED without its assignee –, then the element ACTIVATED, then the assignee
        # assigned through ASSIGNING (and the assigning listeners) to ASSIGNED
        self.b.writer.user_task_creating(task, inst)
        if ListenerEvent.CREATING in node.task_listeners:
            try:
                self.b.task_listeners.create(inst, node, task, ListenerEvent.CREATING, 0)
            except Suspended as suspended:  # the listener's job is created off the event loop: activated after it
                raise suspended.then(functools.partial(self.activated_after_listener_job, inst)) from None
            except Interrupt:  # an incident of the listener's job type or retries: the element is activated still
                self._transitions.activated(inst)
                raise
            self._transitions.activated(inst)
            return
        assignee = task.assignee
        task.assignee = None  # the CREATED event carries the task without it
        self.b.writer.user_task_created(task, inst)
        self._transitions.activated(inst)
        if assignee is not None:
            self.b.task_listeners.assign_initially(inst, node, task, assignee)

    def activated_after_listener_job(self, inst: ElementInstance) -> None:
        """The element of a task whose first creating listener's job was created off the event loop is activated
        (unless it was terminated meanwhile)."""
        if inst.state is ElementState.ACTIVATING:
            self._transitions.activated(inst)
