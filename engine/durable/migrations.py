"""Data directories of an earlier format, brought to the current one on first start.

Format 1 (the releases up to 60b4853) stored a pickled snapshot of the engine's attributes and a pickled command
log. Its snapshot is read here without the classes that wrote it: a restricted unpickler turns each object of the
old engine's modules into a `_Legacy` holder of its constructor arguments or fields (and allows nothing else but
datetimes, time zones and counters), and the values are carried over into the current state stores – the fields the
old ElementInstance held per element kind go to the stores of engine/state (join tokens, multi-instance bodies,
event triggers, the instances a call activity created). The caller then writes the state as a current snapshot.

A format-1 log (commands after the snapshot: the engine was not stopped cleanly) cannot be carried over: its
commands would have to be executed by the old release's code. The operator is told to start the release that wrote
it once and stop it (a clean stop takes a snapshot and empties the log), then start this one – or export the clean
directory without changing it and import it into a new one (engine/durable/transfer.py, `pbj engine --ekspor` and
`--impor`). The same reader serves that export (`DurableEngine(..., read_only=True)`).
"""

import io
import itertools
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from engine.dmn import load_graph
from engine.durable.errors import IncompatibleDataDirError
from engine.model import Kind, ProcessModel
from engine.state.engine_state import EngineState
from engine.state.values import (
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

FORMAT_1 = 1
SNAPSHOT_FORMAT_2 = 2  # the snapshot document of data format 2 (and of exports with "snapshot_format": 2)

ModelLoader = Callable[[str, bytes, str], ProcessModel]

_ALLOWED = {
    ("datetime", "datetime"): datetime,
    ("datetime", "timezone"): timezone,
    ("datetime", "timedelta"): timedelta,
    ("itertools", "count"): itertools.count,
    ("zoneinfo", "ZoneInfo"): ZoneInfo,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
}


class _Legacy:
    """An object of the old engine: its constructor arguments (`args`) or fields (`fields`)."""

    args: tuple[Any, ...] = ()

    def __init__(self, *args: Any) -> None:
        self.args = args

    @property
    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = self.__dict__.setdefault("_fields", {})
        return fields

    def __setstate__(self, state: Any) -> None:
        parts = state if isinstance(state, tuple) else (state,)  # (dict, slots) or a dict
        for part in parts:
            if isinstance(part, dict):
                self.fields.update(part)

    @property
    def value(self) -> Any:
        """An enum member's value (enums are pickled as a call of their class with the value)."""
        return self.args[0]


def _model_ref(*args: Any) -> None:
    return None  # the models are parsed again from the definitions' resources


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("engine"):
            return _model_ref if name in ("_model_ref", "_node_ref") else _Legacy
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a format-1 snapshot")
        return found


def _load(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def refuse_log(data_dir: str, commands: int) -> IncompatibleDataDirError:
    return IncompatibleDataDirError(
        f"Direktori data {data_dir} ditulis oleh versi mesin sebelumnya (format 1) dan masih memuat {commands} "
        "perintah yang belum masuk snapshot (mesin tidak dihentikan dengan bersih); perintah itu hanya dapat "
        "dijalankan oleh versi pbj yang menulisnya. Tidak ada yang diubah. Jalankan sekali lagi versi pbj itu lalu "
        "hentikan dengan bersih (Ctrl+C). Sesudah itu versi ini memindahkan datanya ke format baru secara otomatis "
        "saat dijalankan, atau – bila direktori lama ingin dibiarkan utuh – mengekspornya dengan "
        f"`pbj engine --ekspor BERKAS --data-dir {data_dir}` dan mengimpornya ke direktori data baru dengan "
        "`pbj engine --impor BERKAS --data-dir DIREKTORI_BARU`."
    )


def load_clock(data: bytes) -> tuple[datetime | None, timedelta]:
    pinned, offset = _load(data)
    return pinned, offset


def load_history_chunk(data: bytes) -> tuple[Any, ...]:
    chunk: tuple[Any, ...] = _load(data)
    return chunk


def load_snapshot(data: bytes, state: EngineState, load_model: ModelLoader) -> None:
    """Fills a fresh state with a format-1 snapshot (its sealed history chunks are set already)."""
    _resources, body = pickle.loads(data)  # a tuple of plain values and bytes
    old: dict[str, Any] = _load(body)
    state.keys.restore(old["keys"].value)
    history = state.history
    history.restore(history.chunks, list(old["_history"]), int(repr(old["_positions"])[6:-1]))
    state.due.restore(list(old["_due"]), int(repr(old["_due_seq"])[6:-1]))
    _deployments(old, state, load_model)
    _instances(old, state)
    _waits(old, state)


def _deployments(old: dict[str, Any], state: EngineState, load_model: ModelLoader) -> None:
    deployments = state.deployments
    for key, legacy in old["definitions"].items():
        f = legacy.fields
        model = load_model(f["resource_name"], f["resource"], f["bpmn_process_id"])
        deployments.definitions[key] = ProcessDefinition(
            key, f["bpmn_process_id"], f["version"], f["resource_name"], f["checksum"], model, f["deployment_key"],
            f["deployed_at"], f["resource"],
        )  # fmt: skip
        latest = deployments.latest_processes.get(f["bpmn_process_id"])
        if latest is None or deployments.definitions[latest].version < f["version"]:
            deployments.latest_processes[f["bpmn_process_id"]] = key
    for key, legacy in old["forms"].items():
        form = Form(**legacy.fields)
        deployments.forms[key] = form
        latest = deployments.latest_forms.get(form.form_id)
        if latest is None or deployments.forms[latest].version < form.version:
            deployments.latest_forms[form.form_id] = key
    deployments.message_starts[:] = [MessageStartSubscription(**s.fields) for s in old["message_starts"]]
    _decisions(old, state)


def _decisions(old: dict[str, Any], state: EngineState) -> None:
    """The deployed decisions of a release with DMN (its `decision_store`; none before): each graph parsed again from
    its resource, the latest versions and each graph's decisions (in key order: the file's) rebuilt."""
    legacy_store = old.get("decision_store")
    if legacy_store is None:
        return
    store = state.decisions
    fields = legacy_store.fields
    for key, legacy in sorted(fields["requirements"].items()):
        f = legacy.fields
        store.requirements[key] = DeployedDecisionRequirements(
            key, f["requirements_id"], f["name"], f["version"], f["resource_name"], f["checksum"], f["resource"],
            f["deployment_key"], load_graph(f["resource_name"], f["resource"]),
        )  # fmt: skip
        store.latest_requirements[f["requirements_id"]] = key  # key order is version order
    for key, legacy in sorted(fields["decisions"].items()):
        decision = DeployedDecision(**legacy.fields)
        store.decisions[key] = decision
        store.latest_decisions[decision.decision_id] = key
        store.by_requirements.setdefault(decision.requirements_key, []).append(key)


def _instances(old: dict[str, Any], state: EngineState) -> None:
    instances = state.instances
    flow = state.flow
    for key, legacy in old["process_instances"].items():
        instances.process_instances[key] = ProcessInstance(*legacy.args)
    for legacy in old["element_instances"].values():
        (key, pi_key, definition_key, process_id, element_id, kind, element_type, scope_key, element_state,
         started_at, ended_at, variables, children, join_tokens, _pending, _targets, _job_key, _task_key,
         _timer_keys, _subscription_keys, _signal_keys, incident_key, called_key, loop_counter, mi_collection,
         mi_next_index, mi_completed, mi_terminated, event_variables, event_locals, interrupted,
         triggered) = legacy.args  # fmt: skip
        inst = ElementInstance(
            key, pi_key, definition_key, process_id, element_id, Kind(kind.value), element_type, scope_key,
            ElementState(element_state.value), started_at, ended_at, variables, set(children) if children else None,
            loop_counter, incident_key, interrupted,
        )  # fmt: skip
        instances.live[key] = inst
        if join_tokens:
            flow.joins[key] = {gateway: dict(tokens) for gateway, tokens in join_tokens.items()}
        if mi_collection is not None and inst.kind is Kind.MULTI_INSTANCE_BODY:
            flow.bodies[key] = MultiInstanceBody(list(mi_collection), mi_next_index, mi_completed, mi_terminated)
        if event_variables is not None or event_locals is not None or triggered:
            flow.triggers[key] = EventTrigger(event_variables, event_locals, bool(triggered))
        if called_key is not None:
            instances.called[key] = called_key
    for key, entry in old["_archive"].items():
        instances.archive[key] = tuple(entry)
    instances.message_start_keys.update(old["_message_start_keys"])
    for (scope, name), key in old["_variable_keys"].items():
        instances.note_variable_key(scope, name, key)


def _waits(old: dict[str, Any], state: EngineState) -> None:
    jobs = state.jobs
    for key, legacy in old["jobs"].items():
        job = Job(**{**legacy.fields, "state": JobState(legacy.fields["state"].value)})
        jobs.jobs[key] = job
        if job.state in (JobState.ACTIVATABLE, JobState.ACTIVATED, JobState.FAILED, JobState.ERROR_THROWN):
            jobs.by_element[job.element_instance_key] = key
        jobs.by_type.setdefault(job.type, {})[key] = job
    tasks = state.user_tasks
    for key, legacy in old["user_tasks"].items():
        task = UserTask(**{**legacy.fields, "state": UserTaskState(legacy.fields["state"].value)})
        tasks.tasks[key] = task
        if task.state is UserTaskState.CREATED:
            tasks.by_element[task.element_instance_key] = key
    timers = state.timers
    for key, legacy in old["timers"].items():
        timer = Timer(**legacy.fields)
        timers.timers[key] = timer
        if timer.element_instance_key is not None:
            timers.by_element.setdefault(timer.element_instance_key, set()).add(key)
    messages = state.messages
    for key, legacy in old["messages"].items():
        fields = dict(legacy.fields)
        fields["correlated_process_instances"] = set(fields["correlated_process_instances"])
        fields["correlated_process_ids"] = set(fields["correlated_process_ids"])
        messages.messages[key] = Message(**fields)
    for key, legacy in old["subscriptions"].items():
        sub = MessageSubscription(**legacy.fields)
        messages.subscriptions[key] = sub
        messages.by_element.setdefault(sub.element_instance_key, set()).add(key)
    signals = state.signals
    for key, legacy in old["signal_subscriptions"].items():
        signal = SignalSubscription(**legacy.fields)
        signals.subscriptions[key] = signal
        if signal.element_instance_key is not None:
            signals.by_element.setdefault(signal.element_instance_key, set()).add(key)
    for key, legacy in old["incidents"].items():
        state.incidents.incidents[key] = Incident(
            **{**legacy.fields, "state": IncidentState(legacy.fields["state"].value)}
        )


def snapshot_2_to_3(doc: dict[str, Any]) -> dict[str, Any]:
    """A snapshot document of format 2 as one of format 3: format 2 held the archive of finished instances, the
    variable keys and the decision instances in the document itself, which format 3 still reads – it follows no
    archive chunk (engine/durable/archive.py). The next snapshot moves them into chunks."""
    return {**doc, "format": 3, "archive_chunks": 0}
