"""The appliers: the only code that changes the engine's state. One method per event (its current version, see
catalogue.py); each changes the stores and appends the event's history record, at the state's `instant`.

Behaviours (engine/bpmn, engine/behaviors) and command processors (engine/processing) decide; they change the state
by writing events through an `EventWriter` – these appliers in memory, the same appliers plus a journal in durable
mode (engine/events/journal.py). Recovery applies the logged events with these methods (or an old version's applier,
engine/events/replay.py) and never runs a behaviour, FEEL or the clock.

The methods take the objects the behaviours hold (an element instance, a job), not only keys: the executor's hot
path writes several events per element, and looking each key up again would cost time for nothing. The journal
writes keys and plain values; replay.py looks the objects up again.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine.decisions.instances import instance_rows
from engine.dmn import DecisionRequirementsGraph, load_graph
from engine.model import FlowNode, Kind, ProcessModel
from engine.state import due as due_kinds
from engine.state.compensation import CompensationSubscription
from engine.state.engine_state import EngineState
from engine.state.values import (
    DeployedDecision,
    DeployedDecisionRequirements,
    ElementInstance,
    ElementState,
    EventTrigger,
    FinishedElement,
    Form,
    Incident,
    IncidentState,
    Job,
    JobState,
    Message,
    MessageStartSubscription,
    MessageSubscription,
    MultiInstanceBody,
    ProcessDefinition,
    ProcessInstance,
    SignalSubscription,
    Timer,
    UserTask,
    UserTaskState,
)

# parses a deployed resource's process again (no FEEL checks: the deployment was checked when it was made)
ModelLoader = Callable[[str, bytes, str], ProcessModel]

_PI = "PROCESS_INSTANCE"
_ACTIVATING = ElementState.ACTIVATING
_ACTIVATED = ElementState.ACTIVATED
_COMPLETING = ElementState.COMPLETING
_COMPLETED = ElementState.COMPLETED
_TERMINATING = ElementState.TERMINATING
_TERMINATED = ElementState.TERMINATED
_BODY = Kind.MULTI_INSTANCE_BODY
_PROCESS = Kind.PROCESS
_ESP = Kind.EVENT_SUB_PROCESS


# the key of a deferred process start's element ids in its trigger (process_start_deferred)
START_IDS = "startIds"
# the attribute of a user task each correctable string property sets
_TASK_ATTRIBUTES = {"assignee": "assignee", "dueDate": "due_date", "followUpDate": "follow_up_date"}


def _index_add(index: dict[int, set[int]], host: int, key: int) -> None:
    """Notes `key` among what the element instance `host` waits on (its timers, its subscriptions)."""
    keys = index.get(host)
    if keys is None:
        index[host] = {key}
    else:
        keys.add(key)


def _index_discard(index: dict[int, set[int]], host: int, key: int) -> None:
    keys = index.get(host)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[host]


class Appliers:
    def __init__(self, state: EngineState, load_model: ModelLoader) -> None:
        self._state = state
        self._history = state.history
        self._load_model = load_model
        self._instances = state.instances
        self._live = state.instances.live
        self._process_instances = state.instances.process_instances
        self._flow = state.flow
        self._jobs = state.jobs
        self._timers = state.timers
        self._messages = state.messages
        self._signals = state.signals
        self._due = state.due

    # ================================================================== history
    def _record(
        self,
        value_type: str,
        intent: str,
        key: int,
        pi: int | None = None,
        element: ElementInstance | None = None,
    ) -> None:
        history = self._history
        if element is None:
            history.fields += (next(history.positions), value_type, intent, key, self._state.instant, pi, None, None,
                               None)  # fmt: skip
        else:
            history.fields += (
                next(history.positions),
                value_type,
                intent,
                key,
                self._state.instant,
                element.process_instance_key,
                element.element_id,
                element.bpmn_element_type,
                element.flow_scope_key,
            )

    def _record_element(self, intent: str, inst: ElementInstance) -> None:
        history = self._history
        history.fields += (
            next(history.positions),
            _PI,
            intent,
            inst.key,
            self._state.instant,
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )

    def _schedule(self, due: datetime, kind: str, key: int) -> None:
        self._due.schedule(due, kind, key, self._state.is_live)

    # ================================================================== element instances
    def process_activating(
        self,
        key: int,
        definition: ProcessDefinition,
        parent: ElementInstance | None,
        start_message: tuple[int, str] | None,
    ) -> ElementInstance:
        """A new process instance and its root element instance. `parent`: the call activity that created it;
        `start_message`: (message key, correlation key) of the message that started it."""
        now = self._state.instant
        assert now is not None
        pi = ProcessInstance(key, definition.bpmn_process_id, definition.version, definition.key, "ACTIVE", now)
        instances = self._instances
        if parent is not None:
            pi.parent_process_instance_key = parent.process_instance_key
            pi.parent_element_instance_key = parent.key
            instances.called[parent.key] = key
        self._process_instances[key] = pi
        root = ElementInstance(
            key,
            key,
            definition.key,
            definition.bpmn_process_id,
            definition.bpmn_process_id,
            _PROCESS,
            "PROCESS",
            None,
            _ACTIVATING,
            now,
        )
        self._live[key] = root
        pi.element_keys.append(key)
        if start_message is not None:
            message_key, correlation_key = start_message
            message = self._messages.messages.get(message_key)
            if message is not None:
                message.correlated_process_ids.add(definition.bpmn_process_id)
                message.correlated_process_instances.add(key)
            if correlation_key:
                instances.message_start_keys[key] = correlation_key  # one active instance per key and process
        self._record_element(_ACTIVATING._value_, root)
        return root

    def process_start_deferred(
        self, root: ElementInstance, start_ids: list[str], start_event_variables: dict[str, Any] | None
    ) -> None:
        """The process instance's start listeners run before it starts at `start_ids` (with what its start event
        delivered): kept as the root's trigger until it is activated."""
        self._flow.triggers[root.key] = EventTrigger(start_event_variables, {START_IDS: list(start_ids)})

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
        """An element instance of `node` in `scope` (its multi-instance body when `body`). `join`: a joining inclusive
        gateway takes one token from each incoming flow that has one; `clear_joins`: the scope's join tokens are
        dropped (an interrupting event sub-process starts)."""
        inst = ElementInstance(
            key,
            scope.process_instance_key,
            scope.process_definition_key,
            scope.bpmn_process_id,
            node.id,
            _BODY if body else node.kind,
            "MULTI_INSTANCE_BODY" if body else node.bpmn_element_type,
            scope.key,
            _ACTIVATING,
            self._state.instant,  # type: ignore[arg-type]
        )
        self._live[key] = inst
        self._process_instances[inst.process_instance_key].element_keys.append(key)
        if scope.children is None:
            scope.children = {key}
        else:
            scope.children.add(key)
        if loop_counter is not None:
            inst.loop_counter = loop_counter
            found = self._flow.bodies.get(scope.key)
            if found is not None:
                found.next_index = loop_counter
        if trigger is not None:
            self._flow.triggers[key] = trigger
        if join:
            tokens = self._flow.joins[scope.key][node.id]
            for flow_id in list(tokens):
                tokens[flow_id] -= 1
                if tokens[flow_id] <= 0:
                    del tokens[flow_id]
            if not tokens:
                self._drop_join(scope.key, node.id)
        if clear_joins:
            self._flow.joins.pop(scope.key, None)
        self._record_element(_ACTIVATING._value_, inst)
        return inst

    def element_activated(self, inst: ElementInstance, collection: list[Any] | None = None) -> None:
        """`collection`: the input collection a multi-instance body evaluated."""
        inst.state = _ACTIVATED
        if collection is not None:
            self._flow.bodies[inst.key] = MultiInstanceBody(collection)
        elif inst.kind is _ESP or inst.kind is _PROCESS:
            # an event sub-process hands it on to its start event; a process's deferred start is done
            self._flow.triggers.pop(inst.key, None)
        history = self._history
        history.fields += (
            next(history.positions),
            _PI,
            "ELEMENT_ACTIVATED",
            inst.key,
            self._state.instant,
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )

    def element_completing(
        self, inst: ElementInstance, trigger: EventTrigger | None = None, clear_scope_joins: bool = False
    ) -> None:
        """`trigger`: what an event delivered, applied when it completes; `clear_scope_joins`: a terminate end event
        drops its scope's join tokens."""
        inst.state = _COMPLETING
        if trigger is not None:
            self._flow.triggers[inst.key] = trigger
        if clear_scope_joins and inst.flow_scope_key is not None:
            self._flow.joins.pop(inst.flow_scope_key, None)
        history = self._history
        history.fields += (
            next(history.positions),
            _PI,
            "ELEMENT_COMPLETING",
            inst.key,
            self._state.instant,
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )

    def element_completed(self, inst: ElementInstance) -> None:
        inst.ended_at = self._state.instant
        inst.state = _COMPLETED
        self._element_ended(inst)
        history = self._history
        history.fields += (
            next(history.positions),
            _PI,
            "ELEMENT_COMPLETED",
            inst.key,
            inst.ended_at,
            inst.process_instance_key,
            inst.element_id,
            inst.bpmn_element_type,
            inst.flow_scope_key,
        )
        if inst.kind is _PROCESS:
            self._process_ended(inst, "COMPLETED")

    def element_terminating(self, inst: ElementInstance, interrupted: bool = False) -> None:
        inst.state = _TERMINATING
        if interrupted:
            inst.interrupted = True
        self._record_element(_TERMINATING._value_, inst)

    def termination_awaited(self, scope: ElementInstance, continuation: list[Any]) -> None:
        """`scope` goes on with `continuation` once none of its children is terminating any more."""
        self._flow.awaiting.setdefault(scope.key, []).append(continuation)

    def termination_continued(self, scope: ElementInstance) -> None:
        """The children `scope` terminated have ended: what it awaited is taken (the behaviour carries it out)."""
        self._flow.awaiting.pop(scope.key, None)

    def element_terminated(self, inst: ElementInstance) -> None:
        inst.ended_at = self._state.instant
        inst.state = _TERMINATED
        self._element_ended(inst)
        self._record_element(_TERMINATED._value_, inst)
        if inst.kind is _PROCESS:
            self._process_ended(inst, "TERMINATED")

    def _element_ended(self, inst: ElementInstance) -> None:
        key = inst.key
        flow = self._flow
        if flow.triggers:
            flow.triggers.pop(key, None)
        if inst.kind is _BODY:
            flow.bodies.pop(key, None)
        if flow.awaiting:
            flow.awaiting.pop(key, None)
        if flow.joins:
            flow.joins.pop(key, None)
        if flow.ad_hoc_fulfilled:
            flow.ad_hoc_fulfilled.discard(key)
        scope_key = inst.flow_scope_key
        if scope_key is not None:
            scope = self._live.get(scope_key)
            if scope is not None:
                if scope.children:
                    scope.children.discard(key)
                if inst.loop_counter is not None:
                    body = flow.bodies.get(scope_key)
                    if body is not None:
                        if inst.state is _COMPLETED:
                            body.completed += 1
                        else:
                            body.terminated += 1

    def _process_ended(self, root: ElementInstance, state: str) -> None:
        """The process instance has ended: its element instances move from the live state to the archive, as plain
        tuples (the live state stays as small as what runs; finished instances leave no objects behind for the
        cyclic garbage collector to traverse again and again)."""
        instances = self._instances
        pi = instances.process_instances[root.key]
        pi.state = state
        pi.ended_at = self._state.instant
        pi.final_variables = dict(root.variables)
        instances.message_start_keys.pop(root.key, None)
        parent = pi.parent_element_instance_key
        if parent is not None and instances.called.get(parent) == root.key:
            del instances.called[parent]
        live = self._live
        archive = instances.archive
        for key in pi.element_keys:
            inst = live.get(key)
            if inst is not None and (inst.state is _COMPLETED or inst.state is _TERMINATED):
                del live[key]
                archive[key] = FinishedElement.of(inst)
        pi.element_keys.clear()

    def sequence_flow_taken(
        self, key: int, scope: ElementInstance, flow_id: str, target: FlowNode, join: int = 0
    ) -> None:
        """`join`: 1 – a token for a joining gateway (`target`, parallel or inclusive); 2 – that token completes a
        parallel join, which takes one token from each incoming flow."""
        if join:
            joins = self._flow.joins.get(scope.key)
            if joins is None:
                joins = self._flow.joins[scope.key] = {}
            tokens = joins.get(target.id)
            if tokens is None:
                tokens = joins[target.id] = {}
            tokens[flow_id] = tokens.get(flow_id, 0) + 1
            if join == 2:
                for incoming in target.incoming:
                    tokens[incoming] -= 1
                    if tokens[incoming] == 0:
                        del tokens[incoming]
                if not tokens:
                    self._drop_join(scope.key, target.id)
        history = self._history
        history.fields += (
            next(history.positions),
            _PI,
            "SEQUENCE_FLOW_TAKEN",
            key,
            self._state.instant,
            scope.process_instance_key,
            flow_id,  # the flow's id where an element's would be: the REST API answers the flows an instance took
            "SEQUENCE_FLOW",
            scope.key,
        )

    def _drop_join(self, scope_key: int, gateway_id: str) -> None:
        joins = self._flow.joins.get(scope_key)
        if joins is not None:
            joins.pop(gateway_id, None)
            if not joins:
                del self._flow.joins[scope_key]

    # ============================================================ process instances: tags, modifications, migrations
    def process_instance_tagged(self, key: int, tags: tuple[str, ...]) -> None:
        self._process_instances[key].tags = tags

    def process_instance_modified(self, root: ElementInstance) -> None:
        """A modification begins (its activations and terminations are events of their own)."""
        self._record("PROCESS_INSTANCE_MODIFICATION", "MODIFIED", root.key, element=root)

    def process_instance_migrated(
        self, root: ElementInstance, target: ProcessDefinition, plan: list[tuple[ElementInstance, str]]
    ) -> None:
        """The instance runs on `target` from now on: each element instance of `plan` becomes one of the target's
        element (its job, user task and incident with it)."""
        for inst in [root, *(i for i, _ in plan)]:
            inst.process_definition_key = target.key
            inst.bpmn_process_id = target.bpmn_process_id
        root.element_id = target.bpmn_process_id
        state = self._state
        for inst, target_id in plan:
            inst.element_id = target_id
            job_key = state.jobs.by_element.get(inst.key)
            task_key = state.user_tasks.by_element.get(inst.key)
            for waiting in (
                state.jobs.jobs.get(job_key) if job_key is not None else None,
                state.user_tasks.tasks.get(task_key) if task_key is not None else None,
            ):
                if waiting is not None:
                    waiting.process_definition_key = target.key
                    waiting.bpmn_process_id = target.bpmn_process_id
                    waiting.element_id = target_id
                    waiting.process_definition_version = target.version
            incident = state.incidents.incidents.get(inst.incident_key) if inst.incident_key is not None else None
            if incident is not None:
                incident.process_definition_key = target.key
                incident.bpmn_process_id = target.bpmn_process_id
                incident.element_id = target_id
        pi = self._process_instances[root.key]
        pi.process_definition_key = target.key
        pi.bpmn_process_id = target.bpmn_process_id
        pi.version = target.version
        self._record("PROCESS_INSTANCE_MIGRATION", "MIGRATED", root.key, element=root)

    # ================================================================== variables
    def variable_created(self, scope: ElementInstance, name: str, value: Any, variable_key: int) -> None:
        scope.variables[name] = value
        instances = self._instances  # as Instances.note_variable_key, inline
        names = instances.variable_keys.get(scope.key)
        if names is None:
            instances.variable_keys[scope.key] = {name: variable_key}
        else:
            names[name] = variable_key
        instances.variable_scopes[variable_key] = scope.key
        instances.variable_names[variable_key] = name
        self._record("VARIABLE", "CREATED", scope.key, element=scope)

    def variable_updated(self, scope: ElementInstance, name: str, value: Any) -> None:
        scope.variables[name] = value
        self._record("VARIABLE", "UPDATED", scope.key, element=scope)

    def variable_document_updated(self, key: int, inst: ElementInstance) -> None:
        self._record("VARIABLE_DOCUMENT", "UPDATED", key, element=inst)

    # ================================================================== deployments
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
        """A new version of a process; `model`: its parsed model, when the deployment has it at hand."""
        if model is None:
            model = self._load_model(resource_name, resource, bpmn_process_id)
        now = self._state.instant
        assert now is not None
        definition = ProcessDefinition(
            key, bpmn_process_id, version, resource_name, checksum, model, deployment_key, now, resource
        )
        deployments = self._state.deployments
        deployments.definitions[key] = definition
        deployments.latest_processes[bpmn_process_id] = key
        # a new version replaces the message start events of the previous one
        starts = [s for s in deployments.message_starts if s.bpmn_process_id != bpmn_process_id]
        for start_id in model.message_starts:
            node = model.elements[start_id]
            assert node.event is not None and node.event.message is not None
            starts.append(MessageStartSubscription(key, bpmn_process_id, node.event.message.name, start_id))
        deployments.message_starts[:] = starts
        self._record("PROCESS", "CREATED", key)
        return definition

    def form_created(
        self, key: int, form_id: str, version: int, resource_name: str, checksum: str, schema: str, deployment_key: int
    ) -> None:
        deployments = self._state.deployments
        deployments.forms[key] = Form(key, form_id, version, resource_name, checksum, schema, deployment_key)
        deployments.latest_forms[form_id] = key
        self._record("FORM", "CREATED", key)

    def deployment_created(self, key: int) -> None:
        self._record("DEPLOYMENT", "CREATED", key)

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
        """A new version of a decision requirements graph (the latest now); `graph`: the parsed one, when the
        deployment has it at hand (else the resource is parsed again, unchecked)."""
        requirements = DeployedDecisionRequirements(
            key,
            requirements_id,
            name,
            version,
            resource_name,
            checksum,
            resource,
            deployment_key,
            graph if graph is not None else load_graph(resource_name, resource),
        )
        decisions = self._state.decisions
        decisions.requirements[key] = requirements
        decisions.latest_requirements[requirements_id] = key
        self._record("DECISION_REQUIREMENTS", "CREATED", key)
        return requirements

    def decision_created(self, decision: DeployedDecision) -> None:
        """A new version of a decision, in the graph version `decision.requirements_key` (the latest now)."""
        decisions = self._state.decisions
        decisions.decisions[decision.key] = decision
        decisions.latest_decisions[decision.decision_id] = decision.key
        decisions.by_requirements.setdefault(decision.requirements_key, []).append(decision.key)
        self._record("DECISION", "CREATED", decision.key)

    def decision_evaluated(self, key: int, failed: bool, element: ElementInstance | None = None) -> None:
        """A decision evaluated on its own (EvaluateDecision) or by the business rule task `element`: only its record
        (linked to the element's process instance); the evaluation changes no state."""
        self._record("DECISION_EVALUATION", "FAILED" if failed else "EVALUATED", key, element=element)

    def decision_instances_recorded(
        self,
        key: int,
        evaluated: list[dict[str, Any]],
        failure: str | None,
        element: ElementInstance | None = None,
    ) -> None:
        """The decision instances of the evaluation `key` (engine/decisions/instances.py), kept for searches."""
        instant = self._state.instant
        assert instant is not None
        instances = self._state.decisions.instances
        for row in instance_rows(key, evaluated, failure, instant, element):
            instances[row["decisionEvaluationInstanceKey"]] = row

    def process_deleted(self, key: int) -> None:
        """The definition is gone; the version before it, if any, is the latest again (its message start events
        wait once more)."""
        deployments = self._state.deployments
        definition = deployments.definitions.pop(key)
        pid = definition.bpmn_process_id
        if deployments.latest_processes.get(pid) == key:
            versions = [d for d in deployments.definitions.values() if d.bpmn_process_id == pid]
            starts = [s for s in deployments.message_starts if s.bpmn_process_id != pid]
            if versions:
                previous = max(versions, key=lambda d: d.version)
                deployments.latest_processes[pid] = previous.key
                model = previous.model
                for start_id in model.message_starts:
                    node = model.elements[start_id]
                    assert node.event is not None and node.event.message is not None
                    starts.append(MessageStartSubscription(previous.key, pid, node.event.message.name, start_id))
            else:
                del deployments.latest_processes[pid]
            deployments.message_starts[:] = starts
        self._record("PROCESS", "DELETED", key)

    def form_deleted(self, key: int) -> None:
        deployments = self._state.deployments
        form = deployments.forms.pop(key)
        if deployments.latest_forms.get(form.form_id) == key:
            versions = [f for f in deployments.forms.values() if f.form_id == form.form_id]
            if versions:
                deployments.latest_forms[form.form_id] = max(versions, key=lambda f: f.version).key
            else:
                del deployments.latest_forms[form.form_id]
        self._record("FORM", "DELETED", key)

    # ================================================================== jobs
    def job_created(self, job: Job, inst: ElementInstance) -> None:
        jobs = self._jobs
        jobs.jobs[job.key] = job
        jobs.by_element[inst.key] = job.key
        of_type = jobs.by_type.get(job.type)
        if of_type is None:
            jobs.by_type[job.type] = {job.key: job}
        else:
            of_type[job.key] = job
        self._record("JOB", "CREATED", job.key, element=inst)

    def _drop_job(self, job: Job) -> None:
        jobs = self._jobs
        jobs.jobs.pop(job.key, None)
        if jobs.by_element.get(job.element_instance_key) == job.key:
            del jobs.by_element[job.element_instance_key]
        of_type = jobs.by_type.get(job.type)
        if of_type is not None:
            of_type.pop(job.key, None)
            if not of_type:
                del jobs.by_type[job.type]

    def job_activated(self, job: Job, worker: str, deadline: datetime) -> None:
        job.state = JobState.ACTIVATED
        job.worker = worker
        job.deadline = deadline
        self._schedule(deadline, due_kinds.JOB_DEADLINE, job.key)
        self._record("JOB", "ACTIVATED", job.key, element=self._live[job.element_instance_key])

    def job_completed(self, job: Job, variables: dict[str, Any]) -> None:
        """The job is gone; its element completes with the job's variables."""
        job.state = JobState.COMPLETED
        self._drop_job(job)
        self._flow.triggers[job.element_instance_key] = EventTrigger(variables)
        self._record("JOB", "COMPLETED", job.key, pi=job.process_instance_key)

    def listener_job_completed(self, job: Job) -> None:
        """A listener job is gone; what follows (its variables, the next listener, the element's next step) the
        behaviour writes as events of their own."""
        job.state = JobState.COMPLETED
        self._drop_job(job)
        self._record("JOB", "COMPLETED", job.key, pi=job.process_instance_key)

    # ================================================================== ad-hoc sub-processes
    def ad_hoc_activated(self, key: int, ad_hoc: ElementInstance, element_ids: list[str]) -> None:
        """Elements were activated in the ad-hoc sub-process (AD_HOC_SUB_PROCESS_INSTRUCTION ACTIVATED): the record;
        the inner instances and their elements are events of their own."""
        self._record("AD_HOC_SUB_PROCESS_INSTRUCTION", "ACTIVATED", key, element=ad_hoc)

    def ad_hoc_completed(self, key: int, ad_hoc: ElementInstance) -> None:
        """A job worker declared the ad-hoc sub-process's completion condition fulfilled."""
        self._flow.ad_hoc_fulfilled.add(ad_hoc.key)
        self._record("AD_HOC_SUB_PROCESS_INSTRUCTION", "COMPLETED", key, element=ad_hoc)

    def job_failed(self, job: Job, retries: int, error_message: str, backoff_until: datetime | None) -> None:
        job.retries = retries
        job.error_message = error_message
        job.worker = ""
        job.deadline = None
        job.backoff_until = backoff_until  # a job failed again while backing off follows the new back-off
        if retries > 0:
            job.state = JobState.ACTIVATABLE
            if backoff_until is not None:
                self._schedule(backoff_until, due_kinds.JOB_BACKOFF, job.key)
        else:
            job.state = JobState.FAILED
        self._record("JOB", "FAILED", job.key, element=self._live[job.element_instance_key])

    def job_error_thrown(self, job: Job, code: str, message: str) -> None:
        job.state = JobState.ERROR_THROWN
        job.error_code = code
        job.error_message = message
        self._record("JOB", "ERROR_THROWN", job.key, element=self._live[job.element_instance_key])

    def job_retries_updated(self, job: Job, retries: int) -> None:
        job.retries = retries
        self._record("JOB", "RETRIES_UPDATED", job.key, pi=job.process_instance_key)

    def job_timeout_updated(self, job: Job, deadline: datetime) -> None:
        job.deadline = deadline
        self._schedule(deadline, due_kinds.JOB_DEADLINE, job.key)
        self._record("JOB", "TIMEOUT_UPDATED", job.key, pi=job.process_instance_key)

    def job_timed_out(self, job: Job) -> None:
        job.state = JobState.ACTIVATABLE
        job.worker = ""
        job.deadline = None
        self._record("JOB", "TIMED_OUT", job.key, pi=job.process_instance_key)

    def job_recurred(self, job: Job) -> None:
        job.backoff_until = None
        self._record("JOB", "RECURRED_AFTER_BACKOFF", job.key, pi=job.process_instance_key)

    def job_canceled(self, job: Job, inst: ElementInstance) -> None:
        job.state = JobState.CANCELED
        self._drop_job(job)
        self._record("JOB", "CANCELED", job.key, element=inst)

    def job_yielded(self, job: Job) -> None:
        job.state = JobState.ACTIVATABLE
        job.worker = ""
        job.deadline = None
        self._record("JOB", "YIELDED", job.key, pi=job.process_instance_key)

    # ================================================================== user tasks
    def user_task_created(self, task: UserTask, inst: ElementInstance) -> None:
        """The task CREATED, with the creation date it carries (the instant it was CREATING; a replayed version-1
        event gives the instant it was CREATED, as that release dated it)."""
        tasks = self._state.user_tasks
        task.state = UserTaskState.CREATED
        tasks.tasks[task.key] = task
        tasks.by_element[inst.key] = task.key
        self._record("USER_TASK", "CREATED", task.key, element=inst)

    def user_task_creating(self, task: UserTask, inst: ElementInstance) -> None:
        """The task exists in CREATING while its creating task listeners run."""
        tasks = self._state.user_tasks
        task.state = UserTaskState.CREATING
        tasks.tasks[task.key] = task
        tasks.by_element[inst.key] = task.key
        self._record("USER_TASK", "CREATING", task.key, element=inst)

    def user_task_transition(self, task: UserTask, state: UserTaskState, pending: dict[str, Any]) -> None:
        """An assignment, update or completion waits for its task listeners; `pending`: what the command asked."""
        task.state = state
        task.pending = pending
        self._record("USER_TASK", state.value, task.key, pi=task.process_instance_key)

    def user_task_corrected(self, task: UserTask, corrections: dict[str, Any]) -> None:
        """A task listener's corrections (assignee, dueDate, followUpDate – "" clears them –, candidateGroups,
        candidateUsers, priority); a transition's pending values are corrected too."""
        for name, value in corrections.items():
            if name == "candidateGroups":
                task.candidate_groups = list(value)
            elif name == "candidateUsers":
                task.candidate_users = list(value)
            elif name == "priority":
                task.priority = value
            else:
                setattr(task, _TASK_ATTRIBUTES[name], value or None)
        pending = task.pending
        if pending is not None:
            if "assignee" in corrections and "assignee" in pending:
                pending["assignee"] = corrections["assignee"] or None
            if "changes" in pending:
                pending["changes"] = {**pending["changes"], **corrections}
        self._record("USER_TASK", "CORRECTED", task.key, pi=task.process_instance_key)

    def user_task_denied(self, task: UserTask, intent: str) -> None:
        """A task listener denied the transition: the task is CREATED again, as it was."""
        task.state = UserTaskState.CREATED
        task.pending = None
        self._record("USER_TASK", intent, task.key, pi=task.process_instance_key)

    def user_task_completed(self, task: UserTask, variables: dict[str, Any]) -> None:
        task.state = UserTaskState.COMPLETED
        task.pending = None
        task.completion_date = self._state.instant
        self._state.user_tasks.by_element.pop(task.element_instance_key, None)
        self._flow.triggers[task.element_instance_key] = EventTrigger(variables)
        self._record("USER_TASK", "COMPLETED", task.key, element=self._live[task.element_instance_key])

    def user_task_canceled(self, task: UserTask, inst: ElementInstance) -> None:
        task.state = UserTaskState.CANCELED
        task.pending = None
        task.completion_date = self._state.instant
        self._state.user_tasks.by_element.pop(task.element_instance_key, None)
        self._record("USER_TASK", "CANCELED", task.key, element=inst)

    def user_task_assigned(self, task: UserTask, assignee: str | None) -> None:
        task.assignee = assignee or None
        task.state = UserTaskState.CREATED
        task.pending = None
        self._record("USER_TASK", "ASSIGNED", task.key, pi=task.process_instance_key)

    def user_task_updated(self, task: UserTask, changes: dict[str, Any]) -> None:
        """`changes`: dueDate, followUpDate ("" clears it), candidateGroups, candidateUsers, priority."""
        if changes.get("dueDate") is not None:
            task.due_date = changes["dueDate"] or None
        if changes.get("followUpDate") is not None:
            task.follow_up_date = changes["followUpDate"] or None
        if changes.get("candidateGroups") is not None:
            task.candidate_groups = list(changes["candidateGroups"])
        if changes.get("candidateUsers") is not None:
            task.candidate_users = list(changes["candidateUsers"])
        if changes.get("priority") is not None:
            task.priority = changes["priority"]
        task.state = UserTaskState.CREATED
        task.pending = None
        self._record("USER_TASK", "UPDATED", task.key, pi=task.process_instance_key)

    # ================================================================== timers
    def timer_created(self, timer: Timer) -> None:
        timers = self._timers
        timers.timers[timer.key] = timer
        if timer.element_instance_key is not None:
            _index_add(timers.by_element, timer.element_instance_key, timer.key)
        self._schedule(timer.due, due_kinds.TIMER, timer.key)
        self._record("TIMER", "CREATED", timer.key, pi=timer.process_instance_key)

    def _drop_timer(self, timer: Timer) -> None:
        timers = self._timers
        timers.timers.pop(timer.key, None)
        if timer.element_instance_key is not None:
            _index_discard(timers.by_element, timer.element_instance_key, timer.key)

    def timer_canceled(self, timer: Timer) -> None:
        self._drop_timer(timer)
        self._record("TIMER", "CANCELED", timer.key, pi=timer.process_instance_key)

    def timer_triggered(self, timer: Timer, next_due: datetime | None, repetitions: int | None) -> None:
        """`next_due`: when a cycle fires next (with `repetitions` left); None: the timer is done."""
        self._record("TIMER", "TRIGGERED", timer.key, pi=timer.process_instance_key)
        if next_due is not None:
            timer.due = next_due
            timer.repetitions = repetitions
            self._schedule(next_due, due_kinds.TIMER, timer.key)
        else:
            self._drop_timer(timer)

    # ================================================================== messages
    def subscription_created(self, sub: MessageSubscription, host: ElementInstance) -> None:
        messages = self._messages
        messages.subscriptions[sub.key] = sub
        _index_add(messages.by_element, host.key, sub.key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CREATED", sub.key, element=host)

    def subscription_deleted(self, sub: MessageSubscription) -> None:
        messages = self._messages
        messages.subscriptions.pop(sub.key, None)
        _index_discard(messages.by_element, sub.element_instance_key, sub.key)
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "DELETED", sub.key, pi=sub.process_instance_key)

    def subscription_correlated(self, sub: MessageSubscription, message: Message, host: ElementInstance) -> None:
        message.correlated_process_instances.add(sub.process_instance_key)
        message.correlated_process_ids.add(host.bpmn_process_id)  # once per process, as in Zeebe
        self._record("PROCESS_MESSAGE_SUBSCRIPTION", "CORRELATED", sub.key, element=host)

    def message_published(self, message: Message, buffered: bool) -> None:
        """The message is held until it expires (at once, unless `buffered`: a TTL of zero)."""
        self._messages.messages[message.key] = message
        if buffered:
            self._schedule(message.expires_at, due_kinds.MESSAGE_EXPIRY, message.key)
        self._record("MESSAGE", "PUBLISHED", message.key)

    def message_expired(self, message: Message) -> None:
        self._messages.messages.pop(message.key, None)
        self._record("MESSAGE", "EXPIRED", message.key)

    def message_correlated(self, message: Message) -> None:
        """A message correlated at once (CorrelateMessage): held while the command correlates it, never buffered (it
        expires at the instant it was published)."""
        self._messages.messages[message.key] = message
        self._record("MESSAGE_CORRELATION", "CORRELATED", message.key)

    def message_correlation_ended(self, message: Message) -> None:
        self._messages.messages.pop(message.key, None)

    # ================================================================== signals
    def signal_broadcasted(self, key: int) -> None:
        self._record("SIGNAL", "BROADCASTED", key)

    def signal_subscription_created(self, sub: SignalSubscription) -> None:
        signals = self._signals
        signals.subscriptions[sub.key] = sub
        if sub.element_instance_key is not None:
            _index_add(signals.by_element, sub.element_instance_key, sub.key)
        self._record("SIGNAL_SUBSCRIPTION", "CREATED", sub.key, pi=sub.process_instance_key)

    def signal_subscription_deleted(self, sub: SignalSubscription) -> None:
        signals = self._signals
        signals.subscriptions.pop(sub.key, None)
        if sub.element_instance_key is not None:
            _index_discard(signals.by_element, sub.element_instance_key, sub.key)
        self._record("SIGNAL_SUBSCRIPTION", "DELETED", sub.key, pi=sub.process_instance_key)

    def signal_subscription_triggered(self, key: int, host: ElementInstance) -> None:
        self._record("SIGNAL_SUBSCRIPTION", "TRIGGERED", key, element=host)

    # ================================================================== incidents
    def incident_created(self, incident: Incident, inst: ElementInstance) -> None:
        self._state.incidents.incidents[incident.key] = incident
        inst.incident_key = incident.key
        if incident.error_type == "MESSAGE_SIZE_EXCEEDED" and incident.job_key is not None:
            job = self._jobs.jobs.get(incident.job_key)
            if job is not None:
                job.state = JobState.FAILED  # not activatable until the incident is resolved
        self._record("INCIDENT", "CREATED", incident.key, element=inst)

    def incident_resolved(self, incident: Incident, inst: ElementInstance, reactivate_job: bool) -> None:
        """`reactivate_job`: the incident's job becomes activatable again (resolved by a client)."""
        incident.state = IncidentState.RESOLVED
        incident.resolved_at = self._state.instant
        inst.incident_key = None
        if reactivate_job and incident.job_key is not None:
            job = self._jobs.jobs.get(incident.job_key)
            if job is not None:
                job.state = JobState.ACTIVATABLE
                job.backoff_until = None
        self._record("INCIDENT", "RESOLVED", incident.key, element=inst)

    # ================================================================== escalations
    def escalation(self, key: int, escalated: bool, thrower: ElementInstance) -> None:
        self._record("ESCALATION", "ESCALATED" if escalated else "NOT_ESCALATED", key, element=thrower)

    # ================================================================== compensation
    def compensation_subscription_created(self, sub: CompensationSubscription) -> None:
        self._state.compensations.add(sub)
        self._record("COMPENSATION_SUBSCRIPTION", "CREATED", sub.key, pi=sub.process_instance_key)

    def compensation_subscription_triggered(
        self, sub: CompensationSubscription, throw: ElementInstance, handler_instance_key: int | None
    ) -> None:
        """A compensation throw event (`throw`) triggered it; `handler_instance_key`: the handler activated for it."""
        sub.throw_event_id = throw.element_id
        sub.throw_event_instance_key = throw.key
        sub.handler_instance_key = handler_instance_key
        self._state.compensations.note_triggered(sub)
        self._record("COMPENSATION_SUBSCRIPTION", "TRIGGERED", sub.key, pi=sub.process_instance_key)

    def compensation_subscription_completed(self, sub: CompensationSubscription) -> None:
        self._state.compensations.remove(sub)
        self._record("COMPENSATION_SUBSCRIPTION", "COMPLETED", sub.key, pi=sub.process_instance_key)

    def compensation_subscription_deleted(self, sub: CompensationSubscription) -> None:
        self._state.compensations.remove(sub)
        self._record("COMPENSATION_SUBSCRIPTION", "DELETED", sub.key, pi=sub.process_instance_key)
