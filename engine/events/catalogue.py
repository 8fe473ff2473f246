"""Every event the engine writes: its id in the log, its value type and intent (as Zeebe names them), its version.

An event id never changes meaning and is never reused. When what an event carries or how it is applied changes, the
new form gets a new id (its version + 1) and its own applier; the old id keeps its old applier (engine/events/
replay.py), so a log written by an earlier release is applied as that release applied it.

`recorded` events enter the history (`Engine.records`), as Zeebe's exported records; the others are bookkeeping
that only the log and the state need.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventSpec:
    id: int
    value_type: str
    intent: str
    version: int = 1
    recorded: bool = True


_PI = "PROCESS_INSTANCE"

ELEMENT_ACTIVATING = EventSpec(1, _PI, "ELEMENT_ACTIVATING")
ELEMENT_ACTIVATED = EventSpec(2, _PI, "ELEMENT_ACTIVATED")
ELEMENT_COMPLETING = EventSpec(3, _PI, "ELEMENT_COMPLETING")
ELEMENT_COMPLETED = EventSpec(4, _PI, "ELEMENT_COMPLETED")
ELEMENT_TERMINATING = EventSpec(5, _PI, "ELEMENT_TERMINATING")
ELEMENT_TERMINATED = EventSpec(6, _PI, "ELEMENT_TERMINATED")
# version 1 (id 7): the record without the flow's id, type and scope; version 2 (id 15) records them – same values in
# the log, applied differently, so a new id; a log holding id 7 is applied as the release that wrote it did
SEQUENCE_FLOW_TAKEN_V1 = EventSpec(7, _PI, "SEQUENCE_FLOW_TAKEN")
SEQUENCE_FLOW_TAKEN = EventSpec(15, _PI, "SEQUENCE_FLOW_TAKEN", version=2)
PROCESS_ACTIVATING = EventSpec(8, _PI, "ELEMENT_ACTIVATING")  # the root of a new process instance
PROCESS_INSTANCE_TAGGED = EventSpec(9, _PI, "TAGGED", recorded=False)  # the tags given at creation
PROCESS_INSTANCE_MODIFIED = EventSpec(13, "PROCESS_INSTANCE_MODIFICATION", "MODIFIED")
PROCESS_INSTANCE_MIGRATED = EventSpec(14, "PROCESS_INSTANCE_MIGRATION", "MIGRATED")
# a process's start listeners run first: where it starts and what its start event delivered are kept until then
PROCESS_START_DEFERRED = EventSpec(16, _PI, "START_DEFERRED", recorded=False)
# a scope terminated children whose termination waits (a user task's canceling listeners): what it does once they
# have ended, kept until then; and taken when they have (both bookkeeping, as Zeebe's event trigger of the scope)
TERMINATION_AWAITED = EventSpec(44, _PI, "TERMINATION_AWAITED", recorded=False)
TERMINATION_CONTINUED = EventSpec(45, _PI, "TERMINATION_CONTINUED", recorded=False)

VARIABLE_CREATED = EventSpec(10, "VARIABLE", "CREATED")
VARIABLE_UPDATED = EventSpec(11, "VARIABLE", "UPDATED")
VARIABLE_DOCUMENT_UPDATED = EventSpec(12, "VARIABLE_DOCUMENT", "UPDATED")

PROCESS_CREATED = EventSpec(20, "PROCESS", "CREATED")
FORM_CREATED = EventSpec(21, "FORM", "CREATED")
DEPLOYMENT_CREATED = EventSpec(22, "DEPLOYMENT", "CREATED")
PROCESS_DELETED = EventSpec(23, "PROCESS", "DELETED")
FORM_DELETED = EventSpec(24, "FORM", "DELETED")
DECISION_REQUIREMENTS_CREATED = EventSpec(25, "DECISION_REQUIREMENTS", "CREATED")
DECISION_CREATED = EventSpec(26, "DECISION", "CREATED")

JOB_CREATED = EventSpec(30, "JOB", "CREATED")
JOB_ACTIVATED = EventSpec(31, "JOB", "ACTIVATED")
JOB_COMPLETED = EventSpec(32, "JOB", "COMPLETED")
JOB_FAILED = EventSpec(33, "JOB", "FAILED")
JOB_ERROR_THROWN = EventSpec(34, "JOB", "ERROR_THROWN")
JOB_RETRIES_UPDATED = EventSpec(35, "JOB", "RETRIES_UPDATED")
JOB_TIMEOUT_UPDATED = EventSpec(36, "JOB", "TIMEOUT_UPDATED")
JOB_TIMED_OUT = EventSpec(37, "JOB", "TIMED_OUT")
JOB_RECURRED_AFTER_BACKOFF = EventSpec(38, "JOB", "RECURRED_AFTER_BACKOFF")
JOB_CANCELED = EventSpec(39, "JOB", "CANCELED")
JOB_YIELDED = EventSpec(40, "JOB", "YIELDED")
# a listener job (execution or task listener): JOB CREATED with its kind, listener event type and index
LISTENER_JOB_CREATED = EventSpec(41, "JOB", "CREATED")
# a listener job completed: the job is gone; its variables are written as variable events by the behaviour
LISTENER_JOB_COMPLETED = EventSpec(42, "JOB", "COMPLETED")

USER_TASK_CREATED = EventSpec(50, "USER_TASK", "CREATED")
USER_TASK_COMPLETED = EventSpec(51, "USER_TASK", "COMPLETED")
USER_TASK_CANCELED = EventSpec(52, "USER_TASK", "CANCELED")
USER_TASK_ASSIGNED = EventSpec(53, "USER_TASK", "ASSIGNED")
USER_TASK_UPDATED = EventSpec(54, "USER_TASK", "UPDATED")
# task listeners: the task created in CREATING; a transition started (ASSIGNING, UPDATING, COMPLETING – the record's
# intent); a listener's corrections; a listener's denial (ASSIGNMENT_DENIED, UPDATE_DENIED, COMPLETION_DENIED)
USER_TASK_CREATING = EventSpec(55, "USER_TASK", "CREATING")
USER_TASK_TRANSITION = EventSpec(56, "USER_TASK", "ASSIGNING")
USER_TASK_CORRECTED = EventSpec(57, "USER_TASK", "CORRECTED")
USER_TASK_DENIED = EventSpec(58, "USER_TASK", "COMPLETION_DENIED")
# version 2: the task keeps the creation date it got when CREATING (Camunda's creationDate is the CREATING record's
# timestamp); version 1 (id 50) dated it when CREATED – later than CREATING when creating listeners ran between them
USER_TASK_CREATED_2 = EventSpec(47, "USER_TASK", "CREATED", version=2)

TIMER_CREATED = EventSpec(60, "TIMER", "CREATED")
TIMER_CANCELED = EventSpec(61, "TIMER", "CANCELED")
TIMER_TRIGGERED = EventSpec(62, "TIMER", "TRIGGERED")

SUBSCRIPTION_CREATED = EventSpec(70, "PROCESS_MESSAGE_SUBSCRIPTION", "CREATED")
SUBSCRIPTION_DELETED = EventSpec(71, "PROCESS_MESSAGE_SUBSCRIPTION", "DELETED")
SUBSCRIPTION_CORRELATED = EventSpec(72, "PROCESS_MESSAGE_SUBSCRIPTION", "CORRELATED")

MESSAGE_PUBLISHED = EventSpec(80, "MESSAGE", "PUBLISHED")
MESSAGE_EXPIRED = EventSpec(81, "MESSAGE", "EXPIRED")
# CorrelateMessage: the message is held while the command correlates it (it never waits), then dropped
MESSAGE_CORRELATED = EventSpec(82, "MESSAGE_CORRELATION", "CORRELATED")
MESSAGE_CORRELATION_ENDED = EventSpec(83, "MESSAGE_CORRELATION", "ENDED", recorded=False)

SIGNAL_BROADCASTED = EventSpec(90, "SIGNAL", "BROADCASTED")
SIGNAL_SUBSCRIPTION_CREATED = EventSpec(91, "SIGNAL_SUBSCRIPTION", "CREATED")
SIGNAL_SUBSCRIPTION_DELETED = EventSpec(92, "SIGNAL_SUBSCRIPTION", "DELETED")
SIGNAL_SUBSCRIPTION_TRIGGERED = EventSpec(93, "SIGNAL_SUBSCRIPTION", "TRIGGERED")

INCIDENT_CREATED = EventSpec(100, "INCIDENT", "CREATED")
INCIDENT_RESOLVED = EventSpec(101, "INCIDENT", "RESOLVED")

DECISION_EVALUATED = EventSpec(120, "DECISION_EVALUATION", "EVALUATED")
DECISION_EVALUATION_FAILED = EventSpec(121, "DECISION_EVALUATION", "FAILED")
# version 2: with the element instance that evaluated it (a business rule task), or null for EvaluateDecision
DECISION_EVALUATED_2 = EventSpec(122, "DECISION_EVALUATION", "EVALUATED", 2)
DECISION_EVALUATION_FAILED_2 = EventSpec(123, "DECISION_EVALUATION", "FAILED", 2)
# the decision instances of an evaluation (each decision it evaluated), kept for /v2/decision-instances: written
# right after its DECISION_EVALUATED/FAILED record (bookkeeping: that record is the one in the history)
DECISION_INSTANCES_RECORDED = EventSpec(46, "DECISION_EVALUATION", "INSTANCES_RECORDED", recorded=False)

# compensation subscriptions (Zeebe's COMPENSATION_SUBSCRIPTION): an activity completed that can be compensated; a
# compensation throw event triggered it (its handler activated); its handler completed; its process instance ended
COMPENSATION_SUBSCRIPTION_CREATED = EventSpec(130, "COMPENSATION_SUBSCRIPTION", "CREATED")
COMPENSATION_SUBSCRIPTION_TRIGGERED = EventSpec(131, "COMPENSATION_SUBSCRIPTION", "TRIGGERED")
COMPENSATION_SUBSCRIPTION_COMPLETED = EventSpec(132, "COMPENSATION_SUBSCRIPTION", "COMPLETED")
COMPENSATION_SUBSCRIPTION_DELETED = EventSpec(133, "COMPENSATION_SUBSCRIPTION", "DELETED")

ESCALATION_ESCALATED = EventSpec(110, "ESCALATION", "ESCALATED")
ESCALATION_NOT_ESCALATED = EventSpec(111, "ESCALATION", "NOT_ESCALATED")

# ad-hoc sub-processes: elements activated in one (by a job worker's result or the REST API); a job worker declared
# its completion condition fulfilled
AD_HOC_ACTIVATED = EventSpec(140, "AD_HOC_SUB_PROCESS_INSTRUCTION", "ACTIVATED")
AD_HOC_COMPLETED = EventSpec(141, "AD_HOC_SUB_PROCESS_INSTRUCTION", "COMPLETED")

_ALL = [spec for spec in list(globals().values()) if isinstance(spec, EventSpec)]
SPECS: dict[int, EventSpec] = {spec.id: spec for spec in _ALL}
assert len(SPECS) == len(_ALL), "every event of the catalogue has an id of its own"
