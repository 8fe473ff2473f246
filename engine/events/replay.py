"""Applying logged events: for each event id (every version ever written, catalogue.py) how its JSON form is read
back and applied. Recovery runs this and nothing else – no behaviour, no FEEL, no clock – so it cannot diverge; a new
release keeps the entries of old ids, so it applies an old log the way the release that wrote it did."""

from collections.abc import Callable
from typing import Any

from engine.events import catalogue as ev
from engine.events.appliers import Appliers
from engine.events.codec import decode_bytes, decode_instant, decode_optional
from engine.state.compensation import CompensationSubscription
from engine.state.engine_state import EngineState
from engine.state.values import (
    DeployedDecision,
    ElementInstance,
    EventTrigger,
    Incident,
    IncidentState,
    Job,
    JobState,
    Message,
    MessageSubscription,
    SignalSubscription,
    Timer,
    UserTask,
    UserTaskState,
)

Event = list[Any]
Apply = Callable[[Appliers, EngineState, Event], None]


class ReplayError(Exception):
    """A logged event cannot be applied: an unknown id (a log of a newer release) or a broken entry."""


def _arg(event: Event, index: int, default: Any = None) -> Any:
    return event[index] if len(event) > index else default


def _trigger(code: list[Any] | None) -> EventTrigger | None:
    if code is None:
        return None
    variables, locals_, occurred = code
    return EventTrigger(variables, locals_, bool(occurred))


def _now(state: EngineState) -> Any:
    return state.instant


# ---------------------------------------------------------------------- element instances
def _process_start_deferred(a: Appliers, s: EngineState, e: Event) -> None:
    a.process_start_deferred(s.instances.live[e[1]], e[2], e[3])


def _process_activating(a: Appliers, s: EngineState, e: Event) -> None:
    parent_key = _arg(e, 3)
    message_key = _arg(e, 4)
    start_message = (message_key, _arg(e, 5) or "") if message_key is not None else None
    parent = s.instances.live[parent_key] if parent_key is not None else None
    a.process_activating(e[1], s.deployments.definitions[e[2]], parent, start_message)


def _element_activating(a: Appliers, s: EngineState, e: Event) -> None:
    scope = s.instances.live[e[3]]
    node = s.deployments.definitions[scope.process_definition_key].model.elements[e[2]]
    a.element_activating(
        e[1],
        node,
        scope,
        bool(_arg(e, 4, 0)),
        _arg(e, 5),
        _trigger(_arg(e, 6)),
        bool(_arg(e, 7, 0)),
        bool(_arg(e, 8, 0)),
    )


def _element_activated(a: Appliers, s: EngineState, e: Event) -> None:
    a.element_activated(s.instances.live[e[1]], _arg(e, 2))


def _element_completing(a: Appliers, s: EngineState, e: Event) -> None:
    a.element_completing(s.instances.live[e[1]], _trigger(_arg(e, 2)), bool(_arg(e, 3, 0)))


def _element_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.element_completed(s.instances.live[e[1]])


def _element_terminating(a: Appliers, s: EngineState, e: Event) -> None:
    a.element_terminating(s.instances.live[e[1]], bool(_arg(e, 2, 0)))


def _element_terminated(a: Appliers, s: EngineState, e: Event) -> None:
    a.element_terminated(s.instances.live[e[1]])


def _termination_awaited(a: Appliers, s: EngineState, e: Event) -> None:
    a.termination_awaited(s.instances.live[e[1]], e[2])


def _termination_continued(a: Appliers, s: EngineState, e: Event) -> None:
    a.termination_continued(s.instances.live[e[1]])


def _sequence_flow_taken(a: Appliers, s: EngineState, e: Event) -> None:
    scope = s.instances.live[e[2]]
    model = s.deployments.definitions[scope.process_definition_key].model
    target = model.elements[model.flows[e[3]].target]
    a.sequence_flow_taken(e[1], scope, e[3], target, _arg(e, 4, 0))


def _sequence_flow_taken_v1(a: Appliers, s: EngineState, e: Event) -> None:
    """Version 1 (id 7): the same state change (join tokens); its record carried no flow id, type or scope."""
    _sequence_flow_taken(a, s, e)
    fields = s.history.fields
    fields[-3:] = (None, None, None)  # the record just appended: element id, element type, flow scope


# ---------------------------------------------------------------------- process instances
def _process_instance_tagged(a: Appliers, s: EngineState, e: Event) -> None:
    a.process_instance_tagged(e[1], tuple(e[2]))


def _process_instance_modified(a: Appliers, s: EngineState, e: Event) -> None:
    a.process_instance_modified(s.instances.live[e[1]])


def _process_instance_migrated(a: Appliers, s: EngineState, e: Event) -> None:
    live = s.instances.live
    plan = [(live[key], element_id) for key, element_id in e[3]]
    a.process_instance_migrated(live[e[1]], s.deployments.definitions[e[2]], plan)


# ---------------------------------------------------------------------- variables
def _variable_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.variable_created(s.instances.live[e[1]], e[2], e[3], e[4])


def _variable_updated(a: Appliers, s: EngineState, e: Event) -> None:
    a.variable_updated(s.instances.live[e[1]], e[2], e[3])


def _variable_document_updated(a: Appliers, s: EngineState, e: Event) -> None:
    a.variable_document_updated(e[1], s.instances.live[e[2]])


# ---------------------------------------------------------------------- deployments
def _process_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.process_created(e[1], e[2], e[3], e[4], e[5], e[6], decode_bytes(e[7]))


def _form_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.form_created(e[1], e[2], e[3], e[4], e[5], e[6], e[7])


def _deployment_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.deployment_created(e[1])


def _decision_requirements_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_requirements_created(e[1], e[2], e[3], e[4], e[5], e[6], decode_bytes(e[7]), e[8])


def _decision_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_created(DeployedDecision(e[1], e[2], e[3], e[4], e[5], e[6], e[7]))


def _decision_evaluated(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_evaluated(e[1], False)


def _decision_evaluation_failed(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_evaluated(e[1], True)


def _decision_instances_recorded(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_instances_recorded(e[1], e[4], e[3], s.instances.live[e[2]] if e[2] is not None else None)


def _decision_evaluated_2(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_evaluated(e[1], False, s.instances.live[e[2]] if e[2] is not None else None)


def _decision_evaluation_failed_2(a: Appliers, s: EngineState, e: Event) -> None:
    a.decision_evaluated(e[1], True, s.instances.live[e[2]] if e[2] is not None else None)


def _process_deleted(a: Appliers, s: EngineState, e: Event) -> None:
    a.process_deleted(e[1])


def _form_deleted(a: Appliers, s: EngineState, e: Event) -> None:
    a.form_deleted(e[1])


# ---------------------------------------------------------------------- jobs
def _job(s: EngineState, key: int) -> Job:
    return s.jobs.jobs[key]


def _job_created(a: Appliers, s: EngineState, e: Event) -> None:
    inst = s.instances.live[e[2]]
    a.job_created(_job_of(s, inst, e), inst)


def _listener_job_created(a: Appliers, s: EngineState, e: Event) -> None:
    inst = s.instances.live[e[2]]
    job = _job_of(s, inst, e)
    job.kind, job.listener_event_type, job.listener_index = e[7], e[8], e[9]
    a.job_created(job, inst)


def _job_of(s: EngineState, inst: ElementInstance, e: Event) -> Job:
    """The job of a JOB CREATED event ([id, key, element key, type, headers, retries, version, …])."""
    return Job(
        key=e[1],
        type=e[3],
        process_instance_key=inst.process_instance_key,
        element_instance_key=inst.key,
        element_id=inst.element_id,
        bpmn_process_id=inst.bpmn_process_id,
        process_definition_key=inst.process_definition_key,
        process_definition_version=e[6],
        custom_headers=e[4],
        retries=e[5],
        state=JobState.ACTIVATABLE,
        created_at=_now(s),
    )


def _ad_hoc_activated(a: Appliers, s: EngineState, e: Event) -> None:
    a.ad_hoc_activated(e[1], s.instances.live[e[2]], e[3])


def _ad_hoc_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.ad_hoc_completed(e[1], s.instances.live[e[2]])


def _listener_job_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.listener_job_completed(_job(s, e[1]))


def _job_activated(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_activated(_job(s, e[1]), e[2], decode_instant(e[3]))


def _job_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_completed(_job(s, e[1]), e[2])


def _job_failed(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_failed(_job(s, e[1]), e[2], e[3], decode_optional(e[4]))


def _job_error_thrown(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_error_thrown(_job(s, e[1]), e[2], e[3])


def _job_retries_updated(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_retries_updated(_job(s, e[1]), e[2])


def _job_timeout_updated(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_timeout_updated(_job(s, e[1]), decode_instant(e[2]))


def _job_timed_out(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_timed_out(_job(s, e[1]))


def _job_recurred(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_recurred(_job(s, e[1]))


def _job_canceled(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_canceled(_job(s, e[1]), s.instances.live[e[2]])


def _job_yielded(a: Appliers, s: EngineState, e: Event) -> None:
    a.job_yielded(_job(s, e[1]))


# ---------------------------------------------------------------------- user tasks
def _user_task_created(a: Appliers, s: EngineState, e: Event) -> None:
    """Version 1: the task dated when CREATED."""
    inst = s.instances.live[e[2]]
    a.user_task_created(_task(s, inst, e), inst)


def _user_task_created_2(a: Appliers, s: EngineState, e: Event) -> None:
    """Version 2: the task keeps the date it got when CREATING."""
    inst = s.instances.live[e[2]]
    task = _task(s, inst, e)
    creating = s.user_tasks.tasks.get(task.key)
    if creating is not None:
        task.creation_date = creating.creation_date
    a.user_task_created(task, inst)


def _user_task_creating(a: Appliers, s: EngineState, e: Event) -> None:
    inst = s.instances.live[e[2]]
    a.user_task_creating(_task(s, inst, e), inst)


def _user_task_transition(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_transition(s.user_tasks.tasks[e[1]], UserTaskState(e[2]), e[3])


def _user_task_corrected(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_corrected(s.user_tasks.tasks[e[1]], e[2])


def _user_task_denied(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_denied(s.user_tasks.tasks[e[1]], e[2])


def _task(s: EngineState, inst: ElementInstance, e: Event) -> UserTask:
    return UserTask(
        key=e[1],
        element_instance_key=inst.key,
        process_instance_key=inst.process_instance_key,
        process_definition_key=inst.process_definition_key,
        process_definition_version=e[3],
        bpmn_process_id=inst.bpmn_process_id,
        element_id=inst.element_id,
        name=e[4],
        state=UserTaskState.CREATED,
        creation_date=_now(s),
        assignee=e[5],
        candidate_groups=e[6],
        candidate_users=e[7],
        due_date=e[8],
        follow_up_date=e[9],
        form_key=e[10],
        external_form_reference=e[11],
        priority=e[12],
        custom_headers=e[13],
    )


def _user_task_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_completed(s.user_tasks.tasks[e[1]], e[2])


def _user_task_canceled(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_canceled(s.user_tasks.tasks[e[1]], s.instances.live[e[2]])


def _user_task_updated(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_updated(s.user_tasks.tasks[e[1]], e[2])


def _user_task_assigned(a: Appliers, s: EngineState, e: Event) -> None:
    a.user_task_assigned(s.user_tasks.tasks[e[1]], e[2])


# ---------------------------------------------------------------------- timers
def _timer_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.timer_created(Timer(e[1], e[2], e[3], e[4], e[5], decode_instant(e[6]), e[7], e[8]))


def _timer_canceled(a: Appliers, s: EngineState, e: Event) -> None:
    a.timer_canceled(s.timers.timers[e[1]])


def _timer_triggered(a: Appliers, s: EngineState, e: Event) -> None:
    a.timer_triggered(s.timers.timers[e[1]], decode_optional(_arg(e, 2)), _arg(e, 3))


# ---------------------------------------------------------------------- messages
def _subscription_created(a: Appliers, s: EngineState, e: Event) -> None:
    host = s.instances.live[e[4]]
    sub = MessageSubscription(e[1], e[2], e[3], host.process_instance_key, host.key, e[5], bool(e[6]),
                              decode_instant(e[7]))  # fmt: skip
    a.subscription_created(sub, host)


def _subscription_deleted(a: Appliers, s: EngineState, e: Event) -> None:
    a.subscription_deleted(s.messages.subscriptions[e[1]])


def _subscription_correlated(a: Appliers, s: EngineState, e: Event) -> None:
    a.subscription_correlated(s.messages.subscriptions[e[1]], s.messages.messages[e[2]], s.instances.live[e[3]])


def _message_published(a: Appliers, s: EngineState, e: Event) -> None:
    message = Message(e[1], e[2], e[3], e[4], e[5], decode_instant(e[6]), decode_instant(e[7]))
    a.message_published(message, bool(e[8]))


def _message_expired(a: Appliers, s: EngineState, e: Event) -> None:
    a.message_expired(s.messages.messages[e[1]])


def _message_correlated(a: Appliers, s: EngineState, e: Event) -> None:
    instant = decode_instant(e[5])
    a.message_correlated(Message(e[1], e[2], e[3], e[4], "", instant, instant))


def _message_correlation_ended(a: Appliers, s: EngineState, e: Event) -> None:
    message = s.messages.messages.get(e[1])
    if message is not None:
        a.message_correlation_ended(message)


# ---------------------------------------------------------------------- signals
def _signal_broadcasted(a: Appliers, s: EngineState, e: Event) -> None:
    a.signal_broadcasted(e[1])


def _signal_subscription_created(a: Appliers, s: EngineState, e: Event) -> None:
    definition = s.deployments.definitions[e[3]]
    sub = SignalSubscription(e[1], e[2], e[3], definition.bpmn_process_id, e[4], e[5], e[6], bool(e[7]))
    a.signal_subscription_created(sub)


def _signal_subscription_deleted(a: Appliers, s: EngineState, e: Event) -> None:
    a.signal_subscription_deleted(s.signals.subscriptions[e[1]])


def _signal_subscription_triggered(a: Appliers, s: EngineState, e: Event) -> None:
    a.signal_subscription_triggered(e[1], s.instances.live[e[2]])


# ---------------------------------------------------------------------- incidents
def _incident_created(a: Appliers, s: EngineState, e: Event) -> None:
    inst = s.instances.live[e[2]]
    incident = Incident(
        key=e[1],
        error_type=e[3],
        error_message=e[4],
        process_instance_key=inst.process_instance_key,
        process_definition_key=inst.process_definition_key,
        bpmn_process_id=inst.bpmn_process_id,
        element_instance_key=inst.key,
        element_id=inst.element_id,
        job_key=e[5],
        state=IncidentState.ACTIVE,
        created_at=_now(s),
        phase=e[6],
    )
    a.incident_created(incident, inst)


def _incident_resolved(a: Appliers, s: EngineState, e: Event) -> None:
    a.incident_resolved(s.incidents.incidents[e[1]], s.instances.live[e[2]], bool(e[3]))


# ---------------------------------------------------------------------- escalations
def _escalated(a: Appliers, s: EngineState, e: Event) -> None:
    a.escalation(e[1], True, s.instances.live[e[2]])


def _not_escalated(a: Appliers, s: EngineState, e: Event) -> None:
    a.escalation(e[1], False, s.instances.live[e[2]])


# ---------------------------------------------------------------------- compensation
def _compensation_subscription_created(a: Appliers, s: EngineState, e: Event) -> None:
    a.compensation_subscription_created(CompensationSubscription(e[1], e[2], e[3], e[4], e[5], e[6], e[7]))


def _compensation_subscription_triggered(a: Appliers, s: EngineState, e: Event) -> None:
    # the throw event is live when it triggers: it waits for the handlers, or completes in the same command
    a.compensation_subscription_triggered(s.compensations.subscriptions[e[1]], s.instances.live[e[2]], e[3])


def _compensation_subscription_completed(a: Appliers, s: EngineState, e: Event) -> None:
    a.compensation_subscription_completed(s.compensations.subscriptions[e[1]])


def _compensation_subscription_deleted(a: Appliers, s: EngineState, e: Event) -> None:
    a.compensation_subscription_deleted(s.compensations.subscriptions[e[1]])


APPLY: dict[int, Apply] = {
    ev.ELEMENT_ACTIVATING.id: _element_activating,
    ev.ELEMENT_ACTIVATED.id: _element_activated,
    ev.ELEMENT_COMPLETING.id: _element_completing,
    ev.ELEMENT_COMPLETED.id: _element_completed,
    ev.ELEMENT_TERMINATING.id: _element_terminating,
    ev.ELEMENT_TERMINATED.id: _element_terminated,
    ev.SEQUENCE_FLOW_TAKEN_V1.id: _sequence_flow_taken_v1,
    ev.SEQUENCE_FLOW_TAKEN.id: _sequence_flow_taken,
    ev.PROCESS_ACTIVATING.id: _process_activating,
    ev.PROCESS_START_DEFERRED.id: _process_start_deferred,
    ev.TERMINATION_AWAITED.id: _termination_awaited,
    ev.TERMINATION_CONTINUED.id: _termination_continued,
    ev.PROCESS_INSTANCE_TAGGED.id: _process_instance_tagged,
    ev.PROCESS_INSTANCE_MODIFIED.id: _process_instance_modified,
    ev.PROCESS_INSTANCE_MIGRATED.id: _process_instance_migrated,
    ev.VARIABLE_CREATED.id: _variable_created,
    ev.VARIABLE_UPDATED.id: _variable_updated,
    ev.VARIABLE_DOCUMENT_UPDATED.id: _variable_document_updated,
    ev.PROCESS_CREATED.id: _process_created,
    ev.FORM_CREATED.id: _form_created,
    ev.DEPLOYMENT_CREATED.id: _deployment_created,
    ev.PROCESS_DELETED.id: _process_deleted,
    ev.FORM_DELETED.id: _form_deleted,
    ev.DECISION_REQUIREMENTS_CREATED.id: _decision_requirements_created,
    ev.DECISION_CREATED.id: _decision_created,
    ev.DECISION_EVALUATED.id: _decision_evaluated,
    ev.DECISION_EVALUATION_FAILED.id: _decision_evaluation_failed,
    ev.DECISION_EVALUATED_2.id: _decision_evaluated_2,
    ev.DECISION_INSTANCES_RECORDED.id: _decision_instances_recorded,
    ev.DECISION_EVALUATION_FAILED_2.id: _decision_evaluation_failed_2,
    ev.JOB_CREATED.id: _job_created,
    ev.JOB_ACTIVATED.id: _job_activated,
    ev.JOB_COMPLETED.id: _job_completed,
    ev.JOB_FAILED.id: _job_failed,
    ev.JOB_ERROR_THROWN.id: _job_error_thrown,
    ev.JOB_RETRIES_UPDATED.id: _job_retries_updated,
    ev.JOB_TIMEOUT_UPDATED.id: _job_timeout_updated,
    ev.JOB_TIMED_OUT.id: _job_timed_out,
    ev.JOB_RECURRED_AFTER_BACKOFF.id: _job_recurred,
    ev.JOB_CANCELED.id: _job_canceled,
    ev.JOB_YIELDED.id: _job_yielded,
    ev.LISTENER_JOB_CREATED.id: _listener_job_created,
    ev.USER_TASK_CREATING.id: _user_task_creating,
    ev.USER_TASK_TRANSITION.id: _user_task_transition,
    ev.USER_TASK_CORRECTED.id: _user_task_corrected,
    ev.USER_TASK_DENIED.id: _user_task_denied,
    ev.LISTENER_JOB_COMPLETED.id: _listener_job_completed,
    ev.AD_HOC_ACTIVATED.id: _ad_hoc_activated,
    ev.AD_HOC_COMPLETED.id: _ad_hoc_completed,
    ev.USER_TASK_CREATED.id: _user_task_created,
    ev.USER_TASK_CREATED_2.id: _user_task_created_2,
    ev.USER_TASK_COMPLETED.id: _user_task_completed,
    ev.USER_TASK_CANCELED.id: _user_task_canceled,
    ev.USER_TASK_ASSIGNED.id: _user_task_assigned,
    ev.USER_TASK_UPDATED.id: _user_task_updated,
    ev.TIMER_CREATED.id: _timer_created,
    ev.TIMER_CANCELED.id: _timer_canceled,
    ev.TIMER_TRIGGERED.id: _timer_triggered,
    ev.SUBSCRIPTION_CREATED.id: _subscription_created,
    ev.SUBSCRIPTION_DELETED.id: _subscription_deleted,
    ev.SUBSCRIPTION_CORRELATED.id: _subscription_correlated,
    ev.MESSAGE_PUBLISHED.id: _message_published,
    ev.MESSAGE_EXPIRED.id: _message_expired,
    ev.MESSAGE_CORRELATED.id: _message_correlated,
    ev.MESSAGE_CORRELATION_ENDED.id: _message_correlation_ended,
    ev.SIGNAL_BROADCASTED.id: _signal_broadcasted,
    ev.SIGNAL_SUBSCRIPTION_CREATED.id: _signal_subscription_created,
    ev.SIGNAL_SUBSCRIPTION_DELETED.id: _signal_subscription_deleted,
    ev.SIGNAL_SUBSCRIPTION_TRIGGERED.id: _signal_subscription_triggered,
    ev.INCIDENT_CREATED.id: _incident_created,
    ev.INCIDENT_RESOLVED.id: _incident_resolved,
    ev.ESCALATION_ESCALATED.id: _escalated,
    ev.ESCALATION_NOT_ESCALATED.id: _not_escalated,
    ev.COMPENSATION_SUBSCRIPTION_CREATED.id: _compensation_subscription_created,
    ev.COMPENSATION_SUBSCRIPTION_TRIGGERED.id: _compensation_subscription_triggered,
    ev.COMPENSATION_SUBSCRIPTION_COMPLETED.id: _compensation_subscription_completed,
    ev.COMPENSATION_SUBSCRIPTION_DELETED.id: _compensation_subscription_deleted,
}
assert set(APPLY) == set(ev.SPECS), "every event of the catalogue has its applier here"


def apply_event(appliers: Appliers, state: EngineState, event: Event) -> None:
    apply = APPLY.get(event[0])
    if apply is None:
        raise ReplayError(f"unknown event id {event[0]} (written by a newer release?)")
    apply(appliers, state, event)
