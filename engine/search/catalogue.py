"""The searchable resources of the REST API, each with the properties Camunda 8.8's spec gives it: what an item
answers (in the spec's order), what a filter may name and what a sort may use (`tests/engine/test_rest_catalogue.py`
compares them with the spec)."""

from engine.search.language import Field, FieldKind, Resource

PROCESS_INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
ELEMENT_INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
ELEMENT_TYPES = (
    "UNSPECIFIED",
    "PROCESS",
    "SUB_PROCESS",
    "EVENT_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
    "START_EVENT",
    "INTERMEDIATE_CATCH_EVENT",
    "INTERMEDIATE_THROW_EVENT",
    "BOUNDARY_EVENT",
    "END_EVENT",
    "SERVICE_TASK",
    "RECEIVE_TASK",
    "USER_TASK",
    "MANUAL_TASK",
    "TASK",
    "EXCLUSIVE_GATEWAY",
    "INCLUSIVE_GATEWAY",
    "PARALLEL_GATEWAY",
    "EVENT_BASED_GATEWAY",
    "SEQUENCE_FLOW",
    "MULTI_INSTANCE_BODY",
    "CALL_ACTIVITY",
    "BUSINESS_RULE_TASK",
    "SCRIPT_TASK",
    "SEND_TASK",
    "UNKNOWN",
)
INCIDENT_ERROR_TYPES = (
    "UNSPECIFIED",
    "UNKNOWN",
    "IO_MAPPING_ERROR",
    "JOB_NO_RETRIES",
    "EXECUTION_LISTENER_NO_RETRIES",
    "TASK_LISTENER_NO_RETRIES",
    "AD_HOC_SUB_PROCESS_NO_RETRIES",
    "CONDITION_ERROR",
    "EXTRACT_VALUE_ERROR",
    "CALLED_ELEMENT_ERROR",
    "UNHANDLED_ERROR_EVENT",
    "MESSAGE_SIZE_EXCEEDED",
    "CALLED_DECISION_ERROR",
    "DECISION_EVALUATION_ERROR",
    "FORM_NOT_FOUND",
    "RESOURCE_NOT_FOUND",
)
INCIDENT_STATES = ("ACTIVE", "MIGRATED", "RESOLVED", "PENDING")
USER_TASK_STATES = (
    "CREATING",
    "CREATED",
    "ASSIGNING",
    "UPDATING",
    "COMPLETING",
    "COMPLETED",
    "CANCELING",
    "CANCELED",
    "FAILED",
)
JOB_STATES = ("CANCELED", "COMPLETED", "CREATED", "ERROR_THROWN", "FAILED", "MIGRATED", "RETRIES_UPDATED", "TIMED_OUT")
JOB_KINDS = ("BPMN_ELEMENT", "EXECUTION_LISTENER", "TASK_LISTENER", "AD_HOC_SUB_PROCESS")
JOB_LISTENER_EVENT_TYPES = (
    "ASSIGNING",
    "CANCELING",
    "COMPLETING",
    "CREATING",
    "END",
    "START",
    "UNSPECIFIED",
    "UPDATING",
)
MESSAGE_SUBSCRIPTION_STATES = ("CORRELATED", "CREATED", "DELETED", "MIGRATED")

_KEY = Field(FieldKind.KEY)
_STRING = Field(FieldKind.STRING)
_DATE = Field(FieldKind.DATE)
_INT = Field(FieldKind.INT)
_BOOL = Field(FieldKind.BOOL)


def _answered(kind: FieldKind) -> Field:
    """Answered, neither filtered nor sorted on."""
    return Field(kind, filterable=False, sortable=False)


def _unsorted(kind: FieldKind, values: tuple[str, ...] = ()) -> Field:
    return Field(kind, values, sortable=False)


def _filter_only(kind: FieldKind, source: str, *, member: str | None = None, values: tuple[str, ...] = ()) -> Field:
    return Field(kind, values, sortable=False, output=False, source=source, member=member)


USER_TASKS = Resource(
    "user task",
    "userTaskKey",
    {
        "name": _STRING,
        "state": _unsorted(FieldKind.ENUM, USER_TASK_STATES),
        "assignee": _unsorted(FieldKind.STRING),
        "elementId": _unsorted(FieldKind.STRING),
        "candidateGroups": _answered(FieldKind.LIST),
        "candidateUsers": _answered(FieldKind.LIST),
        "processDefinitionId": _unsorted(FieldKind.STRING),
        "creationDate": _DATE,
        "completionDate": _DATE,
        "followUpDate": _DATE,
        "dueDate": _DATE,
        "tenantId": _unsorted(FieldKind.STRING),
        "externalFormReference": _answered(FieldKind.STRING),
        "processDefinitionVersion": _answered(FieldKind.INT),
        "customHeaders": _answered(FieldKind.OBJECT),
        "priority": _INT,
        "userTaskKey": _unsorted(FieldKind.KEY),
        "elementInstanceKey": _unsorted(FieldKind.KEY),
        "processName": _answered(FieldKind.STRING),
        "processDefinitionKey": _unsorted(FieldKind.KEY),
        "processInstanceKey": _unsorted(FieldKind.KEY),
        "formKey": _answered(FieldKind.KEY),
        "candidateGroup": _filter_only(FieldKind.MEMBER, "candidateGroups"),
        "candidateUser": _filter_only(FieldKind.MEMBER, "candidateUsers"),
        "processInstanceVariables": _filter_only(FieldKind.VARIABLES, "_processInstanceVariables"),
        "localVariables": _filter_only(FieldKind.VARIABLES, "_localVariables"),
    },
)

PROCESS_INSTANCES = Resource(
    "process instance",
    "processInstanceKey",
    {
        "processDefinitionId": _STRING,
        "processDefinitionName": _STRING,
        "processDefinitionVersion": _INT,
        "processDefinitionVersionTag": _STRING,
        "startDate": _DATE,
        "endDate": _DATE,
        "state": Field(FieldKind.ENUM, PROCESS_INSTANCE_STATES),
        "hasIncident": _BOOL,
        "tenantId": _STRING,
        "processInstanceKey": _KEY,
        "processDefinitionKey": _KEY,
        "parentProcessInstanceKey": _KEY,
        "parentElementInstanceKey": _KEY,
        "tags": _unsorted(FieldKind.LIST),  # a filter lists tags that must all be there
        "variables": _filter_only(FieldKind.VARIABLES, "_variables"),
        "batchOperationId": _filter_only(FieldKind.STRING, "_batchOperationId"),  # no batch operations here
        "errorMessage": _filter_only(FieldKind.STRING, "_incidents", member="errorMessage"),
        "incidentErrorHashCode": _filter_only(FieldKind.INT, "_incidents", member="errorHashCode"),
        "hasRetriesLeft": _filter_only(FieldKind.BOOL, "_hasRetriesLeft"),
        "elementId": _filter_only(FieldKind.STRING, "_elements", member="elementId"),
        "elementInstanceState": _filter_only(
            FieldKind.ENUM, "_elements", member="state", values=ELEMENT_INSTANCE_STATES
        ),
        "hasElementInstanceIncident": _filter_only(FieldKind.BOOL, "_elements", member="hasIncident"),
    },
    alternatives=True,
)

ELEMENT_INSTANCES = Resource(
    "element instance",
    "elementInstanceKey",
    {
        "processDefinitionId": _STRING,
        "startDate": _DATE,
        "endDate": _DATE,
        "elementId": _STRING,
        "elementName": _STRING,
        "type": Field(FieldKind.ENUM, ELEMENT_TYPES),
        "state": Field(FieldKind.ENUM, ELEMENT_INSTANCE_STATES),
        "hasIncident": _unsorted(FieldKind.BOOL),
        "tenantId": _STRING,
        "elementInstanceKey": _KEY,
        "processInstanceKey": _KEY,
        "processDefinitionKey": _KEY,
        "incidentKey": _KEY,
        "elementInstanceScopeKey": _filter_only(FieldKind.KEY, "_flowScopeKey"),
    },
)

INCIDENTS = Resource(
    "incident",
    "incidentKey",
    {
        "processDefinitionId": _STRING,
        "errorType": Field(FieldKind.ENUM, INCIDENT_ERROR_TYPES),
        "errorMessage": _STRING,
        "elementId": _STRING,
        "creationTime": _DATE,
        "state": Field(FieldKind.ENUM, INCIDENT_STATES),
        "tenantId": _STRING,
        "incidentKey": _KEY,
        "processDefinitionKey": _KEY,
        "processInstanceKey": _KEY,
        "elementInstanceKey": _KEY,
        "jobKey": _KEY,
    },
)

VARIABLES = Resource(
    "variable",
    "variableKey",
    {
        "name": _STRING,
        "tenantId": _STRING,
        "variableKey": _KEY,
        "scopeKey": _KEY,
        "processInstanceKey": _KEY,
        "value": _STRING,  # the value as JSON text; a search filters and sorts on that text
        "isTruncated": _unsorted(FieldKind.BOOL),
    },
)
USER_TASK_VARIABLES = Resource(
    "user task variable",
    "variableKey",
    {
        name: spec if name == "name" else Field(spec.kind, spec.values, filterable=False, sortable=spec.sortable)
        for name, spec in VARIABLES.fields.items()
    },
)
VARIABLE_VALUE_LIMIT = 8191
"""Camunda's default size threshold: an answer holds at most this many characters of a value unless the search
asks for `truncateValues=false`."""

PROCESS_DEFINITIONS = Resource(
    "process definition",
    "processDefinitionKey",
    {
        "name": _STRING,
        "resourceName": _STRING,
        "version": _INT,
        "versionTag": _STRING,
        "processDefinitionId": _STRING,
        "tenantId": _STRING,
        "processDefinitionKey": _KEY,
        "hasStartForm": _unsorted(FieldKind.BOOL),
        "isLatestVersion": Field(
            FieldKind.BOOL, sortable=False, output=False, source="_isLatestVersion", true_only=True
        ),
    },
)

JOBS = Resource(
    "job",
    "jobKey",
    {
        "customHeaders": _answered(FieldKind.OBJECT),
        "deadline": _DATE,
        "deniedReason": _STRING,
        "elementId": _STRING,
        "elementInstanceKey": _KEY,
        "endTime": _DATE,
        "errorCode": _STRING,
        "errorMessage": _STRING,
        "hasFailedWithRetriesLeft": _unsorted(FieldKind.BOOL),
        "isDenied": _BOOL,
        "jobKey": _KEY,
        "kind": Field(FieldKind.ENUM, JOB_KINDS),
        "listenerEventType": Field(FieldKind.ENUM, JOB_LISTENER_EVENT_TYPES),
        "processDefinitionId": _STRING,
        "processDefinitionKey": _KEY,
        "processInstanceKey": _KEY,
        "retries": _INT,
        "state": Field(FieldKind.ENUM, JOB_STATES),
        "tenantId": _STRING,
        "type": _STRING,
        "worker": _STRING,
    },
)

MESSAGE_SUBSCRIPTIONS = Resource(
    "message subscription",
    "messageSubscriptionKey",
    {
        "messageSubscriptionKey": _KEY,
        "processDefinitionId": _STRING,
        "processDefinitionKey": _answered(FieldKind.KEY),
        "processInstanceKey": _KEY,
        "elementId": _STRING,
        "elementInstanceKey": _KEY,
        "messageSubscriptionState": Field(FieldKind.ENUM, MESSAGE_SUBSCRIPTION_STATES),
        "lastUpdatedDate": _DATE,
        "messageName": _STRING,
        "correlationKey": _STRING,
        "tenantId": _STRING,
    },
)

DECISION_DEFINITIONS = Resource(
    "decision definition",
    "decisionDefinitionKey",
    {
        "decisionDefinitionId": _STRING,
        "name": _STRING,
        "version": _INT,
        "decisionRequirementsId": _STRING,
        "tenantId": _STRING,
        "decisionDefinitionKey": _KEY,
        "decisionRequirementsKey": _KEY,
    },
)

DECISION_REQUIREMENTS = Resource(
    "decision requirements",
    "decisionRequirementsKey",
    {
        "decisionRequirementsName": _STRING,
        "version": _INT,
        "decisionRequirementsId": _STRING,
        "resourceName": _unsorted(FieldKind.STRING),
        "tenantId": _STRING,
        "decisionRequirementsKey": _KEY,
    },
)

DECISION_INSTANCE_STATES = ("EVALUATED", "FAILED", "UNSPECIFIED", "UNKNOWN")
DECISION_TYPES = ("DECISION_TABLE", "LITERAL_EXPRESSION", "UNSPECIFIED", "UNKNOWN")

DECISION_INSTANCES = Resource(
    "decision instance",
    "decisionEvaluationInstanceKey",
    {
        "decisionEvaluationInstanceKey": _STRING,
        "state": Field(FieldKind.ENUM, DECISION_INSTANCE_STATES),
        "evaluationDate": _DATE,
        "evaluationFailure": _STRING,
        "decisionDefinitionId": _STRING,
        "decisionDefinitionName": _STRING,
        "decisionDefinitionVersion": _INT,
        "decisionDefinitionType": Field(FieldKind.ENUM, DECISION_TYPES),
        "result": _answered(FieldKind.STRING),
        "tenantId": _STRING,
        "decisionEvaluationKey": _KEY,
        "processDefinitionKey": _KEY,
        "processInstanceKey": _KEY,
        "decisionDefinitionKey": _KEY,
        "elementInstanceKey": _KEY,
    },
)

SEARCHES = {
    "user-tasks": USER_TASKS,
    "process-instances": PROCESS_INSTANCES,
    "element-instances": ELEMENT_INSTANCES,
    "incidents": INCIDENTS,
    "variables": VARIABLES,
    "process-definitions": PROCESS_DEFINITIONS,
    "jobs": JOBS,
    "message-subscriptions": MESSAGE_SUBSCRIPTIONS,
    "decision-definitions": DECISION_DEFINITIONS,
    "decision-requirements": DECISION_REQUIREMENTS,
    "decision-instances": DECISION_INSTANCES,
}
"""The resources by the path of their search (`POST /v2/<path>/search`)."""
