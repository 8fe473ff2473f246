"""The engine's state as bytes, and back: what a snapshot stores.

The state is every attribute of the engine except the ones listed in RUNTIME_ATTRIBUTES (its clock, FEEL
evaluator and parser, the waiting callers and job streams of the connections now open, the gateway's counters)
and the sealed chunks of the history, which never change once sealed and are stored apart, each once. Taking
every other attribute, rather than a list of the state's, keeps an index or cache added to the executor later in
the snapshot without anyone remembering to add it here; the replay test compares the whole state and fails if it is not.

Process models are not pickled with the state: a snapshot stores each definition's resource bytes and re-parses
them on load (a model is derived data, and its objects may hold what does not pickle). Objects of a model referenced
from the state – the ProcessModel of a definition, a FlowNode in a cache – are written as references to the
definition's key and resolve to the re-parsed model's objects.

pickle is used for speed and because the state holds datetimes, sets and enums; a data directory is trusted like
the engine's own code (it is written by the engine, under the operator's account, and never received over the
network).
"""

import copyreg
import dataclasses
import io
import itertools
import operator
import pickle
from collections.abc import Callable
from typing import Any

from engine import state as state_module
from engine.engine import Engine
from engine.model import FlowNode, ProcessModel

# attributes of Engine (and DurableEngine) that are not state: rebuilt by the constructor, or belonging to the
# connections and the process that are gone after a restart
RUNTIME_ATTRIBUTES = frozenset(
    {
        "clock",
        "expressions",
        "_parser",
        "_dmn_parser",
        "_decision_evaluator",
        "_history_chunks",  # the sealed history, stored apart (each chunk once)
        "_due_moved",
        "_steps",
        "_running",
        "_job_waiters",
        "_job_streams",
        "_result_waiters",
        "_touched_job_types",
        "_finished_instances",
        "on_change",
        "commands",
        "_command_time",
        "inflight",
        "open_polls",
        "last_poll",
    }
)
DURABLE_PREFIX = "_durable_"  # DurableEngine's own attributes

_PROTOCOL = pickle.HIGHEST_PROTOCOL


def state_attributes(engine: Engine) -> dict[str, Any]:
    """The engine's state: its attributes minus the runtime ones."""
    return {
        name: value
        for name, value in vars(engine).items()
        if name not in RUNTIME_ATTRIBUTES and not name.startswith(DURABLE_PREFIX)
    }


def _slotted_reducer(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """Pickles an instance of a slotted dataclass as its constructor's positional arguments: the dataclass's own
    __getstate__/__setstate__ for slots are Python loops over fields(), several times slower on the engine's most
    numerous object."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))

    def reduce(obj: Any) -> tuple[Any, ...]:
        return (cls, values(obj))

    return reduce


_SLOTTED_REDUCERS = {
    cls: _slotted_reducer(cls)
    for cls in vars(state_module).values()
    if isinstance(cls, type)
    and dataclasses.is_dataclass(cls)
    and "__slots__" in vars(cls)
    and len(dataclasses.fields(cls)) > 1
}


# the models of the snapshot being loaded, for _model_ref and _node_ref (unpickling calls them by name)
_loading: dict[int, ProcessModel] = {}


def _model_ref(key: int) -> ProcessModel:
    return _loading[key]


def _node_ref(key: int, element_id: str) -> FlowNode:
    return _loading[key].elements[element_id]


def _state_pickler(file: io.BytesIO, engine: Engine) -> pickle.Pickler:
    """A pickler writing model objects as references (see the module doc) and counters as their next value.

    Through a dispatch table, looked up by type in C: a persistent_id hook would be a Python call per object."""
    models = {id(d.model): key for key, d in engine.definitions.items()}
    nodes = {
        id(node): (key, element_id)
        for key, d in engine.definitions.items()
        for element_id, node in d.model.elements.items()
    }

    def reduce_model(model: ProcessModel) -> tuple[Any, ...]:
        if id(model) not in models:
            raise pickle.PicklingError(f"a process model outside the deployed definitions: {model.bpmn_process_id}")
        return (_model_ref, (models[id(model)],))

    def reduce_node(node: FlowNode) -> tuple[Any, ...]:
        if id(node) not in nodes:
            raise pickle.PicklingError(f"a flow node outside the deployed definitions: {node.id}")
        return (_node_ref, nodes[id(node)])

    def reduce_count(counter: "itertools.count[int]") -> tuple[Any, ...]:
        # pickling itertools.count is deprecated (gone in Python 3.14): its next value, from its repr "count(n)"
        text = repr(counter)
        if not (text.startswith("count(") and text.endswith(")") and "," not in text):
            raise pickle.PicklingError(f"only a count with step 1 can be stored, not {text}")
        return (itertools.count, (int(text[6:-1]),))

    pickler = pickle.Pickler(file, _PROTOCOL)
    pickler.dispatch_table = {
        **copyreg.dispatch_table,
        **_SLOTTED_REDUCERS,
        ProcessModel: reduce_model,
        FlowNode: reduce_node,
        itertools.count: reduce_count,
    }
    return pickler


def dump_state(engine: Engine) -> bytes:
    """The engine's state (without its history) as bytes."""
    resources = {key: (d.resource_name, d.resource, d.bpmn_process_id) for key, d in engine.definitions.items()}
    body = io.BytesIO()
    _state_pickler(body, engine).dump(state_attributes(engine))
    return pickle.dumps((resources, body.getvalue()), _PROTOCOL)


def load_state(engine: Engine, data: bytes) -> None:
    """Puts the state `dump_state` gave into a freshly constructed engine (which parses the models again)."""
    resources, body = pickle.loads(data)
    parsed: dict[tuple[str, bytes], list[ProcessModel]] = {}
    models: dict[int, ProcessModel] = {}
    for key, (resource_name, content, bpmn_process_id) in resources.items():
        if (resource_name, content) not in parsed:
            parsed[(resource_name, content)] = engine._parser.parse(resource_name, content)
        models[key] = next(m for m in parsed[(resource_name, content)] if m.bpmn_process_id == bpmn_process_id)
    _loading.clear()
    _loading.update(models)
    try:
        state = pickle.loads(body)
    finally:
        _loading.clear()
    vars(engine).update(state)


def dump_history(chunk: tuple[Any, ...]) -> bytes:
    """A sealed chunk of the history (a tuple of records' fields)."""
    return pickle.dumps(chunk, _PROTOCOL)


def load_history(data: bytes) -> tuple[Any, ...]:
    chunk: tuple[Any, ...] = pickle.loads(data)
    return chunk
