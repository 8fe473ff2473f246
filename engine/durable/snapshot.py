"""Snapshots: the engine's state as an explicit, versioned JSON document (SNAPSHOT_FORMAT), and back.

Every store of engine/state is written field by field – no pickle: a snapshot written by this release is read by
the next one, and when a store's shape changes the format number goes up and migrations.py gains a step from the old
document to the new. Datetimes, bytes: codec.py. Process models and decision graphs are not written: each
definition's and each graph's resource is, and it is parsed again on load (without evaluating FEEL: the deployment
was checked when it was made). Indexes (jobs by type, subscriptions by element, the latest versions) are rebuilt.
The history's sealed chunks are stored apart, each once (`encode_chunk`), and so is what only grows with finished
work (engine/durable/archive.py): a document written with `sealed` follows that many archive chunks and holds only
the rest; one written without (an export) holds everything, as format 2 did. A field added later (the tags of a
process instance, the deployed decisions) is optional when read, so a snapshot written before it still loads.
"""

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from engine.dmn import load_graph
from engine.durable import migrations
from engine.durable.archive import (
    ArchiveMark,
    decode_archive,
    encode_decision_instance,
    encode_finished,
    encode_process_instance,
    live_process_instances,
    order_process_instances,
)
from engine.events.codec import (
    decode_bytes,
    decode_instant,
    decode_optional,
    dumps,
    encode_bytes,
    encode_instant,
    encode_optional,
)
from engine.model import Kind, ProcessModel
from engine.state.compensation import CompensationSubscription
from engine.state.engine_state import EngineState
from engine.state.history import RECORD_WIDTH
from engine.state.values import (
    BPMN_ELEMENT,
    DeployedDecision,
    DeployedDecisionRequirements,
    ElementInstance,
    ElementState,
    EventTrigger,
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

SNAPSHOT_FORMAT = 3

ModelLoader = Callable[[str, bytes, str], ProcessModel]
Doc = dict[str, Any]


class SnapshotError(Exception):
    """A snapshot document this release cannot read."""


# ====================================================================== encoding
def encode_state(state: EngineState, sealed: ArchiveMark | None = None) -> Doc:
    """The whole state (but the sealed history chunks) as a JSON-compatible document. With `sealed`, what the
    archive chunks up to that mark hold (engine/durable/archive.py) is left out: the document follows them."""
    deployments = state.deployments
    instances = state.instances
    flow = state.flow
    if sealed is None:
        process_instances: Iterable[ProcessInstance] = instances.process_instances.values()
        archived: Doc = {
            "archive": [encode_finished(entry) for entry in instances.archive.values()],
            "variable_keys": [[scope, name, key] for scope, name, key in instances.variable_key_entries()],
            "decision_instances": [encode_decision_instance(row) for row in state.decisions.instances.values()],
        }
    else:
        process_instances = live_process_instances(state, sealed)
        archived = {"archive": [], "variable_keys": [], "decision_instances": []}
    return {
        "format": SNAPSHOT_FORMAT,
        # the archive chunks this document follows (0: it holds everything itself)
        "archive_chunks": sealed.chunks if sealed is not None else 0,
        "keys": state.keys.last,
        "history": {"next_position": state.history.next_position, "open": _encode_fields(state.history.fields)},
        "due": {
            "next_seq": state.due.next_seq,
            "entries": [
                [encode_instant(d), seq, kind, key] for d, seq, kind, key in state.due.live_entries(state.is_live)
            ],
        },
        "processes": [
            [
                d.key,
                d.bpmn_process_id,
                d.version,
                d.resource_name,
                d.checksum,
                d.deployment_key,
                encode_instant(d.deployed_at),
                encode_bytes(d.resource),
            ]
            for d in deployments.definitions.values()
        ],
        "forms": [
            [f.key, f.form_id, f.version, f.resource_name, f.checksum, f.schema, f.deployment_key]
            for f in deployments.forms.values()
        ],
        "message_starts": [
            [s.process_definition_key, s.bpmn_process_id, s.message_name, s.start_event_id]
            for s in deployments.message_starts
        ],
        # decision requirements graphs, then decisions, each in the order they were deployed; absent in snapshots
        # of releases before DMN (none deployed)
        "decision_requirements": [_encode_requirements(r) for r in state.decisions.requirements.values()],
        "decisions": [
            [d.key, d.decision_id, d.name, d.version, d.requirements_key, d.requirements_id, d.deployment_key]
            for d in state.decisions.decisions.values()
        ],
        # the decision instances, in the order evaluated (engine/decisions/instances.py rows); absent in snapshots
        # of releases before /v2/decision-instances (none kept); "archive" holds the element instances of finished
        # process instances, "variable_keys" every variable's key – these three only when not in archive chunks
        **archived,
        "process_instances": [encode_process_instance(pi) for pi in process_instances],
        "elements": [_encode_element(inst) for inst in instances.live.values()],
        "called": [[k, v] for k, v in instances.called.items()],
        "message_start_keys": [[k, v] for k, v in instances.message_start_keys.items()],
        "jobs": [_encode_job(job) for job in state.jobs.jobs.values()],
        "user_tasks": [_encode_user_task(task) for task in state.user_tasks.tasks.values()],
        "timers": [
            [
                t.key,
                t.process_definition_key,
                t.process_instance_key,
                t.element_instance_key,
                t.target_element_id,
                encode_instant(t.due),
                t.repetitions,
                t.cycle,
            ]
            for t in state.timers.timers.values()
        ],
        "messages": [
            [
                m.key,
                m.name,
                m.correlation_key,
                m.variables,
                m.message_id,
                encode_instant(m.published_at),
                encode_instant(m.expires_at),
                sorted(m.correlated_process_instances),
                sorted(m.correlated_process_ids),
            ]
            for m in state.messages.messages.values()
        ],
        "subscriptions": [
            [
                s.key,
                s.message_name,
                s.correlation_key,
                s.process_instance_key,
                s.element_instance_key,
                s.target_element_id,
                s.interrupting,
                encode_instant(s.opened_at),
            ]
            for s in state.messages.subscriptions.values()
        ],
        "signal_subscriptions": [
            [
                s.key,
                s.signal_name,
                s.process_definition_key,
                s.bpmn_process_id,
                s.process_instance_key,
                s.element_instance_key,
                s.target_element_id,
                s.interrupting,
            ]
            for s in state.signals.subscriptions.values()
        ],
        # optional when read (compensation came later): [key, process instance, definition, activity id, activity
        # instance, activity scope, handler id, throw event id, throw event instance, handler instance]
        "compensation_subscriptions": [
            [
                c.key,
                c.process_instance_key,
                c.process_definition_key,
                c.activity_id,
                c.activity_instance_key,
                c.activity_scope_key,
                c.handler_id,
                c.throw_event_id,
                c.throw_event_instance_key,
                c.handler_instance_key,
            ]
            for c in state.compensations.subscriptions.values()
        ],
        "incidents": [
            [
                i.key,
                i.error_type,
                i.error_message,
                i.process_instance_key,
                i.process_definition_key,
                i.bpmn_process_id,
                i.element_instance_key,
                i.element_id,
                i.job_key,
                i.state.value,
                encode_instant(i.created_at),
                i.phase,
                encode_optional(i.resolved_at),
            ]
            for i in state.incidents.incidents.values()
        ],
        "joins": [[scope, gateways] for scope, gateways in flow.joins.items()],
        "bodies": [[key, b.collection, b.next_index, b.completed, b.terminated] for key, b in flow.bodies.items()],
        "triggers": [[key, t.variables, t.locals, t.occurred] for key, t in flow.triggers.items()],
        # optional (absent in snapshots written before canceling task listeners)
        "awaiting": [[key, continuations] for key, continuations in flow.awaiting.items()],
        # optional (absent in snapshots written before ad-hoc sub-processes, and when there are none)
        **({"ad_hoc_fulfilled": sorted(flow.ad_hoc_fulfilled)} if flow.ad_hoc_fulfilled else {}),
    }


def _encode_requirements(r: DeployedDecisionRequirements) -> list[Any]:
    return [r.key, r.requirements_id, r.name, r.version, r.resource_name, r.checksum, encode_bytes(r.resource),
            r.deployment_key]  # fmt: skip


def _encode_element(inst: ElementInstance) -> list[Any]:
    return [inst.key, inst.process_instance_key, inst.process_definition_key, inst.bpmn_process_id, inst.element_id,
            inst.kind.value, inst.bpmn_element_type, inst.flow_scope_key, inst.state.value,
            encode_instant(inst.started_at), encode_optional(inst.ended_at), inst.variables,
            sorted(inst.children) if inst.children is not None else None, inst.loop_counter, inst.incident_key,
            inst.interrupted]  # fmt: skip


def _encode_job(j: Job) -> list[Any]:
    return [j.key, j.type, j.process_instance_key, j.element_instance_key, j.element_id, j.bpmn_process_id,
            j.process_definition_key, j.process_definition_version, j.custom_headers, j.retries, j.state.value,
            encode_instant(j.created_at), j.worker, encode_optional(j.deadline), encode_optional(j.backoff_until),
            j.error_message, j.error_code] + (
        [j.kind, j.listener_event_type, j.listener_index] if j.kind != BPMN_ELEMENT else []
    )  # fmt: skip


def _encode_user_task(t: UserTask) -> list[Any]:
    return [t.key, t.element_instance_key, t.process_instance_key, t.process_definition_key,
            t.process_definition_version, t.bpmn_process_id, t.element_id, t.name, t.state.value,
            encode_instant(t.creation_date), t.assignee, t.candidate_groups, t.candidate_users, t.due_date,
            t.follow_up_date, t.form_key, t.external_form_reference, t.priority, t.custom_headers,
            encode_optional(t.completion_date)] + ([t.pending] if t.pending is not None else [])  # fmt: skip


def _encode_fields(fields: list[Any] | tuple[Any, ...]) -> list[Any]:
    """History fields: the timestamp of each record (its 5th field) encoded."""
    out = list(fields)
    out[4::RECORD_WIDTH] = map(encode_instant, out[4::RECORD_WIDTH])
    return out


def encode_chunk(chunk: tuple[Any, ...]) -> list[Any]:
    return _encode_fields(chunk)


def chunk_bytes(chunk: tuple[Any, ...]) -> bytes:
    """A sealed history chunk as the JSON the snapshot stores. Its fields are integers, strings, None and encoded
    instants – never a float – so orjson writes the same bytes as the standard encoder (compact, UTF-8), several
    times faster; what orjson cannot write (an integer past 64 bits) goes to the standard encoder."""
    fields = _encode_fields(chunk)
    try:
        return orjson.dumps(fields)
    except orjson.JSONEncodeError:
        return dumps(fields).encode()


def decode_chunk(values: list[Any]) -> tuple[Any, ...]:
    return tuple(_decode_fields(values))


def _decode_fields(values: list[Any]) -> list[Any]:
    out = list(values)
    for index in range(4, len(out), RECORD_WIDTH):
        out[index] = decode_instant(out[index])
    return out


# ====================================================================== decoding
def decode_state(doc: Doc, state: EngineState, load_model: ModelLoader, sealed: ArchiveMark | None = None) -> None:
    """Fills a state with a snapshot document of the current format, or of format 2 (which holds the archive
    itself: migrations.py). A document that follows archive chunks is read after them, and `sealed` says how many
    were read."""
    if doc.get("format") == migrations.SNAPSHOT_FORMAT_2:
        doc = migrations.snapshot_2_to_3(doc)
    if doc.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"snapshot format {doc.get('format')}, this release reads {SNAPSHOT_FORMAT}")
    chunks = sealed.chunks if sealed is not None else 0
    if doc["archive_chunks"] != chunks:
        raise SnapshotError(f"the snapshot follows {doc['archive_chunks']} archive chunks, {chunks} were read")
    state.keys.restore(doc["keys"])
    history = state.history
    history.restore(history.chunks, _decode_fields(doc["history"]["open"]), doc["history"]["next_position"])
    due = doc["due"]
    state.due.restore([(decode_instant(d), seq, kind, key) for d, seq, kind, key in due["entries"]], due["next_seq"])
    _decode_deployments(doc, state, load_model)
    instances = state.instances
    decode_archive(doc, state)
    for row in doc["elements"]:
        inst = ElementInstance(
            row[0], row[1], row[2], row[3], row[4], Kind(row[5]), row[6], row[7], ElementState(row[8]),
            decode_instant(row[9]), decode_optional(row[10]), row[11],
            set(row[12]) if row[12] is not None else None, row[13], row[14], row[15],
        )  # fmt: skip
        instances.live[inst.key] = inst
    instances.called.update((k, v) for k, v in doc["called"])
    instances.message_start_keys.update((k, v) for k, v in doc["message_start_keys"])
    if chunks:
        order_process_instances(state)
    _decode_waits(doc, state)
    flow = state.flow
    for scope, gateways in doc["joins"]:
        flow.joins[scope] = gateways
    for key, collection, next_index, completed, terminated in doc["bodies"]:
        flow.bodies[key] = MultiInstanceBody(collection, next_index, completed, terminated)
    for key, variables, locals_, occurred in doc["triggers"]:
        flow.triggers[key] = EventTrigger(variables, locals_, occurred)
    for key, continuations in doc.get("awaiting", ()):
        flow.awaiting[key] = continuations
    flow.ad_hoc_fulfilled.update(doc.get("ad_hoc_fulfilled", ()))
    for row in doc.get("compensation_subscriptions", []):
        state.compensations.add(CompensationSubscription(*row))


def _decode_deployments(doc: Doc, state: EngineState, load_model: ModelLoader) -> None:
    deployments = state.deployments
    parsed: dict[tuple[str, bytes, str], ProcessModel] = {}
    for key, pid, version, name, checksum, deployment_key, deployed_at, resource in doc["processes"]:
        content = decode_bytes(resource)
        model = parsed.get((name, content, pid))
        if model is None:
            model = parsed[(name, content, pid)] = load_model(name, content, pid)
        deployments.definitions[key] = ProcessDefinition(
            key, pid, version, name, checksum, model, deployment_key, decode_instant(deployed_at), content
        )
        latest = deployments.latest_processes.get(pid)
        if latest is None or deployments.definitions[latest].version < version:
            deployments.latest_processes[pid] = key
    for key, form_id, version, name, checksum, schema, deployment_key in doc["forms"]:
        deployments.forms[key] = Form(key, form_id, version, name, checksum, schema, deployment_key)
        latest = deployments.latest_forms.get(form_id)
        if latest is None or deployments.forms[latest].version < version:
            deployments.latest_forms[form_id] = key
    deployments.message_starts[:] = [MessageStartSubscription(*row) for row in doc["message_starts"]]
    _decode_decisions(doc, state)


def _decode_decisions(doc: Doc, state: EngineState) -> None:
    """The deployed decisions (a snapshot written before DMN has none): graphs parsed again from their resource, the
    latest versions and each graph's decisions (in the order deployed, which is the file's) rebuilt."""
    store = state.decisions
    for key, requirements_id, name, version, resource_name, checksum, resource, deployment_key in doc.get(
        "decision_requirements", []
    ):
        content = decode_bytes(resource)
        store.requirements[key] = DeployedDecisionRequirements(
            key, requirements_id, name, version, resource_name, checksum, content, deployment_key,
            load_graph(resource_name, content),
        )  # fmt: skip
        latest = store.latest_requirements_of(requirements_id)
        if latest is None or latest.version < version:
            store.latest_requirements[requirements_id] = key
    for row in doc.get("decisions", []):
        decision = DeployedDecision(*row)
        store.decisions[decision.key] = decision
        store.by_requirements.setdefault(decision.requirements_key, []).append(decision.key)
        latest_decision = store.latest_decision(decision.decision_id)
        if latest_decision is None or latest_decision.version < decision.version:
            store.latest_decisions[decision.decision_id] = decision.key


def _decode_waits(doc: Doc, state: EngineState) -> None:
    jobs = state.jobs
    for row in doc["jobs"]:
        job = Job(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], JobState(row[10]),
                  decode_instant(row[11]), row[12], decode_optional(row[13]), decode_optional(row[14]), row[15],
                  row[16], *row[17:20])  # fmt: skip
        jobs.jobs[job.key] = job
        jobs.by_element[job.element_instance_key] = job.key
        jobs.by_type.setdefault(job.type, {})[job.key] = job
    tasks = state.user_tasks
    for row in doc["user_tasks"]:
        task = UserTask(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], UserTaskState(row[8]),
                        decode_instant(row[9]), row[10], row[11], row[12], row[13], row[14], row[15], row[16],
                        row[17], row[18], decode_optional(row[19]), *row[20:21])  # fmt: skip
        tasks.tasks[task.key] = task
        if task.state.is_open:
            tasks.by_element[task.element_instance_key] = task.key
    timers = state.timers
    for row in doc["timers"]:
        timer = Timer(row[0], row[1], row[2], row[3], row[4], decode_instant(row[5]), row[6], row[7])
        timers.timers[timer.key] = timer
        if timer.element_instance_key is not None:
            timers.by_element.setdefault(timer.element_instance_key, set()).add(timer.key)
    messages = state.messages
    for row in doc["messages"]:
        message = Message(row[0], row[1], row[2], row[3], row[4], decode_instant(row[5]), decode_instant(row[6]),
                          set(row[7]), set(row[8]))  # fmt: skip
        messages.messages[message.key] = message
    for row in doc["subscriptions"]:
        sub = MessageSubscription(row[0], row[1], row[2], row[3], row[4], row[5], row[6], decode_instant(row[7]))
        messages.subscriptions[sub.key] = sub
        messages.by_element.setdefault(sub.element_instance_key, set()).add(sub.key)
    signals = state.signals
    for row in doc["signal_subscriptions"]:
        signal = SignalSubscription(*row)
        signals.subscriptions[signal.key] = signal
        if signal.element_instance_key is not None:
            signals.by_element.setdefault(signal.element_instance_key, set()).add(signal.key)
    for row in doc["incidents"]:
        incident = Incident(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                            IncidentState(row[9]), decode_instant(row[10]), row[11],
                            decode_optional(row[12]))  # fmt: skip
        state.incidents.incidents[incident.key] = incident
