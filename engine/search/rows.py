"""Rows of the engine's state for the searches: one dict per item, holding what the item answers (engine/search/
catalogue.py names the fields) and, where a filter needs it, what it filters on (entries starting with `_`).

Rows read the engine's state as it is when they are built; a search builds them lazily (engine/search/language.py
lets the event loop run between batches), so the lists of the state are copied first."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from engine.decisions.instances import answered
from engine.engine import Engine
from engine.model import Kind
from engine.search.catalogue import VARIABLE_VALUE_LIMIT
from engine.search.language import Row
from engine.state import (
    ElementInstance,
    FinishedElement,
    Incident,
    IncidentState,
    Job,
    JobState,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    UserTask,
)
from engine.state.values import DeployedDecision, DeployedDecisionRequirements

TENANT = "<default>"


def java_hash(text: str) -> int:
    """Java's String.hashCode, which Camunda answers as an incident's error hash code."""
    value = 0
    data = text.encode("utf-16-be")
    for index in range(0, len(data), 2):
        value = (31 * value + (data[index] << 8 | data[index + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def utc(text: str | None) -> datetime | None:
    """A date-time the engine keeps as text (a user task's due date), as an aware datetime; None if it is not one."""
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


# ---------------------------------------------------------------------- user tasks
def user_task_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    for task in list(engine.user_tasks.values()):
        yield user_task_row(engine, task, needs)


def user_task_row(engine: Engine, task: UserTask, needs: frozenset[str] = frozenset()) -> Row:
    definition = engine.definitions.get(task.process_definition_key)
    row: Row = {
        "userTaskKey": task.key,
        "name": task.name or task.element_id,
        "state": task.state.value,
        "assignee": task.assignee,
        "elementId": task.element_id,
        "elementInstanceKey": task.element_instance_key,
        "candidateGroups": task.candidate_groups,
        "candidateUsers": task.candidate_users,
        "processDefinitionId": task.bpmn_process_id,
        "processDefinitionKey": task.process_definition_key,
        "processDefinitionVersion": task.process_definition_version,
        "processName": (definition.model.name or definition.bpmn_process_id) if definition else None,
        "processInstanceKey": task.process_instance_key,
        "formKey": task.form_key,
        "externalFormReference": task.external_form_reference,
        "creationDate": task.creation_date,
        "completionDate": task.completion_date,
        "dueDate": utc(task.due_date),
        "followUpDate": utc(task.follow_up_date),
        "priority": task.priority,
        "customHeaders": task.custom_headers,
        "tenantId": TENANT,
    }
    if "processInstanceVariables" in needs:
        root = engine.element_instance(task.process_instance_key)
        row["_processInstanceVariables"] = [root.variables] if root is not None else []
    if "localVariables" in needs:
        inst = engine.element_instance(task.element_instance_key)
        row["_localVariables"] = [inst.variables] if inst is not None else []
    return row


# ---------------------------------------------------------------------- process instances
_ELEMENT_FILTERS = frozenset({"elementId", "elementInstanceState", "hasElementInstanceIncident"})
_INCIDENT_FILTERS = frozenset({"errorMessage", "incidentErrorHashCode"})


def process_instance_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    active_incidents = {i.process_instance_key for i in engine.incidents.values() if i.state is IncidentState.ACTIVE}
    scopes = _variable_scopes(engine) if "variables" in needs else {}
    elements = _elements_by_instance(engine) if needs & _ELEMENT_FILTERS else {}
    incidents: dict[int, list[dict[str, Any]]] = {}
    if needs & _INCIDENT_FILTERS:
        for incident in list(engine.incidents.values()):
            if incident.state is IncidentState.ACTIVE:
                incidents.setdefault(incident.process_instance_key, []).append(
                    {"errorMessage": incident.error_message, "errorHashCode": java_hash(incident.error_message)}
                )
    retries_left: set[int] = set()
    if "hasRetriesLeft" in needs:
        retries_left = {j.process_instance_key for j in list(engine.jobs.values()) if j.retries > 0 and j.error_message}
    for pi in list(engine.process_instances.values()):
        row = process_instance_row(engine, pi, pi.key in active_incidents)
        if needs:
            row["_variables"] = scopes.get(pi.key, [])
            row["_elements"] = elements.get(pi.key, [])
            row["_incidents"] = incidents.get(pi.key, [])
            row["_hasRetriesLeft"] = pi.key in retries_left
        yield row


def _variable_scopes(engine: Engine) -> dict[int, list[dict[str, Any]]]:
    scopes: dict[int, list[dict[str, Any]]] = {}
    for inst in list(engine.element_instances.values()):
        if inst.variables:
            scopes.setdefault(inst.process_instance_key, []).append(inst.variables)
    for done in engine.finished_elements():
        variables = done.variables
        if done.flow_scope_key is None:  # a finished root: its variables are the instance's final ones
            pi = engine.process_instances.get(done.key)
            variables = pi.final_variables if pi is not None else None
        if variables:
            scopes.setdefault(done.process_instance_key, []).append(variables)
    return scopes


def _elements_by_instance(engine: Engine) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for inst in list(engine.element_instances.values()):
        if inst.kind is not Kind.PROCESS:
            out.setdefault(inst.process_instance_key, []).append(
                {"elementId": inst.element_id, "state": "ACTIVE", "hasIncident": inst.incident_key is not None}
            )
    for done in engine.finished_elements():
        if done.kind != Kind.PROCESS.value:
            out.setdefault(done.process_instance_key, []).append(
                {"elementId": done.element_id, "state": _ROW_STATES.get(done.state, "ACTIVE"), "hasIncident": False}
            )
    return out


def process_instance_row(engine: Engine, pi: ProcessInstance, has_incident: bool) -> Row:
    definition = engine.definitions.get(pi.process_definition_key)
    name = definition.model.name if definition is not None else None
    return {
        "processInstanceKey": pi.key,
        "processDefinitionId": pi.bpmn_process_id,
        "processDefinitionName": name or pi.bpmn_process_id,
        "processDefinitionVersion": pi.version,
        "processDefinitionVersionTag": definition.model.version_tag if definition is not None else None,
        "processDefinitionKey": pi.process_definition_key,
        "parentProcessInstanceKey": pi.parent_process_instance_key,  # an instance a call activity created
        "parentElementInstanceKey": pi.parent_element_instance_key,
        "startDate": pi.started_at,
        "endDate": pi.ended_at,
        "state": pi.state,
        "hasIncident": has_incident,
        "tenantId": TENANT,
        "tags": list(pi.tags) or None,
    }


def find_process_instance(engine: Engine, key: int) -> Row | None:
    pi = engine.process_instances.get(key)
    if pi is None:
        return None
    has_incident = any(
        i.process_instance_key == key and i.state is IncidentState.ACTIVE for i in engine.incidents.values()
    )
    return process_instance_row(engine, pi, has_incident)


# ---------------------------------------------------------------------- element instances
def element_instance_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    for inst in list(engine.element_instances.values()):
        if inst.kind is not Kind.PROCESS:  # the process itself is a process instance, not an element instance
            yield element_instance_row(engine, inst)
    for done in engine.finished_elements():
        if done.kind != Kind.PROCESS.value:
            yield finished_element_row(engine, done)


def element_instance_row(engine: Engine, inst: ElementInstance) -> Row:
    return finished_element_row(engine, FinishedElement._make(FinishedElement.of(inst)))


# activating, activated, completing or terminating: still there
_ROW_STATES = {"ELEMENT_COMPLETED": "COMPLETED", "ELEMENT_TERMINATED": "TERMINATED"}


def finished_element_row(engine: Engine, done: FinishedElement) -> Row:
    """The row of an element instance from its archived fields (those of a live one: FinishedElement.of)."""
    definition = engine.definitions.get(done.process_definition_key)
    node = definition.model.elements.get(done.element_id) if definition is not None else None
    return {
        "elementInstanceKey": done.key,
        "processInstanceKey": done.process_instance_key,
        "processDefinitionKey": done.process_definition_key,
        "processDefinitionId": done.bpmn_process_id,
        "startDate": done.started_at,
        "endDate": done.ended_at,
        "elementId": done.element_id,
        "elementName": (node.name if node is not None else None) or done.element_id,
        "type": done.bpmn_element_type,
        "state": _ROW_STATES.get(done.state, "ACTIVE"),
        "hasIncident": done.incident_key is not None,
        "incidentKey": done.incident_key,
        "tenantId": TENANT,
        "_flowScopeKey": done.flow_scope_key,
    }


def find_element_instance(engine: Engine, key: int) -> Row | None:
    inst = engine.element_instance(key)
    if inst is None or inst.kind is Kind.PROCESS:
        return None
    return element_instance_row(engine, inst)


# ---------------------------------------------------------------------- incidents
def incident_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    return (incident_row(i) for i in list(engine.incidents.values()))


def incident_row(incident: Incident) -> Row:
    return {
        "incidentKey": incident.key,
        "processDefinitionKey": incident.process_definition_key,
        "processDefinitionId": incident.bpmn_process_id,
        "processInstanceKey": incident.process_instance_key,
        "errorType": incident.error_type,
        "errorMessage": incident.error_message,
        "elementId": incident.element_id,
        "elementInstanceKey": incident.element_instance_key,
        "creationTime": incident.created_at,
        "state": incident.state.value,
        "jobKey": incident.job_key,
        "tenantId": TENANT,
    }


# ---------------------------------------------------------------------- variables
def variable_rows(engine: Engine, *, truncate: bool = True) -> Iterator[Row]:
    """Every variable of every scope, live or finished, as Camunda keeps them: one row per scope and name, the value
    as JSON text (cut at VARIABLE_VALUE_LIMIT characters when `truncate`)."""
    for inst in engine.all_element_instances():
        for name, value in list(inst.variables.items()):
            yield variable_row(engine, inst, name, value, truncate=truncate)


def variable_row(engine: Engine, inst: ElementInstance, name: str, value: Any, *, truncate: bool = True) -> Row:
    text = json.dumps(value, ensure_ascii=False)
    cut = truncate and len(text) > VARIABLE_VALUE_LIMIT
    return {
        "variableKey": engine.variable_key(inst.key, name),
        "name": name,
        "value": text[:VARIABLE_VALUE_LIMIT] if cut else text,
        "scopeKey": inst.key,
        "processInstanceKey": inst.process_instance_key,
        "tenantId": TENANT,
        "isTruncated": cut,
    }


def find_variable(engine: Engine, key: int) -> Row | None:
    """The variable with this key, its value whole (Camunda's GET answers the full value)."""
    found = engine.variable_of_key(key)
    if found is None:
        return None
    inst, name = found
    return variable_row(engine, inst, name, inst.variables[name], truncate=False)


def visible_variable_rows(engine: Engine, inst: ElementInstance, *, truncate: bool = True) -> list[Row]:
    """The variables an element instance sees (a user task's form shows these): the innermost scope's of each name."""
    seen: set[str] = set()
    rows: list[Row] = []
    for scope in engine.scope_chain(inst):
        for name, value in list(scope.variables.items()):
            if name not in seen:
                seen.add(name)
                rows.append(variable_row(engine, scope, name, value, truncate=truncate))
    return rows


# ---------------------------------------------------------------------- process definitions
def process_definition_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    latest: dict[str, int] = {}
    definitions = list(engine.definitions.values())
    for d in definitions:
        latest[d.bpmn_process_id] = max(latest.get(d.bpmn_process_id, 0), d.version)
    for d in definitions:
        yield process_definition_row(d, latest[d.bpmn_process_id] == d.version)


def process_definition_row(definition: ProcessDefinition, is_latest: bool) -> Row:
    return {
        "processDefinitionKey": definition.key,
        "name": definition.model.name,
        "resourceName": definition.resource_name,
        "version": definition.version,
        "versionTag": definition.model.version_tag,
        "processDefinitionId": definition.bpmn_process_id,
        "tenantId": TENANT,
        "hasStartForm": False,  # start forms are not supported: user tasks link their forms
        "_isLatestVersion": is_latest,
    }


def find_process_definition(engine: Engine, key: int) -> Row | None:
    definition = engine.definitions.get(key)
    if definition is None:
        return None
    latest = engine.latest_definition(definition.bpmn_process_id)
    return process_definition_row(definition, latest is definition)


# ---------------------------------------------------------------------- jobs
_JOB_STATES = {
    JobState.ACTIVATABLE: "CREATED",
    JobState.ACTIVATED: "CREATED",
    JobState.FAILED: "FAILED",
    JobState.ERROR_THROWN: "ERROR_THROWN",
    JobState.COMPLETED: "COMPLETED",
    JobState.CANCELED: "CANCELED",
}


def job_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    """The jobs the engine holds: created (activatable or at a worker), failed, or with an error thrown and not
    caught (a job leaves the engine's state once it is completed or its element ends)."""
    return (job_row(j) for j in list(engine.jobs.values()))


def job_row(job: Job) -> Row:
    failed_before = bool(job.error_message) and job.state is not JobState.ERROR_THROWN
    state = _JOB_STATES[job.state]
    if state == "CREATED" and failed_before:
        state = "FAILED"
    return {
        "customHeaders": job.custom_headers,
        "deadline": job.deadline,
        "elementId": job.element_id,
        "elementInstanceKey": job.element_instance_key,
        "errorCode": job.error_code or None,
        "errorMessage": job.error_message or None,
        "hasFailedWithRetriesLeft": failed_before and job.retries > 0,
        "jobKey": job.key,
        "kind": job.kind,
        "listenerEventType": job.listener_event_type,
        "processDefinitionId": job.bpmn_process_id,
        "processDefinitionKey": job.process_definition_key,
        "processInstanceKey": job.process_instance_key,
        "retries": job.retries,
        "state": state,
        "tenantId": TENANT,
        "type": job.type,
        "worker": job.worker,
    }


# ---------------------------------------------------------------------- message subscriptions
def message_subscription_rows(engine: Engine, needs: frozenset[str] = frozenset()) -> Iterator[Row]:
    """The open message subscriptions of waiting elements (CREATED)."""
    for sub in list(engine.subscriptions.values()):
        row = message_subscription_row(engine, sub)
        if row is not None:
            yield row


def message_subscription_row(engine: Engine, sub: MessageSubscription) -> Row | None:
    host = engine.element_instance(sub.element_instance_key)
    if host is None:
        return None
    node = engine.definitions[host.process_definition_key].model.elements.get(sub.target_element_id)
    return {
        "messageSubscriptionKey": sub.key,
        "processDefinitionId": host.bpmn_process_id,
        "processDefinitionKey": host.process_definition_key,
        "processInstanceKey": sub.process_instance_key,
        "elementId": node.id if node is not None else sub.target_element_id,
        "elementInstanceKey": sub.element_instance_key,
        "messageSubscriptionState": "CREATED",
        "lastUpdatedDate": sub.opened_at,
        "messageName": sub.message_name,
        "correlationKey": sub.correlation_key,
        "tenantId": TENANT,
    }


# ---------------------------------------------------------------------- decisions
def decision_definition_rows(engine: Engine) -> Iterator[Row]:
    for decision in list(engine.decision_store.decisions.values()):
        yield decision_definition_row(decision)


def decision_definition_row(decision: DeployedDecision) -> Row:
    return {
        "decisionDefinitionId": decision.decision_id,
        "name": decision.name,
        "version": decision.version,
        "decisionRequirementsId": decision.requirements_id,
        "tenantId": TENANT,
        "decisionDefinitionKey": decision.key,
        "decisionRequirementsKey": decision.requirements_key,
    }


def decision_instance_rows(engine: Engine) -> Iterator[Row]:
    """The decision instances, in the order evaluated (each row as kept: engine/decisions/instances.py)."""
    for row in list(engine.decision_store.instances.values()):
        yield answered(row)


def decision_requirements_rows(engine: Engine) -> Iterator[Row]:
    for requirements in list(engine.decision_store.requirements.values()):
        yield decision_requirements_row(requirements)


def decision_requirements_row(requirements: DeployedDecisionRequirements) -> Row:
    return {
        "decisionRequirementsName": requirements.name,
        "version": requirements.version,
        "decisionRequirementsId": requirements.requirements_id,
        "resourceName": requirements.resource_name,
        "tenantId": TENANT,
        "decisionRequirementsKey": requirements.key,
    }
