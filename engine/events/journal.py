"""The writer of durable mode: the appliers, each event also written down for the log as a JSON array – its id
(catalogue.py), then its key and values as keys, ids and plain data (codec.py). replay.py reads them back."""

from datetime import datetime
from typing import Any

from engine.dmn import DecisionRequirementsGraph
from engine.events import catalogue as ev
from engine.events.appliers import Appliers
from engine.events.codec import encode_bytes, encode_instant, encode_optional
from engine.model import FlowNode, ProcessModel
from engine.state.compensation import CompensationSubscription
from engine.state.values import (
    BPMN_ELEMENT,
    DeployedDecision,
    DeployedDecisionRequirements,
    ElementInstance,
    EventTrigger,
    Incident,
    Job,
    Message,
    MessageSubscription,
    ProcessDefinition,
    SignalSubscription,
    Timer,
    UserTask,
    UserTaskState,
)

Event = list[Any] | tuple[Any, ...]  # the hot path's events are tuples (one allocation each)


def _task_event(event_id: int, task: UserTask, inst: ElementInstance) -> list[Any]:
    return [
        event_id,
        task.key,
        inst.key,
        task.process_definition_version,
        task.name,
        task.assignee,
        task.candidate_groups,
        task.candidate_users,
        task.due_date,
        task.follow_up_date,
        task.form_key,
        task.external_form_reference,
        task.priority,
        task.custom_headers,
    ]


# the ids of the events the token flow writes for every element, every job and variable (the journaling methods below
# are its hot path: they call the appliers' methods directly rather than through super())
_PROCESS_ACTIVATING = ev.PROCESS_ACTIVATING.id
_ELEMENT_ACTIVATING = ev.ELEMENT_ACTIVATING.id
_ELEMENT_ACTIVATED = ev.ELEMENT_ACTIVATED.id
_ELEMENT_COMPLETING = ev.ELEMENT_COMPLETING.id
_ELEMENT_COMPLETED = ev.ELEMENT_COMPLETED.id
_SEQUENCE_FLOW_TAKEN = ev.SEQUENCE_FLOW_TAKEN.id
_VARIABLE_CREATED = ev.VARIABLE_CREATED.id
_VARIABLE_UPDATED = ev.VARIABLE_UPDATED.id
_JOB_CREATED = ev.JOB_CREATED.id
_JOB_ACTIVATED = ev.JOB_ACTIVATED.id
_JOB_COMPLETED = ev.JOB_COMPLETED.id


def encode_trigger(trigger: EventTrigger | None) -> list[Any] | None:
    if trigger is None:
        return None
    return [trigger.variables, trigger.locals, 1 if trigger.occurred else 0]


def _trimmed(event: list[Any], defaults: int) -> list[Any]:
    """Drops the last `defaults` values while they are empty (None, 0, False)."""
    while defaults and not event[-1]:
        event.pop()
        defaults -= 1
    return event


class JournalingAppliers(Appliers):
    """Appliers that note each event they apply in `events` (the command's, taken by the durable engine)."""

    events: list[Event]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events = []

    # ------------------------------------------------------------------ element instances
    def process_start_deferred(
        self, root: ElementInstance, start_ids: list[str], start_event_variables: dict[str, Any] | None
    ) -> None:
        self.events.append([ev.PROCESS_START_DEFERRED.id, root.key, list(start_ids), start_event_variables])
        super().process_start_deferred(root, start_ids, start_event_variables)

    def process_activating(
        self,
        key: int,
        definition: ProcessDefinition,
        parent: ElementInstance | None,
        start_message: tuple[int, str] | None,
    ) -> ElementInstance:
        if parent is not None or start_message is not None:
            message_key, correlation_key = start_message if start_message is not None else (None, None)
            event = [_PROCESS_ACTIVATING, key, definition.key, parent.key if parent else None, message_key,
                     correlation_key]  # fmt: skip
            self.events.append(_trimmed(event, 3))
        else:  # the common case, as _trimmed leaves it
            self.events.append((_PROCESS_ACTIVATING, key, definition.key))
        return Appliers.process_activating(self, key, definition, parent, start_message)

    def element_activating(
        self,
        key: int,
        node: FlowNode,
        scope: ElementInstance,
        body: bool = False,
        loop_counter: int | None = None,
        trigger: EventTrigger | None = None,
        join: bool = False,
        clear_joins: bool = False,
    ) -> ElementInstance:
        if body or loop_counter or trigger is not None or join or clear_joins:
            event = [ev.ELEMENT_ACTIVATING.id, key, node.id, scope.key, 1 if body else 0, loop_counter,
                     encode_trigger(trigger), 1 if join else 0, 1 if clear_joins else 0]  # fmt: skip
            self.events.append(_trimmed(event, 5))
        else:  # the common case, as _trimmed leaves it
            self.events.append((_ELEMENT_ACTIVATING, key, node.id, scope.key))
        return Appliers.element_activating(self, key, node, scope, body, loop_counter, trigger, join, clear_joins)

    def element_activated(self, inst: ElementInstance, collection: list[Any] | None = None) -> None:
        if collection is None:
            self.events.append((_ELEMENT_ACTIVATED, inst.key))
        else:
            self.events.append((_ELEMENT_ACTIVATED, inst.key, collection))
        Appliers.element_activated(self, inst, collection)

    def element_completing(
        self, inst: ElementInstance, trigger: EventTrigger | None = None, clear_scope_joins: bool = False
    ) -> None:
        if trigger is not None or clear_scope_joins:
            event = [ev.ELEMENT_COMPLETING.id, inst.key, encode_trigger(trigger), 1 if clear_scope_joins else 0]
            self.events.append(_trimmed(event, 2))
        else:  # the common case, as _trimmed leaves it
            self.events.append((_ELEMENT_COMPLETING, inst.key))
        Appliers.element_completing(self, inst, trigger, clear_scope_joins)

    def element_completed(self, inst: ElementInstance) -> None:
        self.events.append((_ELEMENT_COMPLETED, inst.key))
        Appliers.element_completed(self, inst)

    def element_terminating(self, inst: ElementInstance, interrupted: bool = False) -> None:
        self.events.append(_trimmed([ev.ELEMENT_TERMINATING.id, inst.key, 1 if interrupted else 0], 1))
        super().element_terminating(inst, interrupted)

    def termination_awaited(self, scope: ElementInstance, continuation: list[Any]) -> None:
        self.events.append([ev.TERMINATION_AWAITED.id, scope.key, continuation])
        super().termination_awaited(scope, continuation)

    def termination_continued(self, scope: ElementInstance) -> None:
        self.events.append([ev.TERMINATION_CONTINUED.id, scope.key])
        super().termination_continued(scope)

    def element_terminated(self, inst: ElementInstance) -> None:
        self.events.append([ev.ELEMENT_TERMINATED.id, inst.key])
        super().element_terminated(inst)

    def sequence_flow_taken(
        self, key: int, scope: ElementInstance, flow_id: str, target: FlowNode, join: int = 0
    ) -> None:
        if join:
            self.events.append((_SEQUENCE_FLOW_TAKEN, key, scope.key, flow_id, join))
        else:  # as _trimmed leaves it
            self.events.append((_SEQUENCE_FLOW_TAKEN, key, scope.key, flow_id))
        Appliers.sequence_flow_taken(self, key, scope, flow_id, target, join)

    # ------------------------------------------------------------------ process instances
    def process_instance_tagged(self, key: int, tags: tuple[str, ...]) -> None:
        self.events.append([ev.PROCESS_INSTANCE_TAGGED.id, key, list(tags)])
        super().process_instance_tagged(key, tags)

    def process_instance_modified(self, root: ElementInstance) -> None:
        self.events.append([ev.PROCESS_INSTANCE_MODIFIED.id, root.key])
        super().process_instance_modified(root)

    def process_instance_migrated(
        self, root: ElementInstance, target: ProcessDefinition, plan: list[tuple[ElementInstance, str]]
    ) -> None:
        event = [
            ev.PROCESS_INSTANCE_MIGRATED.id,
            root.key,
            target.key,
            [[inst.key, element_id] for inst, element_id in plan],
        ]
        self.events.append(event)
        super().process_instance_migrated(root, target, plan)

    # ------------------------------------------------------------------ variables
    def variable_created(self, scope: ElementInstance, name: str, value: Any, variable_key: int) -> None:
        self.events.append((_VARIABLE_CREATED, scope.key, name, value, variable_key))
        Appliers.variable_created(self, scope, name, value, variable_key)

    def variable_updated(self, scope: ElementInstance, name: str, value: Any) -> None:
        self.events.append((_VARIABLE_UPDATED, scope.key, name, value))
        Appliers.variable_updated(self, scope, name, value)

    def variable_document_updated(self, key: int, inst: ElementInstance) -> None:
        self.events.append([ev.VARIABLE_DOCUMENT_UPDATED.id, key, inst.key])
        super().variable_document_updated(key, inst)

    # ------------------------------------------------------------------ deployments
    def process_created(
        self,
        key: int,
        bpmn_process_id: str,
        version: int,
        resource_name: str,
        checksum: str,
        deployment_key: int,
        resource: bytes,
        model: ProcessModel | None = None,
    ) -> ProcessDefinition:
        self.events.append(
            [
                ev.PROCESS_CREATED.id,
                key,
                bpmn_process_id,
                version,
                resource_name,
                checksum,
                deployment_key,
                encode_bytes(resource),
            ]
        )
        return super().process_created(
            key, bpmn_process_id, version, resource_name, checksum, deployment_key, resource, model
        )

    def form_created(
        self, key: int, form_id: str, version: int, resource_name: str, checksum: str, schema: str, deployment_key: int
    ) -> None:
        self.events.append([ev.FORM_CREATED.id, key, form_id, version, resource_name, checksum, schema, deployment_key])
        super().form_created(key, form_id, version, resource_name, checksum, schema, deployment_key)

    def deployment_created(self, key: int) -> None:
        self.events.append([ev.DEPLOYMENT_CREATED.id, key])
        super().deployment_created(key)

    def decision_requirements_created(
        self,
        key: int,
        requirements_id: str,
        name: str,
        version: int,
        resource_name: str,
        checksum: str,
        resource: bytes,
        deployment_key: int,
        graph: DecisionRequirementsGraph | None = None,
    ) -> DeployedDecisionRequirements:
        self.events.append(
            [
                ev.DECISION_REQUIREMENTS_CREATED.id,
                key,
                requirements_id,
                name,
                version,
                resource_name,
                checksum,
                encode_bytes(resource),
                deployment_key,
            ]
        )
        return super().decision_requirements_created(
            key, requirements_id, name, version, resource_name, checksum, resource, deployment_key, graph
        )

    def decision_created(self, decision: DeployedDecision) -> None:
        d = decision
        self.events.append(
            [ev.DECISION_CREATED.id, d.key, d.decision_id, d.name, d.version, d.requirements_key, d.requirements_id,
             d.deployment_key]
        )  # fmt: skip
        super().decision_created(decision)

    def decision_evaluated(self, key: int, failed: bool, element: ElementInstance | None = None) -> None:
        spec = ev.DECISION_EVALUATION_FAILED_2 if failed else ev.DECISION_EVALUATED_2
        self.events.append([spec.id, key, element.key if element is not None else None])
        super().decision_evaluated(key, failed, element)

    def decision_instances_recorded(
        self,
        key: int,
        evaluated: list[dict[str, Any]],
        failure: str | None,
        element: ElementInstance | None = None,
    ) -> None:
        element_key = element.key if element is not None else None
        self.events.append([ev.DECISION_INSTANCES_RECORDED.id, key, element_key, failure, evaluated])
        super().decision_instances_recorded(key, evaluated, failure, element)

    def process_deleted(self, key: int) -> None:
        self.events.append([ev.PROCESS_DELETED.id, key])
        super().process_deleted(key)

    def form_deleted(self, key: int) -> None:
        self.events.append([ev.FORM_DELETED.id, key])
        super().form_deleted(key)

    # ------------------------------------------------------------------ jobs
    def job_created(self, job: Job, inst: ElementInstance) -> None:
        if job.kind == BPMN_ELEMENT:
            self.events.append(
                (_JOB_CREATED, job.key, inst.key, job.type, job.custom_headers, job.retries,
                 job.process_definition_version)
            )  # fmt: skip
        else:
            self.events.append(
                (ev.LISTENER_JOB_CREATED.id, job.key, inst.key, job.type, job.custom_headers, job.retries,
                 job.process_definition_version, job.kind, job.listener_event_type, job.listener_index)
            )  # fmt: skip
        Appliers.job_created(self, job, inst)

    def ad_hoc_activated(self, key: int, ad_hoc: ElementInstance, element_ids: list[str]) -> None:
        self.events.append([ev.AD_HOC_ACTIVATED.id, key, ad_hoc.key, list(element_ids)])
        super().ad_hoc_activated(key, ad_hoc, element_ids)

    def ad_hoc_completed(self, key: int, ad_hoc: ElementInstance) -> None:
        self.events.append([ev.AD_HOC_COMPLETED.id, key, ad_hoc.key])
        super().ad_hoc_completed(key, ad_hoc)

    def listener_job_completed(self, job: Job) -> None:
        self.events.append([ev.LISTENER_JOB_COMPLETED.id, job.key])
        super().listener_job_completed(job)

    def job_activated(self, job: Job, worker: str, deadline: datetime) -> None:
        self.events.append((_JOB_ACTIVATED, job.key, worker, encode_instant(deadline)))
        Appliers.job_activated(self, job, worker, deadline)

    def job_completed(self, job: Job, variables: dict[str, Any]) -> None:
        self.events.append((_JOB_COMPLETED, job.key, variables))
        Appliers.job_completed(self, job, variables)

    def job_failed(self, job: Job, retries: int, error_message: str, backoff_until: datetime | None) -> None:
        self.events.append([ev.JOB_FAILED.id, job.key, retries, error_message, encode_optional(backoff_until)])
        super().job_failed(job, retries, error_message, backoff_until)

    def job_error_thrown(self, job: Job, code: str, message: str) -> None:
        self.events.append([ev.JOB_ERROR_THROWN.id, job.key, code, message])
        super().job_error_thrown(job, code, message)

    def job_retries_updated(self, job: Job, retries: int) -> None:
        self.events.append([ev.JOB_RETRIES_UPDATED.id, job.key, retries])
        super().job_retries_updated(job, retries)

    def job_timeout_updated(self, job: Job, deadline: datetime) -> None:
        self.events.append([ev.JOB_TIMEOUT_UPDATED.id, job.key, encode_instant(deadline)])
        super().job_timeout_updated(job, deadline)

    def job_timed_out(self, job: Job) -> None:
        self.events.append([ev.JOB_TIMED_OUT.id, job.key])
        super().job_timed_out(job)

    def job_recurred(self, job: Job) -> None:
        self.events.append([ev.JOB_RECURRED_AFTER_BACKOFF.id, job.key])
        super().job_recurred(job)

    def job_canceled(self, job: Job, inst: ElementInstance) -> None:
        self.events.append([ev.JOB_CANCELED.id, job.key, inst.key])
        super().job_canceled(job, inst)

    def job_yielded(self, job: Job) -> None:
        self.events.append([ev.JOB_YIELDED.id, job.key])
        super().job_yielded(job)

    # ------------------------------------------------------------------ user tasks
    def user_task_created(self, task: UserTask, inst: ElementInstance) -> None:
        self.events.append(_task_event(ev.USER_TASK_CREATED_2.id, task, inst))
        super().user_task_created(task, inst)

    def user_task_creating(self, task: UserTask, inst: ElementInstance) -> None:
        self.events.append(_task_event(ev.USER_TASK_CREATING.id, task, inst))
        super().user_task_creating(task, inst)

    def user_task_transition(self, task: UserTask, state: UserTaskState, pending: dict[str, Any]) -> None:
        self.events.append([ev.USER_TASK_TRANSITION.id, task.key, state.value, pending])
        super().user_task_transition(task, state, pending)

    def user_task_corrected(self, task: UserTask, corrections: dict[str, Any]) -> None:
        self.events.append([ev.USER_TASK_CORRECTED.id, task.key, corrections])
        super().user_task_corrected(task, corrections)

    def user_task_denied(self, task: UserTask, intent: str) -> None:
        self.events.append([ev.USER_TASK_DENIED.id, task.key, intent])
        super().user_task_denied(task, intent)

    def user_task_completed(self, task: UserTask, variables: dict[str, Any]) -> None:
        self.events.append([ev.USER_TASK_COMPLETED.id, task.key, variables])
        super().user_task_completed(task, variables)

    def user_task_canceled(self, task: UserTask, inst: ElementInstance) -> None:
        self.events.append([ev.USER_TASK_CANCELED.id, task.key, inst.key])
        super().user_task_canceled(task, inst)

    def user_task_updated(self, task: UserTask, changes: dict[str, Any]) -> None:
        self.events.append([ev.USER_TASK_UPDATED.id, task.key, changes])
        super().user_task_updated(task, changes)

    def user_task_assigned(self, task: UserTask, assignee: str | None) -> None:
        self.events.append([ev.USER_TASK_ASSIGNED.id, task.key, assignee])
        super().user_task_assigned(task, assignee)

    # ------------------------------------------------------------------ timers
    def timer_created(self, timer: Timer) -> None:
        self.events.append(
            [
                ev.TIMER_CREATED.id,
                timer.key,
                timer.process_definition_key,
                timer.process_instance_key,
                timer.element_instance_key,
                timer.target_element_id,
                encode_instant(timer.due),
                timer.repetitions,
                timer.cycle,
            ]
        )
        super().timer_created(timer)

    def timer_canceled(self, timer: Timer) -> None:
        self.events.append([ev.TIMER_CANCELED.id, timer.key])
        super().timer_canceled(timer)

    def timer_triggered(self, timer: Timer, next_due: datetime | None, repetitions: int | None) -> None:
        event = [ev.TIMER_TRIGGERED.id, timer.key, encode_optional(next_due), repetitions]
        self.events.append(_trimmed(event, 2))
        super().timer_triggered(timer, next_due, repetitions)

    # ------------------------------------------------------------------ messages
    def subscription_created(self, sub: MessageSubscription, host: ElementInstance) -> None:
        self.events.append(
            [
                ev.SUBSCRIPTION_CREATED.id,
                sub.key,
                sub.message_name,
                sub.correlation_key,
                host.key,
                sub.target_element_id,
                1 if sub.interrupting else 0,
                encode_instant(sub.opened_at),
            ]
        )
        super().subscription_created(sub, host)

    def subscription_deleted(self, sub: MessageSubscription) -> None:
        self.events.append([ev.SUBSCRIPTION_DELETED.id, sub.key])
        super().subscription_deleted(sub)

    def subscription_correlated(self, sub: MessageSubscription, message: Message, host: ElementInstance) -> None:
        self.events.append([ev.SUBSCRIPTION_CORRELATED.id, sub.key, message.key, host.key])
        super().subscription_correlated(sub, message, host)

    def message_published(self, message: Message, buffered: bool) -> None:
        self.events.append(
            [
                ev.MESSAGE_PUBLISHED.id,
                message.key,
                message.name,
                message.correlation_key,
                message.variables,
                message.message_id,
                encode_instant(message.published_at),
                encode_instant(message.expires_at),
                1 if buffered else 0,
            ]
        )
        super().message_published(message, buffered)

    def message_expired(self, message: Message) -> None:
        self.events.append([ev.MESSAGE_EXPIRED.id, message.key])
        super().message_expired(message)

    def message_correlated(self, message: Message) -> None:
        event = [ev.MESSAGE_CORRELATED.id, message.key, message.name, message.correlation_key, message.variables,
                 encode_instant(message.published_at)]  # fmt: skip
        self.events.append(event)
        super().message_correlated(message)

    def message_correlation_ended(self, message: Message) -> None:
        self.events.append([ev.MESSAGE_CORRELATION_ENDED.id, message.key])
        super().message_correlation_ended(message)

    # ------------------------------------------------------------------ signals
    def signal_broadcasted(self, key: int) -> None:
        self.events.append([ev.SIGNAL_BROADCASTED.id, key])
        super().signal_broadcasted(key)

    def signal_subscription_created(self, sub: SignalSubscription) -> None:
        self.events.append(
            [
                ev.SIGNAL_SUBSCRIPTION_CREATED.id,
                sub.key,
                sub.signal_name,
                sub.process_definition_key,
                sub.process_instance_key,
                sub.element_instance_key,
                sub.target_element_id,
                1 if sub.interrupting else 0,
            ]
        )
        super().signal_subscription_created(sub)

    def signal_subscription_deleted(self, sub: SignalSubscription) -> None:
        self.events.append([ev.SIGNAL_SUBSCRIPTION_DELETED.id, sub.key])
        super().signal_subscription_deleted(sub)

    def signal_subscription_triggered(self, key: int, host: ElementInstance) -> None:
        self.events.append([ev.SIGNAL_SUBSCRIPTION_TRIGGERED.id, key, host.key])
        super().signal_subscription_triggered(key, host)

    # ------------------------------------------------------------------ incidents
    def incident_created(self, incident: Incident, inst: ElementInstance) -> None:
        self.events.append(
            [
                ev.INCIDENT_CREATED.id,
                incident.key,
                inst.key,
                incident.error_type,
                incident.error_message,
                incident.job_key,
                incident.phase,
            ]
        )
        super().incident_created(incident, inst)

    def incident_resolved(self, incident: Incident, inst: ElementInstance, reactivate_job: bool) -> None:
        self.events.append([ev.INCIDENT_RESOLVED.id, incident.key, inst.key, 1 if reactivate_job else 0])
        super().incident_resolved(incident, inst, reactivate_job)

    # ------------------------------------------------------------------ escalations
    def escalation(self, key: int, escalated: bool, thrower: ElementInstance) -> None:
        spec = ev.ESCALATION_ESCALATED if escalated else ev.ESCALATION_NOT_ESCALATED
        self.events.append([spec.id, key, thrower.key])
        super().escalation(key, escalated, thrower)

    # ------------------------------------------------------------------ compensation
    def compensation_subscription_created(self, sub: CompensationSubscription) -> None:
        self.events.append(
            [
                ev.COMPENSATION_SUBSCRIPTION_CREATED.id,
                sub.key,
                sub.process_instance_key,
                sub.process_definition_key,
                sub.activity_id,
                sub.activity_instance_key,
                sub.activity_scope_key,
                sub.handler_id,
            ]
        )
        super().compensation_subscription_created(sub)

    def compensation_subscription_triggered(
        self, sub: CompensationSubscription, throw: ElementInstance, handler_instance_key: int | None
    ) -> None:
        self.events.append([ev.COMPENSATION_SUBSCRIPTION_TRIGGERED.id, sub.key, throw.key, handler_instance_key])
        super().compensation_subscription_triggered(sub, throw, handler_instance_key)

    def compensation_subscription_completed(self, sub: CompensationSubscription) -> None:
        self.events.append([ev.COMPENSATION_SUBSCRIPTION_COMPLETED.id, sub.key])
        super().compensation_subscription_completed(sub)

    def compensation_subscription_deleted(self, sub: CompensationSubscription) -> None:
        self.events.append([ev.COMPENSATION_SUBSCRIPTION_DELETED.id, sub.key])
        super().compensation_subscription_deleted(sub)
